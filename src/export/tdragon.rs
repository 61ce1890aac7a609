//! OWASP Threat Dragon v2 JSON: one STRIDE diagram with the model's boundaries as
//! boundary boxes (behind everything, outermost first), elements as actors, processes
//! and stores at their positions, flows attached to their cells, and every threat
//! (generated and manual) on its subject with its triage status. Threats about the
//! whole system, which Threat Dragon has no place for, are listed in the summary.
//!
//! Serialized from the borrowed types below, not a `serde_json::Value` tree; as in
//! [`super::otm`], fields are declared in the byte order `serde_json` sorts a map's keys
//! in and omitted where the tree had no key, so the bytes are those of the tree.

use super::otm::Point;
use super::{Shape, fin};
use crate::analysis::{Analysis, Subject};
use crate::geometry;
use crate::import::NOTE_DESCRIPTION;
use crate::model::{Model, Severity, Status, Value};
use crate::report;
use crate::rules::{BaseShape, Catalog};
use serde::Serialize;
use std::collections::HashMap;

/// The Threat Dragon version the file claims.
pub(crate) const TD_VERSION: &str = "2.2.0";

/// Threat Dragon's name of a triage status.
pub(crate) fn td_status(s: Status) -> &'static str {
    match s {
        Status::Open | Status::NeedsInvestigation => "Open",
        Status::Mitigated => "Mitigated",
        Status::AcceptedRisk => "Accepted",
        Status::NotApplicable => "NotApplicable",
        Status::Transferred => "Transferred",
    }
}

/// Threat Dragon's name of a severity (it has no Critical).
pub(crate) fn td_severity(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High | Severity::Critical => "High",
    }
}

/// A cell id: Threat Dragon wants at least two characters.
pub(crate) fn cell_id(id: &str) -> String {
    if id.chars().count() >= 2 {
        id.to_owned()
    } else {
        format!("cell-{id}")
    }
}

/// The text property `k`, or empty.
pub(crate) fn text_prop(p: &crate::model::Props, k: &str) -> String {
    match p.get(k) {
        Some(Value::Text(t)) => t.clone(),
        _ => String::new(),
    }
}

/// The boolean property `k`, when set.
pub(crate) fn bool_prop(p: &crate::model::Props, k: &str) -> Option<bool> {
    match p.get(k) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// The whole Threat Dragon document.
#[derive(Serialize)]
pub(crate) struct Document<'a> {
    /// Contributors and the one diagram.
    detail: Detail<'a>,
    /// Title, owner, description.
    summary: Summary<'a>,
    /// [`TD_VERSION`].
    version: &'static str,
}

/// `summary`.
#[derive(Serialize)]
struct Summary<'a> {
    /// The model's description, then the threats about the whole system.
    description: String,
    /// Always 0.
    id: u32,
    /// The model's owner.
    owner: &'a str,
    /// The title, `Untitled model` when empty.
    title: &'a str,
}

/// `detail`.
#[derive(Serialize)]
struct Detail<'a> {
    /// The reviewers.
    contributors: Vec<Contributor<'a>>,
    /// Always 1.
    #[serde(rename = "diagramTop")]
    diagram_top: u32,
    /// The one diagram.
    diagrams: [Diagram<'a>; 1],
    /// The first reviewer, or empty.
    reviewer: &'a str,
    /// How many threats the analysis found.
    #[serde(rename = "threatTop")]
    threat_top: usize,
}

/// A contributor.
#[derive(Serialize)]
struct Contributor<'a> {
    /// A reviewer.
    name: &'a str,
}

/// The STRIDE diagram.
#[derive(Serialize)]
struct Diagram<'a> {
    /// Boundaries, elements, flows.
    cells: Vec<Cell<'a>>,
    /// Always empty.
    description: &'static str,
    /// `STRIDE`.
    #[serde(rename = "diagramType")]
    diagram_type: &'static str,
    /// Always 0.
    id: u32,
    /// Threat Dragon's placeholder text.
    placeholder: &'static str,
    /// Threat Dragon's STRIDE thumbnail.
    thumbnail: &'static str,
    /// The title, `Main diagram` when empty.
    title: &'a str,
    /// [`TD_VERSION`].
    version: &'static str,
}

