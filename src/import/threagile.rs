//! Threagile YAML.
//!
//! Technical assets become elements (stencil from `technology` through the shared
//! table, else the generic shape of `type`), communication links flows, trust
//! boundaries boundaries nested by `trust_boundaries_nested`; assets marked `internet`
//! that no boundary holds go into an Internet boundary. Individual risks and
//! `risk_tracking` entries become manual threats with their status as triage.

use super::build::{
    Builder, L, Ns, SourceThreat, bid, eid, element, fid, one_line, severity_of, status_of,
    stride_of,
};
use super::kinds::kind_for;
use super::notes::{SourceNote, set_description};
use super::{ImportError, Imported, yaml_error};
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, ElementId, Flow, FlowId, Props, Severity, Status, Stride,
    SubjectRef, Value,
};
use crate::rules::BaseShape;
use serde::Deserialize;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    author: Option<J>,
    #[serde(default)]
    date: Option<J>,
    #[serde(default)]
    data_assets: Option<BTreeMap<String, J>>,
    technical_assets: Option<BTreeMap<String, Asset>>,
    #[serde(default)]
    trust_boundaries: Option<BTreeMap<String, Tb>>,
    #[serde(default)]
    shared_runtimes: Option<BTreeMap<String, Runtime>>,
    #[serde(default)]
    individual_risk_categories: Option<BTreeMap<String, RiskCategory>>,
    #[serde(default)]
    risk_tracking: Option<BTreeMap<String, Tracking>>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize)]
struct Asset {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    technology: Option<String>,
    #[serde(default)]
    internet: Option<bool>,
    #[serde(default)]
    encryption: Option<String>,
    #[serde(default)]
    confidentiality: Option<String>,
    #[serde(default)]
    communication_links: Option<BTreeMap<String, Link>>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize)]
struct Link {
    target: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    authentication: Option<String>,
    #[serde(default)]
    vpn: Option<bool>,
    #[serde(default)]
    data_assets_sent: Option<Vec<String>>,
    #[serde(default)]
    data_assets_received: Option<Vec<String>>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize)]
