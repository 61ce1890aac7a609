//! Where everything is on the canvas this frame, in diagram space, and the pure logic
//! built on it: hit testing, snapping, and boundary membership on drop. Nothing here
//! touches egui's context, so it is unit tested directly.

use crate::geometry;
use crate::gui::selection::Item;
use crate::model::{BoundaryId, ElementId, FlowId, Model};
use crate::rules::{BaseShape, Catalog};
use eframe::egui::{Pos2, Rect, Vec2};
use std::collections::{BTreeMap, BTreeSet};

/// Height of a boundary's title tab above its rectangle, in diagram units (the same
/// allowance `geometry::bounds` makes).
pub const TAB_HEIGHT: f32 = 22.0;

/// An element as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementBox {
    /// Which element.
    pub id: ElementId,
    /// Its rectangle in diagram space.
    pub rect: Rect,
    /// Its DFD base shape (`None` for an unknown kind).
    pub base: Option<BaseShape>,
}

/// A flow as drawn: a quadratic curve from `points[0]` to `points[2]` with control
/// point `points[1]`, in diagram space.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowCurve {
    /// Which flow.
    pub id: FlowId,
    /// Start, control and end points.
    pub points: [Pos2; 3],
}

impl FlowCurve {
    /// The point at parameter `t` in 0..=1.
    pub fn at(&self, t: f32) -> Pos2 {
        let [a, c, b] = self.points;
        let u = 1.0 - t;
        (a.to_vec2() * (u * u) + c.to_vec2() * (2.0 * u * t) + b.to_vec2() * (t * t)).to_pos2()
    }

    /// The direction of travel at the end, for the arrowhead.
    pub fn end_direction(&self) -> Vec2 {
        let [a, c, b] = self.points;
        let d = b - c;
        if d.length_sq() > 1e-6 {
            d.normalized()
        } else {
            (b - a).normalized()
        }
    }

    /// The curve as a polyline of `n` segments.
    pub fn polyline(&self, n: usize) -> Vec<Pos2> {
        (0..=n).map(|i| self.at(i as f32 / n as f32)).collect()
    }

    /// The smallest rectangle holding the curve (the control polygon's bounds).
    pub fn bounds(&self) -> Rect {
        Rect::from_points(&self.points)
    }
}

/// A boundary as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundaryBox {
    /// Which boundary.
    pub id: BoundaryId,
    /// Its rectangle in diagram space (the title tab sits above it).
    pub rect: Rect,
    /// Nesting depth: 0 for a top-level boundary.
    pub depth: usize,
}

impl BoundaryBox {
    /// The title tab's rectangle, above the top-left corner (width is an estimate from
    /// the name length, refined when drawn).
    pub fn tab_rect(&self, title_chars: usize) -> Rect {
        let w = (title_chars as f32 * 7.0 + 16.0).clamp(40.0, self.rect.width().max(40.0));
        Rect::from_min_size(
            self.rect.min - Vec2::new(0.0, TAB_HEIGHT),
            Vec2::new(w, TAB_HEIGHT),
        )
    }
}

/// Offsets applied while a gesture is in progress, so the canvas can show a drag without
/// changing the model until the gesture ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preview {
    /// Elements shown moved by `delta`.
    pub moved_elements: BTreeSet<ElementId>,
    /// Boundaries shown moved by `delta`.
    pub moved_boundaries: BTreeSet<BoundaryId>,
    /// The move, in diagram units.
    pub delta: Vec2,
    /// A boundary shown with a different rectangle (while resizing).
    pub resized: Option<(BoundaryId, Rect)>,
}

/// Everything on the canvas, in diagram space, in drawing order (boundaries outermost
/// first, then flows, then elements).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// Boundaries, shallowest first.
    pub boundaries: Vec<BoundaryBox>,
    /// Flows, in id order.
    pub flows: Vec<FlowCurve>,
    /// Elements, in id order.
    pub elements: Vec<ElementBox>,
    element_index: BTreeMap<ElementId, usize>,
    /// How each of `flows` was routed, so a preview can re-route only the moved ones.
    routes: Vec<Route>,
}

/// The ends (indices in `Layout::elements`) and bend of a laid-out flow.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Route {
    source: usize,
    target: usize,
    bend: f64,
}

