//! Controls, risk, the tracker exports and the CSV triage round trip, on the bundled
//! `examples/controls-review.ron`.

use crate::common::{analysed, catalog, load};
use palisade::analysis::analyze;
use palisade::export::tracker::{self, CSV_COLUMNS, JIRA_COLUMNS};
use palisade::export::{ExportFormat, export};
use palisade::model::{
    ElementId, ManualThreat, Model, Severity, Status, Stride, SubjectRef, ThreatId,
};
use palisade::persist;
use palisade::triage_import::plan;

const EXAMPLE: &str = "examples/controls-review.ron";

fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn the_example_has_controls_that_decide_threats_and_one_not_drawn() {
    let (m, a) = analysed(EXAMPLE);
    assert_eq!(m.controls.len(), 5);
    // CTL-001 (Implemented) covers every DOCKER-D-02 threat: they count as mitigated.
    let d02: Vec<_> = a
        .threats
        .iter()
        .filter(|t| t.id.as_str().starts_with("DOCKER-D-02@"))
        .collect();
    assert_eq!(d02.len(), 4);
    assert!(d02.iter().all(|t| t.status(&m) == Status::Mitigated));
    // CTL-002 is in progress: its threats stay open.
    let e01 = a.threat("DOCKER-E-01@element:web-api").expect("threat");
    assert_eq!(e01.status(&m), Status::Open);
    // CTL-005 is rejected and decides nothing.
    let e05 = a.threat("DOCKER-E-05@element:dockerd").expect("threat");
    assert_eq!(e05.status(&m), Status::Open);
    let not_drawn: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.code == "control-not-realised")
        .collect();
    assert_eq!(not_drawn.len(), 1, "{not_drawn:?}");
    assert!(not_drawn[0].message.contains("CTL-001"));
    // The why of a mitigated threat names its control.
    let v = palisade::report::threat_view(&m, catalog(), d02[0]);
    assert!(v.why.iter().any(|w| w.contains("`CTL-001`")), "{:?}", v.why);
}

#[test]
fn files_without_controls_are_written_as_before_and_controls_one_field_a_line() {
    let m = load("examples/docker-attack-surface.ron");
    let text = persist::to_text(&m).expect("text");
    assert!(
        !text.contains("\n    controls:"),
        "no controls field when there are none"
    );
    assert!(!text.contains("risk_matrix:") && !text.contains("cvss:"));
    let m = load(EXAMPLE);
    let text = persist::to_text(&m).expect("text");
    assert!(
        text.contains("            status: Implemented,\n"),
        "one line per field"
    );
    let back = persist::load_bytes("x.ron", text.as_bytes()).expect("loads");
    assert_eq!(back.model, m);
}

#[test]
fn controls_load_through_the_fallback_parser_too() {
    // A raw string is outside the fast path's subset: ron reads the file.
    let text = std::fs::read_to_string(crate::common::root().join(EXAMPLE))
        .expect("example")
        .replace(
            "title: \"Rootless Docker daemon\"",
            "title: r\"Rootless Docker daemon\"",
        );
    let m = persist::load_bytes("raw.ron", text.as_bytes())
        .expect("loads through ron")
        .model;
    assert_eq!(m, load(EXAMPLE));
    // An unknown field in a control is a located error.
    let bad = text.replace("ticket: \"REG-22\",", "tickets: \"REG-22\",");
    let err = persist::load_bytes("bad.ron", bad.as_bytes())
        .expect_err("unknown field")
        .to_string();
    assert!(err.contains("bad.ron:") && err.contains("tickets"), "{err}");
}

