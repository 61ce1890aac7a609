//! Keeping a reviewed model and its manifests together: [`merge`] re-imports into a model
//! a reviewer already worked on, [`drift`] lists where a drawn model and the manifests
//! disagree. Both are pure functions of models (no IO).
//!
//! An item counts as imported when the importer marks it: an element with provenance
//! (every imported element records at least where its kind came from), a flow with a
//! `note.source`, a relation whose two ends are imported elements. Everything else was
//! drawn by hand and is never touched.

use super::NOTE_SOURCE;
use crate::model::{BoundaryId, Element, ElementId, Model};
use crate::rules::Catalog;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Whether the importer made this element.
pub fn is_imported(e: &Element) -> bool {
    !e.provenance.is_empty()
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MergeOutcome {
    /// Elements, flows and relations new in the manifests (ids).
    pub added: Vec<String>,
    /// Imported items no longer in the manifests (ids): removed with `prune`, else kept.
    pub missing: Vec<String>,
    /// Whether `missing` items were removed.
    pub pruned: bool,
}

/// Merges a fresh import into `existing`. Kept from `existing`: names, kinds, boundary
/// membership, positions and rectangles, triage, manual threats, metadata, every
/// hand-drawn element, flow and relation, and properties the importer does not derive.
/// Taken from `imported`: every derived property value (and its provenance), boundary
/// properties, new items (placed below what their boundary already holds). Imported
/// items that disappeared are listed in [`MergeOutcome::missing`] and removed only when
/// `prune` is set (their triage then becomes orphaned; it is never dropped).
pub fn merge(existing: &Model, imported: &Model, prune: bool) -> (Model, MergeOutcome) {
    let mut out = existing.clone();
    let mut res = MergeOutcome {
        pruned: prune,
        ..Default::default()
    };
    out.metadata.sources = imported.metadata.sources.clone();
    out.metadata.source_format = imported.metadata.source_format.clone();
    // Boundaries: new ones come with their laid-out rectangle, shifted below the model.
    let bottom = existing
        .boundaries
        .values()
        .map(|b| b.rect.1 + b.rect.3)
        .chain(existing.elements.values().map(|e| e.pos.1 + 50.0))
        .fold(0.0f64, f64::max);
    let top_new = imported
        .boundaries
        .values()
        .filter(|b| !existing.boundaries.contains_key(&b.id))
        .map(|b| b.rect.1)
        .fold(f64::INFINITY, f64::min);
    let dy = if top_new.is_finite() {
        bottom + 60.0 - top_new
    } else {
        0.0
    };
    let mut new_boundaries: BTreeSet<BoundaryId> = BTreeSet::new();
    for b in imported.boundaries.values() {
        match out.boundaries.get_mut(&b.id) {
            Some(ob) => {
                for (k, v) in &b.props {
                    ob.props.insert(k.clone(), v.clone());
                }
            }
            None => {
                let mut nb = b.clone();
                nb.rect.1 += dy;
                new_boundaries.insert(nb.id.clone());
                out.boundaries.insert(nb.id.clone(), nb);
                res.added.push(format!("boundary {}", b.id));
            }
        }
    }
    // Elements.
    let mut rows: BTreeMap<BoundaryId, usize> = BTreeMap::new();
    for e in imported.elements.values() {
        match out.elements.get_mut(&e.id) {
            Some(oe) => {
                // Properties the previous import derived but this one does not: gone.
                let stale: Vec<String> = oe
                    .provenance
                    .keys()
                    .filter(|k| !e.provenance.contains_key(*k))
                    .cloned()
                    .collect();
                for k in stale {
                    oe.props.remove(&k);
                    oe.provenance.remove(&k);
                }
                for (k, v) in &e.props {
                    oe.props.insert(k.clone(), v.clone());
                }
                oe.provenance = e.provenance.clone();
            }
            None => {
                let mut ne = e.clone();
                match ne.boundary.clone() {
                    Some(b) if new_boundaries.contains(&b) => ne.pos.1 += dy,
                    Some(b) if existing.boundaries.contains_key(&b) => {
                        // Below what the boundary holds; the boundary grows to fit.
                        let n = rows.entry(b.clone()).or_default();
                        if let Some(ob) = out.boundaries.get_mut(&b) {
                            let per_row = ((ob.rect.2 - 40.0) / 170.0).floor().max(1.0) as usize;
                            let (col, row) = (*n % per_row, *n / per_row);
                            if col == 0 {
                                ob.rect.3 += 110.0;
                            }
                            ne.pos = (
                                ob.rect.0 + 100.0 + col as f64 * 170.0,
                                ob.rect.1 + ob.rect.3 - 60.0 + 0.0 * row as f64,
                            );
                            let grown = (ob.rect.1 + ob.rect.3, ob.parent.clone());
                            grow_ancestors(&mut out, grown.1, grown.0);
                        }
                        *n += 1;
                    }
                    _ => ne.pos.1 += dy,
                }
                res.added.push(format!("element {}", e.id));
                out.elements.insert(ne.id.clone(), ne);
            }
        }
    }
    let gone: Vec<ElementId> = existing
        .elements
        .values()
        .filter(|e| is_imported(e) && !imported.elements.contains_key(&e.id))
        .map(|e| e.id.clone())
        .collect();
    // Flows.
    for f in imported.flows.values() {
        match out.flows.get_mut(&f.id) {
            Some(of) => {
                for (k, v) in &f.props {
                    of.props.insert(k.clone(), v.clone());
                }
            }
            None => {
                if out.elements.contains_key(&f.source) && out.elements.contains_key(&f.target) {
                    res.added.push(format!("flow {}", f.id));
                    out.flows.insert(f.id.clone(), f.clone());
                }
            }
        }
    }
    let gone_flows: Vec<_> = existing
        .flows
        .values()
        .filter(|f| f.props.contains_key(NOTE_SOURCE) && !imported.flows.contains_key(&f.id))
        .map(|f| f.id.clone())
        .collect();
    // Relations.
    for r in imported.relations.values() {
        if !out.relations.contains_key(&r.id)
            && out.elements.contains_key(&r.source)
            && out.elements.contains_key(&r.target)
        {
            res.added.push(format!("relation {}", r.id));
            out.relations.insert(r.id.clone(), r.clone());
        }
    }
    let imported_end = |id: &ElementId| existing.elements.get(id).is_some_and(is_imported);
    let gone_rel: Vec<_> = existing
        .relations
        .values()
        .filter(|r| {
            imported_end(&r.source)
                && imported_end(&r.target)
                && !imported.relations.contains_key(&r.id)
        })
        .map(|r| r.id.clone())
        .collect();
    res.missing
        .extend(gone.iter().map(|i| format!("element {i}")));
    res.missing
        .extend(gone_flows.iter().map(|i| format!("flow {i}")));
    res.missing
        .extend(gone_rel.iter().map(|i| format!("relation {i}")));
    if prune {
        for id in &gone {
            out.elements.remove(id);
            out.flows.retain(|_, f| &f.source != id && &f.target != id);
            out.relations
                .retain(|_, r| &r.source != id && &r.target != id);
        }
        for id in &gone_flows {
            out.flows.remove(id);
        }
        for id in &gone_rel {
            out.relations.remove(id);
        }
    }
    res.added.sort();
    res.missing.sort();
    (out, res)
}

fn grow_ancestors(m: &mut Model, mut parent: Option<BoundaryId>, mut bottom: f64) {
    let mut guard = 0;
    while let Some(p) = parent {
        guard += 1;
        if guard > 64 {
            break;
        }
        let Some(b) = m.boundaries.get_mut(&p) else {
            break;
        };
        if b.rect.1 + b.rect.3 < bottom + 30.0 {
            b.rect.3 = bottom + 30.0 - b.rect.1;
        }
        bottom = b.rect.1 + b.rect.3;
        parent = b.parent.clone();
    }
}

/// One disagreement between a drawn model and the manifests.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Drift {
    /// In the manifests, not in the model.
    OnlyInManifests {
        /// Id the importer gives it.
        id: String,
        /// Its name.
        name: String,
        /// Its stencil kind.
        element_kind: String,
    },
    /// In the model, of a kind the manifests describe, but not in them.
    OnlyInModel {
        /// Its id in the model.
        id: String,
        /// Its name.
        name: String,
        /// Its stencil kind.
        element_kind: String,
    },
    /// A derived property whose value differs.
    Property {
        /// Id in the model.
        id: String,
        /// Name.
        name: String,
        /// Property name.
        property: String,
        /// The model's value (set, or the stencil default).
        model: String,
        /// The manifests' value.
        manifests: String,
        /// Where the manifests say it.
        from: String,
    },
}

