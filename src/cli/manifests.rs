//! `palisade import --from k8s|compose` (directories, standard input, `--merge`,
//! `--prune`) and `palisade drift`.

use crate::analysis;
use crate::diag::Level;
use crate::import::{self, Format, sync};
use crate::model::Model;
use crate::persist;
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Output format of `drift`.
#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum DriftFormat {
    /// One line per disagreement.
    Text,
    /// A JSON object.
    Json,
}

/// Whether a format is read by the manifest importers (directories, several files).
pub fn is_manifest_format(f: Format) -> bool {
    matches!(f, Format::K8s | Format::Compose)
}

/// Most files read from the directories given.
const MAX_FILES: usize = 10_000;

/// Expands the paths: a directory gives every `*.yaml` / `*.yml` under it (recursively,
/// sorted), `-` gives standard input (within the import size limit).
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            let mut buf = Vec::new();
            let limit = import::max_import_bytes();
            std::io::stdin()
                .take(limit.saturating_add(1))
                .read_to_end(&mut buf)
                .context("standard input: cannot read")?;
            if buf.len() as u64 > limit {
                bail!(
                    "standard input: larger than {limit} bytes (--max-import-bytes, default MAX_IMPORT_BYTES = {}); refused",
                    import::MAX_IMPORT_BYTES
                );
            }
            out.push(("<stdin>".to_owned(), buf));
        } else if p.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files, 0)?;
            files.sort();
            if files.is_empty() {
                bail!("{}: no *.yaml or *.yml file in the directory", p.display());
            }
            for f in files {
                let bytes = import::read_source(&f)?;
                out.push((f.display().to_string(), bytes));
            }
        } else {
            let bytes = import::read_source(p)?;
            out.push((p.display().to_string(), bytes));
        }
        if out.len() > MAX_FILES {
            bail!("more than {MAX_FILES} files given; refused");
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 32 {
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?;
    for entry in rd {
        let entry = entry.with_context(|| format!("{}: cannot list", dir.display()))?;
        let path = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&path, out, depth + 1)?;
        } else if ft.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
        {
            out.push(path);
            if out.len() > MAX_FILES {
                bail!(
                    "{}: more than {MAX_FILES} manifest files; refused",
                    dir.display()
                );
            }
        }
    }
    Ok(())
}

/// The format to read the inputs as: the one given, or the first file's content.
pub fn format_of(from: Option<Format>, inputs: &[(String, Vec<u8>)]) -> Option<Format> {
    from.or_else(|| {
        inputs
            .first()
            .and_then(|(n, b)| import::detect(Path::new(n), b))
    })
}

/// The `sources` to remember: each path relative to the model file's folder when it is
/// under it, else absolute; standard input is not remembered.
pub fn sources_for(paths: &[PathBuf], model_file: &Path) -> Vec<String> {
    let base = model_file
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| std::fs::canonicalize(p).ok());
    paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .map(|p| {
            let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            match base.as_ref().and_then(|b| relative(&abs, b)) {
                Some(r) => r,
                None => abs.display().to_string(),
            }
        })
        .collect()
}

/// `path` relative to `base` (with `..` steps), or `None` on different roots.
fn relative(path: &Path, base: &Path) -> Option<String> {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    if p.first() != b.first() {
        return None;
    }
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    Some(if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.display().to_string()
    })
}

/// The paths a model's `sources` name, resolved against the model file's folder.
pub fn resolve_sources(model: &Model, model_file: &Path) -> Vec<PathBuf> {
    let base = model_file.parent().unwrap_or(Path::new("."));
    model
        .metadata
        .sources
        .iter()
        .map(|s| {
            let p = Path::new(s);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        })
        .collect()
}

/// Imports manifests: reads, imports, prints diagnostics, records the sources.
pub fn import_manifests(
    format: Format,
    inputs: &[(String, Vec<u8>)],
    paths: &[PathBuf],
    model_file: &Path,
) -> Result<import::Imported> {
    let mut imported = import::import(Some(format), inputs)?;
    imported.model.metadata.sources = sources_for(paths, model_file);
    Ok(imported)
}

