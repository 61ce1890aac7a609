//! Headless tests of controls in the desktop app (egui_kittest), driven through the UI
//! on `examples/controls-review.ron`: attaching a control from a mitigation, detaching
//! it, what its status does to the threat, orphaned links, per-field undo, and the risk
//! heat maps in the summary.

use eframe::egui;
use egui::Vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use palisade::gui::app::PalisadeApp;
use palisade::model::{Control, ControlId, ControlStatus, Edit, Model, Status, ThreatId};
use palisade::rules::Catalog;

use crate::common;
use crate::gui_common::select_threat;

const EXAMPLE: &str = "examples/controls-review.ron";
/// Named by CTL-002 (In progress), so open.
const E01: &str = "DOCKER-E-01@element:web-api";

fn harness(model: Model) -> Harness<'static, PalisadeApp> {
    crate::gui_common::harness(model, Catalog::builtin(), Vec2::new(1600.0, 1200.0))
}

/// Scrolls a widget into view, then clicks it.
fn click(h: &mut Harness<'_, PalisadeApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    // Scrolling is animated: let it settle before reading where the widget is.
    h.run();
    h.get_by_label(label).click();
    h.run_steps(3);
}

fn pick(h: &mut Harness<'_, PalisadeApp>, combo: &str, to: &str) {
    click(h, combo);
    h.get_by_label(to).click();
    h.run_steps(3);
}

fn undo(h: &mut Harness<'_, PalisadeApp>) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(3);
}

/// Clicks a text field and selects what it holds, so typing replaces it.
fn select_field(h: &mut Harness<'_, PalisadeApp>, label: &str) {
    click(h, label);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
}

