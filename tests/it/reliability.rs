//! Reliability: hostile inputs far too large to commit, generated here; the CLI's input
//! path; saves killed at random moments; triage that survives every edit; templates
//! that are data only; no networking crate; licences of every dependency.

use crate::common::{catalog, root};
use crate::persist::{assert_one_line, catalog_with, corpus_files, on_small_stack, small_model};
use palisade::analysis::analyze;
use palisade::persist::{self, LoadError, MAX_MODEL_BYTES, MAX_NAME_BYTES, MAX_STRING_BYTES};
use palisade::rules::catalog::{MAX_TEMPLATE_BYTES, TEMPLATE_RECURSION_LIMIT};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---- hostile inputs generated in the tests ------------------------------------------

/// The start of a valid model up to an open element list.
const HEAD: &str = "(\n    version: 1,\n    metadata: (title: \"hostile\"),\n    elements: [\n";
const TAIL: &str = "    ],\n)\n";

/// Loads bytes and analyses the result on a small stack; returns the error text or the
/// diagnostic codes.
fn load_and_analyse(name: &str, bytes: Vec<u8>) -> Result<Vec<&'static str>, String> {
    let name = name.to_owned();
    on_small_stack(&name.clone(), move || {
        match persist::load_bytes(&name, &bytes) {
            Ok(l) => {
                drop(bytes);
                let a = analyze(&l.model, catalog());
                let mut codes: Vec<&'static str> = a.diagnostics.iter().map(|d| d.code).collect();
                codes.sort();
                codes.dedup();
                Ok(codes)
            }
            Err(e) => {
                let msg = e.to_string();
                assert_one_line(&msg);
                Err(msg)
            }
        }
    })
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.ron");
    let f = fs::File::create(&path).expect("create");
    // Sparse: no disk space is used, and the loader must not read it.
    f.set_len(MAX_MODEL_BYTES + 1).expect("set_len");
    drop(f);
    let err = persist::load(&path).expect_err("too large");
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: ", path.display())) && msg.contains("MAX_MODEL_BYTES"),
        "{msg}"
    );
    // The same limit holds for bytes that did not come from a file.
    let bytes = vec![b' '; MAX_MODEL_BYTES as usize + 1];
    let err = persist::load_bytes("mem.ron", &bytes).expect_err("too large");
    assert!(err.to_string().contains("MAX_MODEL_BYTES"), "{err}");
}

#[test]
fn a_50_mb_file_of_one_string_is_refused_naming_the_limit() {
    let mut text = String::with_capacity(50 << 20);
    text.push_str("(\n    version: 1,\n    metadata: (title: \"big\", description: \"");
    text.extend(std::iter::repeat_n('a', 50 << 20));
    text.push_str("\"),\n)\n");
    let err = load_and_analyse("big-string.ron", text.into_bytes()).expect_err("refused");
    assert_eq!(
        err,
        format!(
            "big-string.ron:3:43: a string is {} bytes long; the limit is {MAX_STRING_BYTES} bytes (MAX_STRING_BYTES)",
            50 << 20
        )
    );
    // Up to the limit it loads.
    let text = format!(
        "(version: 1, metadata: (description: \"{}\"))",
        "a".repeat(MAX_STRING_BYTES)
    );
    let codes = load_and_analyse("string.ron", text.into_bytes()).expect("loads");
    assert!(codes.is_empty(), "{codes:?}");
}

#[test]
fn a_50_mb_file_of_garbage_is_a_located_error() {
    let mut text = String::from(HEAD);
    text.extend(std::iter::repeat_n("(id: \"a\", ", (50 << 20) / 10));
    let err = load_and_analyse("garbage.ron", text.into_bytes()).expect_err("fails");
    assert!(err.starts_with("garbage.ron:5:"), "{err}");
}

/// `depth` open brackets in a property value, then as many closed.
fn nested_value(open: &str, close: &str, depth: usize) -> String {
    let mut text = String::from(HEAD);
    text.push_str("        (id: \"a\", name: \"A\", kind: \"generic.process\", pos: (0.0, 0.0), props: {\"p\": ");
    text.push_str(&open.repeat(depth));
    text.push_str(&close.repeat(depth));
    text.push_str("}),\n");
    text.push_str(TAIL);
    text
}

#[test]
fn nesting_100000_deep_is_a_located_error() {
    // Nothing in a model nests, so a deep value fails at its first bracket; a parser
    // that recursed first would overflow the small stack.
    for (open, close) in [
        ("[", "]"),
        ("(", ")"),
        ("{\"k\": ", "}"),
        ("Some(", ")"),
        ("[", ""),
    ] {
        let text = nested_value(open, close, 100_000);
        let err = load_and_analyse("deep.ron", text.into_bytes()).expect_err("too deep");
        assert!(err.starts_with("deep.ron:5:"), "{open}: {err}");
    }
    for (name, text) in [
        ("top.ron", "(".repeat(100_000)),
        (
            "list.ron",
            format!(
                "(version: 1, metadata: (), elements: {})",
                "[".repeat(100_000)
            ),
        ),
        (
            "v0.ron",
            format!(
                "(version: 0, title: \"\", elements: {})",
                "[".repeat(100_000)
            ),
        ),
        (
            "comments.ron",
            format!("(version: 1, {} x", "/*".repeat(100_000)),
        ),
        (
            "ron-ext.ron",
            format!("#![enable({})]", "(".repeat(100_000)),
        ),
    ] {
        let err = load_and_analyse(name, text.into_bytes()).expect_err("refused");
        assert!(err.starts_with(&format!("{name}:1:")), "{err}");
    }
}

/// A model with `n` elements in a few boundaries and a flow from each to the next.
pub fn wide_model(n: usize) -> String {
    let mut t = String::with_capacity(n * 160);
    t.push_str("(\n    version: 1,\n    metadata: (title: \"wide\"),\n    boundaries: [\n");
    for b in 0..10 {
        let _ = writeln!(
            t,
            "        (id: \"b{b}\", name: \"B\", kind: Host, trust: {b}, rect: (0, 0, 1, 1)),"
        );
    }
    t.push_str("    ],\n    elements: [\n");
    for i in 0..n {
        let _ = writeln!(
            t,
            "        (id: \"e{i}\", name: \"E\", kind: \"generic.process\", boundary: Some(\"b{}\"), pos: (0, 0)),",
            i % 10
        );
    }
    t.push_str("    ],\n    flows: [\n");
    for i in 0..n.saturating_sub(1) {
        let _ = writeln!(
            t,
            "        (id: \"f{i}\", name: \"F\", source: \"e{i}\", target: \"e{}\"),",
            i + 1
        );
    }
    t.push_str("    ],\n)\n");
    t
}

