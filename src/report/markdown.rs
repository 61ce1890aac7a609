//! The full report as Markdown (GitHub flavour): cover facts, summary tables, the diagram
//! as a Mermaid flowchart, threats grouped by element and flow, manual threats, orphaned
//! triage, diagnostics and the rule appendix.

use super::Input;
use super::data::ReportData;
use super::table::{self, Align, Span, Table};
use super::{ThreatView, or_dash};
use crate::geometry;
use crate::model::{BoundaryId, Model};
use crate::rules::{BaseShape, Catalog};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes Markdown inline syntax and HTML in free text ([`crate::escape::md_inline`]).
pub fn inline(s: &str) -> String {
    crate::escape::md_inline(s)
}

/// A code span that survives any backticks inside the text ([`crate::escape::md_code`]).
pub fn code(s: &str) -> String {
    crate::escape::md_code(s)
}

/// Renders the Markdown report.
pub fn render(data: &ReportData, input: &Input<'_>) -> String {
    let mut o = String::new();
    let c = &data.cover;
    let _ = writeln!(o, "# {} — threat model report\n", inline(&c.title));
    if !c.description.trim().is_empty() {
        let _ = writeln!(o, "{}\n", inline(&c.description));
    }
    o.push_str("| | |\n|---|---|\n");
    for f in c.facts() {
        let _ = write!(o, "| {} | ", f.label);
        spans(&mut o, &f.value);
        o.push_str(" |\n");
    }
    let s = &data.summary;
    let _ = writeln!(o, "\n## 1 Summary\n");
    let _ = writeln!(
        o,
        "{} threats: {} untriaged and {} triaged. {} orphaned triage records, {} model diagnostics.\n",
        s.total,
        s.untriaged,
        s.total - s.untriaged,
        s.orphaned,
        s.diagnostics
    );
    table(&mut o, &table::by_category(data));
    o.push('\n');
    table(&mut o, &table::by_status(data));
    let _ = writeln!(o, "\n### Top open risks\n");
    table(&mut o, &table::top_open(data));
    let _ = writeln!(o, "\n## 2 Diagram\n");
    if input.model.elements.is_empty() {
        o.push_str("The model has no elements yet.\n");
    } else {
        o.push_str(&mermaid(input.model, input.catalog));
    }
    if !data.model.is_empty() {
        o.push_str("\n### Boundary properties\n\n");
        table(&mut o, &table::boundary_properties(data));
        o.push_str("\n### Local channels\n\n");
        table(&mut o, &table::local_channels(data));
        o.push_str("\n### Relations\n\n");
        table(&mut o, &table::relations(data));
    }
    let _ = writeln!(o, "\n## 3 Threats by element and flow\n");
    if data.groups.is_empty() {
        o.push_str("No threats.\n");
    }
    for g in &data.groups {
        let _ = writeln!(o, "### {}\n", inline(&g.heading));
        if !g.context.is_empty() {
            let _ = writeln!(o, "_{}_\n", inline(&g.context));
        }
        if !g.relations.is_empty() {
            let rel: Vec<String> = g.relations.iter().map(|r| inline(r)).collect();
            let _ = writeln!(o, "Relations: {}\n", rel.join("; "));
        }
        for t in &g.threats {
            threat(&mut o, t);
        }
    }
    let _ = writeln!(
        o,
        "## 4 Manual threats, orphaned triage and diagnostics\n\n### Manual threats\n"
    );
    table(&mut o, &table::manual_threats(data));
    o.push_str("\n### Orphaned triage\n\n");
    table(&mut o, &table::orphaned_triage(data));
    o.push_str("\n### Model diagnostics\n\n");
    table(&mut o, &table::diagnostics(data));
    if let Some(cs) = &data.controls {
        use super::controls as c;
        let _ = writeln!(o, "\n## 5 Controls and risk\n\n{}\n", inline(&c::intro(cs)));
        o.push_str("### Control status\n\n");
        table(&mut o, &c::status_table(cs));
        o.push_str("\n### Controls by owner\n\n");
        table(&mut o, &c::owner_table(cs));
        let _ = writeln!(o, "\n### Overdue as of {}\n", inline(&cs.as_of));
        table(&mut o, &c::overdue_table(cs));
        if let Some(m) = &cs.matrices {
            o.push_str("\n### Risk before controls\n\n");
            table(&mut o, &c::matrix_table(&m.initial));
            o.push_str("\n### Residual risk after controls\n\n");
            table(&mut o, &c::matrix_table(&m.residual));
            let _ = writeln!(o, "\n{}", inline(&c::matrix_summary(m)));
        }
    }
    o.push_str("\n## Appendix A: Rules evaluated\n\n");
    table(&mut o, &table::rules(data));
    o
}

