//! Open Threat Model 0.2.0.
//!
//! Boundaries become trust zones (`parent` for nesting, `type` the boundary kind,
//! `trustRating` = trust × 10), elements components (`type` the stencil kind, `parent`
//! their boundary), flows dataflows, and every threat (generated, manual, and orphaned
//! triage records) a threat with an instance on its subject whose `state` is the triage
//! status. What OTM has no field for (properties, triage details, the rule a threat came
//! from) goes under `attributes.palisade`, which Palisade reads back exactly; other tools
//! ignore it.
//!
//! The document is serialized from the borrowed types below rather than from a
//! `serde_json::Value` tree (a map allocation per object: over a gigabyte at N = 10,000).
//! Fields are declared in the order `serde_json` writes the keys of a map (byte order)
//! and omitted where the tree had no key, so the bytes are those of the value tree.

use super::{PropsOut, Shape, fin};
use crate::analysis::{Analysis, Origin, Subject};
use crate::import::{NOTE_DESCRIPTION, is_note};
use crate::model::{
    Boundary, BoundaryKind, Channel, Model, Props, Severity, Status, SubjectRef, Triage, Value,
};
use crate::report;
use crate::rules::Catalog;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};

/// The OTM version written.
pub const OTM_VERSION: &str = "0.2.0";
/// The one representation every position refers to.
pub(crate) const DIAGRAM: &str = "palisade-diagram";
/// The trust zone that holds elements outside every boundary (OTM components need a
/// parent); marked so that Palisade drops it again on import.
pub(crate) const OUTSIDE: &str = "palisade-outside";

/// Element box size written to `representations` (the largest drawn).
const ELEM: (f64, f64) = (140.0, 70.0);

/// The boundary kind as an OTM trust zone `type`.
pub(crate) fn kind_key(k: BoundaryKind) -> String {
    k.label().replace(' ', "-")
}

/// The OTM `risk.impact` of a severity.
pub(crate) fn impact(s: Severity) -> f64 {
    match s {
        Severity::Low => 25.0,
        Severity::Medium => 50.0,
        Severity::High => 75.0,
        Severity::Critical => 100.0,
    }
}

/// The OTM `risk.likelihood` of a likelihood.
pub(crate) fn likelihood(l: crate::model::Likelihood) -> f64 {
    match l {
        crate::model::Likelihood::Low => 25.0,
        crate::model::Likelihood::High => 100.0,
        crate::model::Likelihood::Medium => 50.0,
    }
}

/// A manual threat's subject as written in `attributes.palisade.subject`.
pub(crate) fn subject_key(s: &SubjectRef) -> String {
    match s {
        SubjectRef::Element(e) => format!("element:{e}"),
        SubjectRef::Flow(f) => format!("flow:{f}"),
        SubjectRef::Boundary(b) => format!("boundary:{b}"),
        SubjectRef::Model => "model".into(),
    }
}

/// The top-left corner of the boundary `parent` (the origin of its children's
/// positions), or 0, 0.
pub(crate) fn rect_origin(model: &Model, parent: Option<&crate::model::BoundaryId>) -> (f64, f64) {
    parent
        .and_then(|p| model.boundaries.get(p))
        .map(|b| (b.rect.0, b.rect.1))
        .unwrap_or((0.0, 0.0))
}

/// The description note of an item, when it has one.
pub(crate) fn description_of(props: &Props) -> Option<&str> {
    match props.get(NOTE_DESCRIPTION) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

/// The OTM project id made of a model title (`palisade-model` when nothing is left).
pub(crate) fn project_id(title: &str) -> String {
    let s: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "palisade-model".to_owned()
    } else {
        s.to_owned()
    }
}

