//! The command line: subcommands over the core. `anyhow` lives at this edge only.

pub mod interop;
pub mod manifests;
pub mod report_args;

use crate::analysis::{self, Analysis};
use crate::diag::Level;
use crate::model::{Model, Severity};
use crate::persist;
use crate::report::{self, text};
use crate::rules::Catalog;
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(
    name = "palisade",
    version,
    about = "STRIDE threat modeling for container platforms"
)]
pub struct Args {
    /// Model file to open in the desktop app (a bundled example when omitted).
    pub file: Option<PathBuf>,
    /// Extra template directory (every *.ron file in it is loaded after the built-ins).
    /// Global: before or after the subcommand.
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Largest model file to load, in bytes (default 268435456, 256 MiB: what the tool
    /// serves within about 2 GB of memory). Global: before or after the subcommand.
    #[arg(long, global = true, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_model_bytes: Option<u64>,
    /// Largest file to import (another tool's model, manifests), in bytes (default
    /// 33554432, 32 MiB; a large model's own OTM or Threat Dragon export needs more).
    /// Global: before or after the subcommand.
    #[arg(long, global = true, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_import_bytes: Option<u64>,
    /// What to do; without one, the desktop app opens.
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
}

/// Output format of `threats`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ThreatFormat {
    /// Aligned text.
    Table,
    /// JSON array.
    Json,
    /// Markdown table.
    Markdown,
    /// JSON Lines for machines: a header line with each fired rule's texts once, then
    /// one compact line per threat.
    Jsonl,
}

/// Output format of `paths`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum PathFormat {
    /// Aligned text.
    Table,
    /// JSON array.
    Json,
    /// Markdown table.
    Markdown,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the threats of a model with their triage status.
    Threats {
        /// Model file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ThreatFormat,
    },
    /// Fail (exit 1) when an untriaged threat at or above a severity exists, or the model has errors.
    Check {
        /// Model file.
        file: PathBuf,
        /// Lowest severity that fails the check.
        #[arg(long, default_value = "high", value_parser = parse_severity)]
        fail_on: Severity,
        /// Also fail when an attack path reaches a crown jewel with every step untriaged.
        #[arg(long)]
        fail_on_path: bool,
    },
    /// Attack paths from the entry points to the crown jewels, step by step.
    Paths {
        /// Model file.
        file: PathBuf,
        /// Start only at this element (by id).
        #[arg(long, value_name = "ID")]
        from: Option<String>,
        /// End only at this element (by id).
        #[arg(long, value_name = "ID")]
        to: Option<String>,
        /// Show at most this many paths (the shortest).
        #[arg(long, value_name = "N")]
        max: Option<usize>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: PathFormat,
    },
    /// Check a model for errors (dangling ids, cycles, unknown kinds, wrong types).
    Validate {
        /// Model file.
        file: PathBuf,
    },
    /// What changed between two versions of a model, threats included.
    Diff {
        /// The older file.
        old: PathBuf,
        /// The newer file.
        new: PathBuf,
    },
    /// Write a report: PDF, Markdown, HTML, JSON or SARIF (by extension or --format).
    Report {
        /// Model file.
        file: PathBuf,
        /// Output file; `-` for standard output. A device, FIFO or `/dev/stdout` is
        /// written in place.
        #[arg(short, long)]
        output: PathBuf,
        /// Output format (default: from the output file's extension).
        #[arg(long, value_enum)]
        format: Option<report_args::ReportFormat>,
        /// Paper size of the PDF.
        #[arg(long, value_enum, default_value = "a4")]
        paper: report_args::PaperArg,
        /// Overwrite an existing `.ron` file with the report (refused by default: it is
        /// probably a model). The model file itself is never overwritten.
        #[arg(long)]
        force: bool,
    },
    /// Read another tool's model (Threat Dragon, OTM, Threagile, TMT .tm7) into a Palisade model.
    Import {
        /// Source format: threat-dragon, otm, threagile, tm7, k8s, compose (from the content when omitted).
        #[arg(long, value_parser = interop::parse_format)]
        from: Option<crate::import::Format>,
        /// Source files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The model to write (.ron).
        #[arg(short, long)]
        output: PathBuf,
        /// Replace an existing output file (its previous content is kept as .bak).
        #[arg(long)]
        force: bool,
        /// Kubernetes / Compose: re-import into this reviewed model, keeping positions,
        /// hand edits, triage and hand-drawn items (the output may be the same file).
        #[arg(long, value_name = "EXISTING.ron")]
        merge: Option<PathBuf>,
        /// With --merge: remove imported items that are no longer in the manifests
        /// (their triage is kept, orphaned).
        #[arg(long)]
        prune: bool,
    },
    /// Where a model and the Kubernetes or Compose manifests disagree (exit 1), agree (0).
    Drift {
        /// Model file.
        file: PathBuf,
        /// Manifest format: k8s or compose.
        #[arg(long, value_parser = interop::parse_format)]
        from: crate::import::Format,
        /// Manifest files or directories (default: the sources the model remembers).
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: manifests::DriftFormat,
    },
    /// Write a model for another tool: OTM (JSON, or YAML by extension) or Threat Dragon v2 JSON.
    Export {
        /// Target format.
        #[arg(long, value_enum)]
        to: crate::export::ExportFormat,
        /// Model file.
        file: PathBuf,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// Overwrite an existing `.ron` file with the export.
        #[arg(long)]
        force: bool,
    },
    /// Triage from outside: read back an edited `export --to csv` file.
    Triage {
        /// `import`.
        #[command(subcommand)]
        action: TriageCmd,
    },
    /// List or show templates.
    Templates {
        /// `list` or `show`.
        #[command(subcommand)]
        action: TemplatesCmd,
    },
}

