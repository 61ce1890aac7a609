//! Canvas actions as pure functions from the model to [`Edit`]s: move (with membership on
//! drop), resize, create, connect, delete, duplicate, copy / paste, align. The canvas and
//! the menus call these; the app applies the edits as one undo step.

use super::layout::{
    Layout, Preview, descendants, members_deep, membership_on_drop, parent_on_drop,
    rect_from_tuple, tuple_from_rect,
};
use crate::geometry;
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, Edit, Element, ElementId, Flow, FlowId, Model, Props,
};
use crate::rules::Catalog;
use eframe::egui::{Pos2, Rect, Vec2};
use std::collections::{BTreeMap, BTreeSet};

/// Hands out ids that are unused in a model and among the ids already handed out.
#[derive(Debug)]
pub struct IdMaker<'m> {
    model: &'m Model,
    taken: BTreeSet<String>,
}

impl<'m> IdMaker<'m> {
    /// A maker for ids new to `model`.
    pub fn new(model: &'m Model) -> Self {
        IdMaker {
            model,
            taken: BTreeSet::new(),
        }
    }

    /// A fresh id `prefix-N`.
    pub fn make(&mut self, prefix: &str) -> String {
        let prefix = id_prefix(prefix);
        let mut n = 1usize;
        loop {
            let cand = format!("{prefix}-{n}");
            let used = self.model.elements.contains_key(cand.as_str())
                || self.model.flows.contains_key(cand.as_str())
                || self.model.boundaries.contains_key(cand.as_str())
                || self.model.manual_threats.contains_key(cand.as_str())
                || self.taken.contains(&cand);
            if !used {
                self.taken.insert(cand.clone());
                return cand;
            }
            n += 1;
        }
    }
}

/// Turns a kind or name into something usable as an id prefix: the last `.` segment,
/// lower case, with other characters replaced by `-`.
pub fn id_prefix(s: &str) -> String {
    let last = s.rsplit('.').next().unwrap_or(s);
    let mut out: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "item".to_owned()
    } else {
        out
    }
}

fn pos_tuple(p: Pos2) -> (f64, f64) {
    (p.x as f64, p.y as f64)
}

/// Edits that move elements and boundaries by `delta`. Moving a boundary carries its
/// members and nested boundaries. Directly moved elements join the innermost boundary
/// containing their new centre; directly moved boundaries get the innermost boundary
/// containing them as their new parent.
pub fn move_edits(
    model: &Model,
    cat: &Catalog,
    elements: &BTreeSet<ElementId>,
    boundaries: &BTreeSet<BoundaryId>,
    delta: Vec2,
) -> Vec<Edit> {
    if delta == Vec2::ZERO || !delta.is_finite() {
        return Vec::new();
    }
    let preview = move_preview(model, elements, boundaries, delta);
    let after = Layout::new(model, cat, &preview);
    let mut edits = Vec::new();
    // Boundaries whose parent is also moving are carried; only the top ones may re-parent.
    for id in &preview.moved_boundaries {
        let Some(b) = model.boundaries.get(id) else {
            continue;
        };
        let mut nb = b.clone();
        let rect = rect_from_tuple(b.rect).translate(delta);
        nb.rect = tuple_from_rect(rect);
        let carried = b
            .parent
            .as_ref()
            .is_some_and(|p| preview.moved_boundaries.contains(p));
        if !carried {
            nb.parent = parent_on_drop(model, &after, id, rect);
        }
        if nb != *b {
            edits.push(Edit::ReplaceBoundary(nb));
        }
    }
    let carried_elements: BTreeSet<ElementId> = boundaries
        .iter()
        .flat_map(|b| members_deep(model, b))
        .collect();
    for id in &preview.moved_elements {
        let Some(e) = model.elements.get(id) else {
            continue;
        };
        let centre = Pos2::new(e.pos.0 as f32, e.pos.1 as f32) + delta;
        edits.push(Edit::MoveElement(id.clone(), pos_tuple(centre)));
        if !carried_elements.contains(id) {
            let b = membership_on_drop(&after, centre);
            if b != e.boundary {
                edits.push(Edit::SetElementBoundary(id.clone(), b));
            }
        }
    }
    edits
}

