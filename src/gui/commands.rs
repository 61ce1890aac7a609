//! The one table of commands: every action a user can name, with its label, menu and
//! keyboard shortcut. The menus, the keyboard handling, the help window and the command
//! palette all read [`commands`], so a shortcut is declared once and shown the same way
//! everywhere ("Ctrl" on Linux and Windows, "Cmd" on macOS).

use super::actions::Action;
use super::canvas::ops::Align;
use crate::report::Format;
use eframe::egui::{self, Key, KeyboardShortcut, ModifierNames, Modifiers, RichText};

/// Where a command lives in the menu bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Menu {
    /// File.
    File,
    /// Edit.
    Edit,
    /// View.
    View,
    /// Model.
    Model,
    /// Help.
    Help,
}

impl Menu {
    /// The menu's title.
    pub fn label(self) -> &'static str {
        match self {
            Menu::File => "File",
            Menu::Edit => "Edit",
            Menu::View => "View",
            Menu::Model => "Model",
            Menu::Help => "Help",
        }
    }
}

/// When a shortcut acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Always, even while typing in a text field (Ctrl+S, Ctrl+O, …).
    Global,
    /// Only when no text field has focus (Delete, Ctrl+Z, F, …): a text field keeps its
    /// own editing keys.
    Canvas,
}

/// One command.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// What it is called in menus and in the palette.
    pub label: &'static str,
    /// What it does.
    pub action: Action,
    /// Its menu.
    pub menu: Menu,
    /// Keyboard shortcuts, the first one shown.
    pub keys: Vec<KeyboardShortcut>,
    /// When the shortcuts act.
    pub scope: Scope,
}

const fn sc(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);
const NONE: Modifiers = Modifiers::NONE;

fn c(
    label: &'static str,
    action: Action,
    menu: Menu,
    keys: &[KeyboardShortcut],
    scope: Scope,
) -> Command {
    Command {
        label,
        action,
        menu,
        keys: keys.to_vec(),
        scope,
    }
}