/// A cell of the diagram.
#[derive(Serialize)]
#[serde(untagged)]
enum Cell<'a> {
    /// A boundary box.
    Boundary(BoundaryCell<'a>),
    /// An actor, process or store.
    Element(ElementCell<'a>),
    /// A flow.
    Flow(FlowCell<'a>),
}

/// `{"text": ..}`.
#[derive(Serialize)]
struct Text<'a> {
    /// The text.
    text: &'a str,
}

/// A boundary as a trust boundary box.
#[derive(Serialize)]
struct BoundaryCell<'a> {
    /// `{"label": {"text": name}}`.
    attrs: LabelAttrs<'a>,
    /// Its data.
    data: BoundaryData<'a>,
    /// [`cell_id`].
    id: String,
    /// Top-left corner.
    position: Point,
    /// `trust-boundary-box`.
    shape: &'static str,
    /// At least 10 × 10.
    size: Shape,
    /// Negative, outermost lowest.
    #[serde(rename = "zIndex")]
    z_index: i64,
}

/// `attrs` of a boundary box.
#[derive(Serialize)]
struct LabelAttrs<'a> {
    /// The label.
    label: Text<'a>,
}

/// `data` of a boundary box.
#[derive(Serialize)]
struct BoundaryData<'a> {
    /// Kind and trust.
    description: String,
    /// Whether an untriaged threat is on it.
    #[serde(rename = "hasOpenThreats")]
    has_open_threats: bool,
    /// Always true.
    #[serde(rename = "isTrustBoundary")]
    is_trust_boundary: bool,
    /// The boundary's name.
    name: &'a str,
    /// Its threats.
    threats: Vec<TdThreat<'a>>,
    /// `tm.BoundaryBox`.
    #[serde(rename = "type")]
    kind: &'static str,
}

/// An element as an actor, process or store.
#[derive(Serialize)]
struct ElementCell<'a> {
    /// `{"text": {"text": name}}`.
    attrs: TextAttrs<'a>,
    /// Its data.
    data: ElementData<'a>,
    /// [`cell_id`].
    id: String,
    /// Top-left corner.
    position: Point,
    /// `actor`, `process` or `store`.
    shape: &'static str,
    /// The stencil's size.
    size: Shape,
    /// Always true.
    visible: bool,
    /// Counts up from 1 over elements then flows.
    #[serde(rename = "zIndex")]
    z_index: i64,
}

/// `attrs` of an element.
#[derive(Serialize)]
struct TextAttrs<'a> {
    /// The label.
    text: Text<'a>,
}

/// `data` of an element; the `Option` fields belong to one shape each.
#[derive(Serialize)]
struct ElementData<'a> {
    /// The description note and the Palisade kind.
    description: String,
    /// Whether an untriaged threat is on it.
    #[serde(rename = "hasOpenThreats")]
    has_open_threats: bool,
    /// Store: false.
    #[serde(rename = "isALog", skip_serializing_if = "Option::is_none")]
    is_a_log: Option<bool>,
    /// Store: `encrypted_at_rest`.
    #[serde(rename = "isEncrypted", skip_serializing_if = "Option::is_none")]
    is_encrypted: Option<bool>,
    /// Store: `integrity_checked`.
    #[serde(rename = "isSigned", skip_serializing_if = "Option::is_none")]
    is_signed: Option<bool>,
    /// Always false.
    #[serde(rename = "isTrustBoundary")]
    is_trust_boundary: bool,
    /// The element's name.
    name: &'a str,
    /// Always false.
    #[serde(rename = "outOfScope")]
    out_of_scope: bool,
    /// Process: empty.
    #[serde(rename = "privilegeLevel", skip_serializing_if = "Option::is_none")]
    privilege_level: Option<&'static str>,
    /// Actor: false.
    #[serde(
        rename = "providesAuthentication",
        skip_serializing_if = "Option::is_none"
    )]
    provides_authentication: Option<bool>,
    /// Always empty.
    #[serde(rename = "reasonOutOfScope")]
    reason_out_of_scope: &'static str,
    /// Store: false.
    #[serde(rename = "storesCredentials", skip_serializing_if = "Option::is_none")]
    stores_credentials: Option<bool>,
    /// Its threats.
    threats: Vec<TdThreat<'a>>,
    /// `tm.Actor`, `tm.Process` or `tm.Store`.
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A flow.
#[derive(Serialize)]
struct FlowCell<'a> {
    /// The line's look.
    attrs: LineAttrs,
    /// `smooth`.
    connector: &'static str,
    /// Its data.
    data: FlowData<'a>,
    /// Always 100.
    height: u32,
    /// [`cell_id`].
    id: String,
    /// The flow's name.
    labels: [&'a str; 1],
    /// `flow`.
    shape: &'static str,
    /// The source cell.
    source: End,
    /// The target cell.
    target: End,
    /// The bend's control point, when the flow is bent.
    vertices: Vec<Point>,
    /// Always 200.
    width: u32,
    /// Counts up from 1 over elements then flows.
    #[serde(rename = "zIndex")]
    z_index: i64,
}

