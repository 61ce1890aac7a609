//! Headless GUI tests (egui_kittest): the real app driven by widget labels and pointer
//! events at positions computed from the canvas transform.

use eframe::egui;
use egui::{Modifiers, Pos2, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use palisade::gui::actions::Action;
use palisade::gui::app::PalisadeApp;
use palisade::model::{ElementId, Model};
use palisade::rules::Catalog;

use crate::common;

fn harness(model: Model) -> Harness<'static, PalisadeApp> {
    crate::gui_common::harness(model, Catalog::builtin(), Vec2::new(1400.0, 900.0))
}

/// Where a diagram point is on screen.
fn screen(h: &Harness<'_, PalisadeApp>, p: (f32, f32)) -> Pos2 {
    let c = &h.state().canvas;
    c.view.screen_from_diagram(c.canvas_rect) * Pos2::new(p.0, p.1)
}

/// A primary-button drag from `a` to `b` in screen space, over several frames.
fn drag(h: &mut Harness<'_, PalisadeApp>, a: Pos2, b: Pos2, modifiers: Modifiers) {
    h.event(egui::Event::PointerMoved(a));
    h.run_steps(1);
    if modifiers != Modifiers::NONE {
        h.event(egui::Event::ModifiersChanged(modifiers));
    }
    h.event(egui::Event::PointerButton {
        pos: a,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers,
    });
    h.run_steps(1);
    for i in 1..=8 {
        let t = i as f32 / 8.0;
        h.event(egui::Event::PointerMoved(a + (b - a) * t));
        h.run_steps(1);
    }
    h.event(egui::Event::PointerButton {
        pos: b,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers,
    });
    if modifiers != Modifiers::NONE {
        h.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    }
    h.run_steps(2);
}

fn click_at(h: &mut Harness<'_, PalisadeApp>, p: Pos2) {
    h.event(egui::Event::PointerMoved(p));
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: p,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: p,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(2);
}

fn generic_open() -> Model {
    common::load("tests/rules/models/generic-open.ron")
}

#[test]
fn app_opens_and_shows_the_model() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    // The palette lists stencils of the built-in templates, and elements are labelled.
    h.get_by_label("Process");
    assert!(h.query_all_by_label("Orders DB").count() >= 1);
    assert!(h.state().doc.analysis.threats.len() > 5);
}

#[test]
fn palette_click_then_place_creates_an_element_and_undo_redo_work() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let before = h.state().doc.model.elements.len();
    h.get_by_label("Data store").click();
    h.run_steps(2);
    // Place it inside the data centre boundary (300..800 x 0..300).
    let p = screen(&h, (560.0, 240.0));
    click_at(&mut h, p);
    let doc = &h.state().doc;
    assert_eq!(doc.model.elements.len(), before + 1);
    let new = doc
        .model
        .elements
        .values()
        .find(|e| e.kind == "generic.store" && e.id.as_str() != "db");
    let Some(new) = new else {
        panic!("a new store exists")
    };
    assert_eq!(
        new.boundary.as_ref().map(|b| b.as_str()),
        Some("dc"),
        "placed inside dc, so a member of it"
    );
    assert!(doc.dirty);

    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().doc.model.elements.len(), before);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().doc.model.elements.len(), before + 1);
}

#[test]
fn dragging_from_an_element_edge_to_another_connects_a_flow() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let before = h.state().doc.model.flows.len();
    // `user` at (100, 100) is an entity 140 x 64: its right edge is at x = 170.
    let a = screen(&h, (169.0, 100.0));
    let b = screen(&h, (650.0, 110.0)); // `db`
    drag(&mut h, a, b, Modifiers::NONE);
    let doc = &h.state().doc;
    assert_eq!(doc.model.flows.len(), before + 1, "a flow was added");
    let f = doc
        .model
        .flows
        .values()
        .find(|f| f.id.as_str().starts_with("flow-"));
    let Some(f) = f else { panic!("new flow") };
    assert_eq!((f.source.as_str(), f.target.as_str()), ("user", "db"));
    assert!(
        doc.selection.flows.contains(&f.id),
        "the new flow is selected"
    );
    // One drag, one undo step.
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().doc.model.flows.len(), before);
}

