//! Headless GUI tests of the richer model language: a boundary's typed properties, a
//! flow's channel, relations added and removed from the inspector, selected and deleted
//! on the canvas, and hidden with the Relations toggle. Each checks the model and undo.

use eframe::egui;
use egui::{Modifiers, Pos2, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use palisade::gui::app::PalisadeApp;
use palisade::gui::selection::Item;
use palisade::model::{
    Boundary, BoundaryId, BoundaryKind, Channel, Element, ElementId, Flow, FlowId, Model, Props,
    Relation, RelationId, Value,
};
use palisade::rules::Catalog;

fn harness(model: Model) -> Harness<'static, PalisadeApp> {
    harness_with(model, Catalog::builtin())
}

fn harness_with(model: Model, cat: Catalog) -> Harness<'static, PalisadeApp> {
    crate::gui_common::harness(model, cat, Vec2::new(1400.0, 900.0))
}

/// A namespace with a deployment, its service account and a secret, a Unix-socket-less
/// flow, and one relation (the deployment mounts the secret).
fn model() -> Model {
    let mut m = Model::new("relations");
    let ns = Boundary {
        id: "ns".into(),
        name: "payments".into(),
        kind: BoundaryKind::Namespace,
        trust: 7,
        rect: (0.0, 0.0, 800.0, 600.0),
        ..Default::default()
    };
    m.boundaries.insert(ns.id.clone(), ns);
    for (id, name, kind, pos) in [
        ("web", "web", "k8s.deployment", (200.0, 200.0)),
        ("sa", "web-sa", "k8s.service-account", (600.0, 200.0)),
        ("creds", "db-creds", "k8s.secret", (200.0, 460.0)),
        ("db", "orders DB", "generic.store", (600.0, 460.0)),
    ] {
        let e = Element {
            crown_jewel: Default::default(),
            entry_point: Default::default(),
            provenance: Default::default(),
            id: id.into(),
            name: name.into(),
            kind: kind.into(),
            boundary: Some("ns".into()),
            pos,
            props: Props::new(),
        };
        m.elements.insert(e.id.clone(), e);
    }
    let f = Flow {
        id: "web-to-db".into(),
        name: "SQL".into(),
        source: "web".into(),
        target: "db".into(),
        ..Default::default()
    };
    m.flows.insert(f.id.clone(), f);
    let r = Relation {
        id: "web-creds".into(),
        kind: "k8s.mounts-secret".into(),
        source: "web".into(),
        target: "creds".into(),
        props: Props::new(),
    };
    m.relations.insert(r.id.clone(), r);
    m
}

fn select(h: &mut Harness<'_, PalisadeApp>, item: Item) {
    h.state_mut().doc.selection.select_only(item);
    h.run_steps(2);
}

/// Scrolls a widget into view (the inspector is taller than the panel) and clicks it.
fn press(h: &mut Harness<'_, PalisadeApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    // Scrolling is animated: let it settle before clicking where the widget ends up.
    h.run_steps(6);
    h.get_by_label(label).click();
    h.run_steps(2);
}

/// Clicks the widget of that label in the inspector (the canvas labels its elements
/// with the same names).
fn press_in_inspector(h: &mut Harness<'_, PalisadeApp>, label: &str) {
    let right = h.state().canvas.canvas_rect.right();
    let found = h
        .query_all_by_label(label)
        .find(|n| n.rect().min.x > right)
        .map(|n| n.rect().center());
    let Some(p) = found else {
        panic!("no `{label}` in the inspector")
    };
    click_at(h, p);
}

fn undo(h: &mut Harness<'_, PalisadeApp>) {
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
}

fn screen(h: &Harness<'_, PalisadeApp>, p: (f32, f32)) -> Pos2 {
    let c = &h.state().canvas;
    c.view.screen_from_diagram(c.canvas_rect) * Pos2::new(p.0, p.1)
}

fn click_at(h: &mut Harness<'_, PalisadeApp>, p: Pos2) {
    h.event(egui::Event::PointerMoved(p));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
        h.run_steps(1);
    }
    h.run_steps(1);
}

/// Every relation kind the catalog declares must be a known one for these tests.
fn has_relation_kinds() -> bool {
    let c = Catalog::builtin();
    ["k8s.mounts-secret", "k8s.uses-service-account"]
        .iter()
        .all(|k| c.relation_kind(k).is_some())
        && c.boundary_prop(BoundaryKind::Namespace, "pod_security")
            .is_some()
}