/// The whole OTM document.
#[derive(Serialize)]
pub(crate) struct Document<'a> {
    /// Elements.
    components: Vec<Component<'a>>,
    /// Flows.
    dataflows: Vec<Dataflow<'a>>,
    /// Every distinct mitigation text, numbered in order of first use.
    mitigations: Vec<Mitigation>,
    /// [`OTM_VERSION`].
    #[serde(rename = "otmVersion")]
    otm_version: &'static str,
    /// The model's metadata.
    project: Project<'a>,
    /// The one diagram.
    representations: [Representation; 1],
    /// Every threat, then the orphaned triage records.
    threats: Vec<Threat<'a>>,
    /// Boundaries, then the zone of the elements outside every boundary.
    #[serde(rename = "trustZones")]
    trust_zones: Vec<Zone<'a>>,
}

/// The `project` object.
#[derive(Serialize)]
struct Project<'a> {
    /// Palisade's own metadata.
    attributes: Attributes<ProjectPalisade<'a>>,
    /// The model's description.
    description: &'a str,
    /// Made of the title ([`project_id`]).
    id: String,
    /// The title, `Untitled model` when empty.
    name: &'a str,
    /// The model's owner.
    owner: &'a str,
}

/// `attributes` with Palisade's part, the only one written.
#[derive(Serialize)]
struct Attributes<T> {
    /// What Palisade reads back.
    palisade: T,
}

/// `project.attributes.palisade`: the metadata OTM has no field for.
#[derive(Serialize)]
struct ProjectPalisade<'a> {
    /// The controls as serde writes them (sorted keys, as a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    controls: Option<serde_json::Value>,
    /// Review date.
    date: &'a str,
    /// Document version.
    doc_version: &'a str,
    /// Relations (no OTM counterpart), when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    relations: Option<Vec<Relation<'a>>>,
    /// Reviewers.
    reviewers: &'a [String],
    /// The risk scale when it is not the default (as a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_matrix: Option<serde_json::Value>,
    /// Template ids.
    templates: &'a [String],
    /// Instances of the threats about the whole system, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    threats: Option<Vec<Instance<'a>>>,
    /// The title as written (possibly empty).
    title: &'a str,
}

/// A relation in `project.attributes.palisade.relations`.
#[derive(Serialize)]
struct Relation<'a> {
    /// Relation id.
    id: &'a str,
    /// Relation kind.
    kind: &'a str,
    /// Properties.
    props: PropsOut<'a>,
    /// Source element id.
    source: &'a str,
    /// Target element id.
    target: &'a str,
}

/// The entry of the top-level `representations`.
#[derive(Serialize)]
struct Representation {
    /// [`DIAGRAM`].
    id: &'static str,
    /// Its name.
    name: &'static str,
    /// `diagram`.
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Where a zone or component is drawn in [`DIAGRAM`].
#[derive(Serialize)]
struct Placement {
    /// `<id>-shape`.
    id: String,
    /// Top-left corner, relative to the parent zone.
    position: Point,
    /// [`DIAGRAM`].
    representation: &'static str,
    /// Width and height.
    size: Shape,
}

/// A position.
#[derive(Serialize)]
pub(crate) struct Point {
    /// Horizontal.
    pub(crate) x: f64,
    /// Vertical.
    pub(crate) y: f64,
}

/// The one placement of an item, at `pos` with `size`.
fn placement(id: &str, pos: (f64, f64), size: (f64, f64)) -> [Placement; 1] {
    [Placement {
        id: format!("{id}-shape"),
        position: Point {
            x: fin(pos.0),
            y: fin(pos.1),
        },
        representation: DIAGRAM,
        size: Shape::of(size.0, size.1),
    }]
}

/// A trust zone: a boundary, or the zone of the elements outside every boundary.
#[derive(Serialize)]
#[serde(untagged)]
enum Zone<'a> {
    /// A boundary.
    Boundary(BoundaryZone<'a>),
    /// [`OUTSIDE`].
    Outside(OutsideZone),
}

/// A boundary as a trust zone.
#[derive(Serialize)]
struct BoundaryZone<'a> {
    /// Palisade's boundary fields.
    attributes: Attributes<BoundaryPalisade<'a>>,
    /// Boundary id.
    id: &'a str,
    /// Boundary name.
    name: &'a str,
    /// The enclosing zone, when the boundary is nested in one that exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<Parent<'a>>,
    /// Its rectangle.
    representations: [Placement; 1],
    /// Trust × 10.
    risk: TrustRisk,
    /// [`kind_key`].
    #[serde(rename = "type")]
    kind: String,
}

