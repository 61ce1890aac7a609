//! Relations on the canvas: thin dotted lines in their own colour with a small open
//! arrowhead and the relation kind's name, so they read apart from data flows (solid,
//! filled arrowheads). They can be hidden (View ▸ Show relations, or the canvas toggle),
//! are culled like flows, and a click on one selects it.

use super::Scene;
use super::draw::{Draw, FLOW_LABEL_MIN_ZOOM};
use super::layout::{Hit, Layout, Tolerance, distance_to_segment};
use crate::geometry;
use crate::gui::selection::{Item, Selection};
use crate::model::{Model, RelationId};
use eframe::egui::{self, Color32, CornerRadius, FontId, Pos2, Rect, Shape, Stroke, Vec2};

/// Relation display state kept between frames.
#[derive(Debug)]
pub struct RelationsState {
    /// Whether relations are drawn (and can be clicked).
    pub show: bool,
    /// Label plates drawn last frame, in diagram space, for hit testing.
    labels: Vec<(RelationId, Rect)>,
}

impl Default for RelationsState {
    fn default() -> Self {
        RelationsState {
            show: true,
            labels: Vec::new(),
        }
    }
}

/// The colour of relation lines and labels: teal, apart from the grey of flows, the
/// orange of boundaries and the blue of the selection.
pub fn colour(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x5E, 0xD4, 0xC4)
    } else {
        Color32::from_rgb(0x0F, 0x76, 0x6E)
    }
}

/// A relation as drawn: a straight segment between the outlines of its ends.
#[derive(Clone, Debug, PartialEq)]
pub struct RelationLine {
    /// Which relation.
    pub id: RelationId,
    /// Where it leaves the source's outline, in diagram space.
    pub from: Pos2,
    /// Where it meets the target's outline.
    pub to: Pos2,
}

/// The lines of every relation whose two ends are laid out, in id order. A relation
/// from an element to itself, or to a missing element, is not drawn.
pub fn lines(model: &Model, layout: &Layout) -> Vec<RelationLine> {
    model
        .relations
        .values()
        .filter(|r| r.source != r.target)
        .filter_map(|r| {
            let a = layout.element(&r.source)?.rect;
            let b = layout.element(&r.target)?.rect;
            let tuple = |r: Rect| {
                (
                    r.min.x as f64,
                    r.min.y as f64,
                    r.width() as f64,
                    r.height() as f64,
                )
            };
            let ca = (a.center().x as f64, a.center().y as f64);
            let cb = (b.center().x as f64, b.center().y as f64);
            let from = geometry::clip_to_rect(tuple(a), cb);
            let to = geometry::clip_to_rect(tuple(b), ca);
            Some(RelationLine {
                id: r.id.clone(),
                from: Pos2::new(from.0 as f32, from.1 as f32),
                to: Pos2::new(to.0 as f32, to.1 as f32),
            })
        })
        .collect()
}

