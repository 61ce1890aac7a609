//! The left panel: tools, a find box, and the stencils of the loaded templates grouped by
//! template group. A stencil is dragged onto the canvas, or clicked and then placed.

use super::actions::Action;
use super::canvas::{PaletteDrag, Tool};
use super::selection::{Item, Selection};
use super::theme::Palette;
use crate::model::Model;
use crate::rules::{Catalog, ResolvedStencil};
use eframe::egui::{self, Align2, Color32, CornerRadius, FontId, Id, Sense, Vec2};

/// Palette state kept between frames.
#[derive(Debug, Default)]
pub struct PaletteState {
    /// The find / filter text.
    pub query: String,
    /// Focus the find box on the next frame (Ctrl+F).
    pub focus_query: bool,
}

/// The id of the find box, so Ctrl+F can focus it.
pub fn find_box_id() -> Id {
    Id::unique("palisade-find")
}

/// Shows the palette.
pub fn palette_ui(
    ui: &mut egui::Ui,
    cat: &Catalog,
    model: &Model,
    state: &mut PaletteState,
    tool: &mut Tool,
    selection: &mut Selection,
    actions: &mut Vec<Action>,
) {
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        if ui.selectable_label(*tool == Tool::Select, "Select").on_hover_text("Select, move and pan (Esc)").clicked() {
            *tool = Tool::Select;
        }
        if ui
            .selectable_label(*tool == Tool::Connect, "Flow")
            .on_hover_text("Draw a data flow: drag from one element to another (or drag from an element's edge with any tool)")
            .clicked()
        {
            *tool = Tool::Connect;
        }
        if ui
            .selectable_label(*tool == Tool::Boundary, "Boundary")
            .on_hover_text("Draw a trust boundary: drag a rectangle")
            .clicked()
        {
            *tool = Tool::Boundary;
        }
    });
    ui.add_space(4.0);
    let find = egui::TextEdit::singleline(&mut state.query)
        .id(find_box_id())
        .hint_text("Find stencil or element (Ctrl+F)")
        .desired_width(f32::INFINITY);
    let resp = ui.add(find);
    if state.focus_query {
        resp.request_focus();
        state.focus_query = false;
    }
    if resp.has_focus() && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        state.query.clear();
        resp.surrender_focus();
    }
    let q = state.query.trim().to_lowercase();
    ui.separator();

    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if !q.is_empty() {
                let found: Vec<_> = model
                    .elements
                    .values()
                    .filter(|e| {
                        e.name.to_lowercase().contains(&q)
                            || e.id.as_str().to_lowercase().contains(&q)
                    })
                    .take(50)
                    .collect();
                if !found.is_empty() {
                    ui.label(egui::RichText::new("Elements in the model").strong());
                    for e in found {
                        let sel = selection.elements.contains(&e.id);
                        if ui
                            .selectable_label(sel, format!("{}  ({})", e.name, e.id))
                            .clicked()
                        {
                            selection.select_only(Item::Element(e.id.clone()));
                            actions.push(Action::RevealSelection);
                        }
                    }
                    ui.separator();
                }
            }
            let mut groups: Vec<&str> = Vec::new();
            for t in &cat.templates {
                if !groups.contains(&t.group.as_str()) {
                    groups.push(&t.group);
                }
            }
            for g in groups {
                let stencils: Vec<&ResolvedStencil> = cat
                    .stencils
                    .iter()
                    .filter(|s| cat.templates.get(s.template).is_some_and(|t| t.group == g))
                    .filter(|s| q.is_empty() || matches(s, &q))
                    .collect();
                if stencils.is_empty() {
                    continue;
                }
                egui::CollapsingHeader::new(egui::RichText::new(g).strong())
                    .id_salt(("palette-group", g))
                    .default_open(true)
                    .show(ui, |ui| {
                        for s in stencils {
                            stencil_row_ui(ui, s, tool);
                        }
                    });
            }
        });
}

fn matches(s: &ResolvedStencil, q: &str) -> bool {
    s.stencil.name.to_lowercase().contains(q)
        || s.stencil.kind.to_lowercase().contains(q)
        || s.stencil.description.to_lowercase().contains(q)
}

/// One stencil: monogram chip and name. Click arms the place tool; drag carries it to
/// the canvas.
fn stencil_row_ui(ui: &mut egui::Ui, s: &ResolvedStencil, tool: &mut Tool) {
    let st = &s.stencil;
    let pal = Palette::of(ui.visuals());
    let height = 26.0;
    let (rect, resp) = ui.allocate_exact_size(
        Vec2::new(ui.available_width(), height),
        Sense::click_and_drag(),
    );
    let armed = *tool == Tool::Place(st.kind.clone());
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&resp, armed);
        if armed || resp.hovered() || resp.has_focus() {
            ui.painter()
                .rect_filled(rect, CornerRadius::same(3), visuals.weak_bg_fill);
        }
        let chip = egui::Rect::from_min_size(
            rect.left_top() + Vec2::new(4.0, 4.0),
            Vec2::new(30.0, height - 8.0),
        );
        ui.painter()
            .rect_filled(chip, CornerRadius::same(3), pal.icon(Some(st.base)));
        let mono: String = st.icon.chars().take(3).collect();
        ui.painter().text(
            chip.center(),
            Align2::CENTER_CENTER,
            mono,
            FontId::monospace(10.0),
            if pal.dark {
                Color32::BLACK
            } else {
                Color32::WHITE
            },
        );
        // Long stencil names are elided rather than clipped.
        let mut job = egui::text::LayoutJob::simple_singleline(
            st.name.clone(),
            egui::TextStyle::Body.resolve(ui.style()),
            visuals.text_color(),
        );
        job.wrap.max_width = (rect.right() - chip.right() - 12.0).max(10.0);
        job.wrap.max_rows = 1;
        job.wrap.break_anywhere = true;
        let galley = ui.painter().layout_job(job);
        let pos = egui::pos2(chip.right() + 8.0, rect.center().y - galley.size().y / 2.0);
        ui.painter().galley(pos, galley, visuals.text_color());
    }
    resp.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, armed, &st.name));
    if resp.drag_started() {
        resp.dnd_set_drag_payload(PaletteDrag {
            kind: st.kind.clone(),
        });
    }
    if resp.dragged() {
        ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
    }
    let resp = resp.on_hover_ui(|ui| {
        ui.label(egui::RichText::new(&st.name).strong());
        ui.label(egui::RichText::new(&st.kind).monospace().weak());
        if !st.description.is_empty() {
            ui.label(&st.description);
        }
        ui.label(
            egui::RichText::new(format!(
                "{:?} · {} properties",
                st.base,
                st.properties.len()
            ))
            .weak(),
        );
        ui.label(egui::RichText::new("Click, then click on the canvas; or drag it there").weak());
    });
    if resp.clicked() {
        *tool = if armed {
            Tool::Select
        } else {
            Tool::Place(st.kind.clone())
        };
    }
}
