//! Report data built from a model and its analysis, then renderers. Every renderer takes
//! the same [`data::ReportData`], so the CLI, the GUI and the tests produce identical
//! output: PDF ([`pdf`]), Markdown, standalone HTML with an SVG diagram, JSON and SARIF.
//!
//! [`render`]`(&Input, Format)` is the entry point. The shared types ([`Input`],
//! [`Format`], [`Paper`]) live here, so the renderers import from this module and this
//! module calls them: no cycle. Errors are a [`ReportError`]; the CLI maps its own
//! argument enums onto [`Format`] and [`Paper`], so no front end's crate is needed here.

pub mod attack;
pub mod controls;
pub mod data;
pub mod fonts;
pub mod html;
pub mod json_stream;
pub mod jsonl;
pub mod keys;
pub mod markdown;
pub mod pdf;
pub mod sarif;
pub mod scene;
pub mod style;
pub mod svg;
pub mod table;
pub mod text;

use crate::analysis::{Analysis, Origin, Subject, Threat};
use crate::model::{Likelihood, Model, Severity, Status, Stride};
use crate::rules::Catalog;
use serde::Serialize;
use std::path::Path;

/// Output format of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// PDF document.
    Pdf,
    /// Markdown.
    Markdown,
    /// Standalone HTML.
    Html,
    /// JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl Format {
    /// The format for a file name's extension.
    pub fn from_path(p: &Path) -> Option<Format> {
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "pdf" => Some(Format::Pdf),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            _ => None,
        }
    }
}

/// Paper size of the PDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Paper {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 8.5 × 11 in.
    Letter,
}

/// Everything a report is made from.
pub struct Input<'a> {
    /// The model.
    pub model: &'a Model,
    /// The templates.
    pub catalog: &'a Catalog,
    /// The analysis of the model.
    pub analysis: &'a Analysis,
    /// The model file's bytes (for its hash on the cover).
    pub source: &'a [u8],
    /// The model file's name as given by the user; SARIF results point at it.
    pub source_name: &'a str,
    /// The report time in seconds since 1970, as `SOURCE_DATE_EPOCH` would give it. When
    /// `None`, the `SOURCE_DATE_EPOCH` environment variable is read; when that is unset,
    /// the model's own date is used, else today.
    pub source_date_epoch: Option<i64>,
    /// Paper size.
    pub paper: Paper,
}

impl Input<'_> {
    /// The report date (`YYYY-MM-DD`) and the Unix time written into the PDF.
    pub fn date(&self) -> (String, i64) {
        let epoch = self.source_date_epoch.or_else(data::env_source_date_epoch);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        data::report_date(epoch, &self.model.metadata.date, now)
    }
}

