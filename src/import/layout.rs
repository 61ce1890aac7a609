//! A deterministic automatic layout for imported models that carry no positions.
//!
//! Boundaries are laid out bottom-up: each boundary's direct members are placed in
//! columns by flow direction (a source to the left of what it feeds), and its child
//! boundaries are packed as boxes in rows after them; the parent's rectangle then
//! wraps both with padding and room for the children's title tabs. Nothing overlaps,
//! and the same model always gets the same coordinates (everything is ordered by id).

use crate::model::{BoundaryId, ElementId, Model};
use std::collections::{BTreeMap, BTreeSet};

/// Height of a boundary's title tab above its rectangle (as drawn by the canvas and the
/// PDF; see `geometry::bounds`).
const TAB: f64 = 22.0;
/// Largest element drawn (see `geometry::element_size`).
const ELEM_W: f64 = 140.0;
const ELEM_H: f64 = 70.0;
/// Room between element columns, for the flow labels.
const GAP_X: f64 = 90.0;
/// Room between elements in one column.
const GAP_Y: f64 = 40.0;
/// Padding inside a boundary's rectangle.
const PAD: f64 = 30.0;
/// Room between packed boxes (leaves space for the next box's title tab).
const BOX_GAP: f64 = 40.0;
/// Most elements stacked in one column before it wraps into another.
const MAX_COLUMN: usize = 6;

/// A laid-out box: a size, and the relative positions of what it holds.
#[derive(Default)]
struct Block {
    w: f64,
    h: f64,
    /// Element centres relative to the block's top-left corner.
    elements: Vec<(ElementId, f64, f64)>,
    /// Boundary rectangles `(x, y, w, h)` relative to the block's top-left corner.
    boundaries: Vec<(BoundaryId, f64, f64, f64, f64)>,
}

impl Block {
    fn shift(&mut self, dx: f64, dy: f64) {
        for e in &mut self.elements {
            e.1 += dx;
            e.2 += dy;
        }
        for b in &mut self.boundaries {
            b.1 += dx;
            b.2 += dy;
        }
    }
    fn absorb(&mut self, mut other: Block, dx: f64, dy: f64) {
        other.shift(dx, dy);
        self.elements.append(&mut other.elements);
        self.boundaries.append(&mut other.boundaries);
    }
}

/// Lays out every element and boundary of `model`, replacing their positions and
/// rectangles. Elements whose boundary does not exist, and boundaries whose parent does
/// not exist or that sit in a parent cycle, are laid out at the top level.
pub fn auto_layout(model: &mut Model) {
    let rank = flow_ranks(model);
    // The effective parent of each boundary: cut cycles and dangling parents.
    let mut parent: BTreeMap<BoundaryId, Option<BoundaryId>> = BTreeMap::new();
    for id in model.boundaries.keys() {
        let p = model.boundaries.get(id).and_then(|b| b.parent.clone());
        let p = p.filter(|p| model.boundaries.contains_key(p) && !in_cycle(model, id));
        parent.insert(id.clone(), p);
    }
    let mut children: BTreeMap<Option<BoundaryId>, Vec<BoundaryId>> = BTreeMap::new();
    for (id, p) in &parent {
        children.entry(p.clone()).or_default().push(id.clone());
    }
    let mut members: BTreeMap<Option<BoundaryId>, Vec<ElementId>> = BTreeMap::new();
    for e in model.elements.values() {
        let b = e
            .boundary
            .clone()
            .filter(|b| model.boundaries.contains_key(b));
        members.entry(b).or_default().push(e.id.clone());
    }
    let top = layout_container(None, &children, &members, &rank);
    let (ox, oy) = (40.0, 40.0 + TAB);
    for (id, x, y) in top.elements {
        if let Some(e) = model.elements.get_mut(&id) {
            e.pos = (x + ox, y + oy);
        }
    }
    for (id, x, y, w, h) in top.boundaries {
        if let Some(b) = model.boundaries.get_mut(&id) {
            b.rect = (x + ox, y + oy, w, h);
        }
    }
}

/// Whether the parent chain starting at `id` comes back to a boundary it passed.
fn in_cycle(model: &Model, id: &BoundaryId) -> bool {
    let mut seen = BTreeSet::new();
    let mut cur = Some(id.clone());
    while let Some(c) = cur {
        if !seen.insert(c.clone()) {
            return true;
        }
        cur = model.boundaries.get(&c).and_then(|b| b.parent.clone());
    }
    false
}

