//! Open Threat Model 0.2.0, JSON or YAML.
//!
//! Trust zones become boundaries (nested by `parent`), components elements (a component
//! inside another component sits in that component's boundary, with a note), dataflows
//! flows, and threat instances on components and dataflows manual threats with their
//! `state` as triage status. Files Palisade wrote carry `attributes.palisade`, read back
//! exactly: properties, boundary kinds, triage records, and which threats a rule makes
//! (those come back as triage only, because Palisade regenerates the threat itself).

use super::build::{
    Builder, L, Ns, SourceThreat, bid, eid, element, fid, one_line, status_of, stride_of,
};
use super::kinds::kind_for;
use super::notes::{SourceNote, set_description};
use super::{ImportError, Imported, json_error, yaml_error};
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, ElementId, Flow, Props, Severity, Status, Stride,
    SubjectRef, ThreatId, Triage, Value,
};
use serde::Deserialize;
use serde_json::Value as J;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Otm {
    #[serde(rename = "otmVersion")]
    otm_version: J,
    project: Project,
    #[serde(default)]
    assets: Option<Vec<Asset>>,
    #[serde(default, rename = "trustZones")]
    trust_zones: Option<Vec<Zone>>,
    #[serde(default)]
    components: Option<Vec<Component>>,
    #[serde(default)]
    dataflows: Option<Vec<Dataflow>>,
    #[serde(default)]
    threats: Option<Vec<Threat>>,
    #[serde(default)]
    mitigations: Option<Vec<Mitigation>>,
}

#[derive(Deserialize)]
struct Project {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default, rename = "ownerContact")]
    owner_contact: Option<String>,
    #[serde(default)]
    attributes: Option<J>,
}

#[derive(Deserialize)]
struct Asset {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    risk: Option<J>,
}

#[derive(Deserialize, Default, Clone)]
struct Parent {
    #[serde(default, rename = "trustZone")]
    trust_zone: Option<String>,
    #[serde(default)]
    component: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
struct Pt {
    x: f64,
    y: f64,
}
#[derive(Deserialize, Clone, Copy)]
struct Size {
    width: f64,
    height: f64,
}

#[derive(Deserialize, Clone)]
struct Repr {
    #[serde(default)]
    position: Option<Pt>,
    #[serde(default)]
    size: Option<Size>,
}

#[derive(Deserialize)]
struct Zone {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    risk: Option<J>,
    #[serde(default)]
    parent: Option<Parent>,
    #[serde(default)]
    representations: Option<Vec<Repr>>,
    #[serde(default)]
    attributes: Option<J>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize)]
struct Instance {
    threat: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    mitigations: Option<Vec<Option<MitigationInstance>>>,
}

#[derive(Deserialize)]
struct MitigationInstance {
    #[serde(default)]
    mitigation: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
struct Component {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parent: Option<Parent>,
    #[serde(default)]
    representations: Option<Vec<Repr>>,
    #[serde(default)]
    threats: Option<Vec<Instance>>,
    #[serde(default)]
    tags: Option<Vec<Option<String>>>,
    #[serde(default)]
    assets: Option<J>,
    #[serde(default)]
    attributes: Option<J>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize)]
struct Dataflow {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    bidirectional: Option<bool>,
    source: String,
    destination: String,
    #[serde(default)]
    assets: Option<Vec<Option<String>>>,
    #[serde(default)]
    threats: Option<Vec<Instance>>,
    #[serde(default)]
    tags: Option<Vec<Option<String>>>,
    #[serde(default)]
    attributes: Option<J>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize)]
struct Threat {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    categories: Option<Vec<Option<String>>>,
    #[serde(default)]
    cwes: Option<Vec<Option<String>>>,
    #[serde(default)]
    risk: Option<J>,
    #[serde(default)]
    attributes: Option<J>,
}

#[derive(Deserialize)]
struct Mitigation {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
}

/// A representation's position and size, when given.
type Placed = (Option<(f64, f64)>, Option<(f64, f64)>);

/// The `attributes.palisade` object of a Palisade-written item.
fn pal(attrs: &Option<J>) -> Option<&serde_json::Map<String, J>> {
    attrs.as_ref()?.get("palisade")?.as_object()
}