/// Every command, in menu order.
pub fn commands() -> Vec<Command> {
    use Menu::*;
    use Scope::*;
    let mut v = vec![
        c("New", Action::NewBlank, File, &[sc(CMD, Key::N)], Global),
        c("Open…", Action::Open, File, &[sc(CMD, Key::O)], Global),
        c("Save", Action::Save, File, &[sc(CMD, Key::S)], Global),
        c(
            "Save as…",
            Action::SaveAs,
            File,
            &[sc(CMD_SHIFT, Key::S)],
            Global,
        ),
        c(
            "Close tab",
            Action::CloseTab,
            File,
            &[sc(CMD, Key::W)],
            Global,
        ),
    ];
    for (label, f) in [
        ("Export PDF…", Format::Pdf),
        ("Export Markdown…", Format::Markdown),
        ("Export HTML…", Format::Html),
        ("Export JSON…", Format::Json),
        ("Export SARIF…", Format::Sarif),
    ] {
        v.push(c(label, Action::Export(f), File, &[], Global));
    }
    for (label, f) in [
        ("Export OTM…", crate::export::ExportFormat::Otm),
        (
            "Export Threat Dragon…",
            crate::export::ExportFormat::ThreatDragon,
        ),
    ] {
        v.push(c(label, Action::ExportInterchange(f), File, &[], Global));
    }
    for f in crate::import::Format::ALL {
        let label = match f {
            crate::import::Format::ThreatDragon => "Import Threat Dragon v2…",
            crate::import::Format::Otm => "Import Open Threat Model (OTM)…",
            crate::import::Format::Threagile => "Import Threagile…",
            crate::import::Format::Tm7 => "Import Microsoft Threat Modeling Tool (.tm7)…",
            crate::import::Format::K8s => "Import Kubernetes manifests…",
            crate::import::Format::Compose => "Import Docker Compose…",
        };
        v.push(c(label, Action::Import(f), File, &[], Global));
    }
    v.push(c(
        "Re-sync from manifests",
        Action::Resync,
        File,
        &[],
        Global,
    ));
    v.extend([
        c("Quit", Action::Quit, File, &[sc(CMD, Key::Q)], Global),
        c("Undo", Action::Undo, Edit, &[sc(CMD, Key::Z)], Canvas),
        c(
            "Redo",
            Action::Redo,
            Edit,
            &[sc(CMD_SHIFT, Key::Z), sc(CMD, Key::Y)],
            Canvas,
        ),
        c("Cut", Action::Cut, Edit, &[sc(CMD, Key::X)], Canvas),
        c("Copy", Action::Copy, Edit, &[sc(CMD, Key::C)], Canvas),
        c(
            "Paste",
            Action::Paste(None),
            Edit,
            &[sc(CMD, Key::V)],
            Canvas,
        ),
        c(
            "Duplicate",
            Action::Duplicate,
            Edit,
            &[sc(CMD, Key::D)],
            Canvas,
        ),
        c(
            "Delete",
            Action::Delete,
            Edit,
            &[sc(NONE, Key::Delete), sc(NONE, Key::Backspace)],
            Canvas,
        ),
        c(
            "Select all",
            Action::SelectAll,
            Edit,
            &[sc(CMD, Key::A)],
            Canvas,
        ),
        c("Rename", Action::Rename, Edit, &[sc(NONE, Key::F2)], Canvas),
        c("Find…", Action::Find, Edit, &[sc(CMD, Key::F)], Global),
        c(
            "Command palette…",
            Action::CommandPalette,
            View,
            &[sc(CMD_SHIFT, Key::P), sc(CMD, Key::K)],
            Global,
        ),
        c(
            "Fit to content",
            Action::Fit,
            View,
            &[sc(NONE, Key::F)],
            Canvas,
        ),
        c(
            "Zoom in",
            Action::ZoomIn,
            View,
            &[sc(CMD, Key::Plus), sc(CMD, Key::Equals)],
            Global,
        ),
        c(
            "Zoom out",
            Action::ZoomOut,
            View,
            &[sc(CMD, Key::Minus)],
            Global,
        ),
        c(
            "Actual size",
            Action::ZoomReset,
            View,
            &[sc(CMD, Key::Num0)],
            Global,
        ),
        c(
            "Next tab",
            Action::NextTab,
            View,
            &[sc(CMD, Key::PageDown)],
            Global,
        ),
        c(
            "Previous tab",
            Action::PrevTab,
            View,
            &[sc(CMD, Key::PageUp)],
            Global,
        ),
        c(
            "Draw a trust boundary",
            Action::ToolBoundary,
            Model,
            &[sc(NONE, Key::B)],
            Canvas,
        ),
        c(
            "Draw a flow",
            Action::ToolConnect,
            Model,
            &[sc(NONE, Key::L)],
            Canvas,
        ),
    ]);
    for a in Align::ALL {
        v.push(c(a.label(), Action::Align(a), Model, &[], Canvas));
    }
    v.extend([
        c(
            "Show selection",
            Action::RevealSelection,
            Model,
            &[],
            Canvas,
        ),
        c("Keyboard shortcuts", Action::Help, Help, &[], Global),
    ]);
    v
}

/// The command that runs `action`, if the table has one.
pub fn command_for(action: &Action) -> Option<Command> {
    commands().into_iter().find(|c| &c.action == action)
}

/// "Ctrl+Shift+S", or "Cmd+Shift+S" on macOS.
pub fn shortcut_text(s: &KeyboardShortcut, is_mac: bool) -> String {
    s.format(&ModifierNames::NAMES, is_mac)
}

/// Whether the app runs on macOS (egui's idea of it, so tests can set it).
pub fn is_mac(ctx: &egui::Context) -> bool {
    ctx.os() == egui::os::OperatingSystem::Mac
}

