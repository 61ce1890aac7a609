//! The menu bar (File, Edit, View, Model, Help); its items, labels and shortcuts come from
//! the command table in [`super::commands`].

use super::actions::Action;
use super::canvas::CanvasState;
use super::canvas::ops::Align;
use super::commands;
use super::files::EXAMPLES;
use crate::report::Format;
use eframe::egui::{self, ThemePreference};
use std::path::PathBuf;

/// What the menu bar needs to know to enable its items.
pub struct MenuInfo<'a> {
    /// Window title text (file name and dirty marker).
    pub title: &'a str,
    /// Recent files, newest first.
    pub recent: &'a [PathBuf],
    /// Whether undo is possible.
    pub can_undo: bool,
    /// Whether redo is possible.
    pub can_redo: bool,
    /// Whether anything is selected on the canvas.
    pub has_selection: bool,
    /// Number of selected elements (for align).
    pub selected_elements: usize,
    /// Open tabs.
    pub tabs: usize,
    /// Whether the model remembers the manifests it was imported from.
    pub can_resync: bool,
}

/// A menu item for the table's command that runs `action`: its label and shortcut come
/// from [`commands::commands`].
fn cmd_item(
    ui: &mut egui::Ui,
    action: Action,
    enabled: bool,
    actions: &mut Vec<Action>,
) -> Option<egui::Response> {
    let c = commands::command_for(&action)?;
    let mut b = egui::Button::new(c.label);
    if let Some(k) = c.keys.first() {
        b = b.shortcut_text(commands::shortcut_text(k, commands::is_mac(ui.ctx())));
    }
    let r = ui.add_enabled(enabled, b);
    if r.clicked() {
        actions.push(action);
    }
    Some(r)
}

/// Shows the menu bar; pushes the chosen commands.
pub fn menu_bar_ui(
    ui: &mut egui::Ui,
    info: &MenuInfo<'_>,
    canvas: &mut CanvasState,
    theme: &mut ThemePreference,
    actions: &mut Vec<Action>,
) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            cmd_item(ui, Action::NewBlank, true, actions);
            ui.menu_button("New from example", |ui| {
                for (i, ex) in EXAMPLES.iter().enumerate() {
                    if ui.button(ex.title).clicked() {
                        actions.push(Action::NewFromExample(i));
                    }
                }
            });
            cmd_item(ui, Action::Open, true, actions);
            ui.menu_button("Open recent", |ui| {
                if info.recent.is_empty() {
                    ui.label("No recent files");
                }
                for p in info.recent {
                    if ui.button(p.display().to_string()).clicked() {
                        actions.push(Action::OpenPath(p.clone()));
                    }
                }
            });
            ui.menu_button("Import", |ui| {
                for f in crate::import::Format::ALL {
                    cmd_item(ui, Action::Import(f), true, actions);
                }
            });
            if let Some(r) = cmd_item(ui, Action::Resync, info.can_resync, actions) {
                r.on_hover_text("Read the Kubernetes or Compose files this model was imported from and update it; positions, hand edits and triage stay");
            }
            ui.separator();
            cmd_item(ui, Action::Save, true, actions);
            cmd_item(ui, Action::SaveAs, true, actions);
            cmd_item(ui, Action::CloseTab, true, actions);
            ui.separator();
            for f in [
                Format::Pdf,
                Format::Markdown,
                Format::Html,
                Format::Json,
                Format::Sarif,
            ] {
                cmd_item(ui, Action::Export(f), true, actions);
            }
            for f in [
                crate::export::ExportFormat::Otm,
                crate::export::ExportFormat::ThreatDragon,
            ] {
                cmd_item(ui, Action::ExportInterchange(f), true, actions);
            }
            ui.separator();
            cmd_item(ui, Action::Quit, true, actions);
        });
        ui.menu_button("Edit", |ui| {
            cmd_item(ui, Action::Undo, info.can_undo, actions);
            cmd_item(ui, Action::Redo, info.can_redo, actions);
            ui.separator();
            cmd_item(ui, Action::Cut, info.has_selection, actions);
            cmd_item(ui, Action::Copy, info.has_selection, actions);
            if let Some(r) = cmd_item(ui, Action::Paste(None), true, actions) {
                r.on_hover_text("Copied items paste into any open tab");
            }
            cmd_item(ui, Action::Duplicate, info.has_selection, actions);
            cmd_item(ui, Action::Delete, info.has_selection, actions);
            cmd_item(ui, Action::Rename, info.has_selection, actions);
            ui.separator();
            cmd_item(ui, Action::SelectAll, true, actions);
            cmd_item(ui, Action::Find, true, actions);
        });
        ui.menu_button("View", |ui| {
            cmd_item(ui, Action::CommandPalette, true, actions);
            ui.separator();
            cmd_item(ui, Action::Fit, true, actions);
            cmd_item(ui, Action::ZoomIn, true, actions);
            cmd_item(ui, Action::ZoomOut, true, actions);
            cmd_item(ui, Action::ZoomReset, true, actions);
            ui.separator();
            cmd_item(ui, Action::NextTab, info.tabs > 1, actions);
            cmd_item(ui, Action::PrevTab, info.tabs > 1, actions);
            ui.separator();
            ui.checkbox(&mut canvas.show_grid, "Show grid");
            ui.checkbox(&mut canvas.snap, "Snap to grid");
            ui.checkbox(&mut canvas.relations.show, "Show relations");
            ui.separator();
            ui.label("Theme");
            ui.radio_value(theme, ThemePreference::System, "Follow the system");
            ui.radio_value(theme, ThemePreference::Light, "Light");
            ui.radio_value(theme, ThemePreference::Dark, "Dark");
        });
        ui.menu_button("Model", |ui| {
            cmd_item(ui, Action::ToolBoundary, true, actions);
            cmd_item(ui, Action::ToolConnect, true, actions);
            ui.add_enabled_ui(info.selected_elements >= 2, |ui| {
                ui.menu_button("Align", |ui| {
                    for a in Align::ALL {
                        let enabled = info.selected_elements >= 3
                            || !matches!(a, Align::DistributeX | Align::DistributeY);
                        cmd_item(ui, Action::Align(a), enabled, actions);
                    }
                });
            });
            cmd_item(ui, Action::RevealSelection, info.has_selection, actions);
        });
        ui.menu_button("Help", |ui| {
            cmd_item(ui, Action::CommandPalette, true, actions);
            cmd_item(ui, Action::Help, true, actions);
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // The dirty marker is drawn apart, larger and in the accent colour, so an
            // unsaved model is obvious at a glance.
            let (name, dirty) = match info.title.strip_suffix(" •") {
                Some(n) => (n, true),
                None => (info.title, false),
            };
            if dirty {
                ui.label(egui::RichText::new("●").color(ui.visuals().warn_fg_color))
                    .on_hover_text("Unsaved changes");
            }
            ui.label(egui::RichText::new(name).strong());
        });
    });
}
