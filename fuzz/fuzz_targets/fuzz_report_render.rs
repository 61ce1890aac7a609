//! The report writers on arbitrary model bytes: a model that loads is analysed and
//! rendered in every format (JSON, Markdown, HTML, SARIF, PDF) and as the CLI's threat
//! table and Markdown. Checks besides "no panic": every output is deterministic, JSON and
//! SARIF parse, no control character reaches the terminal table or the Markdown raw, and
//! each output stays within a bound of the input's size (no amplification).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::report::{self, Format, Input, Paper, text};
use palisade::{analysis, persist, rules::Catalog};
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

/// Control characters other than the outputs' own line breaks and tabs.
fn raw_controls(s: &str) -> bool {
    s.chars()
        .any(|c| c != '\n' && c != '\t' && palisade::escape::is_unsafe_char(c))
}

fuzz_target!(|data: &[u8]| {
    let Ok(loaded) = persist::load_bytes("input.ron", data) else {
        return;
    };
    let model = loaded.model;
    let a = analysis::analyze(&model, catalog());
    let input = Input {
        model: &model,
        catalog: catalog(),
        analysis: &a,
        source: data,
        source_name: "input.ron",
        source_date_epoch: Some(1_700_000_000),
        paper: Paper::A4,
    };
    // Every threat's text is bounded (names, strings and filled descriptions are
    // limited), so each output is bounded by the threats, the items and the input.
    let items = model.elements.len() + model.flows.len() + model.boundaries.len();
    let bound = 64 * 1024 * (a.threats.len() + items + 16) + 64 * data.len();
    for format in [
        Format::Json,
        Format::Markdown,
        Format::Html,
        Format::Sarif,
        Format::Pdf,
    ] {
        let out = match report::render(&input, format) {
            Ok(b) => b,
            Err(e) => panic!("{format:?} failed on a model that loads: {e}"),
        };
        assert!(
            out.len() <= bound,
            "{format:?}: {} bytes for {} input bytes",
            out.len(),
            data.len()
        );
        match format {
            Format::Json | Format::Sarif => {
                assert!(
                    serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
                    "{format:?} is not JSON"
                );
            }
            Format::Markdown => {
                let md = String::from_utf8_lossy(&out);
                assert!(
                    !raw_controls(&md),
                    "raw control character in the Markdown report"
                );
            }
            _ => {}
        }
        if format != Format::Pdf {
            let again = report::render(&input, format).unwrap_or_default();
            assert!(again == out, "{format:?} is not deterministic");
        }
    }
    let views = report::threat_views(&model, catalog(), &a);
    let table = text::table(&views);
    assert!(
        !raw_controls(&table),
        "raw control character in the threat table"
    );
    let md = text::markdown(&views);
    assert!(
        !raw_controls(&md),
        "raw control character in the Markdown table"
    );
    assert!(
        md.lines().count() == views.len() + 2,
        "a Markdown row spans lines"
    );
});
