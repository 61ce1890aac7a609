//! The one mutation path. The GUI, the CLI and the tests change a model only by applying
//! [`Edit`]s; each application returns the inverse edit, which is what undo replays.

use super::{
    Boundary, BoundaryId, Control, ControlId, Element, ElementId, Flow, FlowId, ManualThreat,
    Metadata, Model, Relation, RelationId, ThreatId, Triage, Value,
};

/// One change to a model.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Adds an element; its id must be new.
    AddElement(Element),
    /// Removes an element and every flow and relation that starts or ends at it.
    RemoveElement(ElementId),
    /// Replaces an existing element wholesale (name, kind, boundary, position, props).
    ReplaceElement(Element),
    /// Moves an element's centre.
    MoveElement(ElementId, (f64, f64)),
    /// Sets (or with `None`, clears back to the stencil default) one element property.
    SetElementProp(ElementId, String, Option<Value>),
    /// Puts an element in a boundary, or outside every boundary.
    SetElementBoundary(ElementId, Option<BoundaryId>),
    /// Adds a flow; its id must be new.
    AddFlow(Flow),
    /// Removes a flow.
    RemoveFlow(FlowId),
    /// Replaces an existing flow wholesale.
    ReplaceFlow(Flow),
    /// Sets (or clears) one flow property.
    SetFlowProp(FlowId, String, Option<Value>),
    /// Adds a boundary; its id must be new.
    AddBoundary(Boundary),
    /// Removes a boundary; its members and child boundaries move to its parent.
    RemoveBoundary(BoundaryId),
    /// Replaces an existing boundary wholesale (name, kind, trust, parent, rect, props).
    ReplaceBoundary(Boundary),
    /// Sets (or clears back to the kind's default) one boundary property.
    SetBoundaryProp(BoundaryId, String, Option<Value>),
    /// Adds a relation; its id must be new and both ends must exist.
    AddRelation(Relation),
    /// Removes a relation.
    RemoveRelation(RelationId),
    /// Replaces an existing relation wholesale.
    ReplaceRelation(Relation),
    /// Sets or removes the triage record of a threat.
    SetTriage(ThreatId, Option<Triage>),
    /// Adds or replaces a manual threat.
    PutManualThreat(ManualThreat),
    /// Removes a manual threat (its triage record is kept unless removed separately).
    RemoveManualThreat(ThreatId),
    /// Replaces the metadata.
    SetMetadata(Metadata),
    /// Adds or replaces a control, as given (callers sort its lists with
    /// [`Control::normalise`], so that undo restores exactly what was there).
    /// Attaching or detaching threats is a `PutControl` with the new list.
    PutControl(Control),
    /// Removes a control.
    RemoveControl(ControlId),
    /// Several edits applied in order as one undo step.
    Batch(Vec<Edit>),
}

