//! Files: bundled examples, native dialogs run off the UI thread, background loading and
//! report export, recent files, and the recovery copies autosaved outside the user's file.

use crate::persist::{self, LoadError, Loaded};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::SystemTime;

/// A bundled example model.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// Menu label.
    pub title: &'static str,
    /// File name shown in the title bar.
    pub file: &'static str,
    /// The RON text.
    pub text: &'static str,
}

/// The bundled examples, parsed at run time (a broken one shows an error, never a panic).
pub const EXAMPLES: &[Example] = &[
    Example {
        title: "Docker attack surface",
        file: "docker-attack-surface.ron",
        text: crate::DEFAULT_EXAMPLE.1,
    },
    Example {
        title: "Docker, hardened",
        file: "docker-hardened.ron",
        text: include_str!("../../examples/docker-hardened.ron"),
    },
    Example {
        title: "Kubernetes cluster",
        file: "kubernetes-cluster.ron",
        text: include_str!("../../examples/kubernetes-cluster.ron"),
    },
    Example {
        title: "Kubeflow MLOps platform",
        file: "kubeflow-mlops.ron",
        text: include_str!("../../examples/kubeflow-mlops.ron"),
    },
];

/// Parses a bundled example.
pub fn load_example(ex: &Example) -> Result<Loaded, LoadError> {
    persist::load_bytes(ex.file, ex.text.as_bytes())
}

/// What a file dialog was opened for.
#[derive(Clone, Debug, PartialEq)]
pub enum DialogPurpose {
    /// Choose a model to open.
    Open,
    /// Choose where to save the model.
    SaveAs,
    /// Choose where to write a report.
    Export(crate::report::Format),
    /// Choose another tool's model to import (as this format).
    Import(crate::import::Format),
    /// Choose where to write a model for another tool.
    Interchange(crate::export::ExportFormat),
}

/// How a file dialog ended.
#[derive(Clone, Debug, PartialEq)]
pub enum DialogOutcome {
    /// The user chose this path.
    Chosen(PathBuf),
    /// The user closed the dialog without choosing.
    Cancelled,
    /// The dialog could not be shown (no portal, no zenity): why.
    Failed(String),
}

/// Results of work done off the UI thread.
#[derive(Debug)]
pub enum JobResult {
    /// A file dialog closed.
    Dialog(DialogPurpose, DialogOutcome),
    /// A model file was read and parsed.
    Loaded(PathBuf, Box<Result<Loaded, LoadError>>),
    /// A report was written (or failed).
    Exported(PathBuf, Result<(), String>),
    /// Another tool's model was read (or failed).
    Imported(PathBuf, Box<Result<crate::import::Imported, String>>),
    /// The manifests of a re-sync were read and imported (or failed).
    Resynced(Box<Result<crate::import::Imported, String>>),
}

/// Runs dialogs, loads and exports on background threads and hands results back.
#[derive(Debug)]
pub struct Jobs {
    tx: Sender<JobResult>,
    rx: Receiver<JobResult>,
    /// Jobs started and not yet finished.
    pub running: usize,
    /// Whether native dialogs may be shown (off in tests, which use the built-in one).
    pub dialogs_enabled: bool,
}

impl Default for Jobs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Jobs {
            tx,
            rx,
            running: 0,
            dialogs_enabled: true,
        }
    }
}

impl Jobs {
    /// Why a native dialog cannot be shown here, if it cannot: then the app uses its
    /// built-in dialog straight away.
    pub fn native_dialog_problem(&self) -> Option<String> {
        if !self.dialogs_enabled {
            return Some("native file dialogs are off".into());
        }
        native_dialog_problem()
    }

