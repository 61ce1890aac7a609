//! The eframe application: lays out the panels, collects the [`Edit`]s and [`Action`]s the
//! panels push during a frame, and applies them after it (one undo step per source).

use super::actions::Action;
use super::canvas::{self, CanvasState, Tool, ops};
use super::document::{Document, file_name};
use super::file_dialog::BuiltinDialog;
use super::files::{self, DialogOutcome, DialogPurpose, JobResult, Jobs};
use super::history::MergeKey;
use super::inspector::{InspectorOut, inspector_ui};
use super::menu::{self, MenuInfo};
use super::palette::{PaletteState, find_box_id, palette_ui};
use super::theme;
use crate::model::{Edit, FORMAT_VERSION, Model, Severity};
use crate::persist::{self, SaveError, SaveOptions};
use crate::rules::Catalog;
use eframe::egui::{self, Id, RichText, ThemePreference, Vec2, ViewportCommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The threats panel never gets lower than this (tabs, filters and a few rows).
pub const THREATS_MIN_HEIGHT: f32 = 170.0;

/// Seconds between recovery copies of unsaved work.
pub const AUTOSAVE_SECS: f64 = 20.0;

/// A message shown under the menu bar until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct Banner {
    /// The text (for errors: `file:line:column: message`).
    pub text: String,
    /// Error (red) or information (neutral).
    pub error: bool,
}

/// A modal question.
#[derive(Clone, Debug, PartialEq)]
pub enum Prompt {
    /// The model has unsaved changes; `then` runs after Save or Don't save.
    Unsaved {
        /// What to do afterwards.
        then: Box<Action>,
    },
    /// The file changed on disk since it was opened.
    Conflict {
        /// The file.
        path: PathBuf,
    },
    /// Recovery copies of unsaved work were found on start.
    Recovery(Vec<files::Recovery>),
}

/// A model open in a tab that is not the one shown.
pub struct Tab {
    /// The model with its history and selection.
    pub doc: Document,
    /// Its view.
    pub canvas: CanvasState,
    last_autosave: f64,
    autosaved_revision: u64,
}

/// The desktop app.
pub struct PalisadeApp {
    /// Templates, stencils and rules.
    pub catalog: Catalog,
    /// The model of the tab shown.
    pub doc: Document,
    /// Every tab in tab-bar order; the shown one's slot is `None` (its document is
    /// [`PalisadeApp::doc`]).
    pub tabs: Vec<Option<Tab>>,
    /// Index of the tab shown.
    pub active: usize,
    /// The command palette.
    pub command_palette: super::commands::PaletteState,
    /// Canvas view, tool and gesture.
    pub canvas: CanvasState,
    /// The threats workspace: tab, filters, sorting, forms, the Paths tab.
    pub threats: super::threats::ThreatsPanel,
    /// Palette find box.
    pub palette: PaletteState,
    /// Messages under the menu bar.
    pub banners: Vec<Banner>,
    /// The open modal question, if any.
    pub prompt: Option<Prompt>,
    /// Recently opened files, newest first.
    pub recent: Vec<PathBuf>,
    /// Where recovery copies go (`None` disables autosave).
    pub recovery_dir: Option<PathBuf>,
    /// The last text copied in this app (used when the system clipboard is unavailable).
    pub clipboard: Option<String>,
    /// Light, dark or follow the system.
    pub theme: ThemePreference,
    /// A short note in the status bar ("Saved"), with the time it was set.
    pub status_note: Option<(String, f64)>,
    jobs: Jobs,
    /// This instance's claim on its recovery copies (see [`files::InstanceLock`]).
    pub instance_lock: Option<files::InstanceLock>,
    /// The built-in file dialog, open when no native one could be shown.
    pub builtin_dialog: Option<BuiltinDialog>,
    show_help: bool,
    applied_theme: Option<ThemePreference>,
    allow_close: bool,
    /// The next guarded action runs without asking about unsaved changes.
    discard_confirmed: bool,
    /// Continue with this action after a Save as… finishes.
    after_save: Option<Action>,
    sent_title: String,
    last_focus: Option<Id>,
    last_autosave: f64,
    autosaved_revision: u64,
}

impl PalisadeApp {
    /// The app around a document, with native dialogs and autosave configured by the
    /// caller.
    pub fn new(catalog: Catalog, doc: Document, recovery_dir: Option<PathBuf>) -> PalisadeApp {
        let mut banners: Vec<Banner> = catalog
            .diagnostics
            .iter()
            .map(|d| Banner {
                text: format!("Templates: {d}"),
                error: d.level == crate::diag::Level::Error,
            })
            .collect();
        banners.truncate(5);
        let mut app = PalisadeApp {
            catalog,
            doc,
            tabs: vec![None],
            active: 0,
            command_palette: super::commands::PaletteState::default(),
            canvas: CanvasState::default(),
            threats: super::threats::ThreatsPanel::default(),
            palette: PaletteState::default(),
            banners,
            prompt: None,
            recent: Vec::new(),
            recovery_dir,
            clipboard: None,
            theme: ThemePreference::System,
            status_note: None,
            jobs: Jobs::default(),
            instance_lock: None,
            builtin_dialog: None,
            show_help: false,
            applied_theme: None,
            allow_close: false,
            discard_confirmed: false,
            after_save: None,
            sent_title: String::new(),
            last_focus: None,
            last_autosave: 0.0,
            autosaved_revision: 0,
        };
        if let Some(dir) = &app.recovery_dir {
            let found = files::list_recovery(dir);
            if !found.is_empty() {
                app.prompt = Some(Prompt::Recovery(found));
            }
        }
        app
    }

    /// An app for headless tests: no native dialogs, no autosave, no stored settings.
    pub fn new_for_test(model: Model, catalog: Catalog) -> PalisadeApp {
        let doc = Document::new(model, None, None, &catalog);
        let mut app = PalisadeApp::new(catalog, doc, None);
        app.jobs.dialogs_enabled = false;
        app
    }

    /// Runs one command now (tests use this for what would open a native dialog).
    pub fn run_action(&mut self, ctx: &egui::Context, action: Action) {
        self.handle(ctx, action);
    }

