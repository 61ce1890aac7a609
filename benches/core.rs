//! In-process benchmarks of the headless core on the converted synthetic models
//! (see `BENCHMARKS.md`). A plain `harness = false` binary: no timing assertions, it
//! only prints medians.
//!
//! ```text
//! cargo bench --no-default-features --bench core                 # all cases, 15 runs
//! cargo bench --no-default-features --bench core -- --runs 31 --only analyze
//! cargo bench --no-default-features --bench core -- --json out.json
//! cargo bench --no-default-features --bench core -- --scaling --sizes 10000,100000 --only JSON
//! cargo bench --no-default-features --bench core -- prepare 1000 10000   # write the models
//! cargo bench --no-default-features --bench core -- convert IN.json OUT.ron
//! ```
//!
//! Cases run interleaved (round-robin, one warm-up round) so that machine noise spreads
//! over all of them instead of hitting one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use palisade::analysis::{self, index::ModelIndex, validate};
use palisade::model::{Edit, ElementId, Model, Value};
use palisade::persist;
use palisade::report::{self, text};
use palisade::rules::Catalog;

// The same allocator as the `palisade` binary (src/main.rs), so the cases measure what
// the CLI and the app run.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use palisade::analysis::eval::RulePlan;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{median, ms, time};

/// Nodes of the model used for the PDF case: the converted model with about 2,000
/// threats (N = 330 gives about 2,000 with the generic rules; see BENCHMARKS.md).
const PDF_N: usize = 330;

struct Case {
    name: String,
    budget_ms: Option<f64>,
    run: Box<dyn FnMut() -> usize>,
    times: Vec<Duration>,
    cpu: Vec<Duration>,
    last: usize,
}

fn case(
    name: impl Into<String>,
    budget_ms: Option<f64>,
    run: impl FnMut() -> usize + 'static,
) -> Case {
    Case {
        name: name.into(),
        budget_ms,
        run: Box::new(run),
        times: Vec::new(),
        cpu: Vec::new(),
        last: 0,
    }
}

struct Opts {
    runs: usize,
    sizes: Vec<usize>,
    dir: PathBuf,
    only: Vec<String>,
    json: Option<PathBuf>,
    /// Run the given sizes in this process (set for the per-size child processes).
    child: bool,
    /// Run every size in this one process, each case at every size back to back in a
    /// round, and print how each case's cost grows from one size to the next.
    scaling: bool,
}

