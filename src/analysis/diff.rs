//! What changed between two versions of a model: its items, its properties, and the
//! threats that opened, closed or lost their subject.

use super::{Analysis, analyze};
use crate::model::{Model, Props, Relation, Value};
use crate::rules::Catalog;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// One line of a diff: `+` added, `-` removed, `~` changed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Section: `element`, `flow`, `boundary`, `relation`, `control`, `threat`, `triage`,
    /// `metadata`.
    pub section: &'static str,
    /// `+`, `-` or `~`.
    pub sign: char,
    /// What changed.
    pub text: String,
}

/// The changes from `old` to `new`, in section then text order.
pub fn diff(old: &Model, new: &Model, cat: &Catalog) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |section, sign, text: String| {
        out.push(Change {
            section,
            sign,
            text,
        })
    };
    if old.metadata != new.metadata {
        push(
            "metadata",
            '~',
            "title, owner, reviewers or description changed".to_owned(),
        );
    }
    items(
        &old.elements,
        &new.elements,
        "element",
        &mut push,
        |a, b, id, push| {
            if a.name != b.name {
                push(
                    "element",
                    '~',
                    format!("{id}: name {:?} -> {:?}", a.name, b.name),
                );
            }
            if a.kind != b.kind {
                push(
                    "element",
                    '~',
                    format!("{id}: kind {} -> {}", a.kind, b.kind),
                );
            }
            if a.boundary != b.boundary {
                push(
                    "element",
                    '~',
                    format!(
                        "{id}: boundary {} -> {}",
                        opt(&a.boundary),
                        opt(&b.boundary)
                    ),
                );
            }
            if a.pos != b.pos {
                push("element", '~', format!("{id}: moved"));
            }
            props(&a.props, &b.props, "element", id, push);
        },
    );
    items(
        &old.flows,
        &new.flows,
        "flow",
        &mut push,
        |a, b, id, push| {
            if a.name != b.name {
                push(
                    "flow",
                    '~',
                    format!("{id}: name {:?} -> {:?}", a.name, b.name),
                );
            }
            if (&a.source, &a.target) != (&b.source, &b.target) {
                push(
                    "flow",
                    '~',
                    format!(
                        "{id}: {} -> {} is now {} -> {}",
                        a.source, a.target, b.source, b.target
                    ),
                );
            }
            if a.channel != b.channel {
                push(
                    "flow",
                    '~',
                    format!(
                        "{id}: channel {} -> {}",
                        a.channel.label(),
                        b.channel.label()
                    ),
                );
            }
            props(&a.props, &b.props, "flow", id, push);
        },
    );
    items(
        &old.boundaries,
        &new.boundaries,
        "boundary",
        &mut push,
        |a, b, id, push| {
            if a.name != b.name || a.kind != b.kind || a.trust != b.trust || a.parent != b.parent {
                push(
                    "boundary",
                    '~',
                    format!(
                        "{id}: {:?} {} trust {} in {} -> {:?} {} trust {} in {}",
                        a.name,
                        a.kind.label(),
                        a.trust,
                        opt(&a.parent),
                        b.name,
                        b.kind.label(),
                        b.trust,
                        opt(&b.parent)
                    ),
                );
            }
            if a.rect != b.rect {
                push("boundary", '~', format!("{id}: moved or resized"));
            }
            props(&a.props, &b.props, "boundary", id, push);
        },
    );
    relations(old, new, cat, &mut push);
    let (ao, an): (Analysis, Analysis) = (analyze(old, cat), analyze(new, cat));
    let ids = |a: &Analysis| {
        a.threats
            .iter()
            .map(|t| t.id.0.clone())
            .collect::<BTreeSet<_>>()
    };
    let (to, tn) = (ids(&ao), ids(&an));
    for id in tn.difference(&to) {
        push("threat", '+', format!("opened {id}"));
    }
    for id in to.difference(&tn) {
        push("threat", '-', format!("closed {id}"));
    }
    super::controls::diff_into(old, new, &ao.threats, &an.threats, &term, &mut push);
    let orphan_old: BTreeSet<_> = ao.orphans.iter().collect();
    for o in &an.orphans {
        if !orphan_old.contains(o) {
            push(
                "triage",
                '!',
                format!("orphaned {o} (its threat no longer exists; the record is kept)"),
            );
        }
    }
    for (id, t) in &new.triage {
        match old.triage.get(id) {
            None => push("triage", '+', format!("{id}: {}", t.status.label())),
            Some(o) if o != t => push(
                "triage",
                '~',
                format!("{id}: {} -> {}", o.status.label(), t.status.label()),
            ),
            _ => {}
        }
    }
    for id in old.triage.keys() {
        if !new.triage.contains_key(id) {
            push("triage", '-', format!("{id}: record deleted"));
        }
    }
    out
}