#[test]
fn a_million_elements_load_or_are_refused_within_limits() {
    let text = wide_model(1_000_000);
    let size = text.len();
    match load_and_analyse("million.ron", text.into_bytes()) {
        Ok(codes) => assert!(size as u64 <= MAX_MODEL_BYTES, "{codes:?}"),
        Err(msg) => assert!(
            msg.contains("MAX_MODEL_BYTES") || msg.contains("MAX_"),
            "{msg}"
        ),
    }
}

#[test]
fn a_one_megabyte_id_is_refused_naming_the_limit() {
    let id = "i".repeat(1 << 20);
    for (what, text) in [
        (
            "element id",
            format!("{HEAD}        (id: \"{id}\", name: \"A\", kind: \"k\", pos: (0, 0)),\n{TAIL}"),
        ),
        (
            "element boundary",
            format!(
                "{HEAD}        (id: \"a\", name: \"A\", kind: \"k\", boundary: Some(\"{id}\"), pos: (0, 0)),\n{TAIL}"
            ),
        ),
        (
            "triage threat id",
            format!("(version: 1, metadata: (), triage: [(threat: \"{id}\")])"),
        ),
    ] {
        let err = load_and_analyse("long-id.ron", text.into_bytes()).expect_err("refused");
        assert!(
            err.starts_with("long-id.ron:") && err.contains(what),
            "{}",
            &err[..200.min(err.len())]
        );
        assert!(
            err.contains("MAX_ID_LEN") || err.contains("MAX_THREAT_ID_LEN"),
            "{err}"
        );
    }
    // A 1 MB name is refused at its position, naming the limit; one at the limit loads.
    let text = format!(
        "{HEAD}        (id: \"a\", name: \"{id}\", kind: \"generic.process\", pos: (0, 0)),\n{TAIL}"
    );
    let err = load_and_analyse("long-name.ron", text.into_bytes()).expect_err("refused");
    assert!(
        err.starts_with("long-name.ron:5:") && err.ends_with("(MAX_NAME_BYTES)"),
        "{err}"
    );
    let name = "n".repeat(MAX_NAME_BYTES);
    let text = format!(
        "{HEAD}        (id: \"a\", name: \"{name}\", kind: \"generic.process\", pos: (0, 0)),\n{TAIL}"
    );
    assert!(load_and_analyse("name.ron", text.into_bytes()).is_ok());
    // A 1 MB unknown field name is cut in the message.
    let text = format!("(version: 1, metadata: (), {}: 1)", "f".repeat(1 << 20));
    let err = load_and_analyse("field.ron", text.into_bytes()).expect_err("unknown field");
    assert!(
        err.len() < 1000 && err.starts_with("field.ron:1:28: "),
        "{}",
        &err[..200]
    );
}

/// A template of `n` rules; `bad` makes every rule fail its checks.
fn many_rules(n: usize, bad: bool) -> String {
    let mut t = String::from(
        "(\n    id: \"many\",\n    name: \"Many\",\n    version: \"1\",\n    group: \"Many\",\n    rules: [\n",
    );
    for i in 0..n {
        let kind = if bad {
            "no.such.kind"
        } else {
            "generic.process"
        };
        let _ = writeln!(
            t,
            "        (id: \"MANY-T-{i:05}\", title: \"Rule {i}\", category: Tampering, applies: Elements([\"{kind}\"]), \
             condition: Not(Is(Element, \"validates_input\", true)), severity: Low, description: \"{{element}} {i}\", references: [\"CWE-20\"]),"
        );
    }
    t.push_str("    ],\n)\n");
    t
}

#[test]
fn a_template_with_10000_rules_loads() {
    let cat = on_small_stack("many rules", || {
        let cat = catalog_with("user/many.ron", many_rules(10_000, false));
        let a = analyze(&small_model(), &cat);
        assert!(a.threat("MANY-T-09999@element:api").is_some());
        cat
    });
    assert!(cat.diagnostics.is_empty(), "{:?}", cat.diagnostics.first());
    assert_eq!(cat.rules.len(), catalog().rules.len() + 10_000);
}

#[test]
fn a_template_with_10000_bad_rules_reports_each_quickly() {
    let cat = on_small_stack("many bad rules", || {
        catalog_with("user/bad.ron", many_rules(10_000, true))
    });
    assert_eq!(cat.diagnostics.len(), 10_000);
    let last = cat
        .diagnostics
        .last()
        .map(|d| d.to_string())
        .unwrap_or_default();
    assert!(last.starts_with("user/bad.ron:10006:"), "{last}");
}

#[test]
fn a_condition_nested_100000_deep_is_refused_naming_the_limit() {
    for (open, close) in [("Not(", ")"), ("All([", "])"), ("HasFlow(In, ", ")")] {
        let cond = format!("{}Always{}", open.repeat(100_000), close.repeat(100_000));
        let text = format!(
            "(id: \"deep\", name: \"D\", version: \"1\", group: \"D\", rules: [(id: \"D-1\", title: \"D\", \
             category: Tampering, applies: Elements([\"generic.process\"]), condition: {cond}, severity: Low, \
             description: \"x\", references: [\"x\"])])"
        );
        let cat = on_small_stack("deep condition", move || catalog_with("deep.ron", text));
        let d = cat
            .diagnostics
            .iter()
            .find(|d| d.code == "template-syntax")
            .expect("refused");
        assert!(d.message.contains("TEMPLATE_RECURSION_LIMIT"), "{d}");
        assert_eq!(d.pos.map(|p| p.line), Some(1));
    }
    // Just under the limit, the condition loads, type-checks and evaluates.
    // Each `Not(` is two levels (the variant and its box).
    let depth = TEMPLATE_RECURSION_LIMIT / 2 - 8;
    let cond = format!("{}Always{}", "Not(".repeat(depth), ")".repeat(depth));
    let text = format!(
        "(id: \"deep\", name: \"D\", version: \"1\", group: \"D\", rules: [(id: \"D-1\", title: \"D\", \
         category: Tampering, applies: Elements([\"generic.process\"]), condition: {cond}, severity: Low, \
         description: \"x\", references: [\"x\"])])"
    );
    on_small_stack("deep but allowed", move || {
        let cat = catalog_with("deep.ron", text);
        assert!(cat.diagnostics.is_empty(), "{:?}", cat.diagnostics);
        let a = analyze(&small_model(), &cat);
        assert!(a.threat("D-1@element:api").is_some());
    });
}

#[test]
fn an_oversized_or_non_utf8_user_template_is_a_diagnostic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.ron");
    fs::File::create(&big)
        .expect("create")
        .set_len(MAX_TEMPLATE_BYTES as u64 + 1)
        .expect("set_len");
    fs::write(dir.path().join("latin1.ron"), b"(id: \"caf\xe9\")").expect("write");
    let (user, diags) = palisade::persist::read_template_dir(dir.path());
    let cat = palisade::rules::Catalog::with_user_sources(user, diags);
    let msgs: Vec<String> = cat.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(cat.diagnostics.len(), 2, "{msgs:?}");
    assert!(
        cat.diagnostics
            .iter()
            .all(|d| d.code == "template-unreadable"),
        "{msgs:?}"
    );
    assert_eq!(
        cat.rules.len(),
        catalog().rules.len(),
        "the built-in rules still load"
    );
}

