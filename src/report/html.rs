//! The full report as one standalone HTML file: inline CSS, an inline SVG of the diagram,
//! every text escaped. No scripts and no external resources.

use super::Input;
use super::data::ReportData;
use super::fonts::Fonts;
use super::scene;
use super::style;
use super::svg::{self, escape};
use super::table::{self, Align, Span, Table};
use super::{ThreatView, or_dash};
use crate::model::Severity;
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
table.risk{display:inline-table;width:auto;border-collapse:separate;border-spacing:2px;margin:.4em 2.5em 1em 0;vertical-align:top}
table.risk caption{text-align:left;font-weight:bold;padding-bottom:.3em}
table.risk th{background:none;border:0;font-weight:normal;font-size:.8em;white-space:nowrap;vertical-align:middle;padding:0 .4em}
table.risk th[scope=row]{text-align:right}
table.risk th[scope=col]{text-align:center}
table.risk th.axis{font-weight:bold}
table.risk td{border:0;border-radius:3px;width:62px;min-width:62px;padding:0;height:26px;line-height:26px;text-align:center;vertical-align:middle;font-weight:bold;font-size:.9em}
table.risk td.none{font-weight:normal;font-size:.75em}
";

fn sev_chip(s: Severity) -> String {
    format!(
        "<span class=\"sev\" style=\"background:{};color:{}\">{}</span>",
        style::severity_color(s).hex(),
        style::severity_text(s).hex(),
        s.label()
    )
}