/// `attributes.palisade` of a boundary zone.
#[derive(Serialize)]
struct BoundaryPalisade<'a> {
    /// The kind's Rust name (`NetworkZone`).
    kind: String,
    /// Properties.
    props: PropsOut<'a>,
    /// Instances of the threats about the boundary, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    threats: Option<Vec<Instance<'a>>>,
    /// Trust level.
    trust: u8,
}

/// `risk` of a trust zone.
#[derive(Serialize)]
struct TrustRisk {
    /// Trust × 10.
    #[serde(rename = "trustRating")]
    trust_rating: f64,
}

/// `parent` of a zone or component.
#[derive(Serialize)]
struct Parent<'a> {
    /// The enclosing zone's id.
    #[serde(rename = "trustZone")]
    trust_zone: &'a str,
}

/// The zone of the elements outside every boundary.
#[derive(Serialize)]
struct OutsideZone {
    /// `{"palisade": {"outside": true}}`.
    attributes: Attributes<OutsideMark>,
    /// What it is for.
    description: &'static str,
    /// [`OUTSIDE`].
    id: &'static str,
    /// Its name.
    name: &'static str,
    /// Trust 0.
    risk: TrustRisk,
    /// [`OUTSIDE`].
    #[serde(rename = "type")]
    kind: &'static str,
}

/// `attributes.palisade` of the outside zone.
#[derive(Serialize)]
struct OutsideMark {
    /// Always true.
    outside: bool,
}

/// An element as a component.
#[derive(Serialize)]
struct Component<'a> {
    /// Palisade's element fields.
    attributes: Attributes<ComponentPalisade<'a>>,
    /// The description note, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// Element id.
    id: &'a str,
    /// Element name.
    name: &'a str,
    /// Its boundary, or [`OUTSIDE`].
    parent: Parent<'a>,
    /// Its box.
    representations: [Placement; 1],
    /// `key=value` of every property that is not a note.
    tags: Vec<String>,
    /// Instances of the threats about the element.
    threats: Vec<Instance<'a>>,
    /// Stencil kind.
    #[serde(rename = "type")]
    kind: &'a str,
}

/// `attributes.palisade` of a component.
#[derive(Serialize)]
struct ComponentPalisade<'a> {
    /// Properties.
    props: PropsOut<'a>,
    /// Where imported values came from.
    provenance: &'a BTreeMap<String, String>,
}

/// A flow as a dataflow.
#[derive(Serialize)]
struct Dataflow<'a> {
    /// Palisade's flow fields.
    attributes: Attributes<DataflowPalisade<'a>>,
    /// Always false (Palisade flows go one way).
    bidirectional: bool,
    /// The description note, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// Target element id.
    destination: &'a str,
    /// Flow id.
    id: &'a str,
    /// Flow name.
    name: &'a str,
    /// Source element id.
    source: &'a str,
    /// Instances of the threats about the flow.
    threats: Vec<Instance<'a>>,
}

/// `attributes.palisade` of a dataflow.
#[derive(Serialize)]
struct DataflowPalisade<'a> {
    /// How the data travels.
    channel: Channel,
    /// Properties.
    props: PropsOut<'a>,
}

/// A threat's instance on its subject.
#[derive(Serialize)]
struct Instance<'a> {
    /// Its mitigations with their state.
    mitigations: Vec<InstanceMitigation>,
    /// The triage status key.
    state: &'static str,
    /// Threat id.
    threat: &'a str,
}