impl Route {
    fn points(self, elements: &[ElementBox]) -> [Pos2; 3] {
        let (src, tgt) = (elements[self.source].rect, elements[self.target].rect);
        if self.source == self.target {
            self_loop(src)
        } else {
            curve_between(src, tgt, self.bend)
        }
    }
}

/// A boundary's rectangle with a gesture preview applied.
fn boundary_rect(b: &crate::model::Boundary, preview: &Preview) -> Rect {
    let mut rect = rect_from_tuple(b.rect);
    if preview.moved_boundaries.contains(&b.id) {
        rect = rect.translate(preview.delta);
    }
    if let Some((id, r)) = &preview.resized
        && *id == b.id
    {
        rect = *r;
    }
    rect
}

/// An element's box with a gesture preview applied; `None` when its position is not
/// finite (it is not drawn).
fn element_box(cat: &Catalog, e: &crate::model::Element, preview: &Preview) -> Option<ElementBox> {
    let base = geometry::base_of(cat, e);
    let (w, h) = geometry::element_size(base);
    let mut centre = Pos2::new(e.pos.0 as f32, e.pos.1 as f32);
    if !centre.is_finite() {
        return None;
    }
    if preview.moved_elements.contains(&e.id) {
        centre += preview.delta;
    }
    Some(ElementBox {
        id: e.id.clone(),
        rect: Rect::from_center_size(centre, Vec2::new(w as f32, h as f32)),
        base,
    })
}

/// Converts a model rectangle tuple to an egui rect (non-finite values become empty).
pub fn rect_from_tuple(r: (f64, f64, f64, f64)) -> Rect {
    let (x, y, w, h) = r;
    let rect = Rect::from_min_size(Pos2::new(x as f32, y as f32), Vec2::new(w as f32, h as f32));
    if rect.is_finite() {
        rect
    } else {
        Rect::NOTHING
    }
}

/// Converts an egui rect to a model rectangle tuple.
pub fn tuple_from_rect(r: Rect) -> (f64, f64, f64, f64) {
    (
        r.min.x as f64,
        r.min.y as f64,
        r.width() as f64,
        r.height() as f64,
    )
}

/// Nesting depth of a boundary (0 at the top level).
pub fn depth_of(model: &Model, id: &BoundaryId) -> usize {
    model.boundary_chain(Some(id)).len().saturating_sub(1)
}

impl Layout {
    /// Lays out the model, with a gesture preview applied.
    pub fn new(model: &Model, cat: &Catalog, preview: &Preview) -> Layout {
        let mut boundaries: Vec<BoundaryBox> = model
            .boundaries
            .values()
            .map(|b| BoundaryBox {
                id: b.id.clone(),
                rect: boundary_rect(b, preview),
                depth: depth_of(model, &b.id),
            })
            .collect();
        // Stable: equal depths stay in id order.
        boundaries.sort_by_key(|b| b.depth);

        let mut elements = Vec::with_capacity(model.elements.len());
        let mut element_index = BTreeMap::new();
        for e in model.elements.values() {
            let Some(eb) = element_box(cat, e, preview) else {
                continue;
            };
            element_index.insert(e.id.clone(), elements.len());
            elements.push(eb);
        }

        let bends = geometry::flow_bends(model);
        let mut flows = Vec::with_capacity(model.flows.len());
        let mut routes = Vec::with_capacity(model.flows.len());
        for f in model.flows.values() {
            let (Some(&source), Some(&target)) =
                (element_index.get(&f.source), element_index.get(&f.target))
            else {
                continue;
            };
            let route = Route {
                source,
                target,
                bend: bends.get(&f.id).copied().unwrap_or(0.0),
            };
            flows.push(FlowCurve {
                id: f.id.clone(),
                points: route.points(&elements),
            });
            routes.push(route);
        }
        Layout {
            boundaries,
            flows,
            elements,
            element_index,
            routes,
        }
    }