impl Drift {
    /// One readable line.
    pub fn line(&self) -> String {
        match self {
            Drift::OnlyInManifests {
                name,
                element_kind,
                id,
            } => {
                format!("only in the manifests: {name} ({element_kind}, {id})")
            }
            Drift::OnlyInModel {
                name,
                element_kind,
                id,
            } => {
                format!("only in the model: {name} ({element_kind}, {id})")
            }
            Drift::Property {
                name,
                property,
                model,
                manifests,
                from,
                ..
            } => {
                format!(
                    "{name}: {property} is {model} in the model, {manifests} in the manifests ({from})"
                )
            }
        }
    }
}

/// Kinds the manifests of a format describe (a model element of another kind, such as
/// an API server, is not expected in them).
fn described(cat: &Catalog, kind: &str, format: &str) -> bool {
    let names: Vec<String> = match format {
        "compose" => vec!["docker.container".into(), "docker.volume".into()],
        _ => [
            "k8s.workload",
            "k8s.service-account",
            "k8s.role",
            "k8s.rbac-binding",
            "k8s.secret",
            "k8s.configmap",
            "k8s.network-policy",
            "k8s.ingress",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
    };
    cat.kind_matches(kind, &names)
}

/// Where `model` and `imported` (a fresh import of the manifests) disagree: elements in
/// one and not the other (matched by id, else by name and kind family), and every
/// derived property whose value differs (the model's stencil default counts when it
/// does not set the property). Sorted; empty when they agree.
pub fn drift(model: &Model, imported: &Model, cat: &Catalog, format: &str) -> Vec<Drift> {
    let family = |k: &str| -> String {
        if cat.kind_matches(k, &["k8s.workload".to_owned()]) {
            "k8s.workload".into()
        } else {
            k.to_owned()
        }
    };
    let mut out = Vec::new();
    let mut matched: BTreeSet<ElementId> = BTreeSet::new();
    for ie in imported
        .elements
        .values()
        .filter(|e| described(cat, &e.kind, format))
    {
        let me = model
            .elements
            .get(&ie.id)
            .filter(|m| family(&m.kind) == family(&ie.kind))
            .or_else(|| {
                let cands: Vec<&Element> = model
                    .elements
                    .values()
                    .filter(|m| {
                        !matched.contains(&m.id)
                            && m.name == ie.name
                            && family(&m.kind) == family(&ie.kind)
                    })
                    .collect();
                if cands.len() <= 1 {
                    return cands.first().copied();
                }
                // Several of that name: the one in a boundary of the same name (namespace).
                let bname = ie
                    .boundary
                    .as_ref()
                    .and_then(|b| imported.boundaries.get(b))
                    .map(|b| b.name.clone());
                cands.into_iter().find(|m| {
                    m.boundary
                        .as_ref()
                        .and_then(|b| model.boundaries.get(b))
                        .map(|b| b.name.clone())
                        == bname
                })
            });
        let Some(me) = me else {
            out.push(Drift::OnlyInManifests {
                id: ie.id.to_string(),
                name: ie.name.clone(),
                element_kind: ie.kind.clone(),
            });
            continue;
        };
        matched.insert(me.id.clone());
        let stencil = cat.stencil(&me.kind);
        for (p, iv) in &ie.props {
            let mv = me
                .props
                .get(p)
                .cloned()
                .or_else(|| stencil.and_then(|s| s.prop(p)).map(|s| s.default.clone()));
            if mv.as_ref() != Some(iv) {
                out.push(Drift::Property {
                    id: me.id.to_string(),
                    name: me.name.clone(),
                    property: p.clone(),
                    model: mv.map(|v| v.display()).unwrap_or_else(|| "not set".into()),
                    manifests: iv.display(),
                    from: ie.provenance.get(p).cloned().unwrap_or_default(),
                });
            }
        }
    }
    for me in model.elements.values() {
        if described(cat, &me.kind, format) && !matched.contains(&me.id) {
            out.push(Drift::OnlyInModel {
                id: me.id.to_string(),
                name: me.name.clone(),
                element_kind: me.kind.clone(),
            });
        }
    }
    let key = |d: &Drift| match d {
        Drift::OnlyInModel { id, .. } => (0, id.clone(), String::new()),
        Drift::OnlyInManifests { id, .. } => (1, id.clone(), String::new()),
        Drift::Property { id, property, .. } => (2, id.clone(), property.clone()),
    };
    out.sort_by_key(key);
    out
}
