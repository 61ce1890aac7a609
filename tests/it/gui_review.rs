//! Headless tests of what a first-time reviewer tripped over in the desktop app, and of
//! the built-in file dialog used where no native one can be shown.

use eframe::egui;
use egui::{Modifiers, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use palisade::gui::actions::Action;
use palisade::gui::app::PalisadeApp;
use palisade::model::Model;
use palisade::rules::Catalog;

use crate::common;

fn harness_sized(model: Model, size: Vec2) -> Harness<'static, PalisadeApp> {
    Harness::builder()
        .with_size(size)
        .allow_missing_glyphs()
        .with_accessibility_check(false)
        .build_eframe(move |cc| {
            palisade::gui::theme::install_fonts(&cc.egui_ctx);
            PalisadeApp::new_for_test(model, Catalog::builtin())
        })
}

fn harness(model: Model) -> Harness<'static, PalisadeApp> {
    harness_sized(model, Vec2::new(1400.0, 900.0))
}

fn generic_open() -> Model {
    common::load("tests/rules/models/generic-open.ron")
}

fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

/// Types `path` into the built-in dialog's file field (it holds `suggested` now) and
/// presses Enter.
fn type_into_builtin_dialog(h: &mut Harness<'_, PalisadeApp>, suggested: &str, path: &str) {
    // The text field and its text run both carry the value; the field comes first.
    match h.query_all_by_value(suggested).next() {
        Some(n) => n.click(),
        None => panic!("no field holds {suggested}"),
    }
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.run_steps(1);
    h.event(egui::Event::Text(path.to_owned()));
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
}

#[test]
fn without_a_native_dialog_quit_then_save_of_a_new_model_uses_the_built_in_one() {
    let dir = tempdir();
    let target = dir.path().join("fresh");
    let mut h = harness(Model::new("Untitled model"));
    h.run_steps(2);
    h.get_by_label("Process").click();
    h.run_steps(1);
    let c = h.state().canvas.canvas_rect.center();
    h.event(egui::Event::PointerMoved(c));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos: c,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
        h.run_steps(1);
    }
    assert!(h.state().doc.dirty, "placed an element");
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Q);
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(3);
    assert!(
        h.state().builtin_dialog.is_some(),
        "the built-in dialog opened"
    );
    assert!(
        h.state()
            .banners
            .iter()
            .any(|b| b.text.contains("No system file dialog") && !b.error),
        "it says why: {:?}",
        h.state().banners
    );
    assert!(!h.state().is_closing());
    type_into_builtin_dialog(&mut h, "model.ron", &target.display().to_string());
    let saved = target.with_extension("ron");
    let loaded = match palisade::persist::load(&saved) {
        Ok(l) => l,
        Err(e) => panic!("{}: {e}", saved.display()),
    };
    assert_eq!(loaded.model, h.state().doc.model);
    assert!(!h.state().doc.dirty);
    assert!(
        h.state().is_closing(),
        "the quit that waited for the save goes on"
    );
}

#[test]
fn cancelling_the_built_in_dialog_says_nothing_was_saved_and_keeps_the_window() {
    let mut h = harness(generic_open());
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(&ctx, Action::SaveAs);
    h.run_steps(2);
    assert!(h.state().builtin_dialog.is_some());
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.state().builtin_dialog.is_none());
    let note = h.state().status_note.clone().map(|n| n.0);
    assert_eq!(note.as_deref(), Some("Save cancelled: nothing was saved"));
    assert!(!h.state().is_closing());
}

#[test]
fn export_through_the_built_in_dialog_writes_the_report() {
    let dir = tempdir();
    let target = dir.path().join("report");
    let mut h = harness(generic_open());
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(
        &ctx,
        Action::Export(palisade::report::render::Format::Markdown),
    );
    h.run_steps(2);
    type_into_builtin_dialog(&mut h, "Untitled-report.md", &target.display().to_string());
    let out = target.with_extension("md");
    for _ in 0..200 {
        if out.exists()
            && h.state()
                .status_note
                .as_ref()
                .is_some_and(|n| n.0.starts_with("Exported"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        text.starts_with('#'),
        "a Markdown report at {}",
        out.display()
    );
}