/// A template of `n` stencils, each extending the previous one.
fn stencil_chain(n: usize) -> String {
    let mut t = String::from(
        "(\n    id: \"chain\",\n    name: \"Chain\",\n    version: \"1\",\n    group: \"Chain\",\n    stencils: [\n",
    );
    for i in 0..n {
        let extends = if i == 0 {
            "None".to_owned()
        } else {
            format!("Some(\"chain.s{}\")", i - 1)
        };
        let _ = writeln!(
            t,
            "        (kind: \"chain.s{i}\", name: \"S\", base: Process, icon: \"S\", extends: {extends}, \
             properties: [(name: \"p{i}\", ty: Bool, default: false)]),"
        );
    }
    t.push_str("    ],\n)\n");
    t
}

#[test]
fn a_template_with_10000_chained_stencils_loads_in_bounded_time() {
    let cat = on_small_stack("stencil chain", || {
        catalog_with("user/chain.ron", stencil_chain(10_000))
    });
    assert!(cat.stencil("chain.s9999").is_some());
}

// ---- the CLI's input path -------------------------------------------------------------

/// Runs the `palisade` binary; returns (exit code, stdout, stderr).
fn palisade(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the palisade binary runs");
    let code = out.status.code().unwrap_or(-1);
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_no_panic(what: &str, stderr: &str) {
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("stack backtrace")
            && !stderr.contains("RUST_BACKTRACE"),
        "{what}: {stderr}"
    );
}

/// The corpus models the manifest expects to fail to load, with `line:col` or `-`.
fn failing_corpus_models() -> Vec<(PathBuf, String)> {
    let manifest = fs::read_to_string(root().join("tests/corpus/models/EXPECT")).expect("EXPECT");
    manifest
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (file, kind, pos) = (w.next()?, w.next()?, w.next()?);
            (kind == "error").then(|| {
                (
                    root().join("tests/corpus/models").join(file),
                    pos.to_owned(),
                )
            })
        })
        .collect()
}

#[test]
fn cli_reports_a_bad_input_file_on_one_located_line_with_exit_code_2() {
    let failing = failing_corpus_models();
    assert!(failing.len() >= 20);
    for (path, pos) in &failing {
        let p = path.display().to_string();
        for cmd in ["validate", "threats", "check"] {
            let (code, stdout, stderr) = palisade(&[cmd, &p]);
            assert_no_panic(&p, &stderr);
            assert_eq!(code, 2, "{cmd} {p}: exit code {code}\n{stderr}");
            assert!(stdout.is_empty(), "{cmd} {p}: printed {stdout}");
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{cmd} {p}: not one line:\n{stderr}");
            let want = if pos == "-" {
                format!("error: {p}: ")
            } else {
                format!("error: {p}:{pos}: ")
            };
            assert!(
                lines[0].starts_with(&want),
                "{cmd}: `{}` does not start with `{want}`",
                lines[0]
            );
        }
    }
}

#[test]
fn cli_never_panics_on_any_corpus_file_or_hostile_template() {
    let templates = root().join("tests/corpus/templates");
    let t = templates.display().to_string();
    for path in corpus_files("tests/corpus/models")
        .into_iter()
        .chain(corpus_files("tests/corpus/crashes"))
    {
        let p = path.display().to_string();
        for args in [
            vec!["validate", p.as_str()],
            vec!["threats", p.as_str(), "--format", "json"],
            vec!["check", p.as_str(), "--templates", t.as_str()],
        ] {
            let (code, _, stderr) = palisade(&args);
            assert_no_panic(&p, &stderr);
            assert!(
                (0..=2).contains(&code),
                "{args:?}: exit code {code}\n{stderr}"
            );
        }
    }
    // Hostile templates are diagnostics, and a check that depends on them refuses to pass.
    let model = root()
        .join("tests/corpus/models/self-loop.ron")
        .display()
        .to_string();
    let (code, _, stderr) = palisade(&["check", &model, "--templates", &t]);
    assert_no_panic("check", &stderr);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("[shadowed-rule]") && stderr.contains("[template-syntax]"),
        "{stderr}"
    );
    let (code, stdout, stderr) = palisade(&["templates", "list", "--templates", &t]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("hostile"), "{stdout}");
}

#[test]
fn cli_names_missing_too_large_and_directory_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.ron");
    let big = dir.path().join("big.ron");
    fs::File::create(&big)
        .expect("create")
        .set_len(MAX_MODEL_BYTES + 1)
        .expect("set_len");
    for (path, text) in [
        (missing.as_path(), "cannot read"),
        (big.as_path(), "MAX_MODEL_BYTES"),
        (dir.path(), "cannot read"),
    ] {
        let p = path.display().to_string();
        let (code, _, stderr) = palisade(&["validate", &p]);
        assert_no_panic(&p, &stderr);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("error: {p}: ")) && stderr.contains(text),
            "{stderr}"
        );
    }
}

// ---- saves killed at random moments -------------------------------------------------

/// Set in the child process of the kill test to the file it saves into.
const SAVE_CHILD_ENV: &str = "PALISADE_SAVE_CHILD_FILE";

/// Generation `n` of the model the kill test saves: large enough that a save takes a
/// while, and different in every generation.
fn generation(n: u64) -> palisade::model::Model {
    use palisade::model::{Element, ElementId, Model, Value};
    let mut m = Model::new(&format!("generation {n}"));
    for i in 0..2000u64 {
        let id = ElementId::new(format!("e{i:04}"));
        let mut e = Element {
            provenance: Default::default(),
            id: id.clone(),
            name: format!("element {i} of generation {n}"),
            kind: "generic.process".into(),
            boundary: None,
            pos: ((i * 7 + n) as f64, (i * 13) as f64),
            props: Default::default(),
            entry_point: false,
            crown_jewel: false,
        };
        e.props.insert(
            "validates_input".into(),
            Value::Bool((i + n).is_multiple_of(2)),
        );
        m.elements.insert(id, e);
    }
    m
}

/// Which generation a saved text is; panics if it is not exactly one of them.
fn check_whole(what: &str, bytes: &[u8]) -> u64 {
    let loaded =
        persist::load_bytes(what, bytes).unwrap_or_else(|e| panic!("{what} is not whole: {e}"));
    let n: u64 = loaded
        .model
        .metadata
        .title
        .strip_prefix("generation ")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{what}: unexpected title {:?}", loaded.model.metadata.title));
    assert!(
        loaded.model == generation(n),
        "{what} is a mix of generations"
    );
    n
}