/// An end of a flow.
#[derive(Serialize)]
struct End {
    /// [`cell_id`] of the element.
    cell: String,
}

/// `attrs` of a flow.
#[derive(Serialize)]
struct LineAttrs {
    /// The line.
    line: Line,
}

/// A flow's line.
#[derive(Serialize)]
struct Line {
    /// No marker.
    #[serde(rename = "sourceMarker")]
    source_marker: Marker,
    /// `#333333`.
    stroke: &'static str,
    /// 1.
    #[serde(rename = "strokeWidth")]
    stroke_width: u32,
    /// An arrowhead.
    #[serde(rename = "targetMarker")]
    target_marker: Marker,
}

/// A line end's marker.
#[derive(Serialize)]
struct Marker {
    /// `block`, or empty.
    name: &'static str,
}

/// `data` of a flow.
#[derive(Serialize)]
struct FlowData<'a> {
    /// The description note and the other properties.
    description: String,
    /// Whether an untriaged threat is on it.
    #[serde(rename = "hasOpenThreats")]
    has_open_threats: bool,
    /// Always false.
    #[serde(rename = "isBidirectional")]
    is_bidirectional: bool,
    /// The `encrypted` property.
    #[serde(rename = "isEncrypted")]
    is_encrypted: bool,
    /// Whether it crosses an internet boundary.
    #[serde(rename = "isPublicNetwork")]
    is_public_network: bool,
    /// Always false.
    #[serde(rename = "isTrustBoundary")]
    is_trust_boundary: bool,
    /// The flow's name.
    name: &'a str,
    /// Always false.
    #[serde(rename = "outOfScope")]
    out_of_scope: bool,
    /// The `protocol` property.
    protocol: String,
    /// Always empty.
    #[serde(rename = "reasonOutOfScope")]
    reason_out_of_scope: &'static str,
    /// Its threats.
    threats: Vec<TdThreat<'a>>,
    /// `tm.Flow`.
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A threat on a cell.
#[derive(Serialize)]
struct TdThreat<'a> {
    /// Description, severity mark, why and triage justification.
    description: String,
    /// Threat id.
    id: &'a str,
    /// The mitigations, one a line.
    mitigation: String,
    /// `STRIDE`.
    #[serde(rename = "modelType")]
    model_type: &'static str,
    /// Its number in the analysis, from 1.
    number: usize,
    /// The CVSS vector in effect, or empty.
    score: String,
    /// [`td_severity`].
    severity: &'static str,
    /// [`td_status`].
    status: &'static str,
    /// Threat id again.
    #[serde(rename = "threatId")]
    threat_id: &'a str,
    /// Title.
    title: String,
    /// STRIDE category label.
    #[serde(rename = "type")]
    kind: &'static str,
}

