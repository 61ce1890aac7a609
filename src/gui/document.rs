//! One open model: the ground state, where it lives on disk, its undo history, the
//! derived analysis and the selection. Every change goes through [`Document::apply`].

use super::history::{History, MergeKey};
use super::selection::Selection;
use super::threats::rows::Summary;
use crate::analysis::{Analysis, analyze, reanalyze};
use crate::model::{Edit, EditError, Model};
use crate::persist::Stamp;
use crate::rules::Catalog;
use std::path::{Path, PathBuf};

/// An open model.
#[derive(Debug)]
pub struct Document {
    /// The ground state.
    pub model: Model,
    /// The file it was loaded from or saved to; `None` for a new or example model.
    pub path: Option<PathBuf>,
    /// Fingerprint of the file when it was loaded or last saved, to detect changes made
    /// on disk by someone else.
    pub stamp: Option<Stamp>,
    /// Whether there are unsaved changes.
    pub dirty: bool,
    /// Undo and redo.
    pub history: History,
    /// Threats, orphans and diagnostics derived from the model.
    pub analysis: Analysis,
    /// Counts of `analysis` (open per severity, per category, triaged) for the status
    /// bar and the threats panel, made once per change instead of every frame.
    pub summary: Summary,
    /// What is selected.
    pub selection: Selection,
    /// Name shown when there is no path (e.g. `docker-attack-surface.ron`, `Untitled`).
    pub untitled_name: String,
    /// Counts changes, so autosave knows whether anything changed since it last ran.
    pub revision: u64,
    /// Tells documents apart (unique per `Document::new` in this process), so caches
    /// keyed by `revision` are not fooled by another document at the same revision.
    uid: u64,
}

