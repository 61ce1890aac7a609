//! What the user has selected. Pruned every frame so no id points at nothing after an
//! undo or a delete.

use crate::analysis::{Analysis, Subject};
use crate::model::{BoundaryId, ElementId, FlowId, Model, RelationId, SubjectRef, ThreatId};
use std::collections::BTreeSet;

/// The selection: canvas items and threats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Selected elements.
    pub elements: BTreeSet<ElementId>,
    /// Selected flows.
    pub flows: BTreeSet<FlowId>,
    /// Selected boundaries.
    pub boundaries: BTreeSet<BoundaryId>,
    /// Selected relations (picked on the canvas or in the inspector).
    pub relations: BTreeSet<RelationId>,
    /// Selected threats (in the threats workspace).
    pub threats: BTreeSet<ThreatId>,
}

/// One selectable canvas item. Elements, flows and boundaries are threat subjects
/// ([`Subject`]); relations are items but never subjects. A subject is shown by the items
/// of [`Item::of_subject`]; a hit on the canvas names its item with
/// [`crate::gui::canvas::layout::Hit::item`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    /// An element.
    Element(ElementId),
    /// A flow.
    Flow(FlowId),
    /// A boundary.
    Boundary(BoundaryId),
    /// A relation between two elements.
    Relation(RelationId),
}

impl Item {
    /// The items that show a subject on the canvas: a crossing is its flow and its
    /// boundary, the whole model is none.
    pub fn of_subject(s: &Subject) -> impl Iterator<Item = Item> + use<> {
        let (a, b) = match s {
            Subject::Element(e) => (Some(Item::Element(e.clone())), None),
            Subject::Flow(f) => (Some(Item::Flow(f.clone())), None),
            Subject::Crossing(f, b) => {
                (Some(Item::Flow(f.clone())), Some(Item::Boundary(b.clone())))
            }
            Subject::Boundary(b) => (Some(Item::Boundary(b.clone())), None),
            Subject::Model => (None, None),
        };
        a.into_iter().chain(b)
    }

    /// The subject a threat about this item has; a relation is none.
    pub fn subject(&self) -> Option<Subject> {
        match self {
            Item::Element(e) => Some(Subject::Element(e.clone())),
            Item::Flow(f) => Some(Subject::Flow(f.clone())),
            Item::Boundary(b) => Some(Subject::Boundary(b.clone())),
            Item::Relation(_) => None,
        }
    }
}

/// What a manual threat about an item names; a relation is no threat subject.
impl TryFrom<&Item> for SubjectRef {
    type Error = ();
    fn try_from(item: &Item) -> Result<SubjectRef, ()> {
        item.subject()
            .as_ref()
            .ok_or(())
            .and_then(SubjectRef::try_from)
    }
}

