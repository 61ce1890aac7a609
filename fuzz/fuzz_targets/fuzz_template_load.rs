//! The template loader on arbitrary text, loaded as a user template after the built-in
//! generic template (its rules can be shadowed, its kinds extended); whatever rules
//! survive are then evaluated on a small model. Only the generic template is loaded
//! beside it, because parsing all built-in templates on every input would cut the
//! executions per second several times over.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade::{analysis, persist, persist::Source, rules::Catalog, rules::catalog::BUILTIN};
use std::sync::OnceLock;

const MODEL: &str = r#"(
    version: 1,
    metadata: (title: "fuzz"),
    boundaries: [
        (id: "dc", name: "DC", kind: NetworkZone, trust: 8, rect: (0.0, 0.0, 10.0, 10.0)),
        (id: "ns", name: "NS", kind: Namespace, trust: 9, parent: Some("dc"), rect: (0.0, 0.0, 5.0, 5.0)),
        (id: "net", name: "Net", kind: Internet, trust: 0, rect: (20.0, 0.0, 10.0, 10.0)),
    ],
    elements: [
        (id: "api", name: "API", kind: "generic.process", boundary: Some("ns"), pos: (1.0, 1.0)),
        (id: "db", name: "DB", kind: "generic.store", boundary: Some("dc"), pos: (2.0, 2.0)),
        (id: "user", name: "User", kind: "generic.entity", boundary: Some("net"), pos: (25.0, 5.0)),
        (id: "x", name: "X", kind: "fuzz.kind", pos: (40.0, 5.0)),
    ],
    flows: [
        (id: "f1", name: "q", source: "user", target: "api"),
        (id: "f2", name: "sql", source: "api", target: "db", props: {"encrypted": true}),
        (id: "f3", name: "loop", source: "x", target: "x"),
    ],
)"#;

fn model() -> &'static palisade::model::Model {
    static M: OnceLock<palisade::model::Model> = OnceLock::new();
    M.get_or_init(|| {
        persist::load_bytes("model.ron", MODEL.as_bytes())
            .expect("fixed model loads")
            .model
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources: Vec<Source> = BUILTIN
        .iter()
        .filter(|(f, _)| f.ends_with("generic.ron"))
        .map(|(f, s)| Source::new(*f, *s, true))
        .collect();
    sources.push(Source::new("user/fuzz.ron", text, false));
    let cat = Catalog::from_sources(sources);
    for d in &cat.diagnostics {
        let _ = d.to_string();
    }
    let a = analysis::analyze(model(), &cat);
    let _ = palisade::report::threat_views(model(), &cat, &a);
});
