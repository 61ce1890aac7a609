//! The report's content, computed once from the model, the catalog and the analysis, and
//! shared by every renderer (PDF, Markdown, HTML, JSON, SARIF). Everything here is sorted
//! and free of clocks and randomness except the date, which the caller fixes.

use super::Input;
use super::{SubjectView, ThreatView, threat_views};
use crate::analysis::Subject;
use crate::model::{Likelihood, Severity, Status, Stride};
use crate::rules::template::Applies;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How many untriaged threats the summary lists as top risks.
pub const TOP_RISKS: usize = 10;

/// Everything a report shows.
#[derive(Clone, Debug, Serialize)]
pub struct ReportData {
    /// Title page facts.
    pub cover: Cover,
    /// Counts and top risks.
    pub summary: Summary,
    /// What the model says beyond the diagram: boundary properties, local channels and
    /// relations.
    pub model: ModelFacts,
    /// Threats grouped by what they are about: elements, then flows, then boundaries,
    /// then the model as a whole; each group in id order.
    pub groups: Vec<SubjectGroup>,
    /// Threats written by the reviewer.
    pub manual_threats: Vec<ThreatView>,
    /// Triage records whose threat no longer exists.
    pub orphaned_triage: Vec<OrphanView>,
    /// Problems found in the model.
    pub diagnostics: Vec<DiagnosticView>,
    /// Every rule of the loaded templates, in id order.
    pub rules: Vec<RuleView>,
    /// Attack paths from the entry points to the crown jewels (the shortest
    /// [`ATTACK_PATHS`], with their cuts); not in the JSON report, whose threats carry
    /// `on_attack_path` instead.
    #[serde(skip)]
    pub attack_paths: crate::analysis::paths::Paths,
    /// Controls, their owners and the risk matrix before and after them; `None` (and
    /// no section) when the model has no controls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controls: Option<super::controls::ControlsSection>,
}

/// Attack paths a report draws (the shortest; the rest are counted).
pub const ATTACK_PATHS: usize = 12;

/// Title page facts.
#[derive(Clone, Debug, Serialize)]
pub struct Cover {
    /// Title of the modelled system.
    pub title: String,
    /// Who owns the model.
    pub owner: String,
    /// Who reviewed it.
    pub reviewers: Vec<String>,
    /// What the system is.
    pub description: String,
    /// Report date, `YYYY-MM-DD`.
    pub date: String,
    /// The model's own version.
    pub doc_version: String,
    /// The model file as named on the command line.
    pub model_file: String,
    /// SHA-256 of the model file's bytes, lower-case hex.
    pub model_sha256: String,
    /// Palisade's version.
    pub palisade_version: String,
    /// Templates loaded, with versions.
    pub templates: Vec<TemplateRef>,
    /// Number of elements.
    pub elements: usize,
    /// Number of flows.
    pub flows: usize,
    /// Number of trust boundaries.
    pub boundaries: usize,
}

/// What a cover fact is, for formats that lay some out differently (the PDF lists the
/// templates as bullets with their names and prints the size in its statistics line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactKind {
    /// Owner, reviewers, date, version, file, hash, Palisade's version.
    Identity,
    /// The templates loaded, `id version` each.
    Templates,
    /// Elements, flows and trust boundaries.
    Size,
}

/// One labelled fact of the cover.
#[derive(Clone, Debug)]
pub struct Fact {
    /// Label.
    pub label: &'static str,
    /// Value (a dash when blank).
    pub value: super::table::Cell,
    /// What it is.
    pub kind: FactKind,
}

