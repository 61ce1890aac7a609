//! The desktop app (eframe).

use std::path::PathBuf;

/// Opens the main window.
pub fn run(file: Option<PathBuf>, templates: Option<PathBuf>) -> anyhow::Result<()> {
    let _ = (file, templates);
    let opts = eframe::NativeOptions::default();
    eframe::run_native("Palisade", opts, Box::new(|_cc| Ok(Box::new(Stub))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

struct Stub;

impl eframe::App for Stub {
    fn ui(&mut self, ui: &mut eframe::egui::Ui, _frame: &mut eframe::Frame) {
        eframe::egui::CentralPanel::default().show(ui, |ui| {
            ui.label("Palisade");
        });
    }
}
