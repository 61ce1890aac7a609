//! The report's tables as format-neutral data: column titles and alignment, and rows of
//! cells made of a few kinds of inline text. The HTML and Markdown renderers build every
//! table here once and only decide how a table, a cell and a span are written.

use super::data::{ReportData, subject_label};
use crate::model::Severity;

/// How a column's cells are aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text columns.
    Left,
    /// Number columns.
    Right,
}

/// A column: its title and alignment.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Header text.
    pub title: &'static str,
    /// Alignment of the header and the cells.
    pub align: Align,
}

/// A piece of a cell. Every renderer escapes the text for its own syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    /// Plain text.
    Text(String),
    /// An identifier, shown as code.
    Code(String),
    /// Emphasised text (formats without emphasis in tables show it plain).
    Strong(String),
    /// De-emphasised text (formats without colour show it plain).
    Muted(String),
    /// A severity: a coloured chip, or its label in plain formats.
    Severity(Severity),
    /// A line break inside the cell (a space where cells are one line).
    Break,
}

/// A cell: spans written one after the other.
pub type Cell = Vec<Span>;

/// A table of the report.
#[derive(Clone, Debug)]
pub struct Table {
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// The rows; each has one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Shown instead of the table when it has no rows; `None` shows the header alone.
    pub empty: Option<&'static str>,
}

fn col(title: &'static str) -> Column {
    Column {
        title,
        align: Align::Left,
    }
}

fn num(title: &'static str) -> Column {
    Column {
        title,
        align: Align::Right,
    }
}

fn text(s: impl Into<String>) -> Cell {
    vec![Span::Text(s.into())]
}

fn code(s: &str) -> Cell {
    vec![Span::Code(s.to_owned())]
}

fn severity(s: Severity) -> Cell {
    vec![Span::Severity(s)]
}

/// Free text, or a dash when it is blank.
fn or_dash(s: &str) -> Cell {
    text(if s.trim().is_empty() { "—" } else { s })
}

/// A title with its id under it.
fn titled(title: &str, id: &str) -> Cell {
    vec![
        Span::Text(title.to_owned()),
        Span::Break,
        Span::Code(id.to_owned()),
    ]
}

/// Threats per STRIDE category and severity.
pub fn by_category(data: &ReportData) -> Table {
    Table {
        columns: vec![
            col("Category"),
            col("Threatens"),
            num("Critical"),
            num("High"),
            num("Medium"),
            num("Low"),
            num("Total"),
            num("Untriaged"),
        ],
        rows: data
            .summary
            .by_category
            .iter()
            .map(|r| {
                vec![
                    text(format!("{} · {}", r.letter, r.label)),
                    text(r.property.clone()),
                    text(r.count(Severity::Critical).to_string()),
                    text(r.count(Severity::High).to_string()),
                    text(r.count(Severity::Medium).to_string()),
                    text(r.count(Severity::Low).to_string()),
                    vec![Span::Strong(r.total.to_string())],
                    text(r.untriaged.to_string()),
                ]
            })
            .collect(),
        empty: None,
    }
}

/// Threats per status.
pub fn by_status(data: &ReportData) -> Table {
    Table {
        columns: vec![col("Status"), num("Threats")],
        rows: data
            .summary
            .by_status
            .iter()
            .map(|r| vec![text(r.label.clone()), text(r.count.to_string())])
            .collect(),
        empty: None,
    }
}

/// The most severe untriaged threats.
pub fn top_open(data: &ReportData) -> Table {
    Table {
        columns: vec![
            num("#"),
            col("Threat"),
            col("Subject"),
            col("Category"),
            col("Severity"),
        ],
        rows: data
            .summary
            .top_open
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    text((i + 1).to_string()),
                    titled(&r.title, &r.id),
                    text(r.subject.clone()),
                    text(r.category.label()),
                    severity(r.severity),
                ]
            })
            .collect(),
        empty: Some("No untriaged threats."),
    }
}

/// Threats written by the reviewer.
pub fn manual_threats(data: &ReportData) -> Table {
    Table {
        columns: vec![
            col("Threat"),
            col("Subject"),
            col("Category"),
            col("Severity"),
            col("Status"),
        ],
        rows: data
            .manual_threats
            .iter()
            .map(|t| {
                vec![
                    titled(&t.title, &t.id),
                    text(subject_label(&t.subject)),
                    text(t.category.label()),
                    severity(t.severity),
                    text(t.status.label()),
                ]
            })
            .collect(),
        empty: Some("None recorded."),
    }
}