impl Cover {
    /// The cover's facts in the order every format shows them.
    pub fn facts(&self) -> Vec<Fact> {
        use super::table::{Span, text};
        let id = |label, value| Fact {
            label,
            value,
            kind: FactKind::Identity,
        };
        let dash = |s: &str| text(super::or_dash(s));
        let mut templates = Vec::new();
        for (i, t) in self.templates.iter().enumerate() {
            if i > 0 {
                templates.push(Span::Text(", ".to_owned()));
            }
            templates.push(Span::Text(format!("{} {}", t.id, t.version)));
        }
        vec![
            id("Owner", dash(&self.owner)),
            id("Reviewers", dash(&self.reviewers.join(", "))),
            id("Date", dash(&self.date)),
            id("Document version", dash(&self.doc_version)),
            id("Model file", dash(&self.model_file)),
            id(
                "SHA-256 of the model",
                vec![Span::Code(self.model_sha256.clone())],
            ),
            id("Palisade", text(self.palisade_version.clone())),
            Fact {
                label: "Templates",
                value: templates,
                kind: FactKind::Templates,
            },
            Fact {
                label: "Size",
                value: text(format!(
                    "{} elements, {} flows, {} trust boundaries",
                    self.elements, self.flows, self.boundaries
                )),
                kind: FactKind::Size,
            },
        ]
    }
}

/// A template and its version.
#[derive(Clone, Debug, Serialize)]
pub struct TemplateRef {
    /// Template id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Rules it contributed.
    pub rules: usize,
}

/// Counts for the summary page.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Every threat.
    pub total: usize,
    /// Threats still Open or Needs investigation.
    pub untriaged: usize,
    /// One row per STRIDE category, in STRIDE order.
    pub by_category: Vec<CategoryRow>,
    /// Counts per effective severity, most severe first.
    pub by_severity: Vec<SeverityCount>,
    /// Counts per status, in workflow order.
    pub by_status: Vec<StatusCount>,
    /// The most severe untriaged threats.
    pub top_open: Vec<RiskRow>,
    /// Orphaned triage records.
    pub orphaned: usize,
    /// Model diagnostics.
    pub diagnostics: usize,
}

/// One STRIDE category's counts.
#[derive(Clone, Debug, Serialize)]
pub struct CategoryRow {
    /// Category, written as its key.
    #[serde(serialize_with = "super::keys::key")]
    pub category: Stride,
    /// Human name.
    pub label: String,
    /// Its letter.
    pub letter: String,
    /// The security property it threatens.
    pub property: String,
    /// Counts per severity key (`critical`, `high`, `medium`, `low`).
    pub by_severity: BTreeMap<String, usize>,
    /// All threats of the category.
    pub total: usize,
    /// Untriaged threats of the category.
    pub untriaged: usize,
}

impl CategoryRow {
    /// The count of one severity.
    pub fn count(&self, s: Severity) -> usize {
        self.by_severity.get(s.key()).copied().unwrap_or(0)
    }
}

/// Count of one severity.
#[derive(Clone, Debug, Serialize)]
pub struct SeverityCount {
    /// Severity, written as its key.
    #[serde(serialize_with = "super::keys::key")]
    pub severity: Severity,
    /// Threats with it.
    pub total: usize,
    /// Untriaged threats with it.
    pub untriaged: usize,
}

/// Count of one status.
#[derive(Clone, Debug, Serialize)]
pub struct StatusCount {
    /// Status, written as its key.
    #[serde(serialize_with = "super::keys::key")]
    pub status: Status,
    /// Human name.
    pub label: String,
    /// Threats with it.
    pub count: usize,
}

/// A top open risk.
#[derive(Clone, Debug, Serialize)]
pub struct RiskRow {
    /// Threat id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Effective severity.
    #[serde(serialize_with = "super::keys::key")]
    pub severity: Severity,
    /// Likelihood.
    #[serde(serialize_with = "super::keys::key")]
    pub likelihood: Likelihood,
    /// STRIDE category.
    #[serde(serialize_with = "super::keys::key")]
    pub category: Stride,
    /// Subject display name.
    pub subject: String,
    /// Status.
    #[serde(serialize_with = "super::keys::key")]
    pub status: Status,
}

