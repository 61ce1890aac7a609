//! Migrations from older file versions. Each old version is parsed into its own types
//! and converted; nothing is guessed from text.

use crate::model::{
    Boundary, BoundaryId, BoundaryKind, Element, ElementId, FORMAT_VERSION, Flow, FlowId, Metadata,
    Model, Props, Status, ThreatId, Triage,
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
                id: ElementId::new(e.id),
                name: e.name,
                kind: e.kind,
                boundary: e.inside.map(BoundaryId::new),
                pos: (e.x, e.y),
                props: e.props,
            },
        );
    }
    for f in v0.flows {
        m.flows.insert(
            FlowId::new(&f.id),
            Flow {
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