#[test]
fn each_exporter_writes_its_checked_columns() {
    let (m, a) = analysed(EXAMPLE);
    let open = tracker::open_threats(&m, &a).len();
    assert!(open > 0 && open < a.threats.len());
    let c = rows(&export(&m, catalog(), &a, ExportFormat::Csv, false).expect("csv"));
    assert_eq!(c[0], CSV_COLUMNS);
    assert_eq!(c.len(), open + 1);
    assert!(c.iter().all(|r| r.len() == CSV_COLUMNS.len()));
    let ids: Vec<&str> = c[1..].iter().map(|r| r[0].as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rows in threat-id order");
    let e01 = c
        .iter()
        .find(|r| r[0] == "DOCKER-E-01@element:web-api")
        .expect("open threat exported");
    assert_eq!(e01[2], "medium");
    assert_eq!(e01[3], "open");
    assert_eq!(e01[10], "CTL-002 (In progress)");
    assert!(
        !c.iter().any(|r| r[0].starts_with("DOCKER-D-02@")),
        "mitigated by controls: not exported"
    );
    let j = rows(&export(&m, catalog(), &a, ExportFormat::JiraCsv, false).expect("jira"));
    assert_eq!(j[0], JIRA_COLUMNS);
    assert_eq!(j.len(), open + 1);
    for r in &j[1..] {
        assert_eq!(r[1], "Task");
        assert!(["Highest", "High", "Medium", "Low"].contains(&r[2].as_str()));
        assert!(r[3].ends_with(&format!("Palisade threat id: {}", r[8])));
        assert_eq!(r[4], "threat-model");
    }
    let g: serde_json::Value = serde_json::from_slice(
        &export(&m, catalog(), &a, ExportFormat::GithubIssues, false).expect("gh"),
    )
    .expect("JSON");
    let items = g.as_array().expect("array");
    assert_eq!(items.len(), open);
    for it in items {
        let id = it["palisade_id"].as_str().expect("id");
        let body = it["body"].as_str().expect("body");
        assert!(body.contains(&format!("<!-- palisade:threat-id={id} -->")));
        let labels: Vec<&str> = it["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .filter_map(|l| l.as_str())
            .collect();
        assert_eq!(labels[0], "threat-model");
        assert!(labels[1].starts_with("stride:") && labels[2].starts_with("severity:"));
        assert!(!it["title"].as_str().unwrap_or("").is_empty());
    }
    // Same input, same bytes.
    assert_eq!(
        export(&m, catalog(), &a, ExportFormat::Csv, false).expect("csv"),
        export(
            &m,
            catalog(),
            &analyze(&m, catalog()),
            ExportFormat::Csv,
            false
        )
        .expect("csv")
    );
}

fn hostile_model() -> Model {
    let mut m = load(EXAMPLE);
    for (id, title) in [
        ("MANUAL-1", "=cmd|' /C calc'!A0"),
        ("MANUAL-2", "+SUM(1,2)"),
        ("MANUAL-3", "-2+3"),
        ("MANUAL-4", "@SUM(A1)"),
        ("MANUAL-5", "\tTabbed"),
        ("MANUAL-6", "\rReturn"),
    ] {
        m.manual_threats.insert(
            ThreatId::new(id),
            ManualThreat {
                id: ThreatId::new(id),
                title: title.into(),
                category: Stride::Tampering,
                severity: Severity::High,
                subject: SubjectRef::Element(ElementId::new("dockerd")),
                description: "=HYPERLINK(\"http://x\")".into(),
                mitigations: vec!["-rf".into()],
                cvss: String::new(),
            },
        );
    }
    m
}

#[test]
fn formula_injection_is_neutralised_on_export() {
    let m = hostile_model();
    let a = analyze(&m, catalog());
    for fmt in [ExportFormat::Csv, ExportFormat::JiraCsv] {
        let r = rows(&export(&m, catalog(), &a, fmt, false).expect("export"));
        let mut seen = 0;
        for row in &r {
            for cell in row {
                assert!(
                    !matches!(
                        cell.chars().next(),
                        Some('=' | '+' | '-' | '@' | '\t' | '\r')
                    ),
                    "{fmt:?}: cell {cell:?} would run as a formula"
                );
                if cell.starts_with("'=cmd") || cell.starts_with("'@SUM") {
                    seen += 1;
                }
            }
        }
        assert!(
            seen >= 1,
            "{fmt:?}: the hostile titles are exported, quoted"
        );
    }
    assert_eq!(tracker::safe_cell("=1"), "'=1");
    assert_eq!(tracker::unsafe_cell("'=1"), "=1");
    assert_eq!(tracker::unsafe_cell("'quoted"), "'quoted");
}

#[test]
fn the_csv_round_trip_reads_owner_ticket_and_status_back_as_edits() {
    let (mut m, a) = analysed(EXAMPLE);
    let bytes = export(&m, catalog(), &a, ExportFormat::Csv, false).expect("csv");
    let mut r = rows(&bytes);
    // Edited in a spreadsheet: an owner that looks like a formula, a ticket, a status.
    let i = r
        .iter()
        .position(|x| x[0] == "DOCKER-E-01@element:web-api")
        .expect("row");
    r[i][8] = "=cmd|' /C calc'!A0".into();
    r[i][9] = "SHOP-400".into();
    r[i][3] = "Accepted risk".into();
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &r {
        w.write_record(row.iter().map(|c| tracker::safe_cell(c)))
            .expect("write");
    }
    let edited = String::from_utf8(w.into_inner().expect("bytes")).expect("utf8");
    let p = plan("t.csv", &edited, &m, &a).expect("plan");
    let fields: Vec<(&str, &str)> = p
        .changes
        .iter()
        .map(|c| (c.field, c.new.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("owner", "=cmd|' /C calc'!A0"),
            ("ticket", "SHOP-400"),
            ("status", "accepted_risk")
        ]
    );
    let before = m.clone();
    let undo = p.edit.expect("an edit").apply(&mut m).expect("applies");
    let t = &m.triage["DOCKER-E-01@element:web-api"];
    assert_eq!(
        (t.owner.as_str(), t.ticket.as_str()),
        ("=cmd|' /C calc'!A0", "SHOP-400")
    );
    assert_eq!(t.status, Status::AcceptedRisk);
    // The re-export leaves it out (no longer open) and the undo is exact.
    let again = rows(
        &export(
            &m,
            catalog(),
            &analyze(&m, catalog()),
            ExportFormat::Csv,
            false,
        )
        .expect("csv"),
    );
    assert!(!again.iter().any(|x| x[0] == "DOCKER-E-01@element:web-api"));
    undo.apply(&mut m).expect("undo");
    assert_eq!(m, before);
    // An unchanged export changes nothing.
    let same = plan("t.csv", std::str::from_utf8(&bytes).expect("utf8"), &m, &a).expect("plan");
    assert!(same.changes.is_empty() && same.edit.is_none());
}

#[test]
fn the_csv_carries_the_cvss_vector_in_effect_and_reads_a_changed_one_back_into_triage() {
    let (mut m, a) = analysed(EXAMPLE);
    let bytes = export(&m, catalog(), &a, ExportFormat::Csv, false).expect("csv");
    let r = rows(&bytes);
    let col = r[0]
        .iter()
        .position(|c| c == "cvss")
        .expect("a cvss column");
    assert_eq!(col, r[0].len() - 1, "cvss is the last column: {:?}", r[0]);
    let id = "DOCKER-E-01@element:web-api";
    let row = r.iter().position(|x| x[0] == id).expect("row");
    assert_eq!(r[row][col], "", "no vector before");
    let csv_of = |rows: &[Vec<String>]| {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in rows {
            w.write_record(row.iter().map(|c| tracker::safe_cell(c)))
                .expect("write");
        }
        String::from_utf8(w.into_inner().expect("bytes")).expect("utf8")
    };
    // A vector typed into the cell becomes the threat's triage vector.
    let mut edited = r.clone();
    edited[row][col] = format!(" {CRITICAL_VECTOR} ");
    let p = plan("t.csv", &csv_of(&edited), &m, &a).expect("plan");
    let fields: Vec<_> = p
        .changes
        .iter()
        .map(|c| (c.threat.as_str(), c.field, c.new.as_str()))
        .collect();
    assert_eq!(fields, [(id, "cvss", CRITICAL_VECTOR)]);
    p.edit.expect("an edit").apply(&mut m).expect("applies");
    assert_eq!(m.triage[id].cvss, CRITICAL_VECTOR);
    // Exported again, the cell shows it, and reading that export back changes nothing.
    let a2 = analyze(&m, catalog());
    let again = export(&m, catalog(), &a2, ExportFormat::Csv, false).expect("csv");
    let r2 = rows(&again);
    let row2 = r2.iter().position(|x| x[0] == id).expect("row");
    assert_eq!(r2[row2][col], CRITICAL_VECTOR);
    let same = plan("t.csv", std::str::from_utf8(&again).expect("utf8"), &m, &a2).expect("plan");
    assert!(same.changes.is_empty(), "{:?}", same.changes);
    // An emptied cell clears it.
    let mut cleared = r2.clone();
    cleared[row2][col].clear();
    let p = plan("t.csv", &csv_of(&cleared), &m, &a2).expect("plan");
    assert_eq!(p.changes.len(), 1);
    assert_eq!(
        (p.changes[0].old.as_str(), p.changes[0].new.as_str()),
        (CRITICAL_VECTOR, "")
    );
    p.edit.expect("an edit").apply(&mut m).expect("applies");
    assert_eq!(m.triage[id].cvss, "");
    // A vector that is not one refuses the file at its cell, naming what is missing.
    let err = plan(
        "t.csv",
        &format!("id,cvss\n{id},CVSS:3.1/AV:N/AC:L\n"),
        &m,
        &a2,
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.starts_with(&format!("t.csv:2:{}: ", id.len() + 2))
            && err.contains("lacks the base metric PR"),
        "{err}"
    );
}

#[test]
fn wrong_columns_unknown_ids_and_bad_statuses_are_refused_with_their_position() {
    let (m, a) = analysed(EXAMPLE);
    let cases = [
        (
            "id,owner,colour\nX,y,z\n",
            "t.csv:1:10: unknown column `colour`",
        ),
        ("owner,ticket\na,b\n", "t.csv:1:1: no `id` column"),
        (
            "id,title\nX,y\n",
            "t.csv:1:1: none of the columns owner, ticket, status",
        ),
        (
            "id,owner,owner\n",
            "t.csv:1:10: column `owner` is given twice",
        ),
        (
            "id,owner\nDOCKER-E-01@element:web-api,a\nNOPE@element:x,b\n",
            "t.csv:3:1: `NOPE@element:x` is no threat of the model",
        ),
        (
            "id,ticket,status\nDOCKER-E-01@element:web-api,T-1,\"done\"\n",
            "t.csv:2:33: `done` is not a status",
        ),
        (
            "id,owner\nDOCKER-E-01@element:web-api\n",
            "t.csv:2:1: the row has 1 fields; the header has 2",
        ),
        (
            "id,owner\nDOCKER-E-01@element:web-api,a\nDOCKER-E-01@element:web-api,b\n",
            "t.csv:3:1: threat `DOCKER-E-01@element:web-api` is given twice",
        ),
        ("", "t.csv:1:1: the file is empty"),
    ];
    for (text, want) in cases {
        let err = plan("t.csv", text, &m, &a).expect_err(want).to_string();
        assert!(
            err.starts_with(want),
            "{text:?}: got {err:?}, want {want:?}"
        );
    }
}

fn report_input<'a>(
    m: &'a Model,
    a: &'a palisade::analysis::Analysis,
) -> palisade::report::Input<'a> {
    palisade::report::Input {
        model: m,
        catalog: catalog(),
        analysis: a,
        source: b"",
        source_name: EXAMPLE,
        source_date_epoch: Some(1_700_000_000),
        paper: palisade::report::Paper::A4,
    }
}

