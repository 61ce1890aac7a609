//! Canvas painting: one pass over the laid-out diagram in paint order (grid, boundary
//! bodies, flow lines, flow labels, relations, boundary titles, elements, the attack-path
//! veil, handles, the ghosts of the gesture in progress, the hint) and the accessibility
//! nodes. It reads the model and the state the gesture pass left; it changes nothing but
//! what it remembers for the next frame's hit testing (label plates, title tabs) and its
//! mesh memory.

use super::draw::{self, Badge, Bulk, Draw, Emphasis};
use super::far::{self, FarCache};
use super::gestures::{Frame, Gesture};
use super::layout::{self, BoundaryBox, ElementBox, FlowCurve, Layout, Preview};
use super::{CanvasState, Derived, GRID, PaletteDrag, Scene, Tool, flow_label, relations};
use crate::gui::selection::{Item, Selection};
use crate::model::{BoundaryId, ElementId, FlowId};
use eframe::egui::{self, Mesh, Rect, Shape, Vec2, emath::TSTransform};
use std::sync::Arc;

/// Paints the canvas for this frame.
pub(super) fn paint(
    ui: &mut egui::Ui,
    scene: &Scene<'_>,
    selection: &Selection,
    state: &mut CanvasState,
    frame: &Frame,
) {
    let (model, cat) = (scene.doc.model, scene.doc.catalog);
    let rect = frame.rect;
    let painter = ui.painter_at(rect);
    let pal = crate::gui::theme::Palette::of(ui.visuals());
    painter.rect_filled(rect, 0.0, pal.canvas);
    let screen_from_diagram = state.view.screen_from_diagram(rect);
    let diagram_from_screen = screen_from_diagram.inverse();
    let d = Draw {
        painter: &painter,
        screen_from_diagram,
        pal,
        meshes: draw::MeshPool::new(std::mem::take(&mut state.meshes)),
    };
    let visible = state.view.visible_in_diagram(rect);
    if state.show_grid {
        d.grid(visible, GRID);
    }
    let base = &frame.derived.layout;
    let preview = state.preview(model);
    let preview_layout;
    let shown: &Layout = if preview == Preview::default() {
        base
    } else {
        preview_layout = base.with_preview(model, cat, &preview);
        debug_assert!(
            preview_layout == Layout::new(model, cat, &preview),
            "a previewed layout differs from a fresh one"
        );
        &preview_layout
    };
    let badges = Badges {
        derived: &frame.derived,
        same_items: std::ptr::eq(shown, base),
    };
    let em = Emphases::new(scene, selection, state);
    let cull = visible.expand(40.0 / state.view.zoom.max(0.01));
    let far_key = far::key(
        scene,
        selection,
        state,
        rect,
        (ui.ctx().pixels_per_point(), pal.dark),
    );
    let cached = far::take(state, far_key);
    let mut fresh = far_key.filter(|_| cached.is_none()).map(FarCache::new);

    match &cached {
        Some(c) => add_mesh(&painter, &c.boundaries),
        None => {
            let m = d.boundaries(
                shown
                    .boundaries
                    .iter()
                    .filter(|bb| model.boundaries.contains_key(&bb.id))
                    .filter(|bb| cull.intersects(with_tab(bb)))
                    .map(|bb| (bb, em.boundary(&bb.id))),
            );
            if let Some(f) = fresh.as_mut() {
                f.boundaries = m;
            }
        }
    }
    let mut labels = Vec::new();
    match &cached {
        Some(c) => {
            add_mesh(&painter, &c.flows.mesh);
            for fc in c.flows.singles.iter().filter_map(|&i| shown.flows.get(i)) {
                d.flow_line(fc, em.flow(&fc.id));
            }
        }
        None => {
            let visible_flows: Vec<(usize, &FlowCurve)> = shown
                .flows
                .iter()
                .enumerate()
                .filter(|(_, fc)| cull.intersects(fc.bounds()))
                .collect();
            let bulk = d.flow_lines(
                visible_flows
                    .iter()
                    .map(|&(i, fc)| (i, fc, em.flow(&fc.id))),
            );
            if let Some(f) = fresh.as_mut() {
                f.flows = bulk;
            }
            if state.view.zoom >= draw::FLOW_LABEL_MIN_ZOOM {
                let occupied = element_rects(shown, cull, screen_from_diagram);
                labels = flow_labels(&d, scene, &visible_flows, &em, &badges, occupied);
            }
        }
    }
    // What relation labels must not cover; only worked out when there are relations.
    let mut occupied = Vec::new();
    if state.relations.show && !model.relations.is_empty() {
        occupied.extend(labels.iter().map(|(_, r)| screen_from_diagram * *r));
        occupied.extend(element_rects(shown, cull, screen_from_diagram));
    }
    relations::paint(
        &d,
        scene,
        shown,
        selection,
        &mut state.relations,
        (cull, occupied),
    );
    state.flow_labels = labels;
    // Titles on top of the lines, outermost first.
    for bb in &shown.boundaries {
        let Some(b) = model.boundaries.get(&bb.id) else {
            continue;
        };
        if !cull.intersects(with_tab(bb)) {
            continue;
        }
        let tab = d.boundary_tab(bb, b, em.boundary(&bb.id));
        state
            .boundary_tabs
            .insert(bb.id.clone(), diagram_from_screen * tab);
    }
    match &cached {
        Some(c) => {
            add_mesh(&painter, &c.elements.mesh);
            add_mesh(&painter, &c.dots);
            for &i in &c.elements.singles {
                element(&d, scene, shown, i, &em, &badges);
            }
        }
        None => {
            let (bulk, dots) = elements(&d, scene, shown, cull, &em, &badges);
            if let Some(f) = fresh.as_mut() {
                f.elements = bulk;
                f.dots = dots;
            }
        }
    }
    state.far = cached.or(fresh);
    if let Some(f) = scene.focus {
        for eb in shown.elements.iter().filter(|eb| cull.intersects(eb.rect)) {
            if em.element(&eb.id).dimmed {
                d.veil(eb.rect);
            }
        }
        for (a, b) in &f.pivots {
            if let (Some(a), Some(b)) = (shown.element(a), shown.element(b)) {
                d.pivot_arrow(a.rect, b.rect);
            }
        }
    }
    for id in &selection.boundaries {
        if let Some(bb) = shown.boundary(id) {
            d.handles(bb.rect);
        }
    }
    ghosts(&d, scene, state, frame);
    if let Some(h) = hint(scene, &state.tool) {
        d.hint(rect, h);
    }
    accessibility(ui, scene, selection, shown, frame, screen_from_diagram);
    state.meshes = d.meshes.into_used();
}

