//! What controls do to threats (derived, never saved): a threat whose controls are all
//! in place counts as mitigated unless its own triage says otherwise; links to threats
//! that no longer exist are orphaned; a control claimed as in place whose model change
//! is not drawn is reported.

use super::Threat;
use crate::diag::{Diagnostic, Level};
use crate::model::{Control, ControlStatus, Model, Status, Value, truncate};
use crate::rules::Catalog;

/// The controls that name a threat (by id or through a rule cover), in id order,
/// Rejected ones included.
pub fn naming<'m>(model: &'m Model, threat: &str) -> Vec<&'m Control> {
    if model.controls.is_empty() {
        return Vec::new();
    }
    model
        .controls
        .values()
        .filter(|c| c.names(threat))
        .collect()
}

/// Which controls name which threats, made once for a pass over many threats: the
/// same answers as [`naming`] and [`decision`], each found by id and rule instead of by
/// asking every control (which a list of 65,000 threats against 500 controls would do
/// 32 million times).
pub struct Naming<'m> {
    model: &'m Model,
    /// Every control, in id order.
    controls: Vec<&'m Control>,
    /// The controls (positions in `controls`) that name each threat id directly.
    by_threat: foldhash::HashMap<&'m str, Vec<usize>>,
    /// The controls with a cover of each rule.
    by_rule: foldhash::HashMap<&'m str, Vec<usize>>,
}

impl<'m> Naming<'m> {
    /// The controls of `model`, by the threats and rules they name.
    pub fn new(model: &'m Model) -> Naming<'m> {
        let controls: Vec<&Control> = model.controls.values().collect();
        let mut by_threat: foldhash::HashMap<&str, Vec<usize>> = Default::default();
        let mut by_rule: foldhash::HashMap<&str, Vec<usize>> = Default::default();
        for (i, c) in controls.iter().enumerate() {
            for t in &c.threats {
                let v = by_threat.entry(t.as_str()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
            for r in &c.rules {
                let v = by_rule.entry(r.rule.as_str()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
        Naming {
            model,
            controls,
            by_threat,
            by_rule,
        }
    }

    /// [`naming`]: the controls that name a threat, in id order, Rejected ones included.
    pub fn naming(&self, threat: &str) -> Vec<&'m Control> {
        if self.controls.is_empty() {
            return Vec::new();
        }
        let direct = self.by_threat.get(threat).map_or(&[][..], Vec::as_slice);
        let rule = threat.split_once('@').map_or("", |(r, _)| r);
        let covered = self.by_rule.get(rule).map_or(&[][..], Vec::as_slice);
        let mut at: Vec<usize> = direct
            .iter()
            .copied()
            .chain(
                covered
                    .iter()
                    .copied()
                    .filter(|&i| self.controls[i].rules.iter().any(|r| r.covers(threat))),
            )
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|i| self.controls[i]).collect()
    }

    /// [`decision`]: the controls that make a threat count as mitigated, or `None`.
    pub fn decision(&self, threat: &str) -> Option<Decision<'m>> {
        if self.controls.is_empty() {
            return None;
        }
        decide(self.model, threat, || self.naming(threat))
    }
}

/// Why a threat counts as mitigated by its controls.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision<'m> {
    /// The controls in place that decided it (every non-rejected control that names the
    /// threat), in id order.
    pub controls: Vec<&'m Control>,
}

impl Decision<'_> {
    /// One line for the why panel and the reports.
    pub fn why(&self) -> String {
        let list: Vec<String> = self
            .controls
            .iter()
            .map(|c| format!("`{}` {} ({})", c.id, c.title, c.status.label()))
            .collect();
        format!(
            "mitigated by {} in place: {}",
            if list.len() == 1 {
                "its control"
            } else {
                "all its controls"
            },
            list.join(", ")
        )
    }
}

/// The controls that make a threat count as mitigated, or `None`: when its triage says
/// anything but Open, when no control names it, or when one of its (non-rejected)
/// controls is not yet Implemented or Verified. Rejected controls decide nothing.
pub fn decision<'m>(model: &'m Model, threat: &str) -> Option<Decision<'m>> {
    if model.controls.is_empty() {
        return None;
    }
    decide(model, threat, || naming(model, threat))
}