/// Relations added, removed and changed. An added or removed relation is spelled out
/// (`web uses service account payments-sa`): its id alone says nothing to a reviewer.
fn relations(
    old: &Model,
    new: &Model,
    cat: &Catalog,
    push: &mut dyn FnMut(&'static str, char, String),
) {
    let name = |k: &str| {
        cat.relation_kind(k)
            .map_or(k, |r| r.name.as_str())
            .to_owned()
    };
    let spell = |r: &Relation| {
        format!(
            "{}: {} {} {} ({})",
            r.id,
            r.source,
            term(&name(&r.kind)),
            r.target,
            r.kind
        )
    };
    for (id, b) in &new.relations {
        let Some(a) = old.relations.get(id) else {
            push("relation", '+', spell(b));
            continue;
        };
        if a.kind != b.kind {
            push(
                "relation",
                '~',
                format!("{id}: kind {} -> {}", a.kind, b.kind),
            );
        }
        if (&a.source, &a.target) != (&b.source, &b.target) {
            push(
                "relation",
                '~',
                format!(
                    "{id}: {} -> {} is now {} -> {}",
                    a.source, a.target, b.source, b.target
                ),
            );
        }
        props(&a.props, &b.props, "relation", id, push);
    }
    for (id, a) in &old.relations {
        if !new.relations.contains_key(id) {
            push("relation", '-', spell(a));
        }
    }
}

/// Text from a file, safe for a terminal: control characters (escape sequences, line
/// breaks) are written as Rust escapes.
fn term(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        s.to_owned()
    }
}

fn opt<T: std::fmt::Display>(o: &Option<T>) -> String {
    o.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "(none)".into())
}