/// A boundary's rectangle with its title tab above it.
fn with_tab(bb: &BoundaryBox) -> Rect {
    Rect::from_min_max(
        bb.rect.min - Vec2::new(0.0, layout::TAB_HEIGHT),
        bb.rect.max,
    )
}

/// The open-threat badges of the cached layout, for the layout shown.
struct Badges<'a> {
    derived: &'a Derived,
    /// Whether the layout shown is the cached one. A preview layout lists the same items
    /// in the same order (a gesture only moves things), so badges are looked up by index;
    /// the id check guards that assumption.
    same_items: bool,
}

impl Badges<'_> {
    fn element(&self, i: usize, eb: &ElementBox) -> Option<Badge> {
        let base = &self.derived.layout.elements;
        let same = self.same_items || base.get(i).is_some_and(|b| b.id == eb.id);
        self.derived
            .element_badges
            .get(i)
            .copied()
            .flatten()
            .filter(|_| same)
    }

    fn flow(&self, i: usize, fc: &FlowCurve) -> Option<Badge> {
        let base = &self.derived.layout.flows;
        let same = self.same_items || base.get(i).is_some_and(|b| b.id == fc.id);
        self.derived
            .flow_badges
            .get(i)
            .copied()
            .flatten()
            .filter(|_| same)
    }
}

/// How each item is emphasised this frame: selection, hover, the subjects of the
/// selected threats, and what is off the attack path shown.
struct Emphases<'a> {
    selection: &'a Selection,
    highlights: Selection,
    hovered: Option<Item>,
    focus: Option<&'a crate::gui::paths::Focus>,
}