/// [`decision`], with the controls naming the threat from `naming`.
fn decide<'m>(
    model: &'m Model,
    threat: &str,
    naming: impl FnOnce() -> Vec<&'m Control>,
) -> Option<Decision<'m>> {
    if model
        .triage
        .get(threat)
        .is_some_and(|t| t.status != Status::Open)
    {
        return None;
    }
    let live: Vec<&Control> = naming()
        .into_iter()
        .filter(|c| c.status != ControlStatus::Rejected)
        .collect();
    (!live.is_empty() && live.iter().all(|c| c.status.is_done()))
        .then_some(Decision { controls: live })
}

/// The controls naming a threat that still have work to deliver (not in place, not
/// rejected), in id order.
pub fn pending_for<'m>(model: &'m Model, threat: &str) -> Vec<&'m Control> {
    naming(model, threat)
        .into_iter()
        .filter(|c| c.status.is_pending())
        .collect()
}

/// Threat ids a control names directly that match no threat, and are not kept as history.
pub fn orphaned_links<'c>(c: &'c Control, threats: &[Threat]) -> Vec<&'c str> {
    c.threats
        .iter()
        .filter(|t| {
            threats
                .binary_search_by(|x| x.id.as_str().cmp(t.as_str()))
                .is_err()
                && !c.kept_as_history.contains(t)
        })
        .map(|t| t.as_str())
        .collect()
}

/// The value a property of an item has in the model: its own, or the schema default.
fn effective(model: &Model, cat: &Catalog, item: &str, prop: &str) -> Option<Option<Value>> {
    if let Some(e) = model.elements.get(item) {
        return Some(e.props.get(prop).cloned().or_else(|| {
            cat.stencil(&e.kind)
                .and_then(|s| s.prop(prop))
                .map(|p| p.default.clone())
        }));
    }
    if let Some(f) = model.flows.get(item) {
        return Some(
            f.props
                .get(prop)
                .cloned()
                .or_else(|| cat.flow_prop(prop).map(|p| p.default.clone())),
        );
    }
    if let Some(b) = model.boundaries.get(item) {
        return Some(
            b.props
                .get(prop)
                .cloned()
                .or_else(|| cat.boundary_prop(b.kind, prop).map(|p| p.default.clone())),
        );
    }
    None
}

/// Why a control's model changes are not in the model, one line each (empty when all
/// of them are).
pub fn unrealised(model: &Model, cat: &Catalog, c: &Control) -> Vec<String> {
    let mut out = Vec::new();
    for ch in &c.realised_by {
        match effective(model, cat, &ch.item, &ch.prop) {
            None => out.push(format!("`{}` is not in the model", truncate(&ch.item, 60))),
            Some(v) if v.as_ref() == Some(&ch.value) => {}
            Some(v) => out.push(format!(
                "`{}` on `{}` is {}, not {}",
                truncate(&ch.prop, 60),
                truncate(&ch.item, 60),
                v.map(|v| truncate(&v.display(), 40))
                    .unwrap_or_else(|| "unset".to_owned()),
                truncate(&ch.value.display(), 40)
            )),
        }
    }
    out
}

/// The diagnostics of the model's controls: orphaned links (like orphaned triage),
/// rule covers naming no loaded rule, a control in place whose model change is not
/// drawn, and a control that addresses nothing.
pub fn diagnostics(model: &Model, cat: &Catalog, threats: &[Threat]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in model.controls.values() {
        let id = truncate(c.id.as_str(), 60);
        if let Err(m) = crate::model::check_id(c.id.as_str()) {
            out.push(Diagnostic::new(
                Level::Error,
                "bad-id",
                format!("control: {m}"),
            ));
        }
        for t in orphaned_links(c, threats) {
            out.push(Diagnostic::new(
                Level::Warning,
                "orphaned-control-link",
                format!(
                    "control `{id}` addresses `{}`, which matches no current threat; keep it as history, re-attach it, or detach it",
                    truncate(t, 120)
                ),
            ));
        }
        for t in &c.kept_as_history {
            out.push(Diagnostic::new(
                Level::Info,
                "orphaned-control-link",
                format!(
                    "control `{id}` addressed `{}`, which matches no current threat (kept as history)",
                    truncate(t.as_str(), 120)
                ),
            ));
        }
        for r in &c.rules {
            if cat.rule(&r.rule).is_none() {
                out.push(Diagnostic::new(
                    Level::Warning,
                    "control-unknown-rule",
                    format!(
                        "control `{id}` covers rule `{}`, which no loaded template defines",
                        truncate(&r.rule, 60)
                    ),
                ));
            }
        }
        if c.status.is_done() {
            let missing = unrealised(model, cat, c);
            if !missing.is_empty() {
                out.push(Diagnostic::new(
                    Level::Warning,
                    "control-not-realised",
                    format!(
                        "control `{id}` is {} but its model change is not drawn: {}",
                        c.status.label(),
                        missing.join("; ")
                    ),
                ));
            }
        }
        if c.threats.is_empty() && c.rules.is_empty() {
            out.push(Diagnostic::new(
                Level::Info,
                "control-addresses-nothing",
                format!("control `{id}` addresses no threat and no rule"),
            ));
        }
    }
    out
}