#[test]
fn the_pdf_draws_both_risk_matrices_side_by_side_with_axis_names_and_counts() {
    use palisade::analysis::risk;
    let (m, a) = analysed(EXAMPLE);
    let inp = report_input(&m, &a);
    let (date, epoch) = inp.date();
    let d = palisade::report::data::build(&inp, &date);
    let r = palisade::report::pdf::render(&d, &inp, epoch).expect("pdf");
    let page = r
        .page_text
        .iter()
        .find(|p| p.iter().any(|l| l == "Risk before and after controls"))
        .expect("a page with the matrices");
    let count = |s: &str| page.iter().filter(|l| *l == s).count();
    assert_eq!(count("Risk before controls"), 1);
    assert_eq!(count("Residual risk after controls"), 1);
    let scale = m.metadata.risk_matrix;
    for l in risk::likelihood_labels(scale)
        .iter()
        .chain(risk::impact_labels(scale))
        .chain(&["Likelihood", "Impact"])
    {
        assert_eq!(count(l), 2, "{l} names an axis of each matrix");
    }
    // Every non-empty cell's count is drawn in that grid.
    let mx = risk::matrices(&m, catalog(), &a);
    for g in [&mx.initial, &mx.residual] {
        for row in &g.counts {
            for n in row.iter().filter(|n| **n > 0) {
                assert!(count(&n.to_string()) >= 1, "count {n} drawn");
            }
        }
    }
    assert!(page.iter().any(|l| l.starts_with("Before controls: ")));
}

