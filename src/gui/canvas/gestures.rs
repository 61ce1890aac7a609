//! Canvas gestures: what a press, drag, click, drop or context menu on the canvas does.
//! A drag is a [`Gesture`] kept in the canvas state and shown as a preview; it becomes
//! edits only when it ends, so one drag is one undo step. Nothing here paints: the
//! painting pass ([`super::paint`]) reads the state this pass leaves and its [`Frame`].

use super::layout::{self, BoundaryBox, Corner, Hit, Layout, Tolerance};
use super::{CanvasState, Derived, GRID, PaletteDrag, Scene, Tool, ops, relations};
use crate::gui::actions::Action;
use crate::gui::selection::{Item, Selection};
use crate::model::{BoundaryId, Edit, ElementId, FlowId, Model};
use crate::rules::Catalog;
use eframe::egui::{self, CursorIcon, Key, PointerButton, Pos2, Rect, Sense, Vec2};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A drag in progress (or none).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) enum Gesture {
    /// No drag.
    #[default]
    Idle,
    /// Panning the view.
    Pan,
    /// Moving the selected elements and boundaries.
    Move {
        /// Centre of the grabbed item before the move; it is what snaps to the grid.
        anchor: Pos2,
        /// Where the pointer went down, in diagram space.
        grab: Pos2,
        elements: BTreeSet<ElementId>,
        boundaries: BTreeSet<BoundaryId>,
        delta: Vec2,
    },
    /// Dragging a corner of a boundary.
    Resize {
        id: BoundaryId,
        corner: Corner,
        original: Rect,
        rect: Rect,
    },
    /// Drawing a flow from an element.
    Connect { from: ElementId, to: Pos2 },
    /// Rectangle selection.
    Marquee {
        start: Pos2,
        end: Pos2,
        additive: bool,
    },
    /// Drawing a new trust boundary.
    DrawBoundary { start: Pos2, end: Pos2 },
}

/// What the gesture pass hands to the painting pass.
pub(super) struct Frame {
    /// The canvas on screen.
    pub rect: Rect,
    /// The canvas's response (its id names the accessibility nodes; drag and drop).
    pub response: egui::Response,
    /// Layout and badges of the model (un-previewed).
    pub derived: Arc<Derived>,
    /// Grid step new and moved items snap to (0 while Alt is held or snapping is off).
    pub grid: f32,
    /// The element a flow being drawn would end on.
    pub connect_target: Option<ElementId>,
}

/// Hit testing against the layout with the label plates and title tabs painted last
/// frame (where the user saw them).
struct Hits<'a> {
    model: &'a Model,
    layout: &'a Layout,
    tol: Tolerance,
    selected_boundaries: BTreeSet<BoundaryId>,
    tabs: BTreeMap<BoundaryId, Rect>,
    labels: Vec<(FlowId, Rect)>,
}

impl Hits<'_> {
    fn at(&self, p: Pos2) -> Hit {
        let tab_of = |b: &BoundaryBox| match self.tabs.get(&b.id) {
            Some(r) => *r,
            None => b.tab_rect(self.model.boundaries.get(&b.id).map_or(4, |x| {
                x.name.chars().count() + x.kind.label().chars().count() + 5
            })),
        };
        layout::hit_test(
            self.layout,
            p,
            self.tol,
            &self.selected_boundaries,
            &tab_of,
            &self.labels,
        )
    }
}