/// The child of the kill test: saves generation after generation into the file named by
/// [`SAVE_CHILD_ENV`] until it is killed. Run as a normal test, it does nothing.
#[test]
fn kill_test_child_saves_until_killed() {
    let Some(path) = std::env::var_os(SAVE_CHILD_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let bytes = fs::read(&path).expect("the parent wrote a file");
    let start = check_whole("start", &bytes);
    let mut expected = Some(persist::Stamp::of(&bytes));
    let models: Vec<_> = (start + 1..start + 4).map(generation).collect();
    // Bounded, in case the parent is gone: printing to its closed pipe also ends this.
    let stop = std::time::Instant::now() + std::time::Duration::from_secs(60);
    println!("ready");
    for n in start + 1..start + 10_000 {
        if std::time::Instant::now() > stop {
            break;
        }
        let model = models
            .get((n - start - 1) as usize)
            .cloned()
            .unwrap_or_else(|| generation(n));
        let opts = persist::SaveOptions {
            expected,
            force: false,
            backup: true,
        };
        expected = Some(persist::save(&path, &model, &opts).expect("save"));
        println!("saved {n}");
    }
}

/// Starts the kill-test child and waits until it is about to save.
fn start_child(
    exe: &Path,
    path: &Path,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead;
    let mut child = Command::new(exe)
        .args([
            "reliability::kill_test_child_saves_until_killed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SAVE_CHILD_ENV, path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    let mut said = String::new();
    while !line.trim_end().ends_with("ready") {
        line.clear();
        let n = out.read_line(&mut line).expect("read the child's output");
        said.push_str(&line);
        if n == 0 {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(
                &mut child.stderr.take().expect("piped stderr"),
                &mut err,
            );
            let _ = child.wait();
            panic!("the child ended before saving:\n{said}\n{err}");
        }
    }
    // Its stderr is not read again; a child that is killed writes nothing more there.
    drop(child.stderr.take());
    (child, out)
}

#[test]
fn saves_killed_at_random_moments_leave_the_old_or_the_new_file_whole() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.ron");
    persist::save(&path, &generation(0), &persist::SaveOptions::default()).expect("first save");
    let exe = std::env::current_exe().expect("test binary");
    // Calibrate: how long one save takes here, so that kills land within saves whatever
    // the machine's speed.
    let (mut child, mut out) = start_child(&exe, &path);
    let t0 = Instant::now();
    let mut line = String::new();
    for _ in 0..3 {
        line.clear();
        out.read_line(&mut line).expect("read");
    }
    let per_save = t0.elapsed() / 3;
    child.kill().expect("kill");
    child.wait().expect("wait");
    let window = (per_save.as_micros() as u64 * 2).max(1000);
    // The moments only need to differ from run to run: each is the hash of its number
    // under the standard library's randomly keyed hasher (the key is printed on failure).
    let key = std::hash::RandomState::new();
    let seed = {
        use std::hash::BuildHasher;
        key.hash_one(0u64)
    };
    let mut count = 0u64;
    let mut next = move |bound: u64| {
        use std::hash::BuildHasher;
        count += 1;
        key.hash_one(count) % bound
    };
    let mut last_gen = check_whole("model.ron", &fs::read(&path).expect("read"));
    let (mut kills, mut advanced) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while kills < 20 || (Instant::now() < deadline && kills < 300) {
        let (mut child, _out) = start_child(&exe, &path);
        std::thread::sleep(Duration::from_micros(next(window)));
        // SIGKILL on Unix: no destructor, no flush, no cleanup runs in the child.
        child.kill().expect("kill");
        child.wait().expect("wait");
        kills += 1;
        let now = check_whole("model.ron", &fs::read(&path).expect("the file exists"));
        assert!(
            now >= last_gen,
            "the file went back from generation {last_gen} to {now} (seed {seed})"
        );
        advanced += usize::from(now > last_gen);
        last_gen = now;
        let bak = persist::backup_path(&path);
        if bak.exists() {
            let b = check_whole("model.ron.bak", &fs::read(&bak).expect("read bak"));
            assert!(
                b <= now,
                "the backup (generation {b}) is newer than the file ({now}) (seed {seed})"
            );
        }
    }
    assert!(
        advanced > 0,
        "no save completed in {kills} runs (seed {seed})"
    );
    // A kill can leave a hidden temporary file behind, never anything else.
    for name in crate::persist::dir_names(dir.path()) {
        assert!(
            name == "model.ron"
                || name == "model.ron.bak"
                || (name.starts_with(".model.ron.")
                    && (name.ends_with(".tmp") || name.ends_with(".tmp.bak"))),
            "unexpected file {name}"
        );
    }
    eprintln!(
        "kill test: {kills} kills within {window} us of the start of saving (one save takes {per_save:?}); \
         {advanced} landed after a save, the file reached generation {last_gen} (seed {seed})"
    );
}

// ---- triage is never lost -------------------------------------------------------------

mod triage_props {
    use crate::common::catalog;
    use palisade::analysis::analyze;
    use palisade::model::{
        Boundary, BoundaryId, BoundaryKind, Edit, Element, ElementId, Flow, FlowId, Model, Status,
        ThreatId, Triage, Value,
    };
    use palisade::persist;
    use proptest::prelude::*;

    /// One step of a random editing session. Indices pick from small id pools, so that
    /// edits collide with each other (removing what was triaged, re-adding it, ...).
    #[derive(Clone, Debug)]
    pub enum Op {
        AddElement(u8, u8, Option<u8>),
        RemoveElement(u8),
        ReplaceElement(u8, u8),
        MoveElement(u8, i16, i16),
        SetElementProp(u8, u8, Option<bool>),
        SetElementBoundary(u8, Option<u8>),
        AddFlow(u8, u8, u8),
        RemoveFlow(u8),
        SetFlowProp(u8, u8, Option<bool>),
        AddBoundary(u8, Option<u8>, u8, u8),
        RemoveBoundary(u8),
        Reparent(u8, Option<u8>),
        /// Triage the n-th live threat (or an invented id when there are none).
        Triage(u16, u8),
        /// Remove the n-th triage record explicitly.
        Untriage(u16),
        /// Put control `i` with a status, attached to the n-th live threat (or an
        /// invented id) and, when set, covering the rule of that threat.
        PutControl(u8, u8, u16, bool),
        /// Detach every threat from control `i` (a `PutControl` with an empty list).
        DetachControl(u8),
        /// Remove control `i`.
        RemoveControl(u8),
        /// Several of the above as one undo step.
        Batch(Vec<Op>),
        Undo,
        Redo,
    }

    const KINDS: [&str; 4] = [
        "generic.process",
        "generic.store",
        "generic.entity",
        "no.such.kind",
    ];
    const ELEMENT_PROPS: [&str; 4] = [
        "validates_input",
        "authenticated",
        "encrypted_at_rest",
        "not_declared",
    ];
    const FLOW_PROPS: [&str; 3] = ["encrypted", "authenticated", "not_declared"];

    fn leaf() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..8u8, 0..4u8, proptest::option::of(0..4u8)).prop_map(|(i, k, b)| Op::AddElement(i, k, b)),
            1 => (0..8u8).prop_map(Op::RemoveElement),
            1 => (0..8u8, 0..4u8).prop_map(|(i, k)| Op::ReplaceElement(i, k)),
            1 => (0..8u8, any::<i16>(), any::<i16>()).prop_map(|(i, x, y)| Op::MoveElement(i, x, y)),
            2 => (0..8u8, 0..4u8, proptest::option::of(any::<bool>())).prop_map(|(i, p, v)| Op::SetElementProp(i, p, v)),
            1 => (0..8u8, proptest::option::of(0..4u8)).prop_map(|(i, b)| Op::SetElementBoundary(i, b)),
            3 => (0..8u8, 0..8u8, 0..8u8).prop_map(|(i, s, t)| Op::AddFlow(i, s, t)),
            1 => (0..8u8).prop_map(Op::RemoveFlow),
            1 => (0..8u8, 0..3u8, proptest::option::of(any::<bool>())).prop_map(|(i, p, v)| Op::SetFlowProp(i, p, v)),
            2 => (0..4u8, proptest::option::of(0..4u8), 0..9u8, 0..11u8).prop_map(|(i, p, k, t)| Op::AddBoundary(i, p, k, t)),
            1 => (0..4u8).prop_map(Op::RemoveBoundary),
            1 => (0..4u8, proptest::option::of(0..4u8)).prop_map(|(i, p)| Op::Reparent(i, p)),
            4 => (any::<u16>(), 0..6u8).prop_map(|(n, s)| Op::Triage(n, s)),
            1 => any::<u16>().prop_map(Op::Untriage),
            2 => (0..3u8, 0..6u8, any::<u16>(), any::<bool>()).prop_map(|(i, s, n, r)| Op::PutControl(i, s, n, r)),
            1 => (0..3u8).prop_map(Op::DetachControl),
            1 => (0..3u8).prop_map(Op::RemoveControl),
            2 => Just(Op::Undo),
            1 => Just(Op::Redo),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![9 => leaf(), 1 => proptest::collection::vec(leaf(), 1..4).prop_map(Op::Batch)]
    }

    fn eid(i: u8) -> ElementId {
        ElementId::new(format!("e{i}"))
    }
    fn fid(i: u8) -> FlowId {
        FlowId::new(format!("f{i}"))
    }
    fn bid(i: u8) -> BoundaryId {
        BoundaryId::new(format!("b{i}"))
    }

    /// Turns an op into an edit against the current model (undo and redo excluded).
    fn edit_for(op: &Op, m: &Model) -> Option<Edit> {
        let live: Vec<ThreatId> = analyze(m, catalog())
            .threats
            .into_iter()
            .map(|t| t.id)
            .collect();
        Some(match op {
            Op::AddElement(i, k, b) => Edit::AddElement(Element {
                provenance: Default::default(),
                id: eid(*i),
                name: format!("Element {i}"),
                kind: KINDS[*k as usize].into(),
                boundary: b.map(bid),
                pos: (f64::from(*i) * 10.0, 0.0),
                props: Default::default(),
                entry_point: false,
                crown_jewel: false,
            }),
            Op::RemoveElement(i) => Edit::RemoveElement(eid(*i)),
            Op::ReplaceElement(i, k) => {
                let mut e = m.elements.get(&eid(*i))?.clone();
                e.kind = KINDS[*k as usize].into();
                e.name.push('\'');
                Edit::ReplaceElement(e)
            }
            Op::MoveElement(i, x, y) => Edit::MoveElement(eid(*i), (f64::from(*x), f64::from(*y))),
            Op::SetElementProp(i, p, v) => Edit::SetElementProp(
                eid(*i),
                ELEMENT_PROPS[*p as usize].into(),
                v.map(Value::Bool),
            ),
            Op::SetElementBoundary(i, b) => Edit::SetElementBoundary(eid(*i), b.map(bid)),
            Op::AddFlow(i, s, t) => Edit::AddFlow(Flow {
                channel: Default::default(),
                id: fid(*i),
                name: format!("flow {i}"),
                source: eid(*s),
                target: eid(*t),
                props: Default::default(),
            }),
            Op::RemoveFlow(i) => Edit::RemoveFlow(fid(*i)),
            Op::SetFlowProp(i, p, v) => {
                Edit::SetFlowProp(fid(*i), FLOW_PROPS[*p as usize].into(), v.map(Value::Bool))
            }
            Op::AddBoundary(i, p, k, t) => Edit::AddBoundary(Boundary {
                props: Default::default(),
                id: bid(*i),
                name: format!("Boundary {i}"),
                kind: BoundaryKind::ALL[*k as usize],
                trust: *t,
                parent: p.map(bid),
                rect: (0.0, 0.0, 100.0, 100.0),
            }),
            Op::RemoveBoundary(i) => Edit::RemoveBoundary(bid(*i)),
            Op::Reparent(i, p) => {
                let mut b = m.boundaries.get(&bid(*i))?.clone();
                b.parent = p.map(bid);
                Edit::ReplaceBoundary(b)
            }
            Op::Triage(n, s) => {
                let id = if live.is_empty() {
                    ThreatId::new(format!("INVENTED-{n}@model"))
                } else {
                    live[*n as usize % live.len()].clone()
                };
                let status = Status::ALL[*s as usize];
                Edit::SetTriage(
                    id.clone(),
                    Some(Triage {
                        threat: id,
                        status,
                        justification: format!("decision {n}"),
                        ..Triage::default()
                    }),
                )
            }
            Op::Untriage(n) => {
                let keys: Vec<&ThreatId> = m.triage.keys().collect();
                let k = keys.get(*n as usize % keys.len().max(1))?;
                Edit::SetTriage((*k).clone(), None)
            }
            Op::PutControl(i, st, n, rule) => {
                let id = if live.is_empty() {
                    ThreatId::new(format!("INVENTED-{n}@model"))
                } else {
                    live[*n as usize % live.len()].clone()
                };
                let mut threats = m
                    .controls
                    .get(format!("c{i}").as_str())
                    .map(|c| c.threats.clone())
                    .unwrap_or_default();
                threats.push(id.clone());
                let mut c = palisade::model::Control {
                    id: palisade::model::ControlId::new(format!("c{i}")),
                    title: format!("Control {i}"),
                    status: palisade::model::ControlStatus::ALL[*st as usize],
                    threats,
                    rules: if *rule {
                        vec![palisade::model::RuleCover {
                            rule: id.as_str().split('@').next().unwrap_or("").to_owned(),
                            subjects: Vec::new(),
                        }]
                    } else {
                        Vec::new()
                    },
                    ..Default::default()
                };
                c.normalise();
                Edit::PutControl(c)
            }
            Op::DetachControl(i) => {
                let mut c = m.controls.get(format!("c{i}").as_str())?.clone();
                c.threats.clear();
                Edit::PutControl(c)
            }
            Op::RemoveControl(i) => {
                Edit::RemoveControl(palisade::model::ControlId::new(format!("c{i}")))
            }
            Op::Batch(ops) => Edit::Batch(ops.iter().filter_map(|o| edit_for(o, m)).collect()),
            Op::Undo | Op::Redo => return None,
        })
    }

    fn touches_triage(e: &Edit) -> bool {
        match e {
            Edit::SetTriage(..) => true,
            Edit::Batch(v) => v.iter().any(touches_triage),
            _ => false,
        }
    }

    /// Every triage record is attached to a live threat or listed as orphaned, and save
    /// → load gives the same model.
    fn check(m: &Model) -> Result<(), TestCaseError> {
        let a = analyze(m, catalog());
        for k in m.triage.keys() {
            let live = a.threat(k.as_str()).is_some();
            let orphan = a.orphans.contains(k);
            prop_assert!(
                live != orphan,
                "triage `{}`: live {} orphan {}",
                k,
                live,
                orphan
            );
        }
        prop_assert!(a.orphans.iter().all(|o| m.triage.contains_key(o)));
        // A control's link to a threat is live or reported as orphaned, never silent.
        for c in m.controls.values() {
            for t in &c.threats {
                let live = a.threat(t.as_str()).is_some();
                let reported = a.diagnostics.iter().any(|d| {
                    d.code == "orphaned-control-link" && d.message.contains(&format!("`{t}`"))
                });
                prop_assert!(
                    live != reported,
                    "control `{}` link `{}`: live {} reported {}",
                    c.id,
                    t,
                    live,
                    reported
                );
            }
        }
        // Controls only change statuses: a mitigated-by-controls threat has no other triage.
        for t in &a.threats {
            if palisade::analysis::controls::decision(m, t.id.as_str()).is_some() {
                prop_assert_eq!(t.status(m), Status::Mitigated);
            }
        }
        let text = persist::to_text(m).map_err(TestCaseError::fail)?;
        let back = persist::load_bytes("prop.ron", text.as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back.model, m, "save -> load changed the model");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn triage_survives_every_edit_and_undo_restores_exactly(ops in proptest::collection::vec(op(), 1..40)) {
            let mut m = Model::new("prop");
            // (inverse edit, model before the edit), and what undo undid.
            let mut undo: Vec<(Edit, Model)> = Vec::new();
            let mut redo: Vec<(Edit, Model)> = Vec::new();
            for op in &ops {
                let before = m.clone();
                match op {
                    Op::Undo => {
                        let Some((inverse, was)) = undo.pop() else { continue };
                        let again = inverse.apply(&mut m).map_err(|e| TestCaseError::fail(format!("undo failed: {e}")))?;
                        prop_assert_eq!(&m, &was, "undo did not restore the previous model");
                        redo.push((again, before));
                    }
                    Op::Redo => {
                        let Some((edit, was)) = redo.pop() else { continue };
                        let inverse = edit.apply(&mut m).map_err(|e| TestCaseError::fail(format!("redo failed: {e}")))?;
                        prop_assert_eq!(&m, &was, "redo did not restore the undone model");
                        undo.push((inverse, before));
                    }
                    _ => {
                        let Some(edit) = edit_for(op, &m) else { continue };
                        let triage_edit = touches_triage(&edit);
                        match edit.apply(&mut m) {
                            Ok(inverse) => {
                                if !triage_edit {
                                    prop_assert_eq!(&m.triage, &before.triage, "a non-triage edit changed triage");
                                }
                                undo.push((inverse, before));
                                redo.clear();
                            }
                            Err(_) => prop_assert_eq!(&m, &before, "a failed edit changed the model"),
                        }
                    }
                }
                check(&m)?;
            }
            // Undoing everything gives back the empty model.
            while let Some((inverse, was)) = undo.pop() {
                inverse.apply(&mut m).map_err(|e| TestCaseError::fail(format!("undo failed: {e}")))?;
                prop_assert_eq!(&m, &was);
            }
            prop_assert_eq!(m, Model::new("prop"));
        }
    }
}