#[test]
fn html_colours_the_risk_cells_and_markdown_keeps_the_tables() {
    use palisade::analysis::risk::{self, Cell};
    use palisade::report::{Format, render, style};
    let (m, a) = analysed(EXAMPLE);
    let inp = report_input(&m, &a);
    let html = String::from_utf8(render(&inp, Format::Html).expect("html")).expect("utf-8");
    assert_eq!(html.matches("<table class=\"risk\">").count(), 2);
    let mx = risk::matrices(&m, catalog(), &a);
    let scale = m.metadata.risk_matrix;
    let lik = risk::likelihood_labels(scale);
    let imp = risk::impact_labels(scale);
    for g in [&mx.initial, &mx.residual] {
        for l in 1..=scale.levels() {
            for i in 1..=scale.levels() {
                let c = Cell {
                    likelihood: l,
                    impact: i,
                };
                let n = g.at(c);
                if n == 0 {
                    continue;
                }
                let sev = c.level(scale).severity();
                let cell = format!(
                    "<td style=\"background:{};color:{}\" title=\"{n} {}, likelihood {} × impact {} ({} risk)\">{n}</td>",
                    style::severity_color(sev).hex(),
                    style::severity_text(sev).hex(),
                    if n == 1 { "threat" } else { "threats" },
                    lik[usize::from(l - 1)],
                    imp[usize::from(i - 1)],
                    c.level(scale).key()
                );
                assert!(html.contains(&cell), "{cell}");
            }
        }
    }
    let md = String::from_utf8(render(&inp, Format::Markdown).expect("md")).expect("utf-8");
    assert_eq!(
        md.matches("| Likelihood \\ impact |").count(),
        2,
        "Markdown keeps its tables"
    );
}