/// A mitigation of a threat instance.
#[derive(Serialize)]
struct InstanceMitigation {
    /// The mitigation's number (written `mitigation-<n>`).
    #[serde(serialize_with = "mitigation_id")]
    mitigation: usize,
    /// `implemented` when the threat is mitigated, else `recommended`.
    state: &'static str,
}

/// Writes mitigation number `n` as its id, `mitigation-<n>`.
fn mitigation_id<S: Serializer>(n: &usize, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("mitigation-{n}"))
}

/// An entry of the top-level `mitigations`: `description` and `name` its text, `id`
/// `mitigation-<n>`, `riskReduction` 50 (written by hand: the text twice).
struct Mitigation {
    /// Its number.
    id: usize,
    /// The text.
    text: String,
}

impl Serialize for Mitigation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Mitigation", 4)?;
        m.serialize_field("description", &self.text)?;
        m.serialize_field("id", &format_args!("mitigation-{}", self.id))?;
        m.serialize_field("name", &self.text)?;
        m.serialize_field("riskReduction", &50.0f64)?;
        m.end()
    }
}

/// A threat, or an orphaned triage record.
#[derive(Serialize)]
struct Threat<'a> {
    /// Palisade's threat fields.
    attributes: Attributes<ThreatPalisade<'a>>,
    /// The STRIDE category (absent for an orphan).
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<[&'static str; 1]>,
    /// The CWE references (absent for an orphan).
    #[serde(skip_serializing_if = "Option::is_none")]
    cwes: Option<Vec<String>>,
    /// Description.
    description: String,
    /// Threat id.
    id: &'a str,
    /// Title.
    name: String,
    /// Likelihood and impact.
    risk: Risk,
}

/// `risk` of a threat.
#[derive(Serialize)]
struct Risk {
    /// From the effective severity.
    impact: f64,
    /// From the rule's likelihood (null for an orphan).
    likelihood: Option<f64>,
    /// The facts that made the rule fire, when there are any.
    #[serde(rename = "likelihoodComment", skip_serializing_if = "Option::is_none")]
    likelihood_comment: Option<String>,
}

/// `attributes.palisade` of a threat: what Palisade reads back.
#[derive(Default, Serialize)]
struct ThreatPalisade<'a> {
    /// The boundary of a crossing subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    crossing: Option<String>,
    /// A manual threat's CVSS vector, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    cvss: Option<&'a str>,
    /// A manual threat's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// Set on a manual threat.
    #[serde(skip_serializing_if = "Option::is_none")]
    manual: Option<bool>,
    /// A manual threat's mitigations.
    #[serde(skip_serializing_if = "Option::is_none")]
    mitigations: Option<&'a [String]>,
    /// Set on an orphaned triage record.
    #[serde(skip_serializing_if = "Option::is_none")]
    orphan: Option<bool>,
    /// The rule of a generated threat.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    /// A manual threat's severity key.
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    /// A manual threat's subject ([`subject_key`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    /// A manual threat's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    /// The triage record, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    triage: Option<TriageOut<'a>>,
}

/// A triage record with every field (none omitted, unlike the model's own serde).
#[derive(Serialize)]
struct TriageOut<'a> {
    /// CVSS vector.
    cvss: &'a str,
    /// Date.
    date: &'a str,
    /// Justification.
    justification: &'a str,
    /// Kept as history.
    kept_as_history: bool,
    /// Owner.
    owner: &'a str,
    /// Reviewer.
    reviewed_by: &'a str,
    /// Severity override key, or null.
    severity: Option<&'static str>,
    /// Status key.
    status: &'static str,
    /// The subject's name when decided.
    subject_name: &'a str,
    /// Ticket.
    ticket: &'a str,
}