    /// Opens a native file dialog on a background thread. Returns `false` (and opens
    /// nothing) when no thread can be started.
    pub fn dialog(
        &mut self,
        purpose: DialogPurpose,
        start_dir: Option<PathBuf>,
        file_name: String,
        ctx: &eframe::egui::Context,
    ) -> bool {
        if !self.dialogs_enabled {
            return false;
        }
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        self.running += 1;
        let spawned = std::thread::Builder::new()
            .name("palisade-dialog".into())
            .spawn(move || {
                let mut d = rfd::FileDialog::new();
                if let Some(dir) = start_dir {
                    d = d.set_directory(dir);
                }
                dialog_errors::clear();
                let path = match &purpose {
                    DialogPurpose::Open => d
                        .add_filter("Palisade model", &["ron"])
                        .add_filter("All files", &["*"])
                        .pick_file(),
                    DialogPurpose::SaveAs => d
                        .add_filter("Palisade model", &["ron"])
                        .set_file_name(file_name)
                        .save_file(),
                    DialogPurpose::Export(f) => {
                        let (label, ext) = export_ext(*f);
                        d.add_filter(label, &[ext])
                            .set_file_name(file_name)
                            .save_file()
                    }
                    DialogPurpose::Import(f) => d
                        .add_filter(f.label(), f.extensions())
                        .add_filter("All files", &["*"])
                        .pick_file(),
                    DialogPurpose::Interchange(f) => d
                        .add_filter(f.label(), &["json", "yaml", "yml"])
                        .set_file_name(file_name)
                        .save_file(),
                };
                let outcome = match (path, dialog_errors::take()) {
                    (Some(p), _) => DialogOutcome::Chosen(p),
                    (None, Some(why)) => DialogOutcome::Failed(why),
                    (None, None) => DialogOutcome::Cancelled,
                };
                let _ = tx.send(JobResult::Dialog(purpose, outcome));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.running -= 1;
            return false;
        }
        true
    }

    /// Reads and parses a model on a background thread.
    pub fn load(&mut self, path: PathBuf, ctx: &eframe::egui::Context) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        self.running += 1;
        let p = path.clone();
        let spawned = std::thread::Builder::new()
            .name("palisade-load".into())
            .spawn(move || {
                let r = persist::load(&p);
                let _ = tx.send(JobResult::Loaded(p, Box::new(r)));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.running -= 1;
            let r = persist::load(&path);
            let _ = self.tx.send(JobResult::Loaded(path, Box::new(r)));
        }
    }

    /// Renders and writes a report on a background thread.
    pub fn export(&mut self, job: ExportJob, ctx: &eframe::egui::Context) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        self.running += 1;
        let spawned = std::thread::Builder::new()
            .name("palisade-export".into())
            .spawn(move || {
                let r = export_report(
                    &job.path,
                    job.format,
                    &job.model,
                    &job.catalog,
                    &job.analysis,
                    &job.source_name,
                );
                let _ = tx.send(JobResult::Exported(job.path, r));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.running -= 1;
        }
    }

    /// Reads and imports another tool's model on a background thread.
    pub fn import(
        &mut self,
        path: PathBuf,
        format: crate::import::Format,
        ctx: &eframe::egui::Context,
    ) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        self.running += 1;
        let run = move |p: PathBuf| {
            let r = crate::import::read_source(&p)
                .and_then(|bytes| {
                    crate::import::import(Some(format), &[(p.display().to_string(), bytes)])
                })
                .map_err(|e| e.to_string());
            (p, r)
        };
        let tx2 = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("palisade-import".into())
            .spawn(move || {
                let (p, r) = run(path);
                let _ = tx2.send(JobResult::Imported(p, Box::new(r)));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.running -= 1;
            drop(tx);
        }
    }

    /// Reads and imports a model's manifests on a background thread (re-sync).
    pub fn resync(
        &mut self,
        paths: Vec<PathBuf>,
        format: crate::import::Format,
        ctx: &eframe::egui::Context,
    ) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        self.running += 1;
        let spawned = std::thread::Builder::new()
            .name("palisade-resync".into())
            .spawn(move || {
                let r = crate::cli::manifests::read_inputs(&paths)
                    .map_err(|e| format!("{e:#}"))
                    .and_then(|inputs| {
                        crate::import::import(Some(format), &inputs).map_err(|e| e.to_string())
                    });
                let _ = tx.send(JobResult::Resynced(Box::new(r)));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.running -= 1;
        }
    }

    /// Writes the model for another tool on a background thread.
    pub fn interchange(
        &mut self,
        path: PathBuf,
        format: crate::export::ExportFormat,
        job: (
            crate::model::Model,
            crate::rules::Catalog,
            crate::analysis::Analysis,
        ),
        ctx: &eframe::egui::Context,
    ) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        self.running += 1;
        let spawned = std::thread::Builder::new()
            .name("palisade-export".into())
            .spawn(move || {
                let (model, catalog, analysis) = job;
                let yaml = crate::export::wants_yaml(&path);
                let r = crate::export::export(&model, &catalog, &analysis, format, yaml)
                    .map_err(|e| format!("{}: {e}", path.display()))
                    .and_then(|bytes| {
                        persist::write_atomic(&path, &bytes, &persist::SaveOptions::default())
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    });
                let _ = tx.send(JobResult::Exported(path, r));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.running -= 1;
        }
    }

    /// Results that arrived since the last call.
    pub fn poll(&mut self) -> Vec<JobResult> {
        let mut out = Vec::new();
        while let Ok(r) = self.rx.try_recv() {
            self.running = self.running.saturating_sub(1);
            out.push(r);
        }
        out
    }
}

/// Why no native file dialog can be shown, checked before trying one: on Linux and the
/// BSDs rfd needs an xdg-desktop-portal over a D-Bus session, or zenity.
/// `PALISADE_FILE_DIALOG=builtin` always uses the built-in dialog.
pub fn native_dialog_problem() -> Option<String> {
    if std::env::var_os("PALISADE_FILE_DIALOG").is_some_and(|v| v == "builtin") {
        return Some("PALISADE_FILE_DIALOG=builtin".into());
    }
    if cfg!(any(target_os = "windows", target_os = "macos")) {
        return None;
    }
    let dbus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).join("bus").exists());
    let zenity = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("zenity").is_file()));
    (!dbus && !zenity)
        .then(|| "no D-Bus session for a file-dialog portal, and no zenity".to_owned())
}

