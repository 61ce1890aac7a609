//! The Paths tab beside Threats: attack paths from the entry points to the crown jewels,
//! shortest first, with length and weakest step; the selected path's steps with their
//! why, the threats to fix, and what cuts the path. While a path is selected the canvas
//! shows its elements and flows and dims the rest ([`canvas_focus`]).
//!
//! Paths are derived from the document's analysis and cached per
//! [`Analysis::generation`], like the threat table.

use crate::analysis::paths::{self, AttackPath, Paths, Query, Step};
use crate::analysis::{Analysis, Subject};
use crate::gui::selection::Selection;
use crate::model::{ElementId, FlowId, Model};
use crate::report::attack::{name, steps_label};
use crate::rules::Catalog;
use eframe::egui::{self, RichText};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Paths computed for one analysis generation.
struct Cache {
    generation: u64,
    paths: Arc<Paths>,
}

/// What the tab remembers: the selected path, by id.
#[derive(Clone, Default)]
struct TabState {
    selected: Option<String>,
}

/// The elements and flows of the path shown; everything else is dimmed on the canvas.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Focus {
    /// Elements on the path.
    pub elements: BTreeSet<ElementId>,
    /// Flows the path rides.
    pub flows: BTreeSet<FlowId>,
    /// Pivot steps (no flow to draw): from, to.
    pub pivots: Vec<(ElementId, ElementId)>,
}

/// Most paths listed (the shortest); the rest are counted.
const MAX_LISTED: usize = 200;

fn cache_id() -> egui::Id {
    egui::Id::unique("palisade.paths.cache")
}
fn state_id() -> egui::Id {
    egui::Id::unique("palisade.paths.state")
}
fn focus_id() -> egui::Id {
    egui::Id::unique("palisade.paths.focus")
}

/// The attack paths of the current analysis (computed once per generation).
pub fn current(
    ctx: &egui::Context,
    model: &Model,
    analysis: &Analysis,
    catalog: &Catalog,
) -> Arc<Paths> {
    let cached = ctx.data(|d| d.get_temp::<Arc<Cache>>(cache_id()));
    if let Some(c) = cached.filter(|c| c.generation == analysis.generation) {
        return c.paths.clone();
    }
    let q = Query {
        max: Some(MAX_LISTED),
        cuts: true,
        ..Query::default()
    };
    // The query names no element, so it cannot fail; an empty list is the fallback.
    let paths = Arc::new(paths::find(model, catalog, analysis, &q).unwrap_or_default());
    ctx.data_mut(|d| {
        d.insert_temp(
            cache_id(),
            Arc::new(Cache {
                generation: analysis.generation,
                paths: paths.clone(),
            }),
        )
    });
    paths
}

/// The tab's label with the number of paths.
pub fn tab_label(
    ctx: &egui::Context,
    model: &Model,
    analysis: &Analysis,
    catalog: &Catalog,
) -> String {
    let p = current(ctx, model, analysis, catalog);
    format!("Attack paths ({})", p.paths.len() + p.left_out)
}

/// The path the canvas should show, if the Paths tab has one selected.
pub fn canvas_focus(ctx: &egui::Context) -> Option<Arc<Focus>> {
    ctx.data(|d| d.get_temp::<Option<Arc<Focus>>>(focus_id()))
        .flatten()
}

/// Stops dimming the canvas (another tab is shown).
pub fn clear_focus(ctx: &egui::Context) {
    if canvas_focus(ctx).is_some() {
        ctx.data_mut(|d| d.insert_temp::<Option<Arc<Focus>>>(focus_id(), None));
    }
}

fn focus_of(p: &AttackPath) -> Focus {
    Focus {
        elements: p.elements().cloned().collect(),
        flows: p.steps.iter().filter_map(|s| s.flow.clone()).collect(),
        pivots: p
            .steps
            .iter()
            .filter(|s| s.flow.is_none())
            .map(|s| (s.from.clone(), s.to.clone()))
            .collect(),
    }
}

/// Shows the Paths tab.
pub fn paths_tab_ui(
    ui: &mut egui::Ui,
    model: &Model,
    analysis: &Analysis,
    catalog: &Catalog,
    selection: &mut Selection,
) {
    let ctx = ui.ctx().clone();
    let all = current(&ctx, model, analysis, catalog);
    let mut st: TabState =
        ctx.data_mut(|d| d.get_temp_mut_or_default::<TabState>(state_id()).clone());
    if st
        .selected
        .as_ref()
        .is_some_and(|id| !all.paths.iter().any(|p| &p.id == id))
    {
        st.selected = None;
    }
    if all.paths.is_empty() {
        ui.label(format!(
            "No attack path: {} entry points, {} crown jewels, no steps between them",
            all.entries.len(),
            all.targets.len()
        ));
        clear_focus(&ctx);
        ctx.data_mut(|d| d.insert_temp(state_id(), st));
        return;
    }
    let selected = st
        .selected
        .as_ref()
        .and_then(|id| all.paths.iter().find(|p| &p.id == id));
    let focus = selected.map(|p| Arc::new(focus_of(p)));
    if canvas_focus(&ctx) != focus {
        ctx.data_mut(|d| d.insert_temp(focus_id(), focus));
    }
    let avail = ui.available_size();
    ui.horizontal_top(|ui| {
        let list_w = (avail.x * 0.38).clamp(260.0, 460.0);
        ui.vertical(|ui| {
            ui.set_width(list_w);
            ui.label(
                RichText::new(format!(
                    "{} entry points · {} crown jewels{}",
                    all.entries.len(),
                    all.targets.len(),
                    if all.left_out > 0 {
                        format!(" · {} more not listed", all.left_out)
                    } else {
                        String::new()
                    }
                ))
                .weak(),
            );
            egui::ScrollArea::vertical()
                .id_salt("paths-list")
                .auto_shrink([false, false])
                .max_height(avail.y - 24.0)
                .show(ui, |ui| {
                    for p in &all.paths {
                        let weakest = p
                            .steps
                            .get(p.weakest)
                            .map(|s| format!("{} {}", s.title, name(model, &s.to)))
                            .unwrap_or_default();
                        let head =
                            format!("{} → {}", name(model, &p.entry), name(model, &p.target));
                        let on = st.selected.as_deref() == Some(p.id.as_str());
                        let text = RichText::new(format!(
                            "{head}\n{} · weakest: {weakest}{}",
                            steps_label(p.steps.len()),
                            if p.untriaged() { " · untriaged" } else { "" }
                        ));
                        let r = ui
                            .selectable_label(on, text)
                            .on_hover_text(format!("{}\n{}", p.id, p.target_why));
                        if r.clicked() {
                            st.selected = if on { None } else { Some(p.id.clone()) };
                        }
                    }
                });
        });
        ui.separator();
        ui.vertical(|ui| match selected {
            Some(p) => path_detail_ui(ui, model, p, selection),
            None => {
                ui.label("Select a path to see its steps on the canvas");
            }
        });
    });
    ctx.data_mut(|d| d.insert_temp(state_id(), st));
}

