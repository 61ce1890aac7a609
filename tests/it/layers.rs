//! The import direction between the modules, as ARCHITECTURE.md draws it:
//! model <- persist <- rules <- analysis <- report <- cli / gui (with `diag` and `escape`
//! at the bottom, `geometry` beside the analysis, `import` beside the report, `export`
//! above both, `triage_import` above `export`, whose CSV layout it reads). Read from the source: a module's code (its tests excepted) names only
//! modules below it, so no import cycle between modules can come back unnoticed.

use crate::common::root;
use std::collections::BTreeSet;
use std::path::Path;

/// Each top-level module of `src/` and its layer; a module may use only lower layers.
const LAYERS: &[(&str, u8)] = &[
    ("model", 0),
    ("escape", 0),
    ("test_rng", 0),
    ("diag", 1),
    ("persist", 2),
    ("rules", 3),
    ("analysis", 4),
    ("geometry", 4),
    ("report", 5),
    ("import", 5),
    ("export", 6),
    ("triage_import", 7),
    ("cli", 8),
    ("gui", 9),
];

fn layer(m: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l)
}

/// The modules named by `crate::X` paths (plain or grouped, `use crate::{a, b::c}`) in
/// the code before the file's `#[cfg(test)]` part (test code may reach further: a
/// model test saving through `persist`, say).
fn used_modules(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = &group[..group.find("};").unwrap_or(group.len())];
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in body.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(first_segment(&body[start..k]));
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            out.insert(first_segment(&body[start..]));
        } else {
            out.insert(first_segment(rest));
        }
    }
    // Items of the crate root (`crate::DEFAULT_EXAMPLE`) are no module.
    out.retain(|m| m.starts_with(|c: char| c.is_ascii_lowercase()));
    out
}

fn first_segment(s: &str) -> String {
    s.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source dir") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer(&module) else {
            bad.push(format!(
                "{}: module `{module}` has no layer in LAYERS",
                rel.display()
            ));
            continue;
        };
        seen.insert(module.clone());
        let text = std::fs::read_to_string(f).expect("source");
        for used in used_modules(&text) {
            if used == module {
                continue;
            }
            match layer(&used) {
                Some(l) if l < own => {}
                Some(_) => bad.push(format!(
                    "{}: `{module}` uses `crate::{used}`, which is not below it",
                    rel.display()
                )),
                None => bad.push(format!(
                    "{}: `crate::{used}` is not a module in LAYERS",
                    rel.display()
                )),
            }
        }
    }
    assert!(
        bad.is_empty(),
        "import direction broken:\n{}",
        bad.join("\n")
    );
    // The table names every module and the walk found them all.
    assert!(seen.len() >= 12, "{seen:?}");
}

#[test]
fn the_module_reader_sees_plain_and_grouped_paths() {
    let text = "use crate::model::Model;\nuse crate::{diag::Pos, rules::{Catalog, Cond}};\n\
                fn f() { crate::escape::terminal(crate::DEFAULT_EXAMPLE.1); }\n#[cfg(test)]\nmod t { use crate::gui; }";
    let got: Vec<String> = used_modules(text).into_iter().collect();
    assert_eq!(got, ["diag", "escape", "model", "rules"]);
}