impl<'a> Emphases<'a> {
    fn new(scene: &Scene<'a>, selection: &'a Selection, state: &CanvasState) -> Emphases<'a> {
        Emphases {
            selection,
            highlights: super::highlights(selection, scene.doc.analysis),
            hovered: state.hovered.as_ref().and_then(|h| h.item()),
            focus: scene.focus,
        }
    }

    fn element(&self, id: &ElementId) -> Emphasis {
        Emphasis {
            selected: self.selection.elements.contains(id),
            hovered: matches!(&self.hovered, Some(Item::Element(h)) if h == id),
            highlighted: self.highlights.elements.contains(id),
            dimmed: self.focus.is_some_and(|f| !f.elements.contains(id)),
        }
    }

    fn flow(&self, id: &FlowId) -> Emphasis {
        Emphasis {
            selected: self.selection.flows.contains(id),
            hovered: matches!(&self.hovered, Some(Item::Flow(h)) if h == id),
            highlighted: self.highlights.flows.contains(id),
            dimmed: self.focus.is_some_and(|f| !f.flows.contains(id)),
        }
    }

    fn boundary(&self, id: &BoundaryId) -> Emphasis {
        Emphasis {
            selected: self.selection.boundaries.contains(id),
            hovered: matches!(&self.hovered, Some(Item::Boundary(h)) if h == id),
            highlighted: self.highlights.boundaries.contains(id),
            dimmed: false,
        }
    }
}

/// Flow labels after all lines, greedily: emphasised flows first, then the rest in id
/// order; a label that would cover another label or an element (`occupied`, screen
/// space) is left out. Zoomed far out there are no labels at all. Returns the plates
/// drawn, in diagram space.
fn flow_labels(
    d: &Draw<'_>,
    scene: &Scene<'_>,
    visible_flows: &[(usize, &FlowCurve)],
    em: &Emphases<'_>,
    badges: &Badges<'_>,
    mut occupied: Vec<Rect>,
) -> Vec<(FlowId, Rect)> {
    let mut labels = Vec::new();
    if d.screen_from_diagram.scaling < draw::FLOW_LABEL_MIN_ZOOM {
        return labels;
    }
    let diagram_from_screen = d.screen_from_diagram.inverse();
    let mut order: Vec<(usize, &FlowCurve, Emphasis)> = visible_flows
        .iter()
        .map(|&(i, fc)| (i, fc, em.flow(&fc.id)))
        .collect();
    order.sort_by_key(|(_, _, em)| !(em.selected || em.hovered || em.highlighted));
    for (i, fc, em) in order {
        let Some(f) = scene.doc.model.flows.get(&fc.id) else {
            continue;
        };
        let force = em.selected || em.hovered || em.highlighted;
        let badge = badges.flow(i, fc);
        if let Some(plate) = d.flow_label(fc, &flow_label(f), badge, em, &mut occupied, force) {
            labels.push((fc.id.clone(), diagram_from_screen * plate));
        }
    }
    labels
}

/// The elements: in bulk at overview zoom, one by one otherwise (and for emphasised
/// ones, which the overview leaves out). Returns the bulk (mesh and the elements painted
/// on their own) and the dots' mesh of the far view.
fn elements(
    d: &Draw<'_>,
    scene: &Scene<'_>,
    shown: &Layout,
    cull: Rect,
    em: &Emphases<'_>,
    badges: &Badges<'_>,
) -> (Bulk, Option<Arc<Mesh>>) {
    let mut overview = d.overview();
    let mut singles = Vec::new();
    for (i, eb) in shown.elements.iter().enumerate() {
        if !cull.intersects(eb.rect) {
            continue;
        }
        if let Some(o) = overview.as_mut()
            && o.element(eb, badges.element(i, eb), em.element(&eb.id))
        {
            continue;
        }
        element(d, scene, shown, i, em, badges);
        singles.push(i);
    }
    let (mesh, dots) = overview.map(|o| o.finish()).unwrap_or_default();
    (Bulk { mesh, singles }, dots)
}

/// One element, drawn on its own.
fn element(
    d: &Draw<'_>,
    scene: &Scene<'_>,
    shown: &Layout,
    i: usize,
    em: &Emphases<'_>,
    badges: &Badges<'_>,
) {
    let Some(eb) = shown.elements.get(i) else {
        return;
    };
    let Some(e) = scene.doc.model.elements.get(&eb.id) else {
        return;
    };
    let st = scene.doc.catalog.stencil(&e.kind);
    let icon = st.map_or("?", |s| s.stencil.icon.as_str());
    let kind_name = st.map_or(e.kind.as_str(), |s| s.stencil.name.as_str());
    d.element(
        eb,
        e,
        icon,
        kind_name,
        badges.element(i, eb),
        em.element(&eb.id),
    );
}