/// What a move of these items shows while dragging: the items plus everything their
/// boundaries carry.
pub fn move_preview(
    model: &Model,
    elements: &BTreeSet<ElementId>,
    boundaries: &BTreeSet<BoundaryId>,
    delta: Vec2,
) -> Preview {
    let mut moved_boundaries: BTreeSet<BoundaryId> = boundaries
        .iter()
        .filter(|b| model.boundaries.contains_key(*b))
        .cloned()
        .collect();
    for b in boundaries {
        moved_boundaries.extend(descendants(model, b));
    }
    let mut moved_elements: BTreeSet<ElementId> = elements
        .iter()
        .filter(|e| model.elements.contains_key(*e))
        .cloned()
        .collect();
    for b in boundaries {
        moved_elements.extend(members_deep(model, b));
    }
    Preview {
        moved_elements,
        moved_boundaries,
        delta,
        resized: None,
    }
}

/// Edits that resize a boundary; elements whose centres cross its outline are re-homed
/// to the innermost boundary containing them.
pub fn resize_edits(model: &Model, cat: &Catalog, id: &BoundaryId, rect: Rect) -> Vec<Edit> {
    let Some(b) = model.boundaries.get(id) else {
        return Vec::new();
    };
    let old = rect_from_tuple(b.rect);
    if old == rect || !rect.is_finite() {
        return Vec::new();
    }
    let mut nb = b.clone();
    nb.rect = tuple_from_rect(rect);
    let preview = Preview {
        resized: Some((id.clone(), rect)),
        ..Preview::default()
    };
    let after = Layout::new(model, cat, &preview);
    let mut edits = vec![Edit::ReplaceBoundary(nb)];
    for e in model.elements.values() {
        let c = Pos2::new(e.pos.0 as f32, e.pos.1 as f32);
        if old.contains(c) != rect.contains(c) {
            let nb = membership_on_drop(&after, c);
            if nb != e.boundary {
                edits.push(Edit::SetElementBoundary(e.id.clone(), nb));
            }
        }
    }
    edits
}

/// A new element of a stencil kind at `centre`, inside the innermost boundary there.
pub fn new_element(model: &Model, cat: &Catalog, kind: &str, centre: Pos2) -> Element {
    let layout = Layout::new(model, cat, &Preview::default());
    let name = cat
        .stencil(kind)
        .map(|s| s.stencil.name.clone())
        .unwrap_or_else(|| kind.to_owned());
    let id = IdMaker::new(model).make(kind);
    Element {
        provenance: Default::default(),
        id: ElementId::new(id),
        name,
        kind: kind.to_owned(),
        boundary: membership_on_drop(&layout, centre),
        pos: pos_tuple(centre),
        props: Props::new(),
        entry_point: false,
        crown_jewel: false,
    }
}

/// A new boundary drawn at `rect`, nested in the innermost boundary containing it; the
/// elements and top-level boundaries it encloses move into it.
pub fn new_boundary_edits(model: &Model, cat: &Catalog, rect: Rect) -> (BoundaryId, Vec<Edit>) {
    let layout = Layout::new(model, cat, &Preview::default());
    let id = BoundaryId::new(IdMaker::new(model).make("boundary"));
    let parent =
        super::layout::innermost_containing(&layout, |r| r.contains_rect(rect), &BTreeSet::new());
    let b = Boundary {
        props: Default::default(),
        id: id.clone(),
        name: "Trust boundary".to_owned(),
        kind: BoundaryKind::NetworkZone,
        trust: BoundaryKind::NetworkZone.default_trust(),
        parent: parent.clone(),
        rect: tuple_from_rect(rect),
    };
    let mut edits = vec![Edit::AddBoundary(b)];
    // Adopt what it encloses and what was in the same parent.
    for e in model.elements.values() {
        let c = Pos2::new(e.pos.0 as f32, e.pos.1 as f32);
        if rect.contains(c) && e.boundary == parent {
            edits.push(Edit::SetElementBoundary(e.id.clone(), Some(id.clone())));
        }
    }
    for other in model.boundaries.values() {
        if other.parent == parent && rect.contains_rect(rect_from_tuple(other.rect)) {
            let mut o = other.clone();
            o.parent = Some(id.clone());
            edits.push(Edit::ReplaceBoundary(o));
        }
    }
    (id, edits)
}