// ---- templates are data only ------------------------------------------------------------

/// What a condition can look at. The match has no wildcard: a new `Cond` variant does
/// not compile until it is classified here, and every variant reads the model only.
fn cond_reads_only_the_model(c: &palisade::rules::Cond) -> bool {
    use palisade::rules::Cond;
    match c {
        Cond::Always => true,
        Cond::All(v) | Cond::Any(v) => v.iter().all(cond_reads_only_the_model),
        Cond::Not(inner) => cond_reads_only_the_model(inner),
        // A property of an element or a flow, compared with a literal.
        Cond::Is(_role, _prop, _value) | Cond::IsNot(_role, _prop, _value) => true,
        Cond::Below(_role, _prop, _number) | Cond::Above(_role, _prop, _number) => true,
        Cond::OneOf(_role, _prop, _options) => true,
        Cond::Empty(_role, _prop) => true,
        // The kind of an element, and where it sits among the boundaries.
        Cond::Kind(_role, _kind) => true,
        Cond::Inside(_role, _) | Cond::Unbounded(_role) => true,
        // The boundaries a flow crosses.
        Cond::Crosses | Cond::CrossesKind(_) | Cond::TrustRises => true,
        Cond::BoundaryKind(_) | Cond::Entering | Cond::BoundaryTrustAtLeast(_) => true,
        // Other elements and flows of the same model.
        Cond::Peer(_, _, inner) | Cond::HasFlow(_, inner) => cond_reads_only_the_model(inner),
        // List properties compared with literals, and a user value parsed in memory.
        Cond::Contains(_role, _prop, _)
        | Cond::ContainsAny(_role, _prop, _)
        | Cond::SubsetOf(_role, _prop, _)
        | Cond::ListEmpty(_role, _prop)
        | Cond::RunsAsUid0(_role, _prop) => true,
        // Boundary properties of the model's boundaries, a flow's channel, relations.
        Cond::Nearest(_role, _, inner) | Cond::AnyEnclosing(_role, inner) => {
            cond_reads_only_the_model(inner)
        }
        Cond::AnyCrossed(inner) | Cond::Related(_, _, inner) => cond_reads_only_the_model(inner),
        Cond::OverNetwork | Cond::ChannelIn(_) => true,
        // Whether the item lies on an attack path, which is derived from the model.
        Cond::OnAttackPath(_role) => true,
    }
}

