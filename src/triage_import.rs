//! `palisade triage import threats.csv MODEL`: owner, ticket, status and CVSS columns
//! edited in a spreadsheet come back as triage [`Edit`]s. The CSV is the layout of
//! `palisade export --to csv` (any subset of its columns, `id` required); an unknown
//! column, an unknown threat id, a repeated id or a status that is not one is refused
//! with file:line:column, and then nothing is changed.

use crate::analysis::Analysis;
use crate::diag::{Pos, offset_to_pos};
use crate::export::tracker::{CSV_COLUMNS, unsafe_cell};
use crate::model::{Edit, Model, Status, ThreatId, Triage};
use std::collections::BTreeSet;

/// Largest CSV read, in bytes (a model of 100,000 threats exports to about 60 MB).
pub const MAX_CSV_BYTES: usize = 256 << 20;

/// A located problem in the CSV.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{}:{}: {message}", pos.line, pos.col)]
pub struct ImportError {
    /// The CSV's name.
    pub file: String,
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

/// One change the import makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The threat.
    pub threat: ThreatId,
    /// `owner`, `ticket`, `status` or `cvss`.
    pub field: &'static str,
    /// The value before.
    pub old: String,
    /// The value after.
    pub new: String,
}

/// What an import would do: the changes, and the one batch edit that makes them (`None`
/// when nothing changes).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Each field that changes, in CSV row order.
    pub changes: Vec<Change>,
    /// The edit that applies them as one undo step.
    pub edit: Option<Edit>,
}

