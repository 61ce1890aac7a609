//! Bench-side converter from the peer baseline's neutral synthetic model
//! (`perfbase-neutral-tm/1`, written by `gen_pytm.py` in `../shared/bench/`) to a
//! Palisade [`Model`] over the generic DFD stencils of `templates/generic.ron`.
//!
//! The neutral schema is a synthetic benchmark format (pytm attribute names, 36 random
//! control booleans per node), not something users write, so this lives with the
//! benchmarks rather than behind a `palisade import` command. The mapping is documented
//! in `BENCHMARKS.md` ("The converted model"); keep the two in step.
//!
//! Only what has a faithful generic counterpart is mapped. Everything else in the
//! neutral model (`role`, `OS`, `minTLSVersion`, `tlsVersion`, `usesVPN`, the
//! `Data` objects themselves, the 30-odd controls no generic property reads, ...) is
//! dropped; `data` only feeds a flow's `classification` and `carries_secrets`.

use palisade::model::{
    Boundary, BoundaryId, BoundaryKind, Element, ElementId, Flow, FlowId, Metadata, Model, Props,
    Value, check_id,
};
use serde_json::Value as J;
use std::collections::{BTreeMap, HashMap};

/// The schema this converter reads.
pub const SCHEMA: &str = "perfbase-neutral-tm/1";

/// Horizontal distance between element centres inside a boundary, in diagram units.
const CELL_W: f64 = 180.0;
/// Vertical distance between element centres inside a boundary.
const CELL_H: f64 = 110.0;
/// Margin between a boundary's edge and its outermost element centres.
const PAD: f64 = 90.0;
/// Gap between neighbouring boundaries.
const GAP: f64 = 60.0;

/// Stencil kind for a neutral node kind.
pub fn stencil_for(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "actor" | "external_entity" => "generic.entity",
        "process" | "server" | "lambda" | "set_of_processes" => "generic.process",
        "datastore" => "generic.store",
        _ => return None,
    })
}

/// Boundary kind and trust level for a neutral boundary: `internet` (the only public
/// one) is untrusted, `k8s-control-plane` is the most trusted zone, every other
/// boundary is an application namespace.
pub fn boundary_kind(name: &str, public: bool) -> (BoundaryKind, u8) {
    if public || name == "internet" {
        (BoundaryKind::Internet, 0)
    } else if name == "k8s-control-plane" {
        (BoundaryKind::Cluster, 9)
    } else {
        (BoundaryKind::Namespace, 6)
    }
}

/// pytm `Classification` member name to the generic `classification` option.
pub fn classification(c: &str) -> Option<(u8, &'static str)> {
    Some(match c {
        "PUBLIC" => (0, "public"),
        "RESTRICTED" => (1, "internal"),
        "SENSITIVE" => (2, "confidential"),
        "SECRET" => (3, "secret"),
        "TOP_SECRET" => (4, "secret"),
        _ => return None,
    })
}

fn s<'a>(v: &'a J, k: &str) -> &'a str {
    v.get(k).and_then(J::as_str).unwrap_or("")
}

fn b(v: &J, k: &str) -> bool {
    v.get(k).and_then(J::as_bool).unwrap_or(false)
}

fn ctl(props: &J, k: &str) -> bool {
    props.get("controls").is_some_and(|c| b(c, k))
}

fn id_of(prefix: &str, raw: &str) -> Result<String, String> {
    check_id(raw).map_err(|m| format!("{prefix}: {m}"))?;
    Ok(raw.to_owned())
}

