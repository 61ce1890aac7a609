//! OWASP Threat Dragon v2 JSON: one STRIDE diagram with the model's boundaries as
//! boundary boxes (behind everything, outermost first), elements as actors, processes
//! and stores at their positions, flows attached to their cells, and every threat
//! (generated and manual) on its subject with its triage status. Threats about the
//! whole system, which Threat Dragon has no place for, are listed in the summary.

use super::num;
use crate::analysis::{Analysis, Subject};
use crate::geometry;
use crate::import::NOTE_DESCRIPTION;
use crate::model::{Model, Severity, Status, Value};
use crate::report;
use crate::rules::{BaseShape, Catalog};
use serde_json::{Value as J, json};
use std::collections::BTreeMap;

/// The Threat Dragon version the file claims.
const TD_VERSION: &str = "2.2.0";

fn td_status(s: Status) -> &'static str {
    match s {
        Status::Open | Status::NeedsInvestigation => "Open",
        Status::Mitigated => "Mitigated",
        Status::AcceptedRisk => "Accepted",
        Status::NotApplicable => "NotApplicable",
        Status::Transferred => "Transferred",
    }
}

fn td_severity(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High | Severity::Critical => "High",
    }
}

/// A cell id: Threat Dragon wants at least two characters.
fn cell_id(id: &str) -> String {
    if id.chars().count() >= 2 {
        id.to_owned()
    } else {
        format!("cell-{id}")
    }
}