/// Writes a table (one line per row), or its empty message when it has no rows.
fn table(o: &mut String, t: &Table) {
    if let (true, Some(msg)) = (t.rows.is_empty(), t.empty) {
        let _ = writeln!(o, "{}", inline(msg));
        return;
    }
    for c in &t.columns {
        let _ = write!(o, "| {} ", c.title);
    }
    o.push_str("|\n");
    for c in &t.columns {
        o.push_str(if c.align == Align::Right {
            "|--:"
        } else {
            "|---"
        });
    }
    o.push_str("|\n");
    for row in t.rows.iter() {
        for cell in row.iter().take(t.columns.len()) {
            o.push_str("| ");
            spans(o, cell);
            o.push(' ');
        }
        o.push_str("|\n");
    }
}

/// Writes the spans of a cell on one line.
fn spans(o: &mut String, cell: &[Span]) {
    for span in cell {
        match span {
            Span::Text(s) | Span::Strong(s) | Span::Muted(s) => o.push_str(&inline(s)),
            Span::Code(s) => o.push_str(&crate::escape::md_code_cell(s)),
            Span::Severity(k) => o.push_str(k.label()),
            Span::Level(l) => o.push_str(&inline(l.key())),
            Span::Break => o.push(' '),
            Span::ItemBreak => o.push_str("; "),
        }
    }
}

fn threat(o: &mut String, t: &ThreatView) {
    let _ = writeln!(o, "#### {} — {}\n", code(&t.id), inline(&t.title));
    let sev = if t.severity != t.rule_severity {
        format!("{} (rule: {})", t.severity.label(), t.rule_severity.label())
    } else {
        t.severity.label().to_owned()
    };
    let _ = writeln!(
        o,
        "- **Category:** {} (threatens {})",
        t.category.label(),
        t.category.property()
    );
    let _ = writeln!(
        o,
        "- **Severity:** {sev}, likelihood {}",
        t.likelihood.key()
    );
    let _ = writeln!(o, "- **Status:** {}", t.status.label());
    let _ = writeln!(o, "- **Description:** {}", inline(or_dash(&t.description)));
    if !t.why.is_empty() {
        let why: Vec<String> = t.why.iter().map(|w| inline(w)).collect();
        let _ = writeln!(o, "- **Why:** {}", why.join("; "));
    }
    if t.mitigations.is_empty() {
        o.push_str("- **Mitigations:** —\n");
    } else {
        o.push_str("- **Mitigations:**\n");
        for m in &t.mitigations {
            let _ = writeln!(o, "  - {}", inline(m));
        }
    }
    let refs: Vec<String> = t.references.iter().map(|r| inline(r)).collect();
    let _ = writeln!(
        o,
        "- **References:** {}",
        if refs.is_empty() {
            "—".to_owned()
        } else {
            refs.join(", ")
        }
    );
    if let Some(c) = t.cvss_line() {
        let _ = writeln!(o, "- **CVSS 3.1:** {}", inline(&c));
    }
    let _ = writeln!(
        o,
        "- **Justification:** {}",
        inline(or_dash(&t.justification))
    );
    let _ = writeln!(
        o,
        "- **Owner:** {} · **Ticket:** {}",
        inline(or_dash(&t.owner)),
        inline(or_dash(&t.ticket))
    );
    if !t.reviewed_by.is_empty() || !t.date.is_empty() {
        let _ = writeln!(
            o,
            "- **Reviewed:** {} {}",
            inline(&t.reviewed_by),
            inline(&t.date)
        );
    }
    o.push('\n');
}