/// Most threats a PDF report is made for: what it renders within about 2 GB of memory
/// (89,327 threats took 3.6 GB and 168 s).
pub const MAX_PDF_THREATS: usize = 40_000;
/// Most threats a SARIF report is made for (89,327 threats took 1.7 GB).
pub const MAX_SARIF_THREATS: usize = 100_000;
/// Most threats a JSON, Markdown or HTML report is made for (89,327 threats took 0.5 GB
/// for JSON, 0.35 GB for Markdown and HTML).
pub const MAX_REPORT_THREATS: usize = 300_000;

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportError {
    /// The model has more threats than the format is made for.
    TooManyThreats {
        /// The format asked for.
        format: Format,
        /// Threats in the model.
        threats: usize,
        /// The format's limit.
        limit: usize,
        /// The limit's constant, named in the message.
        name: &'static str,
    },
    /// The embedded fonts could not be read, or the PDF could not be written.
    Render(String),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::TooManyThreats {
                format,
                threats,
                limit,
                name,
            } => write!(
                f,
                "the model has {threats} threats; a {format:?} report is limited to {limit} ({name}); use a smaller model{}",
                if *format == Format::Pdf || *format == Format::Sarif {
                    ", or --format json, markdown or html"
                } else {
                    ""
                }
            ),
            ReportError::Render(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ReportError {}

/// Renders a report. A model with more threats than the format's limit is refused,
/// naming the limit, before any work.
pub fn render(input: &Input<'_>, format: Format) -> Result<Vec<u8>, ReportError> {
    let (limit, name) = match format {
        Format::Pdf => (MAX_PDF_THREATS, "MAX_PDF_THREATS"),
        Format::Sarif => (MAX_SARIF_THREATS, "MAX_SARIF_THREATS"),
        _ => (MAX_REPORT_THREATS, "MAX_REPORT_THREATS"),
    };
    let n = input.analysis.threats.len();
    if n > limit {
        return Err(ReportError::TooManyThreats {
            format,
            threats: n,
            limit,
            name,
        });
    }
    let (date, epoch) = input.date();
    let data = data::build(input, &date);
    Ok(match format {
        Format::Json => json(&data).into_bytes(),
        Format::Markdown => markdown::render(&data, input).into_bytes(),
        Format::Html => html::render(&data, input)?.into_bytes(),
        Format::Sarif => sarif::render(&data, input).into_bytes(),
        Format::Pdf => {
            pdf::render(&data, input, epoch)
                .map_err(ReportError::Render)?
                .bytes
        }
    })
}

/// What a threat is about, for output.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SubjectView {
    /// `element`, `flow`, `crossing`, `boundary` or `model`.
    #[serde(rename = "type")]
    pub kind_of_subject: String,
    /// Element or flow id (the flow's for a crossing).
    pub id: String,
    /// Element kind, or `flow` / `boundary`.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// The crossed boundary's id, for crossings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
}

/// One threat, fully rendered.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ThreatView {
    /// Stable id.
    pub id: String,
    /// Rule id, or `manual`.
    pub rule_id: String,
    /// Title.
    pub title: String,
    /// STRIDE category (written as its key, `information_disclosure`).
    #[serde(serialize_with = "keys::key")]
    pub category: Stride,
    /// Effective severity (after any override), written as its key.
    #[serde(serialize_with = "keys::key")]
    pub severity: Severity,
    /// Severity the rule gives.
    #[serde(serialize_with = "keys::key")]
    pub rule_severity: Severity,
    /// Likelihood.
    #[serde(serialize_with = "keys::key")]
    pub likelihood: Likelihood,
    /// Triage status.
    #[serde(serialize_with = "keys::key")]
    pub status: Status,
    /// The subject.
    pub subject: SubjectView,
    /// Description with placeholders filled in.
    pub description: String,
    /// Facts that made the rule fire.
    pub why: Vec<String>,
    /// Controls.
    pub mitigations: Vec<String>,
    /// References.
    pub references: Vec<String>,
    /// Template id (empty for manual threats).
    pub template: String,
    /// Triage justification.
    pub justification: String,
    /// Triage owner.
    pub owner: String,
    /// Ticket.
    pub ticket: String,
    /// Reviewer.
    pub reviewed_by: String,
    /// Triage date.
    pub date: String,
    /// The CVSS 3.1 vector in effect (the triage record's, else a manual threat's own),
    /// as written; empty when there is none (and then not written).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cvss: String,
    /// Its base score, when the vector is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_base: Option<f64>,
    /// Whether the threat's subject lies on an attack path (written only when true, so
    /// output without attack paths is unchanged).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub on_attack_path: bool,
    /// Ids of the attack paths its subject lies on (written only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attack_paths: Vec<String>,
}

impl ThreatView {
    /// The CVSS line of the threat's details (`CVSS:3.1/AV:N/... (base 9.8)`), or
    /// `None` when it has no vector.
    pub fn cvss_line(&self) -> Option<String> {
        if self.cvss.is_empty() {
            return None;
        }
        Some(match self.cvss_base {
            Some(b) => format!("{} (base {b:.1})", self.cvss),
            None => format!("{} (not a valid CVSS 3.1 vector: ignored)", self.cvss),
        })
    }
}

/// Renders the view of one threat.
pub fn threat_view(model: &Model, cat: &Catalog, t: &Threat) -> ThreatView {
    threat_view_triaged(model, cat, t, t.triage(model))
}

/// [`threat_view`] with the threat's triage record already found (`None` when it has
/// none): writers that walk the threats and the triage map side by side, both in id
/// order, look each record up once instead of searching the map per threat.
pub fn threat_view_triaged(
    model: &Model,
    cat: &Catalog,
    t: &Threat,
    tr: Option<&crate::model::Triage>,
) -> ThreatView {
    threat_view_in(model, None, cat, t, tr)
}

/// The texts of a model's elements and flows that the writers of many threats read, in id
/// order and copied one after another into one buffer per kind of item: for an element
/// its id, kind, name and the name of its boundary, for a flow its id, name and the names
/// of its source and target. Threats come in id order (`RULE@subject`), so within one
/// rule's threats the subjects ascend: a [`Walk`] finds each one by stepping forward from
/// the last, and every step reads the next bytes of the buffer. Reading the model itself
/// instead costs more the larger it is: a lookup in a map misses the cache at each level
/// of a B-tree, and even a walk in id order jumps from an element's record to its strings,
/// scattered among its properties, a few cache lines an item and each rule again; past
/// the size of the cache every one of those is a read from memory. The buffers are a
/// fraction of the model (a few dozen bytes an item), so from one rule to the next they
/// stay in the cache much longer, and the cost per threat stays flat.
pub(crate) struct Items<'m> {
    /// Each element's id, kind, name and boundary name (`""` when it has none or it is
    /// missing).
    elements: Texts,
    /// Each flow's id, name and the names of its source and target (their ids when
    /// missing).
    flows: Texts,
    /// Each boundary's name.
    boundaries: foldhash::HashMap<&'m str, &'m str>,
    /// The controls, by the threats they name.
    controls: crate::analysis::controls::Naming<'m>,
}

