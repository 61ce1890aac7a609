//! Headless tests of the triage workspace (egui_kittest): threats appear and disappear
//! with property changes, triage survives edits and is orphaned rather than lost, undo
//! restores it, bulk triage and filters work.

use eframe::egui;
use egui::Vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use palisade::gui::app::PalisadeApp;
use palisade::model::{ElementId, Model, Status, ThreatId};
use palisade::rules::Catalog;

use crate::common;
use crate::gui_common::{search, select_threat};

fn harness(model: Model) -> Harness<'static, PalisadeApp> {
    crate::gui_common::harness(model, Catalog::builtin(), Vec2::new(1500.0, 1000.0))
}

fn open_model() -> Model {
    common::load("tests/rules/models/generic-open.ron")
}

fn shown(h: &Harness<'_, PalisadeApp>, id: &str) -> bool {
    h.query_all_by_label(id).count() > 0
}

fn status(h: &Harness<'_, PalisadeApp>, id: &str) -> Option<Status> {
    h.state()
        .doc
        .model
        .triage
        .get(&ThreatId::new(id))
        .map(|t| t.status)
}

const S02: &str = "GEN-S-02@element:api";

fn set_status(h: &mut Harness<'_, PalisadeApp>, combo: &str, to: &str) {
    h.get_by_label(combo).scroll_to_me();
    h.run_steps(2);
    h.get_by_label(combo).click();
    h.run_steps(2);
    h.get_by_label(to).click();
    h.run_steps(3);
}

#[test]
fn a_property_change_makes_a_threat_disappear_and_reappear_in_the_panel() {
    let mut h = harness(open_model());
    h.run_steps(3);
    select_threat(&mut h, S02);
    // Clicking the threat selected its subject; the inspector shows the element's properties.
    assert!(
        h.state()
            .doc
            .selection
            .elements
            .contains(&ElementId::new("api"))
    );
    h.get_by_label("Authenticates callers").click();
    h.run_steps(3);
    assert!(h.state().doc.analysis.threat(S02).is_none());
    assert!(!shown(&h, S02), "the closed threat left the table");
    h.get_by_label("Authenticates callers").click();
    h.run_steps(3);
    assert!(shown(&h, S02), "unchecking the control brings it back");
}

#[test]
fn triage_survives_an_edit_that_keeps_the_threat_and_is_orphaned_not_lost_on_delete() {
    let mut h = harness(open_model());
    h.run_steps(3);
    select_threat(&mut h, S02);
    set_status(&mut h, "Triage status", "Mitigated");
    assert_eq!(status(&h, S02), Some(Status::Mitigated));
    // An unrelated property change keeps the threat and its triage.
    h.get_by_label("Validates input").click();
    h.run_steps(3);
    assert!(h.state().doc.analysis.threat(S02).is_some());
    assert_eq!(status(&h, S02), Some(Status::Mitigated));
    // Deleting the subject orphans the record; it stays in the model and in the list.
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    {
        let app = h.state_mut();
        app.doc.selection.clear_items();
        app.doc.selection.elements.insert(ElementId::new("api"));
    }
    h.run_steps(1);
    h.key_press(egui::Key::Delete);
    h.run_steps(3);
    assert!(
        !h.state().doc.model.elements.contains_key("api"),
        "element deleted"
    );
    assert_eq!(
        status(&h, S02),
        Some(Status::Mitigated),
        "the decision is kept"
    );
    assert_eq!(h.state().doc.analysis.orphans, vec![ThreatId::new(S02)]);
    h.get_by_label("Orphaned triage (1)").click();
    h.run_steps(3);
    assert!(shown(&h, S02), "the orphan is listed");
    assert!(
        h.query_all_by_label("element API (deleted)").count() > 0,
        "the record kept the element's name"
    );
    // Undo brings the element back and re-attaches the record.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(3);
    assert!(h.state().doc.model.elements.contains_key("api"));
    assert!(h.state().doc.analysis.orphans.is_empty());
    assert_eq!(status(&h, S02), Some(Status::Mitigated));
}