/// rfd reports a dialog it could not show only through the `log` crate; this logger
/// keeps the last such error of the dialog thread, so a failure is not mistaken for a
/// cancel. Nothing else is logged.
pub mod dialog_errors {
    use std::cell::RefCell;

    thread_local! {
        static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    struct Capture;

    static CAPTURE: Capture = Capture;

    impl log::Log for Capture {
        fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
            meta.level() <= log::Level::Error && meta.target().starts_with("rfd")
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                let text = record.args().to_string();
                LAST.with(|l| *l.borrow_mut() = Some(text));
            }
        }
        fn flush(&self) {}
    }

    /// Installs the logger (once; if another logger is installed, errors are not seen
    /// and a failed dialog reads as cancelled).
    pub fn install() {
        if log::set_logger(&CAPTURE).is_ok() {
            log::set_max_level(log::LevelFilter::Error);
        }
    }

    /// Forgets this thread's last error.
    pub fn clear() {
        LAST.with(|l| *l.borrow_mut() = None);
    }

    /// This thread's last dialog error, if any.
    pub fn take() -> Option<String> {
        LAST.with(|l| l.borrow_mut().take())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn an_rfd_error_is_kept_and_other_logs_are_not() {
            super::install();
            super::clear();
            log::error!(target: "palisade", "not ours");
            assert_eq!(super::take(), None);
            log::error!(target: "rfd::backend", "Failed to save file with zenity: not found");
            assert_eq!(
                super::take().as_deref(),
                Some("Failed to save file with zenity: not found")
            );
            assert_eq!(super::take(), None, "taken once");
        }
    }
}

/// A report to write: everything is owned so it can move to a background thread.
#[derive(Debug)]
pub struct ExportJob {
    /// Where to write.
    pub path: PathBuf,
    /// Which format.
    pub format: crate::report::Format,
    /// A copy of the model.
    pub model: crate::model::Model,
    /// A copy of the catalog.
    pub catalog: crate::rules::Catalog,
    /// A copy of the analysis.
    pub analysis: crate::analysis::Analysis,
    /// The model's file name, for the report.
    pub source_name: String,
}

/// Filter label and extension of a report format.
pub fn export_ext(f: crate::report::Format) -> (&'static str, &'static str) {
    use crate::report::Format;
    match f {
        Format::Pdf => ("PDF report", "pdf"),
        Format::Markdown => ("Markdown report", "md"),
        Format::Html => ("HTML report", "html"),
        Format::Json => ("JSON report", "json"),
        Format::Sarif => ("SARIF report", "sarif"),
    }
}

/// Renders a report and writes it atomically.
pub fn export_report(
    path: &Path,
    format: crate::report::Format,
    model: &crate::model::Model,
    catalog: &crate::rules::Catalog,
    analysis: &crate::analysis::Analysis,
    source_name: &str,
) -> Result<(), String> {
    let source = persist::to_text(model).map_err(|e| format!("{}: {e}", path.display()))?;
    let input = crate::report::Input {
        model,
        catalog,
        analysis,
        source: source.as_bytes(),
        source_name,
        source_date_epoch: None,
        paper: crate::report::Paper::default(),
    };
    let bytes =
        crate::report::render(&input, format).map_err(|e| format!("{}: {e:#}", path.display()))?;
    let opts = persist::SaveOptions {
        expected: None,
        force: true,
        backup: false,
    };
    persist::write_atomic(path, &bytes, &opts)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Most recent files kept.
pub const MAX_RECENT: usize = 10;

/// Puts `path` first in the recent list.
pub fn push_recent(recent: &mut Vec<PathBuf>, path: &Path) {
    recent.retain(|p| p != path);
    recent.insert(0, path.to_path_buf());
    recent.truncate(MAX_RECENT);
}

/// The directory for recovery copies: `$PALISADE_RECOVERY_DIR`, else
/// `$XDG_STATE_HOME/palisade/recovery`, else `~/.local/state/palisade/recovery`.
pub fn recovery_dir_from_env() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PALISADE_RECOVERY_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("palisade").join("recovery"));
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(
        PathBuf::from(home)
            .join(".local")
            .join("state")
            .join("palisade")
            .join("recovery"),
    )
}