/// What a threat is filed under until its cell is written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    /// An element by id.
    Element(&'a str),
    /// A flow by id.
    Flow(&'a str),
    /// A boundary by id.
    Boundary(&'a str),
}

/// The threats of one cell, and whether one is untriaged.
#[derive(Default)]
struct OnCell<'a> {
    /// The threats.
    threats: Vec<TdThreat<'a>>,
    /// Whether one of them is untriaged.
    open: bool,
}

/// The threats of `analysis` filed by cell, and the lines of those about the whole
/// system (for the summary).
fn threats<'a>(
    model: &Model,
    catalog: &Catalog,
    analysis: &'a Analysis,
) -> (HashMap<Key<'a>, OnCell<'a>>, Vec<String>) {
    let mut on: HashMap<Key<'a>, OnCell<'a>> = HashMap::new();
    let mut system: Vec<String> = Vec::new();
    let viewer = report::Viewer::new(model, catalog, analysis);
    for (n, t) in analysis.threats.iter().enumerate() {
        let v = viewer.view(t);
        let status = viewer.status(t);
        let sev = t.severity(model);
        let key = match &t.subject {
            Subject::Element(e) => Key::Element(e.as_str()),
            Subject::Flow(f) | Subject::Crossing(f, _) => Key::Flow(f.as_str()),
            Subject::Boundary(b) => Key::Boundary(b.as_str()),
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
        let mut description = if sev == Severity::Critical {
            format!("[Critical] {}", v.description)
        } else {
            v.description
        };
        if !v.why.is_empty() {
            description.push_str("\n\nWhy: ");
            description.push_str(&v.why.join("; "));
        }
        if !v.justification.is_empty() {
            description.push_str("\n\nTriage: ");
            description.push_str(&v.justification);
        }
        let cell = on.entry(key).or_default();
        cell.threats.push(TdThreat {
            description,
            id: t.id.as_str(),
            mitigation: v.mitigations.join("\n"),
            model_type: "STRIDE",
            number: n + 1,
            score: v.cvss,
            severity: td_severity(sev),
            status: td_status(status),
            threat_id: t.id.as_str(),
            title: v.title,
            kind: t.category.label(),
        });
        cell.open |= status.is_untriaged();
    }
    (on, system)
}

/// The boundaries as boundary boxes, outermost first, behind everything.
fn boundary_cells<'a>(model: &'a Model, on: &mut HashMap<Key<'a>, OnCell<'a>>) -> Vec<Cell<'a>> {
    let mut bounds: Vec<(usize, &crate::model::Boundary)> = model
        .boundaries
        .values()
        .map(|b| (model.boundary_chain(Some(&b.id)).len(), b))
        .collect();
    bounds.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let n = bounds.len() as i64;
    (bounds.into_iter())
        .map(|(depth, b)| {
            let cell = on.remove(&Key::Boundary(b.id.as_str())).unwrap_or_default();
            Cell::Boundary(BoundaryCell {
                attrs: LabelAttrs {
                    label: Text { text: &b.name },
                },
                data: BoundaryData {
                    description: format!(
                        "Palisade boundary: {} (trust {})",
                        b.kind.label(),
                        b.trust
                    ),
                    has_open_threats: cell.open,
                    is_trust_boundary: true,
                    name: &b.name,
                    threats: cell.threats,
                    kind: "tm.BoundaryBox",
                },
                id: cell_id(b.id.as_str()),
                position: Point {
                    x: fin(b.rect.0),
                    y: fin(b.rect.1),
                },
                shape: "trust-boundary-box",
                size: Shape::of(b.rect.2.max(10.0), b.rect.3.max(10.0)),
                z_index: -n + depth as i64 - 1,
            })
        })
        .collect()
}

/// The cell of element `e` at `z`.
fn element_cell<'a>(
    catalog: &Catalog,
    e: &'a crate::model::Element,
    cell: OnCell<'a>,
    z: i64,
) -> Cell<'a> {
    let base = geometry::base_of(catalog, e);
    let (w, h) = geometry::element_size(base);
    let (shape, kind) = match base {
        Some(BaseShape::Entity) => ("actor", "tm.Actor"),
        Some(BaseShape::Store) => ("store", "tm.Store"),
        _ => ("process", "tm.Process"),
    };
    let (store, actor, process) = (shape == "store", shape == "actor", shape == "process");
    let mut description = text_prop(&e.props, NOTE_DESCRIPTION);
    if !e.kind.starts_with("generic.") {
        description.push_str("\n\nPalisade kind: ");
        description.push_str(&e.kind);
    }
    let trimmed = description.trim();
    if trimmed.len() != description.len() {
        description = trimmed.to_owned();
    }
    Cell::Element(ElementCell {
        attrs: TextAttrs {
            text: Text { text: &e.name },
        },
        data: ElementData {
            description,
            has_open_threats: cell.open,
            is_a_log: store.then_some(false),
            is_encrypted: store.then(|| bool_prop(&e.props, "encrypted_at_rest").unwrap_or(false)),
            is_signed: store.then(|| bool_prop(&e.props, "integrity_checked").unwrap_or(false)),
            is_trust_boundary: false,
            name: &e.name,
            out_of_scope: false,
            privilege_level: process.then_some(""),
            provides_authentication: actor.then_some(false),
            reason_out_of_scope: "",
            stores_credentials: store.then_some(false),
            threats: cell.threats,
            kind,
        },
        id: cell_id(e.id.as_str()),
        position: Point {
            x: fin(e.pos.0 - w / 2.0),
            y: fin(e.pos.1 - h / 2.0),
        },
        shape,
        size: Shape::of(w, h),
        visible: true,
        z_index: z,
    })
}