#[test]
fn orphans_are_deleted_only_on_request() {
    let mut m = open_model();
    palisade::model::Edit::SetTriage(
        ThreatId::new("GEN-S-01@element:ghost"),
        Some(palisade::model::Triage {
            status: Status::AcceptedRisk,
            justification: "old".into(),
            ..Default::default()
        }),
    )
    .apply(&mut m)
    .ok();
    let mut h = harness(m);
    h.run_steps(3);
    h.get_by_label("Orphaned triage (1)").click();
    h.run_steps(3);
    h.get_by_label("Keep as history").click();
    h.run_steps(3);
    let t = &h.state().doc.model.triage[&ThreatId::new("GEN-S-01@element:ghost")];
    assert!(t.kept_as_history);
    h.get_by_label("Delete").click();
    h.run_steps(3);
    assert!(h.state().doc.model.triage.is_empty());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(3);
    assert_eq!(
        h.state().doc.model.triage.len(),
        1,
        "undo restores the deleted record"
    );
}

#[test]
fn bulk_triage_sets_status_and_owner_on_a_multi_selection() {
    let mut h = harness(open_model());
    h.run_steps(3);
    search(&mut h, "@element:api");
    let ids: Vec<String> = h
        .state()
        .doc
        .analysis
        .threats
        .iter()
        .filter(|t| t.id.as_str().ends_with("@element:api"))
        .map(|t| t.id.0.clone())
        .collect();
    assert!(ids.len() >= 3, "{ids:?}");
    h.get_by_label(ids[0].as_str()).click();
    h.run_steps(2);
    for id in &ids[1..3] {
        h.event(egui::Event::ModifiersChanged(egui::Modifiers::COMMAND));
        h.get_by_label(id.as_str())
            .click_modifiers(egui::Modifiers::COMMAND);
        h.run_steps(2);
    }
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    h.run_steps(1);
    assert_eq!(h.state().doc.selection.threats.len(), 3);
    set_status(&mut h, "Set status", "Accepted risk");
    assert!(
        h.query_all_by_label_contains("have no justification")
            .count()
            > 0,
        "accepting without a reason is refused"
    );
    h.get_by_label("Set justification").click();
    h.get_by_label("Set justification")
        .type_text("internal only");
    h.get_by_label("Set owner").click();
    h.get_by_label("Set owner").type_text("platform-team");
    h.run_steps(2);
    h.get_by_label("Apply to 3 threats").click();
    h.run_steps(3);
    for id in &ids[..3] {
        let t = &h.state().doc.model.triage[&ThreatId::new(id.as_str())];
        assert_eq!(
            (t.status, t.owner.as_str(), t.justification.as_str()),
            (Status::AcceptedRisk, "platform-team", "internal only"),
            "{id}"
        );
    }
    // One bulk action is one undo step.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(3);
    assert!(h.state().doc.model.triage.is_empty());
}

#[test]
fn filters_narrow_the_table() {
    let mut h = harness(open_model());
    h.run_steps(3);
    search(&mut h, "user-to-db");
    assert!(shown(&h, "GEN-X-I-02@flow:user-to-db"));
    assert!(!shown(&h, S02));
    search(&mut h, "");
    // The category chip in the summary strip filters to that category.
    let n = h
        .state()
        .doc
        .analysis
        .threats
        .iter()
        .filter(|t| t.category == palisade::model::Stride::Repudiation)
        .count();
    h.get_by_label(format!("R {n}").as_str()).click();
    h.run_steps(3);
    assert!(shown(&h, "GEN-R-02@element:api"));
    assert!(!shown(&h, S02));
}

#[test]
fn clicking_a_threat_selects_its_subject_and_brings_it_into_view() {
    let mut h = harness(open_model());
    h.run_steps(3);
    // Pan the diagram far away, so the subject is off the canvas.
    let canvas = h.state().canvas.canvas_rect;
    h.state_mut().canvas.view.offset += Vec2::new(20_000.0, 20_000.0);
    h.run_steps(2);
    let pos = |h: &Harness<'_, PalisadeApp>| {
        let e = &h.state().doc.model.elements[&ElementId::from("api")];
        egui::pos2(e.pos.0 as f32, e.pos.1 as f32)
    };
    let visible = |h: &Harness<'_, PalisadeApp>| h.state().canvas.view.visible_in_diagram(canvas);
    assert!(!visible(&h).contains(pos(&h)));
    select_threat(&mut h, S02);
    let sel = &h.state().doc.selection;
    assert_eq!(
        sel.elements.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        ["api"]
    );
    assert!(visible(&h).contains(pos(&h)), "the canvas centred on api");
}
