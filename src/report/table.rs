//! The report's tables as format-neutral data: column titles, alignment and width
//! weights, and rows of cells made of a few kinds of inline text. Every table of the
//! report is built here once; the PDF, HTML and Markdown renderers only decide how a
//! table, a cell and a span are written (the PDF with [`crate::report::pdf`]'s
//! `Doc::render_table`). A new section (controls, a risk matrix) adds a function here
//! and one call per renderer.

use super::data::{ReportData, RuleView, subject_label};
use crate::diag::Level;
use crate::model::Severity;

/// How a column's cells are aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text columns.
    Left,
    /// Number columns.
    Right,
}

/// How the PDF draws a column's cells whose spans do not say (HTML and Markdown style
/// by span only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Body text.
    Plain,
    /// Bold: the column that names the row.
    Strong,
    /// Grey: row numbers, locations, shares.
    Muted,
}

/// A column: its title, alignment and share of the width.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Header text.
    pub title: &'static str,
    /// Alignment of the header and the cells (formats that align columns).
    pub align: Align,
    /// Share of the table's width (formats that lay out columns themselves, the PDF).
    pub weight: f64,
    /// How the PDF draws the column's plain cells.
    pub tone: Tone,
}

impl Column {
    /// A left-aligned text column.
    pub fn text(title: &'static str, weight: f64) -> Column {
        Column {
            title,
            align: Align::Left,
            weight,
            tone: Tone::Plain,
        }
    }

    /// A right-aligned number column.
    pub fn number(title: &'static str, weight: f64) -> Column {
        Column {
            align: Align::Right,
            ..Column::text(title, weight)
        }
    }

    /// The same column drawn bold in the PDF.
    pub fn strong(self) -> Column {
        Column {
            tone: Tone::Strong,
            ..self
        }
    }

    /// The same column drawn grey in the PDF.
    pub fn muted(self) -> Column {
        Column {
            tone: Tone::Muted,
            ..self
        }
    }
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
    /// A diagnostic level: a chip in the PDF for errors and warnings, its key elsewhere.
    Level(Level),
    /// A line break inside the cell (a space where cells are one line).
    Break,
    /// Between two items of a list in a cell: `;` and a line break in HTML and Markdown
    /// (`; ` on one line), a line break alone in the PDF.
    ItemBreak,
}

impl Span {
    /// The span's text in a cell laid out line by line (the PDF): a severity by its
    /// label, a level by its key, each break a new line.
    pub fn line_text(&self) -> &str {
        match self {
            Span::Text(s) | Span::Code(s) | Span::Strong(s) | Span::Muted(s) => s,
            Span::Severity(s) => s.label(),
            Span::Level(l) => l.key(),
            Span::Break | Span::ItemBreak => "\n",
        }
    }
}

/// A cell: spans written one after the other.
pub type Cell = Vec<Span>;

/// A table of the report.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// The rows; each has one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Shown instead of the table when it has no rows; `None` shows the header alone.
    pub empty: Option<&'static str>,
}

impl Table {
    /// The table without the column titled `title` (and its cells).
    pub fn without(mut self, title: &str) -> Table {
        if let Some(i) = self.columns.iter().position(|c| c.title == title) {
            self.columns.remove(i);
            for r in &mut self.rows {
                if i < r.len() {
                    r.remove(i);
                }
            }
        }
        self
    }

    /// The table with one more column on the right, one cell per row.
    pub fn with_column(mut self, column: Column, cells: impl IntoIterator<Item = Cell>) -> Table {
        self.columns.push(column);
        let mut cells = cells.into_iter();
        for r in &mut self.rows {
            r.push(cells.next().unwrap_or_default());
        }
        self
    }
}

fn col(title: &'static str, weight: f64) -> Column {
    Column::text(title, weight)
}

fn num(title: &'static str, weight: f64) -> Column {
    Column::number(title, weight)
}

/// A cell of plain text.
pub fn text(s: impl Into<String>) -> Cell {
    vec![Span::Text(s.into())]
}

/// A cell of bold text.
pub fn strong(s: impl Into<String>) -> Cell {
    vec![Span::Strong(s.into())]
}

/// A cell of grey text.
pub fn muted(s: impl Into<String>) -> Cell {
    vec![Span::Muted(s.into())]
}

fn code(s: &str) -> Cell {
    vec![Span::Code(s.to_owned())]
}

fn severity(s: Severity) -> Cell {
    vec![Span::Severity(s)]
}