/// The model's facts a diagram does not show: the properties set on boundaries, the
/// flows that do not cross a network, and the relations between elements.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ModelFacts {
    /// Boundaries with at least one property set, in id order.
    pub boundary_properties: Vec<BoundaryFacts>,
    /// Flows whose channel is not the network, in id order.
    pub local_channels: Vec<ChannelFact>,
    /// Every relation, by source name, kind and target name (then id).
    pub relations: Vec<RelationFact>,
}

impl ModelFacts {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.boundary_properties.is_empty()
            && self.local_channels.is_empty()
            && self.relations.is_empty()
    }
}

/// A property value as a report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PropFact {
    /// Property name.
    pub name: String,
    /// Value as text (lists as `a, b`).
    pub value: String,
}

/// The properties set on one boundary.
#[derive(Clone, Debug, Serialize)]
pub struct BoundaryFacts {
    /// Boundary id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind label.
    pub kind: String,
    /// Properties set, in name order.
    pub properties: Vec<PropFact>,
}

/// A flow that stays on one host.
#[derive(Clone, Debug, Serialize)]
pub struct ChannelFact {
    /// Flow id.
    pub id: String,
    /// Flow label.
    pub name: String,
    /// Source element name.
    pub source: String,
    /// Target element name.
    pub target: String,
    /// Channel label (`Unix socket`, ...).
    pub channel: String,
}

/// One relation between two elements.
#[derive(Clone, Debug, Serialize)]
pub struct RelationFact {
    /// Relation id.
    pub id: String,
    /// Relation kind id.
    pub kind: String,
    /// The kind's display name (its id when no template declares it).
    pub name: String,
    /// Source element id.
    pub source_id: String,
    /// Source element name.
    pub source: String,
    /// Target element id.
    pub target_id: String,
    /// Target element name.
    pub target: String,
    /// Properties set on the relation, in name order.
    pub properties: Vec<PropFact>,
}

/// The threats of one subject.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectGroup {
    /// The subject (for a flow, the crossings of that flow are in the same group).
    pub subject: SubjectView,
    /// A one-line heading, e.g. `Flow: HTTP (Customer → API)`.
    pub heading: String,
    /// Where the subject sits, e.g. `boundary: Data centre`.
    pub context: String,
    /// For an element, its relations as phrases (`uses service account → payments-sa`,
    /// `selects ← default-deny`), outgoing first.
    pub relations: Vec<String>,
    /// Its threats, in STRIDE order then id order.
    pub threats: Vec<ThreatView>,
}

/// An orphaned triage record.
#[derive(Clone, Debug, Serialize)]
pub struct OrphanView {
    /// The threat id it was recorded for.
    pub id: String,
    /// Status recorded.
    #[serde(serialize_with = "super::keys::key")]
    pub status: Status,
    /// Severity override recorded, if any (an empty string in JSON when none).
    #[serde(serialize_with = "super::keys::key_or_empty")]
    pub severity: Option<Severity>,
    /// Justification.
    pub justification: String,
    /// Owner.
    pub owner: String,
    /// Ticket.
    pub ticket: String,
    /// Reviewer.
    pub reviewed_by: String,
    /// Date.
    pub date: String,
    /// Kept on purpose as history.
    pub kept_as_history: bool,
}

/// A model diagnostic.
#[derive(Clone, Debug, Serialize)]
pub struct DiagnosticView {
    /// `error`, `warning` or `info`.
    #[serde(serialize_with = "super::keys::key")]
    pub level: crate::diag::Level,
    /// Stable code.
    pub code: String,
    /// The message.
    pub message: String,
    /// `file:line:column` where known.
    pub location: String,
}

