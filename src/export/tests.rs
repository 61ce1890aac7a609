//! The typed OTM and Threat Dragon writers give the bytes of the `serde_json::Value`
//! trees they replaced ([`super::legacy`]), JSON and YAML, on every example and on a
//! model made to be awkward.

use super::{ExportFormat, export, legacy};
use crate::analysis::analyze;
use crate::model::{
    Boundary, BoundaryKind, Channel, Control, Element, Flow, ManualThreat, Model, RiskScale,
    Severity, Status, Stride, SubjectRef, Triage, Value,
};
use crate::rules::Catalog;

/// What the old writers produced for `model`: OTM JSON, OTM YAML, Threat Dragon JSON.
fn old_bytes(model: &Model, cat: &Catalog) -> [String; 3] {
    let a = analyze(model, cat);
    let otm = legacy::otm_document(model, cat, &a);
    let td = legacy::tdragon_document(model, cat, &a);
    let pretty = |v: &serde_json::Value| {
        let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|e| panic!("{e}"));
        s.push('\n');
        s
    };
    [
        pretty(&otm),
        serde_norway::to_string(&otm).unwrap_or_else(|e| panic!("{e}")),
        pretty(&td),
    ]
}

/// What the typed writers produce for `model`, in the order of [`old_bytes`].
fn new_bytes(model: &Model, cat: &Catalog) -> [String; 3] {
    let a = analyze(model, cat);
    let run = |format, yaml| {
        let bytes = export(model, cat, &a, format, yaml).unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{e}"))
    };
    [
        run(ExportFormat::Otm, false),
        run(ExportFormat::Otm, true),
        run(ExportFormat::ThreatDragon, false),
    ]
}

/// Asserts that both writers agree on `model`, naming the first differing line.
fn same(name: &str, model: &Model, cat: &Catalog) {
    let (old, new) = (old_bytes(model, cat), new_bytes(model, cat));
    for (what, (o, n)) in ["OTM", "OTM YAML", "Threat Dragon"]
        .iter()
        .zip(old.iter().zip(new.iter()))
    {
        if o != n {
            let line = o.lines().zip(n.lines()).position(|(a, b)| a != b);
            let at = line.unwrap_or(o.lines().count().min(n.lines().count()));
            panic!(
                "{name}, {what}: differs at line {}:\n old: {:?}\n new: {:?}",
                at + 1,
                o.lines().nth(at),
                n.lines().nth(at)
            );
        }
    }
}

