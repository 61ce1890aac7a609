//! The file boundary: a corpus of malformed and hostile files replayed through the
//! loaders, migrations, version checks, save → load, atomic saves, conflicts and
//! places that cannot be written.
//!
//! Each corpus directory has an `EXPECT` file: one line per corpus file saying what
//! loading it must give. Models:
//!
//! ```text
//! <file>  error <line:col | ->  <text the message contains>
//! <file>  ok    <diagnostic code>...
//! ```
//!
//! Templates (loaded as a user template after the built-in ones):
//!
//! ```text
//! <file>  diag  <code>  <line:col | ->  <text the message contains>
//! <file>  clean
//! ```
//!
//! Run with `PALISADE_CORPUS_PRINT=1` to print what every file actually gives.

use crate::common::{catalog, root};
use palisade::analysis::analyze;
use palisade::model::{
    BoundaryId, BoundaryKind, ElementId, FORMAT_VERSION, FlowId, Model, Severity, Status, ThreatId,
    Value,
};
use palisade::persist::{self, LoadError, SaveError, SaveOptions, Stamp};
use palisade::rules::Catalog;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Stack given to threads that parse hostile input: small enough that unbounded
/// recursion would overflow it.
pub const SMALL_STACK: usize = 2 * 1024 * 1024;

/// Runs `f` on a thread with a [`SMALL_STACK`]; a panic or a stack overflow fails the test.
pub fn on_small_stack<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name(what.to_owned())
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap_or_else(|e| panic!("cannot spawn a thread for {what}: {e}"))
        .join()
        .unwrap_or_else(|_| panic!("{what}: panicked"))
}

/// The files of a corpus directory, in name order (the `EXPECT` manifest left out).
pub fn corpus_files(dir: &str) -> Vec<PathBuf> {
    let dir = root().join(dir);
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n != "EXPECT" && n != "README.md")
        })
        .collect();
    out.sort();
    out
}

/// Parses an `EXPECT` manifest into (file name, the rest of the line).
fn manifest(dir: &str) -> BTreeMap<String, String> {
    let path = root().join(dir).join("EXPECT");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (file, rest) = line
            .split_once(char::is_whitespace)
            .unwrap_or_else(|| panic!("{}:{}: no expectation", path.display(), n + 1));
        assert!(
            out.insert(file.to_owned(), rest.trim().to_owned())
                .is_none(),
            "{}:{}: `{file}` is listed twice",
            path.display(),
            n + 1
        );
    }
    out
}

/// Splits `word rest` into the first word and the trimmed rest.
fn word(s: &str) -> (&str, &str) {
    match s.trim().split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim()),
        None => (s.trim(), ""),
    }
}

/// An error message as the CLI prints it must be one short line of printable text.
pub fn assert_one_line(msg: &str) {
    assert!(
        !msg.chars().any(|c| c.is_control()),
        "the message has control characters (it must be one line): {msg:?}"
    );
    assert!(
        msg.len() < 2000,
        "the message is {} bytes long: {}…",
        msg.len(),
        &msg[..200]
    );
}

/// What loading and analysing one model file gave, as a manifest line.
fn model_outcome(path: &Path) -> (String, Result<Vec<&'static str>, (LoadError, String)>) {
    let name = path.display().to_string();
    let p = path.to_path_buf();
    let result = on_small_stack(&name, move || match persist::load(&p) {
        Ok(loaded) => {
            let a = analyze(&loaded.model, catalog());
            // Whatever loads also saves and loads again to the same text.
            let text = persist::to_text(&loaded.model).expect("a loaded model can be written");
            let again = persist::load_bytes("resaved", text.as_bytes())
                .unwrap_or_else(|e| panic!("{}: saved text does not load: {e}", p.display()));
            assert_eq!(
                persist::to_text(&again.model).ok().as_deref(),
                Some(text.as_str())
            );
            let mut codes: Vec<&'static str> = a.diagnostics.iter().map(|d| d.code).collect();
            codes.sort();
            codes.dedup();
            Ok(codes)
        }
        Err(e) => {
            let msg = e.to_string();
            Err((e, msg))
        }
    });
    let line = match &result {
        Ok(codes) => format!("ok {}", codes.join(" ")),
        Err((e, msg)) => {
            let pos = match e {
                LoadError::Syntax { line, col, .. }
                | LoadError::NotUtf8 { line, col, .. }
                | LoadError::Limit {
                    pos: Some((line, col)),
                    ..
                } => format!("{line}:{col}"),
                _ => "-".to_owned(),
            };
            let text = msg.split_once(": ").map(|(_, m)| m).unwrap_or(msg);
            let text = text
                .strip_prefix(&pos)
                .and_then(|t| t.strip_prefix(": "))
                .unwrap_or(text);
            format!("error {pos} {}", palisade::model::truncate(text, 70))
        }
    };
    (line, result)
}