/// Whether flow `f` crosses an internet boundary (one its two ends do not share).
fn crosses_internet(model: &Model, f: &crate::model::Flow) -> bool {
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
}

/// The cell of flow `f` at `z`, bent by `bend`.
fn flow_cell<'a>(
    model: &Model,
    f: &'a crate::model::Flow,
    bend: f64,
    cell: OnCell<'a>,
    z: i64,
) -> Cell<'a> {
    let mut vertices: Vec<Point> = Vec::new();
    if bend != 0.0
        && let (Some(s), Some(t)) = (model.elements.get(&f.source), model.elements.get(&f.target))
    {
        let c = geometry::bend_control(s.pos, t.pos, bend);
        vertices.push(Point {
            x: fin(c.0),
            y: fin(c.1),
        });
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
        description.push_str("Palisade: ");
        description.push_str(&extra.join(", "));
    }
    Cell::Flow(FlowCell {
        attrs: LineAttrs {
            line: Line {
                source_marker: Marker { name: "" },
                stroke: "#333333",
                stroke_width: 1,
                target_marker: Marker { name: "block" },
            },
        },
        connector: "smooth",
        data: FlowData {
            description,
            has_open_threats: cell.open,
            is_bidirectional: false,
            is_encrypted: bool_prop(&f.props, "encrypted").unwrap_or(false),
            is_public_network: crosses_internet(model, f),
            is_trust_boundary: false,
            name: &f.name,
            out_of_scope: false,
            protocol: text_prop(&f.props, "protocol"),
            reason_out_of_scope: "",
            threats: cell.threats,
            kind: "tm.Flow",
        },
        height: 100,
        id: cell_id(f.id.as_str()),
        labels: [&f.name],
        shape: "flow",
        source: End {
            cell: cell_id(f.source.as_str()),
        },
        target: End {
            cell: cell_id(f.target.as_str()),
        },
        vertices,
        width: 200,
        z_index: z,
    })
}

/// The Threat Dragon document of `model` analysed as `analysis`.
pub(crate) fn document<'a>(
    model: &'a Model,
    catalog: &Catalog,
    analysis: &'a Analysis,
) -> Document<'a> {
    let (mut on, system) = threats(model, catalog, analysis);
    let mut cells = boundary_cells(model, &mut on);
    cells.reserve(model.elements.len() + model.flows.len());
    let mut z = 1i64;
    for e in model.elements.values() {
        let cell = on.remove(&Key::Element(e.id.as_str())).unwrap_or_default();
        cells.push(element_cell(catalog, e, cell, z));
        z += 1;
    }
    let bends = geometry::flow_bends(model);
    for f in model.flows.values() {
        let cell = on.remove(&Key::Flow(f.id.as_str())).unwrap_or_default();
        let bend = bends.get(&f.id).copied().unwrap_or(0.0);
        cells.push(flow_cell(model, f, bend, cell, z));
        z += 1;
    }
    let md = &model.metadata;
    let mut description = md.description.clone();
    if !system.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str("Threats about the whole system:\n");
        description.push_str(&system.join("\n"));
    }
    Document {
        detail: Detail {
            contributors: (md.reviewers.iter())
                .map(|r| Contributor { name: r })
                .collect(),
            diagram_top: 1,
            diagrams: [Diagram {
                cells,
                description: "",
                diagram_type: "STRIDE",
                id: 0,
                placeholder: "New STRIDE diagram description",
                thumbnail: "./public/content/images/thumbnail.stride.jpg",
                title: if md.title.is_empty() {
                    "Main diagram"
                } else {
                    &md.title
                },
                version: TD_VERSION,
            }],
            reviewer: md.reviewers.first().map(String::as_str).unwrap_or(""),
            threat_top: analysis.threats.len(),
        },
        summary: Summary {
            description,
            id: 0,
            owner: &md.owner,
            title: if md.title.is_empty() {
                "Untitled model"
            } else {
                &md.title
            },
        },
        version: TD_VERSION,
    }
}