/// Whether the control is overdue on `as_of` (ISO dates compare as text): not in place,
/// not rejected, and due strictly before that date.
pub fn overdue(c: &Control, as_of: &str) -> bool {
    c.status.is_pending() && !c.due.is_empty() && !as_of.is_empty() && c.due.as_str() < as_of
}

/// The control lines of `palisade diff`: controls added, removed and changed (status,
/// owner, ticket, due date, threats attached and detached, rule covers), then threats
/// whose status their controls changed. Every text from the file is made safe for a
/// terminal by `term`.
pub fn diff_into(
    old: &Model,
    new: &Model,
    old_threats: &[Threat],
    new_threats: &[Threat],
    term: &dyn Fn(&str) -> String,
    push: &mut dyn FnMut(&'static str, char, String),
) {
    for (id, b) in &new.controls {
        let id = term(id.as_str());
        let Some(a) = old.controls.get(id.as_str()) else {
            push(
                "control",
                '+',
                format!("{id}: {} ({})", term(&b.title), b.status.label()),
            );
            continue;
        };
        if a.status != b.status {
            push(
                "control",
                '~',
                format!("{id}: {} -> {}", a.status.label(), b.status.label()),
            );
        }
        for (what, x, y) in [
            ("title", &a.title, &b.title),
            ("owner", &a.owner, &b.owner),
            ("ticket", &a.ticket, &b.ticket),
            ("due", &a.due, &b.due),
        ] {
            if x != y {
                push(
                    "control",
                    '~',
                    format!("{id}: {what} {:?} -> {:?}", term(x), term(y)),
                );
            }
        }
        if a.description != b.description {
            push("control", '~', format!("{id}: description changed"));
        }
        for t in b.threats.iter().filter(|t| !a.threats.contains(t)) {
            push(
                "control",
                '~',
                format!("{id}: attached {}", term(t.as_str())),
            );
        }
        for t in a.threats.iter().filter(|t| !b.threats.contains(t)) {
            push(
                "control",
                '~',
                format!("{id}: detached {}", term(t.as_str())),
            );
        }
        for r in b.rules.iter().filter(|r| !a.rules.contains(r)) {
            push(
                "control",
                '~',
                format!("{id}: covers rule {}", term(&cover_label(r))),
            );
        }
        for r in a.rules.iter().filter(|r| !b.rules.contains(r)) {
            push(
                "control",
                '~',
                format!("{id}: no longer covers rule {}", term(&cover_label(r))),
            );
        }
        if a.realised_by != b.realised_by {
            push("control", '~', format!("{id}: model change changed"));
        }
    }
    for (id, a) in &old.controls {
        if !new.controls.contains_key(id) {
            push(
                "control",
                '-',
                format!("{}: {}", term(id.as_str()), term(&a.title)),
            );
        }
    }
    if old.controls.is_empty() && new.controls.is_empty() {
        return;
    }
    // Threats on both sides whose control decision changed.
    for t in new_threats {
        let Ok(i) = old_threats.binary_search_by(|x| x.id.cmp(&t.id)) else {
            continue;
        };
        let before = decision(old, t.id.as_str()).is_some();
        let after = decision(new, t.id.as_str()).is_some();
        if before != after {
            push(
                "threat",
                '~',
                format!(
                    "{}: {} -> {} (controls)",
                    term(t.id.as_str()),
                    old_threats[i].status(old).label(),
                    t.status(new).label()
                ),
            );
        }
    }
}

/// `RULE` or `RULE on element:a, flow:b`.
pub fn cover_label(r: &crate::model::RuleCover) -> String {
    if r.subjects.is_empty() {
        r.rule.clone()
    } else {
        format!("{} on {}", r.rule, r.subjects.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::model::{ControlId, Edit, PropChange, RuleCover, ThreatId, Triage};

    fn example() -> (Model, Catalog) {
        let m = crate::persist::load_bytes(
            crate::DEFAULT_EXAMPLE.0,
            crate::DEFAULT_EXAMPLE.1.as_bytes(),
        )
        .expect("the bundled example loads")
        .model;
        (m, Catalog::builtin())
    }

    fn control(id: &str, status: ControlStatus, threats: &[&str]) -> Control {
        Control {
            id: ControlId::new(id),
            title: format!("control {id}"),
            status,
            threats: threats.iter().map(|t| ThreatId::new(*t)).collect(),
            ..Control::default()
        }
    }

    const T: &str = "DOCKER-D-02@element:web-api";
    const U: &str = "DOCKER-D-02@element:portainer";

    fn status_of(m: &Model, cat: &Catalog, id: &str) -> Status {
        let a = analyze(m, cat);
        a.threat(id).expect("threat exists").status(m)
    }

    /// The index answers every question as asking each control does: direct links,
    /// rule covers with and without subjects, a control naming a threat both ways,
    /// rejected and pending controls, triaged threats, ids without a rule.
    #[test]
    fn naming_answers_as_every_control_does() {
        let (mut m, cat) = example();
        let cover = |rule: &str, subjects: &[&str]| RuleCover {
            rule: rule.to_owned(),
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
        };
        let mut both = control("C3", ControlStatus::Verified, &[T, U]);
        both.rules = vec![cover("DOCKER-D-02", &[])];
        let mut some = control("C4", ControlStatus::Rejected, &[]);
        some.rules = vec![cover("DOCKER-D-02", &["element:web-api"]), cover("X", &[])];
        let mut pending = control("C0", ControlStatus::Planned, &["no-rule-here"]);
        pending.rules = vec![cover("DOCKER-S-01", &["flow:ci-to-daemon", "flow:nowhere"])];
        for c in [
            control("C1", ControlStatus::Implemented, &[T]),
            control(
                "C2",
                ControlStatus::Implemented,
                &[U, "DOCKER-E-01@element:web-api"],
            ),
            both,
            some,
            pending,
        ] {
            Edit::PutControl(c).apply(&mut m).expect("attach");
        }
        m.triage.insert(
            ThreatId::new(U),
            Triage {
                threat: ThreatId::new(U),
                status: Status::AcceptedRisk,
                ..Default::default()
            },
        );
        let a = analyze(&m, &cat);
        let ids = |cs: Vec<&Control>| {
            cs.iter()
                .map(|c| c.id.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        let n = Naming::new(&m);
        let mut asked: Vec<&str> = a.threats.iter().map(|t| t.id.as_str()).collect();
        asked.extend(["no-rule-here", "X@", "X@anything", "", "@", "DOCKER-D-02@"]);
        let mut named = 0;
        for id in asked {
            assert_eq!(ids(n.naming(id)), ids(naming(&m, id)), "{id}");
            named += usize::from(!naming(&m, id).is_empty());
            assert_eq!(
                n.decision(id).map(|d| d.why()),
                decision(&m, id).map(|d| d.why()),
                "{id}"
            );
        }
        assert!(named > 5, "the controls name threats ({named})");
        for t in &a.threats {
            assert_eq!(t.status_by(&m, &n), t.status(&m), "{}", t.id);
        }
        let none = Model::default();
        assert!(Naming::new(&none).naming(T).is_empty());
    }

    #[test]
    fn a_threat_whose_controls_are_all_in_place_counts_as_mitigated() {
        let (mut m, cat) = example();
        assert_eq!(status_of(&m, &cat, T), Status::Open);
        Edit::PutControl(control("C1", ControlStatus::Implemented, &[T]))
            .apply(&mut m)
            .expect("attach");
        assert_eq!(status_of(&m, &cat, T), Status::Mitigated);
        let d = decision(&m, T).expect("decided by controls");
        assert!(
            d.why().contains("`C1`") && d.why().contains("Implemented"),
            "{}",
            d.why()
        );
        // A second control not yet delivered keeps it open.
        Edit::PutControl(control("C2", ControlStatus::InProgress, &[T]))
            .apply(&mut m)
            .expect("attach");
        assert_eq!(status_of(&m, &cat, T), Status::Open);
        // Verified finishes it; a rejected one decides nothing.
        Edit::PutControl(control("C2", ControlStatus::Verified, &[T]))
            .apply(&mut m)
            .expect("verify");
        Edit::PutControl(control("C3", ControlStatus::Rejected, &[T]))
            .apply(&mut m)
            .expect("reject");
        assert_eq!(status_of(&m, &cat, T), Status::Mitigated);
        let why = decision(&m, T).expect("decided").why();
        assert!(
            why.contains("`C1`") && why.contains("`C2`") && !why.contains("`C3`"),
            "{why}"
        );
        // The threat's own triage wins.
        Edit::SetTriage(
            ThreatId::new(T),
            Some(Triage {
                status: Status::AcceptedRisk,
                ..Triage::default()
            }),
        )
        .apply(&mut m)
        .expect("triage");
        assert_eq!(status_of(&m, &cat, T), Status::AcceptedRisk);
        assert!(decision(&m, T).is_none());
        // Other threats are untouched.
        assert_eq!(status_of(&m, &cat, U), Status::Open);
    }

    #[test]
    fn a_rule_cover_addresses_every_threat_of_the_rule_or_only_the_named_subjects() {
        let (mut m, cat) = example();
        let mut c = control("C1", ControlStatus::Verified, &[]);
        c.rules = vec![RuleCover {
            rule: "DOCKER-D-02".into(),
            subjects: vec!["element:web-api".into()],
        }];
        Edit::PutControl(c.clone()).apply(&mut m).expect("put");
        assert_eq!(status_of(&m, &cat, T), Status::Mitigated);
        assert_eq!(status_of(&m, &cat, U), Status::Open);
        c.rules[0].subjects.clear();
        Edit::PutControl(c).apply(&mut m).expect("put");
        assert_eq!(status_of(&m, &cat, U), Status::Mitigated);
        assert_eq!(
            status_of(&m, &cat, "DOCKER-E-01@element:web-api"),
            Status::Open
        );
    }

    #[test]
    fn attach_detach_and_remove_are_undone_exactly() {
        let (m0, _) = example();
        let mut m = m0.clone();
        let undo_add = Edit::PutControl(control("C1", ControlStatus::Planned, &[T]))
            .apply(&mut m)
            .expect("add");
        let with_one = m.clone();
        let undo_attach = Edit::PutControl(control("C1", ControlStatus::Planned, &[T, U]))
            .apply(&mut m)
            .expect("attach");
        assert_eq!(m.controls["C1"].threats.len(), 2);
        undo_attach.apply(&mut m).expect("undo attach");
        assert_eq!(m, with_one);
        let undo_remove = Edit::RemoveControl(ControlId::new("C1"))
            .apply(&mut m)
            .expect("remove");
        assert!(m.controls.is_empty());
        undo_remove.apply(&mut m).expect("undo remove");
        assert_eq!(m, with_one);
        undo_add.apply(&mut m).expect("undo add");
        assert_eq!(m, m0);
        assert!(
            Edit::RemoveControl(ControlId::new("nope"))
                .apply(&mut m)
                .is_err()
        );
        assert!(
            Edit::PutControl(control("bad id", ControlStatus::Planned, &[]))
                .apply(&mut m)
                .is_err()
        );
    }

    #[test]
    fn links_to_threats_that_disappear_are_orphaned_and_can_be_kept_as_history() {
        let (mut m, cat) = example();
        Edit::PutControl(control(
            "C1",
            ControlStatus::Planned,
            &[T, "GONE-X-01@element:x"],
        ))
        .apply(&mut m)
        .expect("put");
        let a = analyze(&m, &cat);
        let orphaned: Vec<_> = a
            .diagnostics
            .iter()
            .filter(|d| d.code == "orphaned-control-link")
            .collect();
        assert_eq!(orphaned.len(), 1, "{orphaned:?}");
        assert_eq!(orphaned[0].level, Level::Warning);
        assert!(orphaned[0].message.contains("GONE-X-01@element:x"));
        // Deleting the element orphans the link to its threat too.
        Edit::RemoveElement(crate::model::ElementId::new("web-api"))
            .apply(&mut m)
            .expect("remove element");
        let a = analyze(&m, &cat);
        assert_eq!(orphaned_links(&m.controls["C1"], &a.threats).len(), 2);
        let mut kept = m.controls["C1"].clone();
        kept.kept_as_history = kept.threats.clone();
        Edit::PutControl(kept).apply(&mut m).expect("keep");
        let a = analyze(&m, &cat);
        assert!(orphaned_links(&m.controls["C1"], &a.threats).is_empty());
        assert!(
            a.diagnostics
                .iter()
                .filter(|d| d.code == "orphaned-control-link")
                .all(|d| d.level == Level::Info)
        );
    }

    #[test]
    fn a_control_in_place_whose_model_change_is_not_drawn_is_reported() {
        let (mut m, cat) = example();
        let dockerd_tls = m.elements["dockerd"].props.get("tls_verify").cloned();
        assert_ne!(
            dockerd_tls,
            Some(Value::Bool(true)),
            "the example's daemon lacks TLS"
        );
        let mut c = control("C1", ControlStatus::Implemented, &[]);
        c.realised_by = vec![PropChange {
            item: "dockerd".into(),
            prop: "tls_verify".into(),
            value: Value::Bool(true),
        }];
        Edit::PutControl(c.clone()).apply(&mut m).expect("put");
        let not_drawn = |m: &Model| {
            analyze(m, &cat)
                .diagnostics
                .into_iter()
                .filter(|d| d.code == "control-not-realised")
                .collect::<Vec<_>>()
        };
        let d = not_drawn(&m);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("tls_verify"), "{}", d[0].message);
        // Drawn: no diagnostic.
        Edit::SetElementProp(
            crate::model::ElementId::new("dockerd"),
            "tls_verify".into(),
            Some(Value::Bool(true)),
        )
        .apply(&mut m)
        .expect("set");
        assert!(not_drawn(&m).is_empty());
        // Only a control claimed as in place is checked.
        let (mut m, _) = example();
        c.status = ControlStatus::Planned;
        Edit::PutControl(c).apply(&mut m).expect("put");
        assert!(not_drawn(&m).is_empty());
    }

    #[test]
    fn overdue_is_relative_to_the_given_date() {
        let mut c = control("C1", ControlStatus::Planned, &[]);
        c.due = "2026-11-01".into();
        assert!(overdue(&c, "2026-11-02"));
        assert!(!overdue(&c, "2026-11-01"));
        c.status = ControlStatus::Verified;
        assert!(!overdue(&c, "2027-01-01"));
    }

    #[test]
    fn diff_names_control_changes_and_the_statuses_they_change() {
        let (old, cat) = example();
        let mut new = old.clone();
        Edit::PutControl(control("C1", ControlStatus::Verified, &[T]))
            .apply(&mut new)
            .expect("put");
        let text = crate::analysis::diff::render(&crate::analysis::diff::diff(&old, &new, &cat));
        assert!(
            text.contains("+ control  C1: control C1 (Verified)"),
            "{text}"
        );
        assert!(
            text.contains(&format!("~ threat   {T}: Open -> Mitigated (controls)")),
            "{text}"
        );
        let mut newer = new.clone();
        Edit::PutControl(control("C1", ControlStatus::Rejected, &[U]))
            .apply(&mut newer)
            .expect("put");
        let text = crate::analysis::diff::render(&crate::analysis::diff::diff(&new, &newer, &cat));
        for want in [
            "C1: Verified -> Rejected",
            &format!("C1: attached {U}"),
            &format!("C1: detached {T}"),
        ] {
            assert!(text.contains(want), "{want} missing:\n{text}");
        }
    }
}
