//! Reports: every threat id in every format, reproducible PDF bytes, a sane page count,
//! legible diagram pages for a 300-element model, Unicode names, SARIF shape.
//!
//! PDF text is checked twice where possible: in the text the writer drew on each page,
//! and, when poppler's `pdftotext` is installed, in the text extracted from the file.

use crate::common::{analysed, catalog, root};
use palisade::analysis::{Analysis, analyze};
use palisade::model::{
    Boundary, BoundaryId, BoundaryKind, Element, ElementId, Flow, FlowId, Model, Status, ThreatId,
    Triage,
};
use palisade::report::fonts::Fonts;
use palisade::report::pdf::{self, diagram};
use palisade::report::{self, Format, Input, Paper};
use palisade::report::{data, scene};
use std::collections::BTreeMap;
use std::process::Command;

/// A fixed `SOURCE_DATE_EPOCH` (2023-11-14), passed through the input, not the process env.
const EPOCH: i64 = 1_700_000_000;

fn input<'a>(m: &'a Model, a: &'a Analysis, source: &'a [u8], paper: Paper) -> Input<'a> {
    Input {
        model: m,
        catalog: catalog(),
        analysis: a,
        source,
        source_name: "models/test.ron",
        source_date_epoch: Some(EPOCH),
        paper,
    }
}

fn render_pdf(m: &Model, a: &Analysis, source: &[u8]) -> pdf::Rendered {
    let inp = input(m, a, source, Paper::A4);
    let (date, epoch) = inp.date();
    let d = data::build(&inp, &date);
    match pdf::render(&d, &inp, epoch) {
        Ok(r) => r,
        Err(e) => panic!("PDF render failed: {e}"),
    }
}

fn render_text(m: &Model, a: &Analysis, format: Format) -> String {
    let inp = input(m, a, b"", Paper::A4);
    match report::render(&inp, format) {
        Ok(b) => String::from_utf8(b).expect("text reports are UTF-8"),
        Err(e) => panic!("{format:?} render failed: {e}"),
    }
}

/// The text of each page as extracted by `pdftotext`, or `None` when it is not installed.
fn pdftotext(bytes: &[u8]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, bytes).ok()?;
    let out = Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(text.split('\u{c}').map(str::to_owned).collect())
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The models whose every threat id must appear: the stable fixture plus every example
/// that loads and yields threats.
fn models() -> Vec<(String, Model, Analysis, Vec<u8>)> {
    let mut out = Vec::new();
    let mut paths = vec![root().join("tests/rules/models/generic-open.ron")];
    if let Ok(rd) = std::fs::read_dir(root().join("examples")) {
        let mut ex: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        ex.sort();
        paths.extend(ex);
    }
    for p in paths {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let Ok(loaded) = palisade::persist::load_bytes(&p.display().to_string(), &bytes) else {
            continue;
        };
        let a = analyze(&loaded.model, catalog());
        if a.threats.is_empty() {
            continue;
        }
        out.push((p.display().to_string(), loaded.model, a, bytes));
    }
    assert!(!out.is_empty(), "no model to test reports with");
    out
}

#[test]
fn pdf_lists_every_threat_id_of_the_fixture_and_the_examples() {
    for (name, m, a, bytes) in models() {
        let r = render_pdf(&m, &a, &bytes);
        assert!(r.bytes.starts_with(b"%PDF-"), "{name}: not a PDF");
        let drawn = squash(&r.page_text.iter().flatten().cloned().collect::<String>());
        for t in &a.threats {
            assert!(
                drawn.contains(&squash(t.id.as_str())),
                "{name}: {} is not drawn",
                t.id
            );
        }
        // Sane page count: cover, summary, diagram, a few threats per page, appendix.
        let n = a.threats.len();
        assert!(r.pages >= 5, "{name}: {} pages", r.pages);
        assert!(
            r.pages <= 30 + n / 2,
            "{name}: {} pages for {n} threats",
            r.pages
        );
        if let Some(pages) = pdftotext(&r.bytes) {
            let text = squash(&pages.concat());
            for t in &a.threats {
                assert!(
                    text.contains(&squash(t.id.as_str())),
                    "{name}: pdftotext does not find {}",
                    t.id
                );
            }
            assert!(
                text.contains(&format!("Page1of{}", r.pages)),
                "{name}: no page footer"
            );
            assert!(
                text.contains(&format!("Page{}of{}", r.pages, r.pages)),
                "{name}: no footer on the last page"
            );
        }
    }
}

