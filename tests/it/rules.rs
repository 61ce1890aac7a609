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