struct Tb {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    technical_assets_inside: Option<Vec<String>>,
    #[serde(default)]
    trust_boundaries_nested: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Runtime {
    #[serde(default)]
    id: String,
    #[serde(default)]
    technical_assets_running: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RiskCategory {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    mitigation: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    stride: Option<String>,
    #[serde(default)]
    cwe: Option<J>,
    #[serde(default)]
    risks_identified: Option<BTreeMap<String, Identified>>,
}

#[derive(Deserialize)]
struct Identified {
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    most_relevant_technical_asset: Option<String>,
    #[serde(default)]
    most_relevant_communication_link: Option<String>,
    #[serde(default)]
    most_relevant_trust_boundary: Option<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize, Clone)]
struct Tracking {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    date: Option<J>,
    #[serde(default)]
    checked_by: Option<String>,
}

/// Threagile's built-in risk categories and the STRIDE category Threagile files each
/// under, for `risk_tracking` entries (which name only the category id).
const CATEGORIES: &[(&str, Stride)] = &[
    ("accidental-secret-leak", Stride::InformationDisclosure),
    ("code-backdooring", Stride::Tampering),
    ("container-baseimage-backdooring", Stride::Tampering),
    ("container-platform-escape", Stride::ElevationOfPrivilege),
    ("cross-site-request-forgery", Stride::Spoofing),
    ("cross-site-scripting", Stride::Tampering),
    (
        "dos-risky-access-across-trust-boundary",
        Stride::DenialOfService,
    ),
    ("incomplete-model", Stride::InformationDisclosure),
    ("ldap-injection", Stride::Tampering),
    ("missing-authentication", Stride::ElevationOfPrivilege),
    (
        "missing-authentication-second-factor",
        Stride::ElevationOfPrivilege,
    ),
    ("missing-build-infrastructure", Stride::Tampering),
    ("missing-cloud-hardening", Stride::Tampering),
    ("missing-file-validation", Stride::Spoofing),
    ("missing-hardening", Stride::Tampering),
    ("missing-identity-propagation", Stride::ElevationOfPrivilege),
    (
        "missing-identity-provider-isolation",
        Stride::ElevationOfPrivilege,
    ),
    ("missing-identity-store", Stride::Spoofing),
    ("missing-network-segmentation", Stride::ElevationOfPrivilege),
    ("missing-vault", Stride::InformationDisclosure),
    ("missing-vault-isolation", Stride::ElevationOfPrivilege),
    ("missing-waf", Stride::Tampering),
    (
        "mixed-targets-on-shared-runtime",
        Stride::ElevationOfPrivilege,
    ),
    ("path-traversal", Stride::InformationDisclosure),
    ("push-instead-of-pull-deployment", Stride::Tampering),
    ("search-query-injection", Stride::Tampering),
    ("server-side-request-forgery", Stride::InformationDisclosure),
    ("service-registry-poisoning", Stride::Spoofing),
    ("sql-nosql-injection", Stride::Tampering),
    ("unchecked-deployment", Stride::Tampering),
    ("unencrypted-asset", Stride::InformationDisclosure),
    ("unencrypted-communication", Stride::InformationDisclosure),
    (
        "unguarded-access-from-internet",
        Stride::ElevationOfPrivilege,
    ),
    (
        "unguarded-direct-datastore-access",
        Stride::ElevationOfPrivilege,
    ),
    (
        "unnecessary-communication-link",
        Stride::ElevationOfPrivilege,
    ),
    ("unnecessary-data-asset", Stride::ElevationOfPrivilege),
    ("unnecessary-data-transfer", Stride::ElevationOfPrivilege),
    ("unnecessary-technical-asset", Stride::ElevationOfPrivilege),
    ("untrusted-deserialization", Stride::Tampering),
    (
        "wrong-communication-link-content",
        Stride::InformationDisclosure,
    ),
    ("wrong-trust-boundary-content", Stride::ElevationOfPrivilege),
    ("xml-external-entity", Stride::InformationDisclosure),
];

/// Threagile technologies the shared table does not name, and their stencil.
const TECHNOLOGIES: &[(&str, &str)] = &[
    ("container-platform", "k8s.api-server"),
    ("build-pipeline", "docker.build"),
    ("artifact-registry", "docker.registry"),
];

fn text(v: &Option<J>) -> String {
    match v {
        Some(J::String(s)) => s.clone(),
        Some(J::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A Threagile confidentiality level as Palisade's flow classification.
fn classification(c: &str) -> Option<&'static str> {
    match c {
        "public" => Some("public"),
        "internal" => Some("internal"),
        "restricted" | "confidential" => Some("confidential"),
        "strictly-confidential" => Some("secret"),
        _ => None,
    }
}

fn rank(c: &str) -> u8 {
    match c {
        "public" => 0,
        "internal" => 1,
        "confidential" => 2,
        "secret" => 3,
        _ => 0,
    }
}

fn push_para(t: &mut String, p: &str) {
    if !t.is_empty() {
        t.push_str("\n\n");
    }
    t.push_str(p);
}

/// Whether a `risk_tracking` key (with `*` wildcards between `@`) matches a risk id.
fn tracking_matches(pattern: &str, id: &str) -> bool {
    let p: Vec<&str> = pattern.split('@').collect();
    let i: Vec<&str> = id.split('@').collect();
    p.len() == i.len() && p.iter().zip(&i).all(|(a, b)| *a == "*" || a == b)
}

pub(super) fn import(path: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let src = super::utf8(path, bytes)?;
    let file: File = serde_norway::from_str(src).map_err(|e| yaml_error(path, "Threagile", &e))?;
    let Some(assets) = file.technical_assets.as_ref() else {
        return Err(ImportError::Invalid {
            path: path.to_owned(),
            pos: Some((1, 1)),
            message: "not a Threagile model: there is no `technical_assets` section".into(),
        });
    };
    let title = file
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Imported Threagile model".into());
    let mut b = Builder::new(path, &title);
    b.model.metadata.date = text(&file.date);
    b.model.metadata.owner = match &file.author {
        Some(J::Object(o)) => {
            let name = o.get("name").and_then(J::as_str).unwrap_or("");
            let homepage = o.get("homepage").and_then(J::as_str).unwrap_or("");
            if homepage.is_empty() {
                name.to_owned()
            } else {
                format!("{name} ({homepage})")
            }
        }
        other => text(other),
    };
    // Everything else at the top level is the author's prose: kept as description.
    let mut desc = String::new();
    // The summary and overviews first, then the rest in name order.
    const FIRST: [&str; 4] = [
        "management_summary_comment",
        "business_overview",
        "technical_overview",
        "business_criticality",
    ];
    let mut rest: Vec<(&String, &J)> = file.rest.iter().collect();
    rest.sort_by_key(|(k, _)| FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()));
    for (k, v) in rest {
        if k == "threagile_version" || v.is_null() {
            continue;
        }
        let body = match v {
            J::String(s) => s.trim().to_owned(),
            J::Object(o) if o.is_empty() => continue,
            J::Array(a) if a.is_empty() => continue,
            other => serde_norway::to_string(other).unwrap_or_else(|_| other.to_string()),
        };
        if !body.is_empty() {
            push_para(&mut desc, &format!("{k}:\n{}", body.trim_end()));
        }
    }
    // Data assets: their confidentiality sets the classification of the links that
    // carry them; the list itself goes in the description.
    let mut data_class: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut data_names: BTreeMap<String, String> = BTreeMap::new();
    let mut data_lines = Vec::new();
    for (name, v) in file.data_assets.iter().flatten() {
        // YAML merge keys (`<<: *anchor`) give defaults the entry overrides.
        let mut merged = serde_json::Map::new();
        if let Some(base) = v.get("<<").and_then(J::as_object) {
            merged.extend(base.clone());
        }
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                if k != "<<" {
                    merged.insert(k.clone(), x.clone());
                }
            }
        }
        let id = merged
            .get("id")
            .and_then(J::as_str)
            .unwrap_or(name)
            .to_owned();
        let conf = merged
            .get("confidentiality")
            .and_then(J::as_str)
            .unwrap_or("");
        if let Some(c) = classification(conf) {
            data_class.insert(id.clone(), c);
        }
        data_names.insert(id.clone(), name.clone());
        let d = merged
            .get("description")
            .and_then(J::as_str)
            .unwrap_or("")
            .trim();
        data_lines.push(format!(
            "- {name} ({id}): {conf}{}",
            if d.is_empty() {
                String::new()
            } else {
                format!("; {d}")
            }
        ));
    }
    if !data_lines.is_empty() {
        push_para(
            &mut desc,
            &format!("Data assets:\n{}", data_lines.join("\n")),
        );
    }

