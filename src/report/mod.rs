//! Report data built from a model and its analysis, then renderers. Every renderer takes
//! the same [`data::ReportData`], so the CLI, the GUI and the tests produce identical
//! output: PDF ([`pdf`]), Markdown, standalone HTML with an SVG diagram, JSON and SARIF.
//!
//! `render::render(&Input, Format)` is the entry point.

pub mod attack;
pub mod data;
pub mod fonts;
pub mod html;
pub mod markdown;
pub mod pdf;
pub mod render;
pub mod sarif;
pub mod scene;
pub mod style;
pub mod svg;
pub mod table;
pub mod text;

use crate::analysis::{Analysis, Origin, Subject, Threat};
use crate::model::{Model, Severity, Status, Stride};
use crate::rules::Catalog;
use serde::Serialize;

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
    /// STRIDE category key.
    pub category: String,
    /// Effective severity key (after any override).
    pub severity: String,
    /// Severity the rule gives.
    pub rule_severity: String,
    /// Likelihood key.
    pub likelihood: String,
    /// Status key.
    pub status: String,
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
    /// Whether the threat's subject lies on an attack path (written only when true, so
    /// output without attack paths is unchanged).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub on_attack_path: bool,
    /// Ids of the attack paths its subject lies on (written only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attack_paths: Vec<String>,
    #[serde(skip)]
    /// Parsed category, for grouping.
    pub stride: Stride,
    #[serde(skip)]
    /// Parsed effective severity.
    pub sev: Severity,
    #[serde(skip)]
    /// Parsed status.
    pub stat: Status,
}

/// Renders the view of one threat.
pub fn threat_view(model: &Model, cat: &Catalog, t: &Threat) -> ThreatView {
    let found = Found::of(model, &t.subject);
    let subject = subject_view_of(model, &t.subject, &found);
    let names = Names::of(model, &t.subject, &found);
    let (rule_id, title, likelihood, description, mitigations, references, template) =
        match &t.origin {
            Origin::Rule(ri) => {
                let lr = &cat.rules[*ri];
                let r = &lr.rule;
                (
                    r.id.clone(),
                    r.title.clone(),
                    r.likelihood.key().to_owned(),
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
                    "medium".to_owned(),
                    m.map(|m| m.description.clone()).unwrap_or_default(),
                    m.map(|m| m.mitigations.clone()).unwrap_or_default(),
                    Vec::new(),
                    String::new(),
                )
            }
        };
    let tr = t.triage(model);
    let sev = t.severity(model);
    let stat = t.status(model);
    let field =
        |f: fn(&crate::model::Triage) -> &String| tr.map(|x| f(x).clone()).unwrap_or_default();
    ThreatView {
        id: t.id.0.clone(),
        rule_id,
        title,
        category: t.category.key().to_owned(),
        severity: sev.key().to_owned(),
        rule_severity: t.rule_severity.key().to_owned(),
        likelihood,
        status: stat.key().to_owned(),
        subject,
        description,
        why: {
            // A threat that its controls mitigate says which controls decided it.
            let mut why = t.why.clone();
            if let Some(d) = crate::analysis::controls::decision(model, t.id.as_str()) {
                why.push(d.why());
            }
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
        on_attack_path: false,
        attack_paths: Vec::new(),
        stride: t.category,
        sev,
        stat,
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

/// The model items a subject names, looked up once.
struct Found<'m> {
    element: Option<&'m crate::model::Element>,
    flow: Option<&'m crate::model::Flow>,
}

impl<'m> Found<'m> {
    fn of(model: &'m Model, s: &Subject) -> Self {
        match s {
            Subject::Element(e) => Found {
                element: model.elements.get(e),
                flow: None,
            },
            Subject::Flow(f) | Subject::Crossing(f, _) => Found {
                element: None,
                flow: model.flows.get(f),
            },
            _ => Found {
                element: None,
                flow: None,
            },
        }
    }
}

struct Names<'m> {
    element: &'m str,
    source: &'m str,
    target: &'m str,
    flow: &'m str,
    boundary: &'m str,
}

impl<'m> Names<'m> {
    fn of(model: &'m Model, s: &'m Subject, found: &Found<'m>) -> Names<'m> {
        let mut n = Names {
            element: "",
            source: "",
            target: "",
            flow: "",
            boundary: "",
        };
        let ename = |id: &'m crate::model::ElementId| {
            model
                .elements
                .get(id)
                .map(|e| e.name.as_str())
                .unwrap_or(id.as_str())
        };
        match s {
            Subject::Element(e) => {
                n.element = found.element.map(|x| x.name.as_str()).unwrap_or(e.as_str());
                if let Some(b) = found.element.and_then(|e| e.boundary.as_ref()) {
                    n.boundary = model
                        .boundaries
                        .get(b)
                        .map(|b| b.name.as_str())
                        .unwrap_or_default();
                }
            }
            Subject::Flow(_) | Subject::Crossing(_, _) => {
                if let Some(fl) = found.flow {
                    n.flow = &fl.name;
                    n.source = ename(&fl.source);
                    n.target = ename(&fl.target);
                }
                if let Subject::Crossing(_, b) = s {
                    n.boundary = model
                        .boundaries
                        .get(b)
                        .map(|b| b.name.as_str())
                        .unwrap_or(b.as_str());
                }
            }
            Subject::Boundary(b) => {
                n.boundary = model
                    .boundaries
                    .get(b)
                    .map(|b| b.name.as_str())
                    .unwrap_or_default();
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
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        push_capped(&mut out, &rest[..open]);
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
                push_capped(&mut out, val);
                rest = &after[pat.len()..];
            }
            None => {
                push_capped(&mut out, "{");
                rest = &after[1..];
            }
        }
        if out.len() > MAX_DESCRIPTION_BYTES {
            break;
        }
    }
    if out.len() <= MAX_DESCRIPTION_BYTES {
        push_capped(&mut out, rest);
    }
    if out.len() > MAX_DESCRIPTION_BYTES {
        let mut cut = MAX_DESCRIPTION_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str(CUT_NOTE);
    }
    out
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
        Subject::Element(e) => match found.element {
            Some(el) => (el.kind.clone(), el.name.clone(), None),
            None => (String::new(), e.0.clone(), None),
        },
        Subject::Flow(f) => (
            "flow".to_owned(),
            found
                .flow
                .map(|x| x.name.clone())
                .unwrap_or_else(|| f.0.clone()),
            None,
        ),
        Subject::Crossing(f, b) => (
            "flow".to_owned(),
            found
                .flow
                .map(|x| x.name.clone())
                .unwrap_or_else(|| f.0.clone()),
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

/// Every threat of an analysis, rendered, in id order.
pub fn threat_views(model: &Model, cat: &Catalog, a: &Analysis) -> Vec<ThreatView> {
    a.threats
        .iter()
        .map(|t| threat_view(model, cat, t))
        .collect()
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