/// `palisade import` for Kubernetes and Compose: a new model, or `--merge` into one.
#[allow(clippy::too_many_arguments)]
pub fn run_import(
    format: Format,
    inputs: Vec<(String, Vec<u8>)>,
    paths: &[PathBuf],
    output: &Path,
    force: bool,
    merge: Option<&Path>,
    prune: bool,
    templates: Option<&Path>,
    out: &mut super::Out,
) -> Result<()> {
    if !output
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("ron"))
    {
        bail!(
            "{}: the imported model is written as .ron; name the output FILE.ron",
            output.display()
        );
    }
    let merging_in_place = merge.is_some_and(|m| {
        matches!((std::fs::canonicalize(m), std::fs::canonicalize(output)), (Ok(a), Ok(b)) if a == b)
    });
    if output.exists() && !force && !merging_in_place {
        bail!(
            "{}: exists; refusing to replace a model with an import (use --force, or --merge {} to update it)",
            output.display(),
            output.display()
        );
    }
    if prune && merge.is_none() {
        bail!("--prune only applies with --merge EXISTING.ron");
    }
    let imported = import_manifests(format, &inputs, paths, output)?;
    for d in &imported.diagnostics {
        eprintln!("{d}");
    }
    let cat = super::load_catalog(templates);
    let model = match merge {
        None => imported.model,
        Some(existing_path) => {
            let existing = super::load_model(existing_path)?;
            let (merged, outcome) = sync::merge(&existing, &imported.model, prune);
            let changes = analysis::diff::diff(&existing, &merged, &cat);
            out.raw(&analysis::diff::render(&changes))?;
            for m in &outcome.missing {
                if outcome.pruned {
                    eprintln!("removed (no longer in the manifests): {m}");
                } else {
                    eprintln!("no longer in the manifests (kept; --prune removes it): {m}");
                }
            }
            merged
        }
    };
    // The analysis (for the summary line) runs on another thread while the model is
    // written; both only read it.
    let (saved, a) = std::thread::scope(|s| {
        let analysis =
            std::thread::Builder::new().spawn_scoped(s, || analysis::analyze(&model, &cat));
        let saved = persist::save(
            output,
            &model,
            &persist::SaveOptions {
                backup: true,
                force: true,
                ..Default::default()
            },
        );
        let a = match analysis.map(|h| h.join()) {
            Ok(Ok(a)) => a,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => analysis::analyze(&model, &cat),
        };
        (saved, a)
    });
    saved?;
    let errors = a
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    eprintln!(
        "wrote {}: {} elements, {} flows, {} relations, {} boundaries, {} threats; {} import notes, {} model errors",
        output.display(),
        model.elements.len(),
        model.flows.len(),
        model.relations.len(),
        model.boundaries.len(),
        a.threats.len(),
        imported.diagnostics.len(),
        errors
    );
    Ok(())
}

/// `palisade drift`: 1 when the model and the manifests disagree, 0 when they agree;
/// an unreadable input (or a manifest document that does not parse) is an error.
pub fn run_drift(
    file: &Path,
    from: Format,
    paths: &[PathBuf],
    format: DriftFormat,
    templates: Option<&Path>,
    out: &mut super::Out,
) -> Result<super::Outcome> {
    if !is_manifest_format(from) {
        bail!("drift compares with Kubernetes or Compose manifests (--from k8s or --from compose)");
    }
    let model = super::load_model(file)?;
    let paths: Vec<PathBuf> = if paths.is_empty() {
        let p = resolve_sources(&model, file);
        if p.is_empty() {
            bail!(
                "{}: no manifest paths given and the model remembers none",
                file.display()
            );
        }
        p
    } else {
        paths.to_vec()
    };
    let inputs = read_inputs(&paths)?;
    let imported = import::import(Some(from), &inputs)?;
    let errors: Vec<String> = imported
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| d.to_string())
        .collect();
    for d in &imported.diagnostics {
        eprintln!("{d}");
    }
    if !errors.is_empty() {
        bail!(
            "{} manifest error(s); the comparison would be incomplete",
            errors.len()
        );
    }
    let cat = super::load_catalog(templates);
    let drift = sync::drift(&model, &imported.model, &cat, from.name());
    match format {
        DriftFormat::Text => {
            for d in &drift {
                out.line(&d.line())?;
            }
            if drift.is_empty() {
                out.line("the model and the manifests agree")?;
            } else {
                out.line(&format!("{} disagreement(s)", drift.len()))?;
            }
        }
        DriftFormat::Json => {
            let v = serde_json::json!({
                "model": file.display().to_string(),
                "sources": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "agree": drift.is_empty(),
                "drift": drift,
            });
            out.raw(&serde_json::to_string_pretty(&v)?)?;
            out.raw("\n")?;
        }
    }
    Ok(if drift.is_empty() {
        super::Outcome::Ok
    } else {
        super::Outcome::Failed
    })
}