/// Element properties for one neutral node (see `BENCHMARKS.md` for the table).
fn element_props(kind: &str, p: &J) -> Props {
    let mut out = Props::new();
    let mut put = |k: &str, v: bool| {
        out.insert(k.to_owned(), Value::Bool(v));
    };
    match stencil_for(kind) {
        Some("generic.entity") => {
            put("authenticated", ctl(p, "implementsAuthenticationScheme"));
        }
        Some("generic.process") => {
            put("authenticates_callers", ctl(p, "authenticatesSource"));
            put("validates_input", ctl(p, "validatesInput"));
            if p.get("tracksExecutionFlow").is_some() {
                put("audit_logging", b(p, "tracksExecutionFlow"));
            }
            put(
                "handles_sensitive_data",
                s(p, "maxClassification") != "PUBLIC",
            );
            put("rate_limited", ctl(p, "handlesResourceConsumption"));
            put("least_privilege", ctl(p, "implementsPOLP"));
        }
        Some("generic.store") => {
            put(
                "stores_sensitive_data",
                b(p, "storesSensitiveData") || b(p, "storesPII"),
            );
            put("encrypted_at_rest", ctl(p, "isEncryptedAtRest"));
            put("access_controlled", ctl(p, "hasAccessControl"));
            put("integrity_checked", ctl(p, "providesIntegrity"));
            put("capacity_limits", ctl(p, "handlesResourceConsumption"));
            put("backed_up", ctl(p, "isResilient"));
        }
        _ => {}
    }
    out
}

