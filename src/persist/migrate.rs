//! Migrations from older file versions. Each old version is parsed into its own types
//! and converted; nothing is guessed from text.

use crate::model::{
    Boundary, BoundaryId, BoundaryKind, Element, ElementId, FORMAT_VERSION, Flow, FlowId, Metadata,
    Model, Props, Status, ThreatId, Triage, Value,
};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Version 0, the prototype format: a flat `title`, boundaries with `inside` instead of
/// `parent` and `x`/`y`/`w`/`h` fields, elements with `x`/`y`, and triage as a map from
/// threat id to status.
///
/// Repeated boundary, element or flow ids, property names and triage keys are refused
/// exactly as version 1 refuses them (never the last one winning).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V0 {
    #[allow(dead_code)]
    version: u32,
    title: String,
    #[serde(default)]
    owner: String,
    #[serde(default, deserialize_with = "unique::list")]
    boundaries: Vec<V0Boundary>,
    #[serde(default, deserialize_with = "unique::list")]
    elements: Vec<V0Element>,
    #[serde(default, deserialize_with = "unique::list")]
    flows: Vec<V0Flow>,
    #[serde(default, deserialize_with = "unique::triage")]
    triage: BTreeMap<String, Status>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V0Boundary {
    id: String,
    name: String,
    kind: BoundaryKind,
    #[serde(default)]
    trust: u8,
    #[serde(default)]
    inside: Option<String>,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V0Element {
    id: String,
    name: String,
    kind: String,
    #[serde(default)]
    inside: Option<String>,
    x: f64,
    y: f64,
    #[serde(default, with = "crate::model::serde_util::prop_map")]
    props: Props,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V0Flow {
    id: String,
    name: String,
    from: String,
    to: String,
    #[serde(default, with = "crate::model::serde_util::prop_map")]
    props: Props,
}

/// Converts a version-0 file to the current model.
pub fn from_v0(text: &str) -> Result<Model, ron::error::SpannedError> {
    let v0: V0 = ron::Options::default()
        .with_recursion_limit(super::MODEL_RECURSION_LIMIT)
        .from_str(text)?;
    let mut m = Model {
        version: FORMAT_VERSION,
        metadata: Metadata {
            title: v0.title,
            owner: v0.owner,
            ..Metadata::default()
        },
        ..Model::default()
    };
    for b in v0.boundaries {
        m.boundaries.insert(
            BoundaryId::new(&b.id),
            Boundary {
                props: Default::default(),
                id: BoundaryId::new(b.id),
                name: b.name,
                kind: b.kind,
                trust: b.trust,
                parent: b.inside.map(BoundaryId::new),
                rect: (b.x, b.y, b.w, b.h),
            },
        );
    }
    for e in v0.elements {
        m.elements.insert(
            ElementId::new(&e.id),
            Element {
                provenance: Default::default(),
                id: ElementId::new(e.id),
                name: e.name,
                kind: e.kind,
                boundary: e.inside.map(BoundaryId::new),
                pos: (e.x, e.y),
                props: e.props,
                entry_point: false,
                crown_jewel: false,
            },
        );
    }
    for f in v0.flows {
        m.flows.insert(
            FlowId::new(&f.id),
            Flow {
                channel: Default::default(),
                id: FlowId::new(f.id),
                name: f.name,
                source: ElementId::new(f.from),
                target: ElementId::new(f.to),
                props: f.props,
            },
        );
    }
    for (id, status) in v0.triage {
        m.triage.insert(
            ThreatId::new(&id),
            Triage {
                threat: ThreatId::new(id),
                status,
                ..Triage::default()
            },
        );
    }
    Ok(m)
}

/// Properties that were free text in version 1 and are lists from version 2 (comma or
/// space separated names).
const V1_LIST_PROPS: &[&str] = &["capabilities_added", "cap_add"];

/// Brings a version-1 model (or a converted version-0 one) to version 2:
/// - triage keyed by a per-boundary crossing id `RULE@flow:X/boundary:B` moves to the
///   per-flow id `RULE@flow:X`; several records that land on one id are merged (see
///   [`merge_triage`]), so no decision is dropped or silently orphaned;
/// - the text properties of [`V1_LIST_PROPS`] become lists.
///
/// Returns one line per change worth telling the user about.
pub fn v1_to_v2(m: &mut Model) -> Vec<String> {
    let mut notes = Vec::new();
    for el in m.elements.values_mut() {
        for name in V1_LIST_PROPS {
            if let Some(Value::Text(t)) = el.props.get(*name) {
                let items = t
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned);
                let list = Value::list(items);
                el.props.insert((*name).to_owned(), list);
            }
        }
    }
    let mut groups: BTreeMap<ThreatId, Vec<(String, Triage)>> = BTreeMap::new();
    let old = std::mem::take(&mut m.triage);
    for (key, t) in old {
        let (new_key, boundary) = match per_flow_id(key.as_str()) {
            Some((id, b)) => (ThreatId::new(id), b.to_owned()),
            None => (key, String::new()),
        };
        groups.entry(new_key).or_default().push((boundary, t));
    }
    for (key, mut recs) in groups {
        let moved: Vec<String> = recs
            .iter()
            .filter(|(b, _)| !b.is_empty())
            .map(|(b, _)| b.clone())
            .collect();
        let t = if recs.len() == 1 {
            let (_, mut t) = recs.remove(0);
            t.threat = key.clone();
            t
        } else {
            merge_triage(&key, recs)
        };
        if !moved.is_empty() {
            notes.push(format!(
                "triage of {key} moved from its per-boundary id{} (boundary {})",
                if moved.len() > 1 { "s, merged" } else { "" },
                moved.join(", ")
            ));
        }
        m.triage.insert(key, t);
    }
    m.version = FORMAT_VERSION;
    notes
}

/// `(RULE@flow:X, B)` for a version-1 crossing id `RULE@flow:X/boundary:B`.
fn per_flow_id(key: &str) -> Option<(&str, &str)> {
    let (rule, subject) = key.split_once('@')?;
    let rest = subject.strip_prefix("flow:")?;
    let (flow, b) = rest.split_once("/boundary:")?;
    if rule.is_empty() || flow.is_empty() {
        return None;
    }
    Some((&key[..rule.len() + 1 + "flow:".len() + flow.len()], b))
}

/// Merges triage records (with the boundary each came from; empty for a record already
/// under the new id) into one for `key`. Nothing is lost and nothing is claimed that
/// not every record claimed:
/// - status: the common one when all agree; otherwise the least settled one present
///   (Open before Needs investigation), and when they are all settled but disagree,
///   Needs investigation, so the reviewer decides again;
/// - severity override: the highest;
/// - justification: each record's, prefixed with its boundary, plus a line saying it
///   was merged; owner, ticket, reviewer: the distinct values joined; date: the latest;
/// - kept as history only when every record was.
pub fn merge_triage(key: &ThreatId, recs: Vec<(String, Triage)>) -> Triage {
    let first = recs.first().map(|(_, t)| t.status).unwrap_or_default();
    let status = if recs.iter().all(|(_, t)| t.status == first) {
        first
    } else if recs.iter().any(|(_, t)| t.status == Status::Open) {
        Status::Open
    } else {
        Status::NeedsInvestigation
    };
    let join = |get: &dyn Fn(&Triage) -> &str| {
        let mut seen: Vec<&str> = Vec::new();
        for (_, t) in &recs {
            let v = get(t).trim();
            if !v.is_empty() && !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen.join(", ")
    };
    let mut just = vec![format!(
        "Merged when per-boundary crossing threats became one threat per flow ({} records).",
        recs.len()
    )];
    for (b, t) in &recs {
        let where_ = if b.is_empty() {
            "this flow".to_owned()
        } else {
            format!("boundary {b}")
        };
        let j = t.justification.trim();
        just.push(format!(
            "[{where_}: {}]{}{}",
            t.status.label(),
            if j.is_empty() { "" } else { " " },
            j
        ));
    }
    Triage {
        threat: key.clone(),
        status,
        severity: recs.iter().filter_map(|(_, t)| t.severity).max(),
        justification: just.join("\n"),
        owner: join(&|t| &t.owner),
        ticket: join(&|t| &t.ticket),
        reviewed_by: join(&|t| &t.reviewed_by),
        date: recs
            .iter()
            .map(|(_, t)| t.date.as_str())
            .max()
            .unwrap_or_default()
            .to_owned(),
        kept_as_history: recs.iter().all(|(_, t)| t.kept_as_history),
        subject_name: recs
            .iter()
            .map(|(_, t)| t.subject_name.clone())
            .find(|n| !n.is_empty())
            .unwrap_or_default(),
        cvss: recs
            .iter()
            .map(|(_, t)| t.cvss.clone())
            .find(|n| !n.is_empty())
            .unwrap_or_default(),
    }
}

/// Duplicate-refusing readers for the version-0 lists and maps, with the messages of
/// version 1 (`duplicate id `x``, `property `p` is given twice`).
mod unique {
    use super::{Status, V0Boundary, V0Element, V0Flow};
    use serde::Deserialize;
    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::collections::{BTreeMap, BTreeSet};
    use std::fmt;
    use std::marker::PhantomData;

    pub(super) trait HasId {
        fn id(&self) -> &str;
    }
    impl HasId for V0Boundary {
        fn id(&self) -> &str {
            &self.id
        }
    }
    impl HasId for V0Element {
        fn id(&self) -> &str {
            &self.id
        }
    }
    impl HasId for V0Flow {
        fn id(&self) -> &str {
            &self.id
        }
    }

    fn duplicate<E: de::Error>(id: &str) -> E {
        E::custom(format!("duplicate id `{}`", crate::model::truncate(id, 80)))
    }

    struct ListVisitor<T>(PhantomData<T>);

    impl<'de, T: HasId + Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            while let Some(v) = seq.next_element::<T>()? {
                if !seen.insert(v.id().to_owned()) {
                    return Err(duplicate(v.id()));
                }
                out.push(v);
            }
            Ok(out)
        }
    }

    /// A list of records whose ids are all different.
    pub(super) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: HasId + Deserialize<'de>,
    {
        d.deserialize_seq(ListVisitor(PhantomData))
    }

    struct TriageVisitor;

    impl<'de> Visitor<'de> for TriageVisitor {
        type Value = BTreeMap<String, Status>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of threat ids to statuses")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = m.next_entry::<String, Status>()? {
                if out.contains_key(&k) {
                    return Err(duplicate(&k));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }

    /// The triage map, refusing a threat id given twice.
    pub(super) fn triage<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Status>, D::Error> {
        d.deserialize_map(TriageVisitor)
    }
}