/// The contents of one container (a boundary, or the top level for `None`), laid out
/// from its top-left corner; an explicit stack instead of recursion keeps a deeply
/// nested model from exhausting the stack.
fn layout_container(
    root: Option<BoundaryId>,
    children: &BTreeMap<Option<BoundaryId>, Vec<BoundaryId>>,
    members: &BTreeMap<Option<BoundaryId>, Vec<ElementId>>,
    rank: &BTreeMap<ElementId, usize>,
) -> Block {
    // Post-order over the boundary tree.
    let mut order: Vec<Option<BoundaryId>> = Vec::new();
    let mut stack = vec![(root.clone(), false)];
    let mut visited: BTreeSet<Option<BoundaryId>> = BTreeSet::new();
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            order.push(node);
            continue;
        }
        if !visited.insert(node.clone()) {
            continue;
        }
        stack.push((node.clone(), true));
        for c in children.get(&node).into_iter().flatten().rev() {
            stack.push((Some(c.clone()), false));
        }
    }
    let mut done: BTreeMap<Option<BoundaryId>, Block> = BTreeMap::new();
    for node in order {
        let elements = members.get(&node).map(Vec::as_slice).unwrap_or(&[]);
        let mut boxes: Vec<(Option<BoundaryId>, Block)> = Vec::new();
        if !elements.is_empty() {
            boxes.push((None, element_block(elements, rank)));
        }
        for c in children.get(&node).into_iter().flatten() {
            if let Some(b) = done.remove(&Some(c.clone())) {
                boxes.push((Some(c.clone()), b));
            }
        }
        let inner = pack(boxes);
        let block = match &node {
            None => inner,
            Some(id) => {
                let (w, h) = (inner.w + 2.0 * PAD, inner.h + 2.0 * PAD);
                let mut b = Block {
                    w,
                    h,
                    ..Block::default()
                };
                b.absorb(inner, PAD, PAD);
                b.boundaries.push((id.clone(), 0.0, 0.0, w, h));
                b
            }
        };
        done.insert(node, block);
    }
    done.remove(&root).unwrap_or_default()
}

/// Packs boxes in rows (the first one being the element block, if any), each child
/// boundary's box reserving room above it for its title tab.
fn pack(boxes: Vec<(Option<BoundaryId>, Block)>) -> Block {
    if boxes.is_empty() {
        return Block {
            w: ELEM_W,
            h: ELEM_H / 2.0,
            ..Block::default()
        };
    }
    // Outer size of each box: a boundary needs its tab above it.
    let outer = |b: &(Option<BoundaryId>, Block)| {
        let tab = if b.0.is_some() { TAB } else { 0.0 };
        (b.1.w, b.1.h + tab)
    };
    let area: f64 = boxes
        .iter()
        .map(|b| {
            let (w, h) = outer(b);
            (w + BOX_GAP) * (h + BOX_GAP)
        })
        .sum();
    let widest = boxes.iter().map(|b| outer(b).0).fold(0.0, f64::max);
    // Aim for a landscape block: a bit wider than a square.
    let limit = widest.max(area.sqrt() * 1.4);
    let mut out = Block::default();
    let (mut x, mut y, mut row_h) = (0.0f64, 0.0f64, 0.0f64);
    for b in boxes {
        let (w, h) = outer(&b);
        if x > 0.0 && x + w > limit {
            x = 0.0;
            y += row_h + BOX_GAP;
            row_h = 0.0;
        }
        let tab = h - b.1.h;
        out.absorb(b.1, x, y + tab);
        out.w = out.w.max(x + w);
        out.h = out.h.max(y + h);
        x += w + BOX_GAP;
        row_h = row_h.max(h);
    }
    out
}

/// Elements of one container in columns by flow rank; a tall column wraps.
fn element_block(elements: &[ElementId], rank: &BTreeMap<ElementId, usize>) -> Block {
    let mut by_rank: BTreeMap<usize, Vec<&ElementId>> = BTreeMap::new();
    for e in elements {
        by_rank
            .entry(rank.get(e).copied().unwrap_or(0))
            .or_default()
            .push(e);
    }
    let mut columns: Vec<Vec<&ElementId>> = Vec::new();
    for (_, list) in by_rank {
        for chunk in list.chunks(MAX_COLUMN) {
            columns.push(chunk.to_vec());
        }
    }
    // Too many thin columns make a long strip: fold them into rows of columns.
    let per_row = ((elements.len() as f64).sqrt().ceil() as usize).max(3);
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(1);
    let col_h = tallest as f64 * (ELEM_H + GAP_Y) - GAP_Y;
    let mut out = Block::default();
    for (i, col) in columns.iter().enumerate() {
        let (row, c) = (i / per_row, i % per_row);
        let x0 = c as f64 * (ELEM_W + GAP_X);
        let y0 = row as f64 * (col_h + GAP_Y * 2.0);
        for (j, e) in col.iter().enumerate() {
            let cx = x0 + ELEM_W / 2.0;
            let cy = y0 + j as f64 * (ELEM_H + GAP_Y) + ELEM_H / 2.0;
            out.elements.push(((*e).clone(), cx, cy));
        }
        out.w = out.w.max(x0 + ELEM_W);
        out.h = out.h.max(y0 + col.len() as f64 * (ELEM_H + GAP_Y) - GAP_Y);
    }
    out
}

