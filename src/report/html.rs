//! The full report as one standalone HTML file: inline CSS, an inline SVG of the diagram,
//! every text escaped. No scripts and no external resources.

use super::ThreatView;
use super::data::{ReportData, subject_label};
use super::fonts::Fonts;
use super::render::Input;
use super::scene;
use super::style;
use super::svg::{self, escape};
use crate::model::{Severity, Stride};
use std::fmt::Write;

const CSS: &str = "
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1f2328;max-width:1100px;margin:2em auto;padding:0 1.5em;line-height:1.45;font-size:14px}
h1{color:#1d3f72;border-bottom:2px solid #1d3f72;padding-bottom:.2em}
h2{color:#1d3f72;margin-top:2em;border-bottom:1px solid #c9cdd3}
h3{margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0 1.2em;width:100%}
th,td{border-bottom:1px solid #c9cdd3;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#e4e7eb}
tr:nth-child(even) td{background:#f3f4f6}
td.n,th.n{text-align:right}
code{font-size:.92em;background:#f3f4f6;padding:0 .2em;border-radius:3px;word-break:break-all}
.muted{color:#5f6670}
.sev{display:inline-block;border-radius:4px;padding:0 .45em;font-weight:bold;font-size:.85em}
.threat{border-left:4px solid #c9cdd3;padding:.2em 0 .2em .9em;margin:1em 0}
.threat h4{margin:.2em 0}
.threat dl{display:grid;grid-template-columns:9em 1fr;gap:.15em .8em;margin:.4em 0}
.threat dt{color:#5f6670;font-weight:bold}
.threat dd{margin:0}
.diagram{border:1px solid #c9cdd3;padding:.5em;background:#fff}
.facts td:first-child{width:13em;color:#5f6670;font-weight:bold}
";

fn sev_chip(key: &str) -> String {
    match Severity::parse(key) {
        Some(s) => format!(
            "<span class=\"sev\" style=\"background:{};color:{}\">{}</span>",
            style::severity_color(s).hex(),
            style::severity_text(s).hex(),
            s.label()
        ),
        None => escape(key),
    }
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".to_owned()
    } else {
        escape(s)
    }
}

fn stride_label(key: &str) -> &'static str {
    Stride::ALL
        .iter()
        .find(|s| s.key() == key)
        .map(|s| s.label())
        .unwrap_or("")
}

/// Renders the HTML report.
pub fn render(data: &ReportData, input: &Input<'_>) -> anyhow::Result<String> {
    let fonts = Fonts::load().map_err(anyhow::Error::msg)?;
    let c = &data.cover;
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"Palisade {}\">\n\
         <title>{} — threat model report</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(&c.palisade_version),
        escape(&c.title)
    );
    let _ = writeln!(
        o,
        "<p class=\"muted\">STRIDE threat model report</p>\n<h1>{}</h1>",
        escape(&c.title)
    );
    if !c.description.trim().is_empty() {
        let _ = writeln!(o, "<p>{}</p>", escape(&c.description));
    }
    o.push_str("<table class=\"facts\">\n");
    let templates: Vec<String> = c
        .templates
        .iter()
        .map(|t| format!("{} {}", escape(&t.id), escape(&t.version)))
        .collect();
    for (k, v) in [
        ("Owner", or_dash(&c.owner)),
        ("Reviewers", or_dash(&c.reviewers.join(", "))),
        ("Date", or_dash(&c.date)),
        ("Document version", or_dash(&c.doc_version)),
        ("Model file", or_dash(&c.model_file)),
        (
            "SHA-256 of the model",
            format!("<code>{}</code>", escape(&c.model_sha256)),
        ),
        ("Palisade", escape(&c.palisade_version)),
        ("Templates", templates.join(", ")),
        (
            "Size",
            format!(
                "{} elements, {} flows, {} trust boundaries",
                c.elements, c.flows, c.boundaries
            ),
        ),
    ] {
        let _ = writeln!(o, "<tr><td>{k}</td><td>{v}</td></tr>");
    }
    o.push_str("</table>\n");

    let s = &data.summary;
    let _ = writeln!(
        o,
        "<h2 id=\"summary\">1 Summary</h2>\n<p>{} threats: {} untriaged and {} triaged. {} orphaned triage records, {} model diagnostics.</p>",
        s.total,
        s.untriaged,
        s.total - s.untriaged,
        s.orphaned,
        s.diagnostics
    );
    o.push_str("<table><tr><th>Category</th><th>Threatens</th><th class=\"n\">Critical</th><th class=\"n\">High</th><th class=\"n\">Medium</th><th class=\"n\">Low</th><th class=\"n\">Total</th><th class=\"n\">Untriaged</th></tr>\n");
    for r in &s.by_category {
        let _ = writeln!(
            o,
            "<tr><td>{} · {}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\"><b>{}</b></td><td class=\"n\">{}</td></tr>",
            r.letter,
            r.label,
            r.property,
            r.count(Severity::Critical),
            r.count(Severity::High),
            r.count(Severity::Medium),
            r.count(Severity::Low),
            r.total,
            r.untriaged
        );
    }
    o.push_str("</table>\n<table><tr><th>Status</th><th class=\"n\">Threats</th></tr>\n");
    for r in &s.by_status {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            r.label, r.count
        );
    }
    o.push_str("</table>\n<h3>Top open risks</h3>\n");
    if s.top_open.is_empty() {
        o.push_str("<p class=\"muted\">No untriaged threats.</p>\n");
    } else {
        o.push_str("<table><tr><th class=\"n\">#</th><th>Threat</th><th>Subject</th><th>Category</th><th>Severity</th></tr>\n");
        for (i, r) in s.top_open.iter().enumerate() {
            let _ = writeln!(
                o,
                "<tr><td class=\"n\">{}</td><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                escape(&r.title),
                escape(&r.id),
                escape(&r.subject),
                stride_label(&r.category),
                sev_chip(&r.severity)
            );
        }
        o.push_str("</table>\n");
    }

    o.push_str("<h2 id=\"diagram\">2 Diagram</h2>\n");
    if input.model.elements.is_empty() && input.model.boundaries.is_empty() {
        o.push_str("<p class=\"muted\">The model has no elements or boundaries yet.</p>\n");
    } else {
        let sc = scene::build(input.model, input.catalog, input.analysis, &fonts);
        o.push_str("<div class=\"diagram\">\n");
        o.push_str(&svg::render(
            &sc,
            &format!("Data-flow diagram of {}", c.title),
        ));
        o.push_str("</div>\n<p class=\"muted\">Badges: untriaged threats, coloured by the highest severity (C critical, H high, M medium, L low; ✓ all triaged).</p>\n");
    }

    o.push_str("<h2 id=\"threats\">3 Threats by element and flow</h2>\n");
    if data.groups.is_empty() {
        o.push_str("<p class=\"muted\">No threats.</p>\n");
    }
    for g in &data.groups {
        let _ = writeln!(o, "<h3>{}</h3>", escape(&g.heading));
        if !g.context.is_empty() {
            let _ = writeln!(o, "<p class=\"muted\">{}</p>", escape(&g.context));
        }
        for t in &g.threats {
            threat(&mut o, t);
        }
    }

    o.push_str("<h2 id=\"other\">4 Manual threats, orphaned triage and diagnostics</h2>\n<h3>Manual threats</h3>\n");
    if data.manual_threats.is_empty() {
        o.push_str("<p class=\"muted\">None recorded.</p>\n");
    } else {
        o.push_str("<table><tr><th>Threat</th><th>Subject</th><th>Category</th><th>Severity</th><th>Status</th></tr>\n");
        for t in &data.manual_threats {
            let _ = writeln!(
                o,
                "<tr><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&t.title),
                escape(&t.id),
                escape(&subject_label(&t.subject)),
                t.stride.label(),
                sev_chip(&t.severity),
                t.stat.label()
            );
        }
        o.push_str("</table>\n");
    }
    o.push_str("<h3>Orphaned triage</h3>\n");
    if data.orphaned_triage.is_empty() {
        o.push_str("<p class=\"muted\">None: every triage record matches a current threat.</p>\n");
    } else {
        o.push_str("<table><tr><th>Threat id</th><th>Status</th><th>Justification</th><th>Owner</th><th>Ticket</th><th>Kept as history</th></tr>\n");
        for r in &data.orphaned_triage {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&r.id),
                escape(&r.status),
                or_dash(&r.justification),
                or_dash(&r.owner),
                or_dash(&r.ticket),
                if r.kept_as_history { "yes" } else { "no" }
            );
        }
        o.push_str("</table>\n");
    }
    o.push_str("<h3>Model diagnostics</h3>\n");
    if data.diagnostics.is_empty() {
        o.push_str("<p class=\"muted\">None: the model validates cleanly.</p>\n");
    } else {
        o.push_str(
            "<table><tr><th>Level</th><th>Code</th><th>Message</th><th>Location</th></tr>\n",
        );
        for d in &data.diagnostics {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&d.level),
                escape(&d.code),
                escape(&d.message),
                or_dash(&d.location)
            );
        }
        o.push_str("</table>\n");
    }

    o.push_str("<h2 id=\"rules\">Appendix A: Rules evaluated</h2>\n<table><tr><th>Rule</th><th>Title</th><th>STRIDE</th><th>Severity</th><th>Template</th><th>References</th><th class=\"n\">Fired</th></tr>\n");
    for r in &data.rules {
        let title = match &r.deprecated {
            Some(d) => format!(
                "{} <span class=\"muted\">(deprecated: {})</span>",
                escape(&r.title),
                escape(d)
            ),
            None => escape(&r.title),
        };
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(&r.id),
            title,
            r.stride.letter(),
            sev_chip(&r.severity),
            escape(&r.template),
            escape(&r.template_version),
            escape(&r.references.join(", ")),
            r.fired
        );
    }
    o.push_str("</table>\n");
    let _ = writeln!(
        o,
        "<p class=\"muted\">Generated by Palisade {} on {} from <code>{}</code> (SHA-256 <code>{}</code>).</p>\n</body>\n</html>",
        escape(&c.palisade_version),
        escape(&c.date),
        escape(&c.model_file),
        escape(&c.model_sha256)
    );
    Ok(o)
}

fn threat(o: &mut String, t: &ThreatView) {
    let color = style::severity_color(t.sev).hex();
    let _ = writeln!(
        o,
        "<div class=\"threat\" style=\"border-left-color:{color}\">\n<h4>{} {}</h4>\n<code>{}</code>\n<dl>",
        sev_chip(&t.severity),
        escape(&t.title),
        escape(&t.id)
    );
    let sev = if t.severity != t.rule_severity {
        format!(
            "{} (rule: {}), likelihood {}",
            t.sev.label(),
            escape(&t.rule_severity),
            escape(&t.likelihood)
        )
    } else {
        format!("{}, likelihood {}", t.sev.label(), escape(&t.likelihood))
    };
    let mut dl = |k: &str, v: String| {
        let _ = writeln!(o, "<dt>{k}</dt><dd>{v}</dd>");
    };
    dl(
        "Category",
        format!("{} (threatens {})", t.stride.label(), t.stride.property()),
    );
    dl("Severity", sev);
    dl("Status", t.stat.label().to_owned());
    dl("Description", or_dash(&t.description));
    if !t.why.is_empty() {
        dl(
            "Why",
            t.why
                .iter()
                .map(|w| escape(w))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    dl(
        "Mitigations",
        if t.mitigations.is_empty() {
            "—".to_owned()
        } else {
            format!(
                "<ul>{}</ul>",
                t.mitigations
                    .iter()
                    .map(|m| format!("<li>{}</li>", escape(m)))
                    .collect::<String>()
            )
        },
    );
    dl("References", or_dash(&t.references.join(", ")));
    dl("Justification", or_dash(&t.justification));
    dl("Owner", or_dash(&t.owner));
    dl("Ticket", or_dash(&t.ticket));
    if !t.reviewed_by.is_empty() || !t.date.is_empty() {
        dl(
            "Reviewed",
            format!("{} {}", escape(&t.reviewed_by), escape(&t.date)),
        );
    }
    o.push_str("</dl>\n</div>\n");
}