impl<'a> TriageOut<'a> {
    /// The record `t` as written.
    fn of(t: &'a Triage) -> TriageOut<'a> {
        TriageOut {
            cvss: &t.cvss,
            date: &t.date,
            justification: &t.justification,
            kept_as_history: t.kept_as_history,
            owner: &t.owner,
            reviewed_by: &t.reviewed_by,
            severity: t.severity.map(|s| s.key()),
            status: t.status.key(),
            subject_name: &t.subject_name,
            ticket: &t.ticket,
        }
    }
}

/// What a threat instance is filed under until its subject is written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    /// An element by id.
    Element(&'a str),
    /// A flow by id.
    Flow(&'a str),
    /// A boundary by id.
    Boundary(&'a str),
    /// The whole system.
    Model,
}

/// Mitigation texts numbered in order of first use (`mitigation-1` first).
#[derive(Default)]
struct Numbering {
    /// Each text's number.
    ids: HashMap<String, usize>,
    /// The texts by number − 1.
    texts: Vec<String>,
}

impl Numbering {
    /// The number of `text`, given the next one when it is new.
    fn of(&mut self, text: &str) -> usize {
        if let Some(&n) = self.ids.get(text) {
            return n;
        }
        self.texts.push(text.to_owned());
        let n = self.texts.len();
        self.ids.insert(text.to_owned(), n);
        n
    }
}

/// The threats of `analysis` (then the orphaned triage records) with their instances
/// filed by subject, and the mitigation texts they use.
fn threats<'a>(
    model: &'a Model,
    catalog: &Catalog,
    analysis: &'a Analysis,
) -> (
    Vec<Threat<'a>>,
    HashMap<Key<'a>, Vec<Instance<'a>>>,
    Numbering,
) {
    let mut instances: HashMap<Key<'a>, Vec<Instance<'a>>> = HashMap::new();
    let mut numbering = Numbering::default();
    let mut threats: Vec<Threat<'a>> = Vec::with_capacity(analysis.threats.len());
    let viewer = report::Viewer::new(model, catalog, analysis);
    for t in &analysis.threats {
        let v = viewer.view(t);
        let triage = t.triage(model);
        let status = viewer.status(t);
        let state = if status == Status::Mitigated {
            "implemented"
        } else {
            "recommended"
        };
        let mitigations = (v.mitigations.iter())
            .map(|m| InstanceMitigation {
                mitigation: numbering.of(m),
                state,
            })
            .collect();
        let key = match &t.subject {
            Subject::Element(e) => Key::Element(e.as_str()),
            Subject::Flow(f) | Subject::Crossing(f, _) => Key::Flow(f.as_str()),
            Subject::Boundary(b) => Key::Boundary(b.as_str()),
            Subject::Model => Key::Model,
        };
        instances.entry(key).or_default().push(Instance {
            mitigations,
            state: status.key(),
            threat: t.id.as_str(),
        });
        let mut pal = ThreatPalisade::default();
        match &t.origin {
            Origin::Rule(_) => {
                if let Subject::Crossing(_, b) = &t.subject {
                    pal.crossing = Some(b.to_string());
                }
                pal.rule = Some(v.rule_id);
            }
            Origin::Manual => {
                if let Some(mt) = model.manual_threats.get(&t.id) {
                    pal.manual = Some(true);
                    pal.subject = Some(subject_key(&mt.subject));
                    pal.severity = Some(mt.severity.key());
                    pal.mitigations = Some(&mt.mitigations);
                    pal.title = Some(&mt.title);
                    pal.description = Some(&mt.description);
                    let cvss = mt.cvss.trim();
                    pal.cvss = (!cvss.is_empty()).then_some(cvss);
                }
            }
        }
        pal.triage = triage.map(TriageOut::of);
        let cwes = (v.references.into_iter())
            .filter(|r| r.starts_with("CWE-"))
            .collect();
        threats.push(Threat {
            attributes: Attributes { palisade: pal },
            categories: Some([t.category.label()]),
            cwes: Some(cwes),
            description: v.description,
            id: t.id.as_str(),
            name: v.title,
            risk: Risk {
                impact: impact(t.severity(model)),
                likelihood: Some(likelihood(v.likelihood)),
                likelihood_comment: (!v.why.is_empty()).then(|| v.why.join("; ")),
            },
        });
    }
    // Triage records whose threat is gone are kept too, so nothing the reviewer decided
    // is lost on the way out and back.
    for id in &analysis.orphans {
        if let Some(tr) = model.triage.get(id) {
            threats.push(Threat {
                attributes: Attributes {
                    palisade: ThreatPalisade {
                        orphan: Some(true),
                        triage: Some(TriageOut::of(tr)),
                        ..ThreatPalisade::default()
                    },
                },
                categories: None,
                cwes: None,
                description: "A triage record whose threat no longer exists in the model."
                    .to_owned(),
                id: id.as_str(),
                name: format!("Orphaned triage record {id}"),
                risk: Risk {
                    impact: impact(tr.severity.unwrap_or(Severity::Low)),
                    likelihood: None,
                    likelihood_comment: None,
                },
            });
        }
    }
    (threats, instances, numbering)
}

/// The boundaries as trust zones, then the outside zone when an element needs it.
fn zones<'a>(
    model: &'a Model,
    instances: &mut HashMap<Key<'a>, Vec<Instance<'a>>>,
) -> Vec<Zone<'a>> {
    let mut zones: Vec<Zone<'a>> = Vec::with_capacity(model.boundaries.len() + 1);
    let zone_parent = |b: &'a Boundary| -> Option<&'a crate::model::BoundaryId> {
        b.parent
            .as_ref()
            .filter(|p| model.boundaries.contains_key(*p))
    };
    for b in model.boundaries.values() {
        let parent = zone_parent(b);
        let (ox, oy) = rect_origin(model, parent);
        zones.push(Zone::Boundary(BoundaryZone {
            attributes: Attributes {
                palisade: BoundaryPalisade {
                    kind: format!("{:?}", b.kind),
                    props: PropsOut(&b.props),
                    threats: instances.remove(&Key::Boundary(b.id.as_str())),
                    trust: b.trust,
                },
            },
            id: b.id.as_str(),
            name: &b.name,
            parent: parent.map(|p| Parent {
                trust_zone: p.as_str(),
            }),
            representations: placement(
                b.id.as_str(),
                (b.rect.0 - ox, b.rect.1 - oy),
                (b.rect.2, b.rect.3),
            ),
            risk: TrustRisk {
                trust_rating: f64::from(b.trust) * 10.0,
            },
            kind: kind_key(b.kind),
        }));
    }
    let needs_outside = model.elements.values().any(|e| {
        e.boundary
            .as_ref()
            .is_none_or(|b| !model.boundaries.contains_key(b))
    });
    if needs_outside {
        zones.push(Zone::Outside(OutsideZone {
            attributes: Attributes {
                palisade: OutsideMark { outside: true },
            },
            description: "Holds the components that sit in no trust boundary in Palisade (every OTM component needs a parent).",
            id: OUTSIDE,
            name: "Outside every boundary",
            risk: TrustRisk { trust_rating: 0.0 },
            kind: "palisade-outside",
        }));
    }
    zones
}