#[test]
fn templates_are_data_with_no_construct_to_read_files_run_commands_or_reach_the_network() {
    use palisade::rules::{
        Applies, BoundarySchema, PropType, RelationKind, Rule, Stencil, Template,
    };
    // Every field of a template, a stencil and a rule is named here (no `..`): a new
    // field does not compile until someone checks it is plain data too.
    for (file, text) in palisade::rules::catalog::BUILTIN {
        let t =
            palisade::rules::catalog::parse_template(file, text).unwrap_or_else(|d| panic!("{d}"));
        let Template {
            id: _,
            name: _,
            version: _,
            group: _,
            description: _,
            flow_properties,
            boundary_properties,
            relations,
            stencils,
            rules,
            flow_steps,
            pivots,
            entry_points,
            crown_jewels,
        } = t;
        // Attack-path steps and selectors are conditions and ways to find elements of
        // the same model: data, like rules.
        use palisade::rules::{FlowStep, Pivot, Reach, Selector};
        for FlowStep {
            id,
            title: _,
            condition,
            controls: _,
            control: _,
            references: _,
        } in flow_steps
        {
            assert!(cond_reads_only_the_model(&condition), "{id}");
        }
        for Pivot {
            id,
            title: _,
            from: _,
            condition,
            to,
            target_condition,
            control: _,
            rules: _,
            references: _,
        } in pivots
        {
            assert!(cond_reads_only_the_model(&condition), "{id}");
            assert!(cond_reads_only_the_model(&target_condition), "{id}");
            for r in to {
                match r {
                    Reach::Relation(..) | Reach::Chain(_) | Reach::Peer(..) | Reach::Every(_) => {}
                }
            }
        }
        for Selector {
            kinds: _,
            condition,
            why: _,
        } in entry_points.into_iter().chain(crown_jewels)
        {
            assert!(cond_reads_only_the_model(&condition));
        }
        let mut schema_props = Vec::new();
        for BoundarySchema {
            kind: _,
            properties,
        } in boundary_properties
        {
            schema_props.extend(properties);
        }
        for RelationKind {
            kind: _,
            name: _,
            from: _,
            to: _,
            doc: _,
            properties,
        } in relations
        {
            schema_props.extend(properties);
        }
        for Stencil {
            kind: _,
            name: _,
            base: _,
            icon: _,
            description: _,
            extends: _,
            properties,
        } in stencils
        {
            for p in properties
                .iter()
                .chain(&flow_properties)
                .chain(&schema_props)
            {
                match &p.ty {
                    PropType::Bool
                    | PropType::Number
                    | PropType::Text
                    | PropType::Enum(_)
                    | PropType::List => {}
                }
            }
        }
        for r in rules {
            let Rule {
                id,
                title: _,
                category: _,
                applies,
                condition,
                severity: _,
                likelihood: _,
                description: _,
                mitigations: _,
                references: _,
                deprecated: _,
                seed_item: _,
                severity_steps,
            } = r;
            match applies {
                Applies::Elements(_) | Applies::Flows | Applies::Crossings => {}
            }
            assert!(cond_reads_only_the_model(&condition), "{id}");
            for palisade::rules::SeverityStep { when, at_least: _ } in &severity_steps {
                assert!(cond_reads_only_the_model(when), "{id}");
            }
        }
    }
    // The code that evaluates rules has no way out either: no file system, process or
    // network API in the rules and analysis modules (a user's template directory is read
    // by `persist::read_template_dir`; the catalog only parses the texts).
    for dir in ["src/rules", "src/analysis"] {
        for entry in fs::read_dir(root().join(dir)).expect("source dir") {
            let path = entry.expect("entry").path();
            let text = fs::read_to_string(&path).expect("source");
            for banned in [
                "std::net",
                "std::process",
                "Command::new",
                "TcpStream",
                "UdpSocket",
                "include_bytes!",
            ] {
                assert!(!text.contains(banned), "{} uses {banned}", path.display());
            }
            assert!(
                !text.contains("std::fs") && !text.contains("crate::persist::read"),
                "{} uses std::fs",
                path.display()
            );
        }
    }
}