    /// This layout with a gesture preview applied: equal to `Layout::new(model, cat,
    /// preview)` when `self` is `Layout::new(model, cat, &Preview::default())`, but only
    /// the moved elements and the flows touching them are laid out again, so a drag
    /// stays cheap on a large model.
    pub fn with_preview(&self, model: &Model, cat: &Catalog, preview: &Preview) -> Layout {
        let mut l = self.clone();
        for bb in &mut l.boundaries {
            if let Some(b) = model.boundaries.get(&bb.id) {
                bb.rect = boundary_rect(b, preview);
            }
        }
        let mut moved = vec![false; l.elements.len()];
        for id in &preview.moved_elements {
            let (Some(&i), Some(e)) = (l.element_index.get(id), model.elements.get(id)) else {
                continue;
            };
            if let Some(eb) = element_box(cat, e, preview) {
                l.elements[i] = eb;
                moved[i] = true;
            }
        }
        let Layout {
            flows,
            elements,
            routes,
            ..
        } = &mut l;
        for (fc, r) in flows.iter_mut().zip(routes.iter()) {
            if moved.get(r.source) == Some(&true) || moved.get(r.target) == Some(&true) {
                fc.points = r.points(elements);
            }
        }
        l
    }

    /// The drawn box of an element.
    pub fn element(&self, id: &ElementId) -> Option<&ElementBox> {
        self.element_index.get(id).map(|&i| &self.elements[i])
    }

    /// The drawn box of a boundary.
    pub fn boundary(&self, id: &BoundaryId) -> Option<&BoundaryBox> {
        self.boundaries.iter().find(|b| b.id == *id)
    }

    /// The bounds of everything drawn, for fit-to-content.
    pub fn content_bounds(&self) -> Option<Rect> {
        let mut acc: Option<Rect> = None;
        let mut add = |r: Rect| {
            if r.is_finite() && r.is_positive() {
                acc = Some(acc.map_or(r, |a| a.union(r)));
            }
        };
        for e in &self.elements {
            add(e.rect);
        }
        for b in &self.boundaries {
            add(Rect::from_min_max(
                b.rect.min - Vec2::new(0.0, TAB_HEIGHT),
                b.rect.max,
            ));
        }
        acc
    }
}

fn to_pos(p: (f64, f64)) -> Pos2 {
    Pos2::new(p.0 as f32, p.1 as f32)
}

fn tuple(r: Rect) -> (f64, f64, f64, f64) {
    tuple_from_rect(r)
}

/// The curve of a flow between two element rectangles with a bend (see
/// `geometry::flow_bends`); ends are clipped to the outlines.
pub fn curve_between(src: Rect, tgt: Rect, bend: f64) -> [Pos2; 3] {
    let a = (src.center().x as f64, src.center().y as f64);
    let b = (tgt.center().x as f64, tgt.center().y as f64);
    let c = geometry::bend_control(a, b, bend);
    let start = geometry::clip_to_rect(tuple(src), c);
    let end = geometry::clip_to_rect(tuple(tgt), c);
    [to_pos(start), to_pos(c), to_pos(end)]
}

fn self_loop(r: Rect) -> [Pos2; 3] {
    let start = Pos2::new(r.center().x + r.width() * 0.2, r.top());
    let end = Pos2::new(r.right(), r.center().y - r.height() * 0.2);
    [start, r.right_top() + Vec2::new(45.0, -45.0), end]
}

/// A corner of a boundary, for resizing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    /// Top-left.
    TopLeft,
    /// Top-right.
    TopRight,
    /// Bottom-left.
    BottomLeft,
    /// Bottom-right.
    BottomRight,
}

impl Corner {
    /// All corners.
    pub const ALL: [Corner; 4] = [
        Corner::TopLeft,
        Corner::TopRight,
        Corner::BottomLeft,
        Corner::BottomRight,
    ];

    /// Where the corner is on a rectangle.
    pub fn of(self, r: Rect) -> Pos2 {
        match self {
            Corner::TopLeft => r.left_top(),
            Corner::TopRight => r.right_top(),
            Corner::BottomLeft => r.left_bottom(),
            Corner::BottomRight => r.right_bottom(),
        }
    }