/// All of a command's shortcuts, " / " between them.
pub fn keys_text(c: &Command, is_mac: bool) -> String {
    c.keys
        .iter()
        .map(|k| shortcut_text(k, is_mac))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Keys and gestures that are not commands: shown in the help window after the table.
pub const GESTURES: &[(&str, &str)] = &[
    ("Arrows (Shift: fine)", "Nudge the selection"),
    (
        "Esc",
        "Cancel the drag, back to the select tool, clear the selection",
    ),
    ("Double-click", "Rename the item"),
    ("Wheel, pinch, Ctrl+wheel", "Zoom about the pointer"),
    ("Drag empty space, middle drag, Space+drag", "Pan"),
    ("Shift+drag empty space", "Rectangle select"),
    ("Click / Shift+click", "Select / add to the selection"),
    (
        "Shift+click a threat row",
        "Select the rows from the last one clicked",
    ),
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

/// Reads this frame's keyboard shortcuts from the table. Canvas-scope keys act only when
/// no text field has focus. Longer combinations are tried first, so Ctrl+Shift+S is not
/// read as Ctrl+S.
pub fn shortcuts(ctx: &egui::Context, actions: &mut Vec<Action>) {
    let text_focused = ctx.text_edit_focused();
    let mut table: Vec<(KeyboardShortcut, Command)> = commands()
        .into_iter()
        .flat_map(|c| c.keys.clone().into_iter().map(move |k| (k, c.clone())))
        .collect();
    let weight =
        |m: Modifiers| usize::from(m.shift) + usize::from(m.alt) + usize::from(m.command || m.ctrl);
    table.sort_by_key(|(k, _)| std::cmp::Reverse(weight(k.modifiers)));
    ctx.input_mut(|i| {
        for (k, c) in &table {
            if text_focused && c.scope == Scope::Canvas {
                continue;
            }
            if i.consume_shortcut(k) && !actions.contains(&c.action) {
                actions.push(c.action.clone());
            }
        }
        if text_focused {
            return;
        }
        // The platform turns Ctrl+C / X / V into Copy / Cut / Paste events (the headless
        // test harness sends plain key presses, read above).
        i.events.retain(|e| match e {
            egui::Event::Copy => {
                actions.push(Action::Copy);
                false
            }
            egui::Event::Cut => {
                actions.push(Action::Cut);
                false
            }
            egui::Event::Paste(t) => {
                actions.retain(|a| *a != Action::Paste(None));
                actions.push(Action::Paste(Some(t.clone())));
                false
            }
            _ => true,
        });
        if i.consume_key(Modifiers::NONE, Key::Escape) {
            actions.push(Action::Escape);
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
    // Copy and cut arrive both as a key press and as an event on some platforms.
    let mut seen = Vec::new();
    actions.retain(|a| {
        if matches!(a, Action::Copy | Action::Cut) {
            if seen.contains(a) {
                return false;
            }
            seen.push(a.clone());
        }
        true
    });
}

/// The help window: the command table's shortcuts, then the gestures.
pub fn help_window(ctx: &egui::Context, open: &mut bool) {
    let mac = is_mac(ctx);
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .resizable(true)
        .collapsible(false)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("shortcuts")
                    .num_columns(2)
                    .striped(true)
                    .spacing([16.0, 4.0])
                    .show(ui, |ui| {
                        for c in commands().iter().filter(|c| !c.keys.is_empty()) {
                            ui.label(RichText::new(keys_text(c, mac)).monospace());
                            ui.label(c.label.trim_end_matches('…'));
                            ui.end_row();
                        }
                        for (keys, what) in GESTURES {
                            ui.label(RichText::new(*keys).monospace());
                            ui.label(*what);
                            ui.end_row();
                        }
                    });
            });
        });
}

/// The command palette's state.
#[derive(Clone, Debug, Default)]
pub struct PaletteState {
    /// Shown.
    pub open: bool,
    /// What was typed.
    pub query: String,
    /// The highlighted match.
    pub index: usize,
}

/// Commands whose label contains every word of `query` (case-insensitive), in table
/// order.
pub fn matching(query: &str) -> Vec<Command> {
    let words: Vec<String> = query.split_whitespace().map(|w| w.to_lowercase()).collect();
    commands()
        .into_iter()
        .filter(|c| {
            let l = c.label.to_lowercase();
            words.iter().all(|w| l.contains(w.as_str()))
        })
        .collect()
}

/// The palette id, for focus.
pub fn palette_field_id() -> egui::Id {
    egui::Id::unique("palisade-command-palette-field")
}

/// Shows the command palette: type to narrow, arrows to move, Enter to run, Esc to
/// close. Returns the command chosen.
pub fn palette_ui(ctx: &egui::Context, st: &mut PaletteState) -> Option<Action> {
    if !st.open {
        return None;
    }
    let mac = is_mac(ctx);
    let found = matching(&st.query);
    if found.is_empty() {
        st.index = 0;
    } else {
        st.index = st.index.min(found.len() - 1);
    }
    let (up, down, enter, esc) = ctx.input_mut(|i| {
        (
            i.consume_key(Modifiers::NONE, Key::ArrowUp),
            i.consume_key(Modifiers::NONE, Key::ArrowDown),
            i.consume_key(Modifiers::NONE, Key::Enter),
            i.consume_key(Modifiers::NONE, Key::Escape),
        )
    });
    if down && st.index + 1 < found.len() {
        st.index += 1;
    }
    if up {
        st.index = st.index.saturating_sub(1);
    }
    let mut chosen = None;
    if enter {
        chosen = found.get(st.index).map(|c| c.action.clone());
    }
    let modal = egui::Modal::new(egui::Id::unique("palisade-command-palette")).show(ctx, |ui| {
        ui.set_width(460.0);
        let l = ui.label(RichText::new("Command palette").strong());
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut st.query)
                    .id(palette_field_id())
                    .hint_text("Type a command")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id);
        if r.changed() {
            st.index = 0;
        }
        r.request_focus();
        ui.separator();
        egui::ScrollArea::vertical()
            .max_height(360.0)
            .show(ui, |ui| {
                if found.is_empty() {
                    ui.label(RichText::new("No command matches").italics());
                }
                for (i, c) in found.iter().enumerate() {
                    let label = format!("{} › {}", c.menu.label(), c.label);
                    let mut b = egui::Button::selectable(i == st.index, label);
                    if !c.keys.is_empty() {
                        b = b.shortcut_text(keys_text(c, mac));
                    }
                    let resp = ui.add_sized([ui.available_width(), 20.0], b);
                    if i == st.index && (up || down) {
                        resp.scroll_to_me(None);
                    }
                    if resp.clicked() {
                        chosen = Some(c.action.clone());
                    }
                }
            });
    });
    if chosen.is_some() || esc || modal.should_close() {
        st.open = false;
        st.query.clear();
        st.index = 0;
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_commands_share_a_shortcut_or_a_label() {
        let all = commands();
        let mut keys = Vec::new();
        let mut labels = Vec::new();
        for c in &all {
            assert!(!labels.contains(&c.label), "{}", c.label);
            labels.push(c.label);
            for k in &c.keys {
                assert!(!keys.contains(k), "{} reuses {k:?}", c.label);
                keys.push(*k);
            }
        }
    }

    #[test]
    fn shortcuts_read_ctrl_here_and_cmd_on_macos() {
        let Some(save_as) = command_for(&Action::SaveAs) else {
            panic!("Save as is a command")
        };
        assert_eq!(keys_text(&save_as, false), "Ctrl+Shift+S");
        assert_eq!(keys_text(&save_as, true), "Shift+Cmd+S");
    }

    #[test]
    fn the_palette_matches_every_word() {
        let labels: Vec<&str> = matching("exp pdf").iter().map(|c| c.label).collect();
        assert_eq!(labels, vec!["Export PDF…"]);
        assert_eq!(matching("").len(), commands().len());
    }
}