#[test]
fn a_user_template_cannot_silently_replace_a_built_in_rule() {
    let builtin = &catalog().rules[0];
    let id = builtin.rule.id.clone();
    let text = format!(
        "(id: \"impostor\", name: \"I\", version: \"1\", group: \"I\", rules: [(id: \"{id}\", title: \"Never fires\", \
         category: Spoofing, applies: Flows, condition: Not(Always), severity: Low, description: \"x\", references: [\"x\"])])"
    );
    let cat = catalog_with("user/impostor.ron", text);
    let d = cat
        .diagnostics
        .iter()
        .find(|d| d.code == "shadowed-rule")
        .expect("a shadowed-rule diagnostic");
    assert_eq!(d.level, palisade::diag::Level::Error);
    assert!(
        d.message.contains(&id)
            && d.file.as_deref() == Some("user/impostor.ron")
            && d.pos.is_some(),
        "{d}"
    );
    assert_eq!(
        cat.rule(&id),
        Some(builtin),
        "the built-in rule was replaced"
    );
}

// ---- no network --------------------------------------------------------------------------

/// Crates whose purpose is to talk over a network.
const NETWORK_CRATES: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "h3",
    "quinn",
    "ureq",
    "curl",
    "curl-sys",
    "isahc",
    "surf",
    "attohttpc",
    "minreq",
    "http-client",
    "tokio",
    "async-std",
    "socket2",
    "native-tls",
    "openssl",
    "openssl-sys",
    "rustls",
    "tungstenite",
    "tokio-tungstenite",
    "websocket",
    "trust-dns-resolver",
    "hickory-resolver",
    "tiny_http",
    "axum",
    "actix-web",
    "warp",
    "tonic",
    "libp2p",
    "lettre",
];

/// Crates that can open sockets but are pulled only by the desktop app's platform layer,
/// and why that is not a network connection.
const EXPLAINED: &[(&str, &str)] = &[
    (
        "zbus",
        "D-Bus client used by accesskit_unix/atspi (screen readers) and file dialogs: it talks to the local session bus over a Unix socket",
    ),
    ("async-io", "the event loop zbus runs its Unix socket on"),
    (
        "mio",
        "winit's event loop on Linux: Wayland/X11 display connections are local Unix sockets",
    ),
    (
        "rustix",
        "system call wrappers; its `net` feature is the Unix socket wayland-backend uses to reach the local Wayland display",
    ),
    (
        "linux-raw-sys",
        "the system call definitions under rustix, `net` included for the same Unix socket",
    ),
];

