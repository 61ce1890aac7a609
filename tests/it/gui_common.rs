//! The app in a kittest harness, as the GUI tests drive it.

use eframe::egui::{self, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use palisade::gui::app::PalisadeApp;
use palisade::model::{Model, ThreatId};
use palisade::rules::Catalog;

/// The app on `model` with `cat`, in a window of `size` points. The threats workspace
/// uses a few symbols the default test fonts lack; accessibility is checked by the
/// tests that are about it (`every_editor_widget_has_an_accessible_name`).
pub fn harness(model: Model, cat: Catalog, size: Vec2) -> Harness<'static, PalisadeApp> {
    Harness::builder()
        .with_size(size)
        .allow_missing_glyphs()
        .with_accessibility_check(false)
        .build_eframe(move |cc| {
            palisade::gui::theme::install_fonts(&cc.egui_ctx);
            PalisadeApp::new_for_test(model, cat)
        })
}

/// Narrows the threats table with its search box (replacing what it held).
pub fn search(h: &mut Harness<'_, PalisadeApp>, text: &str) {
    h.get_by_label("Find").click();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.key_press(egui::Key::Backspace);
    h.get_by_label("Find").type_text(text);
    h.run_steps(3);
}

/// Selects a threat by clicking its row, after narrowing the table to it.
pub fn select_threat(h: &mut Harness<'_, PalisadeApp>, id: &str) {
    search(h, id);
    h.get_by_label(id).click();
    h.run_steps(3);
    assert!(
        h.state().doc.selection.threats.contains(&ThreatId::new(id)),
        "row click selects {id}"
    );
}
