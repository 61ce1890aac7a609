//! The streamed `threats --format json` writer gives the bytes `serde_json` gives for the
//! threat views (attack paths marked), on every example and on a generated model with
//! triage, controls, CVSS vectors, manual threats and hostile text, large enough to be
//! written in chunks on two threads.

use crate::common::{catalog, load, root};
use palisade::analysis::{Analysis, analyze, paths};
use palisade::model::{
    BoundaryId, Control, ControlStatus, ElementId, FlowId, ManualThreat, Model, RelationId,
    Severity, Status, Stride, SubjectRef, ThreatId, Triage,
};
use palisade::report::{self, text};

/// What the streamed writer must equal: every view, marked with its paths, through
/// `serde_json::to_string_pretty`, and a final newline.
fn want(m: &Model, a: &Analysis, p: &paths::Paths) -> String {
    let cat = catalog();
    let views: Vec<report::ThreatView> = a
        .threats
        .iter()
        .map(|t| {
            let mut v = report::threat_view(m, cat, t);
            report::mark_paths(&mut v, t, p);
            v
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&views).expect("views serialise");
    s.push('\n');
    s
}

fn streamed(m: &Model, a: &Analysis, p: Option<&paths::Paths>) -> String {
    let mut out = Vec::new();
    text::write_threats_json_with_paths(&mut out, m, catalog(), a, p).expect("write");
    String::from_utf8(out).expect("UTF-8")
}

/// Asserts equality, naming the first line that differs (the texts are large).
fn same(got: &str, want: &str, what: &str) {
    if got == want {
        return;
    }
    let line = got
        .lines()
        .zip(want.lines())
        .position(|(g, w)| g != w)
        .unwrap_or(got.lines().count().min(want.lines().count()));
    panic!(
        "{what}: differs at line {}:\n got: {:?}\nwant: {:?}",
        line + 1,
        got.lines().nth(line),
        want.lines().nth(line)
    );
}

#[test]
fn the_streamed_json_of_every_example_is_serde_jsons() {
    let cat = catalog();
    let names = crate::common::examples();
    assert!(names.len() >= 5, "{names:?}");
    let mut with_paths = 0;
    for path in names {
        let rel = path.strip_prefix(root()).expect("under the root");
        let m = load(&rel.to_string_lossy());
        let a = analyze(&m, cat);
        let p = paths::find(&m, cat, &a, &paths::Query::default()).expect("paths");
        let got = streamed(&m, &a, Some(&p));
        same(&got, &want(&m, &a, &p), &rel.to_string_lossy());
        with_paths += usize::from(got.contains("\"attack_paths\": ["));
        // Without paths: the same as the views' JSON without marks.
        let plain = text::json(&report::threat_views(&m, cat, &a));
        same(&streamed(&m, &a, None), &plain, &rel.to_string_lossy());
    }
    assert!(with_paths >= 3, "{with_paths} examples with attack paths");
}

/// `copies` copies of `m`, every id of copy `k > 0` ending in `-k` (copy 0 keeps the
/// ids, so its triage, controls and manual threats still name its threats).
fn replicated(m: &Model, copies: usize) -> Model {
    let mut out = m.clone();
    for k in 1..copies {
        let sfx = |id: &str| format!("{id}-{k}");
        for b in m.boundaries.values() {
            let mut b = b.clone();
            b.id = BoundaryId::from(sfx(b.id.as_str()).as_str());
            b.parent = b.parent.map(|p| BoundaryId::from(sfx(p.as_str()).as_str()));
            out.boundaries.insert(b.id.clone(), b);
        }
        for e in m.elements.values() {
            let mut e = e.clone();
            e.id = ElementId::from(sfx(e.id.as_str()).as_str());
            e.name = format!("{} #{k}", e.name);
            e.boundary = e
                .boundary
                .map(|b| BoundaryId::from(sfx(b.as_str()).as_str()));
            out.elements.insert(e.id.clone(), e);
        }
        for f in m.flows.values() {
            let mut f = f.clone();
            f.id = FlowId::from(sfx(f.id.as_str()).as_str());
            f.source = ElementId::from(sfx(f.source.as_str()).as_str());
            f.target = ElementId::from(sfx(f.target.as_str()).as_str());
            out.flows.insert(f.id.clone(), f);
        }
        for r in m.relations.values() {
            let mut r = r.clone();
            r.id = RelationId::from(sfx(r.id.as_str()).as_str());
            r.source = ElementId::from(sfx(r.source.as_str()).as_str());
            r.target = ElementId::from(sfx(r.target.as_str()).as_str());
            out.relations.insert(r.id.clone(), r);
        }
    }
    out
}

#[test]
fn the_streamed_json_of_a_large_triaged_model_is_serde_jsons() {
    let cat = catalog();
    let base = load("examples/kubernetes-cluster.ron");
    let mut m = replicated(&base, 45);
    let a0 = analyze(&m, cat);
    // More threats than one thread writes alone, so chunks come from both threads.
    assert!(a0.threats.len() > 5_000, "{}", a0.threats.len());
    let ids: Vec<ThreatId> = a0.threats.iter().map(|t| t.id.clone()).collect();
    const VALID: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let statuses = [
        Status::Mitigated,
        Status::AcceptedRisk,
        Status::NeedsInvestigation,
        Status::Open,
        Status::NotApplicable,
    ];
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 7 == 0) {
        m.triage.insert(
            id.clone(),
            Triage {
                threat: id.clone(),
                status: statuses[i % statuses.len()],
                severity: (i % 3 == 0).then_some(Severity::Low),
                justification: format!("line \"{i}\"\nand\ttab \u{1} \u{7f} é ✓ \\ / </script>"),
                owner: "sec".into(),
                ticket: format!("SEC-{i}"),
                reviewed_by: "R. Viewer".into(),
                date: "2026-11-30".into(),
                cvss: match i % 4 {
                    0 => VALID.into(),
                    1 => "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N".into(),
                    2 => "not a vector".into(),
                    _ => String::new(),
                },
                ..Default::default()
            },
        );
    }
    // A control in place that names open threats: their why says so.
    m.controls.insert(
        "CTL-1".into(),
        Control {
            id: "CTL-1".into(),
            title: "Network \"policies\"".into(),
            status: ControlStatus::Verified,
            threats: ids.iter().skip(1).step_by(97).cloned().collect(),
            ..Default::default()
        },
    );
    for (i, subject) in [
        SubjectRef::Model,
        SubjectRef::Element(base.elements.keys().next().expect("an element").clone()),
        SubjectRef::Element("no-such-element".into()),
    ]
    .into_iter()
    .enumerate()
    {
        let id = ThreatId::from(format!("MANUAL-{i}").as_str());
        m.manual_threats.insert(
            id.clone(),
            ManualThreat {
                id,
                title: format!("Hand-written {i} \u{2028}"),
                category: Stride::Tampering,
                severity: Severity::High,
                subject,
                description: "By \"hand\"\r\n".into(),
                mitigations: if i == 0 {
                    Vec::new()
                } else {
                    vec!["Do it".into()]
                },
                cvss: if i == 1 { VALID.into() } else { String::new() },
            },
        );
    }
    let a = analyze(&m, cat);
    let p = paths::find(&m, cat, &a, &paths::Query::default()).expect("paths");
    let got = streamed(&m, &a, Some(&p));
    for needle in [
        "\"cvss_base\": 9.8",
        "\"cvss\": \"not a vector\"",
        "\"on_attack_path\": true",
        "\"rule_id\": \"manual\"",
        "\"status\": \"accepted_risk\"",
        "`CTL-1`",
        "\\u0001",
    ] {
        assert!(got.contains(needle), "{needle}");
    }
    same(&got, &want(&m, &a, &p), "replicated kubernetes-cluster");
}
