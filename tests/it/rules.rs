//! Data-driven rule tests. Each `tests/rules/*.ron` file lists cases: a model, the threat
//! ids that must fire in it, and the rule ids that must not fire anywhere in it. A test
//! checks every built-in rule has at least one case where it fires and one where it
//! does not, so no rule ships without evidence in both directions.

use crate::common::{analysed, catalog, root};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    /// What the case shows.
    name: String,
    /// Model path relative to the repository root.
    model: String,
    /// Threat ids that must be present.
    #[serde(default)]
    fires: Vec<String>,
    /// Rule ids that must produce no threat at all in this model.
    #[serde(default)]
    quiet: Vec<String>,
}

fn cases() -> Vec<(String, Case)> {
    let dir = root().join("tests/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let cf: CaseFile = ron::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for c in cf.cases {
            out.push((f.file_name().unwrap().to_string_lossy().into_owned(), c));
        }
    }
    out
}

#[test]
fn rule_cases_hold() {
    let mut failures = Vec::new();
    for (file, case) in cases() {
        let (_m, a) = analysed(&case.model);
        let ids: BTreeSet<&str> = a.threats.iter().map(|t| t.id.as_str()).collect();
        let fired_rules: BTreeSet<&str> = a
            .threats
            .iter()
            .map(|t| t.id.as_str().split('@').next().unwrap_or(""))
            .collect();
        for want in &case.fires {
            if !ids.contains(want.as_str()) {
                failures.push(format!(
                    "{file} / {}: expected {want} to fire in {}",
                    case.name, case.model
                ));
            }
        }
        for rule in &case.quiet {
            if fired_rules.contains(rule.as_str()) {
                let hits: Vec<&&str> = ids
                    .iter()
                    .filter(|i| i.starts_with(&format!("{rule}@")))
                    .take(3)
                    .collect();
                failures.push(format!(
                    "{file} / {}: expected {rule} not to fire in {}, got {hits:?}",
                    case.name, case.model
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule case failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_builtin_rule_has_a_firing_and_a_quiet_case() {
    let mut fires: BTreeMap<String, usize> = BTreeMap::new();
    let mut quiet: BTreeMap<String, usize> = BTreeMap::new();
    for (_, c) in cases() {
        for f in &c.fires {
            *fires
                .entry(f.split('@').next().unwrap_or("").to_owned())
                .or_default() += 1;
        }
        for q in &c.quiet {
            *quiet.entry(q.clone()).or_default() += 1;
        }
    }
    let mut missing = Vec::new();
    for r in &catalog().rules {
        if r.rule.deprecated.is_some() {
            continue;
        }
        if !fires.contains_key(&r.rule.id) {
            missing.push(format!("{}: no case where it fires", r.rule.id));
        }
        if !quiet.contains_key(&r.rule.id) {
            missing.push(format!("{}: no case where it stays quiet", r.rule.id));
        }
    }
    assert!(
        missing.is_empty(),
        "{} gaps:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn every_builtin_rule_cites_a_reference() {
    for r in &catalog().rules {
        assert!(
            !r.rule.references.is_empty(),
            "{} has no reference",
            r.rule.id
        );
    }
}

/// `Peer` looks for a member other than the element itself. With the matching members
/// found once per boundary (not once per element), the element that is the only match
/// must still not count as its own peer, and every other member must see it.
#[test]
fn peer_never_counts_the_element_itself_in_a_large_boundary() {
    use palisade::analysis::analyze;
    use palisade::model::{Boundary, BoundaryKind, Element, Model, Value};
    use palisade::rules::Catalog;
    let rule = r#"(
    id: "peer-test",
    name: "Peer test",
    version: "1.0.0",
    group: "Test",
    description: "A rule that reads a peer of the same kind.",
    stencils: [],
    rules: [
        (
            id: "TEST-PEER-01",
            title: "Shares a namespace with an input-validating process",
            category: Tampering,
            applies: Elements(["generic.process"]),
            condition: Peer(Namespace, "generic.process", Is(Element, "validates_input", true)),
            severity: Low,
            likelihood: Low,
            description: "{element} has a validating peer.",
            mitigations: ["None"],
            references: ["CWE-20"],
        ),
    ],
)"#;
    let mut sources = palisade::rules::catalog::builtin_sources();
    sources.push(palisade::persist::Source::new("peer-test.ron", rule, false));
    let cat = Catalog::from_sources(sources);
    assert!(!cat.has_errors(), "{:?}", cat.diagnostics);
    let mut m = Model::new("peer");
    m.boundaries.insert(
        "ns".into(),
        Boundary {
            props: Default::default(),
            id: "ns".into(),
            name: "ns".into(),
            kind: BoundaryKind::Namespace,
            trust: 5,
            parent: None,
            rect: (0.0, 0.0, 100.0, 100.0),
        },
    );
    let n = 2_000;
    let matching = [7usize, 1_500];
    for i in 0..n {
        let id = format!("p{i:05}");
        let mut props = palisade::model::Props::new();
        props.insert(
            "validates_input".to_owned(),
            Value::Bool(matching.contains(&i)),
        );
        m.elements.insert(
            id.as_str().into(),
            Element {
                provenance: Default::default(),
                id: id.as_str().into(),
                name: id.clone(),
                kind: "generic.process".into(),
                boundary: Some("ns".into()),
                pos: (1.0, 1.0),
                props,
                entry_point: false,
                crown_jewel: false,
            },
        );
    }
    let fired = |m: &Model| -> Vec<String> {
        analyze(m, &cat)
            .threats
            .iter()
            .filter(|t| t.id.as_str().starts_with("TEST-PEER-01@"))
            .map(|t| t.id.as_str().to_owned())
            .collect()
    };
    // Two matching members: every element has a peer (the matches see each other).
    assert_eq!(fired(&m).len(), n);
    // One matching member: it has no peer; everyone else does.
    m.elements.get_mut("p01500").map(|e| {
        e.props
            .insert("validates_input".to_owned(), Value::Bool(false))
    });
    let f = fired(&m);
    assert_eq!(f.len(), n - 1);
    assert!(!f.contains(&"TEST-PEER-01@element:p00007".to_owned()));
    // None: quiet everywhere.
    m.elements.get_mut("p00007").map(|e| {
        e.props
            .insert("validates_input".to_owned(), Value::Bool(false))
    });
    assert!(fired(&m).is_empty());
}

/// On the hardened examples every threat that fires is a residual risk the model's
/// description names (by rule id), and every rule the description names fires: the list
/// a reviewer reads is the list the tool produces, with nothing false or repeated.
#[test]
fn hardened_examples_explain_every_threat_in_their_description() {
    for path in [
        "examples/kubernetes-hardened.ron",
        "examples/docker-rootless-compose.ron",
        "examples/docker-hardened.ron",
    ] {
        let (m, a) = analysed(path);
        let fired: BTreeSet<&str> = a
            .threats
            .iter()
            .map(|t| t.id.as_str().split('@').next().unwrap_or(""))
            .collect();
        let desc = &m.metadata.description;
        let named: BTreeSet<&str> = catalog()
            .rules
            .iter()
            .map(|r| r.rule.id.as_str())
            .filter(|id| {
                desc.match_indices(id).any(|(i, _)| {
                    // A whole id: `K8S-E-04`, not the start of `K8S-E-041`.
                    !desc[i + id.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
                })
            })
            .collect();
        assert_eq!(
            fired, named,
            "{path}: fired rules vs rules its description explains"
        );
        // One threat per flow for crossing rules: no id names a boundary.
        assert!(
            a.threats
                .iter()
                .all(|t| !t.id.as_str().contains("/boundary:")),
            "{path}"
        );
    }
}
