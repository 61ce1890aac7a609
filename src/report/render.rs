//! Report formats and the dispatcher the CLI and the GUI call.

use crate::analysis::Analysis;
use crate::model::Model;
use crate::rules::Catalog;
use std::path::Path;

/// Output format of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// PDF document.
    Pdf,
    /// Markdown.
    Markdown,
    /// Standalone HTML.
    Html,
    /// JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl Format {
    /// The format for a file name's extension.
    pub fn from_path(p: &Path) -> Option<Format> {
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "pdf" => Some(Format::Pdf),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            _ => None,
        }
    }
}

/// Paper size of the PDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Paper {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 8.5 × 11 in.
    Letter,
}

/// Everything a report is made from.
pub struct Input<'a> {
    /// The model.
    pub model: &'a Model,
    /// The templates.
    pub catalog: &'a Catalog,
    /// The analysis of the model.
    pub analysis: &'a Analysis,
    /// The model file's bytes (for its hash on the cover).
    pub source: &'a [u8],
    /// Paper size.
    pub paper: Paper,
}

/// Renders a report.
pub fn render(input: &Input<'_>, format: Format) -> anyhow::Result<Vec<u8>> {
    let views = super::threat_views(input.model, input.catalog, input.analysis);
    Ok(match format {
        Format::Json => super::text::json(&views).into_bytes(),
        Format::Markdown => super::text::markdown(&views).into_bytes(),
        other => anyhow::bail!("{other:?} reports are not implemented yet"),
    })
}