/// Source of [`Document::uid`]s.
static NEXT_UID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Document {
    /// Wraps a model and analyses it.
    pub fn new(
        model: Model,
        path: Option<PathBuf>,
        stamp: Option<Stamp>,
        catalog: &Catalog,
    ) -> Document {
        let analysis = analyze(&model, catalog);
        let summary = Summary::of(&model, catalog, &analysis);
        Document {
            model,
            path,
            stamp,
            dirty: false,
            history: History::default(),
            analysis,
            summary,
            selection: Selection::default(),
            untitled_name: "Untitled".to_owned(),
            revision: 0,
            uid: NEXT_UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Identifies the model's current state for caches of things derived from it (the
    /// canvas layout, badges): changes whenever an edit, undo or redo is applied or the
    /// document is replaced.
    pub fn generation(&self) -> (u64, u64) {
        (self.uid, self.revision)
    }

    /// The file name shown in the title bar.
    pub fn display_name(&self) -> String {
        match &self.path {
            Some(p) => file_name(p),
            None => self.untitled_name.clone(),
        }
    }

    /// Applies edits as one undo step (folded into the previous step when `merge` equals
    /// its key), marks the document dirty and re-analyses it. On error nothing changes.
    pub fn apply(
        &mut self,
        edits: Vec<Edit>,
        merge: Option<MergeKey>,
        catalog: &Catalog,
    ) -> Result<(), EditError> {
        if edits.is_empty() {
            return Ok(());
        }
        let edit = if edits.len() == 1 {
            edits.into_iter().next().unwrap_or(Edit::Batch(Vec::new()))
        } else {
            Edit::Batch(edits)
        };
        let inverse = edit.apply(&mut self.model)?;
        self.changed(catalog, &inverse);
        self.history.record(inverse, merge);
        Ok(())
    }

    /// Undoes the last step; `Ok(false)` when there is nothing to undo.
    pub fn undo(&mut self, catalog: &Catalog) -> Result<bool, EditError> {
        let done = self.history.undo(&mut self.model)?;
        if done {
            // The redo step now on top is the inverse of what was just applied.
            match self.history.last_redo().cloned() {
                Some(e) => self.changed(catalog, &e),
                None => self.changed_all(catalog),
            }
        }
        Ok(done)
    }

    /// Redoes the last undone step; `Ok(false)` when there is nothing to redo.
    pub fn redo(&mut self, catalog: &Catalog) -> Result<bool, EditError> {
        let done = self.history.redo(&mut self.model)?;
        if done {
            // The undo step now on top holds the inverse of what was just applied.
            match self.history.last_undo_inverse().cloned() {
                Some(e) => self.changed(catalog, &e),
                None => self.changed_all(catalog),
            }
        }
        Ok(done)
    }

    /// Re-analyses after the catalog or the model changed.
    pub fn reanalyze(&mut self, catalog: &Catalog) {
        let analysis = analyze(&self.model, catalog);
        self.set_analysis(analysis, catalog);
    }

    /// Installs a new analysis: its summary, and a selection without vanished items.
    fn set_analysis(&mut self, analysis: Analysis, catalog: &Catalog) {
        self.analysis = analysis;
        self.summary = Summary::of(&self.model, catalog, &self.analysis);
        self.selection.prune(&self.model, &self.analysis);
    }

    /// After `edit` (or its inverse) changed the model: only the threats the edit can
    /// affect are evaluated again (`analysis::reanalyze`, equal to a full analysis).
    fn changed(&mut self, catalog: &Catalog, edit: &Edit) {
        self.dirty = true;
        self.revision += 1;
        let prev = std::mem::take(&mut self.analysis);
        let analysis = reanalyze(prev, &self.model, catalog, edit);
        self.set_analysis(analysis, catalog);
    }

    fn changed_all(&mut self, catalog: &Catalog) {
        self.dirty = true;
        self.revision += 1;
        self.reanalyze(catalog);
    }
}

/// The last component of a path, for display.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Element, Props};

    fn element(id: &str) -> Element {
        Element {
            provenance: Default::default(),
            id: id.into(),
            name: id.into(),
            kind: "generic.process".into(),
            boundary: None,
            pos: (0.0, 0.0),
            props: Props::new(),
            entry_point: false,
            crown_jewel: false,
        }
    }

    #[test]
    fn apply_marks_dirty_and_reanalyses() {
        let cat = Catalog::builtin();
        let mut d = Document::new(Model::new("t"), None, None, &cat);
        assert!(d.analysis.threats.is_empty());
        d.apply(vec![Edit::AddElement(element("p"))], None, &cat)
            .expect("add");
        assert!(d.dirty);
        assert!(!d.analysis.threats.is_empty(), "a bare process has threats");
        d.undo(&cat).expect("undo");
        assert!(d.model.elements.is_empty());
        assert!(d.analysis.threats.is_empty());
    }

    /// The document re-analyses incrementally; after every apply, undo and redo its
    /// analysis equals a full analysis of its model.
    #[test]
    fn incremental_analysis_equals_a_full_one_through_edits_undo_and_redo() {
        let cat = Catalog::builtin();
        let path = format!(
            "{}/examples/kubernetes-cluster.ron",
            env!("CARGO_MANIFEST_DIR")
        );
        let model = crate::persist::load(Path::new(&path))
            .map(|l| l.model)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut d = Document::new(model, None, None, &cat);
        let check = |d: &Document, what: &str| {
            let full = analyze(&d.model, &cat);
            assert_eq!(d.summary, Summary::of(&d.model, &cat, &full), "{what}");
            assert_eq!(d.analysis.threats, full.threats, "{what}");
            assert_eq!(d.analysis.orphans, full.orphans, "{what}");
            assert_eq!(
                format!("{:?}", d.analysis.diagnostics),
                format!("{:?}", full.diagnostics),
                "{what}"
            );
        };
        let ids: Vec<_> = d.model.elements.keys().take(6).cloned().collect();
        let flows: Vec<_> = d.model.flows.keys().take(3).cloned().collect();
        let first_threat = d.analysis.threats[0].id.clone();
        let mut edits: Vec<Vec<Edit>> = Vec::new();
        for (i, e) in ids.iter().enumerate() {
            edits.push(vec![Edit::MoveElement(e.clone(), (i as f64 * 40.0, 10.0))]);
            let props: Vec<_> = d.model.elements[e].props.keys().cloned().collect();
            for p in props {
                edits.push(vec![Edit::SetElementProp(e.clone(), p, None)]);
            }
        }
        for f in &flows {
            edits.push(vec![Edit::SetFlowProp(
                f.clone(),
                "encrypted".into(),
                Some(crate::model::Value::Bool(false)),
            )]);
        }
        edits.push(vec![Edit::SetTriage(
            first_threat,
            Some(crate::model::Triage::default()),
        )]);
        edits.push(vec![Edit::RemoveElement(ids[0].clone())]);
        edits.push(vec![
            Edit::SetElementBoundary(ids[1].clone(), None),
            Edit::MoveElement(ids[2].clone(), (5.0, 5.0)),
        ]);
        let n = edits.len();
        let mut applied = 0;
        for (i, e) in edits.into_iter().enumerate() {
            // Some generated edits may not apply (a property the stencil lacks); those
            // change nothing and are skipped.
            if d.apply(e, None, &cat).is_ok() {
                applied += 1;
                check(&d, &format!("apply {i}"));
            }
        }
        assert!(applied * 2 > n, "only {applied} of {n} edits applied");
        let mut undone = 0;
        for i in 0..n {
            if d.undo(&cat).unwrap_or(false) {
                undone += 1;
                check(&d, &format!("undo {i}"));
            }
        }
        assert_eq!(undone, applied);
        for i in 0..n {
            if d.redo(&cat).unwrap_or(false) {
                check(&d, &format!("redo {i}"));
            }
        }
        assert_eq!(d.history.undo_len(), applied);
    }

    #[test]
    fn failed_edit_changes_nothing() {
        let cat = Catalog::builtin();
        let mut d = Document::new(Model::new("t"), None, None, &cat);
        let r = d.apply(
            vec![
                Edit::AddElement(element("p")),
                Edit::RemoveElement("nope".into()),
            ],
            None,
            &cat,
        );
        assert!(r.is_err());
        assert!(d.model.elements.is_empty());
        assert!(!d.dirty);
        assert!(!d.history.can_undo());
    }

    #[test]
    fn undo_prunes_the_selection() {
        let cat = Catalog::builtin();
        let mut d = Document::new(Model::new("t"), None, None, &cat);
        d.apply(vec![Edit::AddElement(element("p"))], None, &cat)
            .expect("add");
        d.selection.elements.insert("p".into());
        d.undo(&cat).expect("undo");
        assert!(d.selection.elements.is_empty());
    }
}