/// A rule in the appendix.
#[derive(Clone, Debug, Serialize)]
pub struct RuleView {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// STRIDE category.
    #[serde(serialize_with = "super::keys::key")]
    pub category: Stride,
    /// Default severity.
    #[serde(serialize_with = "super::keys::key")]
    pub severity: Severity,
    /// Likelihood.
    #[serde(serialize_with = "super::keys::key")]
    pub likelihood: Likelihood,
    /// What it is evaluated on.
    pub applies_to: String,
    /// Description template.
    pub description: String,
    /// Controls.
    pub mitigations: Vec<String>,
    /// References.
    pub references: Vec<String>,
    /// Template id.
    pub template: String,
    /// Template version.
    pub template_version: String,
    /// Set when the rule is retired (it is not evaluated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// The reference document's item the rule traces to (e.g. `Docker Registry /
    /// Elevation of privilege`); empty when it has none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub seed_item: String,
    /// How many threats it produced in this model.
    pub fired: usize,
}

/// Builds the report content. `date` is the report date (`YYYY-MM-DD`).
pub fn build(input: &Input<'_>, date: &str) -> ReportData {
    let model = input.model;
    let cat = input.catalog;
    let mut views = threat_views(model, cat, input.analysis);
    // Every path marks the threats on it; the report draws the shortest few. The query
    // names no element, so it cannot fail.
    let all_paths = crate::analysis::paths::find(
        model,
        cat,
        input.analysis,
        &crate::analysis::paths::Query::default(),
    )
    .unwrap_or_default();
    for (v, t) in views.iter_mut().zip(&input.analysis.threats) {
        super::mark_paths(v, t, &all_paths);
    }
    let attack_paths = crate::analysis::paths::find(
        model,
        cat,
        input.analysis,
        &crate::analysis::paths::Query {
            max: Some(ATTACK_PATHS),
            cuts: true,
            ..Default::default()
        },
    )
    .unwrap_or_default();
    let meta = &model.metadata;
    let cover = Cover {
        title: if meta.title.trim().is_empty() {
            "Untitled threat model".to_owned()
        } else {
            meta.title.clone()
        },
        owner: meta.owner.clone(),
        reviewers: meta.reviewers.clone(),
        description: meta.description.clone(),
        date: date.to_owned(),
        doc_version: meta.doc_version.clone(),
        model_file: input.source_name.to_owned(),
        model_sha256: Sha256::digest(input.source)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        palisade_version: env!("CARGO_PKG_VERSION").to_owned(),
        templates: cat
            .templates
            .iter()
            .map(|t| TemplateRef {
                id: t.id.clone(),
                name: t.name.clone(),
                version: t.version.clone(),
                rules: t.rule_count,
            })
            .collect(),
        elements: model.elements.len(),
        flows: model.flows.len(),
        boundaries: model.boundaries.len(),
    };
    let summary = summarize(&views, input);
    let model_facts = facts(model, cat);
    let groups = group(input, &views, &model_facts);
    let manual_threats: Vec<ThreatView> = views
        .iter()
        .filter(|v| v.rule_id == "manual")
        .cloned()
        .collect();
    let orphaned_triage = input
        .analysis
        .orphans
        .iter()
        .filter_map(|id| model.triage.get(id).map(|t| (id, t)))
        .map(|(id, t)| OrphanView {
            id: id.0.clone(),
            status: t.status,
            severity: t.severity,
            justification: t.justification.clone(),
            owner: t.owner.clone(),
            ticket: t.ticket.clone(),
            reviewed_by: t.reviewed_by.clone(),
            date: t.date.clone(),
            kept_as_history: t.kept_as_history,
        })
        .collect();
    let diagnostics = input
        .analysis
        .diagnostics
        .iter()
        .map(|d| DiagnosticView {
            level: d.level,
            code: d.code.to_owned(),
            message: d.message.clone(),
            location: match (&d.file, d.pos) {
                (Some(f), Some(p)) => format!("{f}:{}:{}", p.line, p.col),
                (Some(f), None) => f.clone(),
                _ => String::new(),
            },
        })
        .collect();
    let mut fired: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &views {
        *fired.entry(v.rule_id.as_str()).or_default() += 1;
    }
    let mut rules: Vec<RuleView> = cat
        .rules
        .iter()
        .map(|lr| {
            let r = &lr.rule;
            let t = cat.templates.get(lr.template);
            RuleView {
                id: r.id.clone(),
                title: r.title.clone(),
                category: r.category,
                severity: r.severity,
                likelihood: r.likelihood,
                applies_to: match &r.applies {
                    Applies::Elements(kinds) => format!("elements: {}", kinds.join(", ")),
                    Applies::Flows => "flows".to_owned(),
                    Applies::Crossings => "boundary crossings".to_owned(),
                },
                description: r.description.clone(),
                mitigations: r.mitigations.clone(),
                references: r.references.clone(),
                template: t.map(|t| t.id.clone()).unwrap_or_default(),
                template_version: t.map(|t| t.version.clone()).unwrap_or_default(),
                deprecated: r.deprecated.clone(),
                seed_item: r.seed_item.trim().to_owned(),
                fired: fired.get(r.id.as_str()).copied().unwrap_or(0),
            }
        })
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    ReportData {
        cover,
        summary,
        model: model_facts,
        groups,
        manual_threats,
        orphaned_triage,
        diagnostics,
        rules,
        attack_paths,
        controls: super::controls::build(model, cat, input.analysis, date),
    }
}

