//! The report module's place in the layering: it imports the model, the rules and the
//! analysis, never a front end's crates (clap, anyhow, egui), and its renderers take the
//! shared types from `report` itself (no dispatcher module they import back from).

use crate::common::root;
use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_report_module_uses_no_front_end_crate() {
    let mut files = Vec::new();
    rust_files(&root().join("src/report"), &mut files);
    assert!(files.len() > 10, "{} files under src/report", files.len());
    for f in &files {
        let text = fs::read_to_string(f).expect("source");
        for banned in ["clap::", "anyhow", "egui", "crate::cli", "crate::gui"] {
            assert!(!text.contains(banned), "{} uses {banned}", f.display());
        }
        assert!(
            !text.contains("report::render::") && !text.contains("super::render::"),
            "{} imports from a render module",
            f.display()
        );
    }
    assert!(
        !root().join("src/report/render.rs").exists(),
        "render() and its types live in report/mod.rs"
    );
}
