//! The desktop app (eframe): a thin front end over the core. UI code reads the model and
//! pushes [`crate::model::Edit`]s; the app applies them after each frame, records undo,
//! and re-analyses.
//!
//! Map: [`app`] lays out the panels and runs commands; [`document`] holds the open model
//! with its history, analysis and selection; [`canvas`] draws and edits the diagram;
//! [`palette`], [`inspector`], [`menu`] and [`threats`] are the panels; [`files`] does
//! dialogs, background loads, exports and recovery copies; [`theme`] holds the colours.

pub mod actions;
pub mod app;
pub mod canvas;
pub mod commands;
pub mod document;
pub mod file_dialog;
pub mod files;
pub mod history;
pub mod inspector;
pub mod menu;
pub mod palette;
pub mod paths;
pub mod selection;
pub mod theme;
pub mod threats;

use crate::analysis::Analysis;
use crate::model::Model;
use crate::rules::Catalog;
use app::{Banner, PalisadeApp};
use document::Document;
use eframe::egui;
use std::path::PathBuf;

/// The shown document as the panels read it during a frame: the model, its analysis and
/// the catalog. Panels never change it; they push edits and actions, which the app
/// applies after the frame.
#[derive(Clone, Copy)]
pub struct ReadCtx<'a> {
    /// The model.
    pub model: &'a Model,
    /// Its analysis.
    pub analysis: &'a Analysis,
    /// Templates, stencils and rules.
    pub catalog: &'a Catalog,
}

/// Opens the main window with `file`, or with the bundled Docker example when no file is
/// given. `templates` is a directory of extra template files.
pub fn run(file: Option<PathBuf>, templates: Option<PathBuf>) -> anyhow::Result<()> {
    let (user, diags) = (templates.as_deref())
        .map(crate::persist::read_template_dir)
        .unwrap_or_default();
    let catalog = Catalog::with_user_sources(user, diags);
    let (doc, load_error) = initial_document(file, &catalog);
    let recovery = files::recovery_dir_from_env();
    files::dialog_errors::install();
    let opts = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Palisade")
            .with_app_id("palisade")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Palisade",
        opts,
        Box::new(move |cc| {
            theme::install_fonts(&cc.egui_ctx);
            let lock_dir = recovery.clone();
            let mut app = PalisadeApp::new(catalog, doc, recovery);
            app.instance_lock = lock_dir.as_deref().and_then(files::lock_instance);
            if let Some(storage) = cc.storage {
                app::restore_settings(&mut app, storage);
            }
            if let Some(e) = load_error {
                app.banners.push(Banner {
                    text: e,
                    error: true,
                });
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// The document to start with, and an error to show if `file` could not be opened.
fn initial_document(file: Option<PathBuf>, catalog: &Catalog) -> (Document, Option<String>) {
    match file {
        Some(path) => match crate::persist::load(&path) {
            Ok(l) => (
                Document::new(l.model, Some(path), Some(l.stamp), catalog),
                None,
            ),
            Err(e) => {
                let mut d = Document::new(
                    crate::model::Model::new("Untitled model"),
                    None,
                    None,
                    catalog,
                );
                d.untitled_name = "Untitled".into();
                (d, Some(e.to_string()))
            }
        },
        None => {
            let (name, text) = crate::DEFAULT_EXAMPLE;
            let short = name.rsplit('/').next().unwrap_or(name).to_owned();
            match crate::persist::load_bytes(&short, text.as_bytes()) {
                Ok(l) => {
                    let mut d = Document::new(l.model, None, None, catalog);
                    d.untitled_name = short;
                    (d, None)
                }
                Err(e) => {
                    let mut d = Document::new(
                        crate::model::Model::new("Untitled model"),
                        None,
                        None,
                        catalog,
                    );
                    d.untitled_name = "Untitled".into();
                    (d, Some(format!("Bundled example: {e}")))
                }
            }
        }
    }
}