fn prop_facts(props: &crate::model::Props) -> Vec<PropFact> {
    props
        .iter()
        .map(|(k, v)| PropFact {
            name: k.clone(),
            value: match v {
                crate::model::Value::Text(t) => t.clone(),
                crate::model::Value::List(l) => l.join(", "),
                other => other.display(),
            },
        })
        .collect()
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn element_name(model: &crate::model::Model, id: &crate::model::ElementId) -> String {
    model
        .elements
        .get(id)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| format!("{id} (missing)"))
}

/// The model facts of [`ModelFacts`].
pub fn facts(model: &crate::model::Model, cat: &crate::rules::Catalog) -> ModelFacts {
    let boundary_properties = model
        .boundaries
        .values()
        .filter(|b| !b.props.is_empty())
        .map(|b| BoundaryFacts {
            id: b.id.0.clone(),
            name: b.name.clone(),
            kind: b.kind.label().to_owned(),
            properties: prop_facts(&b.props),
        })
        .collect();
    let local_channels = model
        .flows
        .values()
        .filter(|f| !f.channel.is_network())
        .map(|f| ChannelFact {
            id: f.id.0.clone(),
            name: f.name.clone(),
            source: element_name(model, &f.source),
            target: element_name(model, &f.target),
            channel: capitalised(f.channel.label()),
        })
        .collect();
    let mut relations: Vec<RelationFact> = model
        .relations
        .values()
        .map(|r| RelationFact {
            id: r.id.0.clone(),
            kind: r.kind.clone(),
            name: cat
                .relation_kind(&r.kind)
                .map_or_else(|| r.kind.clone(), |k| k.name.clone()),
            source_id: r.source.0.clone(),
            source: element_name(model, &r.source),
            target_id: r.target.0.clone(),
            target: element_name(model, &r.target),
            properties: prop_facts(&r.props),
        })
        .collect();
    // By name as a reader looks them up (case-insensitive), ids last for a total order.
    relations.sort_by_cached_key(|r| {
        (
            r.source.to_lowercase(),
            r.name.to_lowercase(),
            r.target.to_lowercase(),
            r.id.clone(),
        )
    });
    ModelFacts {
        boundary_properties,
        local_channels,
        relations,
    }
}

/// Each element's relations as phrases, by element id: outgoing first, each in the
/// order of [`ModelFacts::relations`].
fn relation_phrases(facts: &ModelFacts) -> BTreeMap<&str, Vec<String>> {
    let mut out: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in &facts.relations {
        out.entry(r.source_id.as_str())
            .or_default()
            .push(format!("{} → {}", r.name, r.target));
    }
    for r in facts
        .relations
        .iter()
        .filter(|r| r.source_id != r.target_id)
    {
        out.entry(r.target_id.as_str())
            .or_default()
            .push(format!("{} ← {}", r.name, r.source));
    }
    out
}