/// Whether some widget's label contains `text`.
fn says(h: &Harness<'_, PalisadeApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// A vector in the top cell of the 5 × 5 matrix (base 9.8).
const VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

fn control<'a>(h: &'a Harness<'_, PalisadeApp>, id: &str) -> Option<&'a Control> {
    h.state().doc.model.controls.get(id)
}

fn threat_status(h: &Harness<'_, PalisadeApp>, id: &str) -> Status {
    let app = h.state();
    let t = app.doc.analysis.threat(id).expect("threat");
    t.status(&app.doc.model)
}

/// Opens the Controls panel under the detail pane.
fn open_controls_panel(h: &mut Harness<'_, PalisadeApp>) {
    let n = h.state().doc.model.controls.len();
    click(h, &format!("Controls ({n})"));
}

#[test]
fn a_control_created_from_a_mitigation_attaches_to_the_ticked_threats() {
    let (m, a) = common::analysed(EXAMPLE);
    let cat = common::catalog();
    // An open threat with mitigations that no control names yet.
    let t = a
        .threats
        .iter()
        .find(|t| {
            t.status(&m).is_untriaged()
                && !m.controls.values().any(|c| c.names(t.id.as_str()))
                && !palisade::report::threat_view(&m, cat, t)
                    .mitigations
                    .is_empty()
        })
        .expect("an open threat with a mitigation");
    let id = t.id.0.clone();
    let mitigation = palisade::report::threat_view(&m, cat, t).mitigations[0].clone();
    let rule = id.split('@').next().unwrap_or_default().to_owned();
    let siblings = palisade::gui::threats::controls::same_mitigation(&m, &a, t);
    let mut h = harness(m);
    h.run_steps(3);
    select_threat(&mut h, &id);
    click(&mut h, &format!("Create control: {mitigation}"));
    // The dialog lists the open threats of the rule, all ticked.
    for s in &siblings {
        // (The table lists it too, so more than one node carries the id.)
        assert!(
            h.query_all_by_label(s.as_str()).count() > 0,
            "{s} is offered in the dialog"
        );
    }
    h.get_by_label("Create control").click();
    h.run_steps(3);
    let c = control(&h, "CTL-006").expect("a new control CTL-006");
    assert_eq!(c.title, mitigation.trim());
    assert_eq!(c.status, ControlStatus::Proposed);
    assert_eq!(c.threats, {
        let mut s = siblings.clone();
        s.sort();
        s
    });
    assert!(c.threats.iter().all(|t| t.as_str().starts_with(&rule)));
    // The threat's detail now lists it, with its status picker and Detach.
    assert!(h.query_by_label("Detach CTL-006").is_some());
    assert!(h.query_by_label("Status of CTL-006").is_some());
    // A proposed control decides nothing.
    assert!(threat_status(&h, &id).is_untriaged());
    undo(&mut h);
    assert!(control(&h, "CTL-006").is_none(), "undo removes the control");
}

#[test]
fn detach_removes_the_threat_from_the_control_and_undo_puts_it_back() {
    let mut h = harness(common::load(EXAMPLE));
    h.run_steps(3);
    select_threat(&mut h, E01);
    click(&mut h, "Detach CTL-002");
    let c = control(&h, "CTL-002").expect("CTL-002");
    assert_eq!(
        c.threats,
        [ThreatId::new("DOCKER-E-01@element:log-shipper")],
        "only this threat left the control"
    );
    assert!(
        h.query_by_label("Detach CTL-002").is_none(),
        "the detail no longer lists CTL-002"
    );
    undo(&mut h);
    assert!(
        control(&h, "CTL-002")
            .expect("CTL-002")
            .threats
            .contains(&ThreatId::new(E01))
    );
    assert!(h.query_by_label("Detach CTL-002").is_some());
}

#[test]
fn an_implemented_control_mitigates_its_threat_in_the_list_and_rejected_does_not() {
    let mut h = harness(common::load(EXAMPLE));
    h.run_steps(3);
    select_threat(&mut h, E01);
    assert_eq!(threat_status(&h, E01), Status::Open);
    assert_eq!(
        h.query_all_by_label("Mitigated").count(),
        0,
        "the list shows it open"
    );
    pick(&mut h, "Status of CTL-002", "Implemented");
    assert_eq!(
        control(&h, "CTL-002").expect("CTL-002").status,
        ControlStatus::Implemented
    );
    assert_eq!(threat_status(&h, E01), Status::Mitigated);
    assert!(
        h.query_all_by_label("Mitigated").count() > 0,
        "the threat's row says Mitigated"
    );
    // Both threats CTL-002 names are mitigated, and the summary counts them.
    assert_eq!(
        threat_status(&h, "DOCKER-E-01@element:log-shipper"),
        Status::Mitigated
    );
    let open_after: usize = h.state().doc.summary.open_by_severity.iter().sum();
    pick(&mut h, "Status of CTL-002", "Rejected");
    assert_eq!(threat_status(&h, E01), Status::Open);
    assert_eq!(
        threat_status(&h, "DOCKER-E-01@element:log-shipper"),
        Status::Open
    );
    let open_rejected: usize = h.state().doc.summary.open_by_severity.iter().sum();
    assert_eq!(
        open_rejected,
        open_after + 2,
        "a rejected control decides nothing"
    );
    // Each status change is one undo step.
    undo(&mut h);
    assert_eq!(
        control(&h, "CTL-002").expect("CTL-002").status,
        ControlStatus::Implemented
    );
    undo(&mut h);
    assert_eq!(
        control(&h, "CTL-002").expect("CTL-002").status,
        ControlStatus::InProgress
    );
    assert_eq!(threat_status(&h, E01), Status::Open);
}

fn with_orphan() -> Model {
    let mut m = common::load(EXAMPLE);
    let mut c = m.controls[&ControlId::new("CTL-004")].clone();
    c.threats.push(ThreatId::new("DOCKER-R-03@element:gone"));
    c.normalise();
    Edit::PutControl(c).apply(&mut m).expect("edit");
    m
}

#[test]
fn orphaned_links_are_shown_and_kept_or_detached_only_on_request() {
    let mut h = harness(with_orphan());
    h.run_steps(3);
    open_controls_panel(&mut h);
    assert!(
        h.query_by_label("1 orphaned").is_some(),
        "the panel flags CTL-004's link to a threat that no longer exists"
    );
    click(&mut h, "Keep orphaned links of CTL-004 as history");
    let c = control(&h, "CTL-004").expect("CTL-004");
    assert_eq!(
        c.kept_as_history,
        [ThreatId::new("DOCKER-R-03@element:gone")]
    );
    assert_eq!(c.threats.len(), 2, "keeping it detaches nothing");
    assert!(
        h.query_by_label("1 orphaned").is_none(),
        "a link kept as history is no longer flagged"
    );
    undo(&mut h);
    assert!(
        control(&h, "CTL-004")
            .expect("CTL-004")
            .kept_as_history
            .is_empty()
    );
    assert!(h.query_by_label("1 orphaned").is_some());
    click(&mut h, "Detach orphaned links of CTL-004");
    let c = control(&h, "CTL-004").expect("CTL-004");
    assert_eq!(c.threats, [ThreatId::new("DOCKER-R-03@element:registry")]);
    assert!(h.query_by_label("1 orphaned").is_none());
    undo(&mut h);
    assert_eq!(control(&h, "CTL-004").expect("CTL-004").threats.len(), 2);
}

/// Types one character a frame, as a person does.
fn type_keys(h: &mut Harness<'_, PalisadeApp>, field: &str, text: &str) {
    for ch in text.chars() {
        h.get_by_label(field).type_text(&ch.to_string());
        h.run_steps(1);
    }
}

#[test]
fn typing_a_control_title_is_one_undo_step_per_field() {
    let mut h = harness(common::load(EXAMPLE));
    h.run_steps(3);
    open_controls_panel(&mut h);
    let steps = h.state().doc.history.undo_len();
    select_field(&mut h, "CTL-005 title");
    type_keys(&mut h, "CTL-005 title", "Rootless dockerd");
    // Then the owner: a new field is a new step.
    select_field(&mut h, "CTL-005 owner");
    type_keys(&mut h, "CTL-005 owner", "SRE");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    let c = control(&h, "CTL-005").expect("CTL-005");
    assert_eq!(
        (c.title.as_str(), c.owner.as_str()),
        ("Rootless dockerd", "SRE")
    );
    assert_eq!(
        h.state().doc.history.undo_len(),
        steps + 2,
        "one step per field, not per keystroke"
    );
    undo(&mut h);
    let c = control(&h, "CTL-005").expect("CTL-005");
    assert_eq!(
        (c.title.as_str(), c.owner.as_str()),
        ("Rootless dockerd", "Platform Engineering")
    );
    undo(&mut h);
    assert_eq!(
        control(&h, "CTL-005").expect("CTL-005").title,
        "Rootless Docker daemon"
    );
}

/// The accessible name of a heat-map cell, as the summary draws it.
fn cell_label(title: &str, m: &palisade::analysis::risk::Matrix, l: u8, i: u8) -> String {
    use palisade::analysis::risk::{self, Cell};
    let c = Cell {
        likelihood: l,
        impact: i,
    };
    let n = m.at(c);
    format!(
        "{title}: {n} {} likelihood {} × impact {} ({} risk)",
        if n == 1 { "threat," } else { "threats," },
        risk::likelihood_labels(m.scale)[usize::from(l - 1)],
        risk::impact_labels(m.scale)[usize::from(i - 1)],
        c.level(m.scale).key()
    )
}

fn heat_maps_shown(h: &Harness<'_, PalisadeApp>) -> Vec<String> {
    let app = h.state();
    let m =
        palisade::analysis::risk::matrices(&app.doc.model, common::catalog(), &app.doc.analysis);
    let mut missing = Vec::new();
    for (title, mx) in [
        ("Risk before controls", &m.initial),
        ("Residual risk after controls", &m.residual),
    ] {
        for l in 1..=mx.scale.levels() {
            for i in 1..=mx.scale.levels() {
                let label = cell_label(title, mx, l, i);
                if h.query_by_label(&label).is_none() {
                    missing.push(label);
                }
            }
        }
    }
    missing
}

#[test]
fn the_summary_heat_maps_count_every_cell_and_follow_control_status() {
    let mut h = harness(common::load(EXAMPLE));
    h.run_steps(3);
    assert_eq!(
        heat_maps_shown(&h),
        Vec::<String>::new(),
        "all 50 cells named"
    );
    let before = h.state().doc.summary.risk.clone();
    assert!(before.residual.total() > 0);
    select_threat(&mut h, E01);
    pick(&mut h, "Status of CTL-002", "Implemented");
    let after = h.state().doc.summary.risk.clone();
    assert_eq!(
        after.initial, before.initial,
        "controls do not change the initial risk"
    );
    assert_ne!(
        after.residual, before.residual,
        "an implemented control lowers the residual risk"
    );
    assert_eq!(
        heat_maps_shown(&h),
        Vec::<String>::new(),
        "the cells show the new counts"
    );
    // The chip in the summary strip hides and shows them.
    h.get_by_label("Risk matrix").click();
    h.run_steps(3);
    assert!(!says(&h, "Risk before controls:"));
    h.get_by_label("Risk matrix").click();
    h.run_steps(3);
    assert!(says(&h, "Risk before controls:"));
}

#[test]
fn a_manual_threat_takes_a_cvss_vector_only_when_it_is_valid() {
    let mut h = harness(common::load(EXAMPLE));
    h.run_steps(3);
    click(&mut h, "Add manual threat to the whole system…");
    h.get_by_label("New threat title").click();
    h.run_steps(2);
    h.get_by_label("New threat title")
        .type_text("Backups readable by every operator");
    h.run_steps(2);
    click(&mut h, "New threat CVSS 3.1");
    h.get_by_label("New threat CVSS 3.1")
        .type_text("CVSS:3.1/AV:N/AC:L");
    h.run_steps(3);
    assert!(
        says(&h, "lacks the base metric PR"),
        "the form says what is wrong"
    );
    click(&mut h, "Add threat");
    assert!(
        h.state().doc.model.manual_threats.is_empty(),
        "an invalid vector is not saved"
    );
    select_field(&mut h, "New threat CVSS 3.1");
    h.get_by_label("New threat CVSS 3.1").type_text(VECTOR);
    h.run_steps(3);
    assert!(
        says(&h, "Base 9.8: likelihood Almost certain × impact Severe"),
        "the form shows where the vector puts the threat"
    );
    click(&mut h, "Add threat");
    let m = h
        .state()
        .doc
        .model
        .manual_threats
        .values()
        .next()
        .expect("the threat was added")
        .clone();
    assert_eq!(m.cvss, VECTOR);
    // It counts in the summary's heat map in the top cell.
    assert!(h.state().doc.summary.risk.initial.counts[4][4] >= 1);
    assert_eq!(heat_maps_shown(&h), Vec::<String>::new());
    // Its detail shows the vector and its score.
    select_threat(&mut h, m.id.as_str());
    assert!(
        h.query_by_label(&format!("CVSS 3.1: {VECTOR} (base 9.8)"))
            .is_some()
    );
    undo(&mut h);
    assert!(h.state().doc.model.manual_threats.is_empty());
}

#[test]
fn a_rule_threats_triage_takes_a_cvss_vector_only_when_it_is_valid() {
    let mut h = harness(common::load(EXAMPLE));
    h.run_steps(3);
    let cvss_of = |h: &Harness<'_, PalisadeApp>| {
        h.state()
            .doc
            .model
            .triage
            .get(E01)
            .map(|t| t.cvss.clone())
            .unwrap_or_default()
    };
    let cell_count = |h: &Harness<'_, PalisadeApp>| h.state().doc.summary.risk.initial.counts[4][4];
    let top_before = cell_count(&h);
    select_threat(&mut h, E01);
    click(&mut h, "CVSS 3.1");
    h.get_by_label("CVSS 3.1").type_text("CVSS:3.1/AV:N/AC:L");
    h.run_steps(3);
    assert!(
        says(&h, "lacks the base metric PR"),
        "the form says what is wrong"
    );
    // Leaving the field does not save a vector that is not one.
    h.key_press(egui::Key::Tab);
    h.run_steps(3);
    assert_eq!(cvss_of(&h), "", "an invalid vector is not saved");
    select_field(&mut h, "CVSS 3.1");
    h.get_by_label("CVSS 3.1").type_text(VECTOR);
    h.run_steps(3);
    assert!(
        says(&h, "Base 9.8: likelihood Almost certain × impact Severe"),
        "the form shows where the vector puts the threat"
    );
    h.key_press(egui::Key::Tab);
    h.run_steps(3);
    assert_eq!(cvss_of(&h), VECTOR);
    // The threat moves into the top cell of the heat map and its detail shows the score.
    assert_eq!(cell_count(&h), top_before + 1);
    assert!(
        h.query_by_label(&format!("CVSS 3.1: {VECTOR} (base 9.8)"))
            .is_some()
    );
    undo(&mut h);
    assert_eq!(cvss_of(&h), "");
    assert_eq!(cell_count(&h), top_before);
}