#[test]
fn every_corpus_model_gives_its_expected_error_or_diagnostics() {
    let expect = manifest("tests/corpus/models");
    let print = std::env::var_os("PALISADE_CORPUS_PRINT").is_some();
    let files = corpus_files("tests/corpus/models");
    assert!(
        files.len() >= 25,
        "the corpus has only {} models",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("corpus names are UTF-8");
        let (actual, result) = model_outcome(path);
        if print {
            println!("{file:32} {actual}");
        }
        let Some(want) = expect.get(file) else {
            failures.push(format!("{file}: not listed in EXPECT (it gives: {actual})"));
            continue;
        };
        let (kind, rest) = word(want);
        let ok = match (kind, &result) {
            ("ok", Ok(codes)) => rest.split_whitespace().all(|c| codes.contains(&c)),
            ("error", Err((e, msg))) => {
                assert_one_line(msg);
                let (pos, text) = word(rest);
                let prefix = if pos == "-" {
                    format!("{}: ", path.display())
                } else {
                    format!("{}:{pos}: ", path.display())
                };
                // A located error names file:line:column; the others name the file.
                let located = matches!(
                    e,
                    LoadError::Syntax { .. }
                        | LoadError::NotUtf8 { .. }
                        | LoadError::Limit { pos: Some(_), .. }
                );
                msg.starts_with(&prefix) && msg.contains(text) && (located == (pos != "-"))
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{file}: expected `{want}`, got `{actual}`"));
        }
    }
    for listed in expect.keys() {
        if !files
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == listed.as_str()))
        {
            failures.push(format!("{listed}: listed in EXPECT but missing"));
        }
    }
    assert!(
        failures.is_empty(),
        "corpus mismatches:\n{}",
        failures.join("\n")
    );
}

/// Loads the built-in templates plus one user template.
pub fn catalog_with(file: &str, text: String) -> Catalog {
    let mut sources = palisade::rules::catalog::builtin_sources();
    sources.push(palisade::persist::Source::new(file, text, false));
    Catalog::from_sources(sources)
}