fn summarize(views: &[ThreatView], input: &Input<'_>) -> Summary {
    let by_category = Stride::ALL
        .iter()
        .map(|&c| {
            let of: Vec<&ThreatView> = views.iter().filter(|v| v.category == c).collect();
            CategoryRow {
                category: c,
                label: c.label().to_owned(),
                letter: c.letter().to_string(),
                property: c.property().to_owned(),
                by_severity: Severity::ALL
                    .iter()
                    .map(|s| {
                        (
                            s.key().to_owned(),
                            of.iter().filter(|v| v.severity == *s).count(),
                        )
                    })
                    .collect(),
                total: of.len(),
                untriaged: of.iter().filter(|v| v.status.is_untriaged()).count(),
            }
        })
        .collect();
    let by_severity = Severity::ALL
        .iter()
        .rev()
        .map(|&s| SeverityCount {
            severity: s,
            total: views.iter().filter(|v| v.severity == s).count(),
            untriaged: views
                .iter()
                .filter(|v| v.severity == s && v.status.is_untriaged())
                .count(),
        })
        .collect();
    let by_status = Status::ALL
        .iter()
        .map(|&s| StatusCount {
            status: s,
            label: s.label().to_owned(),
            count: views.iter().filter(|v| v.status == s).count(),
        })
        .collect();
    let mut open: Vec<&ThreatView> = views.iter().filter(|v| v.status.is_untriaged()).collect();
    open.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.likelihood.cmp(&a.likelihood))
            .then(a.id.cmp(&b.id))
    });
    let top_open = open
        .iter()
        .take(TOP_RISKS)
        .map(|v| RiskRow {
            id: v.id.clone(),
            title: v.title.clone(),
            severity: v.severity,
            likelihood: v.likelihood,
            category: v.category,
            subject: subject_label(&v.subject),
            status: v.status,
        })
        .collect();
    Summary {
        total: views.len(),
        untriaged: views.iter().filter(|v| v.status.is_untriaged()).count(),
        by_category,
        by_severity,
        by_status,
        top_open,
        orphaned: input.analysis.orphans.len(),
        diagnostics: input.analysis.diagnostics.len(),
    }
}

/// A short human label of a subject, e.g. `API` or `HTTP (flow)`.
pub fn subject_label(s: &SubjectView) -> String {
    match s.kind_of_subject.as_str() {
        "element" => s.name.clone(),
        "flow" | "crossing" => format!("{} (flow)", s.name),
        "boundary" => format!("{} (boundary)", s.name),
        _ => "whole system".to_owned(),
    }
}