/// Items of an id and three texts each, the ids in one buffer and the other texts in
/// another: a search by id reads only the ids (a few bytes an item, so they stay in the
/// cache), and only the item found has its texts read. Item `i`'s id lies between the
/// cuts `i` and `i + 1` of `ids`, its text `j` between the cuts `3 * i + j` and
/// `3 * i + j + 1` of `texts` (an item ends where the next begins).
struct Texts {
    /// Every id, one after another.
    ids: String,
    /// Where each id starts, and at the end where the last one ends.
    id_cuts: Vec<usize>,
    /// Every other text, one after another.
    texts: String,
    /// Where each of those starts, and at the end where the last one ends.
    text_cuts: Vec<usize>,
}

impl Texts {
    /// Room for `n` items whose texts take about `bytes` bytes each.
    fn with_capacity(n: usize, bytes: usize) -> Texts {
        let (mut id_cuts, mut text_cuts) =
            (Vec::with_capacity(n + 1), Vec::with_capacity(3 * n + 1));
        id_cuts.push(0);
        text_cuts.push(0);
        Texts {
            ids: String::with_capacity(n.saturating_mul(8)),
            id_cuts,
            texts: String::with_capacity(n.saturating_mul(bytes)),
            text_cuts,
        }
    }

    /// Appends an item.
    fn push(&mut self, id: &str, texts: [&str; 3]) {
        self.ids.push_str(id);
        self.id_cuts.push(self.ids.len());
        for t in texts {
            self.texts.push_str(t);
            self.text_cuts.push(self.texts.len());
        }
    }

    /// How many items there are.
    fn len(&self) -> usize {
        self.id_cuts.len().saturating_sub(1)
    }

    /// The id of item `i` (`""` past the end).
    #[inline]
    fn id(&self, i: usize) -> &str {
        cut(&self.ids, &self.id_cuts, i)
    }

    /// The three texts of item `i`.
    fn texts(&self, i: usize) -> [&str; 3] {
        let t = |j| cut(&self.texts, &self.text_cuts, 3 * i + j);
        [t(0), t(1), t(2)]
    }
}

/// Each element's name by id, read from the elements' buffer.
fn by_id(elements: &Texts) -> foldhash::HashMap<&str, &str> {
    (0..elements.len())
        .map(|i| (elements.id(i), elements.texts(i)[1]))
        .collect()
}

/// The `k`th of the texts of `all` that `cuts` separate (`""` past the end).
#[inline]
fn cut<'t>(all: &'t str, cuts: &[usize], k: usize) -> &'t str {
    match (cuts.get(k), cuts.get(k + 1)) {
        (Some(&a), Some(&b)) => all.get(a..b).unwrap_or_default(),
        _ => "",
    }
}

/// Where a writer's last lookups in [`Items`] landed (one walk per thread).
#[derive(Default)]
pub(crate) struct Walk {
    element: usize,
    flow: usize,
}

/// The position of `id` among the `len` keys `key(0)..key(len)` (in ascending order),
/// searched forward from `*at` by doubling steps when `id` is not before it, else from the
/// start; `*at` moves to where the search ended. The same answer as a lookup by id in a
/// map.
fn seek<'k>(len: usize, at: &mut usize, id: &str, key: impl Fn(usize) -> &'k str) -> Option<usize> {
    let mut lo = if *at < len && key(*at) <= id { *at } else { 0 };
    // key(lo) <= id here unless lo is 0; past `hi` every key is greater than `id`.
    let (mut hi, mut step) = (lo + 1, 1);
    while hi < len && key(hi) <= id {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    let hi = hi.min(len);
    // The first key in lo..hi not below `id`.
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let mid = a + (b - a) / 2;
        if key(mid) < id {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    if a < len {
        *at = a;
    }
    (a < hi && key(a) == id).then_some(a)
}

impl<'m> Items<'m> {
    /// Every element, flow and boundary of `model`; `links`, when they are the model's
    /// (an analysis of it keeps them), give each flow's ends by position.
    pub(crate) fn new(
        model: &'m Model,
        links: Option<&crate::analysis::index::Links>,
    ) -> Items<'m> {
        let boundaries: foldhash::HashMap<&str, &str> = model
            .boundaries
            .values()
            .map(|b| (b.id.as_str(), b.name.as_str()))
            .collect();
        let mut elements = Texts::with_capacity(model.elements.len(), 40);
        for e in model.elements.values() {
            let b = e
                .boundary
                .as_ref()
                .and_then(|b| boundaries.get(b.as_str()).copied())
                .unwrap_or_default();
            elements.push(e.id.as_str(), [&e.kind, &e.name, b]);
        }
        let mut flows = Texts::with_capacity(model.flows.len(), 64);
        // Flow ends are in no order. The model's links hold each flow's ends as
        // positions in id order, which are the positions in `elements`; without them
        // (or for a dangling end, which they do not hold) the ends are found through a
        // table made for that and dropped, whose keys and names are read from the
        // buffer just written rather than from the model.
        let ends = links
            .filter(|l| {
                l.flow_ends.len() == model.flows.len()
                    && l.elem_stencil.len() == model.elements.len()
            })
            .map(|l| l.flow_ends.as_slice());
        let mut names: Option<foldhash::HashMap<&str, &str>> = None;
        for (i, f) in model.flows.values().enumerate() {
            let (s, t) = match ends.and_then(|e| e.get(i).copied().flatten()) {
                Some((s, t)) => (elements.texts(s)[1], elements.texts(t)[1]),
                None => {
                    let names = names.get_or_insert_with(|| by_id(&elements));
                    let name = |id: &'m crate::model::ElementId| {
                        names.get(id.as_str()).copied().unwrap_or(id.as_str())
                    };
                    (name(&f.source), name(&f.target))
                }
            };
            flows.push(f.id.as_str(), [&f.name, s, t]);
        }
        Items {
            elements,
            flows,
            boundaries,
            controls: crate::analysis::controls::Naming::new(model),
        }
    }

    /// The kind, name and boundary name of the element with that id, found from `walk`.
    fn element(&self, walk: &mut Walk, id: &str) -> Option<[&str; 3]> {
        let e = &self.elements;
        seek(e.len(), &mut walk.element, id, |i| e.id(i)).map(|i| e.texts(i))
    }

    /// The name and the ends' names of the flow with that id, found from `walk`.
    fn flow(&self, walk: &mut Walk, id: &str) -> Option<[&str; 3]> {
        let f = &self.flows;
        seek(f.len(), &mut walk.flow, id, |i| f.id(i)).map(|i| f.texts(i))
    }

    /// A boundary's name.
    fn boundary(&self, id: &crate::model::BoundaryId) -> Option<&'m str> {
        self.boundaries.get(id.as_str()).copied()
    }

    /// The line a threat's why ends with when its controls mitigate it
    /// ([`crate::analysis::controls::decision`]).
    pub(crate) fn decided(&self, threat: &str) -> Option<String> {
        self.controls.decision(threat).map(|d| d.why())
    }
}