fn props_from(v: &J) -> Props {
    let mut p = Props::new();
    if let Some(o) = v.as_object() {
        for (k, x) in o {
            let val = match x {
                J::Bool(b) => Value::Bool(*b),
                J::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
                J::String(s) => Value::Text(s.clone()),
                J::Array(items) => Value::list(items.iter().filter_map(J::as_str)),
                _ => continue,
            };
            p.insert(k.clone(), val);
        }
    }
    p
}

fn triage_from(v: &J, id: &ThreatId) -> Triage {
    let s = |k: &str| v.get(k).and_then(J::as_str).unwrap_or("").to_owned();
    Triage {
        subject_name: s("subject_name"),
        threat: id.clone(),
        status: status_of(&s("status")).unwrap_or_default(),
        severity: v
            .get("severity")
            .and_then(J::as_str)
            .and_then(Severity::parse),
        justification: s("justification"),
        owner: s("owner"),
        ticket: s("ticket"),
        reviewed_by: s("reviewed_by"),
        date: s("date"),
        kept_as_history: v
            .get("kept_as_history")
            .and_then(J::as_bool)
            .unwrap_or(false),
        cvss: s("cvss"),
    }
}

/// A trust zone's kind from its type and name words.
pub(crate) fn zone_kind(text: &str) -> BoundaryKind {
    let w = super::kinds::words(text);
    let has = |xs: &[&str]| w.iter().any(|x| xs.contains(&x.as_str()));
    if has(&["internet", "public", "untrusted", "external", "wan"]) {
        BoundaryKind::Internet
    } else if has(&["namespace"]) {
        BoundaryKind::Namespace
    } else if has(&["cluster", "kubernetes", "k8s", "aks", "eks", "gke"]) {
        BoundaryKind::Cluster
    } else if has(&["registry"]) {
        BoundaryKind::Registry
    } else if has(&["container", "pod", "sandbox"]) {
        BoundaryKind::ContainerRuntime
    } else if has(&["host", "node", "vm", "machine", "server", "device"]) {
        BoundaryKind::Host
    } else if has(&[
        "cloud",
        "aws",
        "azure",
        "gcp",
        "account",
        "subscription",
        "tenant",
        "project",
    ]) {
        BoundaryKind::CloudAccount
    } else if has(&[
        "network",
        "zone",
        "dmz",
        "private",
        "lan",
        "vpc",
        "vnet",
        "subnet",
        "corporate",
        "intranet",
        "internal",
        "datacenter",
        "dc",
        "backend",
        "frontend",
    ]) {
        BoundaryKind::NetworkZone
    } else {
        BoundaryKind::Other
    }
}