/// Paints the visible relations (lines, arrowheads, then labels that fit) and remembers
/// the label plates for hit testing. `cull` is the diagram-space rectangle worth
/// painting; `occupied` are screen rectangles labels must not cover (elements, flow
/// labels).
pub fn paint(
    d: &Draw<'_>,
    scene: &Scene<'_>,
    layout: &Layout,
    selection: &Selection,
    state: &mut RelationsState,
    (cull, mut occupied): (Rect, Vec<Rect>),
) {
    let (model, cat) = (scene.doc.model, scene.doc.catalog);
    state.labels.clear();
    if !state.show || model.relations.is_empty() {
        return;
    }
    let zoom = d.screen_from_diagram.scaling;
    let base = colour(d.pal.dark);
    let visible: Vec<RelationLine> = lines(model, layout)
        .into_iter()
        .filter(|l| cull.intersects(Rect::from_two_pos(l.from, l.to)))
        .collect();
    for l in &visible {
        let selected = selection.relations.contains(&l.id);
        let c = if selected { d.pal.selection } else { base };
        let a = d.screen_from_diagram * l.from;
        let b = d.screen_from_diagram * l.to;
        let len = (b - a).length();
        if len < 2.0 {
            continue;
        }
        let dir = (b - a) / len;
        // Dots only where the canvas shows them: a long line zoomed in stays cheap.
        let Some((da, db)) = clip_segment(a, b, d.painter.clip_rect().expand(4.0)) else {
            continue;
        };
        let radius = if selected { 1.6 } else { 1.0 };
        let spacing = if selected { 5.0 } else { 4.5 };
        d.painter
            .extend(Shape::dotted_line(&[da, db], c, spacing, radius));
        // An open chevron at the target end: directed like a flow, but not filled.
        let head = (7.0 * zoom.sqrt()).clamp(4.0, 9.0);
        let normal = Vec2::new(-dir.y, dir.x);
        let back = b - dir * head;
        let stroke = Stroke::new(if selected { 1.8 } else { 1.2 }, c);
        d.painter
            .line_segment([back + normal * head * 0.5, b], stroke);
        d.painter
            .line_segment([back - normal * head * 0.5, b], stroke);
    }
    if zoom < FLOW_LABEL_MIN_ZOOM {
        return;
    }
    let diagram_from_screen = d.screen_from_diagram.inverse();
    // Selected relations label first, so theirs is never the one left out.
    let mut order: Vec<&RelationLine> = visible.iter().collect();
    order.sort_by_key(|l| !selection.relations.contains(&l.id));
    let font = FontId::proportional((9.5 * zoom).clamp(8.5, 14.0));
    for l in order {
        let Some(r) = model.relations.get(&l.id) else {
            continue;
        };
        let selected = selection.relations.contains(&l.id);
        let c = if selected { d.pal.selection } else { base };
        let text = crate::gui::inspector::relation_name(cat, &r.kind).to_owned();
        let galley = d
            .painter
            .layout(text, font.clone(), c, 180.0 * zoom.max(0.5));
        let size = galley.size() + Vec2::new(6.0, 2.0);
        let a = d.screen_from_diagram * l.from;
        let b = d.screen_from_diagram * l.to;
        if (b - a).length() < 24.0 && !selected {
            continue;
        }
        let plate = [0.5, 0.4, 0.6]
            .into_iter()
            .map(|t| Rect::from_center_size(a + (b - a) * t, size))
            .find(|p| selected || !occupied.iter().any(|o| o.intersects(*p)));
        let Some(plate) = plate else {
            continue;
        };
        occupied.push(plate.expand(2.0));
        d.painter
            .rect_filled(plate, CornerRadius::same(2), d.pal.label_bg);
        d.painter.rect_stroke(
            plate,
            CornerRadius::same(2),
            Stroke::new(0.6, c.gamma_multiply(0.6)),
            egui::StrokeKind::Inside,
        );
        d.painter
            .galley(Pos2::new(plate.left() + 3.0, plate.top() + 1.0), galley, c);
        state
            .labels
            .push((l.id.clone(), diagram_from_screen * plate));
    }
}

/// The part of the segment `a`–`b` inside `r` (Liang–Barsky), if any.
fn clip_segment(a: Pos2, b: Pos2, r: Rect) -> Option<(Pos2, Pos2)> {
    let d = b - a;
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for (p, q) in [
        (-d.x, a.x - r.left()),
        (d.x, r.right() - a.x),
        (-d.y, a.y - r.top()),
        (d.y, r.bottom() - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
            continue;
        }
        let t = q / p;
        if p < 0.0 {
            t0 = t0.max(t);
        } else {
            t1 = t1.min(t);
        }
        if t0 > t1 {
            return None;
        }
    }
    Some((a + d * t0, a + d * t1))
}

