//! `palisade import` and `palisade export`: other tools' models in and out.

use crate::analysis;
use crate::diag::Level;
use crate::export::{self, ExportFormat};
use crate::import::{self, Format};
use crate::persist;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Parses `--from`.
pub fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("`{s}` is not an import format ({})", names.join(", "))
    })
}

/// Reads and imports the files, printing diagnostics to stderr.
pub fn import_files(from: Option<Format>, paths: &[PathBuf]) -> Result<import::Imported> {
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        let bytes = import::read_source(p)?;
        files.push((p.display().to_string(), bytes));
    }
    let imported = import::import(from, &files)?;
    Ok(imported)
}

/// `palisade import`.
pub fn run_import(
    from: Option<Format>,
    paths: &[PathBuf],
    output: &Path,
    force: bool,
    templates: Option<&Path>,
) -> Result<()> {
    let is_ron = output
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("ron"));
    if !is_ron {
        bail!(
            "{}: the imported model is written as .ron; name the output FILE.ron",
            output.display()
        );
    }
    if output.exists() && !force {
        bail!(
            "{}: exists; refusing to replace a model with an import (use --force; the old file is kept as .bak)",
            output.display()
        );
    }
    for p in paths {
        if let (Ok(a), Ok(b)) = (std::fs::canonicalize(p), std::fs::canonicalize(output))
            && a == b
        {
            bail!(
                "{}: refusing to write the model over its source",
                output.display()
            );
        }
    }
    let imported = import_files(from, paths)?;
    for d in &imported.diagnostics {
        eprintln!("{d}");
    }
    let model = imported.model;
    persist::save(
        output,
        &model,
        &persist::SaveOptions {
            backup: true,
            force: true,
            ..Default::default()
        },
    )?;
    let cat = super::load_catalog(templates);
    let a = analysis::analyze(&model, &cat);
    let carried = model.manual_threats.len();
    let generated = a.threats.len().saturating_sub(carried);
    let errors = a
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    eprintln!(
        "wrote {}: {} elements, {} flows, {} boundaries, {} carried-over threats; Palisade finds {} more; {} import notes, {} model errors",
        output.display(),
        model.elements.len(),
        model.flows.len(),
        model.boundaries.len(),
        carried,
        generated,
        imported.diagnostics.len(),
        errors
    );
    Ok(())
}

/// `palisade export`.
pub fn run_export(
    to: ExportFormat,
    file: &Path,
    output: &Path,
    force: bool,
    templates: Option<&Path>,
) -> Result<()> {
    let model = super::load_model(file)?;
    let cat = super::load_catalog(templates);
    let a = analysis::analyze(&model, &cat);
    let yaml = export::wants_yaml(output);
    if yaml && to != ExportFormat::Otm {
        bail!("{}: only OTM can be written as YAML", output.display());
    }
    let bytes = export::export(&model, &cat, &a, to, yaml)
        .with_context(|| format!("{}: cannot export", file.display()))?;
    let same = matches!(
        (std::fs::canonicalize(file), std::fs::canonicalize(output)),
        (Ok(a), Ok(b)) if a == b
    );
    if same {
        bail!(
            "{}: refusing to write the export over the model it was made from",
            output.display()
        );
    }
    let is_ron = output
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("ron"));
    if is_ron && output.exists() && !force {
        bail!(
            "{}: refusing to overwrite an existing .ron file (probably a model) with an export; use --force",
            output.display()
        );
    }
    persist::write_atomic(output, &bytes, &persist::SaveOptions::default())?;
    if matches!(
        to,
        ExportFormat::Csv | ExportFormat::GithubIssues | ExportFormat::JiraCsv
    ) {
        eprintln!(
            "wrote {} ({}, {} bytes: {} open threats of {})",
            output.display(),
            to.label(),
            bytes.len(),
            export::tracker::open_threats(&model, &a).len(),
            a.threats.len()
        );
        return Ok(());
    }
    eprintln!(
        "wrote {} ({}, {} bytes: {} elements, {} flows, {} boundaries, {} threats)",
        output.display(),
        to.label(),
        bytes.len(),
        model.elements.len(),
        model.flows.len(),
        model.boundaries.len(),
        a.threats.len()
    );
    Ok(())
}