pub(super) fn import(path: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = super::utf8(path, bytes)?;
    let body = text.trim_start();
    let doc: Otm = if body.starts_with('{') {
        serde_json::from_str(text).map_err(|e| json_error(path, "OTM", &e))?
    } else {
        serde_norway::from_str(text).map_err(|e| yaml_error(path, "OTM", &e))?
    };
    let version = match &doc.otm_version {
        J::String(s) => s.clone(),
        other => other.to_string(),
    };
    let project_name = doc.project.name.clone().unwrap_or_default();
    let mut b = Builder::new(
        path,
        if project_name.trim().is_empty() {
            "Imported OTM model"
        } else {
            &project_name
        },
    );
    if !version.starts_with("0.") {
        b.diag(
            L::Warning,
            "otm-version",
            format!(
                "otmVersion is `{version}`; Palisade reads OTM 0.2.0 and may miss newer fields"
            ),
        );
    }
    let md = &mut b.model.metadata;
    md.description = doc.project.description.clone().unwrap_or_default();
    md.owner = doc.project.owner.clone().unwrap_or_default();
    if let Some(c) = doc
        .project
        .owner_contact
        .as_ref()
        .filter(|c| !c.trim().is_empty())
    {
        md.owner = if md.owner.is_empty() {
            c.clone()
        } else {
            format!("{} <{}>", md.owner, c.trim())
        };
    }
    let mut project_threats: Vec<J> = Vec::new();
    if let Some(p) = pal(&doc.project.attributes) {
        let strings = |k: &str| -> Vec<String> {
            p.get(k)
                .and_then(J::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        md.reviewers = strings("reviewers");
        if let Some(t) = p.get("title").and_then(J::as_str) {
            md.title = t.to_owned();
        }
        md.templates = strings("templates");
        md.doc_version = p
            .get("doc_version")
            .and_then(J::as_str)
            .unwrap_or("")
            .to_owned();
        md.date = p.get("date").and_then(J::as_str).unwrap_or("").to_owned();
        if let Some(a) = p.get("threats").and_then(J::as_array) {
            project_threats = a.clone();
        }
    } else if let Some(a) = &doc.project.attributes
        && a.as_object().is_some_and(|o| !o.is_empty())
    {
        let line = format!("OTM project attributes: {a}");
        push_para(&mut md.description, &line);
    }
    if let Some(assets) = &doc.assets
        && !assets.is_empty()
    {
        let mut lines = vec!["OTM assets:".to_owned()];
        for a in assets {
            let mut l = format!("- {} ({})", one_line(&a.name), a.id);
            if let Some(d) = a.description.as_ref().filter(|d| !d.trim().is_empty()) {
                l.push_str(&format!(": {}", one_line(d)));
            }
            if let Some(r) = &a.risk {
                l.push_str(&format!(" risk {r}"));
            }
            lines.push(l);
        }
        push_para(&mut b.model.metadata.description, &lines.join("\n"));
    }

    // Trust zones.
    let zones = doc.trust_zones.as_deref().unwrap_or(&[]);
    let mut zone_ids: BTreeMap<String, BoundaryId> = BTreeMap::new();
    let mut outside: Option<String> = None;
    let mut zone_rel: BTreeMap<BoundaryId, Placed> = BTreeMap::new();
    let mut zone_parent_src: BTreeMap<BoundaryId, String> = BTreeMap::new();
    let mut boundary_threats: Vec<(BoundaryId, J)> = Vec::new();
    for z in zones {
        let p = pal(&z.attributes);
        if p.and_then(|p| p.get("outside")).and_then(J::as_bool) == Some(true) {
            outside = Some(z.id.clone());
            continue;
        }
        let id = bid(b.fresh_id(Ns::Boundary, &z.id, &z.name, "zone"));
        zone_ids.insert(z.id.clone(), id.clone());
        let ty = z.ty.clone().unwrap_or_default();
        let kind = p
            .and_then(|p| p.get("kind"))
            .and_then(|k| serde_json::from_value::<BoundaryKind>(k.clone()).ok())
            .unwrap_or_else(|| {
                let k = zone_kind(&ty);
                if k == BoundaryKind::Other {
                    zone_kind(&z.name)
                } else {
                    k
                }
            });
        let rating = z
            .risk
            .as_ref()
            .and_then(|r| r.get("trustRating"))
            .and_then(J::as_f64);
        let trust = p
            .and_then(|p| p.get("trust"))
            .and_then(J::as_u64)
            .map(|t| t.min(10) as u8)
            .unwrap_or_else(|| match rating {
                Some(r) if r.is_finite() => (r / 10.0).round().clamp(0.0, 10.0) as u8,
                _ => 5,
            });
        let repr = z.representations.as_ref().and_then(|r| r.first());
        zone_rel.insert(
            id.clone(),
            (
                repr.and_then(|r| r.position).map(|p| (p.x, p.y)),
                repr.and_then(|r| r.size).map(|s| (s.width, s.height)),
            ),
        );
        if let Some(pz) = z.parent.as_ref().and_then(|p| p.trust_zone.clone()) {
            zone_parent_src.insert(id.clone(), pz);
        }
        let mut note = SourceNote::default();
        if p.is_none() {
            note.add("type", &ty);
            if let Some(a) = &z.attributes {
                note.add_json("attributes", a);
            }
        }
        for (k, v) in &z.rest {
            note.add_json(k, v);
        }
        let name = match p {
            Some(_) => z.name.clone(),
            None if z.name.trim().is_empty() => z.id.clone(),
            None => one_line(&z.name),
        };
        if let Some(d) = z.description.as_ref().filter(|d| !d.trim().is_empty()) {
            push_para(
                &mut b.model.metadata.description,
                &format!("Trust zone {name}: {}", d.trim()),
            );
        }
        if let Some(t) = note.into_text(&format!("Trust zone {name} (OTM)")) {
            push_para(&mut b.model.metadata.description, &t);
        }
        if let Some(list) = p.and_then(|p| p.get("threats")).and_then(J::as_array) {
            for t in list {
                boundary_threats.push((id.clone(), t.clone()));
            }
        }
        b.add_boundary(Boundary {
            props: p
                .and_then(|p| p.get("props"))
                .map(props_from)
                .unwrap_or_default(),
            id,
            name,
            kind,
            trust,
            parent: None,
            rect: (0.0, 0.0, 0.0, 0.0),
        })?;
    }
    for (id, src) in &zone_parent_src {
        match zone_ids.get(src) {
            Some(p) if p != id => {
                if let Some(bb) = b.model.boundaries.get_mut(id) {
                    bb.parent = Some(p.clone());
                }
            }
            _ => b.diag(
                L::Warning,
                "dangling-parent",
                format!("trust zone `{id}` names parent `{src}`, which is not a trust zone; imported at the top level"),
            ),
        }
    }

    // Components.
    let comps = doc.components.as_deref().unwrap_or(&[]);
    let mut comp_ids: BTreeMap<String, ElementId> = BTreeMap::new();
    for c in comps {
        let id = eid(b.fresh_id(Ns::Element, &c.id, &c.name, "component"));
        comp_ids.insert(c.id.clone(), id);
    }
    let mut elem_rel: BTreeMap<ElementId, Placed> = BTreeMap::new();
    let mut comp_parent: BTreeMap<ElementId, String> = BTreeMap::new();
    let mut instances: Vec<(SubjectRef, &Instance)> = Vec::new();
    for c in comps {
        let Some(id) = comp_ids.get(&c.id).cloned() else {
            continue;
        };
        let p = pal(&c.attributes);
        let ty = c.ty.clone().unwrap_or_default();
        let kind = if p.is_some() && !ty.is_empty() {
            ty.clone()
        } else {
            let (k, known) = kind_for(&[&ty, &c.name], None);
            if !known {
                b.diag(
                    L::Info,
                    "unmapped-type",
                    format!("component `{}` has type `{}`, which has no Palisade stencil; imported as {k}", c.id, crate::model::truncate(&ty, 60)),
                );
            }
            k.to_owned()
        };
        let name = if c.name.trim().is_empty() {
            c.id.clone()
        } else {
            c.name.clone()
        };
        let mut e = element(id.clone(), &name, &kind, (0.0, 0.0));
        if p.is_some() {
            // Palisade wrote it: the name exactly as it was.
            e.name = c.name.clone();
        }
        let mut note = SourceNote::default();
        if let Some(prov) = p.and_then(|p| p.get("provenance")).and_then(J::as_object) {
            e.provenance = prov
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect();
        }
        match p.and_then(|p| p.get("props")) {
            Some(props) => e.props = props_from(props),
            None => {
                if let Some(d) = &c.description {
                    set_description(&mut e.props, d);
                }
                note.add("type", &ty);
                if let Some(tags) = &c.tags {
                    let t: Vec<&str> = tags.iter().flatten().map(String::as_str).collect();
                    note.add("tags", t.join(", "));
                }
                if let Some(a) = &c.assets {
                    note.add_json("assets", a);
                }
                if let Some(a) = &c.attributes {
                    note.add_json("attributes", a);
                }
                for (k, v) in &c.rest {
                    note.add_json(k, v);
                }
            }
        }
        let parent = c.parent.clone().unwrap_or_default();
        match (&parent.trust_zone, &parent.component) {
            (Some(z), _) if Some(z) == outside.as_ref() => {}
            (Some(z), _) => match zone_ids.get(z) {
                Some(zb) => e.boundary = Some(zb.clone()),
                None => b.diag(
                    L::Warning,
                    "dangling-parent",
                    format!("component `{}` names trust zone `{z}`, which does not exist; imported outside every boundary", c.id),
                ),
            },
            (None, Some(pc)) => {
                comp_parent.insert(id.clone(), pc.clone());
                note.add("inside component", pc);
            }
            (None, None) => {}
        }
        note.finish(&mut e.props, "OTM component");
        let repr = c.representations.as_ref().and_then(|r| r.first());
        elem_rel.insert(
            id.clone(),
            (
                repr.and_then(|r| r.position).map(|p| (p.x, p.y)),
                repr.and_then(|r| r.size).map(|s| (s.width, s.height)),
            ),
        );
        b.add_element(e)?;
        for t in c.threats.iter().flatten() {
            instances.push((SubjectRef::Element(id.clone()), t));
        }
    }
    // A component inside a component shares its parent's boundary.
    for (id, pc) in &comp_parent {
        let mut cur = pc.clone();
        let mut seen = 0usize;
        let home = loop {
            seen += 1;
            let Some(pid) = comp_ids.get(&cur) else {
                break None;
            };
            if seen > comps.len() {
                break None;
            }
            if let Some(el) = b.model.elements.get(pid)
                && el.boundary.is_some()
            {
                break el.boundary.clone();
            }
            match comp_parent.get(pid) {
                Some(next) => cur = next.clone(),
                None => break None,
            }
        };
        if let Some(e) = b.model.elements.get_mut(id) {
            e.boundary = home;
        }
    }

    // Dataflows.
    for d in doc.dataflows.as_deref().unwrap_or(&[]) {
        let (Some(s), Some(t)) = (comp_ids.get(&d.source), comp_ids.get(&d.destination)) else {
            b.diag(
                L::Warning,
                "dangling-flow",
                format!("dataflow `{}` joins `{}` and `{}`, which are not both components; skipped, its threats are kept on the model", d.id, d.source, d.destination),
            );
            for t in d.threats.iter().flatten() {
                instances.push((SubjectRef::Model, t));
            }
            continue;
        };
        let id = fid(b.fresh_id(Ns::Flow, &d.id, &d.name, "flow"));
        let p = pal(&d.attributes);
        let channel = p
            .and_then(|p| p.get("channel"))
            .and_then(|c| serde_json::from_value::<crate::model::Channel>(c.clone()).ok())
            .unwrap_or_default();
        let mut props = Props::new();
        let mut note = SourceNote::default();
        match p.and_then(|p| p.get("props")) {
            Some(pp) => props = props_from(pp),
            None => {
                if let Some(desc) = &d.description {
                    set_description(&mut props, desc);
                }
                if let Some(a) = &d.assets {
                    let t: Vec<&str> = a.iter().flatten().map(String::as_str).collect();
                    note.add("assets", t.join(", "));
                }
                if let Some(tags) = &d.tags {
                    let t: Vec<&str> = tags.iter().flatten().map(String::as_str).collect();
                    note.add("tags", t.join(", "));
                }
                if let Some(a) = &d.attributes {
                    flow_attributes(a, &mut props, &mut note);
                }
                for (k, v) in &d.rest {
                    note.add_json(k, v);
                }
            }
        }
        note.finish(&mut props, "OTM dataflow");
        let name = match p {
            Some(_) => d.name.clone(),
            None if d.name.trim().is_empty() => "Dataflow".to_owned(),
            None => one_line(&d.name),
        };
        if d.bidirectional == Some(true) {
            let back = fid(b.fresh_id(Ns::Flow, "", &format!("{id}-back"), "flow"));
            b.add_flow(Flow {
                channel,
                id: back,
                name: format!("{name} (back)"),
                source: t.clone(),
                target: s.clone(),
                props: props.clone(),
            })?;
        }
        b.add_flow(Flow {
            channel,
            id: id.clone(),
            name,
            source: s.clone(),
            target: t.clone(),
            props,
        })?;
        for t in d.threats.iter().flatten() {
            instances.push((SubjectRef::Flow(id.clone()), t));
        }
    }

    // Relations, which only Palisade writes (under the project's own attributes).
    if let Some(rels) = pal(&doc.project.attributes)
        .and_then(|p| p.get("relations"))
        .and_then(J::as_array)
    {
        for r in rels {
            let text = |k: &str| r.get(k).and_then(J::as_str).unwrap_or("");
            let (Some(src), Some(tgt)) =
                (comp_ids.get(text("source")), comp_ids.get(text("target")))
            else {
                b.diag(
                    L::Warning,
                    "dangling-relation",
                    format!(
                        "relation `{}` names a component that is not in the file; it is left out",
                        crate::model::truncate(text("id"), 80)
                    ),
                );
                continue;
            };
            let id = crate::model::RelationId::new(text("id"));
            if crate::model::check_id(id.as_str()).is_err() || b.model.relations.contains_key(&id) {
                continue;
            }
            b.model.relations.insert(
                id.clone(),
                crate::model::Relation {
                    id,
                    kind: text("kind").to_owned(),
                    source: src.clone(),
                    target: tgt.clone(),
                    props: r.get("props").map(props_from).unwrap_or_default(),
                },
            );
        }
    }

    // Controls and the risk scale, which only Palisade writes.
    if let Some(p) = pal(&doc.project.attributes) {
        if let Some(v) = p.get("controls") {
            match serde_json::from_value::<Vec<crate::model::Control>>(v.clone()) {
                Ok(cs) => {
                    for c in cs {
                        if crate::model::check_id(c.id.as_str()).is_ok() {
                            b.model.controls.entry(c.id.clone()).or_insert(c);
                        }
                    }
                }
                Err(e) => b.diag(
                    L::Warning,
                    "bad-controls",
                    format!("Palisade controls in the project attributes are left out: {e}"),
                ),
            }
        }
        if let Some(r) = p
            .get("risk_matrix")
            .and_then(|v| serde_json::from_value::<crate::model::RiskScale>(v.clone()).ok())
        {
            b.model.metadata.risk_matrix = r;
        }
    }

    // Threats: definitions by id; instances make manual threats (or triage only for
    // threats Palisade's rules make).
    let defs: BTreeMap<&str, &Threat> = doc
        .threats
        .iter()
        .flatten()
        .map(|t| (t.id.as_str(), t))
        .collect();
    let mits: BTreeMap<&str, &Mitigation> = doc
        .mitigations
        .iter()
        .flatten()
        .map(|m| (m.id.as_str(), m))
        .collect();
    let mut instanced: std::collections::BTreeSet<&str> = Default::default();
    let extra: Vec<(SubjectRef, Instance)> = boundary_threats
        .iter()
        .map(|(id, t)| (SubjectRef::Boundary(id.clone()), t))
        .chain(project_threats.iter().map(|t| (SubjectRef::Model, t)))
        .filter_map(|(s, t)| {
            serde_json::from_value::<Instance>(t.clone())
                .ok()
                .map(|i| (s, i))
        })
        .collect();
    let all: Vec<(SubjectRef, &Instance)> = instances
        .into_iter()
        .chain(extra.iter().map(|(s, i)| (s.clone(), i)))
        .collect();
    for (subject, inst) in &all {
        instanced.insert(inst.threat.as_str());
        let def = defs.get(inst.threat.as_str()).copied();
        carry(&mut b, subject.clone(), inst, def, &mits)?;
    }
    // Threats defined but never instantiated: triage-only records of Palisade's, or
    // threats about the whole system.
    for t in doc.threats.iter().flatten() {
        if instanced.contains(t.id.as_str()) {
            continue;
        }
        let inst = Instance {
            threat: t.id.clone(),
            state: None,
            mitigations: None,
        };
        carry(&mut b, SubjectRef::Model, &inst, Some(t), &mits)?;
    }

    // Positions: kept when the source gives one for every zone and component and they
    // nest sensibly; laid out otherwise.
    let complete = elem_rel.values().all(|(p, _)| p.is_some())
        && zone_rel.values().all(|(p, s)| p.is_some() && s.is_some());
    let mut abs_zone: BTreeMap<BoundaryId, (f64, f64, f64, f64)> = BTreeMap::new();
    if complete {
        let ids: Vec<BoundaryId> = b.model.boundaries.keys().cloned().collect();
        for id in &ids {
            let chain = b.model.boundary_chain(Some(id));
            let (mut x, mut y) = (0.0, 0.0);
            for c in &chain {
                if let Some((Some(p), _)) = zone_rel.get(c) {
                    x += p.0;
                    y += p.1;
                }
            }
            let (w, h) = zone_rel.get(id).and_then(|r| r.1).unwrap_or((200.0, 150.0));
            abs_zone.insert(id.clone(), (x, y, w, h));
        }
        for (id, r) in &abs_zone {
            if let Some(bb) = b.model.boundaries.get_mut(id) {
                bb.rect = *r;
            }
        }
        for (id, (p, s)) in &elem_rel {
            let Some(e) = b.model.elements.get_mut(id) else {
                continue;
            };
            let origin = e
                .boundary
                .as_ref()
                .and_then(|z| abs_zone.get(z))
                .map(|r| (r.0, r.1))
                .unwrap_or((0.0, 0.0));
            let (px, py) = p.unwrap_or((0.0, 0.0));
            let (w, h) = s.unwrap_or((140.0, 70.0));
            e.pos = (origin.0 + px + w / 2.0, origin.1 + py + h / 2.0);
        }
    }
    let ours = pal(&doc.project.attributes).is_some();
    let sensible = complete && (ours || positions_sensible(&b.model));
    if !sensible {
        if complete {
            b.diag(
                L::Info,
                "laid-out",
                "the source's positions overlap or fall outside their trust zones; the diagram was laid out automatically",
            );
        }
        super::layout::auto_layout(&mut b.model);
    }
    Ok(b.finish())
}

/// Whether every element sits inside its boundary's rectangle and no two elements
/// overlap.
pub(crate) fn positions_sensible(m: &crate::model::Model) -> bool {
    let rects: Vec<(f64, f64, f64, f64)> = m
        .elements
        .values()
        .map(|e| (e.pos.0 - 40.0, e.pos.1 - 25.0, 80.0, 50.0))
        .collect();
    for (i, e) in m.elements.values().enumerate() {
        if let Some(bx) = e.boundary.as_ref().and_then(|b| m.boundaries.get(b)) {
            let (x, y, w, h) = bx.rect;
            if !(e.pos.0 >= x && e.pos.0 <= x + w && e.pos.1 >= y && e.pos.1 <= y + h) {
                return false;
            }
        }
        for o in &rects[i + 1..] {
            let a = rects[i];
            if a.0 < o.0 + o.2 && o.0 < a.0 + a.2 && a.1 < o.1 + o.3 && o.1 < a.1 + a.3 {
                return false;
            }
        }
    }
    true
}

/// Foreign dataflow attributes: protocol and encryption map to flow properties; the
/// rest is kept as text.
fn flow_attributes(a: &J, props: &mut Props, note: &mut SourceNote) {
    let Some(o) = a.as_object() else {
        note.add_json("attributes", a);
        return;
    };
    for (k, v) in o {
        let key = k.to_ascii_lowercase();
        match (key.as_str(), v) {
            ("protocol", J::String(s)) if !s.trim().is_empty() => {
                props.insert("protocol".into(), Value::Text(s.trim().to_owned()));
            }
            ("encrypted" | "isencrypted" | "encryption", J::Bool(x)) => {
                props.insert("encrypted".into(), Value::Bool(*x));
            }
            ("authenticated" | "authentication", J::Bool(x)) => {
                props.insert("authenticated".into(), Value::Bool(*x));
            }
            _ => note.add_json(&format!("attributes.{k}"), v),
        }
    }
}

fn push_para(text: &mut String, p: &str) {
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(p);
}

fn carry(
    b: &mut Builder,
    subject: SubjectRef,
    inst: &Instance,
    def: Option<&Threat>,
    mits: &BTreeMap<&str, &Mitigation>,
) -> Result<(), ImportError> {
    let p = def.and_then(|d| pal(&d.attributes));
    // Threats Palisade's rules make, and orphaned triage: only the triage comes back.
    if let Some(p) = p
        && (p.contains_key("rule") || p.get("orphan").and_then(J::as_bool) == Some(true))
    {
        let id = ThreatId::new(inst.threat.clone());
        if let Some(t) = p.get("triage") {
            b.count()?;
            b.model.triage.insert(id.clone(), triage_from(t, &id));
        }
        return Ok(());
    }
    let mut mitigations: Vec<String> = Vec::new();
    let mut mit_states: Vec<String> = Vec::new();
    for m in inst.mitigations.iter().flatten().flatten() {
        let Some(mid) = &m.mitigation else { continue };
        match mits.get(mid.as_str()) {
            Some(md) => {
                let text = match &md.description {
                    Some(d) if !d.trim().is_empty() && d.trim() != md.name.trim() => {
                        format!("{}: {}", md.name.trim(), d.trim())
                    }
                    _ => md.name.trim().to_owned(),
                };
                mitigations.push(text);
                if let Some(s) = &m.state {
                    mit_states.push(format!("{}: {s}", md.name.trim()));
                }
            }
            None => mitigations.push(format!("mitigation {mid}")),
        }
    }
    if let Some(p) = p
        && let Some(ms) = p.get("mitigations").and_then(J::as_array)
    {
        mitigations = ms
            .iter()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
    }
    let title = p
        .and_then(|p| p.get("title"))
        .and_then(J::as_str)
        .map(str::to_owned)
        .or_else(|| def.map(|d| d.name.clone()))
        .unwrap_or_else(|| format!("Threat {}", inst.threat));
    let cats: Vec<&str> = def
        .and_then(|d| d.categories.as_ref())
        .map(|c| c.iter().flatten().map(String::as_str).collect())
        .unwrap_or_default();
    let category = cats
        .iter()
        .find_map(|c| stride_of(c))
        .unwrap_or(Stride::InformationDisclosure);
    let impact = def
        .and_then(|d| d.risk.as_ref())
        .and_then(|r| r.get("impact"))
        .and_then(J::as_f64);
    let severity = p
        .and_then(|p| p.get("severity"))
        .and_then(J::as_str)
        .and_then(Severity::parse)
        .unwrap_or(match impact {
            Some(i) if i > 87.5 => Severity::Critical,
            Some(i) if i > 62.5 => Severity::High,
            Some(i) if i > 37.5 => Severity::Medium,
            Some(_) => Severity::Low,
            None => Severity::Medium,
        });
    let state = inst.state.clone().unwrap_or_default();
    let status = status_of(&state).unwrap_or_else(|| {
        if state.eq_ignore_ascii_case("exposed") || state.is_empty() {
            Status::Open
        } else if state.to_ascii_lowercase().contains("partial") {
            Status::NeedsInvestigation
        } else {
            Status::Open
        }
    });
    let mut desc = p
        .and_then(|p| p.get("description"))
        .and_then(J::as_str)
        .map(str::to_owned)
        .or_else(|| def.and_then(|d| d.description.clone()))
        .unwrap_or_default();
    if p.is_none() {
        let mut extra = Vec::new();
        if cats.len() > 1 || (cats.len() == 1 && stride_of(cats[0]).is_none()) {
            extra.push(format!("categories: {}", cats.join(", ")));
        }
        if let Some(cw) = def.and_then(|d| d.cwes.as_ref()) {
            let c: Vec<&str> = cw.iter().flatten().map(String::as_str).collect();
            if !c.is_empty() {
                extra.push(format!("CWE: {}", c.join(", ")));
            }
        }
        if let Some(r) = def.and_then(|d| d.risk.as_ref()) {
            extra.push(format!("risk: {r}"));
        }
        if !state.is_empty() {
            extra.push(format!("state: {state}"));
        }
        if !mit_states.is_empty() {
            extra.push(format!("mitigation states: {}", mit_states.join("; ")));
        }
        if let Some(a) = def.and_then(|d| d.attributes.as_ref())
            && !a.is_null()
        {
            extra.push(format!("attributes: {a}"));
        }
        if !extra.is_empty() {
            push_para(&mut desc, &format!("OTM: {}", extra.join("; ")));
        }
    }
    let id = inst.threat.clone();
    let triage = p.and_then(|p| p.get("triage")).cloned();
    let subject = match (
        p.and_then(|p| p.get("subject")).and_then(J::as_str),
        &subject,
    ) {
        (Some(s), SubjectRef::Model) => subject_from(s).unwrap_or(SubjectRef::Model),
        _ => subject,
    };
    let new_id = b.add_threat(SourceThreat {
        id,
        title,
        category,
        severity,
        subject,
        description: desc,
        mitigations,
        status,
        justification: String::new(),
        owner: String::new(),
        cvss: p
            .and_then(|p| p.get("cvss"))
            .and_then(J::as_str)
            .unwrap_or_default()
            .to_owned(),
        raw: p.is_some(),
    })?;
    match triage {
        Some(t) => {
            b.model
                .triage
                .insert(new_id.clone(), triage_from(&t, &new_id));
        }
        // A Palisade manual threat that nobody triaged comes back untriaged.
        None if p.is_some() => {
            b.model.triage.remove(&new_id);
        }
        None => {}
    }
    Ok(())
}

fn subject_from(s: &str) -> Option<SubjectRef> {
    if s == "model" {
        return Some(SubjectRef::Model);
    }
    let (k, id) = s.split_once(':')?;
    Some(match k {
        "element" => SubjectRef::Element(id.into()),
        "flow" => SubjectRef::Flow(id.into()),
        "boundary" => SubjectRef::Boundary(id.into()),
        _ => return None,
    })
}
