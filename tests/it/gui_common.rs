//! The app in a kittest harness, as the GUI tests drive it.

use eframe::egui::Vec2;
use egui_kittest::Harness;
use palisade::gui::app::PalisadeApp;
use palisade::model::Model;
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
