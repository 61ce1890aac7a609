//! Diagram geometry shared by the canvas and the PDF: element sizes, bounds, and how
//! parallel flows between one pair of elements curve apart. Diagram space: y down.

use crate::model::{Element, FlowId, Model};
use crate::rules::{BaseShape, Catalog};
use std::collections::BTreeMap;

/// Width and height of an element of a base shape, in diagram units.
pub fn element_size(base: Option<BaseShape>) -> (f64, f64) {
    match base {
        Some(BaseShape::Entity) => (140.0, 64.0),
        Some(BaseShape::Process) => (140.0, 70.0),
        Some(BaseShape::Store) => (140.0, 56.0),
        None => (140.0, 64.0),
    }
}

/// The base shape of an element's kind, if the kind is known.
pub fn base_of(cat: &Catalog, e: &Element) -> Option<BaseShape> {
    cat.stencil(&e.kind).map(|s| s.stencil.base)
}

/// An element's rectangle `(x, y, w, h)` with `pos` at its centre.
pub fn element_rect(cat: &Catalog, e: &Element) -> (f64, f64, f64, f64) {
    let (w, h) = element_size(base_of(cat, e));
    (e.pos.0 - w / 2.0, e.pos.1 - h / 2.0, w, h)
}

/// The bounding box of everything drawn, `(min_x, min_y, max_x, max_y)`, or `None` for an
/// empty model. Non-finite coordinates are skipped.
pub fn bounds(cat: &Catalog, model: &Model) -> Option<(f64, f64, f64, f64)> {
    let mut acc: Option<(f64, f64, f64, f64)> = None;
    let mut add = |x: f64, y: f64, w: f64, h: f64| {
        if !(x.is_finite() && y.is_finite() && w.is_finite() && h.is_finite()) {
            return;
        }
        acc = Some(match acc {
            None => (x, y, x + w, y + h),
            Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x + w), d.max(y + h)),
        });
    };
    for e in model.elements.values() {
        let (x, y, w, h) = element_rect(cat, e);
        add(x, y, w, h);
    }
    for b in model.boundaries.values() {
        let (x, y, w, h) = b.rect;
        add(x, y - 22.0, w, h + 22.0);
    }
    acc
}

/// For every flow, a signed bend: 0 for a lone flow, and ±1, ±2 … for flows that share a
/// pair of elements (in either direction), so they can be drawn as separate curves.
pub fn flow_bends(model: &Model) -> BTreeMap<FlowId, f64> {
    let mut groups: BTreeMap<(String, String), Vec<(&FlowId, bool)>> = BTreeMap::new();
    for f in model.flows.values() {
        let (a, b) = (f.source.0.clone(), f.target.0.clone());
        let forward = a <= b;
        let key = if forward { (a, b) } else { (b, a) };
        groups.entry(key).or_default().push((&f.id, forward));
    }
    let mut out = BTreeMap::new();
    for list in groups.values() {
        let n = list.len();
        for (i, (id, forward)) in list.iter().enumerate() {
            let bend = if n == 1 {
                0.0
            } else {
                // Spread evenly around the straight line; flip for the reverse direction so
                // the offset is always measured on the same side of the pair.
                let centred = i as f64 - (n as f64 - 1.0) / 2.0;
                let b = if centred == 0.0 { 0.0 } else { centred };
                if *forward { b } else { -b }
            };
            out.insert((*id).clone(), bend);
        }
    }
    out
}

/// The point where the segment from an element's centre towards `toward` leaves its
/// rectangle, so arrows start and end on the outline rather than at the centre.
pub fn clip_to_rect(rect: (f64, f64, f64, f64), toward: (f64, f64)) -> (f64, f64) {
    let (x, y, w, h) = rect;
    let c = (x + w / 2.0, y + h / 2.0);
    let (dx, dy) = (toward.0 - c.0, toward.1 - c.1);
    if dx == 0.0 && dy == 0.0 {
        return c;
    }
    let sx = if dx != 0.0 {
        (w / 2.0) / dx.abs()
    } else {
        f64::INFINITY
    };
    let sy = if dy != 0.0 {
        (h / 2.0) / dy.abs()
    } else {
        f64::INFINITY
    };
    let s = sx.min(sy).min(1.0);
    (c.0 + dx * s, c.1 + dy * s)
}

/// Control point of the quadratic curve of a flow from `a` to `b` with a bend.
pub fn bend_control(a: (f64, f64), b: (f64, f64), bend: f64) -> (f64, f64) {
    let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-6);
    let normal = (-dy / len, dx / len);
    let off = bend * 56.0;
    (mid.0 + normal.0 * off, mid.1 + normal.1 * off)
}
