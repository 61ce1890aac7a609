//! The exports as they were first written: a `serde_json::Value` tree per document,
//! pretty-printed (its maps sort their keys). Kept for the tests only, as the reference
//! the typed writers must match byte for byte.

use super::otm::{DIAGRAM, OTM_VERSION, OUTSIDE, impact, kind_key};
use super::tdragon::{TD_VERSION, bool_prop, cell_id, td_severity, td_status, text_prop};
use crate::analysis::{Analysis, Origin, Subject};
use crate::geometry;
use crate::import::{NOTE_DESCRIPTION, is_note};
use crate::model::{Boundary, Model, Props, Severity, Status, SubjectRef, Triage, Value};
use crate::report;
use crate::rules::{BaseShape, Catalog};
use serde_json::{Map, Value as J, json};
use std::collections::BTreeMap;

/// Element box size written to `representations` (the largest drawn).
const ELEM: (f64, f64) = (140.0, 70.0);

pub(crate) fn props_json(props: &Props) -> J {
    let mut m = Map::new();
    for (k, v) in props {
        m.insert(
            k.clone(),
            match v {
                Value::Bool(b) => J::Bool(*b),
                Value::Number(n) => num(*n),
                Value::Text(t) => J::String(t.clone()),
                Value::List(v) => J::Array(v.iter().cloned().map(J::String).collect()),
            },
        );
    }
    J::Object(m)
}

fn status_state(s: Status) -> &'static str {
    s.key()
}

fn likelihood(l: crate::model::Likelihood) -> f64 {
    match l {
        crate::model::Likelihood::Low => 25.0,
        crate::model::Likelihood::High => 100.0,
        crate::model::Likelihood::Medium => 50.0,
    }
}

pub(crate) fn triage_json(t: &Triage) -> J {
    json!({
        "status": t.status.key(),
        "severity": t.severity.map(|s| s.key()),
        "justification": t.justification,
        "owner": t.owner,
        "ticket": t.ticket,
        "reviewed_by": t.reviewed_by,
        "date": t.date,
        "kept_as_history": t.kept_as_history,
        "subject_name": t.subject_name,
        "cvss": t.cvss,
    })
}

fn subject_key(s: &SubjectRef) -> String {
    match s {
        SubjectRef::Element(e) => format!("element:{e}"),
        SubjectRef::Flow(f) => format!("flow:{f}"),
        SubjectRef::Boundary(b) => format!("boundary:{b}"),
        SubjectRef::Model => "model".into(),
    }
}

fn rect_origin(model: &Model, parent: Option<&crate::model::BoundaryId>) -> (f64, f64) {
    parent
        .and_then(|p| model.boundaries.get(p))
        .map(|b| (b.rect.0, b.rect.1))
        .unwrap_or((0.0, 0.0))
}

fn representation(id: &str, pos: (f64, f64), size: (f64, f64)) -> J {
    json!([{
        "representation": DIAGRAM,
        "id": format!("{id}-shape"),
        "position": {"x": num(pos.0), "y": num(pos.1)},
        "size": {"width": num(size.0), "height": num(size.1)},
    }])
}

