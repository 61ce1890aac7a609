//! The report's Controls section: a status table, the controls per owner, the overdue
//! ones (relative to the review date, never the clock), and the risk matrix before and
//! after controls. Present only when the model has controls, so reports of models
//! without them are unchanged.

use super::table::{Cell, Column, Span, Table, muted, strong, text};
use crate::analysis::Analysis;
use crate::analysis::controls::{overdue, unrealised};
use crate::analysis::risk::{self, Cell as RiskCell, Matrix};
use crate::model::{ControlStatus, Model};
use crate::rules::Catalog;
use serde::Serialize;

/// One control as the report shows it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ControlRow {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Owner (may be empty).
    pub owner: String,
    /// Ticket (may be empty).
    pub ticket: String,
    /// Status key.
    pub status: String,
    /// Due date (may be empty).
    pub due: String,
    /// Threats it names that exist now, in id order.
    pub threats: Vec<String>,
    /// Whether it is overdue on the section's date.
    pub overdue: bool,
    /// Why its model change is not drawn (when it is claimed as in place).
    pub not_drawn: Vec<String>,
    #[serde(skip)]
    /// Parsed status.
    pub stat: ControlStatus,
}

/// The Controls section.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ControlsSection {
    /// The date overdue items are counted against: the model's review date, else the
    /// report date.
    pub as_of: String,
    /// Every control, in id order.
    pub controls: Vec<ControlRow>,
    /// Initial risk: `initial[likelihood - 1][impact - 1]` threats.
    pub initial: Vec<Vec<usize>>,
    /// Residual risk after controls, same layout.
    pub residual: Vec<Vec<usize>>,
    /// `5x5` or `3x3`.
    pub scale: String,
    #[serde(skip)]
    /// The matrices.
    pub matrices: Option<risk::Matrices>,
}

/// The section, or `None` when the model has no controls.
pub fn build(
    model: &Model,
    cat: &Catalog,
    a: &Analysis,
    report_date: &str,
) -> Option<ControlsSection> {
    if model.controls.is_empty() {
        return None;
    }
    let as_of = if model.metadata.date.trim().is_empty() {
        report_date.to_owned()
    } else {
        model.metadata.date.trim().to_owned()
    };
    let controls = model
        .controls
        .values()
        .map(|c| ControlRow {
            id: c.id.0.clone(),
            title: c.title.clone(),
            owner: c.owner.clone(),
            ticket: c.ticket.clone(),
            status: c.status.key().to_owned(),
            due: c.due.clone(),
            threats: a
                .threats
                .iter()
                .filter(|t| c.names(t.id.as_str()))
                .map(|t| t.id.0.clone())
                .collect(),
            overdue: overdue(c, &as_of),
            not_drawn: if c.status.is_done() {
                unrealised(model, cat, c)
            } else {
                Vec::new()
            },
            stat: c.status,
        })
        .collect();
    let m = risk::matrices(model, cat, a);
    Some(ControlsSection {
        as_of,
        controls,
        initial: m.initial.counts.clone(),
        residual: m.residual.counts.clone(),
        scale: match model.metadata.risk_matrix {
            crate::model::RiskScale::Five => "5x5".to_owned(),
            crate::model::RiskScale::Three => "3x3".to_owned(),
        },
        matrices: Some(m),
    })
}

fn or_dash(s: &str) -> Cell {
    text(if s.trim().is_empty() { "—" } else { s })
}

/// The status table: one row per control.
pub fn status_table(s: &ControlsSection) -> Table {
    Table {
        columns: vec![
            Column::text("Control", 3.0).strong(),
            Column::text("Status", 1.2),
            Column::text("Owner", 1.6),
            Column::text("Ticket", 1.0),
            Column::text("Due", 1.0),
            Column::number("Threats", 0.8),
        ],
        rows: s
            .controls
            .iter()
            .map(|c| {
                let mut status = vec![Span::Text(c.stat.label().to_owned())];
                if !c.not_drawn.is_empty() {
                    status.push(Span::Break);
                    status.push(Span::Muted("not drawn in the model".to_owned()));
                }
                vec![
                    vec![
                        Span::Text(c.title.clone()),
                        Span::Break,
                        Span::Code(c.id.clone()),
                    ],
                    status,
                    or_dash(&c.owner),
                    or_dash(&c.ticket),
                    if c.overdue {
                        vec![Span::Strong(format!("{} (overdue)", c.due))]
                    } else {
                        or_dash(&c.due)
                    },
                    text(c.threats.len().to_string()),
                ]
            })
            .collect(),
        empty: Some("No controls."),
    }
}