/// Reads this frame's input on the canvas: zoom and pan, hover, drags, clicks, the
/// context menu and drops from the palette. Pushes model changes to `edits` and
/// commands to `actions`; changes the selection and the canvas state directly.
pub(super) fn update(
    ui: &mut egui::Ui,
    scene: &Scene<'_>,
    selection: &mut Selection,
    state: &mut CanvasState,
    edits: &mut Vec<Edit>,
    actions: &mut Vec<Action>,
) -> Frame {
    let (model, cat) = (scene.doc.model, scene.doc.catalog);
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    state.canvas_rect = rect;
    // While the canvas has focus, arrows nudge the selection and Escape cancels: they
    // must not move keyboard focus to another widget.
    if response.has_focus() {
        ui.memory_mut(|m| {
            m.set_focus_lock_filter(
                response.id,
                egui::EventFilter {
                    tab: false,
                    horizontal_arrows: true,
                    vertical_arrows: true,
                    escape: true,
                },
            )
        });
    }
    if state.fit_pending && rect.width() > 50.0 {
        state.fit(model, cat);
        state.fit_pending = false;
    }
    let (modifiers, space_down, zoom_delta, scroll) = ui.input(|i| {
        (
            i.modifiers,
            i.key_down(Key::Space),
            i.zoom_delta(),
            i.smooth_scroll_delta(),
        )
    });
    let text_focused = ui.ctx().text_edit_focused();

    // Zoom about the cursor (pinch / Ctrl+wheel arrive as zoom_delta; a plain wheel zooms
    // too, horizontal scrolling pans).
    if let Some(hover) = response.hover_pos() {
        if zoom_delta != 1.0 {
            state.view.zoom_about(rect, hover, zoom_delta);
        }
        if scroll.y != 0.0 {
            state
                .view
                .zoom_about(rect, hover, (scroll.y * 0.0018).exp());
        }
        if scroll.x != 0.0 {
            state.view.pan(Vec2::new(scroll.x, 0.0));
        }
    }

    let diagram_from_screen = state.view.diagram_from_screen(rect);
    // `hover_pos` is empty while a palette stencil is dragged over the canvas, so use the
    // raw pointer whenever it is inside.
    let inside = if response.contains_pointer() {
        ui.ctx().pointer_latest_pos()
    } else {
        None
    };
    let pointer = response.interact_pointer_pos().or(inside);
    let pointer_in_diagram = pointer.map(|p| diagram_from_screen * p);
    state.pointer_in_diagram = inside.map(|p| diagram_from_screen * p);

    let derived = state.derived(model, scene.doc.analysis, cat, scene.key);
    let hits = Hits {
        model,
        layout: &derived.layout,
        tol: Tolerance::at_zoom(state.view.zoom),
        selected_boundaries: selection.boundaries.clone(),
        tabs: std::mem::take(&mut state.boundary_tabs),
        labels: std::mem::take(&mut state.flow_labels),
    };
    state.hovered = match (&state.gesture, state.pointer_in_diagram) {
        (Gesture::Idle, Some(p)) => Some(hits.at(p)),
        _ => None,
    };

    // --- Drags ----------------------------------------------------------------------
    let grid = state.snap_grid(modifiers.alt);
    if response.drag_started_by(PointerButton::Middle)
        || (response.drag_started() && space_down && !text_focused)
    {
        state.gesture = Gesture::Pan;
    } else if response.drag_started_by(PointerButton::Primary) {
        let origin = ui
            .input(|i| i.pointer.press_origin())
            .map(|p| diagram_from_screen * p);
        if let Some(origin) = origin {
            let hit = hits.at(origin);
            state.gesture =
                start_gesture(hits.layout, selection, &state.tool, hit, origin, modifiers);
        }
    } else if response.drag_started_by(PointerButton::Secondary) {
        state.gesture = Gesture::Pan;
    }
    if response.dragged() {
        drag(state, response.drag_delta(), pointer_in_diagram, grid);
    }
    if response.drag_stopped() {
        let gesture = std::mem::take(&mut state.gesture);
        if let Some(tool) = finish_gesture(
            model,
            cat,
            &hits,
            selection,
            gesture,
            pointer_in_diagram,
            edits,
        ) {
            state.tool = tool;
        }
    }

    // --- Clicks ---------------------------------------------------------------------
    // A focused widget also "clicks" on Space or Enter; on the canvas only real pointer
    // clicks count (Space is for panning).
    let pointer_click = ui.input(|i| i.pointer.any_click());
    if response.clicked()
        && pointer_click
        && let Some(p) = pointer_in_diagram
    {
        match state.tool.clone() {
            Tool::Place(kind) => {
                let e = ops::new_element(model, cat, &kind, layout::snap(p, grid));
                selection.select_only(Item::Element(e.id.clone()));
                edits.push(Edit::AddElement(e));
                if !modifiers.shift {
                    state.tool = Tool::Select;
                }
            }
            _ => {
                let hit = hits.at(p);
                let on_relation = relations::click(
                    model,
                    hits.layout,
                    &state.relations,
                    selection,
                    (&hit, p, hits.tol),
                    modifiers.shift,
                );
                if !on_relation {
                    click_select(selection, hit, modifiers.shift);
                }
            }
        }
        response.request_focus();
    }
    if response.double_clicked()
        && let Some(p) = pointer_in_diagram
        && let Hit::Flow(_) | Hit::Element(_) | Hit::ElementEdge(_) | Hit::BoundaryFrame(_) =
            hits.at(p)
    {
        actions.push(Action::Rename);
    }
    if response.secondary_clicked()
        && let Some(p) = pointer_in_diagram
    {
        let hit = hits.at(p);
        if let Some(item) = hit.item()
            && !selection.contains(&item)
        {
            selection.select_only(item);
        }
        state.context = Some(hit);
    }
    response.context_menu(|ui| context_menu_ui(ui, selection, state.context.as_ref(), actions));

    // Drop from the palette.
    if let Some(payload) = response.dnd_release_payload::<PaletteDrag>()
        && let Some(p) = pointer_in_diagram
    {
        let e = ops::new_element(model, cat, &payload.kind, layout::snap(p, grid));
        selection.select_only(Item::Element(e.id.clone()));
        edits.push(Edit::AddElement(e));
    }

    if let Some(c) = cursor(state)
        && response.hovered()
    {
        ui.ctx().set_cursor_icon(c);
    }
    let connect_target = match &state.gesture {
        Gesture::Connect { from, to } => match hits.at(*to) {
            Hit::Element(t) | Hit::ElementEdge(t) if t != *from => Some(t),
            _ => None,
        },
        _ => None,
    };
    Frame {
        rect,
        response,
        derived: derived.clone(),
        grid,
        connect_target,
    }
}