fn main() {
    let mut args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let result = match args.first().map(String::as_str) {
        Some("convert") => convert_cmd(&args[1..]),
        Some("prepare") => prepare_cmd(&args[1..]),
        Some("dump") => dump_cmd(&args[1..]),
        Some("verify-incremental") => verify_incremental_cmd(&args[1..]),
        _ => parse_opts(&mut args).and_then(|o| bench(&o)),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn parse_opts(args: &mut [String]) -> Result<Opts, String> {
    let mut o = Opts {
        runs: 15,
        sizes: vec![1000, 10000],
        dir: support::model_dir(),
        only: Vec::new(),
        json: None,
        child: false,
        scaling: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--runs" => o.runs = val()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--sizes" => {
                o.sizes = val()?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--sizes: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--dir" => o.dir = PathBuf::from(val()?),
            "--only" => o.only.push(val()?),
            "--json" => o.json = Some(PathBuf::from(val()?)),
            "--child" => o.child = true,
            "--scaling" => o.scaling = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(o)
}

fn convert_cmd(args: &[String]) -> Result<(), String> {
    let [input, output] = args else {
        return Err("usage: core convert NEUTRAL.json OUT.ron".into());
    };
    let model = support::neutral::convert_file(Path::new(input))?;
    let text = persist::to_text(&model)?;
    std::fs::write(output, text).map_err(|e| format!("{output}: {e}"))?;
    eprintln!(
        "{output}: {} elements, {} flows, {} boundaries",
        model.elements.len(),
        model.flows.len(),
        model.boundaries.len()
    );
    Ok(())
}

fn prepare_cmd(args: &[String]) -> Result<(), String> {
    let dir = support::model_dir();
    for n in args {
        let n: usize = n.parse().map_err(|e| format!("{n}: {e}"))?;
        println!("{}", support::palisade_model(&dir, n)?.display());
    }
    Ok(())
}

/// Prints everything `analyze` derives from each model (threats as JSON, orphans,
/// diagnostics): diff the output of two builds to check that a speed-up changed nothing.
fn dump_cmd(args: &[String]) -> Result<(), String> {
    let cat = Catalog::builtin();
    for f in args {
        let model = match persist::load(Path::new(f)) {
            Ok(l) => l.model,
            Err(e) => {
                println!("== {f}: {e}");
                continue;
            }
        };
        let a = analysis::analyze(&model, &cat);
        println!("== {f}");
        print!("{}", text::json(&report::threat_views(&model, &cat, &a)));
        for o in &a.orphans {
            println!("orphan {o}");
        }
        for d in &a.diagnostics {
            println!("diag {d:?}");
        }
    }
    Ok(())
}

/// Applies random property edits to each model and checks after each one that
/// `analysis::reanalyze` gives exactly what `analysis::analyze` gives.
fn verify_incremental_cmd(args: &[String]) -> Result<(), String> {
    let cat = Catalog::builtin();
    // Deterministic choices (the same edits every run), from proptest's generator.
    let mut rng = proptest::test_runner::TestRng::deterministic_rng(
        proptest::test_runner::RngAlgorithm::ChaCha,
    );
    let mut rnd = |n: usize| {
        use proptest::prelude::Rng;
        (rng.next_u64() % n.max(1) as u64) as usize
    };
    for f in args {
        let mut m = persist::load(Path::new(f))
            .map_err(|e| e.to_string())?
            .model;
        let mut a = analysis::analyze(&m, &cat);
        let steps = if m.elements.len() > 2000 { 60 } else { 300 };
        let (elems, flows): (Vec<_>, Vec<_>) = (
            m.elements
                .values()
                .map(|e| (e.id.clone(), e.kind.clone()))
                .collect(),
            m.flows.keys().cloned().collect(),
        );
        for step in 0..steps {
            let value = |r: usize| match r % 4 {
                0 => None,
                1 => Some(Value::Bool(true)),
                2 => Some(Value::Bool(false)),
                _ => Some(Value::Text("public".into())),
            };
            let edit = if rnd(3) > 0 && !elems.is_empty() {
                let (id, kind) = &elems[rnd(elems.len())];
                let props = cat
                    .stencil(kind)
                    .map(|s| s.stencil.properties.clone())
                    .unwrap_or_default();
                let name = props
                    .get(rnd(props.len().max(1)))
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                Edit::SetElementProp(id.clone(), name, value(rnd(4)))
            } else if !flows.is_empty() {
                let spec = &cat.flow_props[rnd(cat.flow_props.len())];
                Edit::SetFlowProp(
                    flows[rnd(flows.len())].clone(),
                    spec.name.clone(),
                    value(rnd(4)),
                )
            } else {
                continue;
            };
            let inverse = edit.clone().apply(&mut m).map_err(|e| e.to_string())?;
            a = analysis::reanalyze(a, &m, &cat, &inverse);
            let full = analysis::analyze(&m, &cat);
            if a.threats != full.threats
                || a.orphans != full.orphans
                || a.diagnostics != full.diagnostics
            {
                return Err(format!(
                    "{f}: step {step}: {edit:?}: reanalyze differs from analyze"
                ));
            }
        }
        println!("{f}: {steps} random edits, reanalyze == analyze after each");
    }
    Ok(())
}

/// Discards what is written and counts the bytes.
struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn load(path: &Path) -> Model {
    persist::load(path).unwrap_or_else(|e| panic!("{e}")).model
}

/// A process element whose `validates_input` the edit case toggles.
fn edit_target(model: &Model) -> ElementId {
    model
        .elements
        .values()
        .find(|e| e.kind == "generic.process")
        .map(|e| e.id.clone())
        .expect("the model has a process")
}

/// The inspector edit both edit cases make: `validates_input` of `target` set to `on`.
fn toggle_edit(target: &ElementId, on: bool) -> Edit {
    Edit::SetElementProp(
        target.clone(),
        "validates_input".into(),
        Some(Value::Bool(on)),
    )
}

/// Runs each model size (and the PDF model) in its own child process, so that the heap
/// left behind by the 10,000-element cases does not slow down the small ones, and prints
/// one table.
fn bench(o: &Opts) -> Result<(), String> {
    if o.child || o.scaling {
        return bench_in_process(o);
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // (size, case filters): the requested sizes, then the PDF model for the PDF case only.
    let mut runs: Vec<(usize, Vec<String>)> =
        o.sizes.iter().map(|&n| (n, o.only.clone())).collect();
    if !o.sizes.contains(&PDF_N) {
        if o.only.is_empty() {
            runs.push((PDF_N, vec!["PDF report".to_owned()]));
        } else if o.only.iter().any(|f| "PDF report".contains(f.as_str())) {
            runs.push((PDF_N, o.only.clone()));
        }
    }
    let (mut notes, mut cases, mut rss) = (Vec::new(), Vec::<serde_json::Value>::new(), 0.0f64);
    for (n, only) in runs {
        let out =
            std::env::temp_dir().join(format!("palisade-bench-{}-{n}.json", std::process::id()));
        let mut cmd = std::process::Command::new(&exe);
        cmd.args([
            "--child",
            "--runs",
            &o.runs.to_string(),
            "--sizes",
            &n.to_string(),
        ])
        .arg("--dir")
        .arg(&o.dir)
        .arg("--json")
        .arg(&out);
        for f in &only {
            cmd.args(["--only", f]);
        }
        let status = cmd
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("the benchmark child for N={n} failed: {status}"));
        }
        let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let _ = std::fs::remove_file(&out);
        let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        for v in doc["notes"].as_array().into_iter().flatten() {
            notes.push(v.as_str().unwrap_or_default().to_owned());
        }
        for c in doc["cases"].as_array().into_iter().flatten() {
            if !cases.iter().any(|x| x["case"] == c["case"]) {
                cases.push(c.clone());
            }
        }
        rss = rss.max(doc["peak_rss_mb"].as_f64().unwrap_or(0.0));
    }
    println!(
        "palisade core benchmarks: {} runs per case, interleaved per model size (one process each), after 1 warm-up round",
        o.runs
    );
    for n in &notes {
        println!("{n}");
    }
    println!(
        "\n| case | wall median ms | min | max | CPU median ms | budget ms (on wall) | result |"
    );
    println!("|---|---|---|---|---|---|---|");
    let f = |c: &serde_json::Value, k: &str| {
        ms(Duration::from_secs_f64(c[k].as_f64().unwrap_or(0.0) / 1e3))
    };
    for c in &cases {
        let verdict = match c["budget_ms"].as_f64() {
            Some(b) if c["median_ms"].as_f64().unwrap_or(f64::MAX) <= b => format!("{b} (met)"),
            Some(b) => format!("{b} (MISSED)"),
            None => String::new(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            c["case"].as_str().unwrap_or_default(),
            f(c, "median_ms"),
            f(c, "min_ms"),
            f(c, "max_ms"),
            f(c, "cpu_median_ms"),
            verdict,
            c["result"]
        );
    }
    println!("\npeak RSS of the largest benchmark process: {rss:.0} MB");
    if let Some(p) = &o.json {
        let doc =
            serde_json::json!({"runs": o.runs, "notes": notes, "cases": cases, "peak_rss_mb": rss});
        std::fs::write(p, serde_json::to_string_pretty(&doc).unwrap_or_default())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Benchmarks the given sizes in this process (plus the PDF case when its model is one
/// of them).
fn bench_in_process(o: &Opts) -> Result<(), String> {
    let cat = Catalog::builtin();
    for d in &cat.diagnostics {
        eprintln!("template: {d}");
    }
    let active_rules = cat
        .rules
        .iter()
        .filter(|r| r.rule.deprecated.is_none())
        .count();
    let mut cases: Vec<Case> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let sizes = o.sizes.clone();
    let mut paths = Vec::new();
    for &n in &sizes {
        paths.push((n, support::palisade_model(&o.dir, n)?));
    }
    let tmp = std::env::temp_dir().join(format!("palisade-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;

    cases.push(case("catalog: Catalog::builtin()", None, || {
        Catalog::builtin().rules.len()
    }));
    for (n, path) in paths.iter().cloned() {
        let model = load(&path);
        let a = analysis::analyze(&model, &cat);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        notes.push(format!(
            "N={n}: {} elements, {} flows, {} boundaries, {} threats, {} diagnostics ({} errors), {:.1} MB RON",
            model.elements.len(),
            model.flows.len(),
            model.boundaries.len(),
            a.threats.len(),
            a.diagnostics.len(),
            a.diagnostics.iter().filter(|d| d.level == palisade::diag::Level::Error).count(),
            bytes as f64 / 1e6
        ));
        let big = n >= 10_000;
        {
            let p = path.clone();
            cases.push(case(
                format!("load (parse RON) N={n}"),
                big.then_some(200.0),
                move || load(&p).elements.len(),
            ));
        }
        {
            // The same load with the `ron` parser alone: what the fast path saves.
            let p = path.clone();
            cases.push(case(
                format!("load, ron parser only (no fast path) N={n}"),
                None,
                move || {
                    let bytes = std::fs::read(&p).expect("read");
                    persist::load_bytes_ron_only("model.ron", &bytes)
                        .expect("load")
                        .model
                        .elements
                        .len()
                },
            ));
        }
        {
            let (p, c) = (path.clone(), cat.clone());
            cases.push(case(
                format!("load + validate N={n}"),
                big.then_some(200.0),
                move || {
                    let m = load(&p);
                    let ix = ModelIndex::new(&m, &c);
                    validate::validate(&m, &c, &ix, &[]).len()
                },
            ));
        }
        {
            let (m, c) = (model.clone(), cat.clone());
            cases.push(case(
                format!("rules only (index + evaluate) N={n}"),
                big.then_some(100.0),
                move || {
                    let ix = ModelIndex::new(&m, &c);
                    let plan = RulePlan::new(&c);
                    analysis::evaluate(&ix, &c, &plan).len()
                },
            ));
        }
        {
            let (m, c) = (model.clone(), cat.clone());
            cases.push(case(
                format!("analyze (index + rules + validate) N={n}"),
                // Issue 19's budget (SPEC §6 asked for 100 ms).
                big.then_some(60.0),
                move || analysis::analyze(&m, &c).threats.len(),
            ));
        }
        {
            // Attack paths: graph, entries and targets, shortest path to every crown
            // jewel, the steps' why and threats, and the minimum cut of the first 20.
            let (m, c) = (model.clone(), cat.clone());
            let a = analysis::analyze(&m, &c);
            cases.push(case(
                format!("attack paths (graph + paths + cuts of 20) N={n}"),
                big.then_some(200.0),
                move || {
                    let q = analysis::paths::Query {
                        max: Some(20),
                        cuts: true,
                        ..Default::default()
                    };
                    analysis::paths::find(&m, &c, &a, &q)
                        .map(|p| p.paths.len() + p.left_out)
                        .unwrap_or(0)
                },
            ));
        }
        {
            // The attack paths `threats --format json` marks threats with (default query).
            let (m, c) = (model.clone(), cat.clone());
            let a = analysis::analyze(&m, &c);
            cases.push(case(
                format!("attack paths (default query) N={n}"),
                None,
                move || {
                    analysis::paths::find(&m, &c, &a, &analysis::paths::Query::default())
                        .map(|p| p.paths.len())
                        .unwrap_or(0)
                },
            ));
        }
        {
            // What the editor does after an inspector edit: reuse the previous analysis.
            let (mut m, c) = (model.clone(), cat.clone());
            let target = edit_target(&m);
            let mut prev = Some(analysis::analyze(&m, &c));
            let mut on = false;
            cases.push(case(
                format!("edit + reanalyze (incremental) N={n}"),
                (n == 1000).then_some(5.0),
                move || {
                    on = !on;
                    let edit = toggle_edit(&target, on);
                    let inverse = edit.apply(&mut m).expect("edit applies");
                    let a = analysis::reanalyze(prev.take().unwrap_or_default(), &m, &c, &inverse);
                    let threats = a.threats.len();
                    prev = Some(a);
                    threats
                },
            ));
        }
        {
            let (mut m, c) = (model.clone(), cat.clone());
            let target = edit_target(&m);
            let mut on = false;
            cases.push(case(
                format!("edit + analyze N={n}"),
                (n == 1000).then_some(5.0),
                move || {
                    on = !on;
                    let edit = toggle_edit(&target, on);
                    edit.apply(&mut m).expect("edit applies");
                    analysis::analyze(&m, &c).threats.len()
                },
            ));
        }
        {
            let (m, c, a) = (model.clone(), cat.clone(), a.clone());
            cases.push(case(
                format!("report::threat_views N={n}"),
                None,
                move || report::threat_views(&m, &c, &a).len(),
            ));
        }
        {
            let views = report::threat_views(&model, &cat, &a);
            cases.push(case(format!("text::json(views) N={n}"), None, move || {
                text::json(&views).len()
            }));
        }
        {
            // SARIF locates every untriaged threat's subject in the model text: linear in
            // the text and the threats (it once searched the whole text per threat).
            let (m, c, a) = (model.clone(), cat.clone(), a.clone());
            let source = std::fs::read(&path).unwrap_or_default();
            cases.push(case(format!("report SARIF N={n}"), None, move || {
                let input = report::Input {
                    model: &m,
                    catalog: &c,
                    analysis: &a,
                    source: &source,
                    source_name: "model.ron",
                    source_date_epoch: Some(0),
                    paper: report::Paper::A4,
                };
                report::render(&input, report::Format::Sarif)
                    .map(|b| b.len())
                    .unwrap_or(0)
            }));
        }
        {
            // What `threats --format json` costs after analysis: views rendered a chunk at
            // a time (on two threads when there are two cores) and streamed out.
            let (m, c, a) = (model.clone(), cat.clone(), a.clone());
            cases.push(case(
                format!("threats -> JSON streamed (write_threats_json) N={n}"),
                None,
                move || {
                    let mut sink = CountingSink(0);
                    let out = std::io::BufWriter::with_capacity(1 << 16, &mut sink);
                    text::write_threats_json(out, &m, &c, &a).expect("write");
                    sink.0
                },
            ));
        }
        {
            // The same with 500 controls, each naming ten threats spread over the list and
            // every fifth also a rule on three subjects (a reviewer's catalogue of
            // controls): a threat's status and why must not cost a look at every control.
            let (m, c) = (with_controls(&model, &a, 500), cat.clone());
            let a = analysis::analyze(&m, &c);
            cases.push(case(
                format!("threats -> JSON streamed, 500 controls N={n}"),
                None,
                move || {
                    let mut sink = CountingSink(0);
                    let out = std::io::BufWriter::with_capacity(1 << 16, &mut sink);
                    text::write_threats_json(out, &m, &c, &a).expect("write");
                    sink.0
                },
            ));
        }
        {
            // `threats --format json` after analysis, as the CLI runs it: the attack paths,
            // then every threat marked with its paths, streamed.
            let (m, c, a) = (model.clone(), cat.clone(), a.clone());
            cases.push(case(
                format!("threats -> JSON streamed with attack paths N={n}"),
                None,
                move || {
                    let p = analysis::paths::find(&m, &c, &a, &analysis::paths::Query::default())
                        .expect("paths");
                    let mut sink = CountingSink(0);
                    let out = std::io::BufWriter::with_capacity(1 << 16, &mut sink);
                    text::write_threats_json_with_paths(out, &m, &c, &a, Some(&p)).expect("write");
                    sink.0
                },
            ));
        }
        {
            let (m, c, a) = (model.clone(), cat.clone(), a.clone());
            cases.push(case(
                format!("threats -> JSON text N={n}"),
                None,
                move || text::json(&report::threat_views(&m, &c, &a)).len(),
            ));
        }
        {
            let p = path.clone();
            cases.push(case(
                format!("whole `threats --format json` in-process N={n}"),
                big.then_some(300.0),
                move || {
                    let m = load(&p);
                    let c = Catalog::builtin();
                    let a = analysis::analyze(&m, &c);
                    // As `palisade threats --format json` does it (src/cli).
                    let mut sink = CountingSink(0);
                    let out = std::io::BufWriter::with_capacity(1 << 16, &mut sink);
                    text::write_threats_json(out, &m, &c, &a).expect("write");
                    sink.0
                },
            ));
        }
        {
            let m = model.clone();
            cases.push(case(format!("to_text N={n}"), None, move || {
                persist::to_text(&m).map(|t| t.len()).unwrap_or(0)
            }));
        }
        {
            let (m, out) = (model.clone(), tmp.join(format!("save_{n}.ron")));
            cases.push(case(
                format!("save (to_text + atomic write + fsync) N={n}"),
                None,
                move || {
                    persist::save(&out, &m, &persist::SaveOptions::default()).expect("save");
                    m.elements.len()
                },
            ));
        }
        if n == PDF_N {
            let source = std::fs::read(&path).map_err(|e| e.to_string())?;
            pdf_case(
                &mut cases,
                &mut notes,
                n,
                model.clone(),
                cat.clone(),
                a,
                source,
            );
        }
    }

    cases.retain(|c| o.only.is_empty() || o.only.iter().any(|f| c.name.contains(f.as_str())));
    if o.scaling {
        // The same case at every size back to back, smallest first: a run's neighbour at
        // the next size meets the same machine.
        cases.sort_by_key(|c| {
            let (key, n) = sized(&c.name);
            (key.to_owned(), n)
        });
    }
    println!(
        "palisade core benchmarks: {} runs per case, interleaved, after 1 warm-up round",
        o.runs
    );
    println!(
        "catalog: {} templates, {} rules ({} active)",
        cat.templates.len(),
        cat.rules.len(),
        active_rules
    );
    for n in &notes {
        println!("{n}");
    }
    for round in 0..=o.runs {
        for c in cases.iter_mut() {
            let (d, cpu, r) = time(&mut c.run);
            c.last = r;
            if round > 0 {
                c.times.push(d);
                c.cpu.push(cpu);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);

    println!(
        "\n| case | wall median ms | min | max | CPU median ms | budget ms (on wall) | result |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut json = Vec::new();
    for c in &cases {
        let med = median(&c.times);
        let cpu = median(&c.cpu);
        let min = c.times.iter().min().copied().unwrap_or_default();
        let max = c.times.iter().max().copied().unwrap_or_default();
        let verdict = match c.budget_ms {
            Some(b) if med.as_secs_f64() * 1e3 <= b => format!("{b} (met)"),
            Some(b) => format!("{b} (MISSED)"),
            None => String::new(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.name,
            ms(med),
            ms(min),
            ms(max),
            ms(cpu),
            verdict,
            c.last
        );
        let f = |d: Duration| d.as_secs_f64() * 1e3;
        json.push(serde_json::json!({
            "case": c.name, "median_ms": f(med), "min_ms": f(min), "max_ms": f(max),
            "cpu_median_ms": f(cpu), "runs": c.times.len(), "budget_ms": c.budget_ms,
            "result": c.last,
        }));
    }
    if o.scaling {
        print_scaling(&cases);
    }
    let rss = support::peak_rss_mb();
    if let Some(r) = rss {
        println!("\npeak RSS of this benchmark process (all cases, all sizes loaded): {r:.0} MB");
    }
    if let Some(p) = &o.json {
        let doc =
            serde_json::json!({"runs": o.runs, "notes": notes, "cases": json, "peak_rss_mb": rss});
        std::fs::write(p, serde_json::to_string_pretty(&doc).unwrap_or_default())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// `model` with `n` controls, each naming ten of the threats of `a` spread over the list,
/// every fifth also covering a rule on up to three subjects; statuses cycle through
/// Implemented, Verified, Planned and In progress (the same model every run).
fn with_controls(model: &Model, a: &analysis::Analysis, n: usize) -> Model {
    use palisade::model::{Control, ControlId, ControlStatus, RuleCover, ThreatId};
    let mut m = model.clone();
    let ids: Vec<&str> = a.threats.iter().map(|t| t.id.as_str()).collect();
    if ids.is_empty() {
        return m;
    }
    let statuses = [
        ControlStatus::Implemented,
        ControlStatus::Verified,
        ControlStatus::Planned,
        ControlStatus::InProgress,
    ];
    for i in 0..n {
        let pick = |k: usize| ids[(i * 7_919 + k * 104_729) % ids.len()];
        let mut threats: Vec<ThreatId> = (0..10).map(|k| ThreatId::new(pick(k))).collect();
        let mut rules = Vec::new();
        if i % 5 == 0 {
            let mut subjects = Vec::new();
            let mut rule = "";
            for k in 0..3 {
                if let Some((r, s)) = pick(10 + k).split_once('@') {
                    rule = r;
                    subjects.push(s.to_owned());
                }
            }
            rules.push(RuleCover {
                rule: rule.to_owned(),
                subjects,
            });
        }
        threats.sort();
        threats.dedup();
        let c = Control {
            id: ControlId::new(format!("CTL-{i:04}")),
            title: format!("Control {i}"),
            status: statuses[i % statuses.len()],
            threats,
            rules,
            ..Control::default()
        };
        m.controls.insert(c.id.clone(), c);
    }
    m
}

/// A case's name without its trailing ` N=<size>`, and the size (0 when it has none).
fn sized(name: &str) -> (&str, usize) {
    match name.rsplit_once(" N=") {
        Some((key, n)) => match n.parse() {
            Ok(n) => (key, n),
            Err(_) => (name, 0),
        },
        None => (name, 0),
    }
}

/// How each case's cost grows between consecutive sizes: the exponent `b` of
/// `cost ∝ N^b` from the CPU medians, from the CPU minima (the runs the machine slowed
/// least), and from the median of the rounds' own ratios (each run against the run of
/// the same round at the next size, which ran just before it), and the same from wall
/// time.
fn print_scaling(cases: &[Case]) {
    println!(
        "\n| case | sizes | CPU median ms | exponent: medians | minima | paired rounds | wall: medians | paired rounds |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let secs = |d: &Duration| d.as_secs_f64();
    let exponent = |small: f64, large: f64, ratio: f64| {
        if small > 0.0 && large > 0.0 && ratio > 1.0 {
            format!("{:.2}", (large / small).ln() / ratio.ln())
        } else {
            "-".to_owned()
        }
    };
    let paired = |a: &[Duration], b: &[Duration]| {
        let mut r: Vec<f64> = a
            .iter()
            .zip(b)
            .filter(|(x, _)| secs(x) > 0.0)
            .map(|(x, y)| secs(y) / secs(x))
            .collect();
        r.sort_by(f64::total_cmp);
        match r.len() {
            0 => 0.0,
            n if n % 2 == 1 => r[n / 2],
            n => (r[n / 2 - 1] + r[n / 2]) / 2.0,
        }
    };
    for pair in cases.windows(2) {
        let [a, b] = pair else { continue };
        let ((ka, na), (kb, nb)) = (sized(&a.name), sized(&b.name));
        if ka != kb || na == 0 || nb <= na {
            continue;
        }
        let ratio = nb as f64 / na as f64;
        let min = |c: &Case| c.cpu.iter().min().map(secs).unwrap_or(0.0);
        println!(
            "| {ka} | {na} → {nb} | {} / {} | {} | {} | {} | {} | {} |",
            ms(median(&a.cpu)),
            ms(median(&b.cpu)),
            exponent(secs(&median(&a.cpu)), secs(&median(&b.cpu)), ratio),
            exponent(min(a), min(b), ratio),
            exponent(1.0, paired(&a.cpu, &b.cpu), ratio),
            exponent(secs(&median(&a.times)), secs(&median(&b.times)), ratio),
            exponent(1.0, paired(&a.times, &b.times), ratio),
        );
    }
}

fn pdf_case(
    cases: &mut Vec<Case>,
    notes: &mut Vec<String>,
    n: usize,
    model: Model,
    cat: Catalog,
    a: analysis::Analysis,
    source: Vec<u8>,
) {
    let threats = a.threats.len();
    let try_render = |model: &Model, cat: &Catalog, a: &analysis::Analysis, source: &[u8]| {
        let input = report::Input {
            model,
            catalog: cat,
            analysis: a,
            source,
            source_name: "palisade_330.ron",
            source_date_epoch: Some(0),
            paper: report::Paper::A4,
        };
        report::render(&input, report::Format::Pdf)
    };
    match try_render(&model, &cat, &a, &source) {
        Err(e) => notes.push(format!(
            "PDF report skipped: the PDF renderer is not available yet ({e})"
        )),
        Ok(bytes) => {
            notes.push(format!(
                "PDF report: N={n}, {threats} threats, {:.1} MB",
                bytes.len() as f64 / 1e6
            ));
            cases.push(case(
                format!("PDF report, {threats} threats (N={n})"),
                Some(2000.0),
                move || {
                    try_render(&model, &cat, &a, &source)
                        .map(|b| b.len())
                        .unwrap_or(0)
                },
            ));
        }
    }
}