/// A new flow from one element to another.
pub fn new_flow(model: &Model, from: &ElementId, to: &ElementId) -> Flow {
    let id = IdMaker::new(model).make("flow");
    Flow {
        channel: Default::default(),
        id: FlowId::new(id),
        name: String::new(),
        source: from.clone(),
        target: to.clone(),
        props: Props::new(),
    }
}

/// Edits that delete the selected items. Flows go first (a removed element takes its
/// flows with it), then elements, then boundaries (whose members move to the parent).
pub fn delete_edits(
    model: &Model,
    elements: &BTreeSet<ElementId>,
    flows: &BTreeSet<FlowId>,
    boundaries: &BTreeSet<BoundaryId>,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    for f in flows {
        let Some(fl) = model.flows.get(f) else {
            continue;
        };
        if !elements.contains(&fl.source) && !elements.contains(&fl.target) {
            edits.push(Edit::RemoveFlow(f.clone()));
        }
    }
    for e in elements {
        if model.elements.contains_key(e) {
            edits.push(Edit::RemoveElement(e.clone()));
        }
    }
    // Innermost first, so each removal re-parents into a boundary that still exists.
    let mut bs: Vec<&BoundaryId> = boundaries
        .iter()
        .filter(|b| model.boundaries.contains_key(*b))
        .collect();
    bs.sort_by_key(|b| std::cmp::Reverse(super::layout::depth_of(model, b)));
    for b in bs {
        edits.push(Edit::RemoveBoundary(b.clone()));
    }
    edits
}

/// The selected items as a stand-alone model (the clipboard format): the elements, the
/// flows between them, and the boundaries, with parents and memberships that point
/// outside the copy cleared.
pub fn clip_model(
    model: &Model,
    elements: &BTreeSet<ElementId>,
    boundaries: &BTreeSet<BoundaryId>,
) -> Model {
    let mut clip = Model::new("clipboard");
    // Copying a boundary copies what is inside it.
    let mut bs: BTreeSet<BoundaryId> = boundaries.clone();
    for b in boundaries {
        bs.extend(descendants(model, b));
    }
    let mut es: BTreeSet<ElementId> = elements.clone();
    for b in boundaries {
        es.extend(members_deep(model, b));
    }
    for id in &bs {
        if let Some(b) = model.boundaries.get(id) {
            let mut b = b.clone();
            if b.parent.as_ref().is_some_and(|p| !bs.contains(p)) {
                b.parent = None;
            }
            clip.boundaries.insert(id.clone(), b);
        }
    }
    for id in &es {
        if let Some(e) = model.elements.get(id) {
            let mut e = e.clone();
            if e.boundary.as_ref().is_some_and(|b| !bs.contains(b)) {
                e.boundary = None;
            }
            clip.elements.insert(id.clone(), e);
        }
    }
    for f in model.flows.values() {
        // A flow comes along when both its ends do; a selected flow alone has nothing to
        // attach to in another model.
        if es.contains(&f.source) && es.contains(&f.target) {
            clip.flows.insert(f.id.clone(), f.clone());
        }
    }
    // Relations likewise.
    for r in model.relations.values() {
        if es.contains(&r.source) && es.contains(&r.target) {
            clip.relations.insert(r.id.clone(), r.clone());
        }
    }
    clip
}

/// What a paste adds, and the ids of the new items so they can be selected.
#[derive(Debug, Default)]
pub struct Pasted {
    /// The edits (one undo step).
    pub edits: Vec<Edit>,
    /// New elements.
    pub elements: BTreeSet<ElementId>,
    /// New flows.
    pub flows: BTreeSet<FlowId>,
    /// New boundaries.
    pub boundaries: BTreeSet<BoundaryId>,
}

