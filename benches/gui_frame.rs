//! GUI frame benchmark: the real desktop app (`PalisadeApp`) driven headlessly, one frame
//! = egui layout + paint (the app's `ui`) + tessellation into meshes, CPU only (no GPU,
//! no window). Model: the converted synthetic model with 1,000 elements and 2,000 flows
//! (see `BENCHMARKS.md`), on a 1400 × 900 point window.
//!
//! ```text
//! cargo bench --bench gui_frame                       # needs the default `gui` feature
//! cargo bench --bench gui_frame -- --frames 120 --n 1000
//! ```
//!
//! Views measured: the whole model at fit-to-content zoom (what the app shows after
//! opening the file), and 4× that zoom around the centre (most nodes are outside the
//! view, so culling decides the cost). Each view is measured over consecutive idle frames
//! (no input), which is what the app repaints while the reviewer reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use eframe::App as _;
use eframe::egui;
use palisade::gui::app::PalisadeApp;
use palisade::persist;
use palisade::rules::Catalog;
use std::time::Duration;
use support::{median, ms, time};

// The same allocator as the `palisade` binary (src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SPEC §6: a frame at fit-to-content zoom on the 1,000-element model.
const BUDGET_MS: f64 = 8.0;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

struct Sample {
    ui: Vec<Duration>,
    tess: Vec<Duration>,
    total: Vec<Duration>,
    cpu: Vec<Duration>,
    shapes: usize,
    vertices: usize,
}

/// One frame's (layout + paint, tessellation, CPU) times, shape and vertex counts.
type FrameTimes = (Duration, Duration, Duration, usize, usize);

fn measure(
    frames: usize,
    step: &mut impl FnMut(&mut PalisadeApp) -> FrameTimes,
    app: &mut PalisadeApp,
) -> Sample {
    let mut s = Sample {
        ui: Vec::new(),
        tess: Vec::new(),
        total: Vec::new(),
        cpu: Vec::new(),
        shapes: 0,
        vertices: 0,
    };
    for _ in 0..frames {
        let (u, te, cpu, shapes, vertices) = step(app);
        s.ui.push(u);
        s.tess.push(te);
        s.total.push(u + te);
        s.cpu.push(cpu);
        s.shapes = shapes;
        s.vertices = vertices;
    }
    s
}

fn run() -> Result<(), String> {
    let mut frames = 60usize;
    let mut n = 1000usize;
    let mut breakdown = false;
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--frames" => frames = val()?.parse().map_err(|e| format!("--frames: {e}"))?,
            "--n" => n = val()?.parse().map_err(|e| format!("--n: {e}"))?,
            "--breakdown" => breakdown = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let path = support::palisade_model(&support::model_dir(), n)?;
    let model = persist::load(&path).map_err(|e| e.to_string())?.model;
    let (elements, flows) = (model.elements.len(), model.flows.len());

    let ctx = egui::Context::default();
    palisade::gui::theme::install_fonts(&ctx);
    let mut app = PalisadeApp::new_for_test(model, Catalog::builtin());
    let mut frame = eframe::Frame::_new_kittest();
    let size = egui::vec2(1400.0, 900.0);
    let mut t = 0.0f64;
    let mut step = |app: &mut PalisadeApp| -> FrameTimes {
        t += 1.0 / 60.0;
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
            time: Some(t),
            predicted_dt: 1.0 / 60.0,
            ..Default::default()
        };
        let c0 = support::thread_cpu();
        let (ui_time, _, mut out) = time(|| ctx.run_ui(input, |ui| app.ui(ui, &mut frame)));
        // No renderer takes the font texture updates; dropping them unhandled is a
        // debug-build panic in epaint.
        out.textures_delta.clear();
        let shapes = out.shapes.len();
        let (tess_time, _, prims) = time(|| ctx.tessellate(out.shapes, out.pixels_per_point));
        let cpu = support::thread_cpu().saturating_sub(c0);
        let vertices = prims
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
        (ui_time, tess_time, cpu, shapes, vertices)
    };

    // Warm-up: the first frames load fonts, lay out the panels and fit the diagram.
    for _ in 0..10 {
        step(&mut app);
    }
    let fit_zoom = app.canvas.view.zoom;
    let visible = |app: &PalisadeApp| {
        let r = app.canvas.view.visible_in_diagram(app.canvas.canvas_rect);
        let m = &app.doc.model;
        let inside = m
            .elements
            .values()
            .filter(|e| r.contains(egui::pos2(e.pos.0 as f32, e.pos.1 as f32)))
            .count();
        (inside, m.elements.len())
    };
    let (fit_inside, total) = visible(&app);
    if breakdown {
        print_breakdown(
            &ctx,
            &mut app,
            &mut eframe::Frame::_new_kittest(),
            size,
            "fit",
        );
    }
    let fit = measure(frames, &mut step, &mut app);
    // 4× the fit zoom about the canvas centre.
    let canvas = app.canvas.canvas_rect;
    app.canvas.view.zoom_about(canvas, canvas.center(), 4.0);
    let zoom4 = app.canvas.view.zoom;
    for _ in 0..3 {
        step(&mut app);
    }
    if breakdown {
        print_breakdown(
            &ctx,
            &mut app,
            &mut eframe::Frame::_new_kittest(),
            size,
            "4× fit",
        );
    }
    let zoomed = measure(frames, &mut step, &mut app);
    let (zoom_inside, _) = visible(&app);

    println!(
        "palisade GUI frame: {elements} elements, {flows} flows, window {}×{} points, canvas {:.0}×{:.0}, {frames} frames per view",
        size.x,
        size.y,
        canvas.width(),
        canvas.height()
    );
    println!(
        "element centres in view: {fit_inside} of {total} at fit, {zoom_inside} of {total} at 4× fit"
    );
    println!(
        "\n| view | zoom | frame median ms (layout+paint+tessellate) | min | max | layout+paint ms | tessellate ms | CPU ms | shapes | vertices | budget |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, zoom, s, budget) in [
        // The budget (SPEC §6) is defined for the 1,000-element model.
        (
            "fit to content",
            fit_zoom,
            &fit,
            (n == 1000).then_some(BUDGET_MS),
        ),
        ("4× fit zoom, centre", zoom4, &zoomed, None),
    ] {
        let med = median(&s.total);
        let verdict = match budget {
            Some(b) if med.as_secs_f64() * 1e3 <= b => format!("{b} ms (met)"),
            Some(b) => format!("{b} ms (MISSED)"),
            None => String::new(),
        };
        println!(
            "| {name} | {:.0} % | {} | {} | {} | {} | {} | {} | {} | {} | {verdict} |",
            zoom * 100.0,
            ms(med),
            ms(s.total.iter().min().copied().unwrap_or_default()),
            ms(s.total.iter().max().copied().unwrap_or_default()),
            ms(median(&s.ui)),
            ms(median(&s.tess)),
            ms(median(&s.cpu)),
            s.shapes,
            s.vertices
        );
    }
    Ok(())
}