const CRITICAL_VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

/// The example with a manual threat on dockerd carrying `cvss`.
fn with_manual_cvss(cvss: &str) -> Model {
    let mut m = load(EXAMPLE);
    let id = ThreatId::new("MANUAL-001");
    m.manual_threats.insert(
        id.clone(),
        ManualThreat {
            id,
            title: "Operator laptop stolen with a daemon client certificate".into(),
            category: Stride::Spoofing,
            severity: Severity::Low,
            subject: SubjectRef::Element(ElementId::new("dockerd")),
            description: "A stolen certificate drives the daemon.".into(),
            mitigations: Vec::new(),
            cvss: cvss.into(),
        },
    );
    m
}

#[test]
fn a_manual_threats_cvss_vector_is_saved_placed_in_the_matrix_and_overridden_by_triage() {
    use palisade::analysis::risk::{self, Source};
    let m = with_manual_cvss(CRITICAL_VECTOR);
    // Saved one line, read back by both parsers.
    let text = persist::to_text(&m).expect("text");
    assert!(
        text.contains(&format!("cvss: \"{CRITICAL_VECTOR}\"")),
        "{text}"
    );
    let back = persist::load_bytes("x.ron", text.as_bytes()).expect("loads");
    assert_eq!(back.model, m);
    let back = persist::load_bytes_ron_only("x.ron", text.as_bytes()).expect("loads");
    assert_eq!(back.model, m);
    let a = analyze(&m, catalog());
    let t = a.threat("MANUAL-001").expect("manual threat");
    let r = risk::risk_of(&m, catalog(), t);
    // Base 9.8 and exploitability 3.9: the top cell, whatever the Low severity says.
    assert!(matches!(&r.source, Source::Cvss(c) if (c.base - 9.8).abs() < 1e-9));
    assert_eq!((r.initial.likelihood, r.initial.impact), (5, 5));
    assert!(!a.diagnostics.iter().any(|d| d.code == "bad-cvss"));
    // A triage record's vector overrides the threat's own.
    let mut m2 = m.clone();
    palisade::model::Edit::SetTriage(
        ThreatId::new("MANUAL-001"),
        Some(palisade::model::Triage {
            threat: ThreatId::new("MANUAL-001"),
            cvss: "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N".into(),
            ..Default::default()
        }),
    )
    .apply(&mut m2)
    .expect("edit");
    let a2 = analyze(&m2, catalog());
    let r2 = risk::risk_of(&m2, catalog(), a2.threat("MANUAL-001").expect("threat"));
    assert!(matches!(&r2.source, Source::Cvss(c) if c.base < 2.0));
}

