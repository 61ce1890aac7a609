//! The `report` subcommand's argument enums: clap's side of [`report::Format`] and
//! [`report::Paper`], so the report module knows nothing of clap.

use crate::report;
use clap::ValueEnum;

/// Output format of a report (`--format`).
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
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

impl From<ReportFormat> for report::Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Pdf => report::Format::Pdf,
            ReportFormat::Markdown => report::Format::Markdown,
            ReportFormat::Html => report::Format::Html,
            ReportFormat::Json => report::Format::Json,
            ReportFormat::Sarif => report::Format::Sarif,
        }
    }
}

/// Paper size of the PDF (`--paper`).
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq, Default)]
pub enum PaperArg {
    /// 210 × 297 mm.
    #[default]
    A4,
    /// 8.5 × 11 in.
    Letter,
}

impl From<PaperArg> for report::Paper {
    fn from(p: PaperArg) -> Self {
        match p {
            PaperArg::A4 => report::Paper::A4,
            PaperArg::Letter => report::Paper::Letter,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every format the report module offers has a `--format` value of the same name.
    #[test]
    fn every_report_format_has_a_cli_value() {
        let names: Vec<String> = ReportFormat::value_variants()
            .iter()
            .map(|v| format!("{:?}", report::Format::from(*v)))
            .collect();
        assert_eq!(names, ["Pdf", "Markdown", "Html", "Json", "Sarif"]);
        for v in ReportFormat::value_variants() {
            let name = v.to_possible_value().map(|p| p.get_name().to_owned());
            let f = report::Format::from(*v);
            assert_eq!(name, Some(format!("{f:?}").to_lowercase()));
        }
        assert_eq!(
            report::Paper::from(PaperArg::default()),
            report::Paper::default()
        );
        assert_eq!(report::Paper::from(PaperArg::Letter), report::Paper::Letter);
    }
}