    /// The rectangle with this corner dragged to `to`; never smaller than `min` and never
    /// flipped inside out.
    pub fn drag(self, r: Rect, to: Pos2, min: Vec2) -> Rect {
        let (mut l, mut t, mut ri, mut b) = (r.left(), r.top(), r.right(), r.bottom());
        match self {
            Corner::TopLeft => {
                l = to.x.min(ri - min.x);
                t = to.y.min(b - min.y);
            }
            Corner::TopRight => {
                ri = to.x.max(l + min.x);
                t = to.y.min(b - min.y);
            }
            Corner::BottomLeft => {
                l = to.x.min(ri - min.x);
                b = to.y.max(t + min.y);
            }
            Corner::BottomRight => {
                ri = to.x.max(l + min.x);
                b = to.y.max(t + min.y);
            }
        }
        Rect::from_min_max(Pos2::new(l, t), Pos2::new(ri, b))
    }
}

/// What is under the pointer, most specific first.
#[derive(Clone, Debug, PartialEq)]
pub enum Hit {
    /// A resize handle of a (selected) boundary.
    BoundaryCorner(BoundaryId, Corner),
    /// Near the outline of an element: dragging from here draws a flow.
    ElementEdge(ElementId),
    /// Inside an element.
    Element(ElementId),
    /// On a flow's curve or label.
    Flow(FlowId),
    /// On a boundary's title tab or dashed border: dragging moves the boundary.
    BoundaryFrame(BoundaryId),
    /// Inside a boundary, on empty space (the innermost boundary).
    BoundaryInterior(BoundaryId),
    /// Empty canvas.
    Nothing,
}

impl Hit {
    /// The selectable item hit (a boundary by any of its parts), if any.
    pub fn item(&self) -> Option<Item> {
        match self {
            Hit::Element(e) | Hit::ElementEdge(e) => Some(Item::Element(e.clone())),
            Hit::Flow(f) => Some(Item::Flow(f.clone())),
            Hit::BoundaryFrame(b) | Hit::BoundaryInterior(b) | Hit::BoundaryCorner(b, _) => {
                Some(Item::Boundary(b.clone()))
            }
            Hit::Nothing => None,
        }
    }
}

/// Tolerances for hit testing, in diagram units (screen points divided by the zoom).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// How far from a line still counts as on it.
    pub line: f32,
    /// Width of the band along an element's outline that starts a flow.
    pub edge: f32,
    /// Half-size of a resize handle.
    pub handle: f32,
}

impl Tolerance {
    /// Tolerances for a zoom factor, from fixed sizes in screen points.
    pub fn at_zoom(zoom: f32) -> Tolerance {
        let z = zoom.max(0.01);
        Tolerance {
            line: 6.0 / z,
            edge: 7.0 / z,
            handle: 7.0 / z,
        }
    }
}

/// Distance from `p` to the segment `a`–`b`.
pub fn distance_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len_sq = ab.length_sq();
    if len_sq <= f32::EPSILON {
        return (p - a).length();
    }
    let t = ((p - a).dot(ab) / len_sq).clamp(0.0, 1.0);
    (p - (a + ab * t)).length()
}

/// Distance from `p` to a flow's curve.
pub fn distance_to_curve(p: Pos2, curve: &FlowCurve) -> f32 {
    let pts = curve.polyline(16);
    pts.windows(2)
        .map(|w| distance_to_segment(p, w[0], w[1]))
        .fold(f32::INFINITY, f32::min)
}