/// A loaded example.
fn example(name: &str) -> Model {
    let path = format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    crate::persist::load(std::path::Path::new(&path))
        .map(|l| l.model)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_example_exports_the_bytes_of_the_value_tree() {
    let cat = Catalog::builtin();
    let dir = format!("{}/examples", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ron"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in &names {
        same(name, &example(name), &cat);
    }
}

/// A triage record for `threat`.
fn triage(threat: &str, status: Status) -> Triage {
    Triage {
        threat: threat.into(),
        status,
        ..Triage::default()
    }
}

/// An example with relations, made awkward: unicode, quotes, control characters and
/// empty text; nested, dangling and one-character boundaries; elements outside every
/// boundary; manual threats on every kind of subject; triage of every status with
/// overrides, CVSS vectors and orphans; controls; a 3×3 risk scale; non-finite
/// coordinates; notes, lists and provenance.
fn awkward() -> Model {
    let mut m = example("kubernetes-cluster.ron");
    let md = &mut m.metadata;
    md.title = "\"Zürich\" — 東京 \\ tab\t<script>".into();
    md.owner = String::new();
    md.reviewers = vec!["Ångström \"A\"".into(), String::new()];
    md.description = "line one\nline two\r\n\u{0}\u{1f}\u{7f}\u{2028} 🦀".into();
    md.risk_matrix = RiskScale::Three;
    // Boundaries: an outer one, a nested one with a one-character id, one whose parent
    // is missing, and a degenerate rectangle.
    let mut add_boundary = |id: &str, parent: Option<&str>, rect: (f64, f64, f64, f64)| {
        let b = Boundary {
            id: id.into(),
            name: format!("boundary “{id}” ✓"),
            kind: BoundaryKind::Internet,
            trust: 3,
            parent: parent.map(Into::into),
            rect,
            ..Boundary::default()
        };
        m.boundaries.insert(b.id.clone(), b);
    };
    add_boundary("outer", None, (10.5, -20.25, 1000.0, 800.0));
    add_boundary("z", Some("outer"), (100.0, 100.0, 0.0, 3.0));
    add_boundary(
        "lost-parent",
        Some("no-such-boundary"),
        (f64::NAN, 1e300, 5.0, 5.0),
    );
    let mut add_element = |id: &str, boundary: Option<&str>, pos: (f64, f64)| {
        let mut e = Element {
            id: id.into(),
            name: format!("élément \"{id}\"\n"),
            kind: "generic.process".into(),
            boundary: boundary.map(Into::into),
            pos,
            ..Element::default()
        };
        e.props
            .insert("note.description".into(), Value::Text("a “note”\\".into()));
        e.props
            .insert("list".into(), Value::List(vec!["a\"b".into(), "ü".into()]));
        e.props.insert("n".into(), Value::Number(0.1 + 0.2));
        e.props.insert("whole".into(), Value::Number(-0.0));
        e.props.insert("empty".into(), Value::Text(String::new()));
        e.props.insert("Upper".into(), Value::Bool(true));
        e.provenance
            .insert("n".into(), "deploy.yaml doc 3, spec.x".into());
        m.elements.insert(e.id.clone(), e);
    };
    add_element("x", Some("z"), (1.0 / 3.0, 2e-7));
    add_element("floating", None, (f64::INFINITY, -5.5));
    add_element("dangling", Some("gone"), (0.0, 0.0));
    add_element("nested", Some("outer"), (300.0, 300.0));
    let mut add_flow = |id: &str, source: &str, target: &str, channel: Channel| {
        let mut f = Flow {
            id: id.into(),
            name: String::new(),
            source: source.into(),
            target: target.into(),
            channel,
            ..Flow::default()
        };
        f.props
            .insert("protocol".into(), Value::Text("HTTP/1.1 \"plain\"".into()));
        f.props.insert("encrypted".into(), Value::Bool(false));
        f.props
            .insert("note.description".into(), Value::Text("ü".into()));
        f.props.insert("port".into(), Value::Number(8080.0));
        m.flows.insert(f.id.clone(), f);
    };
    add_flow("f", "x", "floating", Channel::Network);
    add_flow("back", "floating", "x", Channel::Network);
    add_flow("sock", "nested", "dangling", Channel::UnixSocket);
    add_flow("to-nowhere", "x", "missing-element", Channel::Loopback);
    // Manual threats on each kind of subject.
    let subjects = [
        SubjectRef::Element("x".into()),
        SubjectRef::Flow("f".into()),
        SubjectRef::Boundary("z".into()),
        SubjectRef::Boundary("outer".into()),
        SubjectRef::Model,
        SubjectRef::Model,
    ];
    for (i, subject) in subjects.into_iter().enumerate() {
        let t = ManualThreat {
            id: format!("MANUAL-{i:03}").as_str().into(),
            title: format!("Manual “{i}” \"quoted\""),
            category: Stride::Tampering,
            severity: [Severity::Critical, Severity::Low, Severity::High][i % 3],
            subject,
            description: if i == 1 {
                String::new()
            } else {
                "déjà\nvu".into()
            },
            mitigations: match i {
                0 => vec!["Shared mitigation".into(), "Ünique ✓".into()],
                1 => Vec::new(),
                _ => vec!["Shared mitigation".into()],
            },
            cvss: if i == 2 {
                "  CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ".into()
            } else {
                String::new()
            },
        };
        m.manual_threats.insert(t.id.clone(), t);
    }
    // Triage: every status, on generated and manual threats, and orphans.
    let a = analyze(&m, &Catalog::builtin());
    let statuses = [
        Status::Open,
        Status::Mitigated,
        Status::AcceptedRisk,
        Status::NotApplicable,
        Status::Transferred,
        Status::NeedsInvestigation,
    ];
    for (i, t) in a.threats.iter().enumerate().step_by(3) {
        let mut tr = triage(t.id.as_str(), statuses[i % statuses.len()]);
        if i % 2 == 0 {
            tr.severity = Some(Severity::Critical);
            tr.justification = "because \"reasons\" — 理由".into();
            tr.owner = "ops\t".into();
            tr.ticket = "https://example.com/?a=1&b=<2>".into();
            tr.reviewed_by = "Ω".into();
            tr.date = "2026-12-02".into();
            tr.subject_name = "the subject".into();
            tr.cvss = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N".into();
        }
        m.triage.insert(tr.threat.clone(), tr);
    }
    for (i, id) in ["GONE-01@element:nothing", "GONE-02@flow:x/boundary:z"]
        .iter()
        .enumerate()
    {
        let mut tr = triage(id, Status::AcceptedRisk);
        tr.kept_as_history = i == 0;
        tr.severity = (i == 1).then_some(Severity::Medium);
        m.triage.insert(tr.threat.clone(), tr);
    }
    let control = Control {
        id: "CTL-ü".into(),
        title: "A \"control\"".into(),
        threats: vec!["MANUAL-000".into()],
        ..Control::default()
    };
    m.controls.insert(control.id.clone(), control);
    m
}

#[test]
fn an_awkward_model_exports_the_bytes_of_the_value_tree() {
    let cat = Catalog::builtin();
    let m = awkward();
    let a = analyze(&m, &cat);
    // The model has what it is meant to have.
    assert!(!a.orphans.is_empty(), "orphans");
    assert!(m.relations.len() > 1 && !m.controls.is_empty());
    same("awkward", &m, &cat);
    // And the same with nothing in it but an empty title.
    same("empty", &Model::new(""), &cat);
    let mut bare = Model::new("   ");
    bare.metadata.reviewers = vec![String::new()];
    same("bare", &bare, &cat);
}