#[test]
fn moving_an_element_into_a_boundary_makes_it_a_member_in_one_undo_step() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let user = ElementId::from("user");
    assert_eq!(
        h.state().doc.model.elements[&user]
            .boundary
            .as_ref()
            .map(|b| b.as_str()),
        Some("internet")
    );
    let a = screen(&h, (100.0, 100.0));
    let b = screen(&h, (523.0, 226.0));
    drag(&mut h, a, b, Modifiers::NONE);
    let e = &h.state().doc.model.elements[&user];
    assert_eq!(e.boundary.as_ref().map(|b| b.as_str()), Some("dc"));
    assert_eq!(e.pos, (520.0, 220.0), "snapped to the 20-unit grid");
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    let e = &h.state().doc.model.elements[&user];
    assert_eq!(e.pos, (100.0, 100.0));
    assert_eq!(e.boundary.as_ref().map(|b| b.as_str()), Some("internet"));
}

#[test]
fn inspector_edits_a_property_and_a_name() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let p = screen(&h, (400.0, 100.0)); // `api`
    click_at(&mut h, p);
    assert!(
        h.state()
            .doc
            .selection
            .elements
            .contains(&ElementId::from("api"))
    );
    // The schema's bool property shows as a checkbox, labelled by its name.
    h.get_by_label("Validates input").click();
    h.run_steps(2);
    let api = &h.state().doc.model.elements[&ElementId::from("api")];
    assert_eq!(
        api.props.get("validates_input"),
        Some(&palisade::model::Value::Bool(true))
    );

    // Typing a name is one undo step.
    h.get_by_label("Name").focus();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.get_by_label("Name").type_text("Orders API");
    h.run_steps(2);
    assert_eq!(
        h.state().doc.model.elements[&ElementId::from("api")].name,
        "Orders API"
    );
    h.get_by_label("Name").type_text(" v2");
    h.run_steps(2);
    assert_eq!(
        h.state().doc.model.elements[&ElementId::from("api")].name,
        "Orders API v2"
    );
    // Leave the field, then undo once: the whole typing session goes.
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    let p = screen(&h, (1100.0, 800.0));
    click_at(&mut h, p);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    let api = &h.state().doc.model.elements[&ElementId::from("api")];
    assert_eq!(api.name, "API");
    assert_eq!(
        api.props.get("validates_input"),
        Some(&palisade::model::Value::Bool(true))
    );
}

#[test]
fn save_to_a_file_and_reload_it_identical() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let path = dir.path().join("saved.ron");
    let mut h = harness(generic_open());
    h.run_steps(3);
    // Change something, then save through the real Ctrl+S path.
    h.get_by_label("Process").click();
    h.run_steps(1);
    let p = screen(&h, (600.0, 250.0));
    click_at(&mut h, p);
    h.state_mut().doc.path = Some(path.clone());
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::S);
    h.run_steps(2);
    assert!(!h.state().doc.dirty, "saved");
    let loaded = match palisade::persist::load(&path) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(loaded.model, h.state().doc.model);
    assert!(h.state().title().starts_with("saved.ron"));
}

#[test]
fn save_as_action_writes_where_told_and_title_tracks_dirty() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let path = dir.path().join("other.ron");
    let mut h = harness(generic_open());
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(&ctx, Action::SaveTo(path.clone()));
    h.run_steps(1);
    assert_eq!(h.state().title(), "other.ron");
    let p = screen(&h, (100.0, 100.0));
    click_at(&mut h, p);
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    assert_eq!(h.state().title(), "other.ron •");
}

#[test]
fn every_editor_widget_has_an_accessible_name() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    // Visit the inspector in each of its modes: nothing, an element, a flow, a boundary.
    let mut unnamed = Vec::new();
    let mut check = |h: &Harness<'_, PalisadeApp>, what: &str| {
        let canvas = h.state().canvas.canvas_rect;
        for w in h.unnamed_widgets() {
            // Only widgets above the bottom of the canvas belong to the editor (menu,
            // palette, canvas, inspector); the threats workspace sits below it.
            if let Some(y) = w
                .split("y0: ")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .and_then(|v| v.parse::<f32>().ok())
                && y < canvas.bottom()
            {
                unnamed.push(format!("{what}: {w}"));
            }
        }
    };
    check(&h, "no selection");
    for p in [(400.0, 100.0), (300.0, 0.0)] {
        let p = screen(&h, p);
        click_at(&mut h, p);
        check(&h, "selection");
    }
    h.state_mut()
        .doc
        .selection
        .flows
        .insert("user-to-api".into());
    h.state_mut().doc.selection.elements.clear();
    h.state_mut().doc.selection.boundaries.clear();
    h.run_steps(2);
    check(&h, "flow");
    assert!(unnamed.is_empty(), "{}", unnamed.join("\n"));
}

