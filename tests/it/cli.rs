//! The command line as CI uses it: exit codes, formats, located errors, never a panic.

use crate::common::root;
use std::process::{Command, Output};

fn palisade(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(root())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run palisade: {e}"),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const OPEN: &str = "tests/rules/models/generic-open.ron";
const HARDENED: &str = "tests/rules/models/generic-hardened.ron";

#[test]
fn threats_json_is_sorted_and_has_the_documented_fields() {
    let o = palisade(&["threats", OPEN, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    let arr = v.as_array().expect("an array");
    assert!(arr.len() >= 19, "only {} threats", arr.len());
    let ids: Vec<&str> = arr.iter().map(|t| t["id"].as_str().unwrap_or("")).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "threats must be sorted by id");
    let cats = [
        "spoofing",
        "tampering",
        "repudiation",
        "information_disclosure",
        "denial_of_service",
        "elevation_of_privilege",
    ];
    for t in arr {
        for key in [
            "id",
            "rule_id",
            "title",
            "category",
            "severity",
            "status",
            "subject",
            "why",
            "mitigations",
            "references",
        ] {
            assert!(t.get(key).is_some(), "missing {key} in {t}");
        }
        assert!(cats.contains(&t["category"].as_str().unwrap_or("")));
        assert!(
            ["low", "medium", "high", "critical"].contains(&t["severity"].as_str().unwrap_or(""))
        );
        assert!(
            ["element", "flow", "crossing"].contains(&t["subject"]["type"].as_str().unwrap_or(""))
        );
        assert!(
            !t["why"].as_array().map(|w| w.is_empty()).unwrap_or(true),
            "no why in {t}"
        );
    }
    let crossing = arr
        .iter()
        .find(|t| t["id"] == "GEN-X-I-01@flow:user-to-api")
        .expect("crossing threat present");
    // One threat per flow: the why names the boundaries crossed where the rule holds.
    assert_eq!(crossing["subject"]["type"], "flow");
    assert!(
        crossing["why"][0]
            .as_str()
            .unwrap_or("")
            .contains("crosses"),
        "{}",
        crossing["why"]
    );
    assert!(
        crossing["why"].to_string().contains("encrypted = false"),
        "{}",
        crossing["why"]
    );
}

#[test]
fn json_output_is_byte_identical_across_runs() {
    let a = palisade(&["threats", OPEN, "--format", "json"]);
    let b = palisade(&["threats", OPEN, "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn check_fails_on_untriaged_high_threats_and_names_them() {
    let o = palisade(&["check", OPEN, "--fail-on", "high"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("GEN-S-02@element:api"), "{out}");
    assert!(
        !out.contains("GEN-R-02@element:api\t"),
        "low threats are not listed at --fail-on high: {out}"
    );
}

#[test]
fn check_passes_when_nothing_at_or_above_the_level_is_open() {
    let o = palisade(&["check", HARDENED, "--fail-on", "low"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

#[test]
fn markdown_and_table_formats_list_every_threat() {
    let json = palisade(&["threats", OPEN, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    for fmt in ["markdown", "table"] {
        let o = palisade(&["threats", OPEN, "--format", fmt]);
        let out = text(&o.stdout);
        for t in v.as_array().into_iter().flatten() {
            let id = t["id"].as_str().unwrap_or("");
            assert!(out.contains(id), "{fmt} lacks {id}");
        }
    }
}

#[test]
fn malformed_model_exits_2_with_a_located_one_line_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.ron");
    std::fs::write(
        &p,
        "(\n    version: 1,\n    metadata: (title: \"x\"),\n    elements: [ (id: 5) ],\n)\n",
    )
    .expect("write");
    for cmd in ["threats", "check", "validate"] {
        let o = palisade(&[cmd, p.to_str().unwrap_or_default()]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = text(&o.stderr);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("bad.ron:4:"), "no file:line in {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[test]
fn missing_file_and_bad_usage_exit_2() {
    let o = palisade(&["threats", "no/such/file.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no/such/file.ron"));
    let o = palisade(&["check", OPEN, "--fail-on", "severe"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn validate_reports_dangling_ids_and_cycles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("cyc.ron");
    std::fs::write(
        &p,
        r#"(version: 1, metadata: (title: "c"),
            boundaries: [
                (id: "a", name: "A", kind: Host, trust: 5, parent: Some("b"), rect: (0.0, 0.0, 10.0, 10.0)),
                (id: "b", name: "B", kind: Host, trust: 5, parent: Some("a"), rect: (0.0, 0.0, 10.0, 10.0)),
            ],
            elements: [(id: "e", name: "E", kind: "generic.process", boundary: Some("zz"), pos: (0.0, 0.0))],
            flows: [(id: "f", name: "F", source: "e", target: "gone")],
        )"#,
    )
    .expect("write");
    let o = palisade(&["validate", p.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    let out = text(&o.stdout);
    assert!(out.contains("boundary-cycle"), "{out}");
    assert!(out.contains("dangling-boundary"), "{out}");
    assert!(out.contains("dangling-flow"), "{out}");
}

#[test]
fn templates_list_and_show() {
    let o = palisade(&["templates", "list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    for t in ["generic", "docker", "kubernetes", "kubeflow"] {
        assert!(out.contains(t), "{out}");
    }
    let o = palisade(&["templates", "show", "generic"]);
    assert!(text(&o.stdout).contains("GEN-X-S-01"));
    let o = palisade(&["templates", "show", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_bad_user_template_is_located_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("mine.ron"),
        r#"(id: "mine", name: "Mine", version: "1", group: "Mine",
    rules: [
        (id: "MINE-1", title: "t", category: Spoofing, applies: Elements(["generic.process"]),
         condition: Is(Element, "no_such_property", true),
         severity: Low, description: "d", references: ["CWE-1"]),
        (id: "MINE-2", title: "t2", category: Tampering, applies: Flows,
         condition: Is(Flow, "encrypted", false),
         severity: Low, description: "d", references: ["CWE-1"]),
    ],
)"#,
    )
    .expect("write");
    let dir_s = dir.path().to_str().unwrap_or_default().to_owned();
    let o = palisade(&["threats", OPEN, "--templates", &dir_s]);
    let err = text(&o.stderr);
    assert!(err.contains("mine.ron:4:"), "{err}");
    assert!(err.contains("no_such_property"), "{err}");
    let out = text(&o.stdout);
    assert!(out.contains("MINE-2@flow:api-to-db"), "{out}");
    assert!(!out.contains("MINE-1@"), "{out}");
    // check refuses to pass with a broken template: the check would be incomplete.
    let o = palisade(&["check", HARDENED, "--templates", &dir_s]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn diff_reports_property_changes_and_threats() {
    let o = palisade(&["diff", OPEN, HARDENED]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("api: validates_input (default) -> true"),
        "{out}"
    );
    assert!(out.contains("closed GEN-T-01@element:api"), "{out}");
    assert!(out.contains("- flow     user-to-db"), "{out}");
}

#[test]
fn report_never_overwrites_the_model_it_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.ron");
    std::fs::copy(crate::common::root().join(OPEN), &model).expect("copy");
    let before = std::fs::read(&model).expect("read");
    let m = model.to_str().unwrap_or_default();
    let o = palisade(&["report", m, "-o", m, "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = palisade(&["report", m, "-o", m, "--format", "json", "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read(&model).expect("read"),
        before,
        "the model is untouched"
    );
    let other = dir.path().join("other.ron");
    std::fs::write(&other, "keep me").expect("write");
    let o_s = other.to_str().unwrap_or_default();
    let o = palisade(&["report", m, "-o", o_s, "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&other).unwrap_or_default(),
        "keep me"
    );
    let o = palisade(&["report", m, "-o", o_s, "--format", "json", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// The text table counts terminal cells, not characters: with CJK, emoji and combining
/// marks in the id column, every row's CATEGORY column starts at the same cell.
#[test]
fn text_table_aligns_wide_and_combining_characters() {
    use unicode_width::UnicodeWidthStr;
    let model = palisade::persist::load(&root().join(OPEN))
        .expect("load")
        .model;
    let cat = palisade::rules::Catalog::builtin();
    let a = palisade::analysis::analyze(&model, &cat);
    let mut views = palisade::report::threat_views(&model, &cat, &a);
    assert!(views.len() >= 4, "only {} threats", views.len());
    views[0].id = "数据库@element:服务器".to_owned();
    views[1].id = "GEN-T-01@element:🔒vault".to_owned();
    views[2].id = "GEN-T-01@element:cafe\u{301}".to_owned();
    let table = palisade::report::text::table(&views);
    let lines: Vec<&str> = table.lines().filter(|l| !l.ends_with(" threats")).collect();
    // The cell where the second column starts: the width of the first cell plus its
    // padding, i.e. up to the first run of two spaces.
    let start = |l: &str| {
        let cut = l.find("  ").expect("a padded first column");
        let rest = &l[cut..];
        l[..cut].width() + (rest.len() - rest.trim_start().len())
    };
    let header = start(lines[0]);
    for l in &lines {
        assert_eq!(start(l), header, "misaligned row: {l:?}");
    }
    assert!(table.contains("数据库@element:服务器"), "{table}");
}

/// The import size limit is the process's: a model's own export larger than the limit is
/// refused with the option named, and comes back with the limit raised (`--max-import-bytes`
/// before or after the subcommand), the same model either way; manifests on standard
/// input honour it too.
#[test]
fn max_import_bytes_refuses_a_larger_export_and_admits_it_when_raised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let otm = dir.path().join("model.otm.json");
    let (otm_s, back_s) = (
        otm.to_string_lossy().into_owned(),
        dir.path().join("back.ron").to_string_lossy().into_owned(),
    );
    let o = palisade(&["export", OPEN, "--to", "otm", "-o", &otm_s]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let size = std::fs::metadata(&otm).map(|m| m.len()).unwrap_or(0);
    assert!(size > 1_000, "an export of {size} bytes");
    let small = (size - 1).to_string();
    let o = palisade(&[
        "--max-import-bytes",
        &small,
        "import",
        &otm_s,
        "-o",
        &back_s,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("model.otm.json"), "{err}");
    assert!(err.contains(&format!("larger than {small} bytes")), "{err}");
    assert!(err.contains("--max-import-bytes"), "{err}");
    assert!(!std::path::Path::new(&back_s).exists(), "nothing written");
    let enough = size.to_string();
    let o = palisade(&[
        "import",
        &otm_s,
        "-o",
        &back_s,
        "--max-import-bytes",
        &enough,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let a = palisade(&["threats", OPEN, "--format", "json"]);
    let b = palisade(&["threats", &back_s, "--format", "json"]);
    let count = |o: &Output| {
        serde_json::from_slice::<serde_json::Value>(&o.stdout)
            .ok()
            .and_then(|v| v.as_array().map(Vec::len))
    };
    assert!(count(&b).is_some_and(|n| n > 0), "{}", text(&b.stderr));
    assert_eq!(
        count(&a),
        count(&b),
        "the imported model has the same threats"
    );
    // Standard input (manifests): refused past the limit, naming the option.
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "--max-import-bytes",
            "10",
            "import",
            "--from",
            "k8s",
            "-",
            "-o",
        ])
        .arg(dir.path().join("k.ron"))
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        // The process may stop reading at the limit: a closed pipe here is expected.
        let _ = stdin.write_all(b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: big\n");
    }
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("standard input: larger than 10 bytes"),
        "{err}"
    );
    assert!(err.contains("--max-import-bytes"), "{err}");
}
