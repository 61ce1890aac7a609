//! Writing a model for other tools: Open Threat Model 0.2.0 (JSON or YAML) and OWASP
//! Threat Dragon v2 JSON. Both carry the model's threats, generated and manual, with
//! their triage, so a colleague's tool sees what the review decided.
//!
//! Output is deterministic: objects are written with sorted keys and lists in id order.

#[cfg(test)]
mod legacy;
mod otm;
mod tdragon;
#[cfg(test)]
mod tests;
pub mod tracker;

use crate::analysis::Analysis;
use crate::model::{Model, Props, Value};
use crate::rules::Catalog;
use serde::{Serialize, Serializer};
use std::path::Path;

pub use otm::OTM_VERSION;

/// A format `palisade export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Open Threat Model 0.2.0 (JSON; YAML when the output ends in `.yaml` / `.yml`).
    Otm,
    /// OWASP Threat Dragon v2 JSON.
    ThreatDragon,
    /// Open threats as CSV (one row each, stable ids; read back by `triage import`).
    Csv,
    /// Open threats as a JSON array of GitHub issue bodies (Markdown, labels).
    GithubIssues,
    /// Open threats in Jira's CSV import columns.
    JiraCsv,
}

impl ExportFormat {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Otm => "otm",
            ExportFormat::ThreatDragon => "threat-dragon",
            ExportFormat::Csv => "csv",
            ExportFormat::GithubIssues => "github-issues",
            ExportFormat::JiraCsv => "jira-csv",
        }
    }
    /// A human name for menus.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Otm => "Open Threat Model (OTM)",
            ExportFormat::ThreatDragon => "Threat Dragon v2",
            ExportFormat::Csv => "threats CSV",
            ExportFormat::GithubIssues => "GitHub issues JSON",
            ExportFormat::JiraCsv => "Jira CSV",
        }
    }
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Otm => "otm.json",
            ExportFormat::ThreatDragon => "json",
            ExportFormat::Csv | ExportFormat::JiraCsv => "csv",
            ExportFormat::GithubIssues => "issues.json",
        }
    }
}

/// Why a model could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The document could not be encoded (a non-finite number, for instance).
    #[error("cannot encode the {format} document: {message}")]
    Encode {
        /// The format.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// Whether an OTM output path asks for YAML (by its extension).
pub fn wants_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Exports `model` (analysed as `analysis` with `catalog`) as `format`; `yaml` picks
/// YAML for OTM.
pub fn export(
    model: &Model,
    catalog: &Catalog,
    analysis: &Analysis,
    format: ExportFormat,
    yaml: bool,
) -> Result<Vec<u8>, ExportError> {
    match format {
        ExportFormat::Otm => {
            let doc = otm::document(model, catalog, analysis);
            let text = if yaml {
                serde_norway::to_string(&doc).map_err(|e| ExportError::Encode {
                    format: "OTM",
                    message: e.to_string(),
                })?
            } else {
                pretty(&doc, "OTM")?
            };
            Ok(text.into_bytes())
        }
        ExportFormat::ThreatDragon => {
            let doc = tdragon::document(model, catalog, analysis);
            Ok(pretty(&doc, "Threat Dragon")?.into_bytes())
        }
        ExportFormat::Csv => {
            tracker::csv(model, catalog, analysis).map_err(|message| ExportError::Encode {
                format: "CSV",
                message,
            })
        }
        ExportFormat::JiraCsv => {
            tracker::jira_csv(model, catalog, analysis).map_err(|message| ExportError::Encode {
                format: "Jira CSV",
                message,
            })
        }
        ExportFormat::GithubIssues => {
            let doc = tracker::github_issues(model, catalog, analysis);
            Ok(pretty(&doc, "GitHub issues")?.into_bytes())
        }
    }
}

/// `v` as pretty JSON with a final newline.
fn pretty<T: Serialize + ?Sized>(v: &T, format: &'static str) -> Result<String, ExportError> {
    let mut out = Vec::new();
    serde_json::to_writer_pretty(&mut out, v).map_err(|e| ExportError::Encode {
        format,
        message: e.to_string(),
    })?;
    out.push(b'\n');
    // serde_json writes only UTF-8.
    String::from_utf8(out).map_err(|e| ExportError::Encode {
        format,
        message: e.to_string(),
    })
}

/// A finite number as written (non-finite coordinates become 0, which validation of the
/// model reports anyway).
pub(crate) fn fin(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// A width and height, as `{"height": .., "width": ..}`.
#[derive(Serialize)]
pub(crate) struct Shape {
    /// Height.
    height: f64,
    /// Width.
    width: f64,
}

impl Shape {
    /// `width` × `height`, non-finite values written as 0.
    pub(crate) fn of(width: f64, height: f64) -> Shape {
        Shape {
            height: fin(height),
            width: fin(width),
        }
    }
}

/// Properties as a JSON object: booleans, numbers (non-finite ones as 0), texts and
/// lists of texts, keys in the map's (byte) order.
pub(crate) struct PropsOut<'a>(pub(crate) &'a Props);

impl Serialize for PropsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, PropValue(v))))
    }
}

/// One property value of [`PropsOut`].
struct PropValue<'a>(&'a Value);

impl Serialize for PropValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => s.serialize_f64(fin(*n)),
            Value::Text(t) => s.serialize_str(t),
            Value::List(v) => s.collect_seq(v),
        }
    }
}
