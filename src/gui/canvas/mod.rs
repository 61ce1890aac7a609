//! The diagram canvas: our own pan / zoom transform (`screen_from_diagram`), culled
//! painting, and gestures (move, connect, resize, rectangle select, place, draw a
//! boundary). Gesture state lives here, apart from the model: a drag is shown as a
//! preview and becomes edits only when it ends, so one drag is one undo step.

pub mod draw;
mod gestures;
pub mod layout;
pub mod ops;
pub mod relations;
pub mod view;

use super::actions::Action;
use super::selection::{Item, Selection};
use crate::analysis::{Analysis, Subject};
use crate::model::{BoundaryId, Edit, ElementId, FlowId, Model, Value};
use crate::rules::Catalog;
use draw::{Badge, Draw, Emphasis};
use eframe::egui::{self, CursorIcon, Key, PointerButton, Pos2, Rect, Sense, Vec2};
use layout::{Corner, Hit, Layout, Preview, Tolerance};
use std::collections::BTreeMap;
use std::sync::Arc;
use gestures::{Gesture, click_select, context_menu_ui, finish_gesture, item_of, start_gesture};
use view::View;

/// Grid spacing in diagram units; positions snap to it.
pub const GRID: f32 = 20.0;

/// What a primary click or drag on the canvas does.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Tool {
    /// Select, move, connect from edges, pan on empty space.
    #[default]
    Select,
    /// Place an element of this stencil kind where the user clicks.
    Place(String),
    /// Drag from one element to another to draw a flow.
    Connect,
    /// Drag a rectangle to draw a trust boundary.
    Boundary,
}

/// A stencil being dragged from the palette.
#[derive(Clone, Debug, PartialEq)]
pub struct PaletteDrag {
    /// Stencil kind.
    pub kind: String,
}

/// Canvas state kept between frames (not part of the model, not saved).
#[derive(Debug)]
pub struct CanvasState {
    /// Pan and zoom.
    pub view: View,
    /// The active tool.
    pub tool: Tool,
    /// Whether the grid is drawn.
    pub show_grid: bool,
    /// Whether moves and new items snap to the grid (Alt disables it while held).
    pub snap: bool,
    /// Fit the content on the next frame (after opening a file).
    pub fit_pending: bool,
    /// The canvas rectangle on screen in the last frame.
    pub canvas_rect: Rect,
    /// The pointer in diagram space, when it is over the canvas.
    pub pointer_in_diagram: Option<Pos2>,
    gesture: Gesture,
    hovered: Option<Hit>,
    context: Option<Hit>,
    /// Flow label plates drawn in the last frame, in diagram space, for hit testing.
    flow_labels: Vec<(FlowId, Rect)>,
    /// Boundary title tabs drawn in the last frame, in diagram space.
    boundary_tabs: BTreeMap<BoundaryId, Rect>,
    /// The layout and badges of the model as of `Derived::key`, reused while the
    /// document is unchanged (idle frames, hovering, panning, zooming).
    derived: Option<Arc<Derived>>,
    /// Meshes painted in bulk last frame, refilled this frame to reuse their memory.
    meshes: Vec<Arc<egui::Mesh>>,
    /// Whether relations are shown, and where their labels were drawn.
    pub relations: relations::RelationsState,
}

/// What identifies the model state a [`Derived`] was built from: the document's
/// generation (see `Document::generation`) and the catalog (its address: the app keeps one
/// catalog for its lifetime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivedKey {
    /// `Document::generation()`.
    pub generation: (u64, u64),
    /// Address of the catalog.
    catalog: usize,
}

impl DerivedKey {
    /// The key for a document generation and a catalog.
    pub fn new(generation: (u64, u64), cat: &Catalog) -> DerivedKey {
        DerivedKey {
            generation,
            catalog: std::ptr::from_ref(cat) as usize,
        }
    }
}