/// The controls per owner: owners in name order (unowned last), each with its controls
/// and how many are in place.
pub fn owner_table(s: &ControlsSection) -> Table {
    let mut owners: std::collections::BTreeMap<&str, Vec<&ControlRow>> = Default::default();
    for c in &s.controls {
        owners.entry(c.owner.trim()).or_default().push(c);
    }
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut unowned = None;
    for (owner, cs) in owners {
        let mut list: Cell = Vec::new();
        for (i, c) in cs.iter().enumerate() {
            if i > 0 {
                list.push(Span::ItemBreak);
            }
            list.push(Span::Code(c.id.clone()));
            list.push(Span::Text(format!(" {} ({})", c.title, c.stat.label())));
        }
        let done = cs.iter().filter(|c| c.stat.is_done()).count();
        let row = vec![
            if owner.is_empty() {
                muted("no owner")
            } else {
                strong(owner)
            },
            list,
            text(format!("{done} of {}", cs.len())),
        ];
        if owner.is_empty() {
            unowned = Some(row);
        } else {
            rows.push(row);
        }
    }
    rows.extend(unowned);
    Table {
        columns: vec![
            Column::text("Owner", 1.5).strong(),
            Column::text("Controls", 5.0),
            Column::number("In place", 1.0),
        ],
        rows,
        empty: Some("No controls."),
    }
}

/// The overdue controls: due before the section's date and not in place or rejected.
pub fn overdue_table(s: &ControlsSection) -> Table {
    Table {
        columns: vec![
            Column::text("Control", 3.0).strong(),
            Column::text("Owner", 1.6),
            Column::text("Due", 1.0),
            Column::text("Status", 1.2),
        ],
        rows: s
            .controls
            .iter()
            .filter(|c| c.overdue)
            .map(|c| {
                vec![
                    vec![
                        Span::Text(c.title.clone()),
                        Span::Break,
                        Span::Code(c.id.clone()),
                    ],
                    or_dash(&c.owner),
                    text(c.due.clone()),
                    text(c.stat.label()),
                ]
            })
            .collect(),
        empty: Some("No overdue controls."),
    }
}

/// A risk matrix as a table: likelihood rows, most likely first; impact columns, least
/// first; each cell the level's severity chip and the number of threats (blank when
/// none).
pub fn matrix_table(m: &Matrix) -> Table {
    let lik = risk::likelihood_labels(m.scale);
    let imp = risk::impact_labels(m.scale);
    let mut columns = vec![Column::text("Likelihood \\ impact", 1.6).strong()];
    for label in imp {
        columns.push(Column::text(label, 1.0));
    }
    let n = m.scale.levels();
    let rows = (1..=n)
        .rev()
        .map(|l| {
            let mut row = vec![text(lik[usize::from(l) - 1])];
            for i in 1..=n {
                let c = RiskCell {
                    likelihood: l,
                    impact: i,
                };
                let count = m.at(c);
                row.push(if count == 0 {
                    muted("·")
                } else {
                    vec![
                        Span::Severity(c.level(m.scale).severity()),
                        Span::Text(format!(" {count}")),
                    ]
                });
            }
            row
        })
        .collect();
    Table {
        columns,
        rows,
        empty: None,
    }
}

/// One sentence under the matrices: threats per level before and after.
pub fn matrix_summary(m: &risk::Matrices) -> String {
    let (a, b) = (m.initial.by_level(), m.residual.by_level());
    format!(
        "Before controls: {} critical, {} high, {} medium, {} low. After controls: {} critical, {} high, {} medium, {} low; transferred or out of the matrix: {}.",
        a[3],
        a[2],
        a[1],
        a[0],
        b[3],
        b[2],
        b[1],
        b[0],
        m.initial.total() - m.residual.total()
    )
}

/// The section's opening sentence.
pub fn intro(s: &ControlsSection) -> String {
    let done = s.controls.iter().filter(|c| c.stat.is_done()).count();
    let late = s.controls.iter().filter(|c| c.overdue).count();
    format!(
        "{} controls, {done} in place, {late} overdue as of {}. A threat whose controls are all Implemented or Verified counts as mitigated unless its triage says otherwise. Risk matrix {}: likelihood from the rule (or a CVSS vector), impact from the severity; residual likelihood drops one level per control in place, to the lowest for a mitigated threat.",
        s.controls.len(),
        s.as_of,
        s.scale
    )
}