/// Follows the pointer with the drag in progress.
fn drag(state: &mut CanvasState, screen_delta: Vec2, pointer: Option<Pos2>, grid: f32) {
    if let Gesture::Pan = state.gesture {
        state.view.pan(screen_delta);
        return;
    }
    let Some(p) = pointer else {
        return;
    };
    match &mut state.gesture {
        Gesture::Move {
            anchor,
            grab,
            delta,
            ..
        } => *delta = layout::snapped_delta(*anchor, p - *grab, grid),
        Gesture::Resize {
            corner,
            original,
            rect,
            ..
        } => *rect = corner.drag(*original, layout::snap(p, grid), Vec2::new(80.0, 60.0)),
        Gesture::Connect { to, .. } => *to = p,
        Gesture::Marquee { end, .. } => *end = p,
        Gesture::DrawBoundary { end, .. } => *end = layout::snap(p, grid),
        Gesture::Pan | Gesture::Idle => {}
    }
}

/// The pointer's shape for the gesture in progress or what is under the pointer.
fn cursor(state: &CanvasState) -> Option<CursorIcon> {
    match (&state.gesture, &state.hovered, &state.tool) {
        (Gesture::Pan, ..) => Some(CursorIcon::Grabbing),
        (Gesture::Move { .. }, ..) => Some(CursorIcon::Grabbing),
        (Gesture::Connect { .. } | Gesture::DrawBoundary { .. }, ..) => Some(CursorIcon::Crosshair),
        (_, _, Tool::Place(_) | Tool::Boundary) => Some(CursorIcon::Crosshair),
        (_, Some(Hit::ElementEdge(_)), _) | (_, Some(Hit::Element(_)), Tool::Connect) => {
            Some(CursorIcon::Crosshair)
        }
        (_, Some(Hit::Element(_) | Hit::BoundaryFrame(_)), _) => Some(CursorIcon::Grab),
        (_, Some(Hit::Flow(_)), _) => Some(CursorIcon::PointingHand),
        (_, Some(Hit::BoundaryCorner(_, c)), _) => Some(match c {
            Corner::TopLeft | Corner::BottomRight => CursorIcon::ResizeNwSe,
            _ => CursorIcon::ResizeNeSw,
        }),
        _ => None,
    }
}

fn click_select(selection: &mut Selection, hit: Hit, shift: bool) {
    match hit.item() {
        Some(item) if shift => selection.toggle(item),
        Some(item) => selection.select_only(item),
        None if shift => {}
        None => selection.clear_items(),
    }
}

fn start_gesture(
    layout: &Layout,
    selection: &mut Selection,
    tool: &Tool,
    hit: Hit,
    origin: Pos2,
    modifiers: egui::Modifiers,
) -> Gesture {
    match tool {
        Tool::Boundary => {
            return Gesture::DrawBoundary {
                start: layout::snap(origin, GRID),
                end: origin,
            };
        }
        Tool::Place(_) => return Gesture::Pan,
        Tool::Connect => {
            return match hit {
                Hit::Element(id) | Hit::ElementEdge(id) => Gesture::Connect {
                    from: id,
                    to: origin,
                },
                _ => Gesture::Pan,
            };
        }
        Tool::Select => {}
    }
    let connect_modifier = modifiers.command || modifiers.alt;
    match hit {
        Hit::BoundaryCorner(id, corner) => {
            let Some(bb) = layout.boundary(&id) else {
                return Gesture::Idle;
            };
            Gesture::Resize {
                id,
                corner,
                original: bb.rect,
                rect: bb.rect,
            }
        }
        Hit::ElementEdge(id) => Gesture::Connect {
            from: id,
            to: origin,
        },
        Hit::Element(id) if connect_modifier => Gesture::Connect {
            from: id,
            to: origin,
        },
        Hit::Element(ref id) => {
            let item = Item::Element(id.clone());
            grab(selection, item, modifiers.shift);
            let anchor = layout.element(id).map_or(origin, |b| b.rect.center());
            moving(selection, anchor, origin)
        }
        Hit::BoundaryFrame(ref id) => {
            grab(selection, Item::Boundary(id.clone()), modifiers.shift);
            let anchor = layout.boundary(id).map_or(origin, |b| b.rect.min);
            moving(selection, anchor, origin)
        }
        Hit::Flow(id) => {
            selection.select_only(Item::Flow(id));
            Gesture::Pan
        }
        Hit::BoundaryInterior(_) | Hit::Nothing => {
            if modifiers.shift {
                Gesture::Marquee {
                    start: origin,
                    end: origin,
                    additive: true,
                }
            } else {
                Gesture::Pan
            }
        }
    }
}

