//! The PDF as a first-time reviewer read it: an appendix of the templates the model
//! uses, "not reviewed" when nobody reviewed, a missing justification said plainly, flow
//! labels clear of element badges, names broken at sensible points.

use crate::common::{analysed, catalog};
use palisade::analysis::analyze;
use palisade::model::{Status, Triage};
use palisade::report::fonts::Fonts;
use palisade::report::scene::{self, Item};
use palisade::report::{Input, Paper};
use palisade::report::{data, pdf};

const EPOCH: i64 = 1_700_000_000;

fn pdf_text(m: &palisade::model::Model) -> (usize, String) {
    let a = analyze(m, catalog());
    let inp = Input {
        model: m,
        catalog: catalog(),
        analysis: &a,
        source: b"",
        source_name: "m.ron",
        source_date_epoch: Some(EPOCH),
        paper: Paper::A4,
    };
    let (date, epoch) = inp.date();
    let d = data::build(&inp, &date);
    match pdf::render(&d, &inp, epoch) {
        // Lines are drawn one by one: join them without the breaks.
        Ok(r) => (
            r.pages,
            r.page_text
                .iter()
                .flatten()
                .flat_map(|s| s.split_whitespace())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_appendix_of_a_docker_model_lists_only_the_templates_it_uses() {
    let (m, _) = analysed("examples/docker-attack-surface.ron");
    let (pages, text) = pdf_text(&m);
    assert!(text.contains("Template docker"), "its own template");
    assert!(
        text.contains("Template generic"),
        "the base shapes' rules fired"
    );
    assert!(
        !text.contains("Template kubernetes"),
        "no Kubernetes rules listed"
    );
    assert!(!text.contains("Template kubeflow"));
    assert!(
        text.contains("other loaded templates") && text.contains("raised nothing"),
        "says how many others were evaluated"
    );
    assert!(pages > 3, "{pages} pages");
}

#[test]
fn a_decision_nobody_reviewed_reads_not_reviewed_and_a_missing_justification_is_named() {
    let (mut m, a) = analysed("examples/docker-attack-surface.ron");
    let Some(t) = a.threats.first() else {
        panic!("threats")
    };
    m.triage.insert(
        t.id.clone(),
        Triage {
            threat: t.id.clone(),
            status: Status::AcceptedRisk,
            date: "2026-12-01".into(),
            ..Triage::default()
        },
    );
    let (_, text) = pdf_text(&m);
    assert!(!text.contains("Reviewed by — 2026-12-01"));
    assert!(text.contains("Not reviewed (decided 2026-12-01)"));
    assert!(text.contains("none given (required for Accepted risk)"));
}

#[test]
fn flow_labels_never_cover_a_badge() {
    let fonts = match Fonts::load() {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    for file in [
        "examples/docker-attack-surface.ron",
        "examples/kubernetes-cluster.ron",
    ] {
        let (m, a) = analysed(file);
        let sc = scene::build(&m, catalog(), &a, &fonts);
        let rects = |want_h: f64| -> Vec<(f64, f64, f64, f64)> {
            sc.items
                .iter()
                .filter_map(|it| match it {
                    Item::Rect { x, y, w, h, .. } if (*h - want_h).abs() < 1e-9 => {
                        Some((*x, *y, x + w, y + h))
                    }
                    _ => None,
                })
                .collect()
        };
        let (labels, badges) = (rects(14.0), rects(15.0));
        assert!(!labels.is_empty() && !badges.is_empty(), "{file}");
        for l in &labels {
            for b in &badges {
                let overlap = l.0 < b.2 && b.0 < l.2 && l.1 < b.3 && b.1 < l.3;
                assert!(!overlap, "{file}: label {l:?} covers badge {b:?}");
            }
        }
    }
}

#[test]
fn names_break_at_sensible_points_only() {
    let fonts = match Fonts::load() {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let size = 9.0;
    let max = fonts.width("registry.example", size, false);
    let lines = scene::name_lines(&fonts, "registry.example.com", size, max);
    assert_eq!(lines, vec!["registry.", "example.com"]);
    let lines = scene::name_lines(&fonts, "payment service-api", size, max);
    assert_eq!(lines, vec!["payment", "service-api"]);
    // No break point leaves four characters on each side: shortened, not split.
    let narrow = fonts.width("Kuber", size, false);
    let lines = scene::name_lines(&fonts, "Kubernetes", size, narrow);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].ends_with('…'), "{lines:?}");
}