#[test]
fn a_boundary_property_is_edited_in_the_inspector_in_one_undo_step_each() {
    assert!(
        has_relation_kinds(),
        "the built-in templates declare the schemas"
    );
    let mut h = harness(model());
    h.run_steps(3);
    select(&mut h, Item::Boundary("ns".into()));
    press(&mut h, "Default deny ingress");
    let props = |h: &Harness<'_, PalisadeApp>| {
        h.state().doc.model.boundaries[&BoundaryId::from("ns")]
            .props
            .clone()
    };
    assert_eq!(
        props(&h).get("default_deny_ingress"),
        Some(&Value::Bool(true))
    );
    press(&mut h, "Pod security");
    press(&mut h, "restricted");
    assert_eq!(
        props(&h).get("pod_security"),
        Some(&Value::Text("restricted".into()))
    );
    undo(&mut h);
    assert_eq!(
        props(&h).get("pod_security"),
        None,
        "the enum change is one step"
    );
    assert_eq!(
        props(&h).get("default_deny_ingress"),
        Some(&Value::Bool(true))
    );
    undo(&mut h);
    assert!(props(&h).is_empty(), "{:?}", props(&h));
}

#[test]
fn a_flow_channel_is_picked_from_the_dropdown_and_undone() {
    let mut h = harness(model());
    h.run_steps(3);
    select(&mut h, Item::Flow("web-to-db".into()));
    press(&mut h, "Channel");
    press(&mut h, "Unix socket");
    let channel = |h: &Harness<'_, PalisadeApp>| {
        h.state().doc.model.flows[&FlowId::from("web-to-db")].channel
    };
    assert_eq!(channel(&h), Channel::UnixSocket);
    press(&mut h, "Channel");
    press(&mut h, "Shared file / hostPath");
    assert_eq!(channel(&h), Channel::SharedFile);
    undo(&mut h);
    assert_eq!(channel(&h), Channel::UnixSocket);
    undo(&mut h);
    assert_eq!(channel(&h), Channel::Network);
}

#[test]
fn a_relation_is_added_from_the_inspector_and_undone() {
    assert!(
        has_relation_kinds(),
        "the built-in templates declare the kinds"
    );
    let mut h = harness(model());
    h.run_steps(3);
    select(&mut h, Item::Element("web".into()));
    press(&mut h, "Add relation…");
    press(&mut h, "Relation");
    press(&mut h, "uses service account");
    press(&mut h, "Target");
    // Only elements of a kind the relation may point to are offered.
    assert!(h.query_by_label("orders DB  (db)").is_none());
    press(&mut h, "web-sa  (sa)");
    press(&mut h, "Add");
    let rels = |h: &Harness<'_, PalisadeApp>| h.state().doc.model.relations.clone();
    let added: Vec<Relation> = rels(&h)
        .into_values()
        .filter(|r| r.kind == "k8s.uses-service-account")
        .collect();
    assert_eq!(added.len(), 1, "{:?}", rels(&h));
    assert_eq!(
        (added[0].source.as_str(), added[0].target.as_str()),
        ("web", "sa")
    );
    // The inspector now lists it, with the far end's name.
    h.get_by_label("uses service account");
    let right = h.state().canvas.canvas_rect.right();
    assert!(
        h.query_all_by_label("web-sa")
            .any(|n| n.rect().min.x > right),
        "the far end is named in the inspector"
    );
    undo(&mut h);
    assert_eq!(rels(&h).len(), 1, "only the original relation is left");
}

#[test]
fn a_relation_is_removed_from_the_inspector_and_restored_by_undo() {
    let mut h = harness(model());
    h.run_steps(3);
    // From the far end: the secret lists the incoming relation.
    select(&mut h, Item::Element("creds".into()));
    h.get_by_label("mounts secret");
    press(&mut h, "Remove");
    assert!(h.state().doc.model.relations.is_empty());
    undo(&mut h);
    assert!(
        h.state()
            .doc
            .model
            .relations
            .contains_key(&RelationId::from("web-creds"))
    );
}

#[test]
fn clicking_a_relation_row_selects_it_and_its_page_edits_and_removes_it() {
    let mut h = harness(model());
    h.run_steps(3);
    select(&mut h, Item::Element("web".into()));
    press(&mut h, "mounts secret");
    assert_eq!(
        h.state().doc.selection.single(),
        Some(Item::Relation("web-creds".into()))
    );
    // The relation's page: its ends as links, its kind's properties.
    h.get_by_label("Relation");
    press_in_inspector(&mut h, "db-creds");
    assert_eq!(
        h.state().doc.selection.single(),
        Some(Item::Element("creds".into()))
    );
    select(&mut h, Item::Relation("web-creds".into()));
    press(&mut h, "Remove relation");
    assert!(h.state().doc.model.relations.is_empty());
    assert!(h.state().doc.selection.is_empty(), "pruned");
    undo(&mut h);
    assert_eq!(h.state().doc.model.relations.len(), 1);
}