#[test]
fn every_corpus_template_gives_its_expected_diagnostics() {
    let expect = manifest("tests/corpus/templates");
    let print = std::env::var_os("PALISADE_CORPUS_PRINT").is_some();
    let files = corpus_files("tests/corpus/templates");
    let builtin_rules = catalog().rules.len();
    let mut failures = Vec::new();
    for path in &files {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("corpus names are UTF-8")
            .to_owned();
        let name = path.display().to_string();
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let cat = on_small_stack(&name.clone(), move || {
            let cat = catalog_with(&name, text);
            // Whatever loaded still evaluates.
            let m = small_model();
            let _ = analyze(&m, &cat);
            cat
        });
        // The built-in rules are never lost because of a user template.
        let kept = catalog()
            .rules
            .iter()
            .all(|r| cat.rule(&r.rule.id) == Some(r));
        assert!(
            kept && cat.rules.len() >= builtin_rules,
            "{file}: a built-in rule was replaced or lost"
        );
        let diags: Vec<String> = cat.diagnostics.iter().map(|d| d.to_string()).collect();
        if print {
            println!("{file}:");
            for d in &diags {
                println!("    {d}");
            }
        }
        for d in &diags {
            assert_one_line(d);
        }
        let Some(want) = expect.get(&file) else {
            failures.push(format!(
                "{file}: not listed in EXPECT; diagnostics:\n  {}",
                diags.join("\n  ")
            ));
            continue;
        };
        let (kind, rest) = word(want);
        let ok = match kind {
            "clean" => cat.diagnostics.is_empty(),
            "diag" => {
                let (code, rest) = word(rest);
                let (pos, text) = word(rest);
                cat.diagnostics.iter().any(|d| {
                    let at = match d.pos {
                        Some(p) => format!("{}:{}", p.line, p.col),
                        None => "-".to_owned(),
                    };
                    d.code == code
                        && at == pos
                        && d.file.as_deref() == Some(path.display().to_string().as_str())
                        && d.message.contains(text)
                })
            }
            other => panic!("{file}: unknown expectation `{other}`"),
        };
        if !ok {
            failures.push(format!(
                "{file}: expected `{want}`, got:\n  {}",
                diags.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "template corpus mismatches:\n{}",
        failures.join("\n")
    );
}

/// Crash reproducers found by fuzzing: each must now load (or fail to load) without a
/// panic. Files are named after the target that found them.
#[test]
fn fuzz_crash_reproducers_no_longer_crash() {
    for path in corpus_files("tests/corpus/crashes") {
        let name = path.display().to_string();
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        on_small_stack(&name.clone(), move || {
            if file.starts_with("template") {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let cat = catalog_with(&name, text);
                let _ = analyze(&small_model(), &cat);
            } else if let Ok(l) = persist::load_bytes(&name, &bytes) {
                let a = analyze(&l.model, catalog());
                let _ = palisade::report::threat_views(&l.model, catalog(), &a);
                let text = persist::to_text(&l.model).expect("a loaded model can be written");
                let again =
                    persist::load_bytes("resaved", text.as_bytes()).expect("saved text loads");
                assert_eq!(
                    persist::to_text(&again.model).ok(),
                    Some(text),
                    "{name}: save -> load -> save differs"
                );
            }
        });
    }
}

/// A small valid model with a boundary crossing, used as a target for templates.
pub fn small_model() -> Model {
    let text = r#"(
        version: 1,
        metadata: (title: "small"),
        boundaries: [
            (id: "dc", name: "DC", kind: NetworkZone, trust: 8, rect: (0.0, 0.0, 10.0, 10.0)),
            (id: "net", name: "Net", kind: Internet, trust: 0, rect: (20.0, 0.0, 10.0, 10.0)),
        ],
        elements: [
            (id: "api", name: "API", kind: "generic.process", boundary: Some("dc"), pos: (1.0, 1.0)),
            (id: "db", name: "DB", kind: "generic.store", boundary: Some("dc"), pos: (2.0, 2.0)),
            (id: "user", name: "User", kind: "generic.entity", boundary: Some("net"), pos: (25.0, 5.0)),
        ],
        flows: [
            (id: "f1", name: "q", source: "user", target: "api"),
            (id: "f2", name: "sql", source: "api", target: "db"),
        ],
    )"#;
    persist::load_bytes("small.ron", text.as_bytes())
        .expect("the small model loads")
        .model
}

// ---- versions and migration -------------------------------------------------------

#[test]
fn version_0_prototype_file_loads_through_the_migration() {
    let path = root().join("tests/fixtures/v0-prototype.ron");
    let loaded = persist::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.file_version, 0);
    let m = &loaded.model;
    assert_eq!(m.version, FORMAT_VERSION);
    assert_eq!(m.metadata.title, "Prototype shop");
    assert_eq!(m.metadata.owner, "platform team");
    let ids = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        m.boundaries.keys().map(|k| k.0.clone()).collect::<Vec<_>>(),
        ids(vec!["dc", "internet", "ns"])
    );
    let ns = &m.boundaries[&BoundaryId::new("ns")];
    assert_eq!(ns.parent, Some(BoundaryId::new("dc")));
    assert_eq!(ns.kind, BoundaryKind::Namespace);
    assert_eq!((ns.trust, ns.rect), (9, (300.0, 50.0, 200.0, 200.0)));
    let api = &m.elements[&ElementId::new("api")];
    assert_eq!(api.boundary, Some(BoundaryId::new("ns")));
    assert_eq!(api.pos, (400.0, 150.0));
    assert_eq!(api.props.get("validates_input"), Some(&Value::Bool(true)));
    let f = &m.flows[&FlowId::new("user-to-api")];
    assert_eq!((f.source.as_str(), f.target.as_str()), ("user", "api"));
    assert_eq!(f.props.get("encrypted"), Some(&Value::Bool(true)));
    let t = &m.triage[&ThreatId::new("GEN-S-01@element:user")];
    assert_eq!(
        (t.threat.as_str(), t.status),
        ("GEN-S-01@element:user", Status::Mitigated)
    );
    assert_eq!(
        m.triage[&ThreatId::new("GEN-T-01@flow:api-to-db")].status,
        Status::AcceptedRisk
    );
    // The migrated model analyses cleanly: no dangling reference, no unknown kind.
    let a = analyze(m, catalog());
    let errors: Vec<String> = a
        .diagnostics
        .iter()
        .filter(|d| d.level == palisade::diag::Level::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // Saved again, it is a current-version file.
    let text = persist::to_text(m).expect("writable");
    let again = persist::load_bytes("migrated.ron", text.as_bytes()).expect("loads");
    assert_eq!(
        (again.file_version, &again.model),
        (u64::from(FORMAT_VERSION), m)
    );
}

#[test]
fn newer_version_is_refused_naming_both_versions() {
    let next = FORMAT_VERSION + 1;
    let text = format!(
        "(\n    version: {next},\n    metadata: (title: \"future\"),\n    layers: [],\n)\n"
    );
    let err = persist::load_bytes("future.ron", text.as_bytes())
        .expect_err("a newer file must be refused");
    assert!(
        matches!(err, LoadError::NewerVersion { found, supported, .. } if found == u64::from(next) && supported == FORMAT_VERSION)
    );
    let msg = err.to_string();
    assert!(msg.starts_with("future.ron: "), "{msg}");
    assert!(
        msg.contains(&format!("version {next}"))
            && msg.contains(&format!("version {FORMAT_VERSION}")),
        "{msg}"
    );
}

#[test]
fn loading_never_changes_the_file() {
    for path in corpus_files("tests/corpus/models") {
        let before = fs::read(&path).expect("readable");
        let _ = persist::load(&path);
        assert_eq!(
            fs::read(&path).expect("readable"),
            before,
            "{}",
            path.display()
        );
    }
}

#[test]
fn missing_and_unreadable_files_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.ron");
    let msg = persist::load(&missing).expect_err("missing").to_string();
    assert!(
        msg.starts_with(&format!("{}: cannot read", missing.display())),
        "{msg}"
    );
    let msg = persist::load(dir.path())
        .expect_err("a directory")
        .to_string();
    assert!(
        msg.starts_with(&format!("{}: ", dir.path().display())),
        "{msg}"
    );
    assert_one_line(&msg);
}