/// Edits that paste a clipboard model into `model`, moved by `offset`, with fresh ids.
/// Items keep their nesting inside the pasted group; top-level pasted items join the
/// innermost boundary of the target model where they land.
pub fn paste_edits(model: &Model, cat: &Catalog, clip: &Model, offset: Vec2) -> Pasted {
    let mut ids = IdMaker::new(model);
    let layout = Layout::new(model, cat, &Preview::default());
    let bmap: BTreeMap<BoundaryId, BoundaryId> = clip
        .boundaries
        .keys()
        .map(|b| {
            (
                b.clone(),
                BoundaryId::new(
                    ids.make(
                        b.as_str()
                            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-'),
                    ),
                ),
            )
        })
        .collect();
    let emap: BTreeMap<ElementId, ElementId> = clip
        .elements
        .values()
        .map(|e| (e.id.clone(), ElementId::new(ids.make(&e.kind))))
        .collect();
    let mut out = Pasted::default();
    // Parents before children, so every AddBoundary finds its parent.
    let mut bs: Vec<&Boundary> = clip.boundaries.values().collect();
    bs.sort_by_key(|b| super::layout::depth_of(clip, &b.id));
    for b in bs {
        let Some(new_id) = bmap.get(&b.id) else {
            continue;
        };
        let rect = rect_from_tuple(b.rect).translate(offset);
        let parent = match b.parent.as_ref().and_then(|p| bmap.get(p)) {
            Some(p) => Some(p.clone()),
            None => super::layout::innermost_containing(
                &layout,
                |r| r.contains_rect(rect),
                &BTreeSet::new(),
            ),
        };
        let nb = Boundary {
            id: new_id.clone(),
            parent,
            rect: tuple_from_rect(rect),
            ..b.clone()
        };
        out.boundaries.insert(new_id.clone());
        out.edits.push(Edit::AddBoundary(nb));
    }
    for e in clip.elements.values() {
        let Some(new_id) = emap.get(&e.id) else {
            continue;
        };
        let centre = Pos2::new(e.pos.0 as f32, e.pos.1 as f32) + offset;
        if !centre.is_finite() {
            continue;
        }
        let boundary = match e.boundary.as_ref().and_then(|b| bmap.get(b)) {
            Some(b) => Some(b.clone()),
            None => membership_on_drop(&layout, centre),
        };
        let ne = Element {
            provenance: Default::default(),
            id: new_id.clone(),
            boundary,
            pos: pos_tuple(centre),
            ..e.clone()
        };
        out.elements.insert(new_id.clone());
        out.edits.push(Edit::AddElement(ne));
    }
    for f in clip.flows.values() {
        let (Some(s), Some(t)) = (emap.get(&f.source), emap.get(&f.target)) else {
            continue;
        };
        let id = FlowId::new(ids.make("flow"));
        out.flows.insert(id.clone());
        out.edits.push(Edit::AddFlow(Flow {
            id,
            source: s.clone(),
            target: t.clone(),
            ..f.clone()
        }));
    }
    for r in clip.relations.values() {
        let (Some(s), Some(t)) = (emap.get(&r.source), emap.get(&r.target)) else {
            continue;
        };
        out.edits.push(Edit::AddRelation(crate::model::Relation {
            id: crate::model::RelationId::new(ids.make("relation")),
            source: s.clone(),
            target: t.clone(),
            ..r.clone()
        }));
    }
    out
}

/// How to line up selected elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Same left edge.
    Left,
    /// Same vertical centre line.
    CentreX,
    /// Same right edge.
    Right,
    /// Same top edge.
    Top,
    /// Same horizontal centre line.
    CentreY,
    /// Same bottom edge.
    Bottom,
    /// Equal horizontal spacing between centres.
    DistributeX,
    /// Equal vertical spacing between centres.
    DistributeY,
}

impl Align {
    /// Every alignment, in menu order.
    pub const ALL: [Align; 8] = [
        Align::Left,
        Align::CentreX,
        Align::Right,
        Align::Top,
        Align::CentreY,
        Align::Bottom,
        Align::DistributeX,
        Align::DistributeY,
    ];