/// Runs frames until `done` holds (background loads and autosaves are threads).
fn wait_for(h: &mut Harness<'_, PalisadeApp>, what: &str, done: impl Fn(&PalisadeApp) -> bool) {
    for _ in 0..200 {
        h.run_steps(1);
        if done(h.state()) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn shift_drag_on_empty_space_selects_a_rectangle_then_delete_and_undo() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let a = screen(&h, (-30.0, -40.0));
    let b = screen(&h, (830.0, 320.0));
    drag(&mut h, a, b, Modifiers::SHIFT);
    let sel = &h.state().doc.selection;
    assert_eq!(sel.elements.len(), 3, "{sel:?}");
    assert_eq!(sel.boundaries.len(), 2);
    assert_eq!(sel.flows.len(), 3);
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    let m = &h.state().doc.model;
    assert!(m.elements.is_empty() && m.flows.is_empty() && m.boundaries.is_empty());
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(
        h.state().doc.model,
        generic_open(),
        "one undo restores everything"
    );
}

#[test]
fn dragging_a_boundary_by_its_title_moves_its_members() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let a = screen(&h, (320.0, -11.0)); // the title tab of `dc`
    let b = screen(&h, (320.0, 389.0));
    drag(&mut h, a, b, Modifiers::NONE);
    let m = &h.state().doc.model;
    assert_eq!(m.boundaries["dc"].rect, (300.0, 400.0, 500.0, 300.0));
    assert_eq!(m.elements["api"].pos, (400.0, 500.0));
    assert_eq!(m.elements["db"].pos, (650.0, 500.0));
    assert_eq!(m.elements["user"].pos, (100.0, 100.0), "non-members stay");
    assert_eq!(
        m.elements["api"].boundary.as_ref().map(|b| b.as_str()),
        Some("dc")
    );
}

#[test]
fn a_selected_boundary_resizes_by_its_corner() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let tab = screen(&h, (320.0, -11.0));
    click_at(&mut h, tab);
    assert!(h.state().doc.selection.boundaries.contains("dc"));
    let a = screen(&h, (800.0, 300.0));
    let b = screen(&h, (900.0, 361.0));
    drag(&mut h, a, b, Modifiers::NONE);
    assert_eq!(
        h.state().doc.model.boundaries["dc"].rect,
        (300.0, 0.0, 600.0, 360.0)
    );
}

#[test]
fn drawing_a_boundary_nests_it_and_adopts_what_it_encloses() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    h.get_by_label("Boundary").click();
    h.run_steps(1);
    let a = screen(&h, (320.0, 40.0));
    let b = screen(&h, (500.0, 180.0));
    drag(&mut h, a, b, Modifiers::NONE);
    let m = &h.state().doc.model;
    let nb = m
        .boundaries
        .values()
        .find(|b| b.id.as_str().starts_with("boundary-"));
    let Some(nb) = nb else {
        panic!("a boundary was drawn")
    };
    assert_eq!(nb.parent.as_ref().map(|p| p.as_str()), Some("dc"));
    assert_eq!(m.elements["api"].boundary.as_ref(), Some(&nb.id));
}