// ---- saving -------------------------------------------------------------------------

fn opts(expected: Option<Stamp>, force: bool) -> SaveOptions {
    SaveOptions {
        expected,
        force,
        backup: true,
    }
}

/// The names in a directory, sorted.
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn save_keeps_a_backup_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.ron");
    let mut m = small_model();
    let s1 = persist::save(&path, &m, &opts(None, false)).expect("first save");
    assert_eq!(dir_names(dir.path()), ["m.ron"]);
    let first = fs::read(&path).expect("read");
    assert_eq!(Stamp::of(&first), s1);
    m.metadata.title = "second".into();
    let s2 = persist::save(&path, &m, &opts(Some(s1.clone()), false)).expect("second save");
    assert_eq!(dir_names(dir.path()), ["m.ron", "m.ron.bak"]);
    assert_eq!(fs::read(persist::backup_path(&path)).expect("bak"), first);
    let loaded = persist::load(&path).expect("loads");
    assert_eq!((loaded.model, loaded.stamp), (m, s2));
}

#[test]
fn a_file_changed_on_disk_is_not_overwritten_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.ron");
    let m = small_model();
    let stamp = persist::save(&path, &m, &opts(None, false)).expect("save");
    // Someone else edits the file.
    let theirs = fs::read_to_string(&path)
        .expect("read")
        .replace("small", "edited elsewhere");
    fs::write(&path, &theirs).expect("write");
    let mut mine = m.clone();
    mine.metadata.title = "mine".into();
    let before = mine.clone();
    let err = persist::save(&path, &mine, &opts(Some(stamp.clone()), false)).expect_err("conflict");
    assert!(matches!(err, SaveError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("changed on disk"), "{err}");
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        theirs,
        "their edit was overwritten"
    );
    assert_eq!(mine, before, "the in-memory model changed");
    assert_eq!(
        dir_names(dir.path()),
        ["m.ron"],
        "a failed save left files behind"
    );
    // Forced, it saves, and their version is kept as the backup.
    persist::save(&path, &mine, &opts(Some(stamp), true)).expect("forced save");
    assert_eq!(persist::load(&path).expect("loads").model, mine);
    assert_eq!(
        fs::read_to_string(persist::backup_path(&path)).expect("bak"),
        theirs
    );
}

