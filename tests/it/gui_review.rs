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
use crate::gui_common::search;

fn harness_sized(model: Model, size: Vec2) -> Harness<'static, PalisadeApp> {
    crate::gui_common::harness(model, Catalog::builtin(), size)
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
    h.state_mut()
        .run_action(&ctx, Action::Export(palisade::report::Format::Markdown));
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

use palisade::model::{BoundaryId, ElementId, FlowId, Status, ThreatId, Triage};

fn label_rect(h: &Harness<'_, PalisadeApp>, label: &str) -> egui::Rect {
    match h.query_all_by_label(label).next() {
        Some(n) => n.rect(),
        None => panic!("no widget labelled {label}"),
    }
}

#[test]
fn the_threats_panel_keeps_its_height_on_the_orphans_and_diagnostics_tabs() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let total = h.state().doc.analysis.threats.len();
    let tab = format!("Threats ({total})");
    let top = label_rect(&h, &tab).top();
    assert!(
        900.0 - top >= palisade::gui::app::THREATS_MIN_HEIGHT,
        "a usable height to start with"
    );
    for other in ["Orphaned triage (0)", "Diagnostics ("] {
        match h.query_all_by_label_contains(other).next() {
            Some(n) => n.click(),
            None => panic!("{other}"),
        }
        h.run_steps(4);
        let now = label_rect(&h, &tab).top();
        assert!(
            (now - top).abs() < 1.0,
            "{other}: the tab bar moved from {top} to {now}"
        );
    }
    label_rect(&h, &tab);
    h.get_by_label(&tab).click();
    h.run_steps(4);
    assert!((label_rect(&h, &tab).top() - top).abs() < 1.0);
    assert!(
        h.query_all_by_label(S02).count() > 0,
        "rows are shown after coming back"
    );
}

const S02: &str = "GEN-S-02@element:api";

#[test]
fn severity_status_and_title_columns_are_visible_at_1400_by_900() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    // The detail panel to the right of the table is at least 280 px wide.
    let table_right = 1400.0 - 280.0;
    for header in ["Severity ↓", "Status", "Title"] {
        let r = label_rect(&h, header);
        assert!(
            r.right() <= table_right,
            "{header} ends at {} (table ends by {table_right})",
            r.right()
        );
    }
}

#[test]
fn shift_click_selects_the_range_of_rows_between() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    search(&mut h, "@element:api");
    let mut shown: Vec<(f32, String)> = h
        .state()
        .doc
        .analysis
        .threats
        .iter()
        .filter(|t| t.id.as_str().ends_with("@element:api"))
        .map(|t| (label_rect(&h, t.id.as_str()).top(), t.id.0.clone()))
        .collect();
    shown.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(shown.len() >= 4, "{shown:?}");
    h.get_by_label(shown[0].1.as_str()).click();
    h.run_steps(2);
    h.event(egui::Event::ModifiersChanged(Modifiers::SHIFT));
    h.get_by_label(shown[3].1.as_str())
        .click_modifiers(Modifiers::SHIFT);
    h.run_steps(2);
    h.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    h.run_steps(1);
    let want: std::collections::BTreeSet<ThreatId> = shown[..4]
        .iter()
        .map(|s| ThreatId::new(s.1.as_str()))
        .collect();
    assert_eq!(
        h.state().doc.selection.threats,
        want,
        "rows 1 to 4, not 1 and 4"
    );
}

#[test]
fn accepting_a_risk_without_a_justification_asks_for_one() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    search(&mut h, S02);
    h.get_by_label(S02).click();
    h.run_steps(3);
    assert_eq!(
        h.query_all_by_label_contains("needs a justification")
            .count(),
        0
    );
    h.get_by_label("Triage status").click();
    h.run_steps(2);
    h.get_by_label("Accepted risk").click();
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("Accepted risk needs a justification")
            .count()
            > 0
    );
}