/// Triage records whose threat no longer exists.
pub fn orphaned_triage(data: &ReportData) -> Table {
    Table {
        columns: vec![
            col("Threat id"),
            col("Status"),
            col("Justification"),
            col("Owner"),
            col("Ticket"),
            col("Kept as history"),
        ],
        rows: data
            .orphaned_triage
            .iter()
            .map(|r| {
                vec![
                    code(&r.id),
                    text(r.status.key()),
                    or_dash(&r.justification),
                    or_dash(&r.owner),
                    or_dash(&r.ticket),
                    text(if r.kept_as_history { "yes" } else { "no" }),
                ]
            })
            .collect(),
        empty: Some("None: every triage record matches a current threat."),
    }
}

/// Problems found in the model.
pub fn diagnostics(data: &ReportData) -> Table {
    Table {
        columns: vec![col("Level"), col("Code"), col("Message"), col("Location")],
        rows: data
            .diagnostics
            .iter()
            .map(|d| {
                vec![
                    text(d.level.key()),
                    code(&d.code),
                    text(d.message.clone()),
                    or_dash(&d.location),
                ]
            })
            .collect(),
        empty: Some("None: the model validates cleanly."),
    }
}

/// Every rule of the loaded templates (the appendix).
pub fn rules(data: &ReportData) -> Table {
    Table {
        columns: vec![
            col("Rule"),
            col("Title"),
            col("STRIDE"),
            col("Severity"),
            col("Template"),
            col("References"),
            num("Fired"),
        ],
        rows: data
            .rules
            .iter()
            .map(|r| {
                let mut title = vec![Span::Text(r.title.clone())];
                if let Some(d) = &r.deprecated {
                    title.push(Span::Text(" ".to_owned()));
                    title.push(Span::Muted(format!("(deprecated: {d})")));
                }
                if !r.seed_item.is_empty() {
                    title.push(Span::Break);
                    title.push(Span::Muted(format!("Reference item: {}", r.seed_item)));
                }
                vec![
                    code(&r.id),
                    title,
                    text(r.category.letter().to_string()),
                    severity(r.severity),
                    text(format!("{} {}", r.template, r.template_version)),
                    text(r.references.join(", ")),
                    text(r.fired.to_string()),
                ]
            })
            .collect(),
        empty: None,
    }
}

fn props_cell(props: &[super::data::PropFact]) -> Cell {
    if props.is_empty() {
        return text("—");
    }
    let mut cell = Vec::new();
    for (i, p) in props.iter().enumerate() {
        if i > 0 {
            cell.push(Span::Text(";".to_owned()));
            cell.push(Span::Break);
        }
        cell.push(Span::Code(p.name.clone()));
        cell.push(Span::Text(format!(" = {}", p.value)));
    }
    cell
}

/// The properties set on boundaries (a namespace's Pod Security level, a zone's WAF).
pub fn boundary_properties(data: &ReportData) -> Table {
    Table {
        columns: vec![col("Boundary"), col("Kind"), col("Properties")],
        rows: data
            .model
            .boundary_properties
            .iter()
            .map(|b| {
                vec![
                    titled(&b.name, &b.id),
                    text(b.kind.clone()),
                    props_cell(&b.properties),
                ]
            })
            .collect(),
        empty: Some("No boundary sets a property: the kinds' defaults apply."),
    }
}

/// Flows that stay on one host (Unix socket, loopback, shared file or volume, IPC).
pub fn local_channels(data: &ReportData) -> Table {
    Table {
        columns: vec![col("Flow"), col("From"), col("To"), col("Channel")],
        rows: data
            .model
            .local_channels
            .iter()
            .map(|f| {
                vec![
                    titled(
                        if f.name.trim().is_empty() {
                            "—"
                        } else {
                            &f.name
                        },
                        &f.id,
                    ),
                    text(f.source.clone()),
                    text(f.target.clone()),
                    text(f.channel.clone()),
                ]
            })
            .collect(),
        empty: Some("Every flow crosses a network."),
    }
}

/// Relations between elements (uses, binds, mounts, runs on …).
pub fn relations(data: &ReportData) -> Table {
    Table {
        columns: vec![col("From"), col("Relation"), col("To"), col("Properties")],
        rows: data
            .model
            .relations
            .iter()
            .map(|r| {
                vec![
                    text(r.source.clone()),
                    vec![
                        Span::Text(r.name.clone()),
                        Span::Break,
                        Span::Code(r.kind.clone()),
                    ],
                    text(r.target.clone()),
                    props_cell(&r.properties),
                ]
            })
            .collect(),
        empty: Some("The model has no relations."),
    }
}