fn grab(selection: &mut Selection, item: Item, shift: bool) {
    if !selection.contains(&item) {
        if shift {
            selection.insert(item);
        } else {
            selection.select_only(item);
        }
    }
}

fn moving(selection: &Selection, anchor: Pos2, grab: Pos2) -> Gesture {
    Gesture::Move {
        anchor,
        grab,
        elements: selection.elements.clone(),
        boundaries: selection.boundaries.clone(),
        delta: Vec2::ZERO,
    }
}

/// Turns a finished drag into edits (and a selection). Returns the tool to switch to,
/// when the gesture ends the current one.
fn finish_gesture(
    model: &Model,
    cat: &Catalog,
    hits: &Hits<'_>,
    selection: &mut Selection,
    gesture: Gesture,
    pointer: Option<Pos2>,
    edits: &mut Vec<Edit>,
) -> Option<Tool> {
    match gesture {
        Gesture::Move {
            elements,
            boundaries,
            delta,
            ..
        } => {
            edits.extend(ops::move_edits(model, cat, &elements, &boundaries, delta));
        }
        Gesture::Resize { id, rect, .. } => edits.extend(ops::resize_edits(model, cat, &id, rect)),
        Gesture::Connect { from, to } => {
            let p = pointer.unwrap_or(to);
            if let Hit::Element(t) | Hit::ElementEdge(t) = hits.at(p)
                && t != from
            {
                let f = ops::new_flow(model, &from, &t);
                selection.select_only(Item::Flow(f.id.clone()));
                edits.push(Edit::AddFlow(f));
            }
        }
        Gesture::Marquee {
            start,
            end,
            additive,
        } => {
            let (els, flows, bounds) =
                layout::in_marquee(hits.layout, model, Rect::from_two_pos(start, end));
            if !additive {
                selection.clear_items();
            }
            selection.elements.extend(els);
            selection.flows.extend(flows);
            selection.boundaries.extend(bounds);
        }
        Gesture::DrawBoundary { start, end } => {
            let r = Rect::from_two_pos(start, end);
            if r.width() >= 60.0 && r.height() >= 40.0 {
                let (id, e) = ops::new_boundary_edits(model, cat, r);
                selection.select_only(Item::Boundary(id));
                edits.extend(e);
                return Some(Tool::Select);
            }
        }
        Gesture::Pan | Gesture::Idle => {}
    }
    None
}

fn context_menu_ui(
    ui: &mut egui::Ui,
    selection: &Selection,
    target: Option<&Hit>,
    actions: &mut Vec<Action>,
) {
    let has_items = !selection.is_empty();
    match target {
        Some(Hit::Nothing) | None => {
            if ui.button("Paste").clicked() {
                actions.push(Action::Paste(None));
            }
            if ui.button("Select all").clicked() {
                actions.push(Action::SelectAll);
            }
            if ui.button("Fit to content").clicked() {
                actions.push(Action::Fit);
            }
        }
        Some(_) => {
            if ui
                .add_enabled(
                    selection.len() == 1,
                    egui::Button::new("Rename").shortcut_text("F2"),
                )
                .clicked()
            {
                actions.push(Action::Rename);
            }
            if ui
                .add_enabled(has_items, egui::Button::new("Copy"))
                .clicked()
            {
                actions.push(Action::Copy);
            }
            if ui
                .add_enabled(has_items, egui::Button::new("Duplicate"))
                .clicked()
            {
                actions.push(Action::Duplicate);
            }
            if ui
                .add_enabled(has_items, egui::Button::new("Delete"))
                .clicked()
            {
                actions.push(Action::Delete);
            }
            if selection.elements.len() >= 2 {
                ui.menu_button("Align", |ui| {
                    for a in ops::Align::ALL {
                        if ui.button(a.label()).clicked() {
                            actions.push(Action::Align(a));
                        }
                    }
                });
            }
        }
    }
}