/// The byte offset where field `k` of the record starting at `start` begins (fields
/// separated by commas outside double quotes).
fn field_offset(text: &str, start: usize, k: usize) -> usize {
    let b = text.as_bytes();
    let (mut i, mut field, mut quoted) = (start, 0, false);
    while i < b.len() && field < k {
        match b[i] {
            b'"' => quoted = !quoted,
            b',' if !quoted => field += 1,
            b'\n' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    i
}

/// Reads the CSV `text` (named `file` in messages) against the model and its analysis.
pub fn plan(file: &str, text: &str, model: &Model, a: &Analysis) -> Result<Plan, ImportError> {
    let err = |off: usize, message: String| ImportError {
        file: file.to_owned(),
        pos: offset_to_pos(text, off),
        message,
    };
    if text.len() > MAX_CSV_BYTES {
        return Err(err(
            0,
            format!("the file is larger than {} MB", MAX_CSV_BYTES >> 20),
        ));
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let skip = text.len() - body.len();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut records = rdr.records();
    let header = match records.next() {
        None => return Err(err(0, "the file is empty; expected a header row".into())),
        Some(Err(e)) => return Err(csv_err(file, text, skip, &e)),
        Some(Ok(h)) => h,
    };
    let mut cols: Vec<Option<&'static str>> = Vec::new();
    let mut seen = BTreeSet::new();
    for (k, name) in header.iter().enumerate() {
        let name = name.trim();
        let known = CSV_COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name));
        match known {
            None => {
                return Err(err(
                    skip + field_offset(body, 0, k),
                    format!(
                        "unknown column `{}`; the columns are {}",
                        crate::model::truncate(name, 40),
                        CSV_COLUMNS.join(", ")
                    ),
                ));
            }
            Some(c) if !seen.insert(*c) => {
                return Err(err(
                    skip + field_offset(body, 0, k),
                    format!("column `{c}` is given twice"),
                ));
            }
            Some(c) => cols.push(Some(*c)),
        }
    }
    let at = |c: &str| cols.iter().position(|x| *x == Some(c));
    let Some(id_col) = at("id") else {
        return Err(err(
            skip,
            "no `id` column; it names the threat of each row".into(),
        ));
    };
    let (owner_col, ticket_col, status_col, cvss_col) =
        (at("owner"), at("ticket"), at("status"), at("cvss"));
    if owner_col.is_none() && ticket_col.is_none() && status_col.is_none() && cvss_col.is_none() {
        return Err(err(
            skip,
            "none of the columns owner, ticket, status, cvss: nothing to import".into(),
        ));
    }
    let mut changes = Vec::new();
    let mut edits = Vec::new();
    let mut rows_seen: BTreeSet<String> = BTreeSet::new();
    let naming = crate::analysis::controls::Naming::new(model);
    for rec in records {
        let rec = rec.map_err(|e| csv_err(file, text, skip, &e))?;
        let start = rec.position().map_or(0, |p| p.byte() as usize);
        let here = |k: usize| skip + field_offset(body, start, k);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != cols.len() {
            return Err(err(
                here(0),
                format!(
                    "the row has {} fields; the header has {}",
                    rec.len(),
                    cols.len()
                ),
            ));
        }
        let id = unsafe_cell(rec.get(id_col).unwrap_or("").trim());
        let Some(threat) = a.threat(id) else {
            return Err(err(
                here(id_col),
                format!(
                    "`{}` is no threat of the model; refusing the whole file",
                    crate::model::truncate(id, 80)
                ),
            ));
        };
        if !rows_seen.insert(id.to_owned()) {
            return Err(err(here(id_col), format!("threat `{id}` is given twice")));
        }
        let old = model.triage.get(id).cloned();
        let mut new = old.clone().unwrap_or_else(|| Triage {
            threat: threat.id.clone(),
            ..Triage::default()
        });
        let mut row_changes = Vec::new();
        for (field, col) in [("owner", owner_col), ("ticket", ticket_col)] {
            let Some(k) = col else { continue };
            let v = unsafe_cell(rec.get(k).unwrap_or("").trim()).to_owned();
            let slot = if field == "owner" {
                &mut new.owner
            } else {
                &mut new.ticket
            };
            if *slot != v {
                row_changes.push(Change {
                    threat: threat.id.clone(),
                    field,
                    old: std::mem::replace(slot, v.clone()),
                    new: v,
                });
            }
        }
        if let Some(k) = status_col {
            let raw = rec.get(k).unwrap_or("").trim();
            let status = parse_status(raw).ok_or_else(|| {
                err(
                    here(k),
                    format!(
                        "`{}` is not a status ({})",
                        crate::model::truncate(raw, 40),
                        Status::ALL.map(|s| s.key()).join(", ")
                    ),
                )
            })?;
            // The status shown (controls included) is what the row was exported with;
            // only a different one is the reviewer's decision.
            let shown = threat.status_by(model, &naming);
            if status != shown {
                row_changes.push(Change {
                    threat: threat.id.clone(),
                    field: "status",
                    old: shown.key().to_owned(),
                    new: status.key().to_owned(),
                });
                new.status = status;
            }
        }
        if let Some(k) = cvss_col {
            // The cell was exported with the vector in effect (the triage record's, else
            // a manual threat's own); a different one goes into the triage record, an
            // emptied one clears the record's (a manual threat's own vector then applies).
            let v = unsafe_cell(rec.get(k).unwrap_or("").trim());
            let shown = crate::analysis::risk::cvss_with(old.as_ref(), model, threat).unwrap_or("");
            if v != shown {
                if !v.is_empty()
                    && let Err(e) = crate::analysis::risk::parse_cvss(v)
                {
                    return Err(err(here(k), e.to_string()));
                }
                if new.cvss.trim() != v {
                    row_changes.push(Change {
                        threat: threat.id.clone(),
                        field: "cvss",
                        old: shown.to_owned(),
                        new: v.to_owned(),
                    });
                    new.cvss = v.to_owned();
                }
            }
        }
        if !row_changes.is_empty() {
            edits.push(Edit::SetTriage(threat.id.clone(), Some(new)));
            changes.extend(row_changes);
        }
    }
    Ok(Plan {
        changes,
        edit: (!edits.is_empty()).then_some(Edit::Batch(edits)),
    })
}

fn parse_status(s: &str) -> Option<Status> {
    let norm = crate::model::name_key;
    let want = norm(s);
    Status::ALL
        .into_iter()
        .find(|st| norm(st.key()) == want || norm(st.label()) == want)
}

fn csv_err(file: &str, text: &str, skip: usize, e: &csv::Error) -> ImportError {
    let off = e.position().map_or(0, |p| p.byte() as usize);
    ImportError {
        file: file.to_owned(),
        pos: offset_to_pos(text, skip + off),
        message: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8".to_owned(),
            _ => format!("not a CSV file: {e}"),
        },
    }
}
