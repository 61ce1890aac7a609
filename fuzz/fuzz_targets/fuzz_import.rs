//! Every importer on arbitrary bytes: an error is one line; a model that imports
//! analyses, exports to OTM and imports back with the same elements, flows and
//! boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::export::{self, ExportFormat};
use palisade::import::{self, Format};
use palisade::{analysis, rules::Catalog};
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

fuzz_target!(|data: &[u8]| {
    for f in [Format::ThreatDragon, Format::Otm, Format::Threagile, Format::Tm7] {
        let imp = match import::import(Some(f), &[("input".into(), data.to_vec())]) {
            Ok(i) => i,
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.contains('\n'), "an import error spans lines: {msg:?}");
                continue;
            }
        };
        let a = analysis::analyze(&imp.model, catalog());
        let Ok(bytes) = export::export(&imp.model, catalog(), &a, ExportFormat::Otm, false) else {
            continue;
        };
        let back = import::import(Some(Format::Otm), &[("back.otm".into(), bytes)])
            .expect("Palisade's own OTM imports");
        assert_eq!(back.model.elements.len(), imp.model.elements.len());
        assert_eq!(back.model.flows.len(), imp.model.flows.len());
        assert_eq!(back.model.boundaries.len(), imp.model.boundaries.len());
    }
});