fn items<K: Ord + std::fmt::Display, V>(
    old: &BTreeMap<K, V>,
    new: &BTreeMap<K, V>,
    section: &'static str,
    push: &mut dyn FnMut(&'static str, char, String),
    changed: impl Fn(&V, &V, &K, &mut dyn FnMut(&'static str, char, String)),
) {
    for (k, v) in new {
        match old.get(k) {
            None => push(section, '+', format!("{k}")),
            Some(o) => changed(o, v, k, push),
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            push(section, '-', format!("{k}"));
        }
    }
}

fn props(
    a: &Props,
    b: &Props,
    section: &'static str,
    id: &dyn std::fmt::Display,
    push: &mut dyn FnMut(&'static str, char, String),
) {
    let show = |v: Option<&Value>| {
        v.map(|v| term(&v.display()))
            .unwrap_or_else(|| "(default)".into())
    };
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        if a.get(k) != b.get(k) {
            push(
                section,
                '~',
                format!("{id}: {} {} -> {}", term(k), show(a.get(k)), show(b.get(k))),
            );
        }
    }
}

/// Renders a diff as text, one change a line, with a summary line.
pub fn render(changes: &[Change]) -> String {
    let mut s = String::new();
    for c in changes {
        // Ids and names never reach the terminal with their control characters.
        let _ = writeln!(
            s,
            "{} {:<8} {}",
            c.sign,
            c.section,
            crate::escape::terminal(&c.text)
        );
    }
    let opened = changes
        .iter()
        .filter(|c| c.section == "threat" && c.sign == '+')
        .count();
    let closed = changes
        .iter()
        .filter(|c| c.section == "threat" && c.sign == '-')
        .count();
    let orphaned = changes.iter().filter(|c| c.sign == '!').count();
    let _ = writeln!(
        s,
        "{} changes: {opened} threats opened, {closed} closed, {orphaned} triage records orphaned",
        changes.len()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Boundary, BoundaryKind, Channel, Element, Flow, Relation};

    fn base() -> Model {
        let mut m = Model::new("t");
        let ns = Boundary {
            id: "ns".into(),
            name: "payments".into(),
            kind: BoundaryKind::Namespace,
            ..Default::default()
        };
        m.boundaries.insert(ns.id.clone(), ns);
        for (id, kind) in [
            ("web", "k8s.deployment"),
            ("sa", "k8s.service-account"),
            ("creds", "k8s.secret"),
        ] {
            let e = Element {
                crown_jewel: Default::default(),
                entry_point: Default::default(),
                provenance: Default::default(),
                id: id.into(),
                name: id.into(),
                kind: kind.into(),
                boundary: Some("ns".into()),
                pos: (0.0, 0.0),
                props: Props::new(),
            };
            m.elements.insert(e.id.clone(), e);
        }
        let f = Flow {
            id: "f".into(),
            source: "web".into(),
            target: "creds".into(),
            ..Default::default()
        };
        m.flows.insert(f.id.clone(), f);
        let r = Relation {
            id: "r-secret".into(),
            kind: "k8s.mounts-secret".into(),
            source: "web".into(),
            target: "creds".into(),
            props: Props::new(),
        };
        m.relations.insert(r.id.clone(), r);
        m
    }

    fn lines(old: &Model, new: &Model) -> Vec<String> {
        diff(old, new, &Catalog::builtin())
            .into_iter()
            .filter(|c| c.section != "threat" && c.section != "triage")
            .map(|c| format!("{} {} {}", c.sign, c.section, c.text))
            .collect()
    }

    #[test]
    fn boundary_properties_and_channels_are_diffed() {
        let old = base();
        let mut new = base();
        if let Some(b) = new.boundaries.get_mut("ns") {
            b.props
                .insert("pod_security".into(), Value::Text("restricted".into()));
            b.props
                .insert("default_deny_ingress".into(), Value::Bool(true));
        }
        if let Some(f) = new.flows.get_mut("f") {
            f.channel = Channel::SharedVolume;
        }
        assert_eq!(
            lines(&old, &new),
            vec![
                "~ flow f: channel network -> shared volume",
                "~ boundary ns: default_deny_ingress (default) -> true",
                "~ boundary ns: pod_security (default) -> \"restricted\"",
            ]
        );
        assert!(lines(&old, &old).is_empty(), "no change, no lines");
    }

    #[test]
    fn relations_added_removed_and_changed_are_spelled_out() {
        let old = base();
        let mut new = base();
        new.relations.insert(
            "r-sa".into(),
            Relation {
                id: "r-sa".into(),
                kind: "k8s.uses-service-account".into(),
                source: "web".into(),
                target: "sa".into(),
                props: Props::new(),
            },
        );
        if let Some(r) = new.relations.get_mut("r-secret") {
            r.props.insert("as_env".into(), Value::Bool(true));
            r.target = "sa".into();
        }
        assert_eq!(
            lines(&old, &new),
            vec![
                "+ relation r-sa: web uses service account sa (k8s.uses-service-account)",
                "~ relation r-secret: web -> creds is now web -> sa",
                "~ relation r-secret: as_env (default) -> true",
            ]
        );
        assert_eq!(
            lines(&new, &old),
            vec![
                "~ relation r-secret: web -> sa is now web -> creds",
                "~ relation r-secret: as_env true -> (default)",
                "- relation r-sa: web uses service account sa (k8s.uses-service-account)",
            ]
        );
    }

    #[test]
    fn control_characters_in_values_do_not_reach_the_terminal() {
        let old = base();
        let mut new = base();
        if let Some(b) = new.boundaries.get_mut("ns") {
            b.props
                .insert("note".into(), Value::Text("a\u{1b}[2Jb\nc".into()));
        }
        let out = render(&diff(&old, &new, &Catalog::builtin()));
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(out.contains("a\\u{1b}[2Jb\\nc"), "{out}");
    }
}
