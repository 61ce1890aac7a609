//! Headless tests of controls in the threats workspace (egui_kittest): create a control
//! from a mitigation (confirming its threats), detach, change status, undo.

use eframe::egui;
use egui::Vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use palisade::gui::app::PalisadeApp;
use palisade::model::{ControlStatus, Status, ThreatId};
use palisade::rules::Catalog;

use crate::common;

fn harness() -> Harness<'static, PalisadeApp> {
    let model = common::load("examples/controls-review.ron");
    Harness::builder()
        .with_size(Vec2::new(1500.0, 1000.0))
        .allow_missing_glyphs()
        .with_accessibility_check(false)
        .build_eframe(move |cc| {
            palisade::gui::theme::install_fonts(&cc.egui_ctx);
            PalisadeApp::new_for_test(model, Catalog::builtin())
        })
}

const T: &str = "DOCKER-E-02@element:cadvisor";

fn select(h: &mut Harness<'_, PalisadeApp>, id: &str) {
    h.get_by_label("Find").click();
    h.run_steps(1);
    h.get_by_label("Find").type_text(id);
    h.run_steps(3);
    h.get_by_label(id).click();
    h.run_steps(3);
    assert!(h.state().doc.selection.threats.contains(&ThreatId::new(id)));
}

fn click(h: &mut Harness<'_, PalisadeApp>, label: &str) {
    h.get_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("no `{label}`"))
        .scroll_to_me();
    h.run_steps(2);
    h.get_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("no `{label}`"))
        .click();
    h.run_steps(3);
}

fn undo(h: &mut Harness<'_, PalisadeApp>) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(3);
}

#[test]
fn a_control_from_a_mitigation_attaches_to_the_open_threats_of_the_rule_and_undoes() {
    let mut h = harness();
    h.run_steps(3);
    let before = h.state().doc.model.clone();
    let open_of_rule: Vec<ThreatId> = palisade::analysis::analyze(&before, &Catalog::builtin())
        .threats
        .into_iter()
        .filter(|t| t.id.as_str().starts_with("DOCKER-E-02@") && t.status(&before).is_untriaged())
        .map(|t| t.id)
        .collect();
    assert!(open_of_rule.len() > 1, "the rule has several open threats");
    select(&mut h, T);
    click(&mut h, "Create control…");
    // The confirmation lists every open threat of the rule, ticked.
    for id in &open_of_rule {
        assert!(h.query_all_by_label(id.as_str()).count() > 0, "{id} offered");
    }
    click(&mut h, "Create control");
    let m = &h.state().doc.model;
    let c = m.controls.get("CTL-006").expect("a new control CTL-006");
    assert_eq!(c.threats, open_of_rule);
    assert_eq!(c.status, ControlStatus::Proposed);
    // Detach from the selected threat.
    click(&mut h, "Detach CTL-006");
    let c = &h.state().doc.model.controls["CTL-006"];
    assert!(!c.threats.contains(&ThreatId::new(T)));
    assert_eq!(c.threats.len(), open_of_rule.len() - 1);
    undo(&mut h);
    assert_eq!(h.state().doc.model.controls["CTL-006"].threats, open_of_rule);
    undo(&mut h);
    assert_eq!(h.state().doc.model, before, "undo removes the control exactly");
}

#[test]
fn a_control_set_to_verified_mitigates_its_threat_in_the_workspace() {
    let mut h = harness();
    h.run_steps(3);
    let id = "DOCKER-E-01@element:web-api";
    select(&mut h, id);
    // CTL-002 (In progress) is one of its controls: set it Verified.
    let combo = h
        .get_all_by_label("In progress")
        .next()
        .expect("the status of CTL-002");
    combo.scroll_to_me();
    h.run_steps(2);
    h.get_all_by_label("In progress").next().expect("combo").click();
    h.run_steps(2);
    h.get_all_by_label("Verified").last().expect("option").click();
    h.run_steps(3);
    let m = &h.state().doc.model;
    assert_eq!(m.controls["CTL-002"].status, ControlStatus::Verified);
    let a = palisade::analysis::analyze(m, &Catalog::builtin());
    assert_eq!(a.threat(id).expect("threat").status(m), Status::Mitigated);
    undo(&mut h);
    assert_eq!(h.state().doc.model.controls["CTL-002"].status, ControlStatus::InProgress);
}