/// The first line of a recovery file names the file the work belongs to.
const RECOVERY_HEADER: &str = "// palisade recovery of: ";
/// The second names the process that writes it.
const INSTANCE_HEADER: &str = "// palisade instance: ";

/// A running instance's claim on its recovery copies: an exclusive lock on
/// `instance-PID.lock` in the recovery directory, held while the app runs and released
/// by the OS when the process ends however it ends. Another instance does not offer to
/// recover copies whose writer still holds its lock.
#[derive(Debug)]
pub struct InstanceLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn instance_lock_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("instance-{pid}.lock"))
}

/// Takes this process's instance lock in `dir` (`None` if the directory cannot be made
/// or the file system has no locks; recovery then works as before, without the guard).
/// Taken after the start-up look for recovery copies, so copies left by an earlier
/// process that had the same id are still offered.
pub fn lock_instance(dir: &Path) -> Option<InstanceLock> {
    std::fs::create_dir_all(dir).ok()?;
    let path = instance_lock_path(dir, std::process::id());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .ok()?;
    file.try_lock().ok()?;
    Some(InstanceLock { _file: file, path })
}

/// Whether the instance `pid` still runs and holds its lock in `dir`.
fn instance_alive(dir: &Path, pid: u32) -> bool {
    let path = instance_lock_path(dir, pid);
    let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            // Nobody holds it: the instance ended without cleaning up.
            drop(file);
            let _ = std::fs::remove_file(&path);
            false
        }
        Err(_) => true,
    }
}

/// Where the recovery copy of a document goes: one file per document path (or per
/// process for an untitled document).
pub fn recovery_path(dir: &Path, doc_path: Option<&Path>, untitled: &str) -> PathBuf {
    // Per process too: two instances with the same file open keep separate copies.
    let key = match doc_path {
        Some(p) => format!("{}:{}", p.display(), std::process::id()),
        None => format!("untitled:{untitled}:{}", std::process::id()),
    };
    let hash = persist::Stamp::of(key.as_bytes()).hex();
    let stem = doc_path
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "untitled".to_owned());
    let stem: String = stem
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_'))
        .take(40)
        .collect();
    dir.join(format!("{stem}-{}.ron", &hash[..12]))
}

/// Writes a recovery copy of a model (atomically, no backup).
pub fn write_recovery(
    path: &Path,
    doc_path: Option<&Path>,
    model: &crate::model::Model,
) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let body = persist::to_text(model)?;
    let origin = doc_path.map_or(String::new(), |p| {
        p.display().to_string().replace('\n', " ")
    });
    let text = format!(
        "{RECOVERY_HEADER}{origin}\n{INSTANCE_HEADER}{}\n{body}",
        std::process::id()
    );
    let opts = persist::SaveOptions {
        expected: None,
        force: true,
        backup: false,
    };
    persist::write_atomic(path, text.as_bytes(), &opts)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A recovery copy found on start.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovery {
    /// The recovery file.
    pub path: PathBuf,
    /// The file the work belonged to (`None` for an untitled model).
    pub original: Option<PathBuf>,
    /// When it was written.
    pub modified: Option<SystemTime>,
    /// The model's title, if the copy parses.
    pub title: Option<String>,
}

/// Recovery copies in `dir`, newest first, leaving out those of instances still running
/// (their work is not lost: it is open in another window).
pub fn list_recovery(dir: &Path) -> Vec<Recovery> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Recovery> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .filter_map(|path| {
            let (original, owner) = read_header(&path);
            if owner.is_some_and(|pid| instance_alive(dir, pid)) {
                return None;
            }
            Some((path, original))
        })
        .map(|(path, original)| {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
            let title = persist::load(&path).ok().map(|l| l.model.metadata.title);
            Recovery {
                path,
                original,
                modified,
                title,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.modified
            .cmp(&a.modified)
            .then_with(|| a.path.cmp(&b.path))
    });
    out
}