/// [`threat_view_triaged`], looking subjects up in `items` when given (the same view).
pub(crate) fn threat_view_in<'m>(
    model: &'m Model,
    items: Option<&Items<'m>>,
    cat: &Catalog,
    t: &'m Threat,
    tr: Option<&crate::model::Triage>,
) -> ThreatView {
    let mut walk = Walk::default();
    let found = Found::of_in(model, items.map(|i| (i, &mut walk)), &t.subject);
    let subject = subject_view_of(model, &t.subject, &found);
    let names = Names::of(model, items, &t.subject, &found);
    let (rule_id, title, likelihood, description, mitigations, references, template) =
        match &t.origin {
            Origin::Rule(ri) => {
                let lr = &cat.rules[*ri];
                let r = &lr.rule;
                (
                    r.id.clone(),
                    r.title.clone(),
                    r.likelihood,
                    fill(&r.description, &names),
                    r.mitigations.clone(),
                    r.references.clone(),
                    cat.templates
                        .get(lr.template)
                        .map(|x| x.id.clone())
                        .unwrap_or_default(),
                )
            }
            Origin::Manual => {
                let m = model.manual_threats.get(&t.id);
                (
                    "manual".to_owned(),
                    m.map(|m| m.title.clone()).unwrap_or_default(),
                    Likelihood::Medium,
                    m.map(|m| m.description.clone()).unwrap_or_default(),
                    m.map(|m| m.mitigations.clone()).unwrap_or_default(),
                    Vec::new(),
                    String::new(),
                )
            }
        };
    let sev = tr.and_then(|x| x.severity).unwrap_or(t.rule_severity);
    // A threat that its controls mitigate says which controls decided it (at the end of
    // its why), and counts as mitigated unless its own triage says otherwise.
    let decided = match items {
        Some(i) => i.decided(t.id.as_str()),
        None => crate::analysis::controls::decision(model, t.id.as_str()).map(|d| d.why()),
    };
    let stat = crate::analysis::shown_status(tr, || decided.is_some());
    let field =
        |f: fn(&crate::model::Triage) -> &String| tr.map(|x| f(x).clone()).unwrap_or_default();
    // The record passed in is the threat's (writers walk them side by side).
    let cvss = crate::analysis::risk::cvss_with(tr, model, t)
        .unwrap_or_default()
        .to_owned();
    ThreatView {
        id: t.id.0.clone(),
        rule_id,
        title,
        category: t.category,
        severity: sev,
        rule_severity: t.rule_severity,
        likelihood,
        status: stat,
        subject,
        description,
        why: {
            let mut why = t.why.to_vec();
            why.extend(decided);
            why
        },
        mitigations,
        references,
        template,
        justification: field(|x| &x.justification),
        owner: field(|x| &x.owner),
        ticket: field(|x| &x.ticket),
        reviewed_by: field(|x| &x.reviewed_by),
        date: field(|x| &x.date),
        cvss: cvss.clone(),
        cvss_base: crate::analysis::risk::parse_cvss(&cvss)
            .ok()
            .filter(|_| !cvss.is_empty())
            .map(|c| c.base),
        on_attack_path: false,
        attack_paths: Vec::new(),
    }
}