/// The elements as components.
fn components<'a>(
    model: &'a Model,
    instances: &mut HashMap<Key<'a>, Vec<Instance<'a>>>,
) -> Vec<Component<'a>> {
    (model.elements.values())
        .map(|e| {
            let parent = e
                .boundary
                .as_ref()
                .filter(|b| model.boundaries.contains_key(*b));
            let (ox, oy) = rect_origin(model, parent);
            let pos = (e.pos.0 - ELEM.0 / 2.0 - ox, e.pos.1 - ELEM.1 / 2.0 - oy);
            let tags = (e.props.iter())
                .filter(|(k, _)| !is_note(k))
                .map(|(k, v)| format!("{k}={}", v.display().trim_matches('"')))
                .collect();
            Component {
                attributes: Attributes {
                    palisade: ComponentPalisade {
                        props: PropsOut(&e.props),
                        provenance: &e.provenance,
                    },
                },
                description: description_of(&e.props),
                id: e.id.as_str(),
                name: &e.name,
                parent: Parent {
                    trust_zone: parent.map(|p| p.as_str()).unwrap_or(OUTSIDE),
                },
                representations: placement(e.id.as_str(), pos, ELEM),
                tags,
                threats: (instances.remove(&Key::Element(e.id.as_str()))).unwrap_or_default(),
                kind: &e.kind,
            }
        })
        .collect()
}