/// `--breakdown`: one more frame, its shapes tessellated one by one and summed by kind
/// (count, vertices, time), to see where tessellation goes.
fn print_breakdown(
    ctx: &egui::Context,
    app: &mut PalisadeApp,
    frame: &mut eframe::Frame,
    size: egui::Vec2,
    view: &str,
) {
    use egui::epaint::{ClippedShape, Primitive, Shape};
    use std::collections::BTreeMap;
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
        ..Default::default()
    };
    let mut out = ctx.run_ui(input, |ui| app.ui(ui, frame));
    out.textures_delta.clear();
    let mut by_kind: BTreeMap<&str, (usize, usize, Duration)> = BTreeMap::new();
    for cs in out.shapes {
        let kind = match &cs.shape {
            Shape::Noop => "noop",
            Shape::Vec(_) => "vec",
            Shape::Circle(_) => "circle",
            Shape::Ellipse(_) => "ellipse",
            Shape::LineSegment { .. } => "line segment",
            Shape::Path(_) => "path",
            Shape::Rect(_) => "rect",
            Shape::Text(_) => "text",
            Shape::Mesh(_) => "mesh",
            Shape::QuadraticBezier(_) => "quadratic bezier",
            Shape::CubicBezier(_) => "cubic bezier",
            Shape::Callback(_) => "callback",
            _ => "other",
        };
        let one: Vec<ClippedShape> = vec![cs];
        let (t, _, prims) = time(|| ctx.tessellate(one, out.pixels_per_point));
        let v: usize = prims
            .iter()
            .map(|p| match &p.primitive {
                Primitive::Mesh(m) => m.vertices.len(),
                Primitive::Callback(_) => 0,
            })
            .sum();
        let e = by_kind.entry(kind).or_default();
        e.0 += 1;
        e.1 += v;
        e.2 += t;
    }
    if view == "fit" {
        drag_preview_costs(app);
    }
    println!("shapes at {view}: kind, count, vertices, tessellation ms (one by one)");
    for (k, (c, v, t)) in by_kind {
        println!("  {k:>16} {c:>6} {v:>8} {}", ms(t));
    }
}

/// `--breakdown`: what a drag costs on top of a frame: the layout with a boundary (and
/// everything in it) moved, laid out from scratch and as a preview of the cached layout.
fn drag_preview_costs(app: &PalisadeApp) {
    use palisade::gui::canvas::{layout::Layout, layout::Preview, ops};
    use std::collections::BTreeSet;
    let (m, cat) = (&app.doc.model, &app.catalog);
    let Some(b) = m.boundaries.keys().next() else {
        return;
    };
    let boundaries: BTreeSet<_> = [b.clone()].into();
    let preview = ops::move_preview(m, &BTreeSet::new(), &boundaries, egui::vec2(20.0, 20.0));
    let base = Layout::new(m, cat, &Preview::default());
    let runs = 20;
    let (t_new, _, _) = time(|| {
        for _ in 0..runs {
            std::hint::black_box(Layout::new(m, cat, &preview));
        }
    });
    let (t_prev, _, _) = time(|| {
        for _ in 0..runs {
            std::hint::black_box(base.with_preview(m, cat, &preview));
        }
    });
    println!(
        "dragging boundary {b} ({} elements): layout from scratch {} ms, preview of the cached layout {} ms",
        preview.moved_elements.len(),
        ms(t_new / runs),
        ms(t_prev / runs)
    );
}