#[test]
fn pdf_is_reproducible_byte_for_byte() {
    let (m, a) = analysed("tests/rules/models/generic-open.ron");
    let src = b"the same source bytes";
    let one = render_pdf(&m, &a, src).bytes;
    let two = render_pdf(&m, &a, src).bytes;
    assert!(one == two, "two renders of the same input differ");
    // Through the public dispatcher as well.
    let inp = input(&m, &a, src, Paper::A4);
    let three = report::render(&inp, Format::Pdf).expect("render");
    assert!(one == three);
    // The date comes from SOURCE_DATE_EPOCH (given in the input): 2023-11-14.
    let text = render_text(&m, &a, Format::Json);
    assert!(text.contains("\"date\": \"2023-11-14\""));
}

#[test]
fn pdf_without_cjk_does_not_embed_the_fallback_font_and_stays_small() {
    let (m, a) = analysed("tests/rules/models/generic-open.ron");
    let r = render_pdf(&m, &a, b"x");
    assert!(!r.used_fallback);
    assert!(r.bytes.len() < 400_000, "{} bytes", r.bytes.len());
}

#[test]
fn letter_paper_gives_letter_pages() {
    let (m, a) = analysed("tests/rules/models/generic-open.ron");
    let inp = input(&m, &a, b"x", Paper::Letter);
    let bytes = report::render(&inp, Format::Pdf).expect("render");
    let s = String::from_utf8_lossy(&bytes);
    assert!(s.contains("/MediaBox[0 0 612 792]"), "no Letter media box");
    let inp = input(&m, &a, b"x", Paper::A4);
    let bytes = report::render(&inp, Format::Pdf).expect("render");
    assert!(String::from_utf8_lossy(&bytes).contains("/MediaBox[0 0 595.276 841.89]"));
}

fn unicode_model() -> Model {
    let mut m = Model::new("Überwachung café → 日本");
    m.metadata.owner = "Zoë Åström".to_owned();
    m.elements.insert(
        ElementId::new("tokyo"),
        Element {
            provenance: Default::default(),
            id: ElementId::new("tokyo"),
            name: "東京 gateway é ü".to_owned(),
            kind: "generic.process".to_owned(),
            boundary: None,
            pos: (100.0, 100.0),
            props: BTreeMap::new(),
            entry_point: false,
            crown_jewel: false,
        },
    );
    m.elements.insert(
        ElementId::new("user"),
        Element {
            provenance: Default::default(),
            id: ElementId::new("user"),
            name: "Müller → 日本".to_owned(),
            kind: "generic.entity".to_owned(),
            boundary: None,
            pos: (400.0, 100.0),
            props: BTreeMap::new(),
            entry_point: false,
            crown_jewel: false,
        },
    );
    m.flows.insert(
        FlowId::new("f"),
        Flow {
            channel: Default::default(),
            id: FlowId::new("f"),
            name: "日本語 flow".to_owned(),
            source: ElementId::new("user"),
            target: ElementId::new("tokyo"),
            props: BTreeMap::new(),
        },
    );
    m
}