/// Everything the canvas derives from the model alone, built once per model change.
#[derive(Debug, PartialEq)]
pub struct Derived {
    key: DerivedKey,
    /// The un-previewed layout (hit testing, and drawing when no gesture is in progress).
    pub layout: Layout,
    /// Open-threat badge of each element, by index in `layout.elements`.
    pub element_badges: Vec<Option<Badge>>,
    /// Open-threat badge of each flow, by index in `layout.flows`.
    pub flow_badges: Vec<Option<Badge>>,
}

impl Derived {
    /// Builds the layout and badges of a model from scratch.
    pub fn build(model: &Model, analysis: &Analysis, cat: &Catalog, key: DerivedKey) -> Derived {
        let layout = Layout::new(model, cat, &Preview::default());
        let (els, flows) = badges(model, analysis);
        let element_badges = layout
            .elements
            .iter()
            .map(|e| els.get(&e.id).copied())
            .collect();
        let flow_badges = layout
            .flows
            .iter()
            .map(|f| flows.get(&f.id).copied())
            .collect();
        Derived {
            key,
            layout,
            element_badges,
            flow_badges,
        }
    }
}

impl Default for CanvasState {
    fn default() -> Self {
        CanvasState {
            view: View::default(),
            tool: Tool::Select,
            show_grid: true,
            snap: true,
            fit_pending: true,
            canvas_rect: Rect::from_min_size(Pos2::ZERO, Vec2::new(800.0, 600.0)),
            pointer_in_diagram: None,
            gesture: Gesture::Idle,
            hovered: None,
            context: None,
            flow_labels: Vec::new(),
            boundary_tabs: BTreeMap::new(),
            derived: None,
            meshes: Vec::new(),
            relations: relations::RelationsState::default(),
        }
    }
}

impl CanvasState {
    /// Whether a drag gesture is in progress.
    pub fn is_busy(&self) -> bool {
        self.gesture != Gesture::Idle
    }

    /// Abandons the drag in progress; the model was never changed by it.
    pub fn cancel_gesture(&mut self) {
        self.gesture = Gesture::Idle;
    }

    /// Forgets gestures and view (after opening another model).
    pub fn reset(&mut self) {
        let grid = self.show_grid;
        let snap = self.snap;
        let show_relations = self.relations.show;
        *self = CanvasState {
            show_grid: grid,
            snap,
            ..CanvasState::default()
        };
        self.relations.show = show_relations;
    }

    /// Fits the whole model into the canvas.
    pub fn fit(&mut self, model: &Model, cat: &Catalog) {
        let layout = Layout::new(model, cat, &Preview::default());
        match layout.content_bounds() {
            Some(b) => self.view.fit(self.canvas_rect, b),
            None => {
                self.view = View {
                    zoom: 1.0,
                    offset: self.canvas_rect.size() / 2.0,
                }
            }
        }
    }

    /// Centres the view on the selected items.
    pub fn reveal(&mut self, model: &Model, cat: &Catalog, sel: &Selection) {
        let layout = Layout::new(model, cat, &Preview::default());
        let mut acc: Option<Rect> = None;
        let mut add = |r: Rect| acc = Some(acc.map_or(r, |a| a.union(r)));
        for e in &sel.elements {
            if let Some(b) = layout.element(e) {
                add(b.rect);
            }
        }
        for b in &sel.boundaries {
            if let Some(bb) = layout.boundary(b) {
                add(bb.rect);
            }
        }
        for f in &layout.flows {
            if sel.flows.contains(&f.id) {
                add(f.bounds());
            }
        }
        if let Some(r) = acc {
            let visible = self.view.visible_in_diagram(self.canvas_rect);
            if !visible.contains_rect(r) {
                self.view.centre_on(self.canvas_rect, r.center());
            }
        }
    }

    /// The layout and badges for the model, rebuilt only when `key` differs from the one
    /// they were built for. In debug builds, checked against a fresh build every time.
    pub fn derived(
        &mut self,
        model: &Model,
        analysis: &Analysis,
        cat: &Catalog,
        key: DerivedKey,
    ) -> Arc<Derived> {
        match &self.derived {
            Some(d) if d.key == key => {
                debug_assert!(
                    **d == Derived::build(model, analysis, cat, key),
                    "the cached canvas layout is stale: the model changed without a new generation"
                );
                d.clone()
            }
            _ => {
                let d = Arc::new(Derived::build(model, analysis, cat, key));
                self.derived = Some(d.clone());
                d
            }
        }
    }

