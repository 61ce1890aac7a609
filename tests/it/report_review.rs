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
    let pages = page_texts(m);
    (pages.len(), pages.join(" "))
}

/// Each page's text, its lines joined without the breaks.
fn page_texts(m: &palisade::model::Model) -> Vec<String> {
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
        Ok(r) => r
            .page_text
            .iter()
            .map(|p| {
                p.iter()
                    .flat_map(|s| s.split_whitespace())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

/// The cover of every example is one page, its reproducibility note at the foot, even
/// when the model's description runs to twenty lines (the hardened examples): the
/// summary starts page 2, and no page holds only the tail of the cover. A description
/// too long for any cover flows on, and the note still follows the statistics.
#[test]
fn the_cover_is_one_page_whatever_the_description() {
    let note_end = "always give the same threats and the same report.";
    let mut seen = 0;
    for entry in std::fs::read_dir("examples").unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().and_then(|e| e.to_str()) != Some("ron") {
            continue;
        }
        let (m, _) = analysed(&path.to_string_lossy());
        let pages = page_texts(&m);
        assert!(pages.len() > 2, "{}", path.display());
        assert!(
            pages[0].contains(note_end),
            "{}: {}",
            path.display(),
            pages[0]
        );
        assert!(
            pages[1].contains("1 Summary") && !pages[1].contains(note_end),
            "{}: page 2 is {}",
            path.display(),
            pages[1]
        );
        seen += 1;
    }
    assert!(seen >= 5, "{seen} examples");
    let (mut m, _) = analysed("examples/kubernetes-hardened.ron");
    m.metadata.description = "A line of the description that goes on. ".repeat(400);
    let pages = page_texts(&m);
    let stats_at = pages.iter().position(|p| p.contains("trust boundaries ·"));
    let note_at = pages.iter().position(|p| p.contains(note_end));
    let summary_at = pages.iter().position(|p| p.contains("1 Summary"));
    assert!(
        matches!((stats_at, note_at, summary_at), (Some(s), Some(n), Some(u)) if s > 0 && n == s && u == n + 1),
        "stats on {stats_at:?}, note on {note_at:?}, summary on {summary_at:?}"
    );
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