/// The original file and the writing process named in a recovery file's first lines.
fn read_header(path: &Path) -> (Option<PathBuf>, Option<u32>) {
    use std::io::Read;
    let mut head = Vec::with_capacity(8192);
    let read = std::fs::File::open(path).and_then(|f| f.take(8192).read_to_end(&mut head));
    if read.is_err() {
        return (None, None);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let original = lines
        .next()
        .and_then(|l| l.strip_prefix(RECOVERY_HEADER))
        .filter(|r| !r.is_empty())
        .map(PathBuf::from);
    let owner = lines
        .next()
        .and_then(|l| l.strip_prefix(INSTANCE_HEADER))
        .and_then(|p| p.trim().parse::<u32>().ok());
    (original, owner)
}

/// Removes a recovery copy (after a successful save, or when the user discards it).
pub fn delete_recovery(path: &Path) {
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_listed_with_a_ron_file_name() {
        assert_eq!(EXAMPLES.len(), 4);
        for ex in EXAMPLES {
            assert!(ex.file.ends_with(".ron"));
        }
    }

    #[test]
    fn recent_list_is_deduplicated_and_capped() {
        let mut r = Vec::new();
        for i in 0..15 {
            push_recent(&mut r, Path::new(&format!("/m/{i}.ron")));
        }
        push_recent(&mut r, Path::new("/m/12.ron"));
        assert_eq!(r.len(), MAX_RECENT);
        assert_eq!(r[0], PathBuf::from("/m/12.ron"));
        assert_eq!(
            r.iter()
                .filter(|p| p.as_path() == Path::new("/m/12.ron"))
                .count(),
            1
        );
    }

    #[test]
    fn recovery_round_trip() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let original = Path::new("/work/x/model.ron");
        let p = recovery_path(dir.path(), Some(original), "Untitled");
        let m = crate::model::Model::new("recovered");
        assert_eq!(write_recovery(&p, Some(original), &m), Ok(()));
        let found = list_recovery(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].original.as_deref(), Some(original));
        let loaded = match persist::load(&found[0].path) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            loaded.model, m,
            "the header is a comment; the rest is the model"
        );
        delete_recovery(&p);
        assert!(list_recovery(dir.path()).is_empty());
    }

    #[test]
    fn a_copy_whose_instance_still_runs_is_not_offered_and_one_whose_instance_ended_is() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        // A copy written by another process that holds its instance lock.
        let other = 4_000_000_001u32;
        let lock_path = instance_lock_path(dir.path(), other);
        let lock = match std::fs::File::create(&lock_path) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        assert!(lock.try_lock().is_ok());
        let body = persist::to_text(&crate::model::Model::new("busy")).unwrap_or_default();
        let copy = dir.path().join("busy-0.ron");
        let text = format!("{RECOVERY_HEADER}/m/busy.ron\n{INSTANCE_HEADER}{other}\n{body}");
        assert!(std::fs::write(&copy, text).is_ok());
        // A separate open file description: flock locks conflict even in one process.
        assert!(list_recovery(dir.path()).is_empty(), "still open elsewhere");
        drop(lock);
        let found = list_recovery(dir.path());
        assert_eq!(found.len(), 1, "its instance ended: offered");
        assert_eq!(found[0].title.as_deref(), Some("busy"));
        assert!(!lock_path.exists(), "the stale lock is cleaned up");
    }

    #[test]
    fn untitled_recovery_has_no_original() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let p = recovery_path(dir.path(), None, "Untitled");
        assert_eq!(
            write_recovery(&p, None, &crate::model::Model::new("u")),
            Ok(())
        );
        assert_eq!(list_recovery(dir.path())[0].original, None);
    }

    #[test]
    fn export_writes_a_markdown_report() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let Some(ex) = EXAMPLES.first() else {
            panic!("examples")
        };
        let model = match load_example(ex) {
            Ok(l) => l.model,
            Err(e) => panic!("{e}"),
        };
        let cat = crate::rules::Catalog::builtin();
        let analysis = crate::analysis::analyze(&model, &cat);
        let out = dir.path().join("r.md");
        let r = export_report(
            &out,
            crate::report::Format::Markdown,
            &model,
            &cat,
            &analysis,
            ex.file,
        );
        assert_eq!(r, Ok(()));
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        assert!(text.contains('#'), "a markdown document");
    }

    #[test]
    fn every_bundled_example_loads() {
        for ex in EXAMPLES {
            if let Err(e) = load_example(ex) {
                panic!("{}: {e}", ex.file);
            }
        }
    }
}