    // Trust boundaries.
    let mut tb_ids: BTreeMap<String, BoundaryId> = BTreeMap::new();
    let mut parent_of: BTreeMap<String, String> = BTreeMap::new();
    for (name, t) in file.trust_boundaries.iter().flatten() {
        let id = bid(b.fresh_id(Ns::Boundary, &t.id, name, "boundary"));
        tb_ids.insert(t.id.clone(), id.clone());
        for n in t.trust_boundaries_nested.iter().flatten() {
            parent_of.insert(n.clone(), t.id.clone());
        }
        let ty = t.ty.clone().unwrap_or_default();
        let kind = match ty.as_str() {
            "network-cloud-provider" => BoundaryKind::CloudAccount,
            "network-policy-namespace-isolation" => BoundaryKind::Namespace,
            "execution-environment" => BoundaryKind::Host,
            t if t.starts_with("network") => BoundaryKind::NetworkZone,
            _ => BoundaryKind::Other,
        };
        let mut line = format!("Trust boundary {name} ({ty})");
        if let Some(d) = t
            .description
            .as_ref()
            .filter(|d| d.trim() != name.trim() && !d.trim().is_empty())
        {
            line.push_str(&format!(": {}", d.trim()));
        }
        if let Some(tags) = t.tags.as_ref().filter(|t| !t.is_empty()) {
            line.push_str(&format!(" tags: {}", tags.join(", ")));
        }
        push_para(&mut desc, &line);
        b.add_boundary(Boundary {
            props: Default::default(),
            id,
            name: one_line(name),
            kind,
            trust: 5,
            parent: None,
            rect: (0.0, 0.0, 0.0, 0.0),
        })?;
    }
    for (child, parent) in &parent_of {
        match (tb_ids.get(child), tb_ids.get(parent)) {
            (Some(c), Some(p)) if c != p => {
                if let Some(bb) = b.model.boundaries.get_mut(c) {
                    bb.parent = Some(p.clone());
                }
            }
            _ => b.diag(
                L::Warning,
                "dangling-parent",
                format!("trust boundary `{parent}` nests `{child}`, which is not a trust boundary"),
            ),
        }
    }
    // The innermost boundary of each asset (the deepest one that lists it).
    let mut home: BTreeMap<String, BoundaryId> = BTreeMap::new();
    for t in file.trust_boundaries.iter().flatten().map(|(_, t)| t) {
        let Some(tid) = tb_ids.get(&t.id).cloned() else {
            continue;
        };
        let depth = b.model.boundary_chain(Some(&tid)).len();
        for a in t.technical_assets_inside.iter().flatten() {
            let deeper = home
                .get(a)
                .is_none_or(|cur| b.model.boundary_chain(Some(cur)).len() < depth);
            if deeper {
                home.insert(a.clone(), tid.clone());
            }
        }
    }
    let mut runtime_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, r) in file.shared_runtimes.iter().flatten() {
        for a in r.technical_assets_running.iter().flatten() {
            runtime_of
                .entry(a.clone())
                .or_default()
                .push(format!("{name} ({})", r.id));
        }
    }

    // Technical assets.
    let mut asset_ids: BTreeMap<String, ElementId> = BTreeMap::new();
    for (name, a) in assets {
        let id = eid(b.fresh_id(Ns::Element, &a.id, name, "asset"));
        asset_ids.insert(a.id.clone(), id);
    }
    let mut internet: Option<BoundaryId> = None;
    let mut link_ids: BTreeMap<String, FlowId> = BTreeMap::new();
    for (name, a) in assets {
        let Some(id) = asset_ids.get(&a.id).cloned() else {
            continue;
        };
        let ty = a.ty.clone().unwrap_or_default();
        let tech = a.technology.clone().unwrap_or_default();
        let base = match ty.as_str() {
            "external-entity" => Some(BaseShape::Entity),
            "process" => Some(BaseShape::Process),
            "datastore" => Some(BaseShape::Store),
            _ => None,
        };
        let (kind, known) = match TECHNOLOGIES.iter().find(|(t, _)| *t == tech) {
            Some((_, k)) => (*k, true),
            None => kind_for(&[&tech], base),
        };
        if !known {
            b.diag(
                L::Info,
                "unmapped-type",
                format!("technical asset `{}`: technology `{tech}` has no Palisade stencil; imported as {kind} (type `{ty}`)", a.id),
            );
        }
        let mut e = element(id.clone(), name, kind, (0.0, 0.0));
        if let Some(d) = &a.description
            && d.trim() != name.trim()
        {
            set_description(&mut e.props, d);
        }
        let mut note = SourceNote::default();
        note.add("type", &ty);
        note.add("technology", &tech);
        let conf = a.confidentiality.clone().unwrap_or_default();
        let sensitive = matches!(
            conf.as_str(),
            "restricted" | "confidential" | "strictly-confidential"
        );
        let enc = a.encryption.clone().unwrap_or_default();
        match kind {
            "generic.store" => {
                if !conf.is_empty() {
                    e.props
                        .insert("stores_sensitive_data".into(), Value::Bool(sensitive));
                }
                if !enc.is_empty() {
                    e.props
                        .insert("encrypted_at_rest".into(), Value::Bool(enc != "none"));
                }
            }
            "generic.process" if !conf.is_empty() => {
                e.props
                    .insert("handles_sensitive_data".into(), Value::Bool(sensitive));
            }
            _ => {}
        }
        note.add("confidentiality", &conf);
        note.add("encryption", &enc);
        if a.internet == Some(true) {
            note.add("internet", "true");
        }
        for (k, v) in &a.rest {
            match (k.as_str(), v) {
                ("id", _) => {}
                (_, J::Bool(false)) => {}
                ("data_assets_processed" | "data_assets_stored", J::Array(list)) => {
                    let names: Vec<String> = list
                        .iter()
                        .filter_map(J::as_str)
                        .map(|d| data_names.get(d).cloned().unwrap_or_else(|| d.to_owned()))
                        .collect();
                    note.add(k, names.join(", "));
                }
                _ => note.add_json(k, v),
            }
        }
        if let Some(r) = runtime_of.get(&a.id) {
            note.add("shared runtime", r.join(", "));
        }
        note.finish(&mut e.props, "Threagile technical asset");
        e.boundary = home.get(&a.id).cloned();
        if e.boundary.is_none() && a.internet == Some(true) {
            let bid_ = match &internet {
                Some(x) => x.clone(),
                None => {
                    let x = bid(b.fresh_id(Ns::Boundary, "internet", "internet", "boundary"));
                    b.add_boundary(Boundary {
                        props: Default::default(),
                        id: x.clone(),
                        name: "Internet".into(),
                        kind: BoundaryKind::Internet,
                        trust: 0,
                        parent: None,
                        rect: (0.0, 0.0, 0.0, 0.0),
                    })?;
                    internet = Some(x.clone());
                    x
                }
            };
            e.boundary = Some(bid_);
        }
        b.add_element(e)?;
    }
    // Communication links.
    for (name, a) in assets {
        let Some(src) = asset_ids.get(&a.id).cloned() else {
            continue;
        };
        for (lname, l) in a.communication_links.iter().flatten() {
            let Some(dst) = asset_ids.get(&l.target).cloned() else {
                b.diag(
                    L::Warning,
                    "dangling-flow",
                    format!("communication link `{lname}` of `{}` targets `{}`, which is not a technical asset; skipped", a.id, l.target),
                );
                continue;
            };
            let link_key = format!("{}>{}", a.id, slug_link(lname));
            let id = fid(b.fresh_id(Ns::Flow, &link_key.replace('>', "-"), lname, "link"));
            link_ids.insert(link_key, id.clone());
            link_ids.insert(slug_link(lname), id.clone());
            let mut props = Props::new();
            let mut note = SourceNote::default();
            if let Some(d) = &l.description {
                set_description(&mut props, d);
            }
            let proto = l.protocol.clone().unwrap_or_default();
            if !proto.is_empty() {
                props.insert("protocol".into(), Value::Text(proto.clone()));
            }
            let encrypted = l.vpn == Some(true)
                || proto.contains("encrypted")
                || matches!(
                    proto.as_str(),
                    "https"
                        | "wss"
                        | "ssh"
                        | "sftp"
                        | "ftps"
                        | "ldaps"
                        | "smtp-encrypted"
                        | "jdbc-encrypted"
                        | "odbc-encrypted"
                        | "nosql-access-protocol-encrypted"
                        | "binary-encrypted"
                        | "text-encrypted"
                        | "mqtt-encrypted"
                        | "iiop-encrypted"
                        | "jrmp-encrypted"
                        | "reverse-proxy-web-protocol-encrypted"
                );
            if !proto.is_empty() {
                props.insert("encrypted".into(), Value::Bool(encrypted));
            }
            let auth = l.authentication.clone().unwrap_or_default();
            if !auth.is_empty() {
                props.insert("authenticated".into(), Value::Bool(auth != "none"));
                if auth == "client-certificate" {
                    props.insert("mutual_auth".into(), Value::Bool(true));
                }
                note.add("authentication", &auth);
            }
            let data: Vec<&String> = l
                .data_assets_sent
                .iter()
                .flatten()
                .chain(l.data_assets_received.iter().flatten())
                .collect();
            if let Some(c) = data
                .iter()
                .filter_map(|d| data_class.get(d.as_str()).copied())
                .max_by_key(|c| rank(c))
            {
                props.insert("classification".into(), Value::Text(c.into()));
            }
            for (k, list) in [
                ("data_assets_sent", &l.data_assets_sent),
                ("data_assets_received", &l.data_assets_received),
            ] {
                let names: Vec<String> = list
                    .iter()
                    .flatten()
                    .map(|d| data_names.get(d).cloned().unwrap_or_else(|| d.clone()))
                    .collect();
                note.add(k, names.join(", "));
            }
            if l.vpn == Some(true) {
                note.add("vpn", "true");
            }
            for (k, v) in &l.rest {
                if !matches!(v, J::Bool(false)) {
                    note.add_json(k, v);
                }
            }
            note.finish(
                &mut props,
                &format!("Threagile communication link of {name}"),
            );
            b.add_flow(Flow {
                channel: Default::default(),
                id,
                name: one_line(lname),
                source: src.clone(),
                target: dst,
                props,
            })?;
        }
    }

    // Carried-over risks: individual risks, then tracking entries that match none.
    let tracking: Vec<(String, Tracking)> = file
        .risk_tracking
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut used_tracking: BTreeSet<String> = BTreeSet::new();
    let subject_of =
        |b: &Builder, asset: Option<&str>, link: Option<&str>, tb: Option<&str>| -> SubjectRef {
            if let Some(e) = asset.and_then(|a| asset_ids.get(a)) {
                return SubjectRef::Element(e.clone());
            }
            if let Some(f) =
                link.and_then(|l| link_ids.get(l).or_else(|| link_ids.get(&slug_link(l))))
            {
                return SubjectRef::Flow(f.clone());
            }
            if let Some(t) = tb.and_then(|t| tb_ids.get(t))
                && b.model.boundaries.contains_key(t)
            {
                return SubjectRef::Boundary(t.clone());
            }
            SubjectRef::Model
        };
    for c in file
        .individual_risk_categories
        .iter()
        .flatten()
        .map(|(_, c)| c)
    {
        let category = c
            .stride
            .as_deref()
            .and_then(stride_of)
            .unwrap_or(Stride::InformationDisclosure);
        for (title, r) in c.risks_identified.iter().flatten() {
            let asset = r
                .most_relevant_technical_asset
                .as_deref()
                .filter(|s| !s.is_empty());
            let link = r
                .most_relevant_communication_link
                .as_deref()
                .filter(|s| !s.is_empty());
            let tb = r
                .most_relevant_trust_boundary
                .as_deref()
                .filter(|s| !s.is_empty());
            let synthetic = format!("{}@{}", c.id, asset.or(link).or(tb).unwrap_or("model"));
            let subject = subject_of(&b, asset, link, tb);
            let track = tracking
                .iter()
                .find(|(k, _)| tracking_matches(k, &synthetic));
            if let Some((k, _)) = track {
                used_tracking.insert(k.clone());
            }
            let severity = r
                .severity
                .as_deref()
                .and_then(severity_of)
                .unwrap_or(Severity::Medium);
            let mut description = c.description.clone().unwrap_or_default();
            let mut extra = vec![format!("risk id: {synthetic}")];
            if let Some(s) = &r.severity {
                extra.push(format!("severity: {s}"));
            }
            for (k, v) in &r.rest {
                match v {
                    J::Null => {}
                    J::Array(a) if a.is_empty() => {}
                    J::String(s) => extra.push(format!("{k}: {s}")),
                    other => extra.push(format!("{k}: {other}")),
                }
            }
            if let Some(cwe) = &c.cwe {
                extra.push(format!("CWE-{}", text(&Some(cwe.clone()))));
            }
            push_para(
                &mut description,
                &format!("Threagile: {}", extra.join("; ")),
            );
            let (status, justification, ticket, date, who) = tracked(track.map(|(_, t)| t));
            let id = b.add_threat(SourceThreat {
                id: synthetic.clone(),
                title: strip_tags(title),
                category,
                severity,
                subject,
                description,
                mitigations: [c.mitigation.clone(), c.action.clone()]
                    .into_iter()
                    .flatten()
                    .collect(),
                status,
                justification,
                owner: String::new(),
                cvss: String::new(),
                raw: false,
            })?;
            if let Some(t) = b.model.triage.get_mut(&id) {
                t.ticket = ticket;
                t.date = date;
                t.reviewed_by = who;
            }
        }
    }
    for (key, t) in &tracking {
        if used_tracking.contains(key) {
            continue;
        }
        let parts: Vec<&str> = key.split('@').collect();
        let cat_id = parts.first().copied().unwrap_or("");
        let category = CATEGORIES
            .iter()
            .find(|(c, _)| *c == cat_id)
            .map(|(_, s)| *s)
            .unwrap_or(Stride::InformationDisclosure);
        // The first named part that is an asset or a link is the subject; a wildcard
        // entry covers many and is about the model.
        let mut subject = SubjectRef::Model;
        for p in parts.iter().skip(1) {
            if *p == "*" {
                continue;
            }
            let s = subject_of(&b, Some(p), Some(p), Some(p));
            if s != SubjectRef::Model {
                subject = s;
                break;
            }
        }
        let title = {
            let t = cat_id.replace('-', " ");
            let mut c = t.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => "Tracked risk".into(),
            }
        };
        let wild = key.contains('*');
        let description = format!(
            "Tracked in Threagile's risk_tracking as `{key}`{}. Threagile generated this risk; Palisade carries the decision. Severity is not recorded in risk_tracking (medium assumed).",
            if wild {
                " (a wildcard entry covering every matching risk)"
            } else {
                ""
            }
        );
        let (status, justification, ticket, date, who) = tracked(Some(t));
        let id = b.add_threat(SourceThreat {
            id: key.replace("@*", "").replace('@', "."),
            title,
            category,
            severity: Severity::Medium,
            subject,
            description,
            mitigations: Vec::new(),
            status,
            justification,
            owner: String::new(),
            cvss: String::new(),
            raw: false,
        })?;
        if let Some(tr) = b.model.triage.get_mut(&id) {
            tr.ticket = ticket;
            tr.date = date;
            tr.reviewed_by = who;
        }
    }
    b.model.metadata.description = desc;
    super::layout::auto_layout(&mut b.model);
    Ok(b.finish())
}

fn tracked(t: Option<&Tracking>) -> (Status, String, String, String, String) {
    match t {
        None => (
            Status::Open,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ),
        Some(t) => {
            let s = t.status.clone().unwrap_or_default();
            let status = match s.as_str() {
                "in-discussion" => Status::NeedsInvestigation,
                "in-progress" => Status::NeedsInvestigation,
                other => status_of(other).unwrap_or(Status::Open),
            };
            let mut j = t.justification.clone().unwrap_or_default();
            if s == "in-progress" {
                j = format!("In progress: {j}");
            }
            (
                status,
                j,
                t.ticket.clone().unwrap_or_default(),
                text(&t.date),
                t.checked_by.clone().unwrap_or_default(),
            )
        }
    }
}

fn slug_link(name: &str) -> String {
    super::build::slug(&name.to_lowercase())
}

/// Threagile risk titles carry `<b>` markup.
fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    one_line(&out)
}