#[test]
fn f2_selects_the_whole_name_so_typing_replaces_it() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    h.state_mut()
        .doc
        .selection
        .elements
        .insert(ElementId::new("api"));
    h.run_steps(2);
    // An earlier visit leaves the cursor inside the name.
    h.key_press(egui::Key::F2);
    h.run_steps(2);
    h.key_press(egui::Key::ArrowLeft);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    h.state_mut()
        .doc
        .selection
        .elements
        .insert(ElementId::new("api"));
    h.run_steps(1);
    h.key_press(egui::Key::F2);
    h.run_steps(2);
    h.event(egui::Event::Text("Gateway".into()));
    h.run_steps(3);
    assert_eq!(h.state().doc.model.elements["api"].name, "Gateway");
}

#[test]
fn the_tab_bar_and_the_status_bar_show_one_triaged_figure() {
    let mut m = generic_open();
    let a = palisade::analysis::analyze(&m, common::catalog());
    let n = a.threats.len();
    // A count whose percentage rounds up: round and floor disagree.
    let Some(k) = (1..n).find(|k| (k * 100 % n) * 2 >= n) else {
        panic!("{n} threats")
    };
    for t in &a.threats[..k] {
        m.triage.insert(
            t.id.clone(),
            Triage {
                threat: t.id.clone(),
                status: Status::Mitigated,
                ..Triage::default()
            },
        );
    }
    let mut h = harness(m);
    h.run_steps(3);
    let text = h.state().doc.summary.triaged_text();
    assert_eq!(text, format!("{}% triaged", k * 100 / n));
    assert_eq!(
        h.query_all_by_label(&text).count(),
        2,
        "tab bar and status bar show {text}"
    );
    assert_eq!(h.query_all_by_label_contains("% triaged").count(), 2);
}

#[test]
fn an_unnamed_flow_reads_source_to_target() {
    let mut m = generic_open();
    if let Some(f) = m.flows.get_mut(&FlowId::new("user-to-db")) {
        f.name.clear();
    }
    let mut h = harness(m);
    h.run_steps(3);
    h.state_mut()
        .doc
        .selection
        .flows
        .insert(FlowId::new("user-to-db"));
    h.run_steps(3);
    assert!(
        h.query_all_by_label("showing threats of Customer → Orders DB")
            .count()
            > 0
    );
    assert!(
        h.query_all_by_label("Add manual threat to Customer → Orders DB…")
            .count()
            > 0
    );
    assert!(
        h.query_all_by_label_contains("→ Customer → Orders DB")
            .count()
            > 0,
        "the subject column"
    );
}

#[test]
fn a_recovery_copy_of_a_running_instance_is_not_offered() {
    let dir = tempdir();
    let other = 4_000_000_002u32;
    let lock_path = dir.path().join(format!("instance-{other}.lock"));
    let lock = match std::fs::File::create(&lock_path) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    assert!(lock.try_lock().is_ok());
    let body = palisade::persist::to_text(&generic_open()).unwrap_or_default();
    let text =
        format!("// palisade recovery of: /models/shop.ron\n// palisade instance: {other}\n{body}");
    assert!(std::fs::write(dir.path().join("shop-1.ron"), text).is_ok());
    let start = |dir: std::path::PathBuf| {
        let cat = Catalog::builtin();
        let doc = palisade::gui::document::Document::new(Model::new("m"), None, None, &cat);
        PalisadeApp::new(cat, doc, Some(dir))
    };
    let second = start(dir.path().to_path_buf());
    assert_eq!(second.prompt, None, "the first instance still has it open");
    drop(lock);
    let after_crash = start(dir.path().to_path_buf());
    assert!(
        matches!(after_crash.prompt, Some(palisade::gui::app::Prompt::Recovery(ref r)) if r.len() == 1),
        "once that instance is gone, its work is offered"
    );
}