/// Mermaid label text: quotes, angle brackets, ampersands and backticks become Mermaid
/// entity codes (so no label is read as HTML or a Markdown string), line breaks and other
/// unsafe characters spaces.
fn mm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            c if crate::escape::is_unsafe_char(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The diagram as a Mermaid flowchart: boundaries as nested subgraphs, entity =
/// rectangle, process = stadium, store = cylinder.
pub fn mermaid(model: &Model, cat: &Catalog) -> String {
    let mut o = String::from("```mermaid\nflowchart LR\n");
    let el_ids: BTreeMap<&str, String> = model
        .elements
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), format!("e{i}")))
        .collect();
    let b_ids: BTreeMap<&str, String> = model
        .boundaries
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), format!("b{i}")))
        .collect();
    // Children of each boundary (None = top level), for nesting; dangling parents and
    // cycles put a boundary at the top level.
    let mut kids: BTreeMap<Option<BoundaryId>, Vec<&BoundaryId>> = BTreeMap::new();
    for b in model.boundaries.values() {
        let chain = model.boundary_chain(Some(&b.id));
        let parent = chain.get(1).cloned();
        kids.entry(parent).or_default().push(&b.id);
    }
    let mut members: BTreeMap<Option<BoundaryId>, Vec<&crate::model::Element>> = BTreeMap::new();
    for e in model.elements.values() {
        let b = model.boundary_chain(e.boundary.as_ref()).first().cloned();
        members.entry(b).or_default().push(e);
    }
    fn node(o: &mut String, e: &crate::model::Element, id: &str, cat: &Catalog, indent: usize) {
        let name = mm(&e.name);
        let pad = "    ".repeat(indent);
        let shape = match geometry::base_of(cat, e) {
            Some(BaseShape::Process) => format!("{id}([\"{name}\"])"),
            Some(BaseShape::Store) => format!("{id}[(\"{name}\")]"),
            _ => format!("{id}[\"{name}\"]"),
        };
        let _ = writeln!(o, "{pad}{shape}");
    }
    #[allow(clippy::too_many_arguments)]
    fn walk(
        o: &mut String,
        at: Option<BoundaryId>,
        depth: usize,
        model: &Model,
        cat: &Catalog,
        kids: &BTreeMap<Option<BoundaryId>, Vec<&BoundaryId>>,
        members: &BTreeMap<Option<BoundaryId>, Vec<&crate::model::Element>>,
        el_ids: &BTreeMap<&str, String>,
        b_ids: &BTreeMap<&str, String>,
    ) {
        if depth > 64 {
            return;
        }
        for e in members.get(&at).into_iter().flatten() {
            if let Some(id) = el_ids.get(e.id.as_str()) {
                node(o, e, id, cat, depth + 1);
            }
        }
        for b in kids.get(&at).into_iter().flatten() {
            let Some(bid) = b_ids.get(b.as_str()) else {
                continue;
            };
            let name = model
                .boundaries
                .get(*b)
                .map(|x| x.name.clone())
                .unwrap_or_default();
            let pad = "    ".repeat(depth + 1);
            let _ = writeln!(o, "{pad}subgraph {bid}[\"{}\"]", mm(&name));
            walk(
                o,
                Some((*b).clone()),
                depth + 1,
                model,
                cat,
                kids,
                members,
                el_ids,
                b_ids,
            );
            let _ = writeln!(o, "{pad}end");
        }
    }
    walk(
        &mut o, None, 0, model, cat, &kids, &members, &el_ids, &b_ids,
    );
    for f in model.flows.values() {
        let (Some(a), Some(b)) = (el_ids.get(f.source.as_str()), el_ids.get(f.target.as_str()))
        else {
            continue;
        };
        if f.name.trim().is_empty() {
            let _ = writeln!(o, "    {a} --> {b}");
        } else {
            let _ = writeln!(o, "    {a} -->|\"{}\"| {b}", mm(&f.name));
        }
    }
    // Relations: dotted links labelled with the kind's name.
    for r in model.relations.values() {
        let (Some(a), Some(b)) = (el_ids.get(r.source.as_str()), el_ids.get(r.target.as_str()))
        else {
            continue;
        };
        let name = cat
            .relation_kind(&r.kind)
            .map_or(r.kind.as_str(), |k| k.name.as_str());
        let _ = writeln!(o, "    {a} -.->|\"{}\"| {b}", mm(name));
    }
    for (i, b) in model.boundaries.keys().enumerate() {
        let _ = b;
        let _ = writeln!(o, "    style b{i} stroke:#c2410c,stroke-dasharray: 6 4");
    }
    o.push_str("```\n");
    o
}