    /// The title: file name, a dirty marker, and the app name.
    pub fn title(&self) -> String {
        format!(
            "{}{}",
            self.doc.display_name(),
            if self.doc.dirty { " •" } else { "" }
        )
    }

    fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.banners.iter().any(|b| b.text == text) {
            self.banners.push(Banner { text, error: true });
        }
    }

    fn note(&mut self, ctx: &egui::Context, text: impl Into<String>) {
        self.status_note = Some((text.into(), ctx.input(|i| i.time)));
    }

    /// Applies edits as one undo step; an edit that cannot apply becomes a banner.
    fn apply(&mut self, mut edits: Vec<Edit>, merge: Option<MergeKey>) {
        if edits.is_empty() {
            return;
        }
        self.name_triage(&mut edits);
        if let Err(e) = self.doc.apply(edits, merge, &self.catalog) {
            self.error(format!("Could not change the model: {e}"));
        }
    }

    /// Triage decisions remember their subject's name, and a deletion writes the
    /// current names into the records of the threats it orphans, so an orphaned record
    /// reads "element monitoring agent (deleted)" rather than an id.
    fn name_triage(&self, edits: &mut Vec<Edit>) {
        let name_of = |id: &crate::model::ThreatId| {
            self.doc.analysis.threat(id.as_str()).map(|t| {
                super::threats::rows::subject_name(&t.subject, &self.doc.model).into_owned()
            })
        };
        let mut deleted_elements = std::collections::BTreeSet::new();
        let mut deleted_flows = std::collections::BTreeSet::new();
        let mut deleted_boundaries = std::collections::BTreeSet::new();
        for e in edits.iter_mut() {
            match e {
                Edit::SetTriage(id, Some(t)) => {
                    if let Some(n) = name_of(id) {
                        t.subject_name = n;
                    }
                }
                Edit::RemoveElement(id) => {
                    deleted_elements.insert(id.clone());
                }
                Edit::RemoveFlow(id) => {
                    deleted_flows.insert(id.clone());
                }
                Edit::RemoveBoundary(id) => {
                    deleted_boundaries.insert(id.clone());
                }
                _ => {}
            }
        }
        if deleted_elements.is_empty() && deleted_flows.is_empty() && deleted_boundaries.is_empty()
        {
            return;
        }
        use crate::analysis::Subject;
        let mut renamed = Vec::new();
        for (id, rec) in &self.doc.model.triage {
            let Some(t) = self.doc.analysis.threat(id.as_str()) else {
                continue;
            };
            let hit = match &t.subject {
                Subject::Element(e) => deleted_elements.contains(e),
                Subject::Flow(f) | Subject::Crossing(f, _) => deleted_flows.contains(f),
                Subject::Boundary(b) => deleted_boundaries.contains(b),
                Subject::Model => false,
            };
            let name = super::threats::rows::subject_name(&t.subject, &self.doc.model);
            if hit && rec.subject_name != name {
                let mut rec = rec.clone();
                rec.subject_name = name.into_owned();
                renamed.push(Edit::SetTriage(id.clone(), Some(rec)));
            }
        }
        // Before the removals, so undo restores records and items together.
        edits.splice(0..0, renamed);
    }

    /// Whether `action` may run now; if the model has unsaved changes, asks first.
    fn guard(&mut self, action: &Action) -> bool {
        if !self.doc.dirty || std::mem::take(&mut self.discard_confirmed) {
            return true;
        }
        self.prompt = Some(Prompt::Unsaved {
            then: Box::new(action.clone()),
        });
        false
    }

    /// An imported model opens as a new, unsaved document named after its source.
    fn open_imported(
        &mut self,
        ctx: &egui::Context,
        source: &std::path::Path,
        imp: crate::import::Imported,
    ) {
        let mut model = imp.model;
        if !model.metadata.source_format.is_empty() && model.metadata.sources.is_empty() {
            // Remember the manifests (absolute: the model has no file yet) for re-sync.
            let abs = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
            model.metadata.sources = vec![abs.display().to_string()];
        }
        let mut doc = Document::new(model, None, None, &self.catalog);
        let stem = source
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "imported".into());
        doc.untitled_name = format!("{stem}.ron");
        doc.dirty = true;
        self.replace_doc(doc);
        let n = imp.diagnostics.len();
        let warnings: Vec<String> = imp
            .diagnostics
            .iter()
            .filter(|d| d.level >= crate::diag::Level::Warning)
            .map(|d| d.to_string())
            .collect();
        for w in warnings.iter().take(3) {
            self.banners.push(Banner {
                text: w.clone(),
                error: false,
            });
        }
        self.note(
            ctx,
            format!(
                "Imported {}: {n} import notes, {} warnings",
                file_name(source),
                warnings.len()
            ),
        );
    }

    fn replace_doc(&mut self, doc: Document) {
        if let Some(p) = self.current_recovery_path() {
            files::delete_recovery(&p);
        }
        self.doc = doc;
        self.canvas.reset();
        self.autosaved_revision = 0;
    }

    fn current_recovery_path(&self) -> Option<PathBuf> {
        let dir = self.recovery_dir.as_ref()?;
        Some(files::recovery_path(
            dir,
            self.doc.path.as_deref(),
            &self.doc.untitled_name,
        ))
    }

    fn open_loaded(&mut self, path: PathBuf, loaded: persist::Loaded) {
        let migrated = loaded.file_version < FORMAT_VERSION as u64;
        // A file already open in a tab is shown there, not opened twice.
        let open_in = self.tabs.iter().position(|t| {
            t.as_ref()
                .map_or(self.doc.path.as_deref(), |t| t.doc.path.as_deref())
                == Some(path.as_path())
        });
        if let Some(j) = open_in {
            self.switch_tab(j);
            files::push_recent(&mut self.recent, &path);
            return;
        }
        let doc = Document::new(
            loaded.model,
            Some(path.clone()),
            Some(loaded.stamp),
            &self.catalog,
        );
        self.open_tab(doc, true);
        files::push_recent(&mut self.recent, &path);
        if migrated {
            self.banners.push(Banner {
                text: format!(
                    "{}: written in format version {}; saving writes version {FORMAT_VERSION}",
                    path.display(),
                    loaded.file_version
                ),
                error: false,
            });
        }
    }

    /// Saves to `path`; a file changed on disk since it was opened is a conflict prompt
    /// unless `force`.
    pub fn save_to(&mut self, ctx: &egui::Context, path: &Path, force: bool) -> bool {
        let same_file = self.doc.path.as_deref() == Some(path);
        let opts = SaveOptions {
            expected: if same_file {
                self.doc.stamp.clone()
            } else {
                None
            },
            force,
            backup: true,
        };
        match persist::save(path, &self.doc.model, &opts) {
            Ok(stamp) => {
                if let Some(p) = self.current_recovery_path() {
                    files::delete_recovery(&p);
                }
                self.doc.path = Some(path.to_path_buf());
                self.doc.stamp = Some(stamp);
                self.doc.dirty = false;
                files::push_recent(&mut self.recent, path);
                self.note(ctx, format!("Saved {}", file_name(path)));
                true
            }
            Err(SaveError::Conflict { .. }) => {
                self.prompt = Some(Prompt::Conflict {
                    path: path.to_path_buf(),
                });
                false
            }
            Err(e) => {
                // Whatever was waiting for this save (quit, open …) does not happen.
                self.after_save = None;
                self.error(e.to_string());
                false
            }
        }
    }

    /// Saves, then runs the action that was waiting for the save (from the
    /// unsaved-changes prompt). On a conflict the action keeps waiting for the answer.
    fn save_then_continue(&mut self, ctx: &egui::Context, path: &Path) {
        if self.save_to(ctx, path, false)
            && let Some(a) = self.after_save.take()
        {
            self.discard_confirmed = true;
            self.handle(ctx, a);
        }
    }

    /// Whether the app has decided to close the window.
    pub fn is_closing(&self) -> bool {
        self.allow_close
    }

    /// Shows tab `j`.
    pub fn switch_tab(&mut self, j: usize) {
        if j == self.active || j >= self.tabs.len() {
            return;
        }
        let Some(t) = self.tabs[j].take() else {
            return;
        };
        self.doc.history.seal();
        // A tab in the background does not change: its recovery copy is written once
        // now rather than waiting for the next autosave.
        self.write_recovery_now();
        let old = Tab {
            doc: std::mem::replace(&mut self.doc, t.doc),
            canvas: std::mem::replace(&mut self.canvas, t.canvas),
            last_autosave: std::mem::replace(&mut self.last_autosave, t.last_autosave),
            autosaved_revision: std::mem::replace(
                &mut self.autosaved_revision,
                t.autosaved_revision,
            ),
        };
        self.tabs[self.active] = Some(old);
        self.active = j;
    }

    /// Whether the tab shown holds nothing worth keeping: untitled, unchanged, no undo
    /// history (the example shown on start). Opening a file replaces such a tab.
    fn pristine(&self) -> bool {
        self.doc.path.is_none() && !self.doc.dirty && !self.doc.history.can_undo()
    }

    /// Shows `doc` in a new tab, or in place of a pristine tab when `reuse`.
    fn open_tab(&mut self, doc: Document, reuse: bool) {
        if reuse && self.pristine() {
            self.replace_doc(doc);
            return;
        }
        self.tabs.push(None);
        let j = self.tabs.len() - 1;
        self.tabs[j] = Some(Tab {
            doc,
            canvas: CanvasState::default(),
            last_autosave: 0.0,
            autosaved_revision: 0,
        });
        let (grid, snap) = (self.canvas.show_grid, self.canvas.snap);
        self.switch_tab(j);
        self.canvas.show_grid = grid;
        self.canvas.snap = snap;
    }

    /// Closes the tab shown without asking; the last tab becomes a blank model.
    fn close_tab_now(&mut self) {
        if let Some(p) = self.current_recovery_path() {
            files::delete_recovery(&p);
        }
        if self.tabs.len() <= 1 {
            let mut doc = Document::new(Model::new("Untitled model"), None, None, &self.catalog);
            doc.untitled_name = "Untitled".into();
            self.replace_doc(doc);
            return;
        }
        self.tabs.remove(self.active);
        let j = self.active.min(self.tabs.len() - 1);
        if let Some(t) = self.tabs[j].take() {
            self.doc = t.doc;
            self.canvas = t.canvas;
            self.last_autosave = t.last_autosave;
            self.autosaved_revision = t.autosaved_revision;
        }
        self.active = j;
    }

    /// Names and dirty flags of the tabs, in order.
    pub fn tab_titles(&self) -> Vec<(String, bool)> {
        self.tabs
            .iter()
            .map(|t| match t {
                Some(t) => (t.doc.display_name(), t.doc.dirty),
                None => (self.doc.display_name(), self.doc.dirty),
            })
            .collect()
    }

    fn tabs_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let titles = self.tab_titles();
        ui.horizontal(|ui| {
            for (i, (name, dirty)) in titles.iter().enumerate() {
                let text = if *dirty {
                    format!("{name} ●")
                } else {
                    name.clone()
                };
                let r = ui
                    .selectable_label(i == self.active, text)
                    .on_hover_text("Items copied here paste into any other tab (Ctrl+C, Ctrl+V)");
                if r.clicked() {
                    actions.push(Action::SwitchTab(i));
                }
                if i == self.active && ui.small_button("×").on_hover_text("Close tab").clicked() {
                    actions.push(Action::CloseTab);
                }
            }
            if ui
                .small_button("+")
                .on_hover_text("New model in a new tab")
                .clicked()
            {
                actions.push(Action::NewBlank);
            }
        });
    }

    fn default_dir(&self) -> Option<PathBuf> {
        self.doc
            .path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
    }

    fn handle(&mut self, ctx: &egui::Context, action: Action) {
        let sel = &self.doc.selection;
        match action {
            Action::NewBlank => {
                let mut doc =
                    Document::new(Model::new("Untitled model"), None, None, &self.catalog);
                // "Untitled", "Untitled 2", …: tabs and recovery copies stay apart.
                let taken: Vec<String> = self.tab_titles().into_iter().map(|t| t.0).collect();
                doc.untitled_name = (1..)
                    .map(|n| {
                        if n == 1 {
                            "Untitled".to_owned()
                        } else {
                            format!("Untitled {n}")
                        }
                    })
                    .find(|name| !taken.contains(name))
                    .unwrap_or_else(|| "Untitled".to_owned());
                self.open_tab(doc, false);
            }
            Action::NewFromExample(i) => {
                let Some(ex) = files::EXAMPLES.get(i).copied() else {
                    return;
                };
                match files::load_example(&ex) {
                    Ok(l) => {
                        let mut doc = Document::new(l.model, None, None, &self.catalog);
                        doc.untitled_name = ex.file.to_owned();
                        self.open_tab(doc, false);
                    }
                    Err(e) => self.error(format!("Example: {e}")),
                }
            }
            Action::Open => self.ask_for_file(ctx, DialogPurpose::Open),
            Action::OpenPath(ref p) => self.jobs.load(p.clone(), ctx),
            Action::Save => match self.doc.path.clone() {
                Some(p) => self.save_then_continue(ctx, &p),
                None => self.handle(ctx, Action::SaveAs),
            },
            Action::SaveAs => self.ask_for_file(ctx, DialogPurpose::SaveAs),
            Action::SaveTo(p) => self.save_then_continue(ctx, &p),
            Action::Export(f) => self.ask_for_file(ctx, DialogPurpose::Export(f)),
            Action::Resync => {
                let format = crate::import::Format::parse(&self.doc.model.metadata.source_format);
                match format {
                    Some(f) if !self.doc.model.metadata.sources.is_empty() => {
                        let base = self.doc.path.clone().unwrap_or_default();
                        let paths = crate::cli::manifests::resolve_sources(&self.doc.model, &base);
                        self.note(ctx, format!("Re-syncing from {} source(s)…", paths.len()));
                        self.jobs.resync(paths, f, ctx);
                    }
                    _ => self.error("This model does not remember the manifests it came from"),
                }
            }
            Action::Import(f) => {
                if self.guard(&action) {
                    self.ask_for_file(ctx, DialogPurpose::Import(f));
                }
            }
            Action::ExportInterchange(f) => self.ask_for_file(ctx, DialogPurpose::Interchange(f)),
            Action::Quit => {
                // Each tab with unsaved changes is asked about in turn.
                if !self.doc.dirty
                    && let Some(j) = self
                        .tabs
                        .iter()
                        .position(|t| t.as_ref().is_some_and(|t| t.doc.dirty))
                {
                    self.switch_tab(j);
                }
                if self.guard(&action) {
                    if self.tabs.iter().flatten().any(|t| t.doc.dirty) {
                        // This one is saved or given up: close it, ask about the next.
                        self.close_tab_now();
                        self.handle(ctx, Action::Quit);
                        return;
                    }
                    if let Some(p) = self.current_recovery_path() {
                        files::delete_recovery(&p);
                    }
                    self.allow_close = true;
                    ctx.send_viewport_cmd(ViewportCommand::Close);
                }
            }
            Action::CloseTab => {
                if self.guard(&action) {
                    self.close_tab_now();
                }
            }
            Action::NextTab => {
                let j = (self.active + 1) % self.tabs.len().max(1);
                self.switch_tab(j);
            }
            Action::PrevTab => {
                let n = self.tabs.len().max(1);
                self.switch_tab((self.active + n - 1) % n);
            }
            Action::SwitchTab(j) => self.switch_tab(j),
            Action::CommandPalette => self.command_palette.open = true,
            Action::ToolBoundary => self.canvas.tool = Tool::Boundary,
            Action::ToolConnect => self.canvas.tool = Tool::Connect,
            Action::Undo => match self.doc.undo(&self.catalog) {
                Ok(true) => {}
                Ok(false) => self.note(ctx, "Nothing to undo"),
                Err(e) => self.error(format!("Undo failed: {e}")),
            },
            Action::Redo => match self.doc.redo(&self.catalog) {
                Ok(true) => {}
                Ok(false) => self.note(ctx, "Nothing to redo"),
                Err(e) => self.error(format!("Redo failed: {e}")),
            },
            Action::Copy | Action::Cut => {
                if sel.is_empty() {
                    return;
                }
                let clip = ops::clip_model(&self.doc.model, &sel.elements, &sel.boundaries);
                match persist::to_text(&clip) {
                    Ok(text) => {
                        ctx.copy_text(text.clone());
                        self.clipboard = Some(text);
                        let n = clip.elements.len() + clip.boundaries.len();
                        self.note(ctx, format!("Copied {n} items"));
                    }
                    Err(e) => self.error(format!("Copy failed: {e}")),
                }
                if action == Action::Cut {
                    self.handle(ctx, Action::Delete);
                }
            }
            Action::Paste(text) => {
                let from_system = text.is_some();
                let Some(text) = text.or_else(|| self.clipboard.clone()) else {
                    return;
                };
                match persist::load_bytes("clipboard", text.as_bytes()) {
                    Ok(l) => {
                        let clip = l.model;
                        let cb = canvas::layout::Layout::new(
                            &clip,
                            &self.catalog,
                            &canvas::layout::Preview::default(),
                        )
                        .content_bounds();
                        let offset = match (self.canvas.pointer_in_diagram, cb) {
                            (Some(p), Some(b)) => {
                                canvas::layout::snap(p, canvas::GRID)
                                    - canvas::layout::snap(b.center(), canvas::GRID)
                            }
                            _ => Vec2::splat(2.0 * canvas::GRID),
                        };
                        let pasted =
                            ops::paste_edits(&self.doc.model, &self.catalog, &clip, offset);
                        let s = &mut self.doc.selection;
                        s.clear_items();
                        s.elements = pasted.elements;
                        s.flows = pasted.flows;
                        s.boundaries = pasted.boundaries;
                        self.apply(pasted.edits, None);
                    }
                    Err(e) if from_system && !text.trim_start().starts_with('(') => {
                        let _ = e;
                        self.note(ctx, "The clipboard holds no diagram items");
                    }
                    Err(e) => self.error(format!("Paste: {e}")),
                }
            }
            Action::Duplicate => {
                if sel.is_empty() {
                    return;
                }
                let clip = ops::clip_model(&self.doc.model, &sel.elements, &sel.boundaries);
                let pasted = ops::paste_edits(
                    &self.doc.model,
                    &self.catalog,
                    &clip,
                    Vec2::splat(2.0 * canvas::GRID),
                );
                let s = &mut self.doc.selection;
                s.clear_items();
                s.elements = pasted.elements;
                s.flows = pasted.flows;
                s.boundaries = pasted.boundaries;
                self.apply(pasted.edits, None);
            }
            Action::Delete => {
                // Relations first: an element removed later takes its own relations.
                let mut edits = canvas::relations::delete_edits(&self.doc.model, sel);
                edits.extend(ops::delete_edits(
                    &self.doc.model,
                    &sel.elements,
                    &sel.flows,
                    &sel.boundaries,
                ));
                self.apply(edits, None);
            }
            Action::SelectAll => {
                let m = &self.doc.model;
                let s = &mut self.doc.selection;
                s.elements = m.elements.keys().cloned().collect();
                s.flows = m.flows.keys().cloned().collect();
                s.boundaries = m.boundaries.keys().cloned().collect();
            }
            Action::Escape => {
                if self.canvas.is_busy() {
                    self.canvas.cancel_gesture();
                } else if self.canvas.tool != Tool::Select {
                    self.canvas.tool = Tool::Select;
                } else {
                    self.doc.selection.clear_items();
                    self.doc.selection.threats.clear();
                }
            }
            Action::Nudge(d) => {
                let edits = ops::move_edits(
                    &self.doc.model,
                    &self.catalog,
                    &sel.elements,
                    &sel.boundaries,
                    d,
                );
                // Repeated nudges of the same selection are one undo step.
                let key = {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    sel.elements.hash(&mut h);
                    sel.boundaries.hash(&mut h);
                    format!("nudge:{:x}", h.finish())
                };
                self.apply(edits, Some(key));
            }
            Action::Align(a) => {
                let edits = ops::align_edits(&self.doc.model, &self.catalog, &sel.elements, a);
                self.apply(edits, None);
            }
            Action::Fit => self.canvas.fit(&self.doc.model, &self.catalog),
            Action::ZoomIn => {
                let r = self.canvas.canvas_rect;
                self.canvas.view.zoom_about(r, r.center(), 1.25);
            }
            Action::ZoomOut => {
                let r = self.canvas.canvas_rect;
                self.canvas.view.zoom_about(r, r.center(), 0.8);
            }
            Action::ZoomReset => {
                let r = self.canvas.canvas_rect;
                let z = self.canvas.view.zoom;
                self.canvas.view.zoom_about(r, r.center(), 1.0 / z);
            }
            Action::Find => {
                self.palette.focus_query = true;
                ctx.memory_mut(|m| m.request_focus(find_box_id()));
            }
            Action::Help => self.show_help = true,
            Action::Rename => {
                use super::selection::Item;
                let m = &self.doc.model;
                let name = match self.doc.selection.single() {
                    Some(Item::Element(e)) => m.elements.get(&e).map(|x| x.name.clone()),
                    Some(Item::Flow(f)) => m.flows.get(&f).map(|x| x.name.clone()),
                    Some(Item::Boundary(b)) => m.boundaries.get(&b).map(|x| x.name.clone()),
                    // A relation has no name of its own.
                    Some(Item::Relation(_)) | None => None,
                };
                if let Some(name) = name {
                    // The whole name is selected, so typing replaces it (a cursor left
                    // from an earlier edit would insert into the middle).
                    let id = super::inspector::name_field_id();
                    let mut state =
                        egui::text_edit::TextEditState::load(ctx, id).unwrap_or_default();
                    state.cursor.set_char_range(Some(
                        egui::text_selection::CCursorRange::select_all_str(&name),
                    ));
                    state.store(ctx, id);
                    ctx.memory_mut(|m| m.request_focus(id));
                }
            }
            Action::RevealSelection => {
                self.canvas
                    .reveal(&self.doc.model, &self.catalog, &self.doc.selection)
            }
            Action::Reveal(subject) => {
                super::threats::select_subject(&mut self.doc.selection, &subject);
                self.canvas
                    .reveal(&self.doc.model, &self.catalog, &self.doc.selection)
            }
        }
    }

    /// The file name a dialog for `purpose` suggests.
    fn suggested_name(&self, purpose: &DialogPurpose) -> String {
        match purpose {
            DialogPurpose::Open => String::new(),
            DialogPurpose::SaveAs => match &self.doc.path {
                Some(p) => file_name(p),
                None if self.doc.untitled_name.ends_with(".ron") => self.doc.untitled_name.clone(),
                None => "model.ron".to_owned(),
            },
            DialogPurpose::Export(f) => {
                format!("{}-report.{}", self.doc_stem(), files::export_ext(*f).1)
            }
            DialogPurpose::Import(_) => String::new(),
            DialogPurpose::Interchange(f) => format!("{}.{}", self.doc_stem(), f.extension()),
        }
    }

    /// The shown document's file name without `.ron` (its untitled name when unsaved),
    /// the stem of the names suggested for exports.
    fn doc_stem(&self) -> String {
        self.doc
            .path
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.doc.untitled_name.trim_end_matches(".ron").to_owned())
    }

    /// Asks for a file: the native dialog where one can be shown, else the built-in one,
    /// saying why.
    fn ask_for_file(&mut self, ctx: &egui::Context, purpose: DialogPurpose) {
        let name = self.suggested_name(&purpose);
        match self.jobs.native_dialog_problem() {
            Some(why) => self.open_builtin(purpose, name, &why),
            None => {
                if !self
                    .jobs
                    .dialog(purpose.clone(), self.default_dir(), name.clone(), ctx)
                {
                    self.open_builtin(purpose, name, "cannot start the dialog thread");
                }
            }
        }
    }

    fn open_builtin(&mut self, purpose: DialogPurpose, name: String, why: &str) {
        let text = format!("No system file dialog ({why}): using Palisade's own");
        if !self.banners.iter().any(|b| b.text == text) {
            self.banners.push(Banner { text, error: false });
        }
        self.builtin_dialog = Some(BuiltinDialog::new(purpose, self.default_dir(), name));
    }

    /// Carries on after a file dialog (native or built-in) closed.
    fn dialog_done(&mut self, ctx: &egui::Context, purpose: DialogPurpose, outcome: DialogOutcome) {
        let p = match outcome {
            DialogOutcome::Chosen(p) => p,
            DialogOutcome::Failed(why) => {
                let name = self.suggested_name(&purpose);
                self.open_builtin(purpose, name, &why);
                return;
            }
            DialogOutcome::Cancelled => {
                let waiting = self.after_save.take().is_some();
                let what = match purpose {
                    DialogPurpose::Open => "Open cancelled".to_owned(),
                    DialogPurpose::SaveAs if waiting => {
                        "Save cancelled: nothing was saved, nothing was closed".to_owned()
                    }
                    DialogPurpose::SaveAs => "Save cancelled: nothing was saved".to_owned(),
                    DialogPurpose::Export(_) | DialogPurpose::Interchange(_) => {
                        "Export cancelled".to_owned()
                    }
                    DialogPurpose::Import(_) => "Import cancelled".to_owned(),
                };
                self.note(ctx, what);
                return;
            }
        };
        match purpose {
            // The unsaved-changes question was asked before the dialog opened.
            DialogPurpose::Open => self.jobs.load(p, ctx),
            DialogPurpose::SaveAs => self.handle(ctx, Action::SaveTo(p)),
            DialogPurpose::Export(f) => {
                self.note(ctx, format!("Exporting {}…", file_name(&p)));
                let job = files::ExportJob {
                    path: p,
                    format: f,
                    model: self.doc.model.clone(),
                    catalog: self.catalog.clone(),
                    analysis: self.doc.analysis.clone(),
                    source_name: self.doc.display_name(),
                };
                self.jobs.export(job, ctx);
            }
            DialogPurpose::Import(f) => {
                self.note(ctx, format!("Importing {}…", file_name(&p)));
                self.jobs.import(p, f, ctx);
            }
            DialogPurpose::Interchange(f) => {
                self.note(ctx, format!("Exporting {}…", file_name(&p)));
                let job = (
                    self.doc.model.clone(),
                    self.catalog.clone(),
                    self.doc.analysis.clone(),
                );
                self.jobs.interchange(p, f, job, ctx);
            }
        }
    }

    fn builtin_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some(d) = self.builtin_dialog.as_mut() else {
            return;
        };
        if let Some(outcome) = d.show(ctx) {
            let purpose = d.purpose.clone();
            self.builtin_dialog = None;
            self.dialog_done(ctx, purpose, outcome);
        }
    }

    fn poll_jobs(&mut self, ctx: &egui::Context) {
        for r in self.jobs.poll() {
            match r {
                JobResult::Dialog(purpose, outcome) => self.dialog_done(ctx, purpose, outcome),
                JobResult::Resynced(r) => match *r {
                    Ok(mut imp) => {
                        imp.model.metadata.sources = self.doc.model.metadata.sources.clone();
                        let (merged, outcome) =
                            crate::import::sync::merge(&self.doc.model, &imp.model, false);
                        let edits = crate::import::sync::edits_between(&self.doc.model, &merged);
                        let n = edits.len();
                        match self.doc.apply(edits, None, &self.catalog) {
                            Ok(()) => self.note(
                                ctx,
                                format!(
                                    "Re-synced: {n} changes, {} new, {} no longer in the manifests (kept)",
                                    outcome.added.len(),
                                    outcome.missing.len()
                                ),
                            ),
                            Err(e) => self.error(format!("Re-sync failed: {e}")),
                        }
                    }
                    Err(e) => self.error(e),
                },
                JobResult::Imported(p, r) => match *r {
                    Ok(imp) => self.open_imported(ctx, &p, imp),
                    Err(e) => self.error(e),
                },
                JobResult::Loaded(p, r) => match *r {
                    Ok(l) => self.open_loaded(p, l),
                    Err(e) => self.error(e.to_string()),
                },
                JobResult::Exported(p, Ok(())) => {
                    self.note(ctx, format!("Exported {}", p.display()))
                }
                JobResult::Exported(_, Err(e)) => self.error(format!("Export failed: {e}")),
            }
        }
    }

    fn autosave(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        if !self.doc.dirty {
            return;
        }
        ctx.request_repaint_after(Duration::from_secs_f64(AUTOSAVE_SECS / 2.0));
        if self.doc.revision == self.autosaved_revision || now - self.last_autosave < AUTOSAVE_SECS
        {
            return;
        }
        self.last_autosave = now;
        self.write_recovery_now();
    }

    /// Writes the shown document's recovery copy now, if it changed since the last one.
    fn write_recovery_now(&mut self) {
        if !self.doc.dirty || self.doc.revision == self.autosaved_revision {
            return;
        }
        let Some(path) = self.current_recovery_path() else {
            return;
        };
        self.autosaved_revision = self.doc.revision;
        let model = self.doc.model.clone();
        let origin = self.doc.path.clone();
        // Written off the UI thread; a failure is reported on stderr only, since the
        // recovery copy is a safety net and the user's own file is untouched.
        let _ = std::thread::Builder::new()
            .name("palisade-autosave".into())
            .spawn(move || {
                if let Err(e) = files::write_recovery(&path, origin.as_deref(), &model) {
                    eprintln!("palisade: cannot write recovery copy: {e}");
                }
            });
    }

    fn prompt_ui(&mut self, ctx: &egui::Context) {
        let Some(prompt) = self.prompt.clone() else {
            return;
        };
        let mut close = false;
        let mut then: Option<Action> = None;
        let modal = egui::Modal::new(Id::unique("palisade-prompt")).show(ctx, |ui| {
            ui.set_max_width(460.0);
            match &prompt {
                Prompt::Unsaved { then: next } => {
                    ui.heading("Unsaved changes");
                    ui.label(format!("Save the changes to {} first?", self.doc.display_name()));
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Save").clicked() {
                            close = true;
                            self.after_save = Some((**next).clone());
                            then = Some(Action::Save);
                        }
                        if ui.button("Don't save").clicked() {
                            close = true;
                            self.discard_confirmed = true;
                            then = Some((**next).clone());
                        }
                        if ui.button("Cancel").clicked() {
                            close = true;
                        }
                    });
                }
                Prompt::Conflict { path } => {
                    ui.heading("The file changed on disk");
                    ui.label(format!(
                        "{} was changed by someone else since you opened it. Overwriting loses those changes.",
                        path.display()
                    ));
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Overwrite").clicked() {
                            close = true;
                            let after = self.after_save.take();
                            if self.save_to(ctx, path, true)
                                && let Some(a) = after
                            {
                                self.discard_confirmed = true;
                                then = Some(a);
                            }
                        }
                        if ui.button("Save as…").clicked() {
                            close = true;
                            then = Some(Action::SaveAs);
                        }
                        if ui.button("Cancel").clicked() {
                            close = true;
                            self.after_save = None;
                        }
                    });
                }
                Prompt::Recovery(list) => {
                    ui.heading("Recover unsaved work?");
                    ui.label("Palisade found copies of work that was not saved when it last closed.");
                    ui.add_space(4.0);
                    for r in list.iter().take(5) {
                        let file = r.original.as_ref().map_or("not saved yet".to_owned(), |p| p.display().to_string());
                        let title = r.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "Untitled model".into());
                        ui.label(RichText::new(format!("• {title}")).strong());
                        ui.label(RichText::new(format!("   {file}")).monospace().weak());
                    }
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        let restore = if list.len() > 1 { "Restore the newest" } else { "Restore" };
                        if ui.button(restore).clicked() {
                            close = true;
                            if let Some(r) = list.first() {
                                self.restore(r);
                            }
                        }
                        if ui.button(if list.len() > 1 { "Discard all" } else { "Discard" }).clicked() {
                            close = true;
                            for r in list {
                                files::delete_recovery(&r.path);
                            }
                        }
                        if ui.button("Later").clicked() {
                            close = true;
                        }
                    });
                }
            }
        });
        // Escape or a click outside means Cancel (or Later); nothing is lost.
        if modal.should_close() && then.is_none() {
            close = true;
            self.after_save = None;
        }
        if close && self.prompt.as_ref() == Some(&prompt) {
            self.prompt = None;
        }
        if let Some(a) = then {
            self.handle(ctx, a);
        }
    }

    /// Opens a recovery copy as unsaved work on its original file.
    fn restore(&mut self, r: &files::Recovery) {
        match persist::load(&r.path) {
            Ok(l) => {
                // The file on disk is what a save would replace: stamp it as it is now.
                let stamp = r
                    .original
                    .as_ref()
                    .and_then(|p| persist::load(p).ok())
                    .map(|o| o.stamp);
                let mut doc = Document::new(l.model, r.original.clone(), stamp, &self.catalog);
                doc.dirty = true;
                doc.revision = 1;
                doc.untitled_name = "Recovered".into();
                self.doc = doc;
                self.canvas.reset();
                files::delete_recovery(&r.path);
                // Write a fresh copy under the new document's name straight away.
                self.autosaved_revision = 0;
                self.last_autosave = f64::NEG_INFINITY;
            }
            Err(e) => self.error(format!("Cannot restore: {e}")),
        }
    }

    fn banners_ui(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = None;
        for (i, b) in self.banners.iter().enumerate() {
            let (fill, text) = if b.error {
                (
                    ui.visuals().error_fg_color.gamma_multiply(0.18),
                    ui.visuals().strong_text_color(),
                )
            } else {
                (
                    ui.visuals().selection.bg_fill.gamma_multiply(0.35),
                    ui.visuals().strong_text_color(),
                )
            };
            egui::Frame::new()
                .fill(fill)
                .inner_margin(egui::Margin::symmetric(8, 4))
                .corner_radius(3)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(if b.error { "Error" } else { "Note" })
                                .strong()
                                .color(text),
                        );
                        ui.add(egui::Label::new(RichText::new(&b.text).color(text)).wrap());
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            if ui.small_button("Dismiss").clicked() {
                                dismiss = Some(i);
                            }
                        });
                    });
                });
        }
        if let Some(i) = dismiss {
            self.banners.remove(i);
        }
    }

    fn status_ui(&self, ui: &mut egui::Ui) {
        let model = &self.doc.model;
        let a = &self.doc.analysis;
        let s = &self.doc.summary;
        let total = s.total;
        // Open per severity, least first: High and Critical are the last two.
        let open: usize = s.open_by_severity.iter().sum();
        let open_high: usize = s.open_by_severity[2..].iter().sum();
        let dark = ui.visuals().dark_mode;
        ui.horizontal_centered(|ui| {
            ui.label(format!("{total} threats"));
            ui.separator();
            ui.label(format!("{open} open"));
            ui.separator();
            let hc = RichText::new(format!("{open_high} open high or critical"));
            ui.label(if open_high > 0 {
                hc.color(theme::severity_color(Severity::High, dark))
                    .strong()
            } else {
                hc
            });
            ui.separator();
            ui.label(s.triaged_text());
            ui.separator();
            let errors = a
                .diagnostics
                .iter()
                .filter(|d| d.level == crate::diag::Level::Error)
                .count();
            let diag = RichText::new(format!("{} diagnostics", a.diagnostics.len()));
            ui.label(if errors > 0 {
                diag.color(ui.visuals().error_fg_color)
            } else {
                diag
            });
            ui.separator();
            ui.label(format!(
                "{} elements · {} flows · {} boundaries",
                model.elements.len(),
                model.flows.len(),
                model.boundaries.len()
            ));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(format!("zoom {:.0}%", self.canvas.view.zoom * 100.0));
                if self.jobs.running > 0 {
                    ui.spinner();
                }
                if let Some((note, t)) = &self.status_note
                    && ui.input(|i| i.time) - t < 6.0
                {
                    ui.separator();
                    ui.label(RichText::new(note).weak());
                }
            });
        });
    }

    fn dropped_files(&mut self, ctx: &egui::Context) -> Option<Action> {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        let file = dropped.first()?;
        let path = file.path().to_path_buf();
        if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("ron"))
        {
            Some(Action::OpenPath(path))
        } else {
            self.error(format!("{}: not a Palisade model (.ron)", path.display()));
            None
        }
    }

    fn threat_merge_key(model: &crate::model::Model, edits: &[Edit]) -> Option<MergeKey> {
        if let [Edit::PutControl(c)] = edits {
            return super::threats::controls::field_merge_key(model, c);
        }
        let mut id = None;
        for e in edits {
            match e {
                Edit::SetTriage(t, _) if id.is_none() || id == Some(t) => id = Some(t),
                _ => return None,
            }
        }
        id.map(|t| format!("triage:{t}"))
    }
}