#[test]
fn an_internet_boundary_starts_untrusted() {
    let mut m = Model::new("m");
    m.boundaries.insert(
        BoundaryId::new("b"),
        palisade::model::Boundary {
            props: Default::default(),
            id: BoundaryId::new("b"),
            name: "Outside".into(),
            kind: palisade::model::BoundaryKind::NetworkZone,
            trust: palisade::model::BoundaryKind::NetworkZone.default_trust(),
            parent: None,
            rect: (0.0, 0.0, 300.0, 200.0),
        },
    );
    let mut h = harness(m);
    h.run_steps(2);
    h.state_mut()
        .doc
        .selection
        .boundaries
        .insert(BoundaryId::new("b"));
    h.run_steps(2);
    h.get_by_label("Kind").click();
    h.run_steps(2);
    h.get_by_label("internet").click();
    h.run_steps(3);
    let b = &h.state().doc.model.boundaries[&BoundaryId::new("b")];
    assert_eq!(
        (b.kind, b.trust),
        (palisade::model::BoundaryKind::Internet, 0)
    );
}

#[test]
fn selecting_a_boundary_shows_its_threats_crossings_and_members() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let user_threat = "GEN-S-01@element:user";
    let crossing = "GEN-T-03@flow:user-to-api";
    for id in [user_threat, crossing, S02] {
        assert!(h.state().doc.analysis.threat(id).is_some(), "{id}");
    }
    h.state_mut()
        .doc
        .selection
        .boundaries
        .insert(BoundaryId::new("dc"));
    h.run_steps(3);
    assert!(
        h.query_all_by_label("showing threats of Data centre")
            .count()
            > 0
    );
    // The table draws only the rows in view: narrow it further by text.
    search(&mut h, "user-to-api");
    assert!(
        h.query_all_by_label(crossing).count() > 0,
        "a crossing flow's threat"
    );
    search(&mut h, "-0");
    assert!(h.query_all_by_label(S02).count() > 0, "a member's threat");
    assert_eq!(
        h.query_all_by_label(user_threat).count(),
        0,
        "an element outside is left out"
    );
}

#[test]
fn the_command_palette_lists_every_command_with_its_shortcut_and_runs_one() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::P);
    h.run_steps(2);
    assert!(h.state().command_palette.open);
    let all = palisade::gui::commands::commands();
    // Every command is listed (the list scrolls; its rows are all in the tree).
    for c in &all {
        let row = format!("{} › {}", c.menu.label(), c.label);
        assert!(
            h.query_all_by_label_contains(&row).count() > 0,
            "{row} is in the palette"
        );
    }
    h.event(egui::Event::Text("select all".into()));
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(!h.state().command_palette.open);
    assert_eq!(
        h.state().doc.selection.elements.len(),
        h.state().doc.model.elements.len(),
        "Select all ran"
    );
    // Ctrl+K opens it too; Esc closes it without running anything.
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::K);
    h.run_steps(2);
    assert!(h.state().command_palette.open);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().command_palette.open);
}

#[test]
fn the_help_window_reads_the_command_table() {
    let mut h = harness(generic_open());
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(&ctx, Action::Help);
    h.run_steps(2);
    for c in palisade::gui::commands::commands() {
        if c.keys.is_empty() {
            continue;
        }
        let keys = palisade::gui::commands::keys_text(&c, false);
        assert!(
            h.query_all_by_label(&keys).count() > 0,
            "{}: {keys} is listed",
            c.label
        );
    }
}

#[test]
fn tabs_hold_several_models_and_items_copy_between_them() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(&ctx, Action::NewFromExample(0));
    h.run_steps(2);
    h.state_mut().run_action(&ctx, Action::NewBlank);
    h.run_steps(2);
    assert_eq!(h.state().tabs.len(), 3);
    assert_eq!(h.state().active, 2);
    // Back to the first tab by its label in the tab bar; copy an element there.
    let first = h.state().tab_titles()[0].0.clone();
    h.get_by_role_and_label(egui::accesskit::Role::Button, &first)
        .click();
    h.run_steps(2);
    assert_eq!(h.state().active, 0);
    assert!(h.state().doc.model.elements.contains_key("api"));
    h.state_mut()
        .doc
        .selection
        .elements
        .insert(ElementId::new("api"));
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::C);
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::PageUp);
    h.run_steps(2);
    assert_eq!(h.state().active, 2, "Previous tab wraps to the last");
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::V);
    h.run_steps(2);
    let names: Vec<String> = h
        .state()
        .doc
        .model
        .elements
        .values()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(names, vec!["API".to_owned()], "pasted into the blank tab");
    // Quitting asks about this tab's changes; the others are unchanged.
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Q);
    h.run_steps(2);
    h.get_by_label("Unsaved changes");
    h.get_by_label("Don't save").click();
    h.run_steps(2);
    assert!(h.state().is_closing());
}