/// `triage` actions.
#[derive(Subcommand, Debug)]
pub enum TriageCmd {
    /// Read owner, ticket, status and CVSS columns of a threats CSV back into the model, as
    /// triage edits; prints each change. Unknown ids or columns refuse the whole file.
    Import {
        /// The CSV (the layout of `export --to csv`, any subset of its columns with `id`).
        csv: PathBuf,
        /// Model file, rewritten in place (the previous version kept as .bak).
        file: PathBuf,
        /// Print the changes without writing the model.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `templates` actions.
#[derive(Subcommand, Debug)]
pub enum TemplatesCmd {
    /// Every loaded template with its stencils and rule counts.
    List,
    /// One template's stencils and rules.
    Show {
        /// Template id.
        id: String,
    },
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("`{s}` is not a severity (low, medium, high, critical)"))
}

/// Exit status of a command that ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything fine: exit 0.
    Ok,
    /// A check failed: exit 1.
    Failed,
}

/// Writes one line to standard error. A closed or full standard error cannot be
/// reported anywhere, so its errors are ignored rather than a panic.
pub fn warn(line: &str) {
    use std::io::Write as _;
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{}", crate::escape::terminal(line));
}

/// Loads the catalog and prints its problems to stderr.
pub fn load_catalog(dir: Option<&Path>) -> Catalog {
    let cat = build_catalog(dir);
    print_catalog_problems(&cat);
    cat
}

/// The built-in templates and those of `dir`, without printing anything.
fn build_catalog(dir: Option<&Path>) -> Catalog {
    let (user, diags) = dir.map(persist::read_template_dir).unwrap_or_default();
    Catalog::with_user_sources(user, diags)
}

fn print_catalog_problems(cat: &Catalog) {
    for d in &cat.diagnostics {
        warn(&d.to_string());
    }
}

/// Loads a model file, with the file name in any error. A command that reads the model
/// never saves it back here, so the file is not fingerprinted.
pub fn load_model(path: &Path) -> Result<Model> {
    let loaded = persist::load_unstamped(path)?;
    Ok(loaded.model)
}

