//! The CLI's input path on arbitrary bytes: what `palisade threats`, `check` and
//! `validate` do with a model file after reading it (load, analyse, render the threat
//! table, JSON and Markdown, print the diagnostics).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::report::{self, text};
use palisade::{analysis, persist, rules::Catalog};
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

fuzz_target!(|data: &[u8]| {
    let model = match persist::load_bytes("input.ron", data) {
        Ok(l) => l.model,
        Err(e) => {
            // The CLI prints this as one `error: ...` line.
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "a load error spans lines: {msg:?}");
            return;
        }
    };
    let a = analysis::analyze(&model, catalog());
    for d in &a.diagnostics {
        let _ = d.to_string();
    }
    let views = report::threat_views(&model, catalog(), &a);
    let _ = text::table(&views);
    let _ = text::json(&views);
    let _ = text::markdown(&views);
});
