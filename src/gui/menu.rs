//! The menu bar (File, Edit, View, Model, Help), the keyboard shortcuts, and the help
//! window that lists them.

use super::actions::Action;
use super::canvas::ops::Align;
use super::canvas::{CanvasState, Tool};
use super::files::EXAMPLES;
use crate::report::render::Format;
use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, ThemePreference};
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
    /// Whether the model remembers the manifests it was imported from.
    pub can_resync: bool,
}

const fn sc(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

/// Ctrl+N.
pub const NEW: KeyboardShortcut = sc(Modifiers::COMMAND, Key::N);
/// Ctrl+O.
pub const OPEN: KeyboardShortcut = sc(Modifiers::COMMAND, Key::O);
/// Ctrl+S.
pub const SAVE: KeyboardShortcut = sc(Modifiers::COMMAND, Key::S);
/// Ctrl+Shift+S.
pub const SAVE_AS: KeyboardShortcut = sc(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
/// Ctrl+Q.
pub const QUIT: KeyboardShortcut = sc(Modifiers::COMMAND, Key::Q);
/// Ctrl+Z.
pub const UNDO: KeyboardShortcut = sc(Modifiers::COMMAND, Key::Z);
/// Ctrl+Shift+Z.
pub const REDO: KeyboardShortcut = sc(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
/// Ctrl+Y (alternative redo).
pub const REDO_Y: KeyboardShortcut = sc(Modifiers::COMMAND, Key::Y);
/// Ctrl+C.
pub const COPY: KeyboardShortcut = sc(Modifiers::COMMAND, Key::C);
/// Ctrl+X.
pub const CUT: KeyboardShortcut = sc(Modifiers::COMMAND, Key::X);
/// Ctrl+V.
pub const PASTE: KeyboardShortcut = sc(Modifiers::COMMAND, Key::V);
/// Ctrl+D.
pub const DUPLICATE: KeyboardShortcut = sc(Modifiers::COMMAND, Key::D);
/// Ctrl+A.
pub const SELECT_ALL: KeyboardShortcut = sc(Modifiers::COMMAND, Key::A);
/// Ctrl+F.
pub const FIND: KeyboardShortcut = sc(Modifiers::COMMAND, Key::F);
/// Ctrl++.
pub const ZOOM_IN: KeyboardShortcut = sc(Modifiers::COMMAND, Key::Plus);
/// Ctrl+=, the same key without Shift on most layouts.
pub const ZOOM_IN_EQ: KeyboardShortcut = sc(Modifiers::COMMAND, Key::Equals);
/// Ctrl+-.
pub const ZOOM_OUT: KeyboardShortcut = sc(Modifiers::COMMAND, Key::Minus);
/// Ctrl+0.
pub const ZOOM_RESET: KeyboardShortcut = sc(Modifiers::COMMAND, Key::Num0);

/// Every shortcut with what it does, for the help window.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl+N", "New model"),
    ("Ctrl+O", "Open…"),
    ("Ctrl+S", "Save"),
    ("Ctrl+Shift+S", "Save as…"),
    ("Ctrl+Q", "Quit"),
    ("Ctrl+Z", "Undo"),
    ("Ctrl+Shift+Z / Ctrl+Y", "Redo"),
    (
        "Ctrl+C / Ctrl+X / Ctrl+V",
        "Copy / cut / paste (works between files)",
    ),
    ("Ctrl+D", "Duplicate"),
    ("Delete / Backspace", "Delete the selection"),
    ("Ctrl+A", "Select all"),
    ("Arrows (Shift: fine)", "Nudge the selection"),
    (
        "Esc",
        "Cancel the drag, back to the select tool, clear the selection",
    ),
    ("F2, or double-click", "Rename the selected item"),
    ("Ctrl+F", "Find a stencil or element"),
    ("F", "Fit the diagram to the window"),
    ("Ctrl++ / Ctrl+- / Ctrl+0", "Zoom in / out / 100 %"),
    ("Wheel, pinch, Ctrl+wheel", "Zoom about the pointer"),
    ("Drag empty space, middle drag, Space+drag", "Pan"),
    ("Shift+drag empty space", "Rectangle select"),
    ("Click / Shift+click", "Select / add to the selection"),
    (
        "Drag from an element's edge, or Ctrl+drag / Alt+drag",
        "Draw a flow to another element",
    ),
    (
        "Drag a boundary's title or border",
        "Move it with everything inside",
    ),
    ("Drag a selected boundary's corner", "Resize it"),
    ("Alt while dragging", "Do not snap to the grid"),
    ("Right-click", "Context menu"),
];

fn item(
    ui: &mut egui::Ui,
    label: &str,
    shortcut: Option<&KeyboardShortcut>,
    enabled: bool,
) -> bool {
    let mut b = egui::Button::new(label);
    if let Some(s) = shortcut {
        b = b.shortcut_text(ui.ctx().format_shortcut(s));
    }
    ui.add_enabled(enabled, b).clicked()
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
            if item(ui, "New", Some(&NEW), true) {
                actions.push(Action::NewBlank);
            }
            ui.menu_button("New from example", |ui| {
                for (i, ex) in EXAMPLES.iter().enumerate() {
                    if ui.button(ex.title).clicked() {
                        actions.push(Action::NewFromExample(i));
                    }
                }
            });
            if item(ui, "Open…", Some(&OPEN), true) {
                actions.push(Action::Open);
            }
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
                    if ui.button(format!("{}…", f.label())).clicked() {
                        actions.push(Action::Import(f));
                    }
                }
            });
            if ui
                .add_enabled(info.can_resync, egui::Button::new("Re-sync from manifests"))
                .on_hover_text("Read the Kubernetes or Compose files this model was imported from and update it; positions, hand edits and triage stay")
                .clicked()
            {
                actions.push(Action::Resync);
            }
            ui.separator();
            if item(ui, "Save", Some(&SAVE), true) {
                actions.push(Action::Save);
            }
            if item(ui, "Save as…", Some(&SAVE_AS), true) {
                actions.push(Action::SaveAs);
            }
            ui.separator();
            for (label, f) in [
                ("Export PDF…", Format::Pdf),
                ("Export Markdown…", Format::Markdown),
                ("Export HTML…", Format::Html),
                ("Export JSON…", Format::Json),
                ("Export SARIF…", Format::Sarif),
            ] {
                if item(ui, label, None, true) {
                    actions.push(Action::Export(f));
                }
            }
            for (label, f) in [
                ("Export OTM…", crate::export::ExportFormat::Otm),
                (
                    "Export Threat Dragon…",
                    crate::export::ExportFormat::ThreatDragon,
                ),
            ] {
                if item(ui, label, None, true) {
                    actions.push(Action::ExportInterchange(f));
                }
            }
            ui.separator();
            if item(ui, "Quit", Some(&QUIT), true) {
                actions.push(Action::Quit);
            }
        });
        ui.menu_button("Edit", |ui| {
            if item(ui, "Undo", Some(&UNDO), info.can_undo) {
                actions.push(Action::Undo);
            }
            if item(ui, "Redo", Some(&REDO), info.can_redo) {
                actions.push(Action::Redo);
            }
            ui.separator();
            if item(ui, "Cut", Some(&CUT), info.has_selection) {
                actions.push(Action::Cut);
            }
            if item(ui, "Copy", Some(&COPY), info.has_selection) {
                actions.push(Action::Copy);
            }
            if item(ui, "Paste", Some(&PASTE), true) {
                actions.push(Action::Paste(None));
            }
            if item(ui, "Duplicate", Some(&DUPLICATE), info.has_selection) {
                actions.push(Action::Duplicate);
            }
            if ui
                .add_enabled(
                    info.has_selection,
                    egui::Button::new("Delete").shortcut_text("Del"),
                )
                .clicked()
            {
                actions.push(Action::Delete);
            }
            ui.separator();
            if item(ui, "Select all", Some(&SELECT_ALL), true) {
                actions.push(Action::SelectAll);
            }
            if item(ui, "Find…", Some(&FIND), true) {
                actions.push(Action::Find);
            }
        });
        ui.menu_button("View", |ui| {
            if ui
                .add(egui::Button::new("Fit to content").shortcut_text("F"))
                .clicked()
            {
                actions.push(Action::Fit);
            }
            if item(ui, "Zoom in", Some(&ZOOM_IN), true) {
                actions.push(Action::ZoomIn);
            }
            if item(ui, "Zoom out", Some(&ZOOM_OUT), true) {
                actions.push(Action::ZoomOut);
            }
            if item(ui, "Actual size", Some(&ZOOM_RESET), true) {
                actions.push(Action::ZoomReset);
            }
            ui.separator();
            ui.checkbox(&mut canvas.show_grid, "Show grid");
            ui.checkbox(&mut canvas.snap, "Snap to grid");
            ui.separator();
            ui.label("Theme");
            ui.radio_value(theme, ThemePreference::System, "Follow the system");
            ui.radio_value(theme, ThemePreference::Light, "Light");
            ui.radio_value(theme, ThemePreference::Dark, "Dark");
        });
        ui.menu_button("Model", |ui| {
            if ui.button("Draw a trust boundary").clicked() {
                canvas.tool = Tool::Boundary;
            }
            if ui.button("Draw a flow").clicked() {
                canvas.tool = Tool::Connect;
            }
            ui.add_enabled_ui(info.selected_elements >= 2, |ui| {
                ui.menu_button("Align", |ui| {
                    for a in Align::ALL {
                        let enabled = info.selected_elements >= 3
                            || !matches!(a, Align::DistributeX | Align::DistributeY);
                        if item(ui, a.label(), None, enabled) {
                            actions.push(Action::Align(a));
                        }
                    }
                });
            });
            if item(ui, "Show selection", None, info.has_selection) {
                actions.push(Action::RevealSelection);
            }
        });
        ui.menu_button("Help", |ui| {
            if item(ui, "Keyboard shortcuts", None, true) {
                actions.push(Action::Help);
            }
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

/// Reads the keyboard shortcuts of this frame. Canvas keys (Delete, arrows, F, Escape,
/// copy / paste) only act when no text field has focus.
pub fn shortcuts(ctx: &egui::Context, actions: &mut Vec<Action>) {
    let text_focused = ctx.text_edit_focused();
    ctx.input_mut(|i| {
        // Longer combinations first, so Ctrl+Shift+S is not read as Ctrl+S.
        if i.consume_shortcut(&SAVE_AS) {
            actions.push(Action::SaveAs);
        }
        if i.consume_shortcut(&SAVE) {
            actions.push(Action::Save);
        }
        if i.consume_shortcut(&NEW) {
            actions.push(Action::NewBlank);
        }
        if i.consume_shortcut(&OPEN) {
            actions.push(Action::Open);
        }
        if i.consume_shortcut(&QUIT) {
            actions.push(Action::Quit);
        }
        if i.consume_shortcut(&FIND) {
            actions.push(Action::Find);
        }
        if i.consume_shortcut(&ZOOM_IN) || i.consume_shortcut(&ZOOM_IN_EQ) {
            actions.push(Action::ZoomIn);
        }
        if i.consume_shortcut(&ZOOM_OUT) {
            actions.push(Action::ZoomOut);
        }
        if i.consume_shortcut(&ZOOM_RESET) {
            actions.push(Action::ZoomReset);
        }
        if text_focused {
            return;
        }
        if i.consume_shortcut(&REDO) || i.consume_shortcut(&REDO_Y) {
            actions.push(Action::Redo);
        }
        if i.consume_shortcut(&UNDO) {
            actions.push(Action::Undo);
        }
        if i.consume_shortcut(&DUPLICATE) {
            actions.push(Action::Duplicate);
        }
        if i.consume_shortcut(&SELECT_ALL) {
            actions.push(Action::SelectAll);
        }
        // The platform turns Ctrl+C / X / V into Copy / Cut / Paste events; the headless
        // test harness sends plain key presses, so accept both.
        let mut copy = i.consume_shortcut(&COPY);
        let mut cut = i.consume_shortcut(&CUT);
        let mut paste: Option<Option<String>> = i.consume_shortcut(&PASTE).then_some(None);
        i.events.retain(|e| match e {
            egui::Event::Copy => {
                copy = true;
                false
            }
            egui::Event::Cut => {
                cut = true;
                false
            }
            egui::Event::Paste(t) => {
                paste = Some(Some(t.clone()));
                false
            }
            _ => true,
        });
        if copy {
            actions.push(Action::Copy);
        }
        if cut {
            actions.push(Action::Cut);
        }
        if let Some(p) = paste {
            actions.push(Action::Paste(p));
        }
        if i.consume_key(Modifiers::NONE, Key::Delete)
            || i.consume_key(Modifiers::NONE, Key::Backspace)
        {
            actions.push(Action::Delete);
        }
        if i.consume_key(Modifiers::NONE, Key::Escape) {
            actions.push(Action::Escape);
        }
        if i.consume_key(Modifiers::NONE, Key::F) {
            actions.push(Action::Fit);
        }
        if i.consume_key(Modifiers::NONE, Key::F2) {
            actions.push(Action::Rename);
        }
        for (key, dx, dy) in [
            (Key::ArrowLeft, -1.0, 0.0),
            (Key::ArrowRight, 1.0, 0.0),
            (Key::ArrowUp, 0.0, -1.0),
            (Key::ArrowDown, 0.0, 1.0),
        ] {
            if i.consume_key(Modifiers::NONE, key) {
                actions.push(Action::Nudge(egui::vec2(dx, dy) * super::canvas::GRID));
            }
            if i.consume_key(Modifiers::SHIFT, key) {
                actions.push(Action::Nudge(egui::vec2(dx, dy)));
            }
        }
    });
}

/// The help window listing the shortcuts.
pub fn help_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .resizable(true)
        .collapsible(false)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .striped(true)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    for (keys, what) in SHORTCUTS {
                        ui.label(egui::RichText::new(*keys).monospace());
                        ui.label(*what);
                        ui.end_row();
                    }
                });
        });
}