#[test]
fn a_relation_is_clicked_on_the_canvas_deleted_and_hidden_by_the_toggle() {
    let mut h = harness(model());
    h.run_steps(3);
    // The relation runs from `web` (200, 200) down to `creds` (200, 460); click its
    // line away from the label in the middle.
    let on_line = screen(&h, (201.0, 290.0));
    click_at(&mut h, on_line);
    assert_eq!(
        h.state().doc.selection.single(),
        Some(Item::Relation("web-creds".into()))
    );
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    assert!(
        h.state().doc.model.relations.is_empty(),
        "Delete removes it"
    );
    undo(&mut h);
    assert_eq!(h.state().doc.model.relations.len(), 1);

    // Hidden relations are neither drawn nor clickable.
    assert!(h.state().canvas.relations.show);
    press(&mut h, "Relations");
    assert!(!h.state().canvas.relations.show);
    h.state_mut().doc.selection.clear_items();
    click_at(&mut h, on_line);
    assert!(
        h.state().doc.selection.relations.is_empty(),
        "a hidden relation is not selected"
    );
    press(&mut h, "Relations");
    assert!(h.state().canvas.relations.show);
}

#[test]
fn deleting_an_element_removes_its_relations_and_undo_brings_them_back() {
    let mut h = harness(model());
    h.run_steps(3);
    select(&mut h, Item::Element("creds".into()));
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    let m = &h.state().doc.model;
    assert!(!m.elements.contains_key(&ElementId::from("creds")));
    assert!(m.relations.is_empty());
    undo(&mut h);
    let m = &h.state().doc.model;
    assert!(m.elements.contains_key(&ElementId::from("creds")));
    assert_eq!(m.relations.len(), 1);
}

#[test]
fn the_why_panel_names_the_rules_reference_item() {
    let mut h = harness_with(model(), crate::report_facts::catalog_with_seed());
    h.run_steps(3);
    let id = h
        .state()
        .doc
        .analysis
        .threats
        .iter()
        .find(|t| t.id.as_str().starts_with("U-S-01@"))
        .map(|t| t.id.clone());
    let Some(id) = id else {
        panic!("the user rule fires on the secret")
    };
    h.state_mut().doc.selection.threats.insert(id);
    h.run_steps(3);
    h.get_by_label("Reference item: Docker Registry / <Elevation> | *of* privilege");
    // A rule without one shows no such line.
    let app = h.state();
    let other = app
        .doc
        .analysis
        .threats
        .iter()
        .find(|t| match t.origin {
            palisade::analysis::Origin::Rule(ri) => app
                .catalog
                .rules
                .get(ri)
                .is_some_and(|r| r.rule.seed_item.trim().is_empty()),
            palisade::analysis::Origin::Manual => false,
        })
        .map(|t| t.id.clone());
    if let Some(other) = other {
        h.state_mut().doc.selection.threats.clear();
        h.state_mut().doc.selection.threats.insert(other);
        h.run_steps(3);
        assert!(
            h.query_all_by_label_contains("Reference item:")
                .next()
                .is_none(),
            "no reference item for a rule without one"
        );
    }
}

#[test]
fn a_boundary_lists_the_crossing_threats_of_flows_that_cross_it() {
    let m = crate::common::load("tests/rules/models/generic-open.ron");
    let mut h = harness(m);
    h.run_steps(3);
    let crossing = h
        .state()
        .doc
        .analysis
        .threats
        .iter()
        .filter(|t| t.crossed.contains(&BoundaryId::from("dc")))
        .count();
    assert!(crossing > 0, "the fixture has flows crossing into dc");
    select(&mut h, Item::Boundary("dc".into()));
    // The inspector's count line: "Threats: N (M open)".
    let right = h.state().canvas.canvas_rect.right();
    let shown: Vec<usize> = h
        .query_all_by_label_contains("Threats: ")
        .filter(|n| n.rect().min.x > right)
        .filter_map(|n| {
            let label = n
                .accesskit_node()
                .label()
                .or_else(|| n.value())
                .unwrap_or_default();
            label
                .split("Threats: ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|v| v.parse().ok())
        })
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0] >= crossing,
        "{} listed, {crossing} threats cross dc",
        shown[0]
    );
}
