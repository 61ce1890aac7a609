//! The model loader on arbitrary bytes: `persist::load_bytes`, then (when it loads) the
//! analysis, and the save → load round trip, which must give back the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::{analysis, persist, rules::Catalog};
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(Catalog::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Ok(loaded) = persist::load_bytes("fuzz.ron", data) else {
        return;
    };
    let a = analysis::analyze(&loaded.model, catalog());
    for d in &a.diagnostics {
        let _ = d.to_string();
    }
    // Saving what was loaded must load again, and saving that must give the same text.
    let text = persist::to_text(&loaded.model).expect("a loaded model can be written");
    let again = match persist::load_bytes("fuzz-saved.ron", text.as_bytes()) {
        Ok(l) => l,
        Err(e) => panic!("saved text does not load: {e}\n{text}"),
    };
    let text2 = persist::to_text(&again.model).expect("a reloaded model can be written");
    assert_eq!(text, text2, "save -> load -> save changed the text");
});