/// A risk matrix as a coloured grid: likelihood rows (most likely first), impact
/// columns, each cell in the colour of its level (faint when empty, then showing the
/// level's letter) with its count, and a title saying what the cell counts.
fn risk_grid(o: &mut String, title: &str, m: &crate::analysis::risk::Matrix) {
    use crate::analysis::risk::{self, Cell};
    let lik = risk::likelihood_labels(m.scale);
    let imp = risk::impact_labels(m.scale);
    let n = m.scale.levels();
    let _ = writeln!(
        o,
        "<table class=\"risk\">\n<caption>{}</caption>\n<tr><th class=\"axis\" scope=\"col\">Likelihood ↓ impact →</th>{}</tr>",
        escape(title),
        imp.iter()
            .map(|l| format!("<th scope=\"col\">{}</th>", escape(l)))
            .collect::<String>()
    );
    for l in (1..=n).rev() {
        let name = lik.get(usize::from(l - 1)).copied().unwrap_or("");
        let _ = write!(o, "<tr><th scope=\"row\">{}</th>", escape(name));
        for i in 1..=n {
            let c = Cell {
                likelihood: l,
                impact: i,
            };
            let level = c.level(m.scale);
            let sev = level.severity();
            let count = m.at(c);
            let what = format!(
                "{count} {}, likelihood {} × impact {} ({} risk)",
                if count == 1 { "threat" } else { "threats" },
                name,
                imp.get(usize::from(i - 1)).copied().unwrap_or(""),
                level.key()
            );
            if count == 0 {
                let _ = write!(
                    o,
                    "<td class=\"none\" style=\"background:{};color:{}\" title=\"{}\">{}</td>",
                    style::tint(style::severity_color(sev), 0.8).hex(),
                    style::MUTED.hex(),
                    escape(&what),
                    style::severity_letter(sev)
                );
            } else {
                let _ = write!(
                    o,
                    "<td style=\"background:{};color:{}\" title=\"{}\">{count}</td>",
                    style::severity_color(sev).hex(),
                    style::severity_text(sev).hex(),
                    escape(&what)
                );
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// Renders the HTML report.
pub fn render(data: &ReportData, input: &Input<'_>) -> Result<String, super::ReportError> {
    let fonts = Fonts::load().map_err(super::ReportError::Render)?;
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
    for f in c.facts() {
        let _ = write!(o, "<tr><td>{}</td><td>", f.label);
        spans(&mut o, &f.value);
        o.push_str("</td></tr>\n");
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
    table(&mut o, &table::by_category(data));
    table(&mut o, &table::by_status(data));
    o.push_str("<h3>Top open risks</h3>\n");
    table(&mut o, &table::top_open(data));

    attack_paths_html(&mut o, data, input, &fonts);

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
        o.push_str("</div>\n<p class=\"muted\">Badges: untriaged threats, coloured by the highest severity (C critical, H high, M medium, L low; ✓ all triaged).");
        if sc.relations > 0 {
            o.push_str(" Dotted lines: relations, named in the table below.");
        }
        o.push_str("</p>\n");
    }

    if !data.model.is_empty() {
        o.push_str("<h3>Boundary properties</h3>\n");
        table(&mut o, &table::boundary_properties(data));
        o.push_str("<h3>Local channels</h3>\n");
        table(&mut o, &table::local_channels(data));
        o.push_str("<h3>Relations</h3>\n");
        table(&mut o, &table::relations(data));
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
        if !g.relations.is_empty() {
            let rel: Vec<String> = g.relations.iter().map(|r| escape(r)).collect();
            let _ = writeln!(o, "<p>Relations: {}</p>", rel.join("; "));
        }
        for t in &g.threats {
            threat(&mut o, t);
        }
    }

    o.push_str("<h2 id=\"other\">4 Manual threats, orphaned triage and diagnostics</h2>\n<h3>Manual threats</h3>\n");
    table(&mut o, &table::manual_threats(data));
    o.push_str("<h3>Orphaned triage</h3>\n");
    table(&mut o, &table::orphaned_triage(data));
    o.push_str("<h3>Model diagnostics</h3>\n");
    table(&mut o, &table::diagnostics(data));
    if let Some(cs) = &data.controls {
        use super::controls as c;
        let _ = writeln!(
            o,
            "<h2 id=\"controls\">5 Controls and risk</h2>\n<p>{}</p>\n<h3>Control status</h3>",
            escape(&c::intro(cs))
        );
        table(&mut o, &c::status_table(cs));
        o.push_str("<h3>Controls by owner</h3>\n");
        table(&mut o, &c::owner_table(cs));
        let _ = writeln!(o, "<h3>Overdue as of {}</h3>", escape(&cs.as_of));
        table(&mut o, &c::overdue_table(cs));
        if let Some(m) = &cs.matrices {
            o.push_str("<h3>Risk before and after controls</h3>\n<div class=\"risk-pair\">\n");
            risk_grid(&mut o, "Risk before controls", &m.initial);
            risk_grid(&mut o, "Residual risk after controls", &m.residual);
            o.push_str("</div>\n");
            let _ = writeln!(o, "<p>{}</p>", escape(&c::matrix_summary(m)));
        }
    }
    o.push_str("<h2 id=\"rules\">Appendix A: Rules evaluated</h2>\n");
    table(&mut o, &table::rules(data));
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

/// Writes a table, or its empty message when it has no rows.
fn table(o: &mut String, t: &Table) {
    if let (true, Some(msg)) = (t.rows.is_empty(), t.empty) {
        let _ = writeln!(o, "<p class=\"muted\">{}</p>", escape(msg));
        return;
    }
    let class = |a: Align| {
        if a == Align::Right {
            " class=\"n\""
        } else {
            ""
        }
    };
    o.push_str("<table><tr>");
    for c in &t.columns {
        let _ = write!(o, "<th{}>{}</th>", class(c.align), escape(c.title));
    }
    o.push_str("</tr>\n");
    for row in &t.rows {
        o.push_str("<tr>");
        for (c, cell) in t.columns.iter().zip(row) {
            let _ = write!(o, "<td{}>", class(c.align));
            spans(o, cell);
            o.push_str("</td>");
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// Writes the spans of a cell.
fn spans(o: &mut String, cell: &[Span]) {
    for span in cell {
        match span {
            Span::Text(s) => o.push_str(&escape(s)),
            Span::Code(s) => {
                let _ = write!(o, "<code>{}</code>", escape(s));
            }
            Span::Strong(s) => {
                let _ = write!(o, "<b>{}</b>", escape(s));
            }
            Span::Muted(s) => {
                let _ = write!(o, "<span class=\"muted\">{}</span>", escape(s));
            }
            Span::Severity(k) => o.push_str(&sev_chip(*k)),
            Span::Level(l) => o.push_str(&escape(l.key())),
            Span::Break => o.push_str("<br>"),
            Span::ItemBreak => o.push_str(";<br>"),
        }
    }
}

fn threat(o: &mut String, t: &ThreatView) {
    let color = style::severity_color(t.severity).hex();
    let _ = writeln!(
        o,
        "<div class=\"threat\" style=\"border-left-color:{color}\">\n<h4>{} {}</h4>\n<code>{}</code>\n<dl>",
        sev_chip(t.severity),
        escape(&t.title),
        escape(&t.id)
    );
    let sev = if t.severity != t.rule_severity {
        format!(
            "{} (rule: {}), likelihood {}",
            t.severity.label(),
            t.rule_severity.key(),
            t.likelihood.key()
        )
    } else {
        format!("{}, likelihood {}", t.severity.label(), t.likelihood.key())
    };
    let mut dl = |k: &str, v: String| {
        let _ = writeln!(o, "<dt>{k}</dt><dd>{v}</dd>");
    };
    dl(
        "Category",
        format!(
            "{} (threatens {})",
            t.category.label(),
            t.category.property()
        ),
    );
    dl("Severity", sev);
    dl("Status", t.status.label().to_owned());
    dl("Description", escape(or_dash(&t.description)));
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
    dl("References", escape(or_dash(&t.references.join(", "))));
    if let Some(c) = t.cvss_line() {
        dl("CVSS 3.1", escape(&c));
    }
    dl("Justification", escape(or_dash(&t.justification)));
    dl("Owner", escape(or_dash(&t.owner)));
    dl("Ticket", escape(or_dash(&t.ticket)));
    if !t.reviewed_by.is_empty() || !t.date.is_empty() {
        dl(
            "Reviewed",
            format!("{} {}", escape(&t.reviewed_by), escape(&t.date)),
        );
    }
    o.push_str("</dl>\n</div>\n");
}

/// The attack paths after the summary: each drawn on its own small diagram (only its
/// elements) with its steps as a table.
fn attack_paths_html(o: &mut String, data: &ReportData, input: &Input<'_>, fonts: &Fonts) {
    use super::attack::{name, path_model, steps_label};
    let p = &data.attack_paths;
    o.push_str("<h3 id=\"attack-paths\">Attack paths</h3>\n");
    let _ = writeln!(
        o,
        "<p>{} from {} entry points to {} crown jewels, shortest first{}. Each step is an edge the templates declare (a flow an attacker rides, or a pivot step) with the facts that make it exist.</p>",
        match p.paths.len() + p.left_out {
            0 => "No attack path".to_owned(),
            1 => "1 attack path".to_owned(),
            n => format!("{n} attack paths"),
        },
        p.entries.len(),
        p.targets.len(),
        if p.left_out > 0 {
            format!(" ({} more not shown)", p.left_out)
        } else {
            String::new()
        }
    );
    for (k, path) in p.paths.iter().enumerate() {
        let m = input.model;
        let _ = writeln!(
            o,
            "<h4 id=\"path-{}\">{} → {} ({}{})</h4>",
            k + 1,
            escape(&name(m, &path.entry)),
            escape(&name(m, &path.target)),
            steps_label(path.steps.len()),
            if path.untriaged() {
                ", every step untriaged"
            } else {
                ""
            }
        );
        let _ = writeln!(
            o,
            "<p class=\"muted\">From: {}. To: {}.</p>",
            escape(&path.entry_why),
            escape(&path.target_why)
        );
        let sub = path_model(m, path);
        let sc = scene::build(&sub, input.catalog, input.analysis, fonts);
        o.push_str("<div class=\"diagram\">\n");
        o.push_str(&svg::render(
            &sc,
            &format!(
                "Attack path from {} to {}",
                name(m, &path.entry),
                name(m, &path.target)
            ),
        ));
        o.push_str("</div>\n<table>\n<tr><th>#</th><th>Step</th><th>Why</th><th>Open threats</th><th>Cut by</th></tr>\n");
        for (i, s) in path.steps.iter().enumerate() {
            let _ = writeln!(
                o,
                "<tr><td>{}{}</td><td>{} {} {} <code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                if i == path.weakest { " (weakest)" } else { "" },
                escape(&name(m, &s.from)),
                escape(&s.title),
                escape(&name(m, &s.to)),
                escape(&s.step),
                s.why
                    .iter()
                    .map(|w| escape(w))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                if s.open_threats.is_empty() {
                    "none".to_owned()
                } else {
                    s.open_threats
                        .iter()
                        .map(|t| format!("<code>{}</code>", escape(t.as_str())))
                        .collect::<Vec<_>>()
                        .join(" ")
                },
                escape(&s.control)
            );
        }
        o.push_str("</table>\n");
        if !path.cut.is_empty() {
            let _ = writeln!(
                o,
                "<p>What cuts this path ({}): {}</p>",
                steps_label(path.cut.len()),
                path.cut
                    .iter()
                    .map(|s| format!(
                        "{} {} {} ({})",
                        escape(&name(m, &s.from)),
                        escape(&s.title),
                        escape(&name(m, &s.to)),
                        escape(&s.control)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
}