/// The model and the catalog (its problems printed), as [`load_model`] then
/// [`load_catalog`] give them (see [`with_catalog`]).
fn model_and_catalog(file: &Path, templates: Option<&Path>) -> Result<(Model, Catalog)> {
    with_catalog(templates, || load_model(file))
}

/// What `read` gives (reading the model), then the catalog with its problems printed,
/// as if `read` then [`load_catalog`] ran: the catalog is built on a second thread
/// while `read` runs, and its problems are printed only once `read` has succeeded.
fn with_catalog<T>(
    templates: Option<&Path>,
    read: impl FnOnce() -> Result<T>,
) -> Result<(T, Catalog)> {
    let (read, cat) = std::thread::scope(|s| {
        let builder = std::thread::Builder::new().spawn_scoped(s, || build_catalog(templates));
        let read = read();
        // Without a thread (or should it fail), it is built here.
        let cat = match builder.map(|h| h.join()) {
            Ok(Ok(cat)) => cat,
            _ => build_catalog(templates),
        };
        (read, cat)
    });
    let read = read?;
    print_catalog_problems(&cat);
    Ok((read, cat))
}

fn analysed(file: &Path, templates: Option<&Path>) -> Result<(Model, Catalog, Analysis)> {
    let (model, cat) = model_and_catalog(file, templates)?;
    let a = analysis::analyze(&model, &cat);
    Ok((model, cat, a))
}

fn print_model_errors(file: &Path, a: &Analysis) -> usize {
    let mut errors = 0;
    for d in &a.diagnostics {
        if d.level == Level::Error {
            errors += 1;
            warn(&format!("{}: {d}", file.display()));
        }
    }
    errors
}