/// Converts a parsed neutral model.
pub fn convert(j: &J) -> Result<Model, String> {
    if s(j, "schema") != SCHEMA {
        return Err(format!(
            "not a {SCHEMA} model (schema = {:?})",
            s(j, "schema")
        ));
    }
    let arr = |k: &str| {
        j.get(k)
            .and_then(J::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let mut model = Model::new(s(j, "name"));
    model.metadata = Metadata {
        title: format!("{} (converted from {SCHEMA})", s(j, "name")),
        description: s(j, "description").to_owned(),
        templates: vec!["generic".to_owned()],
        ..Metadata::default()
    };

    // Data objects: classification rank and whether they are credentials.
    let mut data: HashMap<&str, (u8, bool)> = HashMap::new();
    for d in arr("data") {
        let p = &d["properties"];
        let rank = classification(s(p, "classification"))
            .map(|c| c.0)
            .unwrap_or(1);
        data.insert(s(d, "id"), (rank, b(p, "isCredentials")));
    }

    // Members per boundary, in file order, for the layout.
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in arr("elements").iter().enumerate() {
        members.entry(s(e, "boundary")).or_default().push(i);
    }

    // Layout: each boundary is a grid of its members; boundaries are packed in shelves
    // so that the whole diagram is roughly square.
    let bounds = arr("boundaries");
    let dims: Vec<(usize, f64, f64)> = bounds
        .iter()
        .map(|bd| {
            let n = members.get(s(bd, "id")).map_or(0, Vec::len).max(1);
            let cols = (n as f64).sqrt().ceil() as usize;
            let rows = n.div_ceil(cols);
            (
                cols,
                (cols - 1) as f64 * CELL_W + 2.0 * PAD,
                (rows - 1) as f64 * CELL_H + 2.0 * PAD,
            )
        })
        .collect();
    let total_area: f64 = dims.iter().map(|d| (d.1 + GAP) * (d.2 + GAP)).sum();
    let shelf_w = total_area
        .sqrt()
        .max(dims.iter().map(|d| d.1).fold(0.0, f64::max));
    let (mut x, mut y, mut shelf_h) = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut pos: HashMap<&str, (f64, f64)> = HashMap::new();
    for (bd, &(cols, w, h)) in bounds.iter().zip(&dims) {
        if x > 0.0 && x + w > shelf_w {
            x = 0.0;
            y += shelf_h + GAP;
            shelf_h = 0.0;
        }
        let id = id_of("boundary", s(bd, "id"))?;
        let name = s(bd, "name");
        let (kind, trust) = boundary_kind(name, b(&bd["properties"], "public"));
        if let Some(list) = members.get(id.as_str()) {
            for (k, &ei) in list.iter().enumerate() {
                let (c, r) = (k % cols, k / cols);
                pos.insert(
                    s(&arr("elements")[ei], "id"),
                    (x + PAD + c as f64 * CELL_W, y + PAD + r as f64 * CELL_H),
                );
            }
        }
        model.boundaries.insert(
            BoundaryId::new(id.clone()),
            Boundary {
                props: Default::default(),
                id: BoundaryId::new(id),
                name: name.to_owned(),
                kind,
                trust,
                parent: None,
                rect: (x, y, w, h),
            },
        );
        x += w + GAP;
        shelf_h = shelf_h.max(h);
    }

    // Elements. Nodes outside every boundary (none in the generator's output) go in a
    // row under the diagram.
    let mut loose = 0usize;
    let bottom = y + shelf_h + GAP + PAD;
    let mut receiver: HashMap<&str, (bool, bool)> = HashMap::new();
    for e in arr("elements") {
        let id = id_of("element", s(e, "id"))?;
        let kind = s(e, "kind");
        let stencil =
            stencil_for(kind).ok_or_else(|| format!("element {id}: unknown kind {kind:?}"))?;
        let p = &e["properties"];
        let boundary = match s(e, "boundary") {
            "" => None,
            bid => Some(BoundaryId::new(bid)),
        };
        let at = pos.get(id.as_str()).copied().unwrap_or_else(|| {
            loose += 1;
            (PAD + (loose - 1) as f64 * CELL_W, bottom)
        });
        // Receiver-side controls that the generic template models per flow.
        receiver.insert(
            s(e, "id"),
            (
                ctl(p, "sanitizesInput"),
                ctl(p, "handlesResourceConsumption"),
            ),
        );
        model.elements.insert(
            ElementId::new(id.clone()),
            Element {
                provenance: Default::default(),
                id: ElementId::new(id),
                name: s(e, "name").to_owned(),
                kind: stencil.to_owned(),
                boundary,
                pos: at,
                props: element_props(kind, p),
                entry_point: false,
                crown_jewel: false,
            },
        );
    }

    // Flows.
    for f in arr("flows") {
        let id = id_of("flow", s(f, "id"))?;
        let p = &f["properties"];
        let mut props = Props::new();
        let proto = s(p, "protocol");
        if !proto.is_empty() {
            props.insert("protocol".to_owned(), Value::Text(proto.to_owned()));
        }
        if let Some(port) = p.get("dstPort").and_then(J::as_f64).filter(|&n| n > 0.0) {
            props.insert("port".to_owned(), Value::Number(port));
        }
        props.insert("encrypted".to_owned(), Value::Bool(b(p, "isEncrypted")));
        props.insert(
            "authenticated".to_owned(),
            Value::Bool(b(p, "authenticated")),
        );
        let carried: Vec<(u8, bool)> = p
            .get("data")
            .and_then(J::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|d| d.as_str().and_then(|d| data.get(d).copied()))
                    .collect()
            })
            .unwrap_or_default();
        props.insert(
            "carries_secrets".to_owned(),
            Value::Bool(carried.iter().any(|d| d.1)),
        );
        let rank = match classification(s(p, "maxClassification")) {
            Some((r, _)) => r,
            None => carried.iter().map(|d| d.0).max().unwrap_or(1),
        };
        let class = ["public", "internal", "confidential", "secret", "secret"][rank as usize];
        props.insert("classification".to_owned(), Value::Text(class.to_owned()));
        if let Some(&(sanitizes, limits)) = receiver.get(s(f, "target")) {
            props.insert("validated_by_receiver".to_owned(), Value::Bool(sanitizes));
            props.insert("rate_limited".to_owned(), Value::Bool(limits));
        }
        model.flows.insert(
            FlowId::new(id.clone()),
            Flow {
                channel: Default::default(),
                id: FlowId::new(id),
                name: s(f, "name").to_owned(),
                source: ElementId::new(s(f, "source")),
                target: ElementId::new(s(f, "target")),
                props,
            },
        );
    }
    Ok(model)
}

/// Reads a neutral JSON file and converts it.
pub fn convert_file(path: &std::path::Path) -> Result<Model, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let j: J = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    convert(&j).map_err(|e| format!("{}: {e}", path.display()))
}