#[test]
fn copy_paste_works_between_documents() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let p = screen(&h, (400.0, 100.0));
    click_at(&mut h, p);
    h.key_press_modifiers(Modifiers::SHIFT, egui::Key::ArrowRight); // no-op nudge check below
    h.run_steps(1);
    // Shift+click adds `db`; Ctrl+C copies both and the flow between them.
    h.event(egui::Event::ModifiersChanged(Modifiers::SHIFT));
    let q = screen(&h, (650.0, 100.0));
    h.event(egui::Event::PointerMoved(q));
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: q,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::SHIFT,
    });
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: q,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::SHIFT,
    });
    h.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    h.run_steps(2);
    assert_eq!(h.state().doc.selection.elements.len(), 2);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::C);
    h.run_steps(1);
    // New opens a blank model in a second tab; paste there.
    let ctx = h.ctx.clone();
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    h.state_mut()
        .run_action(&ctx, Action::SaveTo(dir.path().join("a.ron")));
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::N);
    h.run_steps(2);
    assert!(h.state().doc.model.elements.is_empty(), "a blank model");
    assert_eq!(h.state().tabs.len(), 2, "in a new tab");
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::V);
    h.run_steps(2);
    let m = &h.state().doc.model;
    assert_eq!(m.elements.len(), 2);
    assert_eq!(m.flows.len(), 1);
    let names: Vec<&str> = m.elements.values().map(|e| e.name.as_str()).collect();
    assert!(
        names.contains(&"API") && names.contains(&"Orders DB"),
        "{names:?}"
    );
}

#[test]
fn closing_a_tab_with_unsaved_changes_asks_first() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let p = screen(&h, (100.0, 100.0));
    click_at(&mut h, p);
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    assert!(h.state().doc.dirty);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::W);
    h.run_steps(2);
    h.get_by_label("Unsaved changes");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert_eq!(
        h.state().doc.model.elements.len(),
        2,
        "cancel keeps the model"
    );
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::W);
    h.run_steps(2);
    h.get_by_label("Don't save").click();
    h.run_steps(2);
    assert!(
        h.state().doc.model.elements.is_empty(),
        "the last tab became a blank model"
    );
    assert!(!h.state().doc.dirty);
    assert_eq!(h.state().tabs.len(), 1);
}

#[test]
fn saving_over_a_file_changed_on_disk_asks_before_overwriting() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let path = dir.path().join("m.ron");
    let mut h = harness(generic_open());
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(&ctx, Action::SaveTo(path.clone()));
    // Someone else edits the file.
    if let Err(e) = std::fs::write(&path, "(version: 1, metadata: (title: \"theirs\"))\n") {
        panic!("{e}");
    }
    let p = screen(&h, (100.0, 100.0));
    click_at(&mut h, p);
    h.key_press(egui::Key::Delete);
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::S);
    h.run_steps(2);
    h.get_by_label("The file changed on disk");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk.contains("theirs"),
        "not overwritten before the user agrees"
    );
    h.get_by_label("Overwrite").click();
    h.run_steps(2);
    let loaded = match palisade::persist::load(&path) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(loaded.model, h.state().doc.model);
    assert!(!h.state().doc.dirty);
}

#[test]
fn a_bad_file_is_an_error_banner_with_its_position() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let path = dir.path().join("bad.ron");
    if let Err(e) = std::fs::write(&path, "(\n    version: 1,\n    metadata: (title: 42),\n)\n") {
        panic!("{e}");
    }
    let mut h = harness(generic_open());
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut()
        .run_action(&ctx, Action::OpenPath(path.clone()));
    wait_for(&mut h, "the load to fail", |app| !app.banners.is_empty());
    let text = &h.state().banners[0].text;
    assert!(text.contains("bad.ron:3:"), "{text}");
    assert_eq!(
        h.state().doc.model,
        generic_open(),
        "the open model is untouched"
    );
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.state().banners.is_empty());
}

#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_a_ron_file_on_the_window_opens_it() {
    let path = common::root().join("tests/rules/models/generic-hardened.ron");
    let mut h = harness(generic_open());
    h.run_steps(2);
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(path.clone())));
    wait_for(&mut h, "the dropped file to open", |app| {
        app.doc.path.as_deref() == Some(path.as_path())
    });
    assert_eq!(
        h.state().doc.model,
        common::load("tests/rules/models/generic-hardened.ron")
    );
    assert_eq!(h.state().recent.first(), Some(&path));
}