    /// Menu label.
    pub fn label(self) -> &'static str {
        match self {
            Align::Left => "Align left",
            Align::CentreX => "Align centres vertically",
            Align::Right => "Align right",
            Align::Top => "Align top",
            Align::CentreY => "Align centres horizontally",
            Align::Bottom => "Align bottom",
            Align::DistributeX => "Distribute horizontally",
            Align::DistributeY => "Distribute vertically",
        }
    }
}

/// Edits that align or distribute elements (at least two; three to distribute).
pub fn align_edits(
    model: &Model,
    cat: &Catalog,
    elements: &BTreeSet<ElementId>,
    how: Align,
) -> Vec<Edit> {
    let boxes: Vec<(ElementId, Rect)> = elements
        .iter()
        .filter_map(|id| model.elements.get(id))
        .map(|e| {
            (
                e.id.clone(),
                rect_from_tuple(geometry::element_rect(cat, e)),
            )
        })
        .filter(|(_, r)| r.is_finite())
        .collect();
    if boxes.len() < 2 {
        return Vec::new();
    }
    let mut targets: Vec<(ElementId, Pos2)> = Vec::new();
    let min_l = boxes
        .iter()
        .map(|(_, r)| r.left())
        .fold(f32::INFINITY, f32::min);
    let max_r = boxes
        .iter()
        .map(|(_, r)| r.right())
        .fold(f32::NEG_INFINITY, f32::max);
    let min_t = boxes
        .iter()
        .map(|(_, r)| r.top())
        .fold(f32::INFINITY, f32::min);
    let max_b = boxes
        .iter()
        .map(|(_, r)| r.bottom())
        .fold(f32::NEG_INFINITY, f32::max);
    let mean_x = boxes.iter().map(|(_, r)| r.center().x).sum::<f32>() / boxes.len() as f32;
    let mean_y = boxes.iter().map(|(_, r)| r.center().y).sum::<f32>() / boxes.len() as f32;
    match how {
        Align::Left
        | Align::CentreX
        | Align::Right
        | Align::Top
        | Align::CentreY
        | Align::Bottom => {
            for (id, r) in &boxes {
                let c = r.center();
                let p = match how {
                    Align::Left => Pos2::new(min_l + r.width() / 2.0, c.y),
                    Align::CentreX => Pos2::new(mean_x, c.y),
                    Align::Right => Pos2::new(max_r - r.width() / 2.0, c.y),
                    Align::Top => Pos2::new(c.x, min_t + r.height() / 2.0),
                    Align::CentreY => Pos2::new(c.x, mean_y),
                    _ => Pos2::new(c.x, max_b - r.height() / 2.0),
                };
                targets.push((id.clone(), p));
            }
        }
        Align::DistributeX | Align::DistributeY => {
            if boxes.len() < 3 {
                return Vec::new();
            }
            let horizontal = how == Align::DistributeX;
            let key = |r: &Rect| {
                if horizontal {
                    r.center().x
                } else {
                    r.center().y
                }
            };
            let mut sorted = boxes.clone();
            sorted.sort_by(|a, b| key(&a.1).total_cmp(&key(&b.1)));
            let first = key(&sorted[0].1);
            let last = key(&sorted[sorted.len() - 1].1);
            let step = (last - first) / (sorted.len() - 1) as f32;
            for (i, (id, r)) in sorted.iter().enumerate() {
                let v = first + step * i as f32;
                let c = r.center();
                targets.push((
                    id.clone(),
                    if horizontal {
                        Pos2::new(v, c.y)
                    } else {
                        Pos2::new(c.x, v)
                    },
                ));
            }
        }
    }
    let layout = Layout::new(model, cat, &Preview::default());
    let mut edits = Vec::new();
    for (id, p) in targets {
        let Some(e) = model.elements.get(&id) else {
            continue;
        };
        if pos_tuple(p) != e.pos {
            edits.push(Edit::MoveElement(id.clone(), pos_tuple(p)));
            let b = membership_on_drop(&layout, p);
            if b != e.boundary {
                edits.push(Edit::SetElementBoundary(id, b));
            }
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        let text = include_str!("../../../tests/rules/models/generic-open.ron");
        match crate::persist::load_bytes("generic-open.ron", text.as_bytes()) {
            Ok(l) => l.model,
            Err(e) => panic!("{e}"),
        }
    }

    fn apply(m: &mut Model, edits: Vec<Edit>) {
        if let Err(e) = Edit::Batch(edits).apply(m) {
            panic!("edits apply: {e}");
        }
    }

    fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
        items.iter().cloned().collect()
    }

    #[test]
    fn dragging_an_element_into_a_boundary_makes_it_a_member() {
        let cat = Catalog::builtin();
        let mut m = model();
        // `user` sits in `internet` (0..250); drag it into `dc` (300..800).
        let edits = move_edits(
            &m,
            &cat,
            &set(&["user".into()]),
            &BTreeSet::new(),
            Vec2::new(420.0, 100.0),
        );
        assert!(
            edits.contains(&Edit::SetElementBoundary("user".into(), Some("dc".into()))),
            "{edits:?}"
        );
        apply(&mut m, edits);
        assert_eq!(m.elements["user"].boundary, Some("dc".into()));
        assert_eq!(m.elements["user"].pos, (520.0, 200.0));
    }

    #[test]
    fn dragging_out_of_every_boundary_clears_membership() {
        let cat = Catalog::builtin();
        let mut m = model();
        let edits = move_edits(
            &m,
            &cat,
            &set(&["api".into()]),
            &BTreeSet::new(),
            Vec2::new(0.0, 600.0),
        );
        apply(&mut m, edits);
        assert_eq!(m.elements["api"].boundary, None);
    }

    #[test]
    fn moving_a_boundary_carries_its_members_without_rehoming_them() {
        let cat = Catalog::builtin();
        let mut m = model();
        let before_db = m.elements["db"].pos;
        // Move `dc` right over empty space.
        let edits = move_edits(
            &m,
            &cat,
            &BTreeSet::new(),
            &set(&["dc".into()]),
            Vec2::new(1000.0, 0.0),
        );
        apply(&mut m, edits);
        assert_eq!(m.boundaries["dc"].rect.0, 1300.0);
        assert_eq!(m.elements["db"].pos, (before_db.0 + 1000.0, before_db.1));
        assert_eq!(m.elements["db"].boundary, Some("dc".into()));
        // Moving it over `internet` does not nest it there unless it fits inside.
        assert_eq!(m.boundaries["dc"].parent, None);
    }

    #[test]
    fn a_boundary_dropped_inside_another_is_nested_with_its_contents() {
        let cat = Catalog::builtin();
        let mut m = model();
        // Shrink `internet` so it fits inside `dc`, then drop it there.
        let edits = resize_edits(
            &m,
            &cat,
            &"internet".into(),
            Rect::from_min_size(Pos2::ZERO, Vec2::new(240.0, 200.0)),
        );
        apply(&mut m, edits);
        let edits = move_edits(
            &m,
            &cat,
            &BTreeSet::new(),
            &set(&["internet".into()]),
            Vec2::new(520.0, 60.0),
        );
        apply(&mut m, edits);
        assert_eq!(m.boundaries["internet"].parent, Some("dc".into()));
        assert_eq!(m.elements["user"].boundary, Some("internet".into()));
    }

    #[test]
    fn resizing_rehomes_elements_that_cross_the_outline() {
        let cat = Catalog::builtin();
        let mut m = model();
        // Shrink `dc` so `db` (650, 100) falls outside it.
        let edits = resize_edits(
            &m,
            &cat,
            &"dc".into(),
            Rect::from_min_size(Pos2::new(300.0, 0.0), Vec2::new(250.0, 300.0)),
        );
        apply(&mut m, edits);
        assert_eq!(m.elements["db"].boundary, None);
        assert_eq!(m.elements["api"].boundary, Some("dc".into()));
    }

    #[test]
    fn new_elements_land_in_the_innermost_boundary() {
        let cat = Catalog::builtin();
        let m = model();
        let e = new_element(&m, &cat, "generic.store", Pos2::new(500.0, 250.0));
        assert_eq!(e.boundary, Some("dc".into()));
        assert_eq!(e.id.as_str(), "store-1");
        assert_eq!(e.name, "Data store");
    }

    #[test]
    fn a_drawn_boundary_adopts_what_it_encloses() {
        let cat = Catalog::builtin();
        let mut m = model();
        let (id, edits) = new_boundary_edits(
            &m,
            &cat,
            Rect::from_min_size(Pos2::new(320.0, 40.0), Vec2::new(200.0, 150.0)),
        );
        apply(&mut m, edits);
        assert_eq!(m.boundaries[&id].parent, Some("dc".into()));
        assert_eq!(m.elements["api"].boundary, Some(id));
        assert_eq!(m.elements["db"].boundary, Some("dc".into()));
    }

    #[test]
    fn delete_removes_items_and_is_one_consistent_batch() {
        let mut m = model();
        let edits = delete_edits(
            &m,
            &set(&["api".into()]),
            &set(&["api-to-db".into(), "user-to-db".into()]),
            &set(&["dc".into()]),
        );
        apply(&mut m, edits);
        assert!(!m.elements.contains_key("api"));
        assert!(m.flows.is_empty());
        assert!(!m.boundaries.contains_key("dc"));
        assert_eq!(
            m.elements["db"].boundary, None,
            "members of a deleted boundary move to its parent"
        );
    }

    #[test]
    fn copy_paste_round_trips_through_text_with_fresh_ids() {
        let cat = Catalog::builtin();
        let mut m = model();
        let clip = clip_model(&m, &set(&["api".into(), "db".into()]), &BTreeSet::new());
        assert_eq!(
            clip.flows.len(),
            1,
            "the flow between copied elements comes along"
        );
        let text = match crate::persist::to_text(&clip) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let back = match crate::persist::load_bytes("clipboard", text.as_bytes()) {
            Ok(l) => l.model,
            Err(e) => panic!("{e}"),
        };
        let pasted = paste_edits(&m, &cat, &back, Vec2::new(0.0, 120.0));
        apply(&mut m, pasted.edits);
        assert_eq!(m.elements.len(), 5);
        assert_eq!(m.flows.len(), 4);
        for id in &pasted.elements {
            assert_eq!(
                m.elements[id].boundary,
                Some("dc".into()),
                "pasted inside dc"
            );
        }
    }

    #[test]
    fn pasting_a_boundary_keeps_nesting() {
        let cat = Catalog::builtin();
        let mut m = model();
        let clip = clip_model(&m, &BTreeSet::new(), &set(&["dc".into()]));
        assert_eq!(clip.elements.len(), 2);
        let pasted = paste_edits(&m, &cat, &clip, Vec2::new(0.0, 400.0));
        apply(&mut m, pasted.edits);
        let Some(nb) = pasted.boundaries.iter().next() else {
            panic!("a boundary was pasted")
        };
        for e in &pasted.elements {
            assert_eq!(m.elements[e].boundary.as_ref(), Some(nb));
        }
    }

    #[test]
    fn align_left_and_distribute() {
        let cat = Catalog::builtin();
        let mut m = model();
        let all = set(&["api".into(), "db".into(), "user".into()]);
        let edits = align_edits(&m, &cat, &all, Align::CentreY);
        apply(&mut m, edits);
        let ys: BTreeSet<i64> = m.elements.values().map(|e| e.pos.1 as i64).collect();
        assert_eq!(ys.len(), 1);
        let edits = align_edits(&m, &cat, &all, Align::DistributeX);
        apply(&mut m, edits);
        let mut xs: Vec<f64> = m.elements.values().map(|e| e.pos.0).collect();
        xs.sort_by(f64::total_cmp);
        assert!(((xs[1] - xs[0]) - (xs[2] - xs[1])).abs() < 1e-3);
    }

    #[test]
    fn id_prefixes_are_valid_ids() {
        assert_eq!(id_prefix("docker.container"), "container");
        assert_eq!(id_prefix("k8s.Pod Group!"), "pod-group");
        assert_eq!(id_prefix("..."), "item");
        let m = model();
        let mut ids = IdMaker::new(&m);
        assert_eq!(ids.make("flow"), "flow-1");
        assert_eq!(ids.make("flow"), "flow-2");
        assert!(crate::model::check_id(&ids.make("x.y z")).is_ok());
    }
}
