//! The diagram canvas: our own pan / zoom transform (`screen_from_diagram`), culled
//! painting, and gestures (move, connect, resize, rectangle select, place, draw a
//! boundary). Gesture state lives here, apart from the model: a drag is shown as a
//! preview and becomes edits only when it ends, so one drag is one undo step.
//!
//! A frame is two passes over one read-only [`Scene`]: `gestures.rs` reads the input and
//! changes the selection, the view and the gesture; `paint.rs` draws what they are.
//! `layout.rs` (geometry, hit testing) and `draw.rs` (shapes) are pure of input.

pub mod draw;
mod far;
mod gestures;
pub mod layout;
pub mod ops;
mod paint;
pub mod relations;
pub mod view;

use super::actions::Action;
use super::selection::Selection;
use crate::analysis::{Analysis, Subject};
use crate::gui::ReadCtx;
use crate::gui::paths::Focus;
use crate::model::{BoundaryId, Edit, ElementId, FlowId, Model, Value};
use crate::rules::Catalog;
use draw::Badge;
use eframe::egui::{self, Pos2, Rect, Vec2};
use gestures::Gesture;
use layout::{Hit, Layout, Preview};
use std::collections::BTreeMap;
use std::sync::Arc;
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
    /// The far view's meshes of the last frame, painted again while nothing changes.
    far: Option<far::FarCache>,
}

/// What identifies the model state a [`Derived`] was built from: the document's
/// generation (see `Document::generation`) and the catalog (its address: the app keeps one
/// catalog for its lifetime).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
            far: None,
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
    let naming = crate::analysis::controls::Naming::new(model);
    for t in &analysis.threats {
        if !t.status_by(model, &naming).is_untriaged() {
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

/// What the canvas reads in a frame and never changes: the document shown, the catalog,
/// and what the rest of the app asks it to show.
#[derive(Clone, Copy)]
pub struct Scene<'a> {
    /// The document shown.
    pub doc: ReadCtx<'a>,
    /// Identifies the model state, for the cached layout.
    pub key: DerivedKey,
    /// The attack path selected in the Paths tab: everything off it is dimmed.
    pub focus: Option<&'a Focus>,
}

/// Shows the canvas: the gesture pass reads the input, then the painting pass draws what
/// it left. Pushes model changes to `edits` (applied after the frame as one undo step)
/// and commands to `actions`; changes the selection directly.
pub fn canvas_ui(
    ui: &mut egui::Ui,
    scene: &Scene<'_>,
    selection: &mut Selection,
    state: &mut CanvasState,
    edits: &mut Vec<Edit>,
    actions: &mut Vec<Action>,
) {
    let frame = gestures::update(ui, scene, selection, state, edits, actions);
    paint::paint(ui, scene, selection, state, &frame);
    relations::toggle_ui(ui, frame.rect, scene.doc.model, &mut state.relations);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::ReadCtx;
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

    /// Runs one frame of the canvas alone in a 900 × 600 window.
    fn frame(
        ctx: &egui::Context,
        doc: &Document,
        cat: &Catalog,
        st: &mut CanvasState,
        sel: &mut Selection,
    ) {
        let input = egui::RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, Vec2::new(900.0, 600.0))),
            ..Default::default()
        };
        let mut out = ctx.run_ui(input, |ui| {
            let scene = Scene {
                doc: ReadCtx {
                    model: &doc.model,
                    analysis: &doc.analysis,
                    catalog: cat,
                },
                key: DerivedKey::new(doc.generation(), cat),
                focus: None,
            };
            canvas_ui(ui, &scene, sel, st, &mut Vec::new(), &mut Vec::new());
        });
        out.textures_delta.clear();
    }

    #[test]
    fn the_far_view_paints_its_meshes_again_until_something_they_show_changes() {
        let cat = Catalog::builtin();
        let mut doc = Document::new(model(), None, None, &cat);
        let ctx = egui::Context::default();
        let mut st = CanvasState::default();
        let mut sel = Selection::default();
        frame(&ctx, &doc, &cat, &mut st, &mut sel);
        assert!(st.far.is_none(), "fitted, the small model is not far");
        st.view.zoom = 0.03;
        let elements = |st: &CanvasState| {
            st.far
                .as_ref()
                .and_then(|c| c.elements.mesh.clone())
                .unwrap_or_else(|| panic!("the far view has an element mesh"))
        };
        frame(&ctx, &doc, &cat, &mut st, &mut sel);
        let first = elements(&st);
        frame(&ctx, &doc, &cat, &mut st, &mut sel);
        assert!(
            Arc::ptr_eq(&first, &elements(&st)),
            "an idle frame reuses it"
        );

        sel.elements.insert("a".into());
        frame(&ctx, &doc, &cat, &mut st, &mut sel);
        let selected = elements(&st);
        assert!(!Arc::ptr_eq(&first, &selected), "a selection rebuilds it");
        assert_eq!(
            st.far.as_ref().map(|c| c.elements.singles.clone()),
            Some(vec![0]),
            "the selected element is painted on its own"
        );

        doc.apply(
            vec![Edit::MoveElement("b".into(), (420.0, 260.0))],
            None,
            &cat,
        )
        .expect("move");
        frame(&ctx, &doc, &cat, &mut st, &mut sel);
        assert!(
            !Arc::ptr_eq(&selected, &elements(&st)),
            "an edit rebuilds it"
        );

        st.view.zoom = 0.1;
        frame(&ctx, &doc, &cat, &mut st, &mut sel);
        assert!(
            st.far.is_none(),
            "nothing is cached nearer than the far view"
        );
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