#[test]
fn quitting_asks_about_every_tab_with_unsaved_changes() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let ctx = h.ctx.clone();
    for _ in 0..2 {
        h.state_mut().run_action(&ctx, Action::NewBlank);
        h.state_mut().run_action(
            &ctx,
            Action::Paste(Some(
                palisade::persist::to_text(&generic_open()).unwrap_or_default(),
            )),
        );
        h.run_steps(2);
        assert!(h.state().doc.dirty);
    }
    h.state_mut().run_action(&ctx, Action::SwitchTab(0));
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Q);
    h.run_steps(2);
    for round in 0..2 {
        assert!(!h.state().is_closing(), "round {round}");
        h.get_by_label("Unsaved changes");
        h.get_by_label("Don't save").click();
        h.run_steps(2);
    }
    assert!(h.state().is_closing(), "asked twice, then closed");
}

#[test]
fn every_toolbar_and_menu_item_is_reachable_by_its_label() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    // The toolbar: each tool by its label.
    for (label, tool) in [
        ("Boundary", palisade::gui::canvas::Tool::Boundary),
        ("Flow", palisade::gui::canvas::Tool::Connect),
        ("Select", palisade::gui::canvas::Tool::Select),
    ] {
        h.get_by_label(label).click();
        h.run_steps(1);
        assert_eq!(h.state().canvas.tool, tool, "{label}");
    }
    let all = palisade::gui::commands::commands();
    let mut unnamed = Vec::new();
    for menu in ["File", "Edit", "View", "Model", "Help"] {
        // A fresh window per menu, with three elements selected so Align opens.
        let mut h = harness(generic_open());
        h.run_steps(3);
        h.state_mut().doc.selection.elements = [
            ElementId::new("api"),
            ElementId::new("db"),
            ElementId::new("user"),
        ]
        .into();
        h.run_steps(1);
        h.get_by_label(menu).click();
        h.run_steps(2);
        let aligns: Vec<&str> = palisade::gui::canvas::ops::Align::ALL
            .iter()
            .map(|a| a.label())
            .collect();
        // Commands that sit in a submenu: the alignments (Model › Align) and the import
        // formats (File › Import).
        let in_submenu = |c: &&palisade::gui::commands::Command| {
            aligns.contains(&c.label)
                || matches!(c.action, palisade::gui::actions::Action::Import(_))
        };
        let submenu = if menu == "File" { "Import" } else { "Align" };
        let (sub, top): (Vec<_>, Vec<_>) = all
            .iter()
            .filter(|c| c.menu.label() == menu)
            .partition(in_submenu);
        for (i, group) in [top, sub].into_iter().enumerate() {
            if i == 1 && !group.is_empty() {
                // A submenu opens when the pointer rests on its button.
                let at = h
                    .query_all_by_role_and_label(egui::accesskit::Role::Button, submenu)
                    .next()
                    .map(|n| n.rect().center());
                let Some(at) = at else {
                    panic!("{menu} › {submenu}")
                };
                h.event(egui::Event::PointerMoved(at));
                h.run_steps(3);
            }
            for c in group {
                // A menu button's accessible label is its text and its shortcut.
                let label = match c.keys.first() {
                    Some(k) => format!(
                        "{} {}",
                        c.label,
                        palisade::gui::commands::shortcut_text(k, false)
                    ),
                    None => c.label.to_owned(),
                };
                // Exact queries skip disabled nodes (Undo with nothing to undo).
                assert!(
                    h.query_all_by_label_contains(&label).count() > 0,
                    "{menu} › {label} is reachable by its label"
                );
            }
        }
        unnamed.extend(
            h.unnamed_widgets()
                .into_iter()
                .map(|w| format!("{menu}: {w}")),
        );
    }
    // Only the menus' own widgets: the threats workspace has its own checks.
    unnamed.retain(|w| !w.contains("Table") && !w.contains("ScrollBar"));
    assert!(unnamed.is_empty(), "{}", unnamed.join("\n"));
    // And a menu item does what it says when clicked by its label.
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Command palette… Ctrl+Shift+P").click();
    h.run_steps(2);
    assert!(h.state().command_palette.open);
}

