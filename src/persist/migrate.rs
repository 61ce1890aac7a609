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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V0 {
    #[allow(dead_code)]
    version: u32,
    title: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    boundaries: Vec<V0Boundary>,
    #[serde(default)]
    elements: Vec<V0Element>,
    #[serde(default)]
    flows: Vec<V0Flow>,
    #[serde(default)]
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
    #[serde(default)]
    props: Props,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V0Flow {
    id: String,
    name: String,
    from: String,
    to: String,
    #[serde(default)]
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