/// Each element's layer along the flows: sources first. Cycles are broken at the
/// smallest id still waiting, so the result does not depend on anything but the model.
fn flow_ranks(model: &Model) -> BTreeMap<ElementId, usize> {
    let mut indeg: BTreeMap<&ElementId, usize> = model.elements.keys().map(|k| (k, 0)).collect();
    let mut out_edges: BTreeMap<&ElementId, Vec<&ElementId>> = BTreeMap::new();
    for f in model.flows.values() {
        if f.source == f.target
            || !model.elements.contains_key(&f.source)
            || !model.elements.contains_key(&f.target)
        {
            continue;
        }
        out_edges.entry(&f.source).or_default().push(&f.target);
        if let Some(d) = indeg.get_mut(&f.target) {
            *d += 1;
        }
    }
    let mut rank: BTreeMap<ElementId, usize> = BTreeMap::new();
    let mut ready: BTreeSet<&ElementId> = indeg
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(k, _)| *k)
        .collect();
    let mut waiting: BTreeSet<&ElementId> = indeg
        .iter()
        .filter(|(_, d)| **d > 0)
        .map(|(k, _)| *k)
        .collect();
    let mut best: BTreeMap<&ElementId, usize> = BTreeMap::new();
    loop {
        let next = match ready.pop_first() {
            Some(n) => n,
            None => match waiting.pop_first() {
                Some(n) => n,
                None => break,
            },
        };
        waiting.remove(next);
        if rank.contains_key(next) {
            continue;
        }
        let r = best.get(next).copied().unwrap_or(0);
        rank.insert(next.clone(), r);
        for t in out_edges.get(next).into_iter().flatten() {
            if rank.contains_key(*t) {
                continue;
            }
            let b = best.entry(t).or_insert(0);
            *b = (*b).max(r + 1);
            if let Some(d) = indeg.get_mut(t) {
                *d = d.saturating_sub(1);
                if *d == 0 && waiting.remove(t) {
                    ready.insert(t);
                }
            }
        }
    }
    // Elements on no flow (service accounts, roles, volumes) go after the last column of
    // the flow graph, so they do not sit between a flow's ends.
    let mut on_flow: BTreeSet<&ElementId> = BTreeSet::new();
    for f in model.flows.values() {
        on_flow.insert(&f.source);
        on_flow.insert(&f.target);
    }
    if !on_flow.is_empty() {
        let last = rank
            .iter()
            .filter(|(k, _)| on_flow.contains(k))
            .map(|(_, r)| *r)
            .max()
            .unwrap_or(0);
        for (k, r) in rank.iter_mut() {
            if !on_flow.contains(k) {
                *r = last + 1;
            }
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Boundary, BoundaryKind, Element, Flow, FlowId};

    fn elem(id: &str, b: Option<&str>) -> Element {
        Element {
            provenance: Default::default(),
            id: id.into(),
            name: id.into(),
            kind: "generic.process".into(),
            boundary: b.map(Into::into),
            pos: (0.0, 0.0),
            props: Default::default(),
            entry_point: false,
            crown_jewel: false,
        }
    }
    fn bound(id: &str, parent: Option<&str>) -> Boundary {
        Boundary {
            props: Default::default(),
            id: id.into(),
            name: id.into(),
            kind: BoundaryKind::Other,
            trust: 5,
            parent: parent.map(Into::into),
            rect: (0.0, 0.0, 0.0, 0.0),
        }
    }

    fn sample(n: usize) -> Model {
        let mut m = Model::new("t");
        for (id, p) in [
            ("outer", None),
            ("inner", Some("outer")),
            ("deep", Some("inner")),
            ("side", None),
            ("empty", Some("outer")),
        ] {
            m.boundaries.insert(id.into(), bound(id, p));
        }
        let homes = [
            None,
            Some("outer"),
            Some("inner"),
            Some("deep"),
            Some("side"),
        ];
        for i in 0..n {
            let id = format!("e{i:03}");
            m.elements
                .insert(id.as_str().into(), elem(&id, homes[i % homes.len()]));
        }
        for i in 1..n {
            let id = format!("f{i}");
            m.flows.insert(
                FlowId::new(id.clone()),
                Flow {
                    channel: Default::default(),
                    id: FlowId::new(id.clone()),
                    name: id,
                    source: format!("e{:03}", (i * 7) % n).as_str().into(),
                    target: format!("e{i:03}").as_str().into(),
                    props: Default::default(),
                },
            );
        }
        m
    }

    fn rect_of(m: &Model, e: &Element) -> (f64, f64, f64, f64) {
        let _ = m;
        (
            e.pos.0 - ELEM_W / 2.0,
            e.pos.1 - ELEM_H / 2.0,
            ELEM_W,
            ELEM_H,
        )
    }
    fn inside(inner: (f64, f64, f64, f64), outer: (f64, f64, f64, f64)) -> bool {
        inner.0 >= outer.0
            && inner.1 >= outer.1
            && inner.0 + inner.2 <= outer.0 + outer.2
            && inner.1 + inner.3 <= outer.1 + outer.3
    }
    fn overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
        a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
    }

    #[test]
    fn members_sit_inside_their_boundaries_and_nothing_overlaps() {
        let mut m = sample(50);
        auto_layout(&mut m);
        let elems: Vec<&Element> = m.elements.values().collect();
        for (i, a) in elems.iter().enumerate() {
            let ra = rect_of(&m, a);
            if let Some(b) = &a.boundary {
                let br = m.boundaries[b].rect;
                assert!(inside(ra, br), "{} not inside {b}", a.id);
            }
            for b in &elems[i + 1..] {
                assert!(!overlap(ra, rect_of(&m, b)), "{} overlaps {}", a.id, b.id);
            }
            // No element overlaps a boundary it is not in, title tab included.
            let chain = m.boundary_chain(a.boundary.as_ref());
            for (bid, b) in &m.boundaries {
                if !chain.contains(bid) {
                    let (x, y, w, h) = b.rect;
                    assert!(!overlap(ra, (x, y - TAB, w, h + TAB)), "{} in {bid}", a.id);
                }
            }
        }
        for b in m.boundaries.values() {
            let (x, y, w, h) = b.rect;
            assert!(w > 0.0 && h > 0.0, "{}", b.id);
            if let Some(p) = &b.parent {
                let pr = m.boundaries[p].rect;
                // The child's tab sits inside the parent too.
                assert!(inside((x, y - TAB, w, h + TAB), pr), "{} not in {p}", b.id);
            }
            for o in m.boundaries.values() {
                let nested = m.boundary_chain(Some(&o.id)).contains(&b.id)
                    || m.boundary_chain(Some(&b.id)).contains(&o.id);
                if o.id != b.id && !nested {
                    let (ox, oy, ow, oh) = o.rect;
                    assert!(
                        !overlap((x, y - TAB, w, h + TAB), (ox, oy - TAB, ow, oh + TAB)),
                        "{} overlaps {}",
                        b.id,
                        o.id
                    );
                }
            }
        }
    }

    #[test]
    fn layout_is_deterministic_and_follows_flows() {
        let mut a = sample(30);
        let mut b = a.clone();
        auto_layout(&mut a);
        auto_layout(&mut b);
        assert_eq!(a, b);
        // A chain in one container runs left to right.
        let mut m = Model::new("chain");
        for id in ["c", "a", "b"] {
            m.elements.insert(id.into(), elem(id, None));
        }
        for (s, t) in [("c", "a"), ("a", "b")] {
            let id = FlowId::new(format!("{s}-{t}"));
            m.flows.insert(
                id.clone(),
                Flow {
                    channel: Default::default(),
                    id,
                    name: String::new(),
                    source: s.into(),
                    target: t.into(),
                    props: Default::default(),
                },
            );
        }
        auto_layout(&mut m);
        let x = |id: &str| m.elements[id].pos.0;
        assert!(x("c") < x("a") && x("a") < x("b"));
    }

    #[test]
    fn cycles_and_dangling_references_are_laid_out_at_the_top() {
        let mut m = Model::new("bad");
        m.boundaries.insert("p".into(), bound("p", Some("q")));
        m.boundaries.insert("q".into(), bound("q", Some("p")));
        m.boundaries.insert("r".into(), bound("r", Some("missing")));
        m.elements.insert("x".into(), elem("x", Some("nowhere")));
        m.elements.insert("y".into(), elem("y", Some("p")));
        auto_layout(&mut m);
        for b in m.boundaries.values() {
            assert!(b.rect.2 > 0.0, "{}", b.id);
        }
        assert!(inside(
            rect_of(&m, &m.elements["y"]),
            m.boundaries["p"].rect
        ));
    }
}