/// The relation under `p` (diagram space): a label plate, or the line itself. Only
/// asked when nothing else (element, flow, boundary frame) is there.
pub fn hit(
    model: &Model,
    layout: &Layout,
    state: &RelationsState,
    p: Pos2,
    tol: Tolerance,
) -> Option<RelationId> {
    if !state.show || model.relations.is_empty() {
        return None;
    }
    if let Some((id, _)) = state.labels.iter().rev().find(|(_, r)| r.contains(p)) {
        return Some(id.clone());
    }
    lines(model, layout)
        .into_iter()
        .map(|l| (distance_to_segment(p, l.from, l.to), l.id))
        .filter(|(dist, _)| *dist <= tol.line)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

/// Handles a click at `p` that the canvas's own hit test (`under`, with tolerance `tol`)
/// put on empty space or a boundary's interior: selects a relation under the pointer.
/// Returns whether it did.
pub fn click(
    model: &Model,
    layout: &Layout,
    state: &RelationsState,
    selection: &mut Selection,
    (under, p, tol): (&Hit, Pos2, Tolerance),
    shift: bool,
) -> bool {
    if !matches!(under, Hit::Nothing | Hit::BoundaryInterior(_)) {
        return false;
    }
    let Some(id) = hit(model, layout, state, p, tol) else {
        return false;
    };
    if shift {
        selection.toggle(Item::Relation(id));
    } else {
        selection.select_only(Item::Relation(id));
    }
    true
}

/// The "Relations" toggle in the canvas's top-right corner, shown when the model has
/// relations.
pub fn toggle_ui(ui: &mut egui::Ui, canvas: Rect, model: &Model, state: &mut RelationsState) {
    if model.relations.is_empty() {
        return;
    }
    let size = Vec2::new(92.0, 22.0);
    let r = Rect::from_min_size(
        Pos2::new(canvas.right() - size.x - 8.0, canvas.top() + 8.0),
        size,
    );
    let resp = ui
        .put(
            r,
            egui::Button::selectable(state.show, "Relations").corner_radius(3.0),
        )
        .on_hover_text(if state.show {
            "Hide the relations (uses, binds, mounts, runs on …)"
        } else {
            "Show the relations (uses, binds, mounts, runs on …)"
        });
    if resp.clicked() {
        state.show = !state.show;
    }
}

/// Edits that remove the selected relations, except those an element removal in the
/// same delete takes with it.
pub fn delete_edits(model: &Model, selection: &Selection) -> Vec<crate::model::Edit> {
    selection
        .relations
        .iter()
        .filter_map(|id| model.relations.get(id))
        .filter(|r| {
            !selection.elements.contains(&r.source) && !selection.elements.contains(&r.target)
        })
        .map(|r| crate::model::Edit::RemoveRelation(r.id.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Element, Props, Relation};
    use crate::rules::Catalog;

    fn model() -> Model {
        let mut m = Model::new("t");
        for (id, x) in [("a", 100.0), ("b", 400.0)] {
            let e = Element {
                crown_jewel: Default::default(),
                entry_point: Default::default(),
                provenance: Default::default(),
                id: id.into(),
                name: id.to_uppercase(),
                kind: "generic.process".into(),
                boundary: None,
                pos: (x, 100.0),
                props: Props::new(),
            };
            m.elements.insert(e.id.clone(), e);
        }
        for (id, s, t) in [
            ("r1", "a", "b"),
            ("self", "a", "a"),
            ("dangling", "a", "gone"),
        ] {
            m.relations.insert(
                id.into(),
                Relation {
                    id: id.into(),
                    kind: "u.uses".into(),
                    source: s.into(),
                    target: t.into(),
                    props: Props::new(),
                },
            );
        }
        m
    }

    #[test]
    fn lines_run_between_outlines_and_skip_self_and_dangling_relations() {
        let cat = Catalog::builtin();
        let m = model();
        let layout = Layout::new(&m, &cat, &super::super::layout::Preview::default());
        let ls = lines(&m, &layout);
        assert_eq!(ls.len(), 1);
        let l = &ls[0];
        assert_eq!(l.id.as_str(), "r1");
        let a = layout.element(&"a".into()).map(|b| b.rect);
        let b = layout.element(&"b".into()).map(|b| b.rect);
        assert_eq!(a.map(|r| (r.right() - l.from.x).abs() < 0.5), Some(true));
        assert_eq!(b.map(|r| (r.left() - l.to.x).abs() < 0.5), Some(true));
    }

    #[test]
    fn a_click_on_the_line_selects_the_relation_unless_hidden() {
        let cat = Catalog::builtin();
        let m = model();
        let layout = Layout::new(&m, &cat, &super::super::layout::Preview::default());
        let mut state = RelationsState::default();
        let tol = Tolerance::at_zoom(1.0);
        let mut sel = Selection::default();
        let mid = Pos2::new(250.0, 101.0);
        assert!(click(
            &m,
            &layout,
            &state,
            &mut sel,
            (&Hit::Nothing, mid, tol),
            false
        ));
        assert_eq!(sel.single(), Some(Item::Relation("r1".into())));
        let far = Pos2::new(250.0, 140.0);
        assert!(!click(
            &m,
            &layout,
            &state,
            &mut sel,
            (&Hit::Nothing, far, tol),
            false
        ));
        // Elements and flows win over a relation passing under them.
        let on_element = Hit::Element("a".into());
        assert!(!click(
            &m,
            &layout,
            &state,
            &mut sel,
            (&on_element, mid, tol),
            false
        ));
        state.show = false;
        sel.clear_items();
        assert!(!click(
            &m,
            &layout,
            &state,
            &mut sel,
            (&Hit::Nothing, mid, tol),
            false
        ));
        assert!(sel.is_empty());
    }

    #[test]
    fn segments_are_clipped_to_the_canvas() {
        let r = Rect::from_min_max(Pos2::new(0.0, 0.0), Pos2::new(100.0, 100.0));
        let clipped = clip_segment(Pos2::new(-50.0, 50.0), Pos2::new(150.0, 50.0), r);
        assert_eq!(
            clipped,
            Some((Pos2::new(0.0, 50.0), Pos2::new(100.0, 50.0)))
        );
        assert_eq!(
            clip_segment(Pos2::new(-50.0, -5.0), Pos2::new(150.0, -5.0), r),
            None
        );
        let inside = (Pos2::new(10.0, 10.0), Pos2::new(20.0, 30.0));
        assert_eq!(clip_segment(inside.0, inside.1, r), Some(inside));
    }

    #[test]
    fn copy_and_paste_bring_relations_whose_ends_both_come_along() {
        let cat = Catalog::builtin();
        let mut m = model();
        let both: std::collections::BTreeSet<crate::model::ElementId> =
            ["a".into(), "b".into()].into();
        let clip = super::super::ops::clip_model(&m, &both, &Default::default());
        assert_eq!(clip.relations.len(), 2, "r1 and the self relation on a");
        let pasted = super::super::ops::paste_edits(&m, &cat, &clip, Vec2::new(40.0, 40.0));
        for e in pasted.edits {
            if let Err(err) = e.apply(&mut m) {
                panic!("{err}");
            }
        }
        let copies: Vec<&crate::model::Relation> = m
            .relations
            .values()
            .filter(|r| pasted.elements.contains(&r.source))
            .collect();
        assert_eq!(copies.len(), 2);
        assert!(copies.iter().all(|r| pasted.elements.contains(&r.target)));
        let only_a: std::collections::BTreeSet<crate::model::ElementId> = ["a".into()].into();
        let clip = super::super::ops::clip_model(&m, &only_a, &Default::default());
        assert_eq!(
            clip.relations.len(),
            1,
            "only the relation from a to itself"
        );
    }

    #[test]
    fn deleting_keeps_relations_that_an_element_removal_takes_anyway() {
        let m = model();
        let mut sel = Selection::default();
        sel.relations.insert("r1".into());
        assert_eq!(delete_edits(&m, &sel).len(), 1);
        sel.elements.insert("b".into());
        assert!(delete_edits(&m, &sel).is_empty());
    }
}
