//! Shared helpers: load a model and run the analysis with the built-in templates.

use palisade::analysis::{Analysis, analyze};
use palisade::model::Model;
use palisade::rules::Catalog;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled example models (`examples/*.ron`), in name order.
pub fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    v.sort();
    v
}

/// The built-in catalog, loaded once; it must load without diagnostics.
pub fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(|| {
        let c = Catalog::builtin();
        let msgs: Vec<String> = c.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(
            msgs.is_empty(),
            "built-in templates have problems:\n{}",
            msgs.join("\n")
        );
        c
    })
}

/// Loads a model relative to the repository root.
pub fn load(rel: &str) -> Model {
    let p = root().join(rel);
    match palisade::persist::load(Path::new(&p)) {
        Ok(l) => l.model,
        Err(e) => panic!("{e}"),
    }
}

/// Loads and analyses a model.
pub fn analysed(rel: &str) -> (Model, Analysis) {
    let m = load(rel);
    let a = analyze(&m, catalog());
    (m, a)
}