#[test]
fn unicode_names_render_with_embedded_fonts() {
    let m = unicode_model();
    let a = analyze(&m, catalog());
    let r = render_pdf(&m, &a, b"x");
    assert!(r.used_fallback, "CJK text needs the fallback font");
    let drawn: String = r.page_text.iter().flatten().cloned().collect();
    for s in [
        "東京 gateway é ü",
        "Müller → 日本",
        "Überwachung café → 日本",
        "Zoë Åström",
    ] {
        assert!(drawn.contains(s), "{s} is not drawn");
    }
    // The fallback font is stripped to the glyphs used, not embedded whole (4 MB).
    assert!(r.bytes.len() < 600_000, "{} bytes", r.bytes.len());
    if let Some(pages) = pdftotext(&r.bytes) {
        let text = pages.concat();
        for s in ["東京", "日本", "Müller", "é", "ü", "→", "Überwachung"] {
            assert!(text.contains(s), "pdftotext does not find {s}");
        }
    }
    let fonts = Fonts::load().expect("fonts");
    assert!(fonts.has_glyph('日') && fonts.has_glyph('é') && fonts.has_glyph('→'));
}

/// 3 top-level zones × 4 hosts × 25 elements, flows along each host's chain and
/// between hosts.
fn big_model() -> Model {
    let mut m = Model::new("Three hundred elements");
    let kinds = ["generic.process", "generic.entity", "generic.store"];
    let mut n = 0;
    for z in 0..3 {
        let zid = BoundaryId::new(format!("zone-{z}"));
        let zx = z as f64 * 4400.0;
        m.boundaries.insert(
            zid.clone(),
            Boundary {
                props: Default::default(),
                id: zid.clone(),
                name: format!("Zone {z}"),
                kind: BoundaryKind::NetworkZone,
                trust: 5,
                parent: None,
                rect: (zx, 0.0, 4300.0, 1300.0),
            },
        );
        for h in 0..4 {
            let hid = BoundaryId::new(format!("host-{z}-{h}"));
            let hx = zx + 50.0 + h as f64 * 1060.0;
            m.boundaries.insert(
                hid.clone(),
                Boundary {
                    props: Default::default(),
                    id: hid.clone(),
                    name: format!("Host {z}.{h}"),
                    kind: BoundaryKind::Host,
                    trust: 6,
                    parent: Some(zid.clone()),
                    rect: (hx, 50.0, 1000.0, 1200.0),
                },
            );
            for k in 0..25 {
                let id = ElementId::new(format!("e{n:03}"));
                let (col, row) = (k % 5, k / 5);
                m.elements.insert(
                    id.clone(),
                    Element {
                        provenance: Default::default(),
                        id: id.clone(),
                        name: format!("Node {n:03}"),
                        kind: kinds[n % 3].to_owned(),
                        boundary: Some(hid.clone()),
                        pos: (hx + 100.0 + col as f64 * 200.0, 150.0 + row as f64 * 220.0),
                        props: BTreeMap::new(),
                        entry_point: false,
                        crown_jewel: false,
                    },
                );
                if k > 0 {
                    let fid = FlowId::new(format!("f{n:03}"));
                    m.flows.insert(
                        fid.clone(),
                        Flow {
                            channel: Default::default(),
                            id: fid,
                            name: format!("call {n}"),
                            source: ElementId::new(format!("e{:03}", n - 1)),
                            target: id.clone(),
                            props: BTreeMap::new(),
                        },
                    );
                }
                n += 1;
            }
        }
    }
    m
}