impl Selection {
    /// Whether no canvas item is selected (threats are not counted).
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
            && self.flows.is_empty()
            && self.boundaries.is_empty()
            && self.relations.is_empty()
    }

    /// Number of selected canvas items.
    pub fn len(&self) -> usize {
        self.elements.len() + self.flows.len() + self.boundaries.len() + self.relations.len()
    }

    /// Clears the canvas items (keeps the threat selection).
    pub fn clear_items(&mut self) {
        self.elements.clear();
        self.flows.clear();
        self.boundaries.clear();
        self.relations.clear();
    }

    /// Whether an item is selected.
    pub fn contains(&self, item: &Item) -> bool {
        match item {
            Item::Element(id) => self.elements.contains(id),
            Item::Flow(id) => self.flows.contains(id),
            Item::Boundary(id) => self.boundaries.contains(id),
            Item::Relation(id) => self.relations.contains(id),
        }
    }

    /// Adds an item.
    pub fn insert(&mut self, item: Item) {
        match item {
            Item::Element(id) => {
                self.elements.insert(id);
            }
            Item::Flow(id) => {
                self.flows.insert(id);
            }
            Item::Boundary(id) => {
                self.boundaries.insert(id);
            }
            Item::Relation(id) => {
                self.relations.insert(id);
            }
        }
    }

    /// Adds the item if absent, removes it if present (shift-click).
    pub fn toggle(&mut self, item: Item) {
        if self.contains(&item) {
            match item {
                Item::Element(id) => {
                    self.elements.remove(&id);
                }
                Item::Flow(id) => {
                    self.flows.remove(&id);
                }
                Item::Boundary(id) => {
                    self.boundaries.remove(&id);
                }
                Item::Relation(id) => {
                    self.relations.remove(&id);
                }
            }
        } else {
            self.insert(item);
        }
    }

    /// Makes `item` the only selected canvas item.
    pub fn select_only(&mut self, item: Item) {
        self.clear_items();
        self.insert(item);
    }

    /// The single selected canvas item, if exactly one is selected.
    pub fn single(&self) -> Option<Item> {
        if self.len() != 1 {
            return None;
        }
        self.elements
            .iter()
            .next()
            .map(|e| Item::Element(e.clone()))
            .or_else(|| self.flows.iter().next().map(|f| Item::Flow(f.clone())))
            .or_else(|| {
                self.boundaries
                    .iter()
                    .next()
                    .map(|b| Item::Boundary(b.clone()))
            })
            .or_else(|| {
                self.relations
                    .iter()
                    .next()
                    .map(|r| Item::Relation(r.clone()))
            })
    }

    /// Adds what a threat is about: a crossing adds its flow and its boundary.
    pub fn insert_subject(&mut self, s: &Subject) {
        for item in Item::of_subject(s) {
            self.insert(item);
        }
    }

    /// Drops ids that no longer exist in the model or the analysis.
    pub fn prune(&mut self, model: &Model, analysis: &Analysis) {
        self.elements.retain(|id| model.elements.contains_key(id));
        self.flows.retain(|id| model.flows.contains_key(id));
        self.boundaries
            .retain(|id| model.boundaries.contains_key(id));
        self.relations.retain(|id| model.relations.contains_key(id));
        self.threats
            .retain(|id| analysis.threat(id.as_str()).is_some());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_drops_dangling_ids() {
        let mut s = Selection::default();
        s.insert(Item::Element("gone".into()));
        s.insert(Item::Flow("gone".into()));
        s.insert(Item::Boundary("gone".into()));
        s.insert(Item::Relation("gone".into()));
        s.threats.insert("X@element:gone".into());
        s.prune(&Model::new("t"), &Analysis::default());
        assert_eq!(s, Selection::default());
    }

    #[test]
    fn toggle_and_single() {
        let mut s = Selection::default();
        s.toggle(Item::Element("a".into()));
        assert_eq!(s.single(), Some(Item::Element("a".into())));
        s.toggle(Item::Flow("f".into()));
        assert_eq!(s.single(), None);
        s.toggle(Item::Element("a".into()));
        assert_eq!(s.single(), Some(Item::Flow("f".into())));
    }

    #[test]
    fn subjects_and_items_convert_both_ways() {
        let crossing = Subject::Crossing("f".into(), "b".into());
        let items: Vec<Item> = Item::of_subject(&crossing).collect();
        assert_eq!(items, [Item::Flow("f".into()), Item::Boundary("b".into())]);
        assert_eq!(Item::of_subject(&Subject::Model).count(), 0);
        for item in [
            Item::Element("e".into()),
            Item::Flow("f".into()),
            Item::Boundary("b".into()),
        ] {
            let Some(s) = item.subject() else {
                panic!("{item:?} is a subject")
            };
            assert_eq!(Item::of_subject(&s).collect::<Vec<_>>(), vec![item.clone()]);
            let Ok(r) = SubjectRef::try_from(&item) else {
                panic!("{item:?} can be saved")
            };
            assert_eq!(Subject::from(&r), s);
        }
        let relation = Item::Relation("r".into());
        assert_eq!(relation.subject(), None);
        assert!(SubjectRef::try_from(&relation).is_err());
        assert!(SubjectRef::try_from(&crossing).is_err());
    }
}