    fn snap_grid(&self, alt: bool) -> f32 {
        if self.snap && !alt { GRID } else { 0.0 }
    }

    fn preview(&self, model: &Model) -> Preview {
        match &self.gesture {
            Gesture::Move {
                elements,
                boundaries,
                delta,
                ..
            } => ops::move_preview(model, elements, boundaries, *delta),
            Gesture::Resize { id, rect, .. } => Preview {
                resized: Some((id.clone(), *rect)),
                ..Preview::default()
            },
            _ => Preview::default(),
        }
    }
}

/// Open threats per element and per flow (crossings count on their flow).
pub fn badges(
    model: &Model,
    analysis: &Analysis,
) -> (BTreeMap<ElementId, Badge>, BTreeMap<FlowId, Badge>) {
    let mut els: BTreeMap<ElementId, Badge> = BTreeMap::new();
    let mut flows: BTreeMap<FlowId, Badge> = BTreeMap::new();
    for t in &analysis.threats {
        if !t.status(model).is_untriaged() {
            continue;
        }
        let sev = t.severity(model);
        let bump = |b: &mut Badge| {
            b.open += 1;
            b.worst = b.worst.max(sev);
        };
        match &t.subject {
            Subject::Element(e) => bump(els.entry(e.clone()).or_insert(Badge {
                open: 0,
                worst: sev,
            })),
            Subject::Flow(f) | Subject::Crossing(f, _) => {
                bump(flows.entry(f.clone()).or_insert(Badge {
                    open: 0,
                    worst: sev,
                }))
            }
            _ => {}
        }
    }
    (els, flows)
}

/// The text on a flow's arrow: its name, or its protocol when it has no name.
pub fn flow_label(f: &crate::model::Flow) -> String {
    if !f.name.trim().is_empty() {
        return f.name.clone();
    }
    match f.props.get("protocol") {
        Some(Value::Text(p)) => p.clone(),
        _ => String::new(),
    }
}

/// Items to highlight because a selected threat is about them.
type Highlights = Selection;

fn highlights(sel: &Selection, analysis: &Analysis) -> Highlights {
    let mut h = Selection::default();
    for t in sel
        .threats
        .iter()
        .filter_map(|id| analysis.threat(id.as_str()))
    {
        h.insert_subject(&t.subject);
        // A crossing threat is about its flow; the boundaries it crossed light up too.
        h.boundaries.extend(t.crossed.iter().cloned());
    }
    h
}