#[test]
fn every_element_of_a_300_element_model_is_on_a_legible_diagram_page() {
    let m = big_model();
    assert_eq!(m.elements.len(), 300);
    let a = analyze(&m, catalog());
    // The page plan: every element whole inside a page view drawn at a legible scale.
    let fonts = Fonts::load().expect("fonts");
    let sc = scene::build(&m, catalog(), &a, &fonts);
    let plan = diagram::plan(pdf::page_size(Paper::A4), &sc, &m, catalog(), "2 Diagram");
    assert!(
        plan.len() > 1,
        "a 300-element overview is not legible; parts must follow"
    );
    assert!(plan.len() < 60, "{} diagram pages", plan.len());
    assert!(!plan[0].clip, "the overview shows everything");
    for e in m.elements.values() {
        let r = scene::element_box(catalog(), e);
        let ok = plan.iter().any(|p| {
            scene::NAME_SIZE * p.scale >= diagram::MIN_TEXT_PT
                && p.view.0 <= r.0
                && p.view.1 <= r.1
                && r.2 <= p.view.2
                && r.3 <= p.view.3
        });
        assert!(ok, "{} is on no legible page", e.name);
    }
    // The PDF: every name drawn on a diagram page (not just in the threat list).
    let r = render_pdf(&m, &a, b"x");
    let diagram_text: String = r
        .page_text
        .iter()
        .filter(|p| p.iter().any(|l| l.starts_with("2 Diagram ·")))
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    for e in m.elements.values() {
        assert!(
            diagram_text.contains(&e.name),
            "{} is not drawn on a diagram page",
            e.name
        );
    }
    if let Some(pages) = pdftotext(&r.bytes) {
        let text: String = pages
            .iter()
            .filter(|p| p.contains("2 Diagram ·"))
            .cloned()
            .collect();
        let text = squash(&text);
        for e in m.elements.values() {
            assert!(
                text.contains(&squash(&e.name)),
                "pdftotext finds no {} on a diagram page",
                e.name
            );
        }
    }
}

#[test]
fn sarif_has_the_2_1_0_shape_and_one_result_per_untriaged_threat() {
    let (mut m, _) = analysed("tests/rules/models/generic-open.ron");
    let first = analyze(&m, catalog()).threats[0].id.clone();
    m.triage.insert(
        first.clone(),
        Triage {
            threat: first.clone(),
            status: Status::Mitigated,
            ..Triage::default()
        },
    );
    let a = analyze(&m, catalog());
    let source =
        std::fs::read(root().join("tests/rules/models/generic-open.ron")).expect("fixture");
    let inp = Input {
        source: &source,
        ..input(&m, &a, b"", Paper::A4)
    };
    let bytes = report::render(&inp, Format::Sarif).expect("sarif");
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    assert!(
        v["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0"))
    );
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "Palisade");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule_ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert!(
        rules
            .iter()
            .all(|r| r["shortDescription"]["text"].is_string() && r["help"]["text"].is_string())
    );
    let results = run["results"].as_array().expect("results");
    let untriaged = a
        .threats
        .iter()
        .filter(|t| t.status(&m).is_untriaged())
        .count();
    assert_eq!(results.len(), untriaged);
    assert!(untriaged < a.threats.len());
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        let ix = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rule_ids.get(ix), Some(&id));
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap_or("")));
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let loc = &r["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "models/test.ron"
        );
        assert!(
            loc["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .is_some_and(|l| l > 1)
        );
        assert!(loc["logicalLocations"][0]["name"].is_string());
        assert_ne!(
            r["partialFingerprints"]["palisadeThreatId/v1"],
            first.as_str()
        );
    }
}