#[test]
fn unsaved_work_is_autosaved_and_offered_back_on_the_next_start() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let rec = dir.path().to_path_buf();
    let cat = Catalog::builtin();
    let doc = palisade::gui::document::Document::new(generic_open(), None, None, &cat);
    let r2 = rec.clone();
    let mut h = Harness::builder()
        .with_size(Vec2::new(1400.0, 900.0))
        .allow_missing_glyphs()
        .with_accessibility_check(false)
        .with_step_dt(1.0)
        .build_eframe(move |cc| {
            palisade::gui::theme::install_fonts(&cc.egui_ctx);
            PalisadeApp::new(cat, doc, Some(r2))
        });
    h.run_steps(2);
    // (Clicks need short frames; with one-second frames, select with the keyboard.)
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.key_press(egui::Key::Delete);
    h.run_steps(1);
    let edited = h.state().doc.model.clone();
    assert!(edited.elements.is_empty(), "the edit happened");
    // Thirty seconds pass (one second per frame).
    for _ in 0..31 {
        h.run_steps(1);
    }
    let mut found = Vec::new();
    for _ in 0..200 {
        found = palisade::gui::files::list_recovery(&rec);
        if !found.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(found.len(), 1, "a recovery copy was written");
    drop(h); // "crash": nothing is cleaned up

    // Next start: the copy is offered and restores the edited model as unsaved work.
    let cat = Catalog::builtin();
    let doc = palisade::gui::document::Document::new(generic_open(), None, None, &cat);
    let r3 = rec.clone();
    let mut h = Harness::builder()
        .with_size(Vec2::new(1400.0, 900.0))
        .allow_missing_glyphs()
        .with_accessibility_check(false)
        .build_eframe(move |_cc| PalisadeApp::new(cat, doc, Some(r3)));
    h.run_steps(2);
    h.get_by_label("Recover unsaved work?");
    h.get_by_label("Restore").click();
    h.run_steps(2);
    assert_eq!(h.state().doc.model, edited);
    assert!(h.state().doc.dirty);
}

#[test]
fn quitting_with_unsaved_changes_offers_to_save_first() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let path = dir.path().join("q.ron");
    let mut h = harness(generic_open());
    h.run_steps(2);
    let ctx = h.ctx.clone();
    h.state_mut().run_action(&ctx, Action::SaveTo(path.clone()));
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Delete);
    h.run_steps(2);
    assert!(h.state().doc.dirty);
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Q);
    h.run_steps(2);
    assert!(!h.state().is_closing(), "not without asking");
    h.get_by_label("Save").click();
    h.run_steps(2);
    assert!(h.state().is_closing());
    let loaded = match palisade::persist::load(&path) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    assert!(
        loaded.model.elements.is_empty(),
        "the changes were saved before quitting"
    );
}

#[test]
fn arrow_nudges_of_one_selection_fold_into_one_undo_step() {
    let mut h = harness(generic_open());
    h.run_steps(3);
    let p = screen(&h, (400.0, 100.0));
    click_at(&mut h, p);
    for _ in 0..3 {
        h.key_press(egui::Key::ArrowRight);
        h.run_steps(1);
    }
    assert_eq!(h.state().doc.model.elements["api"].pos, (460.0, 100.0));
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().doc.model.elements["api"].pos, (400.0, 100.0));
}

#[test]
fn attack_paths_tab_lists_paths_and_dims_the_canvas_around_the_selected_one() {
    let mut h = harness(common::load("examples/kubernetes-cluster.ron"));
    h.run();
    h.get_by_label("Attack paths (8)").click();
    h.run();
    assert!(h.state().threats.canvas_focus().is_none());
    h.get_by_label_contains("Customers → payments PostgreSQL (RDS)")
        .click();
    h.run();
    let focus = h
        .state()
        .threats
        .canvas_focus()
        .cloned()
        .expect("a path is shown");
    let on: Vec<&str> = focus.elements.iter().map(|e| e.as_str()).collect();
    assert_eq!(on, ["customers", "ingress", "payments-api", "payments-rds"]);
    assert!(
        focus
            .flows
            .iter()
            .any(|f| f.as_str() == "ingress-to-payments")
    );
    // The steps and the cut are listed.
    h.get_by_label_contains("2. ingress-nginx controller sends unvalidated input to payments-api");
    h.get_by_label_contains("What cuts this path");
    // Back on the threats table, nothing is dimmed.
    let threats = format!("Threats ({})", h.state().doc.analysis.threats.len());
    h.get_by_label(&threats).click();
    h.run();
    assert!(h.state().threats.canvas_focus().is_none());
}
