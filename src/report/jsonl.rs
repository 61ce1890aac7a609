//! `threats --format jsonl`: the threats for machines that read every one (CI gates,
//! dashboards). One JSON object a line, no indentation, and what is the same for every
//! threat of a rule written once:
//!
//! - line 1, the header: `{"format":"palisade-threats","version":1,"threats":N,
//!   "rules":{RULE_ID:{title,category,severity,likelihood,template,mitigations,
//!   references}}}`, the rules that fired, in id order;
//! - then one line per threat, in id order: `id`, `rule` (a key of `rules`, or
//!   `manual`), `category`, `severity` (effective), `status`, `subject`, `description`
//!   (placeholders filled), and only when they say something: `rule_severity` (when the
//!   reviewer changed the severity), `why`, the triage fields (`justification`, `owner`,
//!   `ticket`, `reviewed_by`, `date`), `attack_paths`; a manual threat also carries its
//!   own `title` and `mitigations`.
//!
//! The values are those of `--format json` (same keys for enums, same texts), so a reader
//! can rebuild every field of the pretty JSON from the header and the line.

use super::json_stream::subject_parts;
use super::{Found, Items, Names, TriageWalk, Walk, fill_into, keys};
use crate::analysis::{Origin, Threat, Why};
use crate::model::{Likelihood, Model, Severity, Status, Stride};
use crate::rules::Catalog;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// What the header says about one rule.
#[derive(Serialize)]
struct RuleEntry<'a> {
    title: &'a str,
    #[serde(serialize_with = "keys::key")]
    category: Stride,
    #[serde(serialize_with = "keys::key")]
    severity: Severity,
    #[serde(serialize_with = "keys::key")]
    likelihood: Likelihood,
    template: &'a str,
    mitigations: &'a [String],
    references: &'a [String],
}

#[derive(Serialize)]
struct Header<'a> {
    format: &'static str,
    version: u32,
    threats: usize,
    rules: BTreeMap<&'a str, RuleEntry<'a>>,
}

fn is_empty(s: &&str) -> bool {
    s.is_empty()
}

/// One threat's line.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(serialize_with = "keys::key")]
    category: Stride,
    #[serde(serialize_with = "keys::key")]
    severity: Severity,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "keys::key_or_empty"
    )]
    rule_severity: Option<Severity>,
    #[serde(serialize_with = "keys::key")]
    status: Status,
    subject: SubjectOut<'a>,
    description: &'a str,
    #[serde(skip_serializing_if = "WhyOut::is_empty")]
    why: WhyOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mitigations: Option<&'a [String]>,
    #[serde(skip_serializing_if = "is_empty")]
    justification: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    owner: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    ticket: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    reviewed_by: &'a str,
    #[serde(skip_serializing_if = "is_empty")]
    date: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attack_paths: Vec<&'a str>,
}

/// A threat's subject as [`super::SubjectView`] writes it, borrowed from the model.
#[derive(Serialize)]
struct SubjectOut<'a> {
    #[serde(rename = "type")]
    kind_of_subject: &'a str,
    id: &'a str,
    kind: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    boundary: Option<&'a str>,
}

/// A threat's why, with the line of the controls that decided it at the end.
struct WhyOut<'a>(&'a Why, Option<String>);

impl WhyOut<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty() && self.1.is_none()
    }
}

impl Serialize for WhyOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().chain(self.1.as_deref()))
    }
}

/// Writes the threats as JSON Lines (see the module documentation), with the attack
/// paths of `paths` on the threats whose subject lies on one.
pub fn write<W: Write>(
    mut out: W,
    model: &Model,
    cat: &Catalog,
    a: &crate::analysis::Analysis,
    paths: Option<&crate::analysis::paths::Paths>,
) -> std::io::Result<()> {
    let threats: &[Threat] = &a.threats;
    let mut rules = BTreeMap::new();
    for t in threats {
        if let Origin::Rule(ri) = t.origin {
            let Some(lr) = cat.rules.get(ri) else {
                continue;
            };
            let r = &lr.rule;
            rules.entry(r.id.as_str()).or_insert_with(|| RuleEntry {
                title: &r.title,
                category: r.category,
                severity: r.severity,
                likelihood: r.likelihood,
                template: cat.templates.get(lr.template).map_or("", |x| x.id.as_str()),
                mitigations: &r.mitigations,
                references: &r.references,
            });
        }
    }
    let header = Header {
        format: "palisade-threats",
        version: 1,
        threats: threats.len(),
        rules,
    };
    // `From` keeps the kind of a write error (a closed pipe stays `BrokenPipe`).
    serde_json::to_writer(&mut out, &header).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    let mut triage = threats.first().map(|t| TriageWalk::from(model, &t.id));
    // Subjects found by walking the items beside the threats, descriptions filled into
    // one buffer (as the pretty JSON's writer does).
    let items = Items::new(model, a.links.0.as_deref());
    let mut walk = Walk::default();
    let mut desc = String::new();
    for t in threats {
        let tr = triage.as_mut().and_then(|w| w.of(&t.id));
        let found = Found::of_in(model, Some((&items, &mut walk)), &t.subject);
        let (kind, name, boundary) = subject_parts(model, &t.subject, &found);
        let subject = SubjectOut {
            kind_of_subject: t.subject.type_key(),
            id: t.subject.primary_id(),
            kind,
            name,
            boundary,
        };
        let (rule, title, description, mitigations) = match &t.origin {
            Origin::Rule(ri) => match cat.rules.get(*ri) {
                Some(lr) => {
                    let names = Names::of(model, Some(&items), &t.subject, &found);
                    fill_into(&mut desc, &lr.rule.description, &names);
                    (lr.rule.id.as_str(), None, desc.as_str(), None)
                }
                None => ("", None, "", None),
            },
            Origin::Manual => {
                let m = model.manual_threats.get(&t.id);
                (
                    "manual",
                    Some(m.map_or("", |m| m.title.as_str())),
                    m.map_or("", |m| m.description.as_str()),
                    Some(m.map_or(&[][..], |m| m.mitigations.as_slice())),
                )
            }
        };
        let severity = tr.and_then(|x| x.severity).unwrap_or(t.rule_severity);
        // A threat that its controls mitigate says which controls decided it, and counts
        // as mitigated unless its own triage says otherwise (as in the pretty JSON).
        let decided = items.decided(t.id.as_str());
        let status = crate::analysis::shown_status(tr, || decided.is_some());
        let field = |f: fn(&crate::model::Triage) -> &str| tr.map_or("", f);
        let line = Line {
            id: t.id.as_str(),
            rule,
            title,
            category: t.category,
            severity,
            rule_severity: (severity != t.rule_severity).then_some(t.rule_severity),
            status,
            subject,
            description,
            why: WhyOut(&t.why, decided),
            mitigations,
            justification: field(|x| &x.justification),
            owner: field(|x| &x.owner),
            ticket: field(|x| &x.ticket),
            reviewed_by: field(|x| &x.reviewed_by),
            date: field(|x| &x.date),
            attack_paths: paths.map(|p| p.of_threat(t)).unwrap_or_default(),
        };
        serde_json::to_writer(&mut out, &line).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