#[test]
fn markdown_html_and_json_list_every_threat() {
    for (name, m, a, _) in models() {
        let md = render_text(&m, &a, Format::Markdown);
        let html = render_text(&m, &a, Format::Html);
        let json = render_text(&m, &a, Format::Json);
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON report parses");
        let in_groups: usize = v["groups"]
            .as_array()
            .map(|g| {
                g.iter()
                    .map(|g| g["threats"].as_array().map_or(0, Vec::len))
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(in_groups, a.threats.len(), "{name}");
        for t in &a.threats {
            assert!(
                md.contains(t.id.as_str()),
                "{name}: Markdown lacks {}",
                t.id
            );
            assert!(html.contains(t.id.as_str()), "{name}: HTML lacks {}", t.id);
            assert!(
                json.contains(&format!("\"{}\"", t.id)),
                "{name}: JSON lacks {}",
                t.id
            );
        }
        assert!(
            md.contains("```mermaid"),
            "{name}: no diagram in the Markdown"
        );
        assert!(
            html.contains("<svg") && html.contains("</svg>"),
            "{name}: no SVG in the HTML"
        );
    }
}

#[test]
fn html_escapes_model_text() {
    let mut m = unicode_model();
    if let Some(e) = m.elements.get_mut("tokyo") {
        e.name = "<script>alert(1)</script> & \"x\"".to_owned();
    }
    m.metadata.description = "<img src=x onerror=alert(1)>".to_owned();
    let a = analyze(&m, catalog());
    let html = render_text(&m, &a, Format::Html);
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
    assert!(html.contains("日本"));
}

#[test]
fn orphaned_triage_and_manual_threats_are_reported() {
    let (mut m, _) = analysed("tests/rules/models/generic-open.ron");
    let orphan = ThreatId::new("GEN-S-01@element:deleted-long-ago");
    m.triage.insert(
        orphan.clone(),
        Triage {
            threat: orphan.clone(),
            status: Status::AcceptedRisk,
            justification: "kept".into(),
            ..Triage::default()
        },
    );
    let a = analyze(&m, catalog());
    assert!(a.orphans.contains(&orphan));
    let r = render_pdf(&m, &a, b"x");
    let drawn = squash(&r.page_text.iter().flatten().cloned().collect::<String>());
    assert!(drawn.contains(&squash(orphan.as_str())));
    assert!(render_text(&m, &a, Format::Markdown).contains(orphan.as_str()));
}

#[test]
fn empty_model_still_renders_every_format() {
    let m = Model::new("");
    let a = analyze(&m, catalog());
    for f in [
        Format::Pdf,
        Format::Markdown,
        Format::Html,
        Format::Json,
        Format::Sarif,
    ] {
        let inp = input(&m, &a, b"", Paper::A4);
        let bytes = report::render(&inp, f).expect("render");
        assert!(!bytes.is_empty(), "{f:?}");
    }
}

#[test]
fn report_date_prefers_source_date_epoch_then_the_model() {
    assert_eq!(
        data::report_date(Some(EPOCH), "2020-01-02", 0).0,
        "2023-11-14"
    );
    assert_eq!(data::report_date(None, "2020-01-02", EPOCH).0, "2020-01-02");
    assert_eq!(data::report_date(None, "", EPOCH).0, "2023-11-14");
}

/// A page that shows one zone of the diagram labels the flows its edge cuts with the
/// element at their far end, so a reader can follow a flow that leaves the page.
#[test]
fn zone_pages_name_the_far_end_of_flows_cut_by_the_page_edge() {
    let path = root().join("examples/kubernetes-cluster.ron");
    let bytes = std::fs::read(&path).expect("the Kubernetes example");
    let m = palisade::persist::load_bytes("k8s", &bytes)
        .map(|l| l.model)
        .unwrap_or_else(|e| panic!("{e}"));
    let a = analyze(&m, catalog());
    let r = render_pdf(&m, &a, &bytes);
    let Some(pages) = pdftotext(&r.bytes) else {
        return; // poppler-utils not installed: the PDF checks above still ran
    };
    // The payments namespace page: its API reaches the managed database outside it.
    let page = pages
        .iter()
        .find(|p| p.contains("Diagram · payments") && !p.contains("part "))
        .unwrap_or_else(|| panic!("no page for the payments namespace"));
    let flat = squash(page);
    assert!(
        flat.contains(&squash("to payments PostgreSQL (RDS)")),
        "the payments page does not name where its database flow goes:\n{page}"
    );
    // Every such label names an element of the model.
    let names: Vec<String> = m.elements.values().map(|e| squash(&e.name)).collect();
    let mut labels = 0;
    for p in pages.iter().filter(|p| p.contains("Diagram ·")) {
        for line in p.lines() {
            let line = line.trim();
            let Some(rest) = line
                .strip_prefix("to ")
                .or_else(|| line.strip_prefix("from "))
            else {
                continue;
            };
            let rest = squash(rest);
            if names.iter().any(|n| {
                *n == rest || (rest.ends_with('…') && n.starts_with(rest.trim_end_matches('…')))
            }) {
                labels += 1;
            }
        }
    }
    assert!(
        labels >= 5,
        "only {labels} cut-flow labels found on the zone pages"
    );
}
