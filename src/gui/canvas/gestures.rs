//! Canvas gestures: what a press, drag, click or context menu on the canvas does. A drag
//! is a [`Gesture`] kept in the canvas state and shown as a preview; it becomes edits only
//! when it ends, so one drag is one undo step.

use super::layout::{self, Corner, Hit, Layout, Tolerance};
use super::{CanvasState, GRID, Tool, ops};
use crate::gui::actions::Action;
use crate::gui::selection::{Item, Selection};
use crate::model::{BoundaryId, Edit, ElementId, Model};
use crate::rules::Catalog;
use eframe::egui::{self, Pos2, Rect, Vec2};
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default, PartialEq)]
pub(super) enum Gesture {
    #[default]
    Idle,
    Pan,
    Move {
        /// Centre of the grabbed item before the move; it is what snaps to the grid.
        anchor: Pos2,
        /// Where the pointer went down, in diagram space.
        grab: Pos2,
        elements: BTreeSet<ElementId>,
        boundaries: BTreeSet<BoundaryId>,
        delta: Vec2,
    },
    Resize {
        id: BoundaryId,
        corner: Corner,
        original: Rect,
        rect: Rect,
    },
    Connect {
        from: ElementId,
        to: Pos2,
    },
    Marquee {
        start: Pos2,
        end: Pos2,
        additive: bool,
    },
    DrawBoundary {
        start: Pos2,
        end: Pos2,
    },
}

pub(super) fn item_of(hit: &Hit) -> Option<Item> {
    match hit {
        Hit::Element(e) | Hit::ElementEdge(e) => Some(Item::Element(e.clone())),
        Hit::Flow(f) => Some(Item::Flow(f.clone())),
        Hit::BoundaryFrame(b) | Hit::BoundaryInterior(b) | Hit::BoundaryCorner(b, _) => {
            Some(Item::Boundary(b.clone()))
        }
        Hit::Nothing => None,
    }
}

pub(super) fn click_select(selection: &mut Selection, hit: Hit, shift: bool) {
    match item_of(&hit) {
        Some(item) if shift => selection.toggle(item),
        Some(item) => selection.select_only(item),
        None if shift => {}
        None => selection.clear_items(),
    }
}

pub(super) fn start_gesture(
    model: &Model,
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
            moving(model, selection, anchor, origin)
        }
        Hit::BoundaryFrame(ref id) => {
            grab(selection, Item::Boundary(id.clone()), modifiers.shift);
            let anchor = layout.boundary(id).map_or(origin, |b| b.rect.min);
            moving(model, selection, anchor, origin)
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

pub(super) fn grab(selection: &mut Selection, item: Item, shift: bool) {
    if !selection.contains(&item) {
        if shift {
            selection.insert(item);
        } else {
            selection.select_only(item);
        }
    }
}

pub(super) fn moving(model: &Model, selection: &Selection, anchor: Pos2, grab: Pos2) -> Gesture {
    let _ = model;
    Gesture::Move {
        anchor,
        grab,
        elements: selection.elements.clone(),
        boundaries: selection.boundaries.clone(),
        delta: Vec2::ZERO,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn finish_gesture(
    model: &Model,
    cat: &Catalog,
    layout: &Layout,
    selection: &mut Selection,
    state: &mut CanvasState,
    gesture: Gesture,
    pointer: Option<Pos2>,
    tol: Tolerance,
    edits: &mut Vec<Edit>,
    hit_at: &dyn Fn(Pos2) -> Hit,
) {
    let _ = tol;
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
            if let Hit::Element(t) | Hit::ElementEdge(t) = hit_at(p)
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
                layout::in_marquee(layout, model, Rect::from_two_pos(start, end));
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
                state.tool = Tool::Select;
            }
        }
        Gesture::Pan | Gesture::Idle => {}
    }
}

pub(super) fn context_menu_ui(
    ui: &mut egui::Ui,
    model: &Model,
    selection: &Selection,
    target: Option<&Hit>,
    actions: &mut Vec<Action>,
) {
    let _ = model;
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