fn path_detail_ui(ui: &mut egui::Ui, model: &Model, p: &AttackPath, selection: &mut Selection) {
    egui::ScrollArea::vertical()
        .id_salt("paths-detail")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "{} → {} ({})",
                    name(model, &p.entry),
                    name(model, &p.target),
                    steps_label(p.steps.len())
                ))
                .strong(),
            );
            ui.label(RichText::new(format!("From: {}", p.entry_why)).weak());
            ui.label(RichText::new(format!("To: {}", p.target_why)).weak());
            ui.add_space(4.0);
            for (i, s) in p.steps.iter().enumerate() {
                step_ui(ui, model, i, s, i == p.weakest, selection);
            }
            ui.add_space(6.0);
            let fix: BTreeSet<&str> = p
                .steps
                .iter()
                .flat_map(|s| s.open_threats.iter().map(|t| t.as_str()))
                .collect();
            ui.label(RichText::new(format!("Threats to fix ({})", fix.len())).strong());
            ui.horizontal_wrapped(|ui| {
                for t in &fix {
                    if ui.link(*t).clicked() {
                        selection.clear_items();
                        selection.threats.clear();
                        selection.threats.insert(crate::model::ThreatId::new(*t));
                        if let Some(s) = t
                            .split_once('@')
                            .and_then(|(_, suffix)| Subject::parse_suffix(suffix))
                        {
                            crate::gui::threats::request_focus(ui.ctx(), s);
                        }
                    }
                }
            });
            ui.add_space(6.0);
            ui.label(
                RichText::new(format!(
                    "What cuts this path ({})",
                    steps_label(p.cut.len())
                ))
                .strong(),
            )
            .on_hover_text(
                "The fewest steps whose controls leave no entry point a way to this crown jewel",
            );
            for s in &p.cut {
                ui.label(format!(
                    "• {} {} {}: {}",
                    name(model, &s.from),
                    s.title,
                    name(model, &s.to),
                    s.control
                ));
            }
        });
}

fn step_ui(
    ui: &mut egui::Ui,
    model: &Model,
    i: usize,
    s: &Step,
    weakest: bool,
    selection: &mut Selection,
) {
    let head = format!(
        "{}. {} {} {}{}",
        i + 1,
        name(model, &s.from),
        s.title,
        name(model, &s.to),
        if weakest { "  (weakest)" } else { "" }
    );
    let r = ui
        .add(egui::Label::new(RichText::new(head)).sense(egui::Sense::click()))
        .on_hover_text(format!("{}\n{}", s.step, s.references.join("\n")));
    if r.clicked() {
        selection.clear_items();
        match &s.flow {
            Some(f) => {
                selection.flows.insert(f.clone());
                crate::gui::threats::request_focus(ui.ctx(), Subject::Flow(f.clone()));
            }
            None => {
                selection.elements.insert(s.to.clone());
                crate::gui::threats::request_focus(ui.ctx(), Subject::Element(s.to.clone()));
            }
        }
    }
    ui.indent(("step", i), |ui| {
        for w in &s.why {
            ui.label(RichText::new(w).small());
        }
        ui.label(
            RichText::new(format!("Cut by: {}", s.control))
                .small()
                .weak(),
        );
    });
}

/// The reviewer's attack-path marks of an element (inspector): the element with the
/// marks changed, when one was toggled.
pub fn marks_ui(ui: &mut egui::Ui, e: &crate::model::Element) -> Option<crate::model::Element> {
    let (mut entry, mut jewel) = (e.entry_point, e.crown_jewel);
    ui.horizontal(|ui| {
        ui.checkbox(&mut entry, "Entry point")
            .on_hover_text("Attack paths may start here");
        ui.checkbox(&mut jewel, "Crown jewel")
            .on_hover_text("Attack paths to here are listed");
    });
    (entry != e.entry_point || jewel != e.crown_jewel).then(|| crate::model::Element {
        entry_point: entry,
        crown_jewel: jewel,
        ..e.clone()
    })
}
