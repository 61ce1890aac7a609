//! Reliability: hostile inputs far too large to commit, generated here; the CLI's input
//! path; saves killed at random moments; triage that survives every edit; templates
//! that are data only; no networking crate; licences of every dependency.

use crate::common::{catalog, root};
use crate::persist::{assert_one_line, catalog_with, corpus_files, on_small_stack, small_model};
use palisade::analysis::analyze;
use palisade::persist::{self, LoadError, MAX_MODEL_BYTES};
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
fn a_50_mb_file_of_one_string_loads() {
    let mut text = String::with_capacity(50 << 20);
    text.push_str("(\n    version: 1,\n    metadata: (title: \"big\", description: \"");
    text.extend(std::iter::repeat_n('a', 50 << 20));
    text.push_str("\"),\n)\n");
    let codes = load_and_analyse("big-string.ron", text.into_bytes()).expect("loads");
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
fn wide_model(n: usize) -> String {
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
    // A 1 MB name is only text: it loads, and messages stay short.
    let text = format!(
        "{HEAD}        (id: \"a\", name: \"{id}\", kind: \"generic.process\", pos: (0, 0)),\n{TAIL}"
    );
    assert!(load_and_analyse("long-name.ron", text.into_bytes()).is_ok());
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
    let cat = palisade::rules::Catalog::with_user_dir(Some(dir.path()));
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
