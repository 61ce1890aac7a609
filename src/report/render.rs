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
    /// The model file's name as given by the user; SARIF results point at it.
    pub source_name: &'a str,
    /// The report time in seconds since 1970, as `SOURCE_DATE_EPOCH` would give it. When
    /// `None`, the `SOURCE_DATE_EPOCH` environment variable is read; when that is unset,
    /// the model's own date is used, else today.
    pub source_date_epoch: Option<i64>,
    /// Paper size.
    pub paper: Paper,
}

impl Input<'_> {
    /// The report date (`YYYY-MM-DD`) and the Unix time written into the PDF.
    pub fn date(&self) -> (String, i64) {
        let epoch = self
            .source_date_epoch
            .or_else(super::data::env_source_date_epoch);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        super::data::report_date(epoch, &self.model.metadata.date, now)
    }
}

/// Most threats a PDF report is made for: what it renders within about 2 GB of memory
/// (89,327 threats took 3.6 GB and 168 s).
pub const MAX_PDF_THREATS: usize = 40_000;
/// Most threats a SARIF report is made for (89,327 threats took 1.7 GB).
pub const MAX_SARIF_THREATS: usize = 100_000;
/// Most threats a JSON, Markdown or HTML report is made for (89,327 threats took 0.5 GB
/// for JSON, 0.35 GB for Markdown and HTML).
pub const MAX_REPORT_THREATS: usize = 300_000;

/// Renders a report. A model with more threats than the format's limit is refused,
/// naming the limit, before any work.
pub fn render(input: &Input<'_>, format: Format) -> anyhow::Result<Vec<u8>> {
    let (limit, name) = match format {
        Format::Pdf => (MAX_PDF_THREATS, "MAX_PDF_THREATS"),
        Format::Sarif => (MAX_SARIF_THREATS, "MAX_SARIF_THREATS"),
        _ => (MAX_REPORT_THREATS, "MAX_REPORT_THREATS"),
    };
    let n = input.analysis.threats.len();
    if n > limit {
        anyhow::bail!(
            "the model has {n} threats; a {format:?} report is limited to {limit} ({name}); use a smaller model{}",
            if format == Format::Pdf || format == Format::Sarif {
                ", or --format json, markdown or html"
            } else {
                ""
            }
        );
    }
    let (date, epoch) = input.date();
    let data = super::data::build(input, &date);
    Ok(match format {
        Format::Json => super::json(&data).into_bytes(),
        Format::Markdown => super::markdown::render(&data, input).into_bytes(),
        Format::Html => super::html::render(&data, input)?.into_bytes(),
        Format::Sarif => super::sarif::render(&data, input).into_bytes(),
        Format::Pdf => {
            super::pdf::render(&data, input, epoch)
                .map_err(anyhow::Error::msg)?
                .bytes
        }
    })
}