#[test]
fn the_inspector_keeps_its_width_and_check_boxes_are_large_enough_to_hit() {
    let mut m = common::load("examples/docker-attack-surface.ron");
    // The longest property labels of the built-in templates are on the daemon.
    let daemon = m
        .elements
        .values()
        .find(|e| e.kind == "docker.daemon")
        .map(|e| e.id.clone());
    let Some(daemon) = daemon else {
        panic!("the example has a daemon")
    };
    let daemon_again = daemon.clone();
    m.metadata.title = "m".into();
    let mut h = harness(m.clone());
    h.run_steps(3);
    let mut lefts = Vec::new();
    type Pick<'a> = Box<dyn Fn(&mut palisade::gui::selection::Selection) + 'a>;
    let picks: Vec<Pick> = vec![
        Box::new(|s| {
            s.elements.insert(daemon.clone());
        }),
        Box::new(|s| {
            s.flows
                .insert(m.flows.keys().next().cloned().unwrap_or_default());
        }),
        Box::new(|s| {
            s.boundaries
                .insert(m.boundaries.keys().next().cloned().unwrap_or_default());
        }),
    ];
    for pick in picks {
        let sel = &mut h.state_mut().doc.selection;
        sel.clear_items();
        pick(sel);
        h.run_steps(3);
        // The canvas ends where the inspector begins.
        lefts.push(h.state().canvas.canvas_rect.right());
    }
    assert!(
        lefts.iter().all(|x| (x - lefts[0]).abs() < 1.0),
        "the inspector's left edge stays put: {lefts:?}"
    );
    let sel = &mut h.state_mut().doc.selection;
    sel.clear_items();
    sel.elements.insert(daemon_again);
    h.run_steps(3);
    let boxes: Vec<egui::Rect> = h
        .query_all_by_role(egui::accesskit::Role::CheckBox)
        .map(|n| n.rect())
        .collect();
    assert!(!boxes.is_empty());
    for r in boxes {
        assert!(r.height() >= 18.0, "check box {r:?}");
    }
}

#[test]
fn a_tab_sent_to_the_background_with_unsaved_work_gets_its_recovery_copy() {
    let dir = tempdir();
    let rec = dir.path().to_path_buf();
    let mut h = Harness::builder()
        .with_size(Vec2::new(1400.0, 900.0))
        .allow_missing_glyphs()
        .with_accessibility_check(false)
        .build_eframe(move |cc| {
            palisade::gui::theme::install_fonts(&cc.egui_ctx);
            let cat = Catalog::builtin();
            let doc = palisade::gui::document::Document::new(generic_open(), None, None, &cat);
            PalisadeApp::new(cat, doc, Some(rec))
        });
    h.run_steps(2);
    h.state_mut()
        .doc
        .selection
        .elements
        .insert(ElementId::new("api"));
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    assert!(h.state().doc.dirty);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(&ctx, Action::NewBlank);
    h.run_steps(1);
    let mut found = Vec::new();
    for _ in 0..100 {
        found = palisade::gui::files::list_recovery(dir.path());
        if !found.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(found.len(), 1, "the background tab's work is on disk");
    let copy = match palisade::persist::load(&found[0].path) {
        Ok(l) => l.model,
        Err(e) => panic!("{e}"),
    };
    assert!(!copy.elements.contains_key("api"), "with the deletion");
}
