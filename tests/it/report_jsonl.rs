//! `threats --format jsonl` says what `--format json` says: every field of every threat
//! of the pretty JSON can be rebuilt from the header's rule table and the threat's line.

use crate::common::{catalog, load};
use palisade::analysis::{analyze, paths};
use palisade::report::{jsonl, text};
use serde_json::{Map, Value};

fn rebuild(header: &Value, line: &Value) -> Value {
    let mut t = Map::new();
    let rule = line["rule"].as_str().unwrap_or_default();
    let manual = rule == "manual";
    let r = &header["rules"][rule];
    let s = |v: &Value| v.clone();
    let or_empty = |k: &str| line.get(k).cloned().unwrap_or(Value::String(String::new()));
    t.insert("id".into(), s(&line["id"]));
    t.insert("rule_id".into(), s(&line["rule"]));
    t.insert(
        "title".into(),
        if manual {
            s(&line["title"])
        } else {
            s(&r["title"])
        },
    );
    t.insert("category".into(), s(&line["category"]));
    t.insert("severity".into(), s(&line["severity"]));
    t.insert(
        "rule_severity".into(),
        line.get("rule_severity")
            .cloned()
            .unwrap_or_else(|| s(&line["severity"])),
    );
    t.insert(
        "likelihood".into(),
        if manual {
            Value::from("medium")
        } else {
            s(&r["likelihood"])
        },
    );
    t.insert("status".into(), s(&line["status"]));
    t.insert("subject".into(), s(&line["subject"]));
    t.insert("description".into(), s(&line["description"]));
    t.insert(
        "why".into(),
        line.get("why").cloned().unwrap_or(Value::Array(vec![])),
    );
    t.insert(
        "mitigations".into(),
        if manual {
            s(&line["mitigations"])
        } else {
            s(&r["mitigations"])
        },
    );
    t.insert(
        "references".into(),
        if manual {
            Value::Array(vec![])
        } else {
            s(&r["references"])
        },
    );
    t.insert(
        "template".into(),
        if manual {
            Value::from("")
        } else {
            s(&r["template"])
        },
    );
    for k in ["justification", "owner", "ticket", "reviewed_by", "date"] {
        t.insert(k.into(), or_empty(k));
    }
    if let Some(p) = line.get("attack_paths") {
        t.insert("on_attack_path".into(), Value::Bool(true));
        t.insert("attack_paths".into(), p.clone());
    }
    Value::Object(t)
}

#[test]
fn jsonl_carries_every_field_of_the_json() {
    let cat = catalog();
    for name in [
        "kubernetes-cluster",
        "docker-attack-surface",
        "kubeflow-mlops",
        "docker-hardened",
    ] {
        let m = load(&format!("examples/{name}.ron"));
        let a = analyze(&m, cat);
        let p = paths::find(&m, cat, &a, &paths::Query::default()).expect("paths");
        let mut json = Vec::new();
        text::write_threats_json_with_paths(&mut json, &m, cat, &a, Some(&p)).expect("json");
        let want: Value = serde_json::from_slice(&json).expect("json parses");
        let mut out = Vec::new();
        jsonl::write(&mut out, &m, cat, &a, Some(&p)).expect("jsonl");
        let text = String::from_utf8(out).expect("UTF-8");
        let mut lines = text.lines();
        let header: Value = serde_json::from_str(lines.next().expect("header")).expect("header");
        assert_eq!(header["format"], "palisade-threats");
        assert_eq!(header["threats"], a.threats.len());
        let got: Vec<Value> = lines
            .map(|l| {
                assert!(!l.contains('\n') && l.starts_with('{'), "{l}");
                rebuild(&header, &serde_json::from_str(l).expect("line parses"))
            })
            .collect();
        let want = want.as_array().expect("array");
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "{name}");
        }
        if got.is_empty() {
            assert_eq!(text.lines().count(), 1, "{name}: the header alone");
            continue;
        }
        // Smaller than the pretty JSON: the rule texts are written once.
        assert!(
            text.len() * 4 < json.len() * 3,
            "{name}: {} vs {}",
            text.len(),
            json.len()
        );
    }
}

/// Triage (status, severity override, justification) and manual threats come through.
#[test]
fn jsonl_keeps_triage_and_manual_threats() {
    let cat = catalog();
    let mut m = load("examples/kubernetes-cluster.ron");
    let a0 = analyze(&m, cat);
    let t0 = a0.threats[0].id.clone();
    m.triage.insert(
        t0.clone(),
        palisade::model::Triage {
            threat: t0.clone(),
            status: palisade::model::Status::AcceptedRisk,
            severity: Some(palisade::model::Severity::Low),
            justification: "Known \"risk\"\nline two".into(),
            owner: "sec".into(),
            ..Default::default()
        },
    );
    m.manual_threats.insert(
        "MANUAL-9".into(),
        palisade::model::ManualThreat {
            id: "MANUAL-9".into(),
            title: "Hand-written".into(),
            category: palisade::model::Stride::Tampering,
            severity: palisade::model::Severity::High,
            subject: palisade::model::SubjectRef::Model,
            description: "By hand".into(),
            mitigations: vec!["Do it".into()],
            cvss: String::new(),
        },
    );
    let a = analyze(&m, cat);
    let mut out = Vec::new();
    jsonl::write(&mut out, &m, cat, &a, None).expect("jsonl");
    let text = String::from_utf8(out).expect("UTF-8");
    let lines: Vec<Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    let tri = lines
        .iter()
        .find(|l| l["id"] == t0.as_str())
        .expect("triaged threat");
    assert_eq!(tri["status"], "accepted_risk");
    assert_eq!(tri["severity"], "low");
    assert!(tri["rule_severity"].is_string());
    assert_eq!(tri["justification"], "Known \"risk\"\nline two");
    assert_eq!(tri["owner"], "sec");
    assert!(tri.get("ticket").is_none());
    let man = lines
        .iter()
        .find(|l| l["id"] == "MANUAL-9")
        .expect("manual threat");
    assert_eq!(man["rule"], "manual");
    assert_eq!(man["title"], "Hand-written");
    assert_eq!(man["mitigations"][0], "Do it");
}