/// Finds what is under `p` (diagram space). `selected_boundaries` get resize handles;
/// `tab_of` gives each boundary's title tab (as last drawn); `flow_labels` are the drawn
/// label rectangles of flows (diagram space), which count as part of the flow.
pub fn hit_test(
    layout: &Layout,
    p: Pos2,
    tol: Tolerance,
    selected_boundaries: &BTreeSet<BoundaryId>,
    tab_of: &dyn Fn(&BoundaryBox) -> Rect,
    flow_labels: &[(FlowId, Rect)],
) -> Hit {
    // Handles of selected boundaries sit on top of everything.
    for b in layout.boundaries.iter().rev() {
        if !selected_boundaries.contains(&b.id) {
            continue;
        }
        for c in Corner::ALL {
            if Rect::from_center_size(c.of(b.rect), Vec2::splat(2.0 * tol.handle)).contains(p) {
                return Hit::BoundaryCorner(b.id.clone(), c);
            }
        }
    }
    // Elements: later ones are drawn on top, so test them first.
    for e in layout.elements.iter().rev() {
        let outer = e.rect.expand(tol.edge * 0.5);
        if !outer.contains(p) {
            continue;
        }
        let band = tol.edge.min(e.rect.width().min(e.rect.height()) / 4.0);
        let inner = e.rect.shrink(band);
        return if inner.contains(p) {
            Hit::Element(e.id.clone())
        } else {
            Hit::ElementEdge(e.id.clone())
        };
    }
    for (id, r) in flow_labels.iter().rev() {
        if r.contains(p) {
            return Hit::Flow(id.clone());
        }
    }
    let mut best: Option<(f32, &FlowId)> = None;
    for f in &layout.flows {
        if !f.bounds().expand(tol.line).contains(p) {
            continue;
        }
        let d = distance_to_curve(p, f);
        if d <= tol.line && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, &f.id));
        }
    }
    if let Some((_, id)) = best {
        return Hit::Flow(id.clone());
    }
    // Boundary tabs and borders, innermost (drawn last) first.
    for b in layout.boundaries.iter().rev() {
        if tab_of(b).contains(p) {
            return Hit::BoundaryFrame(b.id.clone());
        }
        let outer = b.rect.expand(tol.line);
        let inner = b.rect.shrink(tol.line);
        if outer.contains(p) && !inner.contains(p) {
            return Hit::BoundaryFrame(b.id.clone());
        }
    }
    match innermost_containing(layout, |r| r.contains(p), &BTreeSet::new()) {
        Some(b) => Hit::BoundaryInterior(b),
        None => Hit::Nothing,
    }
}

/// The deepest boundary whose rectangle satisfies `contains`, skipping `exclude`;
/// among equally deep ones, the smallest.
pub fn innermost_containing(
    layout: &Layout,
    contains: impl Fn(Rect) -> bool,
    exclude: &BTreeSet<BoundaryId>,
) -> Option<BoundaryId> {
    layout
        .boundaries
        .iter()
        .filter(|b| !exclude.contains(&b.id) && b.rect.is_positive() && contains(b.rect))
        .max_by(|a, b| {
            a.depth
                .cmp(&b.depth)
                .then_with(|| b.rect.area().total_cmp(&a.rect.area()))
                .then_with(|| b.id.cmp(&a.id))
        })
        .map(|b| b.id.clone())
}

/// The boundary an element dropped with its centre at `centre` belongs to: the innermost
/// boundary containing the centre.
pub fn membership_on_drop(layout: &Layout, centre: Pos2) -> Option<BoundaryId> {
    innermost_containing(layout, |r| r.contains(centre), &BTreeSet::new())
}

/// The parent of a boundary dropped at `rect`: the innermost other boundary containing
/// the whole rectangle, never the boundary itself or one of its descendants.
pub fn parent_on_drop(
    model: &Model,
    layout: &Layout,
    id: &BoundaryId,
    rect: Rect,
) -> Option<BoundaryId> {
    let exclude: BTreeSet<BoundaryId> = model
        .boundaries
        .keys()
        .filter(|b| model.boundary_chain(Some(b)).contains(id))
        .cloned()
        .collect();
    innermost_containing(layout, |r| r.contains_rect(rect), &exclude)
}

/// Every boundary inside `root` (its descendants, not itself).
pub fn descendants(model: &Model, root: &BoundaryId) -> BTreeSet<BoundaryId> {
    model
        .boundaries
        .keys()
        .filter(|b| *b != root && model.boundary_chain(Some(b)).contains(root))
        .cloned()
        .collect()
}

/// Every element whose boundary is `root` or inside it.
pub fn members_deep(model: &Model, root: &BoundaryId) -> BTreeSet<ElementId> {
    model
        .elements
        .values()
        .filter(|e| {
            e.boundary.is_some() && model.boundary_chain(e.boundary.as_ref()).contains(root)
        })
        .map(|e| e.id.clone())
        .collect()
}

/// Rounds a point to the grid.
pub fn snap(p: Pos2, grid: f32) -> Pos2 {
    if grid <= 0.0 || !p.is_finite() {
        return p;
    }
    Pos2::new((p.x / grid).round() * grid, (p.y / grid).round() * grid)
}