/// An error writing to standard output (a closed pipe, a full disk). The binary ends
/// silently on a closed pipe, as Unix tools do, and with one line otherwise.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
pub struct StdoutError(#[source] pub std::io::Error);

impl StdoutError {
    /// Whether the reader went away (`EPIPE`).
    pub fn is_broken_pipe(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }
}

/// Standard output, buffered; every write error is a [`StdoutError`].
pub struct Out(std::io::BufWriter<std::io::StdoutLock<'static>>);

impl Out {
    /// Locks standard output.
    pub fn new() -> Out {
        Out(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout().lock(),
        ))
    }
    /// Writes text as it is (already escaped for the terminal by the caller).
    pub fn raw(&mut self, s: &str) -> Result<(), StdoutError> {
        use std::io::Write as _;
        self.0.write_all(s.as_bytes()).map_err(StdoutError)
    }
    /// Writes one line, escaping every control character in it.
    pub fn line(&mut self, s: &str) -> Result<(), StdoutError> {
        self.raw(&crate::escape::terminal(s))?;
        self.raw("\n")
    }
    /// Flushes; call before returning, so that the error is reported.
    pub fn flush(&mut self) -> Result<(), StdoutError> {
        use std::io::Write as _;
        self.0.flush().map_err(StdoutError)
    }
    /// The writer, for streamed output.
    pub fn writer(&mut self) -> &mut impl std::io::Write {
        &mut self.0
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

/// Set by the binary when the process ends as soon as [`run`] returns.
static PROCESS_ENDS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Tells [`run`] that the process ends when it returns: the large derived state of a
/// command (the model, its analysis, its attack paths) is then left to the operating
/// system, which takes the pages back at once, instead of being freed allocation by
/// allocation (about 60 ms at 100,000 elements). Not for a caller that goes on running.
pub fn process_ends_after_run() {
    PROCESS_ENDS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Drops `x`, or leaves it to the operating system when the process ends next
/// ([`process_ends_after_run`]).
fn done_with<T>(x: T) {
    if PROCESS_ENDS.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(x);
    }
}

/// Runs a subcommand.
pub fn run(cmd: Cmd, templates: Option<&Path>) -> Result<Outcome> {
    let mut out = Out::new();
    let outcome = run_to(cmd, templates, &mut out)?;
    out.flush()?;
    Ok(outcome)
}

fn run_to(cmd: Cmd, templates: Option<&Path>, out: &mut Out) -> Result<Outcome> {
    match cmd {
        Cmd::Threats { file, format } => {
            let (model, cat, a) = analysed(&file, templates)?;
            print_model_errors(&file, &a);
            if format == ThreatFormat::Json {
                // Streamed: views are built, written and dropped a chunk at a time, so a
                // large model's threats never sit in memory as views or as one JSON text.
                let paths =
                    analysis::paths::find(&model, &cat, &a, &analysis::paths::Query::default())?;
                text::write_threats_json_with_paths(out.writer(), &model, &cat, &a, Some(&paths))
                    .map_err(StdoutError)?;
                done_with((model, a, paths));
                return Ok(Outcome::Ok);
            }
            if format == ThreatFormat::Jsonl {
                let paths =
                    analysis::paths::find(&model, &cat, &a, &analysis::paths::Query::default())?;
                report::jsonl::write(out.writer(), &model, &cat, &a, Some(&paths))
                    .map_err(StdoutError)?;
                done_with((model, a, paths));
                return Ok(Outcome::Ok);
            }
            let views = report::threat_views(&model, &cat, &a);
            let text = match format {
                ThreatFormat::Table => text::table(&views),
                ThreatFormat::Json | ThreatFormat::Jsonl => text::json(&views),
                ThreatFormat::Markdown => text::markdown(&views),
            };
            // Every field of the table and the Markdown is escaped where it is written.
            out.raw(&text)?;
            Ok(Outcome::Ok)
        }
        Cmd::Paths {
            file,
            from,
            to,
            max,
            format,
        } => {
            let (model, cat, a) = analysed(&file, templates)?;
            print_model_errors(&file, &a);
            let q = analysis::paths::Query {
                from: from.map(crate::model::ElementId::new),
                to: to.map(crate::model::ElementId::new),
                max,
                cuts: true,
            };
            let p = analysis::paths::find(&model, &cat, &a, &q)
                .with_context(|| format!("{}", file.display()))?;
            let text = match format {
                PathFormat::Table => report::attack::table(&model, &p),
                PathFormat::Json => report::attack::json(&model, &p),
                PathFormat::Markdown => report::attack::markdown(&model, &p),
            };
            out.raw(&text)?;
            Ok(Outcome::Ok)
        }
        Cmd::Check {
            file,
            fail_on,
            fail_on_path,
        } => {
            let (model, cat, a) = analysed(&file, templates)?;
            let errors = print_model_errors(&file, &a);
            // A control claimed as in place but not drawn (or orphaned) is said here too.
            for d in a
                .diagnostics
                .iter()
                .filter(|d| d.level == Level::Warning && d.code.starts_with("control-"))
            {
                warn(&format!("{}: {d}", file.display()));
            }
            if cat.has_errors() {
                bail!("templates failed to load (see above); the check would be incomplete");
            }
            // Status and severity come from the threat and its triage; only the failing
            // threats are rendered (for their titles).
            let naming = analysis::controls::Naming::new(&model);
            let untriaged: Vec<_> = a
                .threats
                .iter()
                .filter(|t| t.status_by(&model, &naming).is_untriaged())
                .collect();
            let mut failing = 0usize;
            for t in untriaged.iter().filter(|t| t.severity(&model) >= fail_on) {
                failing += 1;
                let title = report::threat_title(&model, &cat, t);
                // Each field escaped on its own: a tab or a line break in a title can
                // neither add a column nor a line.
                let line = format!(
                    "{}\t{}\t{}\t{}",
                    t.severity(&model).key(),
                    t.status_by(&model, &naming).key(),
                    crate::escape::terminal(&t.id.0),
                    crate::escape::terminal(&title)
                );
                out.raw(&line)?;
                out.raw("\n")?;
            }
            let untriaged = untriaged.len();
            out.line(&format!(
                "{}: {} threats, {} untriaged, {} untriaged at or above {}, {} orphaned triage records, {} model errors",
                file.display(),
                a.threats.len(),
                untriaged,
                failing,
                fail_on.key(),
                a.orphans.len(),
                errors
            ))?;
            let mut path_failed = false;
            if fail_on_path {
                let p =
                    analysis::paths::find(&model, &cat, &a, &analysis::paths::Query::default())?;
                let open: Vec<_> = p.paths.iter().filter(|x| x.untriaged()).collect();
                for x in &open {
                    // Tab-separated like the threat lines; the id escaped on its own.
                    let line = format!(
                        "path\t{}\t{}\tevery step untriaged",
                        crate::escape::terminal(&x.id),
                        report::attack::steps_label(x.steps.len())
                    );
                    out.raw(&line)?;
                    out.raw("\n")?;
                }
                out.line(&format!(
                    "{}: {} attack paths, {} with every step untriaged",
                    file.display(),
                    p.paths.len(),
                    open.len()
                ))?;
                path_failed = !open.is_empty();
            }
            if errors > 0 {
                out.flush()?;
                bail!("{}: the model has {errors} error(s)", file.display());
            }
            done_with((model, a));
            Ok(if failing == 0 && !path_failed {
                Outcome::Ok
            } else {
                Outcome::Failed
            })
        }
        Cmd::Validate { file } => {
            let (model, cat) = model_and_catalog(&file, templates)?;
            let a = analysis::analyze(&model, &cat);
            let mut errors = 0;
            for d in &a.diagnostics {
                if d.level == Level::Error {
                    errors += 1;
                }
                out.line(&format!("{}: {d}", file.display()))?;
            }
            if errors > 0 {
                out.flush()?;
                bail!("{}: {errors} error(s)", file.display());
            }
            out.line(&format!(
                "{}: ok ({} elements, {} flows, {} boundaries)",
                file.display(),
                model.elements.len(),
                model.flows.len(),
                model.boundaries.len()
            ))?;
            Ok(Outcome::Ok)
        }
        Cmd::Diff { old, new } => {
            let a = load_model(&old)?;
            let b = load_model(&new)?;
            let cat = load_catalog(templates);
            // Each change line is escaped by the renderer.
            out.raw(&analysis::diff::render(&analysis::diff::diff(&a, &b, &cat)))?;
            Ok(Outcome::Ok)
        }
        Cmd::Report {
            file,
            output,
            format,
            paper,
            force,
        } => {
            let format = match format {
                Some(f) => f.into(),
                None => report::Format::from_path(&output).with_context(|| {
                    format!(
                        "{}: cannot tell the report format from the extension; use --format",
                        output.display()
                    )
                })?,
            };
            // Refused before any work: the report never replaces its model.
            check_report_target(&file, &output, force)?;
            let ((source, model), cat) = with_catalog(templates, || {
                let source = read_input(&file)?;
                let model =
                    persist::load_bytes_unstamped(&file.display().to_string(), &source)?.model;
                Ok((source, model))
            })?;
            let a = analysis::analyze(&model, &cat);
            print_model_errors(&file, &a);
            let source_name = file.display().to_string();
            let input = report::Input {
                model: &model,
                catalog: &cat,
                analysis: &a,
                source: &source,
                source_name: &source_name,
                source_date_epoch: None,
                paper: paper.into(),
            };
            let bytes = report::render(&input, format)?;
            let target = persist::output::classify(&output).map_err(|e| {
                anyhow::Error::new(persist::SaveError::Io {
                    path: output.display().to_string(),
                    source: e,
                })
            })?;
            if matches!(target, persist::output::Target::Stdout) {
                out.flush()?;
                persist::output::write_std(&target, &bytes).map_err(StdoutError)?;
                return Ok(Outcome::Ok);
            }
            persist::write_atomic(&output, &bytes, &persist::SaveOptions::default())?;
            warn(&format!(
                "wrote {} ({} bytes)",
                output.display(),
                bytes.len()
            ));
            Ok(Outcome::Ok)
        }
        Cmd::Import {
            from,
            paths,
            output,
            force,
            merge,
            prune,
        } => {
            let manifest_input = paths.iter().any(|p| p.is_dir() || p.as_os_str() == "-")
                || from.is_some_and(manifests::is_manifest_format)
                || merge.is_some()
                || (from.is_none()
                    && paths.first().is_some_and(|p| {
                        crate::import::read_source(p).is_ok_and(|b| {
                            crate::import::detect(p, &b).is_some_and(manifests::is_manifest_format)
                        })
                    }));
            if manifest_input {
                let inputs = manifests::read_inputs(&paths)?;
                let format = manifests::format_of(from, &inputs)
                    .filter(|f| manifests::is_manifest_format(*f))
                    .context("cannot tell Kubernetes manifests from Compose files by their content; use --from k8s or --from compose")?;
                manifests::run_import(
                    format,
                    inputs,
                    &paths,
                    &output,
                    force,
                    merge.as_deref(),
                    prune,
                    templates,
                    out,
                )?;
            } else {
                interop::run_import(from, &paths, &output, force, templates)?;
            }
            Ok(Outcome::Ok)
        }
        Cmd::Drift {
            file,
            from,
            paths,
            format,
        } => manifests::run_drift(&file, from, &paths, format, templates, out),
        Cmd::Export {
            to,
            file,
            output,
            force,
        } => {
            interop::run_export(to, &file, &output, force, templates)?;
            Ok(Outcome::Ok)
        }
        Cmd::Triage {
            action: TriageCmd::Import { csv, file, dry_run },
        } => {
            let loaded = persist::load(&file)?;
            let mut model = loaded.model;
            let cat = load_catalog(templates);
            let a = analysis::analyze(&model, &cat);
            let bytes =
                persist::read_file_limited(&csv, crate::triage_import::MAX_CSV_BYTES as u64)
                    .with_context(|| format!("{}", csv.display()))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let off = e.utf8_error().valid_up_to();
                let (head, _) = e.as_bytes().split_at(off);
                let p = crate::diag::offset_to_pos(&String::from_utf8_lossy(head), off);
                anyhow::anyhow!(
                    "{}:{}:{}: the file is not UTF-8",
                    csv.display(),
                    p.line,
                    p.col
                )
            })?;
            let plan = crate::triage_import::plan(&csv.display().to_string(), &text, &model, &a)?;
            for c in &plan.changes {
                out.line(&format!(
                    "{}: {} {:?} -> {:?}",
                    c.threat, c.field, c.old, c.new
                ))?;
            }
            let changed: std::collections::BTreeSet<_> =
                plan.changes.iter().map(|c| &c.threat).collect();
            out.line(&format!(
                "{}: {} changes to {} threats{}",
                csv.display(),
                plan.changes.len(),
                changed.len(),
                if dry_run && plan.edit.is_some() {
                    " (dry run: the model is unchanged)"
                } else {
                    ""
                }
            ))?;
            if let Some(edit) = plan.edit
                && !dry_run
            {
                edit.apply(&mut model)
                    .with_context(|| format!("{}: cannot apply the import", file.display()))?;
                persist::save(
                    &file,
                    &model,
                    &persist::SaveOptions {
                        expected: Some(loaded.stamp),
                        force: false,
                        backup: true,
                    },
                )?;
            }
            Ok(Outcome::Ok)
        }
        Cmd::Templates { action } => {
            let cat = load_catalog(templates);
            match action {
                TemplatesCmd::List => {
                    for t in &cat.templates {
                        // Fields escaped one by one; the tabs between them stay.
                        out.raw(&format!(
                            "{}\n",
                            format_args!(
                                "{}\t{}\t{}\t{} stencils\t{} rules\t{}",
                                crate::escape::terminal(&t.id),
                                crate::escape::terminal(&t.version),
                                crate::escape::terminal(&t.name),
                                t.stencil_count,
                                t.rule_count,
                                if t.builtin {
                                    "built-in".to_owned()
                                } else {
                                    crate::escape::terminal(&t.file).into_owned()
                                }
                            )
                        ))?;
                    }
                }
                TemplatesCmd::Show { id } => {
                    let Some(ti) = cat.templates.iter().position(|t| t.id == id) else {
                        let known: Vec<&str> =
                            cat.templates.iter().map(|t| t.id.as_str()).collect();
                        bail!("no template `{id}`; loaded: {}", known.join(", "));
                    };
                    show_template(out, &cat, ti)?;
                }
            }
            Ok(Outcome::Ok)
        }
    }
}

/// `templates show`: every field escaped for the terminal.
fn show_template(out: &mut Out, cat: &Catalog, ti: usize) -> Result<(), StdoutError> {
    let t = crate::escape::terminal;
    let tm = &cat.templates[ti];
    out.line(&format!("{} {} ({})", tm.name, tm.version, tm.file))?;
    out.line(&tm.description)?;
    out.raw("\n")?;
    out.line("Stencils:")?;
    for s in cat.stencils.iter().filter(|s| s.template == ti) {
        out.line(&format!(
            "  {} ({:?}) {}",
            s.stencil.kind, s.stencil.base, s.stencil.name
        ))?;
        for p in &s.stencil.properties {
            out.line(&format!(
                "      {}: {} = {}  {}",
                p.name,
                p.ty.name(),
                p.default.display(),
                p.doc
            ))?;
        }
    }
    out.line("Rules:")?;
    for r in cat.rules.iter().filter(|r| r.template == ti) {
        let r = &r.rule;
        let refs: Vec<String> = r.references.iter().map(|x| t(x).into_owned()).collect();
        out.line(&format!(
            "  {}  [{}] {} ({}){}  refs: {}",
            r.id,
            r.category.letter(),
            r.title,
            r.severity.key(),
            r.deprecated
                .as_ref()
                .map(|d| format!(" DEPRECATED: {d}"))
                .unwrap_or_default(),
            refs.join(", ")
        ))?;
    }
    Ok(())
}

/// An error and its causes as one line, each cause once: a cause whose text the line
/// already holds (`cannot save: Is a directory (os error 21)` over the same `io::Error`)
/// is not repeated.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Reads a model file given on the command line, refusing files over the model size limit.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    let limit = persist::max_model_bytes();
    persist::read_file_limited(path, limit).with_context(|| {
        format!(
            "{}: cannot read (files over {limit} bytes are refused: --max-model-bytes, default MAX_MODEL_BYTES = {})",
            path.display(),
            persist::MAX_MODEL_BYTES
        )
    })
}

/// A report never replaces the model it was made from (compared by device and inode, so
/// a bind mount, a hard link or another spelling of the path is caught), nor (without
/// `--force`) another `.ron` file, so a mistyped `-o` cannot destroy a model.
fn check_report_target(model: &Path, output: &Path, force: bool) -> Result<()> {
    if output.as_os_str() != "-" && persist::output::same_file(model, output) {
        bail!(
            "{}: refusing to write the report over the model it was made from",
            output.display()
        );
    }
    let is_ron = output
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("ron"));
    if is_ron && output.exists() && !force {
        bail!(
            "{}: refusing to overwrite an existing .ron file (probably a model) with a report; use --force",
            output.display()
        );
    }
    Ok(())
}