/// Free text, or a dash when it is blank.
fn or_dash(s: &str) -> Cell {
    text(super::or_dash(s))
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
            col("Category", 2.3).strong(),
            col("Threatens", 1.8),
            num("Critical", 0.9),
            num("High", 0.8),
            num("Medium", 0.9),
            num("Low", 0.8),
            num("Total", 0.8),
            num("Untriaged", 1.25),
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

/// The totals row under [`by_category`] (the PDF prints it): threats per severity over
/// every category.
pub fn category_totals(data: &ReportData) -> Vec<Cell> {
    let s = &data.summary;
    let sev = |k: Severity| {
        s.by_severity
            .iter()
            .find(|x| x.severity == k)
            .map(|x| x.total)
            .unwrap_or(0)
    };
    vec![
        strong("All categories"),
        text(""),
        strong(sev(Severity::Critical).to_string()),
        strong(sev(Severity::High).to_string()),
        strong(sev(Severity::Medium).to_string()),
        strong(sev(Severity::Low).to_string()),
        strong(s.total.to_string()),
        strong(s.untriaged.to_string()),
    ]
}

/// Each status's share of all threats (the PDF's third column of [`by_status`]).
pub fn status_shares(data: &ReportData) -> Vec<Cell> {
    let s = &data.summary;
    s.by_status
        .iter()
        .map(|r| {
            let share = if s.total == 0 {
                0.0
            } else {
                r.count as f64 * 100.0 / s.total as f64
            };
            text(format!("{share:.0}%"))
        })
        .collect()
}

/// Threats per status.
pub fn by_status(data: &ReportData) -> Table {
    Table {
        columns: vec![col("Status", 2.0), num("Threats", 1.0).strong()],
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
            num("#", 0.35).muted(),
            col("Threat", 4.2),
            col("Subject", 1.8),
            col("Category", 1.5),
            col("Severity", 1.25),
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
            col("Threat", 3.5),
            col("Subject", 1.8),
            col("Category", 1.5),
            col("Severity", 1.25),
            col("Status", 1.3),
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
            col("Threat id", 3.0),
            col("Status", 1.3),
            col("Justification", 3.0),
            col("Owner", 1.6),
            col("Ticket", 1.6),
            col("Kept as history", 0.9),
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

/// [`orphaned_triage`] in the PDF's narrower form: the status by its label, owner and
/// ticket in one column, `kept` or a dash for history.
pub fn orphaned_triage_compact(data: &ReportData) -> Table {
    Table {
        columns: vec![
            col("Threat id", 3.0),
            col("Status", 1.3),
            col("Justification", 3.0),
            col("Owner / ticket", 1.6),
            col("History", 0.9),
        ],
        rows: data
            .orphaned_triage
            .iter()
            .map(|o| {
                vec![
                    text(o.id.clone()),
                    text(o.status.label()),
                    or_dash(&o.justification),
                    text(
                        format!("{} {}", super::or_dash(&o.owner), o.ticket)
                            .trim()
                            .to_owned(),
                    ),
                    text(if o.kept_as_history { "kept" } else { "—" }),
                ]
            })
            .collect(),
        empty: Some("None: every triage record matches a current threat."),
    }
}

/// Problems found in the model.
pub fn diagnostics(data: &ReportData) -> Table {
    Table {
        columns: vec![
            col("Level", 0.9),
            col("Code", 1.7),
            col("Message", 5.0),
            col("Location", 1.6).muted(),
        ],
        rows: data
            .diagnostics
            .iter()
            .map(|d| {
                vec![
                    vec![Span::Level(d.level)],
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
    rule_table(data.rules.iter())
}

/// The rules of one template, without the template column (the PDF's appendix gives each
/// template its own heading).
pub fn template_rules(data: &ReportData, template: &str) -> Table {
    rule_table(data.rules.iter().filter(|r| r.template == template)).without("Template")
}

fn rule_table<'a>(rules: impl Iterator<Item = &'a RuleView>) -> Table {
    Table {
        columns: vec![
            col("Rule", 1.55).strong(),
            col("Title", 3.0),
            col("STRIDE", 0.9),
            col("Severity", 1.2),
            col("Template", 1.5),
            col("References", 3.0),
            num("Fired", 0.8),
        ],
        rows: rules
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
            cell.push(Span::ItemBreak);
        }
        cell.push(Span::Code(p.name.clone()));
        cell.push(Span::Text(format!(" = {}", p.value)));
    }
    cell
}

/// The properties set on boundaries (a namespace's Pod Security level, a zone's WAF).
pub fn boundary_properties(data: &ReportData) -> Table {
    Table {
        columns: vec![
            col("Boundary", 2.6),
            col("Kind", 1.4),
            col("Properties", 4.0),
        ],
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
        columns: vec![
            col("Flow", 2.6),
            col("From", 2.0),
            col("To", 2.0),
            col("Channel", 1.4),
        ],
        rows: data
            .model
            .local_channels
            .iter()
            .map(|f| {
                vec![
                    titled(super::or_dash(&f.name), &f.id),
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
        columns: vec![
            col("From", 2.4),
            col("Relation", 2.2),
            col("To", 2.4),
            col("Properties", 1.6),
        ],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn two_by_two() -> Table {
        Table {
            columns: vec![col("A", 1.0), num("B", 2.0)],
            rows: vec![vec![text("a1"), text("b1")], vec![text("a2"), text("b2")]],
            empty: None,
        }
    }

    #[test]
    fn columns_are_dropped_and_added_with_their_cells() {
        let t = two_by_two().without("A");
        assert_eq!(t.columns.len(), 1);
        assert_eq!(t.columns[0].title, "B");
        assert_eq!(t.rows, vec![vec![text("b1")], vec![text("b2")]]);
        let t = two_by_two().without("missing");
        assert_eq!(t.columns.len(), 2);
        let t = two_by_two().with_column(Column::text("C", 1.5).muted(), [text("c1")]);
        assert_eq!(t.columns[2].tone, Tone::Muted);
        assert_eq!(t.rows[0][2], text("c1"));
        // A row without a cell of its own gets an empty one.
        assert!(t.rows[1][2].is_empty());
    }
}