#[test]
fn an_invalid_manual_cvss_vector_is_a_diagnostic_on_its_subject_and_the_mapping_applies() {
    use palisade::analysis::risk::{self, Source};
    let m = with_manual_cvss("CVSS:3.1/AV:N/AC:L");
    let a = analyze(&m, catalog());
    let d: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.code == "bad-cvss")
        .collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains("manual threat `MANUAL-001`"),
        "{}",
        d[0].message
    );
    assert!(
        d[0].message.contains("lacks the base metric PR"),
        "{}",
        d[0].message
    );
    assert_eq!(
        d[0].subject,
        Some(SubjectRef::Element(ElementId::new("dockerd")))
    );
    let r = risk::risk_of(&m, catalog(), a.threat("MANUAL-001").expect("threat"));
    assert_eq!(r.source, Source::Mapping);
    // The incremental analysis of the edit that set it says the same.
    let base = load(EXAMPLE);
    let prev = analyze(&base, catalog());
    let mut edited = base.clone();
    let edit = palisade::model::Edit::PutManualThreat(
        m.manual_threats[&ThreatId::new("MANUAL-001")].clone(),
    );
    // (The GUI passes the inverse of what it applied, as here.)
    let inverse = edit.apply(&mut edited).expect("edit");
    let inc = palisade::analysis::reanalyze(prev, &edited, catalog(), &inverse);
    assert!(inc.diagnostics.iter().any(|d| d.code == "bad-cvss"));
}