impl eframe::App for PalisadeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.applied_theme != Some(self.theme) {
            ctx.set_theme(self.theme);
            self.applied_theme = Some(self.theme);
        }
        self.poll_jobs(&ctx);
        self.doc
            .selection
            .prune(&self.doc.model, &self.doc.analysis);

        let mut actions: Vec<Action> = Vec::new();
        if ctx.input(|i| i.viewport().close_requested()) && !self.allow_close {
            ctx.send_viewport_cmd(ViewportCommand::CancelClose);
            actions.push(Action::Quit);
        }
        if let Some(a) = self.dropped_files(&ctx) {
            actions.push(a);
        }
        if self.prompt.is_none() && self.builtin_dialog.is_none() && !self.command_palette.open {
            super::commands::shortcuts(&ctx, &mut actions);
        }

        let info_title = self.title();
        let info = MenuInfo {
            title: &info_title,
            recent: &self.recent.clone(),
            can_undo: self.doc.history.can_undo(),
            can_redo: self.doc.history.can_redo(),
            has_selection: !self.doc.selection.is_empty(),
            selected_elements: self.doc.selection.elements.len(),
            tabs: self.tabs.len(),
            can_resync: !self.doc.model.metadata.sources.is_empty()
                && crate::import::Format::parse(&self.doc.model.metadata.source_format).is_some(),
        };
        egui::Panel::top("menu").show(ui, |ui| {
            menu::menu_bar_ui(ui, &info, &mut self.canvas, &mut self.theme, &mut actions);
        });
        egui::Panel::top("tabs").show(ui, |ui| self.tabs_ui(ui, &mut actions));
        if !self.banners.is_empty() {
            egui::Panel::top("banners").show(ui, |ui| self.banners_ui(ui));
        }
        egui::Panel::bottom("status")
            .exact_size(26.0)
            .show(ui, |ui| self.status_ui(ui));

        let mut threat_edits: Vec<Edit> = Vec::new();
        egui::Panel::bottom("threats")
            .resizable(true)
            // Room for the summary's risk heat maps above a table of several rows.
            .default_size(360.0)
            .size_range(THREATS_MIN_HEIGHT..=700.0)
            .show(ui, |ui| {
                super::threats::threats_panel_ui(
                    ui,
                    super::ReadCtx {
                        model: &self.doc.model,
                        analysis: &self.doc.analysis,
                        catalog: &self.catalog,
                    },
                    &self.doc.summary,
                    &mut self.threats,
                    &mut self.doc.selection,
                    &mut threat_edits,
                    &mut actions,
                );
            });
        egui::Panel::left("palette")
            .resizable(true)
            .default_size(210.0)
            .size_range(150.0..=400.0)
            .show(ui, |ui| {
                palette_ui(
                    ui,
                    &self.catalog,
                    &self.doc.model,
                    &mut self.palette,
                    &mut self.canvas.tool,
                    &mut self.doc.selection,
                    &mut actions,
                );
            });
        let mut inspector = InspectorOut::default();
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(290.0)
            .size_range(220.0..=520.0)
            .show(ui, |ui| {
                inspector_ui(
                    ui,
                    &self.doc.model,
                    &self.catalog,
                    &self.doc.analysis,
                    &mut self.doc.selection,
                    &mut inspector,
                    &mut actions,
                );
            });
        let mut canvas_edits: Vec<Edit> = Vec::new();
        let canvas_key = canvas::DerivedKey::new(self.doc.generation(), &self.catalog);
        let focus = self.threats.canvas_focus().cloned();
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let scene = canvas::Scene {
                doc: super::ReadCtx {
                    model: &self.doc.model,
                    analysis: &self.doc.analysis,
                    catalog: &self.catalog,
                },
                key: canvas_key,
                focus: focus.as_deref(),
            };
            canvas::canvas_ui(
                ui,
                &scene,
                &mut self.doc.selection,
                &mut self.canvas,
                &mut canvas_edits,
                &mut actions,
            );
        });
        self.prompt_ui(&ctx);
        self.builtin_dialog_ui(&ctx);
        if let Some(a) = super::commands::palette_ui(&ctx, &mut self.command_palette) {
            actions.push(a);
        }
        super::commands::help_window(&ctx, &mut self.show_help);

        // A change of keyboard focus ends a text-editing session: the next edit is a new
        // undo step.
        let focus = ctx.memory(|m| m.focused());
        if focus != self.last_focus {
            self.doc.history.seal();
            self.last_focus = focus;
        }
        self.apply(canvas_edits, None);
        let merge = inspector.merge.take();
        self.apply(inspector.edits, merge);
        let key = Self::threat_merge_key(&self.doc.model, &threat_edits);
        self.apply(threat_edits, key);
        for a in actions {
            self.handle(&ctx, a);
        }
        self.autosave(&ctx);

        let title = format!("{} — Palisade", self.title());
        if title != self.sent_title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.sent_title = title;
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, "palisade.recent", &self.recent);
        let theme = match self.theme {
            ThemePreference::Dark => "dark",
            ThemePreference::Light => "light",
            ThemePreference::System => "system",
        };
        storage.set_string("palisade.theme", theme.to_owned());
    }
}

/// Restores the recent-file list and theme saved by a previous run.
pub fn restore_settings(app: &mut PalisadeApp, storage: &dyn eframe::Storage) {
    if let Some(recent) = eframe::get_value::<Vec<PathBuf>>(storage, "palisade.recent") {
        app.recent = recent.into_iter().take(files::MAX_RECENT).collect();
    }
    app.theme = match storage.get_string("palisade.theme").as_deref() {
        Some("dark") => ThemePreference::Dark,
        Some("light") => ThemePreference::Light,
        _ => ThemePreference::System,
    };
}