fn group(input: &Input<'_>, views: &[ThreatView], facts: &ModelFacts) -> Vec<SubjectGroup> {
    let model = input.model;
    // Key: (order of subject type, id) so elements come first, then flows, boundaries, model.
    let mut groups: BTreeMap<(u8, String), Vec<ThreatView>> = BTreeMap::new();
    for (t, v) in input.analysis.threats.iter().zip(views) {
        let key = match &t.subject {
            Subject::Element(e) => (0, e.0.clone()),
            Subject::Flow(f) | Subject::Crossing(f, _) => (1, f.0.clone()),
            Subject::Boundary(b) => (2, b.0.clone()),
            Subject::Model => (3, String::new()),
        };
        groups.entry(key).or_default().push(v.clone());
    }
    let phrases = relation_phrases(facts);
    let bname = |b: &crate::model::BoundaryId| {
        model
            .boundaries
            .get(b)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| b.0.clone())
    };
    groups
        .into_iter()
        .map(|((order, id), mut threats)| {
            threats.sort_by(|a, b| a.category.cmp(&b.category).then(a.id.cmp(&b.id)));
            let (subject, heading, context) = match order {
                0 => {
                    let s = super::subject_view(
                        model,
                        &Subject::Element(crate::model::ElementId::new(id.as_str())),
                    );
                    let el = model.elements.get(id.as_str());
                    let ctx = el
                        .and_then(|e| e.boundary.as_ref())
                        .map(|b| format!("in boundary {}", bname(b)))
                        .unwrap_or_else(|| "outside every boundary".to_owned());
                    (
                        s.clone(),
                        format!("Element: {}", s.name),
                        format!("{} · id {} · {}", s.kind, s.id, ctx),
                    )
                }
                1 => {
                    let s = super::subject_view(
                        model,
                        &Subject::Flow(crate::model::FlowId::new(id.as_str())),
                    );
                    let ends = model
                        .flows
                        .get(id.as_str())
                        .map(|f| {
                            let n = |e: &crate::model::ElementId| {
                                model
                                    .elements
                                    .get(e)
                                    .map(|x| x.name.clone())
                                    .unwrap_or_else(|| e.0.clone())
                            };
                            format!("{} → {}", n(&f.source), n(&f.target))
                        })
                        .unwrap_or_default();
                    (
                        s.clone(),
                        format!("Flow: {} ({ends})", s.name),
                        format!("flow · id {}", s.id),
                    )
                }
                2 => {
                    let s = super::subject_view(
                        model,
                        &Subject::Boundary(crate::model::BoundaryId::new(id.as_str())),
                    );
                    (
                        s.clone(),
                        format!("Boundary: {}", s.name),
                        format!("boundary · id {}", s.id),
                    )
                }
                _ => {
                    let s = super::subject_view(model, &Subject::Model);
                    (s, "The system as a whole".to_owned(), String::new())
                }
            };
            let relations = if order == 0 {
                phrases.get(id.as_str()).cloned().unwrap_or_default()
            } else {
                Vec::new()
            };
            SubjectGroup {
                subject,
                heading,
                context,
                relations,
                threats,
            }
        })
        .collect()
}

/// The report date and its Unix time: `SOURCE_DATE_EPOCH` (`epoch`) when given, else the
/// model's own date, else `now` (seconds since 1970).
pub fn report_date(epoch: Option<i64>, metadata_date: &str, now: i64) -> (String, i64) {
    if let Some(e) = epoch {
        return (ymd(e), e);
    }
    let d = metadata_date.trim();
    if !d.is_empty() {
        if let Some(t) = parse_ymd(d) {
            return (ymd(t), t);
        }
        return (d.to_owned(), 0);
    }
    (ymd(now), now)
}

/// Reads `SOURCE_DATE_EPOCH` from the environment (ignored when not an integer).
pub fn env_source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// `YYYY-MM-DD` of a Unix time (UTC).
pub fn ymd(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Year, month, day and hour, minute, second of a Unix time (UTC).
pub fn civil(t: i64) -> ((i64, u32, u32), (u32, u32, u32)) {
    let secs = t.rem_euclid(86_400);
    let hms = (
        (secs / 3600) as u32,
        ((secs / 60) % 60) as u32,
        (secs % 60) as u32,
    );
    (civil_from_days(t.div_euclid(86_400)), hms)
}

/// Howard Hinnant's `civil_from_days`: proleptic Gregorian date of a day count.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses the `YYYY-MM-DD` at the start of a date (a time part after it is ignored).
pub fn parse_ymd(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(ymd(0), "1970-01-01");
        assert_eq!(ymd(1_700_000_000), "2023-11-14");
        assert_eq!(ymd(951_782_400), "2000-02-29");
        assert_eq!(parse_ymd("2000-02-29"), Some(951_782_400));
        assert_eq!(
            report_date(Some(86_400), "2020-01-01", 5),
            ("1970-01-02".to_owned(), 86_400)
        );
        assert_eq!(report_date(None, "2020-01-01", 5).0, "2020-01-01");
        assert_eq!(report_date(None, "", 0).0, "1970-01-01");
    }
}