#[test]
fn saving_where_the_directory_is_missing_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no-such-dir").join("m.ron");
    let m = small_model();
    let before = m.clone();
    let err = persist::save(&path, &m, &opts(None, false)).expect_err("missing dir");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: cannot save", path.display())),
        "{msg}"
    );
    assert_one_line(&msg);
    assert_eq!(m, before);
    // A path whose "directory" is a file.
    let file = dir.path().join("plain");
    fs::write(&file, "x").expect("write");
    let err = persist::save(&file.join("m.ron"), &m, &opts(None, false)).expect_err("not a dir");
    assert!(matches!(err, SaveError::Io { .. }), "{err}");
    assert_eq!(fs::read_to_string(&file).expect("read"), "x");
}

#[cfg(unix)]
#[test]
fn saving_into_a_read_only_directory_is_a_clear_error_and_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.ron");
    let m = small_model();
    let stamp = persist::save(&path, &m, &opts(None, false)).expect("save");
    let original = fs::read(&path).expect("read");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).expect("chmod");
    // Root ignores directory permissions; then /proc, which nobody can create files in,
    // stands in for a read-only place.
    let probe = dir.path().join("probe");
    let root_user = fs::write(&probe, "x").is_ok();
    let _ = fs::remove_file(&probe);
    let target = if root_user {
        PathBuf::from("/proc/palisade-test-model.ron")
    } else {
        path.clone()
    };
    let mut mine = m.clone();
    mine.metadata.title = "unsaved work".into();
    let before = mine.clone();
    let err = persist::save(&target, &mine, &opts(Some(stamp), false)).expect_err("read-only");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod back");
    let msg = err.to_string();
    assert!(matches!(err, SaveError::Io { .. }), "{msg}");
    assert!(
        msg.starts_with(&format!("{}: cannot save: ", target.display())),
        "{msg}"
    );
    assert_one_line(&msg);
    assert_eq!(mine, before, "the in-memory model changed");
    assert_eq!(fs::read(&path).expect("read"), original);
    assert_eq!(dir_names(dir.path()), ["m.ron"]);
}

#[cfg(unix)]
#[test]
fn save_keeps_the_file_mode_and_writes_through_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.ron");
    let m = small_model();
    persist::save(&real, &m, &opts(None, false)).expect("save");
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = dir.path().join("link.ron");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let mut m2 = m.clone();
    m2.metadata.title = "through the link".into();
    persist::save(&link, &m2, &opts(None, false)).expect("save through link");
    assert!(
        fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink(),
        "the link was replaced"
    );
    assert_eq!(persist::load(&real).expect("loads").model, m2);
    assert_eq!(
        fs::metadata(&real).expect("meta").permissions().mode() & 0o777,
        0o640
    );
    // A link to a file that does not exist yet creates that file.
    let dangling = dir.path().join("to-new.ron");
    std::os::unix::fs::symlink("new.ron", &dangling).expect("symlink");
    persist::save(&dangling, &m2, &opts(None, false)).expect("save through a dangling link");
    assert!(
        fs::symlink_metadata(&dangling)
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        persist::load(&dir.path().join("new.ron"))
            .expect("loads")
            .model,
        m2
    );
}

#[test]
fn non_finite_numbers_survive_save_and_load() {
    // A model that came in with NaN or infinite numbers can still be saved: refusing
    // would lose the reviewer's work over a coordinate.
    let path = root().join("tests/corpus/models/nan-position.ron");
    let m = persist::load(&path).expect("loads").model;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("m.ron");
    persist::save(&out, &m, &opts(None, false)).expect("saves");
    let again = persist::load(&out).expect("loads again").model;
    assert_eq!(persist::to_text(&again), persist::to_text(&m));
    let b = &again.elements[&ElementId::new("b")];
    assert_eq!(b.pos, (f64::INFINITY, f64::NEG_INFINITY));
    assert!(again.elements[&ElementId::new("a")].pos.0.is_nan());
}

// ---- the fast loading path ----------------------------------------------------------

/// What the full RON parser alone makes of a text (the loader's fallback).
fn ron_only(text: &str) -> Result<Model, ron::error::SpannedError> {
    ron::Options::default()
        .with_recursion_limit(persist::MODEL_RECURSION_LIMIT)
        .from_str(text)
}