/// Why an edit could not be applied. The model is unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The id named by the edit does not exist.
    #[error("no {0} with id `{1}`")]
    Missing(&'static str, String),
    /// An add used an id that is already taken.
    #[error("a {0} with id `{1}` already exists")]
    Duplicate(&'static str, String),
    /// The id is not a usable id.
    #[error("invalid id: {0}")]
    InvalidId(String),
    /// The boundary would become its own ancestor.
    #[error("boundary `{0}` cannot be placed inside itself")]
    Cycle(String),
}

impl Edit {
    /// Applies the edit to `model` and returns the edit that undoes it. On error the
    /// model is left exactly as it was (a failing batch rolls back what it applied).
    pub fn apply(self, model: &mut Model) -> Result<Edit, EditError> {
        use Edit::*;
        Ok(match self {
            AddElement(e) => {
                super::check_id(e.id.as_str()).map_err(EditError::InvalidId)?;
                if model.elements.contains_key(&e.id) {
                    return Err(EditError::Duplicate("element", e.id.0));
                }
                let id = e.id.clone();
                model.elements.insert(id.clone(), e);
                RemoveElement(id)
            }
            RemoveElement(id) => {
                let e = model
                    .elements
                    .remove(&id)
                    .ok_or_else(|| EditError::Missing("element", id.0.clone()))?;
                let touching: Vec<FlowId> = model
                    .flows
                    .values()
                    .filter(|f| f.source == id || f.target == id)
                    .map(|f| f.id.clone())
                    .collect();
                let related: Vec<RelationId> = model
                    .relations
                    .values()
                    .filter(|r| r.source == id || r.target == id)
                    .map(|r| r.id.clone())
                    .collect();
                let mut undo = vec![AddElement(e)];
                for fid in touching {
                    if let Some(f) = model.flows.remove(&fid) {
                        undo.push(AddFlow(f));
                    }
                }
                for rid in related {
                    if let Some(r) = model.relations.remove(&rid) {
                        undo.push(AddRelation(r));
                    }
                }
                Batch(undo)
            }
            ReplaceElement(e) => {
                let slot = model
                    .elements
                    .get_mut(&e.id)
                    .ok_or_else(|| EditError::Missing("element", e.id.0.clone()))?;
                ReplaceElement(std::mem::replace(slot, e))
            }
            MoveElement(id, pos) => {
                let slot = model
                    .elements
                    .get_mut(&id)
                    .ok_or_else(|| EditError::Missing("element", id.0.clone()))?;
                let old = std::mem::replace(&mut slot.pos, pos);
                MoveElement(id, old)
            }
            SetElementProp(id, key, value) => {
                let slot = model
                    .elements
                    .get_mut(&id)
                    .ok_or_else(|| EditError::Missing("element", id.0.clone()))?;
                let old = match value {
                    Some(v) => slot.props.insert(key.clone(), v),
                    None => slot.props.remove(&key),
                };
                SetElementProp(id, key, old)
            }
            SetElementBoundary(id, b) => {
                if let Some(bid) = &b
                    && !model.boundaries.contains_key(bid)
                {
                    return Err(EditError::Missing("boundary", bid.0.clone()));
                }
                let slot = model
                    .elements
                    .get_mut(&id)
                    .ok_or_else(|| EditError::Missing("element", id.0.clone()))?;
                // A dangling boundary cannot be set again through this edit (it checks
                // that the boundary exists), so its undo restores the whole element.
                let dangling = slot
                    .boundary
                    .as_ref()
                    .is_some_and(|old| !model.boundaries.contains_key(old));
                if dangling {
                    let before = slot.clone();
                    slot.boundary = b;
                    return Ok(ReplaceElement(before));
                }
                let old = std::mem::replace(&mut slot.boundary, b);
                SetElementBoundary(id, old)
            }
            AddFlow(f) => {
                super::check_id(f.id.as_str()).map_err(EditError::InvalidId)?;
                if model.flows.contains_key(&f.id) {
                    return Err(EditError::Duplicate("flow", f.id.0));
                }
                for end in [&f.source, &f.target] {
                    if !model.elements.contains_key(end) {
                        return Err(EditError::Missing("element", end.0.clone()));
                    }
                }
                let id = f.id.clone();
                model.flows.insert(id.clone(), f);
                RemoveFlow(id)
            }
            RemoveFlow(id) => {
                let f = model
                    .flows
                    .remove(&id)
                    .ok_or_else(|| EditError::Missing("flow", id.0.clone()))?;
                AddFlow(f)
            }
            ReplaceFlow(f) => {
                for end in [&f.source, &f.target] {
                    if !model.elements.contains_key(end) {
                        return Err(EditError::Missing("element", end.0.clone()));
                    }
                }
                let slot = model
                    .flows
                    .get_mut(&f.id)
                    .ok_or_else(|| EditError::Missing("flow", f.id.0.clone()))?;
                ReplaceFlow(std::mem::replace(slot, f))
            }
            SetFlowProp(id, key, value) => {
                let slot = model
                    .flows
                    .get_mut(&id)
                    .ok_or_else(|| EditError::Missing("flow", id.0.clone()))?;
                let old = match value {
                    Some(v) => slot.props.insert(key.clone(), v),
                    None => slot.props.remove(&key),
                };
                SetFlowProp(id, key, old)
            }
            AddBoundary(b) => {
                super::check_id(b.id.as_str()).map_err(EditError::InvalidId)?;
                if model.boundaries.contains_key(&b.id) {
                    return Err(EditError::Duplicate("boundary", b.id.0));
                }
                if let Some(p) = &b.parent
                    && !model.boundaries.contains_key(p)
                {
                    return Err(EditError::Missing("boundary", p.0.clone()));
                }
                let id = b.id.clone();
                // Elements that already named this id (a dangling reference, from a file
                // or an `AddElement`) must name it again after undo, not move to the
                // parent as `RemoveBoundary` moves members.
                let waiting: Vec<Element> = model
                    .elements
                    .values()
                    .filter(|e| e.boundary.as_ref() == Some(&id))
                    .cloned()
                    .collect();
                model.boundaries.insert(id.clone(), b);
                if waiting.is_empty() {
                    RemoveBoundary(id)
                } else {
                    let mut undo = vec![RemoveBoundary(id)];
                    undo.extend(waiting.into_iter().map(ReplaceElement));
                    Batch(undo)
                }
            }
            RemoveBoundary(id) => {
                let b = model
                    .boundaries
                    .remove(&id)
                    .ok_or_else(|| EditError::Missing("boundary", id.0.clone()))?;
                // Undo order: first re-add the boundary, then put members back.
                let mut undo = vec![AddBoundary(b.clone())];
                for e in model.elements.values_mut() {
                    if e.boundary.as_ref() == Some(&id) {
                        e.boundary = b.parent.clone();
                        undo.push(SetElementBoundary(e.id.clone(), Some(id.clone())));
                    }
                }
                for child in model.boundaries.values_mut() {
                    if child.parent.as_ref() == Some(&id) {
                        let old = child.clone();
                        child.parent = b.parent.clone();
                        undo.push(ReplaceBoundary(old));
                    }
                }
                Batch(undo)
            }
            ReplaceBoundary(b) => {
                if let Some(p) = &b.parent {
                    if !model.boundaries.contains_key(p) {
                        return Err(EditError::Missing("boundary", p.0.clone()));
                    }
                    // Refuse a parent that is the boundary itself or one of its descendants.
                    if model.boundary_chain(Some(p)).contains(&b.id) {
                        return Err(EditError::Cycle(b.id.0.clone()));
                    }
                }
                let slot = model
                    .boundaries
                    .get_mut(&b.id)
                    .ok_or_else(|| EditError::Missing("boundary", b.id.0.clone()))?;
                ReplaceBoundary(std::mem::replace(slot, b))
            }
            SetBoundaryProp(id, key, value) => {
                let slot = model
                    .boundaries
                    .get_mut(&id)
                    .ok_or_else(|| EditError::Missing("boundary", id.0.clone()))?;
                let old = match value {
                    Some(v) => slot.props.insert(key.clone(), v),
                    None => slot.props.remove(&key),
                };
                SetBoundaryProp(id, key, old)
            }
            AddRelation(r) => {
                super::check_id(r.id.as_str()).map_err(EditError::InvalidId)?;
                if model.relations.contains_key(&r.id) {
                    return Err(EditError::Duplicate("relation", r.id.0));
                }
                for end in [&r.source, &r.target] {
                    if !model.elements.contains_key(end) {
                        return Err(EditError::Missing("element", end.0.clone()));
                    }
                }
                let id = r.id.clone();
                model.relations.insert(id.clone(), r);
                RemoveRelation(id)
            }
            RemoveRelation(id) => {
                let r = model
                    .relations
                    .remove(&id)
                    .ok_or_else(|| EditError::Missing("relation", id.0.clone()))?;
                AddRelation(r)
            }
            ReplaceRelation(r) => {
                for end in [&r.source, &r.target] {
                    if !model.elements.contains_key(end) {
                        return Err(EditError::Missing("element", end.0.clone()));
                    }
                }
                let slot = model
                    .relations
                    .get_mut(&r.id)
                    .ok_or_else(|| EditError::Missing("relation", r.id.0.clone()))?;
                ReplaceRelation(std::mem::replace(slot, r))
            }
            SetTriage(id, t) => {
                let old = match t {
                    Some(mut t) => {
                        t.threat = id.clone();
                        model.triage.insert(id.clone(), t)
                    }
                    None => model.triage.remove(&id),
                };
                SetTriage(id, old)
            }
            PutManualThreat(m) => {
                super::check_id(m.id.as_str()).map_err(EditError::InvalidId)?;
                let id = m.id.clone();
                match model.manual_threats.insert(id.clone(), m) {
                    Some(old) => PutManualThreat(old),
                    None => RemoveManualThreat(id),
                }
            }
            RemoveManualThreat(id) => {
                let m = model
                    .manual_threats
                    .remove(&id)
                    .ok_or_else(|| EditError::Missing("manual threat", id.0.clone()))?;
                PutManualThreat(m)
            }
            SetMetadata(m) => SetMetadata(std::mem::replace(&mut model.metadata, m)),
            PutControl(c) => {
                super::check_id(c.id.as_str()).map_err(EditError::InvalidId)?;
                let id = c.id.clone();
                match model.controls.insert(id.clone(), c) {
                    Some(old) => PutControl(old),
                    None => RemoveControl(id),
                }
            }
            RemoveControl(id) => {
                let c = model
                    .controls
                    .remove(&id)
                    .ok_or_else(|| EditError::Missing("control", id.0.clone()))?;
                PutControl(c)
            }
            Batch(edits) => {
                let mut undo: Vec<Edit> = Vec::with_capacity(edits.len());
                for e in edits {
                    match e.apply(model) {
                        Ok(inv) => undo.push(inv),
                        Err(err) => {
                            // Roll back what was applied so the model is unchanged.
                            for inv in undo.into_iter().rev() {
                                let _ = inv.apply(model);
                            }
                            return Err(err);
                        }
                    }
                }
                undo.reverse();
                Batch(undo)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BoundaryKind, Status};

    fn el(id: &str, b: Option<&str>) -> Element {
        Element {
            provenance: Default::default(),
            id: ElementId::new(id),
            name: id.to_uppercase(),
            kind: "generic.process".into(),
            boundary: b.map(BoundaryId::new),
            pos: (0.0, 0.0),
            props: Default::default(),
            entry_point: false,
            crown_jewel: false,
        }
    }

    fn base() -> Model {
        let mut m = Model::new("t");
        let b = Boundary {
            id: BoundaryId::new("outer"),
            name: "Outer".into(),
            kind: BoundaryKind::Host,
            trust: 5,
            parent: None,
            rect: (0.0, 0.0, 100.0, 100.0),
            props: Default::default(),
        };
        let inner = Boundary {
            id: BoundaryId::new("inner"),
            parent: Some(BoundaryId::new("outer")),
            ..b.clone()
        };
        for e in [
            Edit::AddBoundary(b),
            Edit::AddBoundary(inner),
            Edit::AddElement(el("a", Some("inner"))),
            Edit::AddElement(el("b", None)),
            Edit::AddFlow(Flow {
                id: FlowId::new("ab"),
                name: "ab".into(),
                source: ElementId::new("a"),
                target: ElementId::new("b"),
                ..Flow::default()
            }),
            Edit::AddRelation(Relation {
                id: RelationId::new("a-uses-b"),
                kind: "generic.uses".into(),
                source: ElementId::new("a"),
                target: ElementId::new("b"),
                props: Default::default(),
            }),
        ] {
            e.apply(&mut m).expect("setup edit");
        }
        m
    }

    #[test]
    fn every_edit_is_undone_exactly_by_its_inverse() {
        let edits = vec![
            Edit::RemoveElement(ElementId::new("a")),
            Edit::RemoveBoundary(BoundaryId::new("outer")),
            Edit::RemoveBoundary(BoundaryId::new("inner")),
            Edit::MoveElement(ElementId::new("b"), (5.0, 6.0)),
            Edit::SetElementProp(
                ElementId::new("a"),
                "validates_input".into(),
                Some(Value::Bool(true)),
            ),
            Edit::SetElementBoundary(ElementId::new("b"), Some(BoundaryId::new("outer"))),
            Edit::SetFlowProp(
                FlowId::new("ab"),
                "encrypted".into(),
                Some(Value::Bool(true)),
            ),
            Edit::SetTriage(
                ThreatId::new("X@element:a"),
                Some(Triage {
                    status: Status::Mitigated,
                    ..Triage::default()
                }),
            ),
            Edit::RemoveFlow(FlowId::new("ab")),
            Edit::RemoveRelation(RelationId::new("a-uses-b")),
            Edit::SetBoundaryProp(
                BoundaryId::new("outer"),
                "firewall".into(),
                Some(Value::list(["b", "a", "b"])),
            ),
            Edit::AddRelation(Relation {
                id: RelationId::new("b-uses-a"),
                kind: "generic.uses".into(),
                source: ElementId::new("b"),
                target: ElementId::new("a"),
                props: Default::default(),
            }),
            Edit::Batch(vec![
                Edit::RemoveElement(ElementId::new("b")),
                Edit::AddElement(el("c", Some("outer"))),
            ]),
        ];
        for e in edits {
            let before = base();
            let mut m = before.clone();
            let inv = e.clone().apply(&mut m).expect("edit applies");
            assert_ne!(m, before, "{e:?} changed nothing");
            inv.apply(&mut m).expect("inverse applies");
            assert_eq!(m, before, "undo of {e:?} is not exact");
        }
    }

    #[test]
    fn removing_an_element_removes_its_flows() {
        let mut m = base();
        Edit::RemoveElement(ElementId::new("b"))
            .apply(&mut m)
            .expect("remove");
        assert!(m.flows.is_empty());
        assert!(m.relations.is_empty());
    }

    #[test]
    fn a_relation_needs_both_ends() {
        let mut m = base();
        let r = Relation {
            id: RelationId::new("dangling"),
            kind: "generic.uses".into(),
            source: ElementId::new("a"),
            target: ElementId::new("nope"),
            props: Default::default(),
        };
        assert!(matches!(
            Edit::AddRelation(r).apply(&mut m),
            Err(EditError::Missing("element", _))
        ));
    }

    #[test]
    fn removing_a_boundary_moves_members_and_children_to_its_parent() {
        let mut m = base();
        Edit::RemoveBoundary(BoundaryId::new("inner"))
            .apply(&mut m)
            .expect("remove");
        assert_eq!(m.elements["a"].boundary, Some(BoundaryId::new("outer")));
        let mut m = base();
        Edit::RemoveBoundary(BoundaryId::new("outer"))
            .apply(&mut m)
            .expect("remove");
        assert_eq!(m.boundaries["inner"].parent, None);
    }

    #[test]
    fn a_failing_batch_leaves_the_model_unchanged() {
        let before = base();
        let mut m = before.clone();
        let r = Edit::Batch(vec![
            Edit::MoveElement(ElementId::new("a"), (9.0, 9.0)),
            Edit::RemoveElement(ElementId::new("nope")),
        ])
        .apply(&mut m);
        assert!(r.is_err());
        assert_eq!(m, before);
    }

    #[test]
    fn a_boundary_cannot_become_its_own_ancestor() {
        let mut m = base();
        let mut outer = m.boundaries["outer"].clone();
        outer.parent = Some(BoundaryId::new("inner"));
        assert_eq!(
            Edit::ReplaceBoundary(outer).apply(&mut m),
            Err(EditError::Cycle("outer".into()))
        );
    }

    #[test]
    fn duplicate_and_invalid_ids_are_refused() {
        let mut m = base();
        assert!(matches!(
            Edit::AddElement(el("a", None)).apply(&mut m),
            Err(EditError::Duplicate(..))
        ));
        assert!(matches!(
            Edit::AddElement(el("has space", None)).apply(&mut m),
            Err(EditError::InvalidId(..))
        ));
    }
}