#[test]
fn the_cvss_vector_is_shown_in_every_report_and_the_exports() {
    use palisade::report::{Format, render};
    let m = with_manual_cvss(CRITICAL_VECTOR);
    let a = analyze(&m, catalog());
    let inp = report_input(&m, &a);
    let line = format!("{CRITICAL_VECTOR} (base 9.8)");
    let md = String::from_utf8(render(&inp, Format::Markdown).expect("md")).expect("utf-8");
    assert!(md.contains(&format!("- **CVSS 3.1:** {line}")), "markdown");
    let html = String::from_utf8(render(&inp, Format::Html).expect("html")).expect("utf-8");
    assert!(
        html.contains(&format!("<dt>CVSS 3.1</dt><dd>{line}</dd>")),
        "html"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&render(&inp, Format::Json).expect("json")).expect("JSON");
    let text = json.to_string();
    assert!(
        text.contains(&format!("\"cvss\":\"{CRITICAL_VECTOR}\"")),
        "json"
    );
    assert!(text.contains("\"cvss_base\":9.8"), "json score");
    let (date, epoch) = inp.date();
    let d = palisade::report::data::build(&inp, &date);
    let pdf = palisade::report::pdf::render(&d, &inp, epoch).expect("pdf");
    assert!(
        pdf.page_text.iter().flatten().any(|l| l.contains(&line)),
        "pdf"
    );
    // Threats without a vector write nothing new.
    let plain = String::from_utf8(
        render(
            &report_input(&load(EXAMPLE), &analyze(&load(EXAMPLE), catalog())),
            Format::Json,
        )
        .expect("json"),
    )
    .expect("utf-8");
    assert!(!plain.contains("cvss"));
    let otm = String::from_utf8(export(&m, catalog(), &a, ExportFormat::Otm, false).expect("otm"))
        .expect("utf-8");
    assert!(
        otm.contains(&format!("\"cvss\": \"{CRITICAL_VECTOR}\""))
            || otm.contains(&format!("\"cvss\":\"{CRITICAL_VECTOR}\"")),
        "otm"
    );
    let gh = String::from_utf8(
        export(&m, catalog(), &a, ExportFormat::GithubIssues, false).expect("gh"),
    )
    .expect("utf-8");
    assert!(gh.contains("CVSS 3.1: "), "github issues");
    let jira =
        String::from_utf8(export(&m, catalog(), &a, ExportFormat::JiraCsv, false).expect("jira"))
            .expect("utf-8");
    assert!(jira.contains(&format!("CVSS 3.1: {line}")), "jira");
}

/// A threat its controls mitigate shows as Mitigated everywhere a status is shown: the
/// pretty JSON, JSON Lines, the report's counts and `check` agree with
/// `Threat::status` (which the editor shows), and each says which control decided it.
#[test]
fn every_output_shows_the_status_the_controls_decided() {
    let (m, a) = analysed(EXAMPLE);
    let cat = catalog();
    let decided: Vec<&str> = a
        .threats
        .iter()
        .filter(|t| {
            t.status(&m) == Status::Mitigated
                && t.triage(&m).is_none_or(|x| x.status == Status::Open)
        })
        .map(|t| t.id.as_str())
        .collect();
    assert!(decided.len() >= 4, "controls decide threats: {decided:?}");
    let want: Vec<(String, Status)> = a
        .threats
        .iter()
        .map(|t| (t.id.as_str().to_owned(), t.status(&m)))
        .collect();
    // The pretty JSON, streamed.
    let mut json = Vec::new();
    palisade::report::text::write_threats_json(&mut json, &m, cat, &a).expect("json");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    let key = |s: Status| s.key().to_owned();
    let got: Vec<(String, String)> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
            (s("id"), s("status"))
        })
        .collect();
    let want_keys: Vec<(String, String)> =
        want.iter().map(|(id, s)| (id.clone(), key(*s))).collect();
    assert_eq!(got, want_keys, "pretty JSON");
    // JSON Lines.
    let mut lines = Vec::new();
    palisade::report::jsonl::write(&mut lines, &m, cat, &a, None).expect("jsonl");
    let text = String::from_utf8(lines).expect("UTF-8");
    let got: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let t: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
            (s("id"), s("status"))
        })
        .collect();
    assert_eq!(got, want_keys, "JSON Lines");
    for id in &decided {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("\"id\":\"{id}\"")))
            .unwrap_or_default();
        assert!(line.contains("mitigated by"), "{id}: {line}");
    }
    // The views (reports) and their counts.
    let views = palisade::report::threat_views(&m, cat, &a);
    assert!(
        views
            .iter()
            .zip(&want)
            .all(|(v, (id, s))| v.id == *id && v.status == *s)
    );
    let open = want.iter().filter(|(_, s)| s.is_untriaged()).count();
    assert_eq!(
        views.iter().filter(|v| v.status.is_untriaged()).count(),
        open
    );
    // `check` counts the same untriaged threats.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["check", EXAMPLE])
        .current_dir(crate::common::root())
        .output()
        .expect("run palisade");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains(&format!("{open} untriaged,")), "{out}");
}
