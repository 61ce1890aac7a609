//! Undo and redo. Each step holds the inverse edits of one user action; edits that carry
//! the same merge key as the step before (one text-edit session, one nudge burst) fold
//! into that step until the history is sealed. The history is never saved.

use crate::model::{Edit, EditError, Model};

/// What groups successive edits into one undo step, e.g. `name:element:api` while the
/// name field of element `api` is being typed into.
pub type MergeKey = String;

/// Most undo steps kept; older ones are dropped.
pub const MAX_STEPS: usize = 500;

#[derive(Debug)]
struct Step {
    /// Inverses in the order they were recorded; undo applies them last first.
    inverses: Vec<Edit>,
    key: Option<MergeKey>,
    sealed: bool,
}

/// The undo and redo stacks of one document.
#[derive(Debug, Default)]
pub struct History {
    undo: Vec<Step>,
    redo: Vec<Edit>,
}

impl History {
    /// Records the inverse of an edit that was just applied. With a merge key equal to
    /// the previous unsealed step's, the inverse joins that step.
    pub fn record(&mut self, inverse: Edit, key: Option<MergeKey>) {
        self.redo.clear();
        if let (Some(k), Some(last)) = (&key, self.undo.last_mut())
            && !last.sealed
            && last.key.as_ref() == Some(k)
        {
            last.inverses.push(inverse);
            return;
        }
        if let Some(last) = self.undo.last_mut() {
            last.sealed = true;
        }
        self.undo.push(Step {
            inverses: vec![inverse],
            key,
            sealed: false,
        });
        if self.undo.len() > MAX_STEPS {
            self.undo.remove(0);
        }
    }

    /// Ends the current step: the next edit starts a new one even with the same key
    /// (called when a text field loses focus or a gesture ends).
    pub fn seal(&mut self) {
        if let Some(last) = self.undo.last_mut() {
            last.sealed = true;
        }
    }

    /// Whether there is something to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Number of undo steps.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    /// Undoes the last step. Returns `Ok(false)` when there was nothing to undo.
    pub fn undo(&mut self, model: &mut Model) -> Result<bool, EditError> {
        let Some(step) = self.undo.pop() else {
            return Ok(false);
        };
        let mut inverses = step.inverses;
        inverses.reverse();
        match Edit::Batch(inverses).apply(model) {
            Ok(redo) => {
                self.redo.push(redo);
                Ok(true)
            }
            Err(e) => {
                // The model is unchanged; the step cannot be replayed, so it is dropped.
                Err(e)
            }
        }
    }

    /// Redoes the last undone step. Returns `Ok(false)` when there was nothing to redo.
    pub fn redo(&mut self, model: &mut Model) -> Result<bool, EditError> {
        let Some(edit) = self.redo.pop() else {
            return Ok(false);
        };
        let inverse = edit.apply(model)?;
        if let Some(last) = self.undo.last_mut() {
            last.sealed = true;
        }
        self.undo.push(Step {
            inverses: vec![inverse],
            key: None,
            sealed: true,
        });
        Ok(true)
    }

    /// The edit [`History::redo`] would apply next.
    pub fn last_redo(&self) -> Option<&Edit> {
        self.redo.last()
    }

    /// The inverse recorded last (what the next undo would apply first).
    pub fn last_undo_inverse(&self) -> Option<&Edit> {
        self.undo.last().and_then(|s| s.inverses.last())
    }

    /// Forgets everything (after opening another file).
    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Element, ElementId, Props};

    fn model() -> Model {
        let mut m = Model::new("t");
        let e = Element {
            provenance: Default::default(),
            id: "api".into(),
            name: "A".into(),
            kind: "generic.process".into(),
            boundary: None,
            pos: (0.0, 0.0),
            props: Props::new(),
            entry_point: false,
            crown_jewel: false,
        };
        m.elements.insert(e.id.clone(), e);
        m
    }

    fn rename(m: &mut Model, h: &mut History, name: &str, key: Option<&str>) {
        let mut e = m.elements[&ElementId::from("api")].clone();
        e.name = name.into();
        let inv = Edit::ReplaceElement(e).apply(m).expect("element exists");
        h.record(inv, key.map(str::to_owned));
    }

    fn name(m: &Model) -> &str {
        &m.elements[&ElementId::from("api")].name
    }

    #[test]
    fn typing_in_one_field_is_one_undo_step() {
        let mut m = model();
        let mut h = History::default();
        for s in ["Ap", "Api", "Api ", "Api g", "Api gw"] {
            rename(&mut m, &mut h, s, Some("name:api"));
        }
        assert_eq!(h.undo_len(), 1);
        assert_eq!(h.undo(&mut m), Ok(true));
        assert_eq!(name(&m), "A");
        assert_eq!(h.redo(&mut m), Ok(true));
        assert_eq!(name(&m), "Api gw");
    }

    #[test]
    fn sealing_starts_a_new_step() {
        let mut m = model();
        let mut h = History::default();
        rename(&mut m, &mut h, "B", Some("name:api"));
        h.seal();
        rename(&mut m, &mut h, "C", Some("name:api"));
        assert_eq!(h.undo_len(), 2);
        h.undo(&mut m).expect("undo");
        assert_eq!(name(&m), "B");
    }

    #[test]
    fn different_keys_and_no_key_do_not_fold() {
        let mut m = model();
        let mut h = History::default();
        rename(&mut m, &mut h, "B", Some("x"));
        rename(&mut m, &mut h, "C", Some("y"));
        rename(&mut m, &mut h, "D", None);
        rename(&mut m, &mut h, "E", None);
        assert_eq!(h.undo_len(), 4);
    }

    #[test]
    fn a_new_edit_clears_redo() {
        let mut m = model();
        let mut h = History::default();
        rename(&mut m, &mut h, "B", None);
        h.undo(&mut m).expect("undo");
        assert!(h.can_redo());
        rename(&mut m, &mut h, "C", None);
        assert!(!h.can_redo());
        assert_eq!(h.redo(&mut m), Ok(false));
    }

    #[test]
    fn undo_on_empty_history_is_a_no_op() {
        let mut m = model();
        let mut h = History::default();
        assert_eq!(h.undo(&mut m), Ok(false));
        assert_eq!(m, model());
    }

    #[test]
    fn the_step_after_redo_does_not_fold_into_it() {
        let mut m = model();
        let mut h = History::default();
        rename(&mut m, &mut h, "B", Some("k"));
        h.undo(&mut m).expect("undo");
        h.redo(&mut m).expect("redo");
        rename(&mut m, &mut h, "C", Some("k"));
        assert_eq!(h.undo_len(), 2);
    }
}