/// The loader (which reads Palisade's own output on a fast path) agrees with the full
/// RON parser: the same model when both load, and a refusal only for reasons outside
/// RON syntax (limits, newer versions); a model ron refuses loads only by migration.
fn assert_loader_agrees_with_ron(what: &str, text: &str) {
    let loaded = persist::load_bytes(what, text.as_bytes());
    // A byte order mark is ignored by the loader; ron would refuse it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match (loaded, ron_only(text)) {
        (Ok(l), Ok(mut m)) => {
            // An older file is migrated after parsing; ron's model goes the same way.
            persist::upgrade(&mut m);
            assert_eq!(
                persist::to_text(&l.model),
                persist::to_text(&m),
                "{what}: the loader and ron give different models"
            )
        }
        (Ok(l), Err(e)) => assert_eq!(l.file_version, 0, "{what}: ron refuses ({e}) but it loads"),
        (Err(e), Ok(_)) => assert!(
            matches!(e, LoadError::Limit { .. } | LoadError::NewerVersion { .. })
                || matches!(&e, LoadError::Syntax { message, .. } if message.contains("plain decimal")),
            "{what}: ron loads it but the loader refuses: {e}"
        ),
        (Err(_), Err(_)) => {}
    }
}

fn ron_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            ron_files_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "ron") {
            out.push(p);
        }
    }
}

#[test]
fn the_loader_gives_what_ron_gives_for_every_repository_file() {
    let mut files = Vec::new();
    for dir in ["examples", "tests/fixtures", "tests/rules", "tests/corpus"] {
        ron_files_under(&root().join(dir), &mut files);
    }
    assert!(files.len() >= 60, "only {} files", files.len());
    for p in files {
        let Ok(text) = fs::read_to_string(&p) else {
            continue;
        };
        let name = p.display().to_string();
        on_small_stack(&name.clone(), move || {
            assert_loader_agrees_with_ron(&name, &text)
        });
    }
}

#[test]
fn the_loader_gives_what_ron_gives_for_mutated_files() {
    let mut texts: Vec<String> = ["docker-hardened.ron", "kubernetes-cluster.ron"]
        .iter()
        .map(|f| fs::read_to_string(root().join("examples").join(f)).expect("example"))
        .collect();
    texts.push(persist::to_text(&small_model()).expect("writable"));
    const BYTES: &[u8] = b"()[]{},:\"\\/*-+.e_09 \nrSomeNinf";
    // One byte deleted, replaced or inserted, chosen by proptest: a failing mutant shrinks
    // to the earliest position and the first byte and operation that still fail.
    let mutation = (
        0..texts.len(),
        any::<prop::sample::Index>(),
        prop::sample::select(BYTES),
        0..3u8,
    );
    let loaded = std::cell::Cell::new(0);
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 900,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&mutation, |(k, at, c, op)| {
        let mut b = texts[k].as_bytes().to_vec();
        let at = at.index(b.len());
        match op {
            0 => {
                b.remove(at);
            }
            1 => b[at] = c,
            _ => b.insert(at, c),
        }
        let Ok(t) = String::from_utf8(b) else {
            return Ok(());
        };
        if persist::load_bytes("m.ron", t.as_bytes()).is_ok() {
            loaded.set(loaded.get() + 1);
        }
        let name = format!("text {k}, op {op} of {c:?} at {at}");
        on_small_stack(&name.clone(), move || {
            assert_loader_agrees_with_ron(&name, &t)
        });
        Ok(())
    });
    assert!(result.is_ok(), "{result:?}");
    let loaded = loaded.get();
    assert!(loaded > 50, "only {loaded} mutants loaded");
}