/// Shows the canvas. Pushes model changes to `edits` (applied after the frame as one
/// undo step) and commands to `actions`; changes the selection directly.
#[allow(clippy::too_many_arguments)]
pub fn canvas_ui(
    ui: &mut egui::Ui,
    model: &Model,
    analysis: &Analysis,
    cat: &Catalog,
    selection: &mut Selection,
    state: &mut CanvasState,
    key: DerivedKey,
    edits: &mut Vec<Edit>,
    actions: &mut Vec<Action>,
) {
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
    let alt = modifiers.alt;

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
    let tol = Tolerance::at_zoom(state.view.zoom);
    let last_tabs = std::mem::take(&mut state.boundary_tabs);
    let tab_of = |b: &layout::BoundaryBox| match last_tabs.get(&b.id) {
        Some(r) => *r,
        None => b.tab_rect(model.boundaries.get(&b.id).map_or(4, |x| {
            x.name.chars().count() + x.kind.label().chars().count() + 5
        })),
    };

    // Hit testing against the current (un-previewed) layout.
    let derived = state.derived(model, analysis, cat, key);
    let base_layout = &derived.layout;
    let selected_boundaries = selection.boundaries.clone();
    let last_labels = std::mem::take(&mut state.flow_labels);
    let hit_at = |p: Pos2| {
        layout::hit_test(
            base_layout,
            p,
            tol,
            &selected_boundaries,
            &tab_of,
            &last_labels,
        )
    };
    state.hovered = match (&state.gesture, state.pointer_in_diagram) {
        (Gesture::Idle, Some(p)) => Some(hit_at(p)),
        _ => None,
    };

    // --- Gestures -------------------------------------------------------------------
    let grid = state.snap_grid(alt);
    if response.drag_started_by(PointerButton::Middle)
        || (response.drag_started() && space_down && !text_focused)
    {
        state.gesture = Gesture::Pan;
    } else if response.drag_started_by(PointerButton::Primary) {
        let origin = ui
            .input(|i| i.pointer.press_origin())
            .map(|p| diagram_from_screen * p);
        if let Some(origin) = origin {
            let hit = hit_at(origin);
            state.gesture = start_gesture(
                model,
                base_layout,
                selection,
                &state.tool,
                hit,
                origin,
                modifiers,
            );
        }
    } else if response.drag_started_by(PointerButton::Secondary) {
        state.gesture = Gesture::Pan;
    }

    if response.dragged() {
        match &mut state.gesture {
            Gesture::Pan => state.view.pan(response.drag_delta()),
            Gesture::Move {
                anchor,
                grab,
                delta,
                ..
            } => {
                if let Some(p) = pointer_in_diagram {
                    *delta = layout::snapped_delta(*anchor, p - *grab, grid);
                }
            }
            Gesture::Resize {
                corner,
                original,
                rect,
                ..
            } => {
                if let Some(p) = pointer_in_diagram {
                    *rect = corner.drag(*original, layout::snap(p, grid), Vec2::new(80.0, 60.0));
                }
            }
            Gesture::Connect { to, .. } => {
                if let Some(p) = pointer_in_diagram {
                    *to = p;
                }
            }
            Gesture::Marquee { end, .. } => {
                if let Some(p) = pointer_in_diagram {
                    *end = p;
                }
            }
            Gesture::DrawBoundary { end, .. } => {
                if let Some(p) = pointer_in_diagram {
                    *end = layout::snap(p, grid);
                }
            }
            Gesture::Idle => {}
        }
    }

    if response.drag_stopped() {
        let gesture = std::mem::take(&mut state.gesture);
        finish_gesture(
            model,
            cat,
            base_layout,
            selection,
            state,
            gesture,
            pointer_in_diagram,
            tol,
            edits,
            &hit_at,
        );
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
                let hit = hit_at(p);
                if !relations::click(
                    model,
                    base_layout,
                    &state.relations,
                    selection,
                    &hit,
                    p,
                    tol,
                    modifiers.shift,
                ) {
                    click_select(selection, hit, modifiers.shift);
                }
            }
        }
        response.request_focus();
    }
    if response.double_clicked()
        && let Some(p) = pointer_in_diagram
        && let Hit::Flow(_) | Hit::Element(_) | Hit::ElementEdge(_) | Hit::BoundaryFrame(_) =
            hit_at(p)
    {
        actions.push(Action::Rename);
    }
    if response.secondary_clicked()
        && let Some(p) = pointer_in_diagram
    {
        let hit = hit_at(p);
        if let Some(item) = item_of(&hit)
            && !selection.contains(&item)
        {
            selection.select_only(item);
        }
        state.context = Some(hit);
    }
    response
        .context_menu(|ui| context_menu_ui(ui, model, selection, state.context.as_ref(), actions));

    // Drop from the palette.
    if let Some(payload) = response.dnd_release_payload::<PaletteDrag>()
        && let Some(p) = pointer_in_diagram
    {
        let e = ops::new_element(model, cat, &payload.kind, layout::snap(p, grid));
        selection.select_only(Item::Element(e.id.clone()));
        edits.push(Edit::AddElement(e));
    }

    // --- Cursor ---------------------------------------------------------------------
    let cursor = match (&state.gesture, &state.hovered, &state.tool) {
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
    };
    if let Some(c) = cursor
        && response.hovered()
    {
        ui.ctx().set_cursor_icon(c);
    }

    // --- Painting -------------------------------------------------------------------
    let painter = ui.painter_at(rect);
    let pal = super::theme::Palette::of(ui.visuals());
    painter.rect_filled(rect, 0.0, pal.canvas);
    let screen_from_diagram = state.view.screen_from_diagram(rect);
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
    let preview = state.preview(model);
    let preview_layout;
    let shown: &Layout = if preview == Preview::default() {
        base_layout
    } else {
        preview_layout = base_layout.with_preview(model, cat, &preview);
        debug_assert!(
            preview_layout == Layout::new(model, cat, &preview),
            "a previewed layout differs from a fresh one"
        );
        &preview_layout
    };
    // A preview layout lists the same items in the same order as the base layout (a
    // gesture only moves things), so badges are looked up by index; the id check guards
    // that assumption.
    let same_items = std::ptr::eq(shown, base_layout);
    let element_badge = |i: usize, eb: &layout::ElementBox| {
        let same = same_items || base_layout.elements.get(i).is_some_and(|b| b.id == eb.id);
        derived
            .element_badges
            .get(i)
            .copied()
            .flatten()
            .filter(|_| same)
    };
    let flow_badge = |i: usize, fc: &layout::FlowCurve| {
        let same = same_items || base_layout.flows.get(i).is_some_and(|b| b.id == fc.id);
        derived
            .flow_badges
            .get(i)
            .copied()
            .flatten()
            .filter(|_| same)
    };
    let hl = highlights(selection, analysis);
    let focus = crate::gui::paths::canvas_focus(ui.ctx());
    let dim_element = |id: &ElementId| focus.as_ref().is_some_and(|f| !f.elements.contains(id));
    let dim_flow = |id: &FlowId| focus.as_ref().is_some_and(|f| !f.flows.contains(id));
    let hovered_item = state.hovered.as_ref().and_then(item_of);
    let hovered_element = match &hovered_item {
        Some(Item::Element(id)) => Some(id),
        _ => None,
    };
    let hovered_flow = match &hovered_item {
        Some(Item::Flow(id)) => Some(id),
        _ => None,
    };
    let hovered_boundary = match &hovered_item {
        Some(Item::Boundary(id)) => Some(id),
        _ => None,
    };
    let element_emphasis = |id: &ElementId| Emphasis {
        selected: selection.elements.contains(id),
        hovered: hovered_element == Some(id),
        highlighted: hl.elements.contains(id),
        dimmed: dim_element(id),
    };
    let flow_emphasis = |id: &FlowId| Emphasis {
        selected: selection.flows.contains(id),
        hovered: hovered_flow == Some(id),
        highlighted: hl.flows.contains(id),
        dimmed: dim_flow(id),
    };
    let boundary_emphasis = |id: &BoundaryId| Emphasis {
        selected: selection.boundaries.contains(id),
        hovered: hovered_boundary == Some(id),
        highlighted: hl.boundaries.contains(id),
        dimmed: false,
    };
    let cull = visible.expand(40.0 / state.view.zoom.max(0.01));

    for bb in &shown.boundaries {
        if !model.boundaries.contains_key(&bb.id) {
            continue;
        }
        let with_tab = Rect::from_min_max(
            bb.rect.min - Vec2::new(0.0, layout::TAB_HEIGHT),
            bb.rect.max,
        );
        if !cull.intersects(with_tab) {
            continue;
        }
        d.boundary(bb, boundary_emphasis(&bb.id));
    }
    let visible_flows: Vec<(usize, &layout::FlowCurve)> = shown
        .flows
        .iter()
        .enumerate()
        .filter(|(_, fc)| cull.intersects(fc.bounds()))
        .collect();
    d.flow_lines(
        visible_flows
            .iter()
            .map(|&(_, fc)| (fc, flow_emphasis(&fc.id))),
    );
    // Labels after all lines, greedily: emphasised flows first, then the rest in id
    // order; a label that would cover another label or an element is left out. Zoomed
    // far out there are no labels at all.
    let mut labels = Vec::new();
    if state.view.zoom >= draw::FLOW_LABEL_MIN_ZOOM {
        let mut occupied: Vec<Rect> = shown
            .elements
            .iter()
            .filter(|eb| cull.intersects(eb.rect))
            .map(|eb| screen_from_diagram * eb.rect)
            .collect();
        let mut order: Vec<(usize, &layout::FlowCurve, Emphasis)> = visible_flows
            .iter()
            .map(|&(i, fc)| (i, fc, flow_emphasis(&fc.id)))
            .collect();
        order.sort_by_key(|(_, _, em)| !(em.selected || em.hovered || em.highlighted));
        for (i, fc, em) in order {
            let Some(f) = model.flows.get(&fc.id) else {
                continue;
            };
            let force = em.selected || em.hovered || em.highlighted;
            let badge = flow_badge(i, fc);
            if let Some(plate) = d.flow_label(fc, &flow_label(f), badge, em, &mut occupied, force) {
                labels.push((fc.id.clone(), diagram_from_screen * plate));
            }
        }
    }
    let mut occupied_by_labels: Vec<Rect> = labels
        .iter()
        .map(|(_, r)| screen_from_diagram * *r)
        .collect();
    occupied_by_labels.extend(
        shown
            .elements
            .iter()
            .filter(|eb| cull.intersects(eb.rect))
            .map(|eb| screen_from_diagram * eb.rect),
    );
    state.flow_labels = labels;
    relations::paint(
        &d,
        model,
        cat,
        shown,
        selection,
        &mut state.relations,
        cull,
        occupied_by_labels,
    );
    // Titles on top of the lines, outermost first.
    for bb in &shown.boundaries {
        let Some(b) = model.boundaries.get(&bb.id) else {
            continue;
        };
        let with_tab = Rect::from_min_max(
            bb.rect.min - Vec2::new(0.0, layout::TAB_HEIGHT),
            bb.rect.max,
        );
        if !cull.intersects(with_tab) {
            continue;
        }
        let tab = d.boundary_tab(bb, b, boundary_emphasis(&bb.id));
        state
            .boundary_tabs
            .insert(bb.id.clone(), diagram_from_screen * tab);
    }
    let mut overview = d.overview();
    for (i, eb) in shown.elements.iter().enumerate() {
        if !cull.intersects(eb.rect) {
            continue;
        }
        let em = element_emphasis(&eb.id);
        let badge = element_badge(i, eb);
        if let Some(o) = overview.as_mut()
            && o.element(eb, badge, em)
        {
            continue;
        }
        let Some(e) = model.elements.get(&eb.id) else {
            continue;
        };
        let st = cat.stencil(&e.kind);
        let icon = st.map_or("?", |s| s.stencil.icon.as_str());
        let kind_name = st.map_or(e.kind.as_str(), |s| s.stencil.name.as_str());
        d.element(eb, e, icon, kind_name, badge, em);
    }
    if let Some(o) = overview {
        o.finish();
    }
    if let Some(f) = &focus {
        for eb in shown.elements.iter().filter(|eb| cull.intersects(eb.rect)) {
            if element_emphasis(&eb.id).dimmed {
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

    // Ghosts of the gesture in progress.
    match &state.gesture {
        Gesture::Connect { from, to } => {
            if let Some(src) = base_layout.element(from) {
                let target = match hit_at(*to) {
                    Hit::Element(t) | Hit::ElementEdge(t) if t != *from => {
                        base_layout.element(&t).map(|b| b.rect)
                    }
                    _ => None,
                };
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
    if let Tool::Place(kind) = &state.tool
        && let Some(p) = state.pointer_in_diagram
    {
        let st = cat.stencil(kind);
        let base = st.map(|s| s.stencil.base);
        let (w, h) = crate::geometry::element_size(base);
        let name = st.map_or(kind.as_str(), |s| s.stencil.name.as_str());
        d.ghost_element(
            Rect::from_center_size(layout::snap(p, grid), Vec2::new(w as f32, h as f32)),
            base,
            name,
        );
    }
    if let Some(payload) = response.dnd_hover_payload::<PaletteDrag>()
        && let Some(p) = state.pointer_in_diagram
    {
        let st = cat.stencil(&payload.kind);
        let base = st.map(|s| s.stencil.base);
        let (w, h) = crate::geometry::element_size(base);
        let name = st.map_or(payload.kind.as_str(), |s| s.stencil.name.as_str());
        d.ghost_element(
            Rect::from_center_size(layout::snap(p, grid), Vec2::new(w as f32, h as f32)),
            base,
            name,
        );
    }
    let hint = match &state.tool {
        Tool::Select if model.elements.is_empty() && model.boundaries.is_empty() => {
            Some("Drag a stencil from the palette, or click one and then click here")
        }
        Tool::Select => None,
        Tool::Place(_) => Some("Click to place  ·  Shift+click to place several  ·  Esc to cancel"),
        Tool::Connect => Some("Drag from one element to another to draw a flow  ·  Esc to stop"),
        Tool::Boundary => Some("Drag a rectangle to draw a trust boundary  ·  Esc to stop"),
    };
    if let Some(h) = hint {
        d.hint(rect, h);
    }
    // Accessibility: one labelled node per visible element, so screen readers (and the
    // UI tests) can find elements by name.
    for eb in &shown.elements {
        let r = screen_from_diagram * eb.rect;
        if !rect.intersects(r) {
            continue;
        }
        let Some(e) = model.elements.get(&eb.id) else {
            continue;
        };
        let id = response.id.with(("element", eb.id.as_str()));
        let resp = ui.interact(r.intersect(rect), id, Sense::hover());
        let selected = selection.elements.contains(&eb.id);
        resp.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::ListItem, true, selected, &e.name)
        });
    }
    state.meshes = d.meshes.into_used();
    relations::toggle_ui(ui, rect, model, &mut state.relations);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::document::Document;
    use crate::model::{Boundary, BoundaryKind, Element, Flow, Props};

    fn model() -> Model {
        let mut m = Model::new("t");
        let b = Boundary {
            props: Default::default(),
            id: "zone".into(),
            name: "Zone".into(),
            kind: BoundaryKind::Other,
            trust: 5,
            parent: None,
            rect: (0.0, 0.0, 600.0, 400.0),
        };
        m.boundaries.insert(b.id.clone(), b);
        for (id, x, kind) in [
            ("a", 100.0, "generic.process"),
            ("b", 400.0, "generic.store"),
            ("c", 800.0, "generic.entity"),
        ] {
            let e = Element {
                provenance: Default::default(),
                id: id.into(),
                name: id.to_uppercase(),
                kind: kind.into(),
                boundary: (x < 600.0).then(|| "zone".into()),
                pos: (x, 200.0),
                props: Props::new(),
                entry_point: false,
                crown_jewel: false,
            };
            m.elements.insert(e.id.clone(), e);
        }
        for (id, s, t) in [("ab", "a", "b"), ("ba", "b", "a"), ("bc", "b", "c")] {
            let f = Flow {
                channel: Default::default(),
                id: id.into(),
                name: String::new(),
                source: s.into(),
                target: t.into(),
                props: Props::new(),
            };
            m.flows.insert(f.id.clone(), f);
        }
        m
    }

    /// The cached layout and badges, as the canvas would get them this frame, and
    /// whether they equal a fresh build.
    fn cached(state: &mut CanvasState, doc: &Document, cat: &Catalog) -> Arc<Derived> {
        let key = DerivedKey::new(doc.generation(), cat);
        let d = state.derived(&doc.model, &doc.analysis, cat, key);
        assert_eq!(*d, Derived::build(&doc.model, &doc.analysis, cat, key));
        d
    }

    #[test]
    fn cached_layout_is_reused_while_the_document_is_unchanged() {
        let cat = Catalog::builtin();
        let doc = Document::new(model(), None, None, &cat);
        let mut state = CanvasState::default();
        let first = cached(&mut state, &doc, &cat);
        let again = cached(&mut state, &doc, &cat);
        assert!(Arc::ptr_eq(&first, &again), "no edit: no rebuild");
        assert_eq!(first.layout.elements.len(), 3);
        assert_eq!(first.layout.flows.len(), 3);
    }

    #[test]
    fn cached_layout_follows_moves_renames_removals_and_undo() {
        let cat = Catalog::builtin();
        let mut doc = Document::new(model(), None, None, &cat);
        let mut state = CanvasState::default();
        let original = cached(&mut state, &doc, &cat);
        let centre = |d: &Derived, id: &str| {
            d.layout
                .element(&ElementId::from(id))
                .map(|b| b.rect.center())
        };

        doc.apply(
            vec![Edit::MoveElement("b".into(), (420.0, 260.0))],
            None,
            &cat,
        )
        .expect("move");
        let moved = cached(&mut state, &doc, &cat);
        assert_eq!(centre(&moved, "b"), Some(Pos2::new(420.0, 260.0)));
        assert_ne!(moved.layout.flows, original.layout.flows, "flows follow");

        let mut renamed = doc.model.elements[&ElementId::from("a")].clone();
        renamed.name = "Renamed".into();
        renamed.kind = "generic.entity".into();
        doc.apply(vec![Edit::ReplaceElement(renamed)], None, &cat)
            .expect("rename");
        let kind_changed = cached(&mut state, &doc, &cat);
        assert_eq!(
            kind_changed
                .layout
                .element(&"a".into())
                .and_then(|b| b.base),
            Some(crate::rules::BaseShape::Entity)
        );

        doc.apply(vec![Edit::RemoveElement("c".into())], None, &cat)
            .expect("remove");
        let removed = cached(&mut state, &doc, &cat);
        assert_eq!(removed.layout.elements.len(), 2);
        assert_eq!(removed.layout.flows.len(), 2);
        assert_eq!(removed.flow_badges.len(), 2);

        for _ in 0..3 {
            assert!(doc.undo(&cat).expect("undo"));
            cached(&mut state, &doc, &cat);
        }
        let undone = cached(&mut state, &doc, &cat);
        assert_eq!(undone.layout, original.layout);
        assert_eq!(undone.element_badges, original.element_badges);
        assert_eq!(undone.flow_badges, original.flow_badges);
        assert!(doc.redo(&cat).expect("redo"));
        let redone = cached(&mut state, &doc, &cat);
        assert_eq!(redone.layout, moved.layout);
    }

    #[test]
    fn a_selected_crossing_threat_highlights_its_flow_and_the_boundaries_crossed() {
        let cat = Catalog::builtin();
        let text = include_str!("../../../tests/rules/models/generic-open.ron");
        let Ok(l) = crate::persist::load_bytes("m", text.as_bytes()) else {
            panic!("loads")
        };
        let a = crate::analysis::analyze(&l.model, &cat);
        let Some(t) = a.threats.iter().find(|t| !t.crossed.is_empty()) else {
            panic!("the fixture has a crossing threat")
        };
        let mut sel = Selection::default();
        sel.threats.insert(t.id.clone());
        let h = highlights(&sel, &a);
        assert!(t.crossed.iter().all(|b| h.boundaries.contains(b)));
        if let Subject::Flow(f) = &t.subject {
            assert!(h.flows.contains(f));
        }
    }

    #[test]
    fn another_document_at_the_same_revision_is_laid_out_afresh() {
        let cat = Catalog::builtin();
        let doc = Document::new(model(), None, None, &cat);
        let mut state = CanvasState::default();
        cached(&mut state, &doc, &cat);
        let mut other_model = model();
        other_model.elements.remove(&ElementId::from("c"));
        let other = Document::new(other_model, None, None, &cat);
        assert_eq!(other.revision, doc.revision);
        let d = cached(&mut state, &other, &cat);
        assert_eq!(d.layout.elements.len(), 2);
    }
}