/// `cargo metadata` for this machine's platform (what ships here), without the network
/// when `cargo test` has fetched every crate it needs already.
fn cargo_metadata(no_default_features: bool) -> serde_json::Value {
    let host = String::from_utf8(
        Command::new("rustc")
            .arg("-vV")
            .output()
            .expect("rustc -vV")
            .stdout,
    )
    .expect("utf-8")
    .lines()
    .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
    .expect("host triple");
    let run = |offline: bool| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &host,
        ])
        .current_dir(root());
        if offline {
            cmd.arg("--offline");
        }
        if no_default_features {
            cmd.arg("--no-default-features");
        }
        cmd.output().expect("cargo metadata runs")
    };
    // Offline first; a crate only the other feature set needs may not be fetched yet.
    let mut out = run(true);
    if !out.status.success() {
        out = run(false);
    }
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata JSON")
}

/// The resolved crates reachable from palisade through normal and build dependencies,
/// each with the path that pulls it in.
fn dependency_graph(no_default_features: bool) -> Vec<(String, Vec<String>, Vec<String>)> {
    let meta = cargo_metadata(no_default_features);
    let name_of = |id: &str| -> String {
        meta["packages"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == id))
            .and_then(|p| p["name"].as_str())
            .unwrap_or(id)
            .to_owned()
    };
    let nodes = meta["resolve"]["nodes"].as_array().expect("resolve nodes");
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id);
    let root_id = meta["resolve"]["root"].as_str().expect("root").to_owned();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::from([(root_id, vec![])]);
    while let Some((id, path)) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(n) = node(&id) else { continue };
        let name = name_of(&id);
        let features: Vec<String> = n["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect();
        let mut here = path.clone();
        here.push(name.clone());
        for d in n["deps"].as_array().into_iter().flatten() {
            let normal = d["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if normal && let Some(pkg) = d["pkg"].as_str() {
                queue.push_back((pkg.to_owned(), here.clone()));
            }
        }
        out.push((name, path, features));
    }
    out
}

#[test]
fn no_networking_crate_is_in_the_dependency_tree() {
    let core = dependency_graph(true);
    let full = dependency_graph(false);
    for (name, path, features) in &core {
        assert!(
            !NETWORK_CRATES.contains(&name.as_str()) && !EXPLAINED.iter().any(|(n, _)| n == name),
            "the core (no GUI) depends on `{name}` via {}",
            path.join(" -> ")
        );
        assert!(
            !features.iter().any(|f| f == "net"),
            "`{name}` has its `net` feature on in the core"
        );
    }
    for (name, path, features) in &full {
        assert!(
            !NETWORK_CRATES.contains(&name.as_str()),
            "`{name}` is a networking crate, via {}",
            path.join(" -> ")
        );
        if let Some((_, why)) = EXPLAINED.iter().find(|(n, _)| n == name) {
            assert!(
                path.iter()
                    .any(|p| p == "eframe" || p == "rfd" || p == "egui_extras"),
                "`{name}` comes via {}",
                path.join(" -> ")
            );
            eprintln!("{name} (via {}): {why}", path.join(" -> "));
        }
        if features.iter().any(|f| f == "net") {
            assert!(
                EXPLAINED.iter().any(|(n, _)| n == name),
                "`{name}` has its `net` feature on, via {}",
                path.join(" -> ")
            );
        }
    }
}

// ---- licences -------------------------------------------------------------------------------

/// Licences every dependency must be available under: the `allow` list of the
/// `[licenses]` table of `deny.toml`, the one place they are written (`cargo deny check
/// licenses` reads the same list where cargo-deny is installed).
fn allowed_licenses() -> Vec<String> {
    let text = fs::read_to_string(root().join("deny.toml")).expect("deny.toml");
    let mut in_licenses = false;
    let mut in_allow = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') && !in_allow {
            in_licenses = line == "[licenses]";
            continue;
        }
        if in_licenses && !in_allow && line.replace(' ', "").starts_with("allow=[") {
            in_allow = true;
        }
        if in_allow {
            // Every quoted string on the line is one licence id.
            out.extend(line.split('"').skip(1).step_by(2).map(str::to_owned));
            if line.ends_with(']') {
                break;
            }
        }
    }
    assert!(
        out.len() >= 5,
        "no `allow = [...]` list found under [licenses] in deny.toml: {out:?}"
    );
    out
}

/// Whether an SPDX expression (with `OR`, `AND`, `WITH`, parentheses, and the old `/`
/// for OR) is satisfied by the allowed licences.
fn license_ok(allowed: &[String], expr: &str) -> bool {
    let spaced = expr
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    fn or(a: &[String], t: &[&str], i: &mut usize) -> bool {
        let mut v = and(a, t, i);
        while t.get(*i) == Some(&"OR") {
            *i += 1;
            v |= and(a, t, i);
        }
        v
    }
    fn and(a: &[String], t: &[&str], i: &mut usize) -> bool {
        let mut v = atom(a, t, i);
        while t.get(*i) == Some(&"AND") {
            *i += 1;
            v &= atom(a, t, i);
        }
        v
    }
    fn atom(a: &[String], t: &[&str], i: &mut usize) -> bool {
        if t.get(*i) == Some(&"(") {
            *i += 1;
            let v = or(a, t, i);
            *i += 1;
            return v;
        }
        let mut id = t.get(*i).copied().unwrap_or("").to_owned();
        *i += 1;
        if t.get(*i) == Some(&"WITH") {
            id = format!("{id} WITH {}", t.get(*i + 1).copied().unwrap_or(""));
            *i += 2;
        }
        a.contains(&id)
    }
    let mut i = 0;
    or(allowed, &tokens, &mut i) && i == tokens.len()
}

#[test]
fn every_dependency_has_an_allowed_licence() {
    let allowed = allowed_licenses();
    let license_ok = |expr: &str| license_ok(&allowed, expr);
    assert!(license_ok("MIT OR Apache-2.0") && license_ok("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(license_ok("MIT/Apache-2.0") && license_ok("Apache-2.0 OR GPL-2.0-only"));
    assert!(!license_ok("GPL-3.0-only") && !license_ok("MIT AND GPL-2.0-only") && !license_ok(""));
    assert!(license_ok("Apache-2.0 WITH LLVM-exception") && license_ok("Ubuntu-font-1.0"));
    let meta = cargo_metadata(false);
    let mut bad = Vec::new();
    for p in meta["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().unwrap_or("?");
        if name == "palisade" {
            continue;
        }
        match p["license"].as_str() {
            Some(l) if license_ok(l) => {}
            other => bad.push(format!(
                "{name} {}: {other:?}",
                p["version"].as_str().unwrap_or("?")
            )),
        }
    }
    assert!(
        bad.is_empty(),
        "dependencies without an allowed licence:\n{}",
        bad.join("\n")
    );
}
