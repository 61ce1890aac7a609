//! Every importer (`Format::ALL`: Threat Dragon, OTM, Threagile, `.tm7`, Kubernetes
//! manifests, Docker Compose) on arbitrary bytes. An error is one line; a model that
//! imports is deterministic (a second import saves to the same text), saves to a file
//! that loads again, analyses, and exports to OTM and Threat Dragon; the OTM export
//! imports back with the same elements, flows and boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::export::{self, ExportFormat};
use palisade::import::{self, Format};
use palisade::{analysis, persist, rules::Catalog};
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

fn name(f: Format) -> &'static str {
    match f {
        Format::K8s => "input.yaml",
        Format::Compose => "compose.yaml",
        Format::ThreatDragon => "input.json",
        Format::Otm => "input.otm",
        Format::Threagile => "threagile.yaml",
        Format::Tm7 => "input.tm7",
    }
}

fuzz_target!(|data: &[u8]| {
    for f in Format::ALL {
        let files = [(name(f).to_owned(), data.to_vec())];
        let imp = match import::import(Some(f), &files) {
            Ok(i) => i,
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    !msg.contains('\n'),
                    "{f:?}: an import error spans lines: {msg:?}"
                );
                continue;
            }
        };
        for d in &imp.diagnostics {
            let _ = d.to_string();
        }
        // What an import writes (`palisade import -o OUT.ron`) must load again.
        let text = match persist::to_text(&imp.model) {
            Ok(t) => t,
            Err(e) => panic!("{f:?}: an imported model cannot be written: {e}"),
        };
        if let Err(e) = persist::load_bytes("imported.ron", text.as_bytes()) {
            panic!("{f:?}: an imported model does not load again: {e}");
        }
        // Same input, same bytes out.
        let again = import::import(Some(f), &files).expect("the second import of the same bytes");
        let text2 = persist::to_text(&again.model).expect("the second import is written");
        assert!(
            text == text2,
            "{f:?}: importing the same bytes twice differs"
        );

        let a = analysis::analyze(&imp.model, catalog());
        let _ = export::export(&imp.model, catalog(), &a, ExportFormat::ThreatDragon, false);
        let Ok(bytes) = export::export(&imp.model, catalog(), &a, ExportFormat::Otm, false) else {
            continue;
        };
        let back = match import::import(Some(Format::Otm), &[("back.otm".into(), bytes)]) {
            Ok(b) => b,
            Err(e) => panic!("{f:?}: Palisade's own OTM does not import: {e}"),
        };
        assert_eq!(
            back.model.elements.len(),
            imp.model.elements.len(),
            "{f:?}: elements"
        );
        assert_eq!(
            back.model.flows.len(),
            imp.model.flows.len(),
            "{f:?}: flows"
        );
        assert_eq!(
            back.model.boundaries.len(),
            imp.model.boundaries.len(),
            "{f:?}: boundaries"
        );
    }
});