fn text_prop(p: &crate::model::Props, k: &str) -> String {
    match p.get(k) {
        Some(Value::Text(t)) => t.clone(),
        _ => String::new(),
    }
}
fn bool_prop(p: &crate::model::Props, k: &str) -> Option<bool> {
    match p.get(k) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

pub(crate) fn document(model: &Model, catalog: &Catalog, analysis: &Analysis) -> J {
    // Threats per subject cell.
    let mut on: BTreeMap<String, Vec<J>> = BTreeMap::new();
    let mut open_on: BTreeMap<String, bool> = BTreeMap::new();
    let mut system: Vec<String> = Vec::new();
    for (n, t) in analysis.threats.iter().enumerate() {
        let v = report::threat_view(model, catalog, t);
        let status = t.status(model);
        let sev = t.severity(model);
        let key = match &t.subject {
            Subject::Element(e) => format!("e:{e}"),
            Subject::Flow(f) | Subject::Crossing(f, _) => format!("f:{f}"),
            Subject::Boundary(b) => format!("b:{b}"),
            Subject::Model => {
                system.push(format!(
                    "- {} [{}; {}]: {}",
                    v.title,
                    sev.label(),
                    status.label(),
                    v.id
                ));
                continue;
            }
        };
        let mut description = v.description.clone();
        if sev == Severity::Critical {
            description = format!("[Critical] {description}");
        }
        if !v.why.is_empty() {
            description.push_str(&format!("\n\nWhy: {}", v.why.join("; ")));
        }
        if !v.justification.is_empty() {
            description.push_str(&format!("\n\nTriage: {}", v.justification));
        }
        on.entry(key.clone()).or_default().push(json!({
            "id": v.id,
            "threatId": v.id,
            "number": n + 1,
            "title": v.title,
            "type": t.category.label(),
            "modelType": "STRIDE",
            "status": td_status(status),
            "severity": td_severity(sev),
            "score": v.cvss,
            "description": description,
            "mitigation": v.mitigations.join("\n"),
        }));
        if status.is_untriaged() {
            open_on.insert(key, true);
        }
    }
    let mut cells: Vec<J> = Vec::new();
    // Boundaries, outermost first, behind everything.
    let mut bounds: Vec<(usize, &crate::model::Boundary)> = model
        .boundaries
        .values()
        .map(|b| (model.boundary_chain(Some(&b.id)).len(), b))
        .collect();
    bounds.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    for (depth, b) in &bounds {
        let key = format!("b:{}", b.id);
        cells.push(json!({
            "id": cell_id(b.id.as_str()),
            "shape": "trust-boundary-box",
            "zIndex": -(bounds.len() as i64) + *depth as i64 - 1,
            "position": {"x": num(b.rect.0), "y": num(b.rect.1)},
            "size": {"width": num(b.rect.2.max(10.0)), "height": num(b.rect.3.max(10.0))},
            "attrs": {"label": {"text": b.name}},
            "data": {
                "type": "tm.BoundaryBox",
                "name": b.name,
                "description": format!("Palisade boundary: {} (trust {})", b.kind.label(), b.trust),
                "isTrustBoundary": true,
                "hasOpenThreats": open_on.get(&key).copied().unwrap_or(false),
                "threats": on.get(&key).cloned().unwrap_or_default(),
            },
        }));
    }
    let mut z = 1i64;
    for e in model.elements.values() {
        let base = geometry::base_of(catalog, e);
        let (w, h) = geometry::element_size(base);
        let key = format!("e:{}", e.id);
        let (shape, ty) = match base {
            Some(BaseShape::Entity) => ("actor", "tm.Actor"),
            Some(BaseShape::Store) => ("store", "tm.Store"),
            _ => ("process", "tm.Process"),
        };
        let mut data = json!({
            "type": ty,
            "name": e.name,
            "description": format!("{}{}", text_prop(&e.props, NOTE_DESCRIPTION), if e.kind.starts_with("generic.") { String::new() } else { format!("\n\nPalisade kind: {}", e.kind) }).trim().to_owned(),
            "outOfScope": false,
            "reasonOutOfScope": "",
            "isTrustBoundary": false,
            "hasOpenThreats": open_on.get(&key).copied().unwrap_or(false),
            "threats": on.get(&key).cloned().unwrap_or_default(),
        });
        if let Some(o) = data.as_object_mut() {
            match shape {
                "store" => {
                    o.insert(
                        "isEncrypted".into(),
                        J::Bool(bool_prop(&e.props, "encrypted_at_rest").unwrap_or(false)),
                    );
                    o.insert(
                        "isSigned".into(),
                        J::Bool(bool_prop(&e.props, "integrity_checked").unwrap_or(false)),
                    );
                    o.insert("isALog".into(), J::Bool(false));
                    o.insert("storesCredentials".into(), J::Bool(false));
                }
                "actor" => {
                    o.insert("providesAuthentication".into(), J::Bool(false));
                }
                _ => {
                    o.insert("privilegeLevel".into(), J::String(String::new()));
                }
            }
        }
        cells.push(json!({
            "id": cell_id(e.id.as_str()),
            "shape": shape,
            "zIndex": z,
            "visible": true,
            "position": {"x": num(e.pos.0 - w / 2.0), "y": num(e.pos.1 - h / 2.0)},
            "size": {"width": num(w), "height": num(h)},
            "attrs": {"text": {"text": e.name}},
            "data": data,
        }));
        z += 1;
    }
    let bends = geometry::flow_bends(model);
    for f in model.flows.values() {
        let key = format!("f:{}", f.id);
        let crosses_internet = {
            let chain = |id: &crate::model::ElementId| {
                let b = model.elements.get(id).and_then(|e| e.boundary.clone());
                model.boundary_chain(b.as_ref())
            };
            let (a, b) = (chain(&f.source), chain(&f.target));
            a.iter()
                .chain(b.iter())
                .filter(|x| !(a.contains(x) && b.contains(x)))
                .any(|x| {
                    model
                        .boundaries
                        .get(x)
                        .is_some_and(|bb| bb.kind == crate::model::BoundaryKind::Internet)
                })
        };
        let mut vertices: Vec<J> = Vec::new();
        let bend = bends.get(&f.id).copied().unwrap_or(0.0);
        if bend != 0.0
            && let (Some(s), Some(t)) =
                (model.elements.get(&f.source), model.elements.get(&f.target))
        {
            let c = geometry::bend_control(s.pos, t.pos, bend);
            vertices.push(json!({"x": num(c.0), "y": num(c.1)}));
        }
        let mut description = text_prop(&f.props, NOTE_DESCRIPTION);
        let extra: Vec<String> = f
            .props
            .iter()
            .filter(|(k, _)| !k.starts_with("note.") && *k != "protocol" && *k != "encrypted")
            .map(|(k, v)| format!("{k} = {}", v.display()))
            .collect();
        if !extra.is_empty() {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(&format!("Palisade: {}", extra.join(", ")));
        }
        cells.push(json!({
            "id": cell_id(f.id.as_str()),
            "shape": "flow",
            "zIndex": z,
            "connector": "smooth",
            "width": 200,
            "height": 100,
            "source": {"cell": cell_id(f.source.as_str())},
            "target": {"cell": cell_id(f.target.as_str())},
            "vertices": vertices,
            "labels": [f.name],
            "attrs": {"line": {"stroke": "#333333", "strokeWidth": 1, "targetMarker": {"name": "block"}, "sourceMarker": {"name": ""}}},
            "data": {
                "type": "tm.Flow",
                "name": f.name,
                "description": description,
                "protocol": text_prop(&f.props, "protocol"),
                "isEncrypted": bool_prop(&f.props, "encrypted").unwrap_or(false),
                "isPublicNetwork": crosses_internet,
                "isBidirectional": false,
                "outOfScope": false,
                "reasonOutOfScope": "",
                "isTrustBoundary": false,
                "hasOpenThreats": open_on.get(&key).copied().unwrap_or(false),
                "threats": on.get(&key).cloned().unwrap_or_default(),
            },
        }));
        z += 1;
    }
    let md = &model.metadata;
    let mut description = md.description.clone();
    if !system.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!(
            "Threats about the whole system:\n{}",
            system.join("\n")
        ));
    }
    json!({
        "version": TD_VERSION,
        "summary": {
            "title": if md.title.is_empty() { "Untitled model" } else { md.title.as_str() },
            "owner": md.owner,
            "description": description,
            "id": 0,
        },
        "detail": {
            "contributors": md.reviewers.iter().map(|r| json!({"name": r})).collect::<Vec<_>>(),
            "diagrams": [{
                "id": 0,
                "title": if md.title.is_empty() { "Main diagram" } else { md.title.as_str() },
                "diagramType": "STRIDE",
                "placeholder": "New STRIDE diagram description",
                "thumbnail": "./public/content/images/thumbnail.stride.jpg",
                "version": TD_VERSION,
                "description": "",
                "cells": cells,
            }],
            "diagramTop": 1,
            "reviewer": md.reviewers.first().cloned().unwrap_or_default(),
            "threatTop": analysis.threats.len(),
        },
    })
}