#[test]
fn version_1_crossing_triage_moves_to_the_per_flow_id_merged_and_never_orphaned() {
    let path = root().join("tests/fixtures/v1-crossing-triage.ron");
    let loaded = persist::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.file_version, 1);
    let m = &loaded.model;
    assert_eq!(m.version, FORMAT_VERSION);
    let keys: Vec<&str> = m.triage.keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "GEN-I-03@flow:api-to-db",
            "GEN-X-I-01@flow:user-to-db",
            "GEN-X-S-01@flow:user-to-api"
        ]
    );
    // One record moved as it was (its key and `threat` field both change).
    let moved = &m.triage[&ThreatId::new("GEN-X-I-01@flow:user-to-db")];
    assert_eq!(moved.threat.as_str(), "GEN-X-I-01@flow:user-to-db");
    assert_eq!(moved.status, Status::NotApplicable);
    assert_eq!(
        moved.justification,
        "The debug port is closed in production."
    );
    // Two records merged: they disagree (Mitigated, AcceptedRisk), so the reviewer is
    // asked again; nothing either said is lost.
    let merged = &m.triage[&ThreatId::new("GEN-X-S-01@flow:user-to-api")];
    assert_eq!(merged.threat.as_str(), "GEN-X-S-01@flow:user-to-api");
    assert_eq!(merged.status, Status::NeedsInvestigation);
    assert_eq!(merged.severity, Some(Severity::Critical));
    assert!(
        merged
            .justification
            .contains("[boundary dc: Mitigated] The load balancer")
    );
    assert!(
        merged
            .justification
            .contains("[boundary internet: Accepted risk] Customers are anonymous")
    );
    assert_eq!(merged.owner, "Platform, Product");
    assert_eq!(merged.ticket, "SEC-1, SEC-2");
    assert_eq!(merged.reviewed_by, "R. One, R. Two");
    assert_eq!(merged.date, "2026-10-05");
    assert_eq!(
        loaded.migration_notes.len(),
        2,
        "{:?}",
        loaded.migration_notes
    );
    // Every record is attached to a threat of the current analysis.
    let a = analyze(m, catalog());
    assert!(a.orphans.is_empty(), "{:?}", a.orphans);
    // Saved and loaded again, the file is version 2 and nothing moves any more.
    let text = persist::to_text(m).expect("writable");
    assert!(text.contains("version: 2"));
    let again = persist::load_bytes("v2.ron", text.as_bytes()).expect("loads");
    assert_eq!(again.file_version, 2);
    assert!(again.migration_notes.is_empty());
    assert_eq!(&again.model, m);
}

#[test]
fn the_four_version_1_examples_load_through_the_migration_with_their_triage_intact() {
    for name in [
        "docker-attack-surface",
        "docker-hardened",
        "kubeflow-mlops",
        "kubernetes-cluster",
    ] {
        let path = root().join(format!("tests/fixtures/v1-examples/{name}.ron"));
        let text = std::fs::read_to_string(&path).expect("fixture");
        let loaded = persist::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.file_version, 1, "{name}");
        let m = &loaded.model;
        let count = text.matches("threat: \"").count();
        assert_eq!(m.triage.len(), count, "{name}: every triage record is kept");
        for (k, t) in &m.triage {
            assert!(
                text.contains(&format!("threat: \"{k}\"")),
                "{name}: {k} kept under its id"
            );
            assert_eq!(&t.threat, k);
        }
        // Every record still has its threat, except the one the reviewer had accepted
        // because the rule could not tell "adds only NET_BIND_SERVICE" from "adds
        // capabilities": that rule is now quiet there, and the record is kept and
        // reported as orphaned, never dropped.
        let a = analyze(m, catalog());
        let want: Vec<&str> = match name {
            "kubernetes-cluster" => vec!["K8S-E-10@element:coredns"],
            _ => vec![],
        };
        let got: Vec<&str> = a.orphans.iter().map(|o| o.as_str()).collect();
        assert_eq!(got, want, "{name}: orphaned triage");
        for o in &want {
            assert!(
                a.diagnostics
                    .iter()
                    .any(|d| d.code == "orphaned-triage" && d.message.contains(o)),
                "{name}: {o} reported"
            );
        }
        // Version-1 text capabilities became lists.
        for el in m.elements.values() {
            for p in ["capabilities_added", "cap_add"] {
                if let Some(v) = el.props.get(p) {
                    assert!(matches!(v, Value::List(_)), "{name}: {} {p} = {v:?}", el.id);
                }
            }
        }
    }
}

/// Found by fuzz_cli_input: an over-long id with a newline in it made the load error
/// span two lines; the id is escaped in the message.
#[test]
fn an_over_long_id_with_a_newline_gives_a_one_line_error() {
    let id = format!("a2,\\n{}", "3".repeat(220));
    let text = format!(
        "(version: 2, metadata: (title: \"t\"), elements: [(id: \"{id}\", name: \"x\", kind: \"generic.process\", pos: (0.0, 0.0))])"
    );
    let err = match palisade::persist::load_bytes("input.ron", text.as_bytes()) {
        Ok(_) => panic!("an over-long id loaded"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("MAX_ID_LEN"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}