fn description_of(props: &Props) -> Option<String> {
    match props.get(NOTE_DESCRIPTION) {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

pub(crate) fn otm_document(model: &Model, catalog: &Catalog, analysis: &Analysis) -> J {
    let md = &model.metadata;
    let project_id = {
        let s: String = md
            .title
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let s = s.trim_matches('-').to_owned();
        if s.is_empty() {
            "palisade-model".to_owned()
        } else {
            s
        }
    };
    let project = json!({
        "name": if md.title.is_empty() { "Untitled model" } else { md.title.as_str() },
        "id": project_id,
        "description": md.description,
        "owner": md.owner,
        "attributes": {"palisade": {
            "title": md.title,
            "reviewers": md.reviewers,
            "doc_version": md.doc_version,
            "date": md.date,
            "templates": md.templates,
        }},
    });
    // Threat instances per subject, filled while the threats are written.
    let mut instances: BTreeMap<String, Vec<J>> = BTreeMap::new();
    let mut threats: Vec<J> = Vec::new();
    let mut mitigation_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut mitigation_of = |text: &str| -> String {
        let n = mitigation_ids.len() + 1;
        mitigation_ids
            .entry(text.to_owned())
            .or_insert_with(|| format!("mitigation-{n}"))
            .clone()
    };
    let viewer = report::Viewer::new(model, catalog, analysis);
    for t in &analysis.threats {
        let v = viewer.view(t);
        let triage = t.triage(model);
        let status = viewer.status(t);
        let mitigations: Vec<J> = v
            .mitigations
            .iter()
            .map(|m| {
                json!({
                    "mitigation": mitigation_of(m),
                    "state": if status == Status::Mitigated { "implemented" } else { "recommended" },
                })
            })
            .collect();
        let subject_key = match &t.subject {
            Subject::Element(e) => format!("element:{e}"),
            Subject::Flow(f) | Subject::Crossing(f, _) => format!("flow:{f}"),
            Subject::Boundary(b) => format!("boundary:{b}"),
            Subject::Model => "model".into(),
        };
        instances
            .entry(subject_key.clone())
            .or_default()
            .push(json!({
                "threat": t.id.as_str(),
                "state": status_state(status),
                "mitigations": mitigations,
            }));
        let mut pal = Map::new();
        match &t.origin {
            Origin::Rule(_) => {
                pal.insert("rule".into(), J::String(v.rule_id.clone()));
                if let Subject::Crossing(_, b) = &t.subject {
                    pal.insert("crossing".into(), J::String(b.to_string()));
                }
            }
            Origin::Manual => {
                if let Some(mt) = model.manual_threats.get(&t.id) {
                    pal.insert("manual".into(), J::Bool(true));
                    pal.insert("subject".into(), J::String(self::subject_key(&mt.subject)));
                    pal.insert("severity".into(), J::String(mt.severity.key().into()));
                    pal.insert("mitigations".into(), json!(mt.mitigations));
                    pal.insert("title".into(), J::String(mt.title.clone()));
                    pal.insert("description".into(), J::String(mt.description.clone()));
                    if !mt.cvss.trim().is_empty() {
                        pal.insert("cvss".into(), J::String(mt.cvss.trim().to_owned()));
                    }
                }
            }
        }
        if let Some(tr) = triage {
            pal.insert("triage".into(), triage_json(tr));
        }
        let cwes: Vec<&String> = v
            .references
            .iter()
            .filter(|r| r.starts_with("CWE-"))
            .collect();
        let mut threat = json!({
            "id": t.id.as_str(),
            "name": v.title,
            "description": v.description,
            "categories": [t.category.label()],
            "cwes": cwes,
            "risk": {
                "likelihood": likelihood(v.likelihood),
                "impact": impact(t.severity(model)),
            },
            "attributes": {"palisade": J::Object(pal)},
        });
        if !v.why.is_empty()
            && let Some(r) = threat.get_mut("risk").and_then(J::as_object_mut)
        {
            r.insert("likelihoodComment".into(), J::String(v.why.join("; ")));
        }
        threats.push(threat);
    }
    // Triage records whose threat is gone are kept too, so nothing the reviewer decided
    // is lost on the way out and back.
    for id in &analysis.orphans {
        if let Some(tr) = model.triage.get(id) {
            threats.push(json!({
                "id": id.as_str(),
                "name": format!("Orphaned triage record {id}"),
                "description": "A triage record whose threat no longer exists in the model.",
                "risk": {"likelihood": J::Null, "impact": impact(tr.severity.unwrap_or(Severity::Low))},
                "attributes": {"palisade": {"orphan": true, "triage": triage_json(tr)}},
            }));
        }
    }
    // Trust zones.
    let mut zones: Vec<J> = Vec::new();
    let needs_outside = model.elements.values().any(|e| {
        e.boundary
            .as_ref()
            .is_none_or(|b| !model.boundaries.contains_key(b))
    });
    let zone_parent = |b: &Boundary| -> Option<String> {
        b.parent
            .as_ref()
            .filter(|p| model.boundaries.contains_key(*p))
            .map(|p| p.to_string())
    };
    for b in model.boundaries.values() {
        let parent = zone_parent(b);
        let (ox, oy) = rect_origin(model, parent.as_deref().map(Into::into).as_ref());
        let mut z = json!({
            "id": b.id.as_str(),
            "name": b.name,
            "type": kind_key(b.kind),
            "risk": {"trustRating": f64::from(b.trust) * 10.0},
            "representations": representation(b.id.as_str(), (b.rect.0 - ox, b.rect.1 - oy), (b.rect.2, b.rect.3)),
            "attributes": {"palisade": {
                "kind": format!("{:?}", b.kind), "trust": b.trust, "props": props_json(&b.props),
            }},
        });
        if let (Some(p), Some(o)) = (parent, z.as_object_mut()) {
            o.insert("parent".into(), json!({"trustZone": p}));
        }
        if let Some(list) = instances.get(&format!("boundary:{}", b.id))
            && let Some(o) = z.as_object_mut()
        {
            o.insert(
                "attributes".into(),
                json!({"palisade": {
                    "kind": format!("{:?}", b.kind), "trust": b.trust,
                    "props": props_json(&b.props), "threats": list,
                }}),
            );
        }
        zones.push(z);
    }
    if needs_outside {
        zones.push(json!({
            "id": OUTSIDE,
            "name": "Outside every boundary",
            "type": "palisade-outside",
            "description": "Holds the components that sit in no trust boundary in Palisade (every OTM component needs a parent).",
            "risk": {"trustRating": 0.0},
            "attributes": {"palisade": {"outside": true}},
        }));
    }
    // Components.
    let mut components: Vec<J> = Vec::new();
    for e in model.elements.values() {
        let parent = e
            .boundary
            .as_ref()
            .filter(|b| model.boundaries.contains_key(*b));
        let (ox, oy) = rect_origin(model, parent);
        let pos = (e.pos.0 - ELEM.0 / 2.0 - ox, e.pos.1 - ELEM.1 / 2.0 - oy);
        let mut c = json!({
            "id": e.id.as_str(),
            "name": e.name,
            "type": e.kind,
            "parent": {"trustZone": parent.map(|p| p.as_str()).unwrap_or(OUTSIDE)},
            "representations": representation(e.id.as_str(), pos, ELEM),
            "threats": instances.get(&format!("element:{}", e.id)).cloned().unwrap_or_default(),
            "attributes": {"palisade": {
                "props": props_json(&e.props),
                "provenance": e.provenance,
            }},
        });
        let plain: Props = e
            .props
            .iter()
            .filter(|(k, _)| !is_note(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(o) = c.as_object_mut() {
            if let Some(d) = description_of(&e.props) {
                o.insert("description".into(), J::String(d));
            }
            let tags: Vec<String> = plain
                .iter()
                .map(|(k, v)| format!("{k}={}", v.display().trim_matches('"')))
                .collect();
            o.insert("tags".into(), json!(tags));
        }
        components.push(c);
    }
    // Dataflows.
    let mut flows: Vec<J> = Vec::new();
    for f in model.flows.values() {
        let mut d = json!({
            "id": f.id.as_str(),
            "name": f.name,
            "source": f.source.as_str(),
            "destination": f.target.as_str(),
            "bidirectional": false,
            "threats": instances.get(&format!("flow:{}", f.id)).cloned().unwrap_or_default(),
            "attributes": {"palisade": {
                "props": props_json(&f.props),
                "channel": f.channel,
            }},
        });
        if let (Some(desc), Some(o)) = (description_of(&f.props), d.as_object_mut()) {
            o.insert("description".into(), J::String(desc));
        }
        flows.push(d);
    }
    let model_threats = instances.get("model").cloned().unwrap_or_default();
    let mut project = project;
    // Relations have no OTM counterpart: they travel in Palisade's own attributes.
    if !model.relations.is_empty()
        && let Some(a) = project
            .get_mut("attributes")
            .and_then(|a| a.get_mut("palisade"))
            .and_then(J::as_object_mut)
    {
        let rels: Vec<J> = model
            .relations
            .values()
            .map(|r| {
                json!({
                    "id": r.id.as_str(), "kind": r.kind, "source": r.source.as_str(),
                    "target": r.target.as_str(), "props": props_json(&r.props),
                })
            })
            .collect();
        a.insert("relations".into(), J::Array(rels));
    }
    // Controls and the risk scale likewise (serde's own shape of the model's types).
    if let Some(a) = project
        .get_mut("attributes")
        .and_then(|a| a.get_mut("palisade"))
        .and_then(J::as_object_mut)
    {
        if !model.controls.is_empty() {
            let cs: Vec<&crate::model::Control> = model.controls.values().collect();
            if let Ok(v) = serde_json::to_value(cs) {
                a.insert("controls".into(), v);
            }
        }
        if !md.risk_matrix.is_default()
            && let Ok(v) = serde_json::to_value(md.risk_matrix)
        {
            a.insert("risk_matrix".into(), v);
        }
    }
    if !model_threats.is_empty()
        && let Some(a) = project
            .get_mut("attributes")
            .and_then(|a| a.get_mut("palisade"))
            .and_then(J::as_object_mut)
    {
        a.insert("threats".into(), J::Array(model_threats));
    }
    let mut mitigations: Vec<(String, String)> =
        mitigation_ids.into_iter().map(|(t, id)| (id, t)).collect();
    mitigations.sort_by_key(|(id, _)| {
        id.trim_start_matches("mitigation-")
            .parse::<usize>()
            .unwrap_or(0)
    });
    let mitigations: Vec<J> = mitigations
        .into_iter()
        .map(|(id, text)| json!({"id": id, "name": text, "description": text, "riskReduction": 50.0}))
        .collect();
    json!({
        "otmVersion": OTM_VERSION,
        "project": project,
        "representations": [{"name": "Palisade diagram", "id": DIAGRAM, "type": "diagram"}],
        "trustZones": zones,
        "components": components,
        "dataflows": flows,
        "threats": threats,
        "mitigations": mitigations,
    })
}

pub(crate) fn tdragon_document(model: &Model, catalog: &Catalog, analysis: &Analysis) -> J {
    // Threats per subject cell.
    let mut on: BTreeMap<String, Vec<J>> = BTreeMap::new();
    let mut open_on: BTreeMap<String, bool> = BTreeMap::new();
    let mut system: Vec<String> = Vec::new();
    let viewer = report::Viewer::new(model, catalog, analysis);
    for (n, t) in analysis.threats.iter().enumerate() {
        let v = viewer.view(t);
        let status = viewer.status(t);
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

/// A finite number as JSON (non-finite coordinates become 0, which validation of the
/// model reports anyway).
pub(crate) fn num(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(if x.is_finite() { x } else { 0.0 })
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}