/// The triage records of a model read beside a run of threats in id order: each
/// [`TriageWalk::of`] moves forward through the map instead of searching it, so a
/// writer's cost per threat does not grow with the model (and the records are read in
/// memory order).
pub struct TriageWalk<'m> {
    model: &'m Model,
    rest: std::iter::Peekable<
        std::collections::btree_map::Range<'m, crate::model::ThreatId, crate::model::Triage>,
    >,
    /// Where the walk started: records before it were never looked at.
    start: crate::model::ThreatId,
    /// The last record stepped over: it and those before it lie behind the walk.
    behind: Option<&'m crate::model::ThreatId>,
}

impl<'m> TriageWalk<'m> {
    /// A walk from the first record at or after `first`.
    pub fn from(model: &'m Model, first: &crate::model::ThreatId) -> TriageWalk<'m> {
        TriageWalk {
            model,
            rest: model.triage.range(first.clone()..).peekable(),
            start: first.clone(),
            behind: None,
        }
    }

    /// The record of threat `id`. Ids in ascending order cost a step each; an id out of
    /// order is still answered right (the walk restarts there).
    pub fn of(&mut self, id: &crate::model::ThreatId) -> Option<&'m crate::model::Triage> {
        if *id < self.start || self.behind.is_some_and(|b| id <= b) {
            *self = TriageWalk::from(self.model, id);
        }
        while let Some((k, _)) = self.rest.peek() {
            if *k < id {
                self.behind = Some(*k);
                self.rest.next();
            } else {
                break;
            }
        }
        match self.rest.peek() {
            Some((k, v)) if *k == id => Some(*v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod items_tests {
    use super::*;
    use crate::model::{BoundaryId, ElementId, FlowId};

    /// The names a description reads and the subject a view shows, as one comparable value.
    fn seen(m: &Model, items: Option<&Items<'_>>, s: &Subject, found: &Found<'_>) -> String {
        let n = Names::of(m, items, s, found);
        let (kind, name, boundary) = json_stream::subject_parts(m, s, found);
        format!(
            "{:?}",
            (
                [n.element, n.source, n.target, n.flow, n.boundary],
                (kind, name, boundary),
                subject_view_of(m, s, found),
            )
        )
    }

    /// Every subject found through [`Items`], asked in any order, gives the names and the
    /// subject that looking it up in the model gives: elements with, without and with a
    /// missing boundary, flows with missing ends, crossings, boundaries, the model, and
    /// ids the model does not have, with names that need escaping.
    #[test]
    fn items_answer_like_the_model_in_any_order() {
        let path = format!(
            "{}/examples/kubernetes-cluster.ron",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut m = crate::persist::load(Path::new(&path))
            .map(|l| l.model)
            .unwrap_or_else(|e| panic!("{e}"));
        let (Some(e0), Some(f0)) = (
            m.elements.values().next().cloned(),
            m.flows.values().next().cloned(),
        ) else {
            panic!("the example has elements and flows");
        };
        for (id, name, boundary) in [
            (
                "zz-lost",
                "in a \"lost\" boundary\n",
                Some("no-such-boundary"),
            ),
            ("zz-free", "é ✓ \u{1}", None),
            ("a-first", "", e0.boundary.as_ref().map(|b| b.as_str())),
        ] {
            let mut e = e0.clone();
            e.id = ElementId::from(id);
            e.name = name.into();
            e.boundary = boundary.map(BoundaryId::from);
            m.elements.insert(e.id.clone(), e);
        }
        for (id, source, target) in [
            ("zz-dangling", "no-such-source", "zz-free"),
            ("a-flow", "zz-lost", "no-such-target"),
        ] {
            let mut f = f0.clone();
            f.id = FlowId::from(id);
            f.source = ElementId::from(source);
            f.target = ElementId::from(target);
            m.flows.insert(f.id.clone(), f);
        }
        let b0 = m.boundaries.keys().next().cloned().unwrap_or_default();
        let mut subjects: Vec<Subject> = m.elements.keys().cloned().map(Subject::Element).collect();
        subjects.extend(m.flows.keys().cloned().map(Subject::Flow));
        subjects.extend(
            m.flows
                .keys()
                .map(|f| Subject::Crossing(f.clone(), b0.clone())),
        );
        subjects.extend([
            Subject::Element("no-such-element".into()),
            Subject::Element("".into()),
            Subject::Flow("no-such-flow".into()),
            Subject::Crossing("no-such-flow".into(), "no-such-boundary".into()),
            Subject::Boundary(b0.clone()),
            Subject::Boundary("no-such-boundary".into()),
            Subject::Model,
        ]);
        // With the analysis's links (flow ends by position) and without them.
        let a = crate::analysis::analyze(&m, &crate::rules::Catalog::builtin());
        assert!(a.links.0.is_some(), "an analysis keeps its links");
        let (plain, linked) = (Items::new(&m, None), Items::new(&m, a.links.0.as_deref()));
        let forward = subjects.clone();
        let mut backward = subjects.clone();
        backward.reverse();
        let mut sorted = subjects.clone();
        sorted.sort();
        let shuffled: Vec<Subject> = (0..subjects.len())
            .map(|i| subjects[(i * 7 + 3) % subjects.len()].clone())
            .collect();
        for order in [forward, backward, sorted, shuffled] {
            for items in [&plain, &linked] {
                let mut walk = Walk::default();
                for s in &order {
                    let via_items = Found::of_in(&m, Some((items, &mut walk)), s);
                    let via_model = Found::of(&m, s);
                    assert_eq!(
                        seen(&m, Some(items), s, &via_items),
                        seen(&m, None, s, &via_model),
                        "{s:?}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod triage_walk_tests {
    use super::*;
    use crate::model::{Status, ThreatId, Triage};

    /// In any order of questions, a walk finds what a lookup by id finds.
    #[test]
    fn seek_answers_like_a_lookup_in_any_order() {
        let keys = ["b", "d", "e", "h", "k", "m", "p"];
        let orders: [&[&str]; 5] = [
            &["a", "b", "c", "d", "e", "f", "h", "z"],
            &["d", "b", "h", "a", "e", "e", "c", "p", "q"],
            &["p", "m", "k", "b"],
            &["b", "p", "b", "p", "k"],
            &["z", "a", "m", "n"],
        ];
        for order in orders {
            let mut at = 0;
            for id in order {
                assert_eq!(
                    seek(keys.len(), &mut at, id, |i| keys[i]),
                    keys.iter().position(|k| k == id),
                    "{order:?} at {id}"
                );
            }
        }
        assert_eq!(seek(0, &mut 0, "a", |_| ""), None);
    }

    /// In any order of questions the walk answers what a lookup in the map answers.
    #[test]
    fn the_walk_answers_like_the_map_in_any_order() {
        let mut m = Model::default();
        for id in ["b", "d", "e", "h"] {
            m.triage.insert(
                ThreatId::from(id),
                Triage {
                    threat: ThreatId::from(id),
                    status: Status::Mitigated,
                    ..Default::default()
                },
            );
        }
        let orders: [&[&str]; 4] = [
            &["a", "b", "c", "d", "e", "f", "h", "z"],
            &["d", "b", "h", "a", "e", "e", "c"],
            &["c", "a", "b"],
            &["h", "d", "d", "b"],
        ];
        for order in orders {
            let mut w = TriageWalk::from(&m, &ThreatId::from(order[0]));
            for id in order {
                let id = ThreatId::from(*id);
                assert_eq!(
                    w.of(&id).map(|t| &t.threat),
                    m.triage.get(&id).map(|t| &t.threat),
                    "{order:?} at {id}"
                );
            }
        }
    }
}

/// The title of a threat, as its view would give it, without rendering the rest.
pub fn threat_title(model: &Model, cat: &Catalog, t: &Threat) -> String {
    match &t.origin {
        Origin::Rule(ri) => cat.rules.get(*ri).map(|r| r.rule.title.clone()),
        Origin::Manual => model.manual_threats.get(&t.id).map(|m| m.title.clone()),
    }
    .unwrap_or_default()
}

/// Marks the view of threat `t` with the attack paths its subject lies on.
pub fn mark_paths(view: &mut ThreatView, t: &Threat, paths: &crate::analysis::paths::Paths) {
    let ids = paths.of_threat(t);
    view.on_attack_path = !ids.is_empty();
    view.attack_paths = ids.into_iter().map(str::to_owned).collect();
}

/// The item a subject names, looked up once: in the model, or as its texts in [`Items`]
/// (with the names around it).
enum Found<'s> {
    /// No element or flow: not found, or a subject of another kind.
    Nothing,
    /// An element of the model.
    Element(&'s crate::model::Element),
    /// A flow of the model.
    Flow(&'s crate::model::Flow),
    /// An element's kind, name and boundary name, from [`Items`].
    ElementTexts([&'s str; 3]),
    /// A flow's name and its source's and target's names, from [`Items`].
    FlowTexts([&'s str; 3]),
}

impl<'s> Found<'s> {
    fn of(model: &'s Model, s: &Subject) -> Self {
        Found::of_in(model, None, s)
    }

    fn of_in(model: &'s Model, items: Option<(&'s Items<'_>, &mut Walk)>, s: &Subject) -> Self {
        let found = match (s, items) {
            (Subject::Element(e), Some((i, w))) => {
                i.element(w, e.as_str()).map(Found::ElementTexts)
            }
            (Subject::Flow(f) | Subject::Crossing(f, _), Some((i, w))) => {
                i.flow(w, f.as_str()).map(Found::FlowTexts)
            }
            (Subject::Element(e), None) => model.elements.get(e).map(Found::Element),
            (Subject::Flow(f) | Subject::Crossing(f, _), None) => {
                model.flows.get(f).map(Found::Flow)
            }
            _ => None,
        };
        found.unwrap_or(Found::Nothing)
    }

    /// A found element's kind and name.
    fn element(&self) -> Option<(&'s str, &'s str)> {
        match self {
            Found::Element(e) => Some((&e.kind, &e.name)),
            Found::ElementTexts([kind, name, _]) => Some((kind, name)),
            _ => None,
        }
    }

    /// A found flow's name.
    fn flow(&self) -> Option<&'s str> {
        match self {
            Found::Flow(f) => Some(&f.name),
            Found::FlowTexts([name, _, _]) => Some(name),
            _ => None,
        }
    }
}

struct Names<'s> {
    element: &'s str,
    source: &'s str,
    target: &'s str,
    flow: &'s str,
    boundary: &'s str,
}

impl<'s> Names<'s> {
    fn of(
        model: &'s Model,
        items: Option<&'s Items<'_>>,
        s: &'s Subject,
        found: &Found<'s>,
    ) -> Names<'s> {
        let mut n = Names {
            element: "",
            source: "",
            target: "",
            flow: "",
            boundary: "",
        };
        let ename = |id: &'s crate::model::ElementId| {
            model
                .elements
                .get(id)
                .map(|e| e.name.as_str())
                .unwrap_or(id.as_str())
        };
        let bname = |b: &crate::model::BoundaryId| match items {
            Some(i) => i.boundary(b),
            None => model.boundaries.get(b).map(|b| b.name.as_str()),
        };
        match s {
            Subject::Element(e) => match found {
                Found::ElementTexts([_, name, boundary]) => {
                    n.element = name;
                    n.boundary = boundary;
                }
                Found::Element(el) => {
                    n.element = &el.name;
                    if let Some(b) = &el.boundary {
                        n.boundary = bname(b).unwrap_or_default();
                    }
                }
                _ => n.element = e.as_str(),
            },
            Subject::Flow(_) | Subject::Crossing(_, _) => {
                match found {
                    Found::FlowTexts([name, source, target]) => {
                        (n.flow, n.source, n.target) = (name, source, target);
                    }
                    Found::Flow(fl) => {
                        n.flow = &fl.name;
                        (n.source, n.target) = (ename(&fl.source), ename(&fl.target));
                    }
                    _ => {}
                }
                if let Subject::Crossing(_, b) = s {
                    n.boundary = bname(b).unwrap_or(b.as_str());
                }
            }
            Subject::Boundary(b) => {
                n.boundary = bname(b).unwrap_or_default();
            }
            Subject::Model => {}
        }
        n
    }
}

/// Longest description after its placeholders are filled, in bytes; a longer one is cut
/// at a character boundary and ends with [`CUT_NOTE`].
pub const MAX_DESCRIPTION_BYTES: usize = 16 * 1024;

/// What ends a description cut at [`MAX_DESCRIPTION_BYTES`].
pub const CUT_NOTE: &str = "… (cut at MAX_DESCRIPTION_BYTES)";

/// Fills the placeholders in one pass over the template's text: each `{element}`,
/// `{source}`, `{target}`, `{flow}` or `{boundary}` is replaced by its name, and the names
/// put in are never read again (a name that contains `{target}` is only text). Unknown
/// `{...}` stays as written. The result is at most [`MAX_DESCRIPTION_BYTES`] long (plus
/// [`CUT_NOTE`]), so a template with a placeholder repeated a million times costs no more.
fn fill(text: &str, n: &Names) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_DESCRIPTION_BYTES));
    fill_into(&mut out, text, n);
    out
}

/// [`fill`] into `out`, which it clears first: a writer of many threats fills every
/// description into one buffer.
fn fill_into(out: &mut String, text: &str, n: &Names) {
    out.clear();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        push_capped(out, &rest[..open]);
        let after = &rest[open..];
        let hit = [
            ("{element}", n.element),
            ("{source}", n.source),
            ("{target}", n.target),
            ("{flow}", n.flow),
            ("{boundary}", n.boundary),
        ]
        .into_iter()
        .find(|(pat, _)| after.starts_with(pat));
        match hit {
            Some((pat, val)) => {
                push_capped(out, val);
                rest = &after[pat.len()..];
            }
            None => {
                push_capped(out, "{");
                rest = &after[1..];
            }
        }
        if out.len() > MAX_DESCRIPTION_BYTES {
            break;
        }
    }
    if out.len() <= MAX_DESCRIPTION_BYTES {
        push_capped(out, rest);
    }
    if out.len() > MAX_DESCRIPTION_BYTES {
        let mut cut = MAX_DESCRIPTION_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str(CUT_NOTE);
    }
}

/// Appends at most one byte past [`MAX_DESCRIPTION_BYTES`] worth of `s` (the caller
/// cuts and marks the end).
fn push_capped(out: &mut String, s: &str) {
    let room = (MAX_DESCRIPTION_BYTES + 1).saturating_sub(out.len());
    if s.len() <= room {
        out.push_str(s);
        return;
    }
    let mut end = room;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&s[..end]);
    // Mark the text as over the limit even when the cut fell before a wide character.
    if out.len() <= MAX_DESCRIPTION_BYTES {
        out.push_str(&s[end..][..s[end..].chars().next().map_or(0, char::len_utf8)]);
    }
}

/// The output view of a subject.
pub fn subject_view(model: &Model, s: &Subject) -> SubjectView {
    subject_view_of(model, s, &Found::of(model, s))
}

fn subject_view_of(model: &Model, s: &Subject, found: &Found<'_>) -> SubjectView {
    let (kind, name, boundary) = match s {
        Subject::Element(e) => match found.element() {
            Some((kind, name)) => (kind.to_owned(), name.to_owned(), None),
            None => (String::new(), e.0.clone(), None),
        },
        Subject::Flow(f) => (
            "flow".to_owned(),
            found.flow().unwrap_or(f.as_str()).to_owned(),
            None,
        ),
        Subject::Crossing(f, b) => (
            "flow".to_owned(),
            found.flow().unwrap_or(f.as_str()).to_owned(),
            Some(b.0.clone()),
        ),
        Subject::Boundary(b) => (
            "boundary".to_owned(),
            model
                .boundaries
                .get(b)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| b.0.clone()),
            None,
        ),
        Subject::Model => ("model".to_owned(), model.metadata.title.clone(), None),
    };
    SubjectView {
        kind_of_subject: s.type_key().to_owned(),
        id: s.primary_id().to_owned(),
        kind,
        name,
        boundary,
    }
}

/// Views of one analysis's threats made one after another, with their subjects and
/// controls looked up in tables made once: the views of [`threat_view`], and the
/// statuses of [`Threat::status`], at a cost per threat that does not grow with the
/// model or its controls.
pub struct Viewer<'m> {
    model: &'m Model,
    cat: &'m Catalog,
    items: Items<'m>,
}

impl<'m> Viewer<'m> {
    /// A viewer of the threats of `a`, an analysis of `model`.
    pub fn new(model: &'m Model, cat: &'m Catalog, a: &Analysis) -> Viewer<'m> {
        Viewer {
            model,
            cat,
            items: Items::new(model, a.links.0.as_deref()),
        }
    }

    /// [`threat_view`] of `t`.
    pub fn view(&self, t: &Threat) -> ThreatView {
        threat_view_in(
            self.model,
            Some(&self.items),
            self.cat,
            t,
            t.triage(self.model),
        )
    }

    /// [`Threat::status`] of `t`.
    pub fn status(&self, t: &Threat) -> Status {
        t.status_by(self.model, &self.items.controls)
    }

    /// The controls, by the threats they name.
    pub fn controls(&self) -> &crate::analysis::controls::Naming<'m> {
        &self.items.controls
    }
}

/// Every threat of an analysis, rendered, in id order.
pub fn threat_views(model: &Model, cat: &Catalog, a: &Analysis) -> Vec<ThreatView> {
    // Subjects and controls looked up in tables made once (the same views).
    let items = Items::new(model, a.links.0.as_deref());
    let mut triage = a.threats.first().map(|t| TriageWalk::from(model, &t.id));
    a.threats
        .iter()
        .map(|t| {
            let tr = triage.as_mut().and_then(|w| w.of(&t.id));
            threat_view_in(model, Some(&items), cat, t, tr)
        })
        .collect()
}

/// Free text as a report shows it: a dash when blank. Each renderer escapes the result.
pub fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}

/// The whole report data as pretty JSON, with a final newline.
pub fn json(data: &data::ReportData) -> String {
    let mut s =
        serde_json::to_string_pretty(data).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod fill_tests {
    use super::*;

    fn names<'a>() -> Names<'a> {
        Names {
            element: "{target}{flow}",
            source: "S{boundary}",
            target: "T{element}",
            flow: "F{source}",
            boundary: "B{flow}",
        }
    }

    #[test]
    fn names_are_data_never_templates() {
        let n = names();
        assert_eq!(
            fill(
                "{element} {source} {target} {flow} {boundary} {other} {",
                &n
            ),
            "{target}{flow} S{boundary} T{element} F{source} B{flow} {other} {"
        );
        assert_eq!(fill("no placeholders", &n), "no placeholders");
        assert_eq!(fill("{{element}}", &n), "{{target}{flow}}");
    }

    #[test]
    fn a_million_placeholders_fill_to_a_bounded_text() {
        let text = "{element}".repeat(1_000_000);
        let n = Names {
            element: "ééé",
            ..names()
        };
        let out = fill(&text, &n);
        assert!(out.ends_with(CUT_NOTE), "{}", &out[out.len() - 60..]);
        assert!(out.len() <= MAX_DESCRIPTION_BYTES + CUT_NOTE.len());
        assert!(out.starts_with("éééééé"));
        // Exactly at the limit nothing is cut.
        let exact = "x".repeat(MAX_DESCRIPTION_BYTES);
        assert_eq!(fill(&exact, &n), exact);
        let over = "x".repeat(MAX_DESCRIPTION_BYTES + 1);
        assert!(fill(&over, &n).ends_with(CUT_NOTE));
    }
}