/// The move that puts `anchor + delta` on the grid, so a dragged group keeps its shape
/// while its anchor (the grabbed item's centre) snaps.
pub fn snapped_delta(anchor: Pos2, delta: Vec2, grid: f32) -> Vec2 {
    snap(anchor + delta, grid) - anchor
}

/// Rectangle selection: the elements whose boxes and the boundaries whose rectangles lie
/// entirely inside `marquee`, and the flows whose both ends are selected.
pub fn in_marquee(
    layout: &Layout,
    model: &Model,
    marquee: Rect,
) -> (BTreeSet<ElementId>, BTreeSet<FlowId>, BTreeSet<BoundaryId>) {
    let elements: BTreeSet<ElementId> = layout
        .elements
        .iter()
        .filter(|e| marquee.contains_rect(e.rect))
        .map(|e| e.id.clone())
        .collect();
    let boundaries = layout
        .boundaries
        .iter()
        .filter(|b| marquee.contains_rect(b.rect))
        .map(|b| b.id.clone())
        .collect();
    let flows = model
        .flows
        .values()
        .filter(|f| elements.contains(&f.source) && elements.contains(&f.target))
        .map(|f| f.id.clone())
        .collect();
    (elements, flows, boundaries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Boundary, BoundaryKind, Element, Flow, Props};

    fn el(id: &str, x: f64, y: f64, b: Option<&str>) -> Element {
        Element {
            provenance: Default::default(),
            id: id.into(),
            name: id.to_uppercase(),
            kind: "generic.process".into(),
            boundary: b.map(BoundaryId::from),
            pos: (x, y),
            props: Props::new(),
            entry_point: false,
            crown_jewel: false,
        }
    }

    fn bd(id: &str, parent: Option<&str>, rect: (f64, f64, f64, f64)) -> Boundary {
        Boundary {
            props: Default::default(),
            id: id.into(),
            name: id.into(),
            kind: BoundaryKind::Other,
            trust: 5,
            parent: parent.map(BoundaryId::from),
            rect,
        }
    }

    fn fl(id: &str, s: &str, t: &str) -> Flow {
        Flow {
            channel: Default::default(),
            id: id.into(),
            name: String::new(),
            source: s.into(),
            target: t.into(),
            props: Props::new(),
        }
    }

    /// A cluster containing a namespace containing a pod group, one element in each
    /// level, and flows between them.
    fn model() -> Model {
        let mut m = Model::new("t");
        for b in [
            bd("cluster", None, (0.0, 0.0, 1000.0, 600.0)),
            bd("ns", Some("cluster"), (100.0, 100.0, 600.0, 400.0)),
            bd("pod", Some("ns"), (150.0, 150.0, 300.0, 200.0)),
            bd("other", None, (1200.0, 0.0, 300.0, 300.0)),
        ] {
            m.boundaries.insert(b.id.clone(), b);
        }
        for e in [
            el("a", 50.0, 550.0, Some("cluster")),
            el("b", 300.0, 250.0, Some("pod")),
            el("c", 600.0, 450.0, Some("ns")),
            el("x", 1300.0, 150.0, Some("other")),
        ] {
            m.elements.insert(e.id.clone(), e);
        }
        for f in [fl("ab", "a", "b"), fl("ba", "b", "a"), fl("bc", "b", "c")] {
            m.flows.insert(f.id.clone(), f);
        }
        m
    }

    fn layout(m: &Model) -> Layout {
        Layout::new(m, &Catalog::builtin(), &Preview::default())
    }

    fn hit(l: &Layout, p: Pos2) -> Hit {
        hit_test(
            l,
            p,
            Tolerance::at_zoom(1.0),
            &BTreeSet::new(),
            &|b| b.tab_rect(4),
            &[],
        )
    }

    #[test]
    fn boundaries_are_ordered_outermost_first() {
        let l = layout(&model());
        let depths: Vec<usize> = l.boundaries.iter().map(|b| b.depth).collect();
        assert_eq!(depths, vec![0, 0, 1, 2]);
    }

    #[test]
    fn hit_element_body_and_edge() {
        let l = layout(&model());
        assert_eq!(hit(&l, Pos2::new(300.0, 250.0)), Hit::Element("b".into()));
        // Process boxes are 140 wide: the right edge is at x = 370.
        assert_eq!(
            hit(&l, Pos2::new(368.0, 250.0)),
            Hit::ElementEdge("b".into())
        );
        assert_eq!(
            hit(&l, Pos2::new(372.0, 250.0)),
            Hit::ElementEdge("b".into())
        );
    }

    #[test]
    fn hit_flow_near_its_curve() {
        let l = layout(&model());
        let bc = l.flows.iter().find(|f| f.id.as_str() == "bc").cloned();
        let Some(bc) = bc else {
            panic!("flow bc is laid out")
        };
        let mid = bc.at(0.5);
        assert_eq!(hit(&l, mid + Vec2::new(0.0, 3.0)), Hit::Flow("bc".into()));
    }

    #[test]
    fn opposite_flows_do_not_overlap() {
        let l = layout(&model());
        let mid = |id: &str| {
            l.flows
                .iter()
                .find(|f| f.id.as_str() == id)
                .map(|f| f.at(0.5))
        };
        let (Some(ab), Some(ba)) = (mid("ab"), mid("ba")) else {
            panic!("both flows laid out")
        };
        assert!(
            (ab - ba).length() > 15.0,
            "a->b and b->a should curve apart: {ab:?} {ba:?}"
        );
    }

    #[test]
    fn hit_boundaries_frame_then_interior() {
        let l = layout(&model());
        // The tab of `pod` sits above its top-left corner.
        assert_eq!(
            hit(&l, Pos2::new(160.0, 140.0)),
            Hit::BoundaryFrame("pod".into())
        );
        // On the dashed border of `ns`.
        assert_eq!(
            hit(&l, Pos2::new(650.0, 101.0)),
            Hit::BoundaryFrame("ns".into())
        );
        // Empty space inside `pod` is the innermost interior.
        assert_eq!(
            hit(&l, Pos2::new(420.0, 320.0)),
            Hit::BoundaryInterior("pod".into())
        );
        assert_eq!(hit(&l, Pos2::new(1100.0, 500.0)), Hit::Nothing);
    }

    #[test]
    fn handles_only_on_selected_boundaries() {
        let l = layout(&model());
        let p = Pos2::new(450.0, 350.0); // bottom-right of `pod`
        assert_ne!(
            hit(&l, p),
            Hit::BoundaryCorner("pod".into(), Corner::BottomRight)
        );
        let sel: BTreeSet<BoundaryId> = [BoundaryId::from("pod")].into();
        let h = hit_test(
            &l,
            p,
            Tolerance::at_zoom(1.0),
            &sel,
            &|b| b.tab_rect(4),
            &[],
        );
        assert_eq!(h, Hit::BoundaryCorner("pod".into(), Corner::BottomRight));
    }

    #[test]
    fn tolerance_shrinks_in_diagram_units_when_zoomed_in() {
        assert!(Tolerance::at_zoom(4.0).line < Tolerance::at_zoom(1.0).line);
    }

    #[test]
    fn drop_membership_picks_innermost() {
        let l = layout(&model());
        assert_eq!(
            membership_on_drop(&l, Pos2::new(200.0, 200.0)),
            Some("pod".into())
        );
        assert_eq!(
            membership_on_drop(&l, Pos2::new(650.0, 450.0)),
            Some("ns".into())
        );
        assert_eq!(
            membership_on_drop(&l, Pos2::new(900.0, 50.0)),
            Some("cluster".into())
        );
        assert_eq!(membership_on_drop(&l, Pos2::new(1100.0, 50.0)), None);
    }

    #[test]
    fn overlapping_siblings_pick_the_smaller() {
        let mut m = model();
        let b = bd("small", Some("ns"), (500.0, 120.0, 100.0, 100.0));
        m.boundaries.insert(b.id.clone(), b);
        let big = bd("big", Some("ns"), (460.0, 110.0, 220.0, 300.0));
        m.boundaries.insert(big.id.clone(), big);
        let l = layout(&m);
        assert_eq!(
            membership_on_drop(&l, Pos2::new(550.0, 170.0)),
            Some("small".into())
        );
    }

    #[test]
    fn boundary_drop_never_nests_in_itself() {
        let m = model();
        let l = layout(&m);
        // Dropping `ns` where it already is: its parent is `cluster`, not `pod` (its child).
        let r = rect_from_tuple(m.boundaries["ns"].rect);
        assert_eq!(
            parent_on_drop(&m, &l, &"ns".into(), r),
            Some("cluster".into())
        );
        // A small rect inside `pod`'s area for `cluster` is not nested into its own descendants.
        let small = Rect::from_min_size(Pos2::new(200.0, 200.0), Vec2::splat(20.0));
        assert_eq!(parent_on_drop(&m, &l, &"cluster".into(), small), None);
        assert_eq!(
            parent_on_drop(&m, &l, &"other".into(), small),
            Some("pod".into())
        );
    }

    #[test]
    fn descendants_and_deep_members() {
        let m = model();
        let d = descendants(&m, &"ns".into());
        assert_eq!(d, ["pod".into()].into());
        let members = members_deep(&m, &"ns".into());
        assert_eq!(members, ["b".into(), "c".into()].into());
    }

    #[test]
    fn preview_moves_without_touching_the_model() {
        let m = model();
        let mut p = Preview::default();
        p.moved_elements.insert("b".into());
        p.delta = Vec2::new(10.0, 20.0);
        let l = Layout::new(&m, &Catalog::builtin(), &p);
        let Some(b) = l.element(&"b".into()) else {
            panic!("b laid out")
        };
        assert_eq!(b.rect.center(), Pos2::new(310.0, 270.0));
        assert_eq!(m.elements["b"].pos, (300.0, 250.0));
    }

    #[test]
    fn a_preview_of_the_base_layout_equals_a_fresh_layout() {
        let m = model();
        let cat = Catalog::builtin();
        let base = layout(&m);
        let mut previews = vec![Preview::default()];
        let mut p = Preview::default();
        p.moved_elements.insert("b".into());
        p.delta = Vec2::new(13.0, -27.0);
        previews.push(p.clone());
        // Moving a boundary with its nested boundaries and members.
        p.moved_boundaries = ["ns".into(), "pod".into()].into();
        p.moved_elements = members_deep(&m, &"ns".into());
        previews.push(p.clone());
        p.resized = Some((
            "cluster".into(),
            Rect::from_min_size(Pos2::new(-10.0, -10.0), Vec2::new(900.0, 700.0)),
        ));
        previews.push(p.clone());
        // Ids that are not in the model are ignored by both.
        p.moved_elements.insert("ghost".into());
        previews.push(p);
        for p in previews {
            assert_eq!(
                base.with_preview(&m, &cat, &p),
                Layout::new(&m, &cat, &p),
                "{p:?}"
            );
        }
    }

    #[test]
    fn snapping() {
        assert_eq!(snap(Pos2::new(29.0, -11.0), 20.0), Pos2::new(20.0, -20.0));
        assert_eq!(snap(Pos2::new(29.0, 31.0), 0.0), Pos2::new(29.0, 31.0));
        let d = snapped_delta(Pos2::new(100.0, 100.0), Vec2::new(13.0, 27.0), 20.0);
        assert_eq!(d, Vec2::new(20.0, 20.0));
    }

    #[test]
    fn corner_drag_keeps_a_minimum_size() {
        let r = Rect::from_min_size(Pos2::ZERO, Vec2::new(100.0, 100.0));
        let r2 = Corner::BottomRight.drag(r, Pos2::new(-50.0, 300.0), Vec2::splat(40.0));
        assert_eq!(r2, Rect::from_min_max(Pos2::ZERO, Pos2::new(40.0, 300.0)));
        let r3 = Corner::TopLeft.drag(r, Pos2::new(-10.0, -20.0), Vec2::splat(40.0));
        assert_eq!(r3.min, Pos2::new(-10.0, -20.0));
    }

    #[test]
    fn marquee_selects_contained_items() {
        let m = model();
        let l = layout(&m);
        let (els, flows, bounds) = in_marquee(
            &l,
            &m,
            Rect::from_min_max(Pos2::new(140.0, 140.0), Pos2::new(720.0, 520.0)),
        );
        assert_eq!(els, ["b".into(), "c".into()].into());
        assert_eq!(flows, ["bc".into()].into());
        assert_eq!(bounds, ["pod".into()].into());
    }
}
