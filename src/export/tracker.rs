//! Open threats out to issue trackers: a CSV for spreadsheets, GitHub issue bodies
//! (JSON) and Jira's CSV import. Every row and body carries the stable threat id, so a
//! later export updates rather than duplicates, and `palisade triage import` can read
//! an edited CSV back.
//!
//! One row per open threat (Open or Needs investigation after triage and controls), in
//! threat-id order. Every CSV cell goes through [`safe_cell`]: a cell a spreadsheet
//! would run as a formula starts with `'`.

use crate::analysis::{Analysis, Threat, controls};
use crate::model::{Model, Severity};
use crate::report::ThreatView;
use crate::rules::Catalog;

/// The columns of `--to csv`, in order; `palisade triage import` reads this layout back.
/// `cvss` is the CVSS 3.1 vector in effect (the triage record's, else a manual threat's
/// own), empty when there is none.
pub const CSV_COLUMNS: [&str; 12] = [
    "id",
    "title",
    "severity",
    "status",
    "category",
    "subject",
    "description",
    "mitigations",
    "owner",
    "ticket",
    "controls",
    "cvss",
];

/// The columns of `--to jira-csv`, as Jira's CSV importer maps them (a repeated
/// `Labels` column is how Jira takes several labels).
pub const JIRA_COLUMNS: [&str; 9] = [
    "Summary",
    "Issue Type",
    "Priority",
    "Description",
    "Labels",
    "Labels",
    "Labels",
    "Assignee",
    "External ID",
];

/// A cell that no spreadsheet runs as a formula: text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'` (OWASP's advice for CSV injection).
pub fn safe_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// The text of a cell written by [`safe_cell`] (the leading `'` it added removed).
pub fn unsafe_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r')
            ) =>
        {
            rest
        }
        _ => s,
    }
}

/// The threats that go out: open after triage and controls, in id order.
pub fn open_threats<'a>(model: &Model, a: &'a Analysis) -> Vec<&'a Threat> {
    let naming = crate::analysis::controls::Naming::new(model);
    a.threats
        .iter()
        .filter(|t| t.status_by(model, &naming).is_untriaged())
        .collect()
}

fn subject_label(v: &ThreatView) -> String {
    if v.subject.id.is_empty() {
        v.subject.name.clone()
    } else {
        format!(
            "{} ({} {})",
            v.subject.name, v.subject.kind_of_subject, v.subject.id
        )
    }
}

fn control_list(naming: &controls::Naming<'_>, t: &Threat) -> String {
    naming
        .naming(t.id.as_str())
        .iter()
        .map(|c| format!("{} ({})", c.id, c.status.label()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn write_rows(rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r.iter().map(|c| safe_cell(c)))
            .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `--to csv`: the header [`CSV_COLUMNS`], then one row per open threat.
pub fn csv(model: &Model, cat: &Catalog, a: &Analysis) -> Result<Vec<u8>, String> {
    let mut rows = vec![CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect()];
    let viewer = crate::report::Viewer::new(model, cat, a);
    for t in open_threats(model, a) {
        let v = viewer.view(t);
        rows.push(vec![
            v.id.clone(),
            v.title.clone(),
            v.severity.key().to_owned(),
            v.status.key().to_owned(),
            t.category.key().to_owned(),
            subject_label(&v),
            v.description.clone(),
            v.mitigations.join("; "),
            v.owner.clone(),
            v.ticket.clone(),
            control_list(viewer.controls(), t),
            v.cvss.clone(),
        ]);
    }
    write_rows(&rows)
}

fn jira_priority(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Highest",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

/// The marker line that names the threat in a tracker's body.
pub fn id_marker(id: &str) -> String {
    format!("Palisade threat id: {id}")
}

/// `--to jira-csv`: [`JIRA_COLUMNS`], one row per open threat (issue type Task).
pub fn jira_csv(model: &Model, cat: &Catalog, a: &Analysis) -> Result<Vec<u8>, String> {
    let mut rows = vec![JIRA_COLUMNS.iter().map(|c| (*c).to_owned()).collect()];
    let viewer = crate::report::Viewer::new(model, cat, a);
    for t in open_threats(model, a) {
        let v = viewer.view(t);
        let mut desc = format!("{}\n\nSubject: {}\n", v.description, subject_label(&v));
        if !v.mitigations.is_empty() {
            desc.push_str("\nMitigations:\n");
            for m in &v.mitigations {
                desc.push_str(&format!("* {m}\n"));
            }
        }
        if let Some(c) = v.cvss_line() {
            desc.push_str(&format!("\nCVSS 3.1: {c}\n"));
        }
        desc.push('\n');
        desc.push_str(&id_marker(&v.id));
        rows.push(vec![
            format!("{} ({})", v.title, v.subject.name),
            "Task".to_owned(),
            jira_priority(v.severity).to_owned(),
            desc,
            "threat-model".to_owned(),
            format!("stride-{}", t.category.key().replace('_', "-")),
            format!("severity-{}", v.severity.key()),
            v.owner.clone(),
            v.id.clone(),
        ]);
    }
    write_rows(&rows)
}

/// `--to github-issues`: a JSON array of `{title, body, labels, palisade_id}`; the body
/// is Markdown (every model text escaped) and ends with the threat id, in a visible line
/// and in an HTML comment a script can search for.
pub fn github_issues(model: &Model, cat: &Catalog, a: &Analysis) -> serde_json::Value {
    use crate::escape::{md_code, md_inline};
    let mut out = Vec::new();
    let viewer = crate::report::Viewer::new(model, cat, a);
    for t in open_threats(model, a) {
        let v = viewer.view(t);
        let mut body = String::new();
        body.push_str(&format!(
            "**{}** · {} · {}\n\n",
            v.severity.label(),
            t.category.label(),
            md_inline(&subject_label(&v))
        ));
        body.push_str(&md_inline(&v.description));
        body.push_str("\n\n");
        if let Some(c) = v.cvss_line() {
            body.push_str(&format!("CVSS 3.1: {}\n\n", md_inline(&c)));
        }
        if !t.why.is_empty() {
            body.push_str("### Why\n\n");
            for w in &t.why {
                body.push_str(&format!("- {}\n", md_inline(w)));
            }
            body.push('\n');
        }
        if !v.mitigations.is_empty() {
            body.push_str("### Mitigations\n\n");
            for m in &v.mitigations {
                body.push_str(&format!("- [ ] {}\n", md_inline(m)));
            }
            body.push('\n');
        }
        let cs = viewer.controls().naming(t.id.as_str());
        if !cs.is_empty() {
            body.push_str("### Controls\n\n");
            for c in cs {
                body.push_str(&format!(
                    "- {} {} ({})\n",
                    md_code(c.id.as_str()),
                    md_inline(&c.title),
                    c.status.label()
                ));
            }
            body.push('\n');
        }
        body.push_str(&md_inline(&id_marker(&v.id)));
        body.push('\n');
        // The comment only for ids that cannot end it early (a valid id never can).
        if !v.id.contains("--")
            && v.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@/".contains(c))
        {
            body.push_str(&format!("\n<!-- palisade:threat-id={} -->\n", v.id));
        }
        out.push(serde_json::json!({
            "title": format!("{} ({})", v.title, v.subject.name),
            "body": body,
            "labels": [
                "threat-model",
                format!("stride:{}", t.category.key()),
                format!("severity:{}", v.severity.key()),
            ],
            "palisade_id": v.id,
        }));
    }
    serde_json::Value::Array(out)
}