/// The flows as dataflows.
fn dataflows<'a>(
    model: &'a Model,
    instances: &mut HashMap<Key<'a>, Vec<Instance<'a>>>,
) -> Vec<Dataflow<'a>> {
    (model.flows.values())
        .map(|f| Dataflow {
            attributes: Attributes {
                palisade: DataflowPalisade {
                    channel: f.channel,
                    props: PropsOut(&f.props),
                },
            },
            bidirectional: false,
            description: description_of(&f.props),
            destination: f.target.as_str(),
            id: f.id.as_str(),
            name: &f.name,
            source: f.source.as_str(),
            threats: (instances.remove(&Key::Flow(f.id.as_str()))).unwrap_or_default(),
        })
        .collect()
}

/// The `project` object: metadata, and what OTM has no place for (relations, controls,
/// the risk scale, threats about the whole system) in Palisade's attributes.
fn project<'a>(model: &'a Model, model_threats: Vec<Instance<'a>>) -> Project<'a> {
    let md = &model.metadata;
    let relations = (!model.relations.is_empty()).then(|| {
        (model.relations.values())
            .map(|r| Relation {
                id: r.id.as_str(),
                kind: &r.kind,
                props: PropsOut(&r.props),
                source: r.source.as_str(),
                target: r.target.as_str(),
            })
            .collect()
    });
    // Controls and the risk scale in serde's own shape of the model's types, as values
    // (their keys sorted); both are small.
    let controls = (!model.controls.is_empty())
        .then(|| {
            let cs: Vec<&crate::model::Control> = model.controls.values().collect();
            serde_json::to_value(cs).ok()
        })
        .flatten();
    let risk_matrix = (!md.risk_matrix.is_default())
        .then(|| serde_json::to_value(md.risk_matrix).ok())
        .flatten();
    Project {
        attributes: Attributes {
            palisade: ProjectPalisade {
                controls,
                date: &md.date,
                doc_version: &md.doc_version,
                relations,
                reviewers: &md.reviewers,
                risk_matrix,
                templates: &md.templates,
                threats: (!model_threats.is_empty()).then_some(model_threats),
                title: &md.title,
            },
        },
        description: &md.description,
        id: project_id(&md.title),
        name: if md.title.is_empty() {
            "Untitled model"
        } else {
            &md.title
        },
        owner: &md.owner,
    }
}

/// The OTM document of `model` analysed as `analysis`.
pub(crate) fn document<'a>(
    model: &'a Model,
    catalog: &Catalog,
    analysis: &'a Analysis,
) -> Document<'a> {
    let (threats, mut instances, numbering) = threats(model, catalog, analysis);
    let trust_zones = zones(model, &mut instances);
    let components = components(model, &mut instances);
    let dataflows = dataflows(model, &mut instances);
    let project = project(model, instances.remove(&Key::Model).unwrap_or_default());
    let mitigations = (numbering.texts.into_iter().enumerate())
        .map(|(i, text)| Mitigation { id: i + 1, text })
        .collect();
    Document {
        components,
        dataflows,
        mitigations,
        otm_version: OTM_VERSION,
        project,
        representations: [Representation {
            id: DIAGRAM,
            name: "Palisade diagram",
            kind: "diagram",
        }],
        threats,
        trust_zones,
    }
}