/// Paints a cached mesh again.
fn add_mesh(painter: &egui::Painter, mesh: &Option<Arc<Mesh>>) {
    if let Some(m) = mesh {
        painter.add(Shape::Mesh(m.clone()));
    }
}

/// The screen rectangles of the elements in `cull` (what labels must not cover).
fn element_rects(shown: &Layout, cull: Rect, screen_from_diagram: TSTransform) -> Vec<Rect> {
    shown
        .elements
        .iter()
        .filter(|eb| cull.intersects(eb.rect))
        .map(|eb| screen_from_diagram * eb.rect)
        .collect()
}

/// Ghosts of the gesture in progress, of the stencil the place tool would put down, and
/// of a stencil dragged from the palette.
fn ghosts(d: &Draw<'_>, scene: &Scene<'_>, state: &CanvasState, frame: &Frame) {
    let base = &frame.derived.layout;
    match &state.gesture {
        Gesture::Connect { from, to } => {
            if let Some(src) = base.element(from) {
                let target = frame
                    .connect_target
                    .as_ref()
                    .and_then(|t| base.element(t))
                    .map(|b| b.rect);
                let end = target.map_or(*to, |r| r.center());
                let start = layout::curve_between(
                    src.rect,
                    Rect::from_center_size(end, Vec2::splat(1.0)),
                    0.0,
                )[0];
                let end = target.map_or(end, |r| layout::curve_between(src.rect, r, 0.0)[2]);
                d.ghost_flow(start, end, target.is_some());
            }
        }
        Gesture::Marquee { start, end, .. } => {
            d.ghost_rect(Rect::from_two_pos(*start, *end), false)
        }
        Gesture::DrawBoundary { start, end } => {
            d.ghost_rect(Rect::from_two_pos(*start, *end), true)
        }
        _ => {}
    }
    let Some(p) = state.pointer_in_diagram else {
        return;
    };
    let placing = match &state.tool {
        Tool::Place(kind) => Some(kind.clone()),
        _ => None,
    };
    let dragged = frame
        .response
        .dnd_hover_payload::<PaletteDrag>()
        .map(|payload| payload.kind.clone());
    for kind in [placing, dragged].into_iter().flatten() {
        let st = scene.doc.catalog.stencil(&kind);
        let shape = st.map(|s| s.stencil.base);
        let (w, h) = crate::geometry::element_size(shape);
        let name = st.map_or(kind.as_str(), |s| s.stencil.name.as_str());
        d.ghost_element(
            Rect::from_center_size(layout::snap(p, frame.grid), Vec2::new(w as f32, h as f32)),
            shape,
            name,
        );
    }
}

/// The line of help at the bottom of the canvas for the tool in use.
fn hint(scene: &Scene<'_>, tool: &Tool) -> Option<&'static str> {
    match tool {
        Tool::Select
            if scene.doc.model.elements.is_empty() && scene.doc.model.boundaries.is_empty() =>
        {
            Some("Drag a stencil from the palette, or click one and then click here")
        }
        Tool::Select => None,
        Tool::Place(_) => Some("Click to place  ·  Shift+click to place several  ·  Esc to cancel"),
        Tool::Connect => Some("Drag from one element to another to draw a flow  ·  Esc to stop"),
        Tool::Boundary => Some("Drag a rectangle to draw a trust boundary  ·  Esc to stop"),
    }
}

/// One labelled node per visible element, so screen readers (and the UI tests) can find
/// elements by name. Only while an accessibility client reads the tree: a whole large
/// model at fit zoom would otherwise register thousands of widgets a frame for no one.
fn accessibility(
    ui: &mut egui::Ui,
    scene: &Scene<'_>,
    selection: &Selection,
    shown: &Layout,
    frame: &Frame,
    screen_from_diagram: TSTransform,
) {
    let reading = ui
        .ctx()
        .accesskit_node_builder(frame.response.id, |_| ())
        .is_some();
    if !reading {
        return;
    }
    let rect = frame.rect;
    for eb in &shown.elements {
        let r = screen_from_diagram * eb.rect;
        if !rect.intersects(r) {
            continue;
        }
        let Some(e) = scene.doc.model.elements.get(&eb.id) else {
            continue;
        };
        let id = frame.response.id.with(("element", eb.id.as_str()));
        let resp = ui.interact(r.intersect(rect), id, egui::Sense::hover());
        let selected = selection.elements.contains(&eb.id);
        resp.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::ListItem, true, selected, &e.name)
        });
    }
}
