//! Derived state: crossings, threats with their *why*, orphaned triage and diagnostics,
//! all recomputed from the model and the catalog; nothing here is ever saved.

pub mod controls;
pub mod diff;
pub mod eval;
pub mod incremental;
pub mod index;
pub mod paths;
pub mod risk;
pub mod validate;
pub mod why;

pub use incremental::reanalyze;
pub use why::{Why, WhyBuf};

use crate::analysis::eval::{Evaluator, Num, RulePlan, Scope};
use crate::analysis::index::Crossed;
use crate::diag::Diagnostic;
use crate::model::{
    Boundary, BoundaryId, ElementId, FlowId, Model, Severity, Status, Stride, SubjectRef, ThreatId,
    Triage,
};
use crate::rules::Catalog;
use index::ModelIndex;
use std::collections::HashSet;

/// What a threat is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// An element.
    Element(ElementId),
    /// A flow.
    Flow(FlowId),
    /// A flow where it crosses one boundary: the subject of a version-1 per-boundary
    /// crossing id (`flow:X/boundary:B`), which only old triage keys still name.
    /// Analysis never produces it: a crossing rule gives one threat per flow.
    Crossing(FlowId, BoundaryId),
    /// A boundary (manual threats only).
    Boundary(BoundaryId),
    /// The whole system (manual threats only).
    Model,
}

impl Subject {
    /// The suffix of a threat id after `@`.
    pub fn id_suffix(&self) -> String {
        match self {
            Subject::Element(e) => format!("element:{e}"),
            Subject::Flow(f) => format!("flow:{f}"),
            Subject::Crossing(f, b) => format!("flow:{f}/boundary:{b}"),
            Subject::Boundary(b) => format!("boundary:{b}"),
            Subject::Model => "model".to_owned(),
        }
    }

    /// `element`, `flow`, `crossing`, `boundary` or `model`.
    pub fn type_key(&self) -> &'static str {
        match self {
            Subject::Element(_) => "element",
            Subject::Flow(_) => "flow",
            Subject::Crossing(..) => "crossing",
            Subject::Boundary(_) => "boundary",
            Subject::Model => "model",
        }
    }

    /// The primary id (the flow's for a crossing), empty for the model.
    pub fn primary_id(&self) -> &str {
        match self {
            Subject::Element(e) => e.as_str(),
            Subject::Flow(f) | Subject::Crossing(f, _) => f.as_str(),
            Subject::Boundary(b) => b.as_str(),
            Subject::Model => "",
        }
    }

    /// The subject of a manual threat (the same as `Subject::from(r)`).
    pub fn from_ref(r: &SubjectRef) -> Subject {
        Subject::from(r)
    }

    /// Parses the subject part of a generated threat id (`element:x`, `flow:x/boundary:y`).
    pub fn parse_suffix(s: &str) -> Option<Subject> {
        if let Some(rest) = s.strip_prefix("element:") {
            return Some(Subject::Element(ElementId::new(rest)));
        }
        if let Some(rest) = s.strip_prefix("flow:") {
            return Some(match rest.split_once("/boundary:") {
                Some((f, b)) => Subject::Crossing(FlowId::new(f), BoundaryId::new(b)),
                None => Subject::Flow(FlowId::new(rest)),
            });
        }
        if let Some(rest) = s.strip_prefix("boundary:") {
            return Some(Subject::Boundary(BoundaryId::new(rest)));
        }
        (s == "model").then_some(Subject::Model)
    }
}

/// A saved subject (of a manual threat or a diagnostic) is a subject: the model's
/// [`SubjectRef`] is the part of this vocabulary a file can name.
impl From<&SubjectRef> for Subject {
    fn from(r: &SubjectRef) -> Subject {
        match r {
            SubjectRef::Element(e) => Subject::Element(e.clone()),
            SubjectRef::Flow(f) => Subject::Flow(f.clone()),
            SubjectRef::Boundary(b) => Subject::Boundary(b.clone()),
            SubjectRef::Model => Subject::Model,
        }
    }
}

impl From<SubjectRef> for Subject {
    fn from(r: SubjectRef) -> Subject {
        Subject::from(&r)
    }
}

/// A subject a file can name; a per-boundary crossing (old triage keys only) is none.
impl TryFrom<&Subject> for SubjectRef {
    type Error = ();
    fn try_from(s: &Subject) -> Result<SubjectRef, ()> {
        match s {
            Subject::Element(e) => Ok(SubjectRef::Element(e.clone())),
            Subject::Flow(f) => Ok(SubjectRef::Flow(f.clone())),
            Subject::Boundary(b) => Ok(SubjectRef::Boundary(b.clone())),
            Subject::Model => Ok(SubjectRef::Model),
            Subject::Crossing(..) => Err(()),
        }
    }
}

/// Where a threat came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A rule: index into [`Catalog::rules`].
    Rule(usize),
    /// A manual threat of the model.
    Manual,
}

/// One derived threat.
#[derive(Clone, Debug, PartialEq)]
pub struct Threat {
    /// Stable id; triage is keyed by it.
    pub id: ThreatId,
    /// Rule or manual.
    pub origin: Origin,
    /// What it is about.
    pub subject: Subject,
    /// STRIDE category.
    pub category: Stride,
    /// Severity from the rule (or the manual threat), before any triage override.
    pub rule_severity: Severity,
    /// Facts that made the rule's condition true.
    pub why: Why,
    /// For a crossing rule's threat: the boundaries the flow crosses where the rule held,
    /// in path order (exits innermost first, then entries). Empty for other threats (a
    /// boxed slice: no spare capacity kept, and eight bytes less per threat than a `Vec`).
    pub crossed: Box<[BoundaryId]>,
}

impl Threat {
    /// The triage record of this threat, if any.
    pub fn triage<'m>(&self, model: &'m Model) -> Option<&'m Triage> {
        model.triage.get(&self.id)
    }
    /// Status after triage (Open when untriaged); an untriaged (or Open) threat whose
    /// controls are all Implemented or Verified counts as Mitigated
    /// ([`controls::decision`] says which controls decided it).
    pub fn status(&self, model: &Model) -> Status {
        shown_status(self.triage(model), || {
            controls::decision(model, self.id.as_str()).is_some()
        })
    }
    /// [`Threat::status`], with the controls found through `naming` (made once for a
    /// pass over many threats; `naming` must be of `model`).
    pub fn status_by(&self, model: &Model, naming: &controls::Naming<'_>) -> Status {
        shown_status(self.triage(model), || {
            naming.decision(self.id.as_str()).is_some()
        })
    }
    /// Severity after the reviewer's override.
    pub fn severity(&self, model: &Model) -> Severity {
        self.triage(model)
            .and_then(|t| t.severity)
            .unwrap_or(self.rule_severity)
    }
}

/// The result of analysing a model.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Every threat, sorted by id.
    pub threats: Vec<Threat>,
    /// Triage records whose threat no longer exists, in id order.
    pub orphans: Vec<ThreatId>,
    /// Model validation problems.
    pub diagnostics: Vec<Diagnostic>,
    /// A number unique to the run that made this analysis (0 for an empty default):
    /// views derived from it (the editor's threat table) are cached under it.
    pub generation: u64,
    /// The structural part of the index the analysis was made over, which
    /// [`reanalyze`] reuses after an edit that leaves the structure as it is.
    pub(crate) links: KeptLinks,
}

/// [`index::Links`] kept with an analysis (none in an empty default).
#[derive(Clone, Default)]
pub(crate) struct KeptLinks(pub(crate) Option<std::sync::Arc<index::Links>>);

impl std::fmt::Debug for KeptLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "KeptLinks(..)"
        } else {
            "KeptLinks(none)"
        })
    }
}

/// A fresh [`Analysis::generation`].
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Analysis {
    /// The threat with that id.
    pub fn threat(&self, id: &str) -> Option<&Threat> {
        self.threats
            .binary_search_by(|t| t.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.threats[i])
    }
}

/// The status a threat shows, from its triage record `tr`: the record's (Open when there
/// is none), or Mitigated when that is Open and `decided` (asked only then) says its
/// controls are all in place ([`Threat::status`]).
pub(crate) fn shown_status(tr: Option<&Triage>, decided: impl FnOnce() -> bool) -> Status {
    match tr.map(|t| t.status).unwrap_or_default() {
        Status::Open if decided() => Status::Mitigated,
        own => own,
    }
}

/// Analyses a model: validation, rule evaluation, manual threats, orphans.
pub fn analyze(model: &Model, cat: &Catalog) -> Analysis {
    let ix = ModelIndex::new(model, cat);
    let plan = RulePlan::new(cat);
    // Two phases when a rule asks whether something is on an attack path: the paths
    // depend only on the model and the steps' conditions, never on the threats.
    let on_path = cat.uses_on_attack_path.then(|| paths::on_path(cat, &ix));
    let evaluate = || {
        evaluate_reserving(
            &ix,
            cat,
            &plan,
            on_path.as_ref(),
            model.manual_threats.len(),
        )
    };
    // On a large model the validation, which does not depend on the threats, runs on a
    // second thread while the rules do (they use two threads only for part of the time).
    let (mut threats, structure) =
        if ix.elems.len() + ix.flows.len() >= PARALLEL_MIN_ITEMS && two_cores() {
            let (threats, structure) = std::thread::scope(|s| {
                let other = s.spawn(|| validate::structure(model, cat, &ix));
                (evaluate(), other.join())
            });
            match structure {
                Ok(v) => (threats, v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        } else {
            (evaluate(), validate::structure(model, cat, &ix))
        };
    for m in model.manual_threats.values() {
        threats.push(Threat {
            id: m.id.clone(),
            origin: Origin::Manual,
            subject: Subject::from_ref(&m.subject),
            category: m.category,
            rule_severity: m.severity,
            why: Why::from_facts(&["written by the reviewer"]),
            crossed: Box::default(),
        });
    }
    // Rules run in id order (see `evaluate`): the list is usually sorted and free of
    // repeats already, which one pass confirms.
    if !threats.is_sorted_by(|a, b| a.id < b.id) {
        threats.sort_by(|a, b| a.id.cmp(&b.id));
        threats.dedup_by(|a, b| a.id == b.id);
    }
    finish(model, cat, &ix, threats, structure)
}

/// The validation `diagnostics` with the controls' and the CVSS vectors' (`cvss`)
/// diagnostics added, in the validation's order (level, then message).
pub(crate) fn with_controls_and_cvss(
    model: &Model,
    cat: &Catalog,
    threats: &[Threat],
    mut diagnostics: Vec<crate::diag::Diagnostic>,
    cvss: Vec<crate::diag::Diagnostic>,
) -> Vec<crate::diag::Diagnostic> {
    if !model.controls.is_empty() || !cvss.is_empty() {
        diagnostics.extend(cvss);
        diagnostics.extend(controls::diagnostics(model, cat, threats));
        diagnostics.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then_with(|| a.message.cmp(&b.message))
        });
    }
    diagnostics
}

/// Whether a diagnostic is one of the controls' or the CVSS vectors' (made from the
/// whole model, so never kept across an edit).
pub(crate) fn is_control_or_cvss(d: &crate::diag::Diagnostic) -> bool {
    d.code.starts_with("control")
        || d.code == "orphaned-control-link"
        || d.code == "bad-cvss"
        || (d.code == "bad-id" && d.message.starts_with("control:"))
}

/// The analysis of `model` with its threats (sorted by id): orphaned triage, validation
/// and a fresh generation; `structure` is [`validate::structure`] of the model.
fn finish(
    model: &Model,
    cat: &Catalog,
    ix: &ModelIndex<'_>,
    threats: Vec<Threat>,
    structure: Vec<crate::diag::Diagnostic>,
) -> Analysis {
    let orphans = orphans_of(model, &threats);
    let diagnostics = validate::with_orphans(structure, model, &orphans);
    let diagnostics =
        with_controls_and_cvss(model, cat, &threats, diagnostics, risk::diagnostics(model));
    Analysis {
        threats,
        orphans,
        diagnostics,
        generation: next_generation(),
        links: KeptLinks(Some(ix.links().clone())),
    }
}

/// Triage keys that match no threat.
pub fn orphans_of(model: &Model, threats: &[Threat]) -> Vec<ThreatId> {
    if model.triage.is_empty() {
        return Vec::new();
    }
    if threats.is_sorted_by(|a, b| a.id <= b.id) {
        // The usual case (analysis output): binary search instead of hashing every id.
        let live = |k: &str| threats.binary_search_by(|t| t.id.as_str().cmp(k)).is_ok();
        return model
            .triage
            .keys()
            .filter(|k| !live(k.as_str()))
            .cloned()
            .collect();
    }
    let live: HashSet<&str> = threats.iter().map(|t| t.id.as_str()).collect();
    model
        .triage
        .keys()
        .filter(|k| !live.contains(k.as_str()))
        .cloned()
        .collect()
}

/// Evaluates every rule on every applicable subject.
///
/// Rules run one after the other in the order of their threat-id prefix (`RULE@`), and
/// each rule visits its subjects in id order (crossings of one flow in boundary id
/// order), so the threats come out sorted by id for any model whose ids are valid; the
/// stable sort in [`analyze`] then only has to confirm it (a linear pass) instead of
/// sorting tens of thousands of ids.
pub fn evaluate(ix: &ModelIndex<'_>, cat: &Catalog, plan: &RulePlan) -> Vec<Threat> {
    evaluate_with(ix, cat, plan, None)
}

/// [`evaluate`], answering [`crate::rules::Cond::OnAttackPath`] from `on_path` (false
/// everywhere without it).
pub fn evaluate_with(
    ix: &ModelIndex<'_>,
    cat: &Catalog,
    plan: &RulePlan,
    on_path: Option<&paths::OnPath>,
) -> Vec<Threat> {
    evaluate_reserving(ix, cat, plan, on_path, 0)
}

/// [`evaluate_with`] into a list with room for `extra` more threats (the model's manual
/// threats, added after).
fn evaluate_reserving(
    ix: &ModelIndex<'_>,
    cat: &Catalog,
    plan: &RulePlan,
    on_path: Option<&paths::OnPath>,
    extra: usize,
) -> Vec<Threat> {
    let ev = Evaluator::new(cat, ix).with_paths(on_path);
    // Which stencils each element rule applies to.
    let mut elem_rule_stencils: Vec<Vec<bool>> = vec![Vec::new(); cat.rules.len()];
    for (si, rules) in plan.by_stencil.iter().enumerate() {
        for &ri in rules {
            let v = &mut elem_rule_stencils[ri];
            if v.is_empty() {
                v.resize(plan.by_stencil.len(), false);
            }
            v[si] = true;
        }
    }
    enum Pass {
        Elements,
        Flow,
        Crossing,
    }
    let mut order: Vec<(String, usize, Pass)> = Vec::new();
    order.extend(
        elem_rule_stencils
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(ri, _)| (format!("{}@", cat.rules[ri].rule.id), ri, Pass::Elements)),
    );
    order.extend(
        plan.flow
            .iter()
            .map(|&ri| (format!("{}@", cat.rules[ri].rule.id), ri, Pass::Flow)),
    );
    order.extend(
        plan.crossing
            .iter()
            .map(|&ri| (format!("{}@", cat.rules[ri].rule.id), ri, Pass::Crossing)),
    );
    order.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let crossed: usize = if plan.crossing.is_empty() {
        0
    } else {
        ix.crossings.iter().map(Vec::len).sum()
    };
    // Elements of each stencil, in index (= id) order: a rule for one stencil visits only
    // those instead of testing every element.
    let mut stencil_elems: Vec<Vec<usize>> = vec![Vec::new(); plan.by_stencil.len()];
    for (e, si) in ix.elem_stencil.iter().enumerate() {
        if let Some(si) = *si {
            stencil_elems[si].push(e);
        }
    }
    let only_stencil = |ri: usize| -> Option<usize> {
        let mut it = elem_rule_stencils[ri]
            .iter()
            .enumerate()
            .filter(|(_, on)| **on);
        match (it.next(), it.next()) {
            (Some((si, _)), None) => Some(si),
            _ => None,
        }
    };
    // Phase one tests every (rule, subject) pair; phase two builds the threat and its why
    // for each hit, into a list allocated once at its final length.
    //
    // Phase one visits the subjects in blocks and tests every rule of the run on one
    // block before the next, so the block's values stay in cache from rule to rule
    // (rule by rule over the whole model would read every table from memory again for
    // each rule, which grows worse than linearly with the model). Each rule's hits still
    // come out in subject order.
    let hits_of = |part: &[(String, usize, Pass)]| -> Vec<Vec<u32>> {
        let mut hits: Vec<Vec<u32>> = vec![Vec::new(); part.len()];
        let single: Vec<Option<usize>> = part.iter().map(|(_, ri, _)| only_stencil(*ri)).collect();
        // For a rule of one stencil: how far into that stencil's elements it has got.
        let mut cursor = vec![0usize; part.len()];
        for start in (0..ix.elems.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(ix.elems.len());
            for (k, (_, ri, pass)) in part.iter().enumerate() {
                if !matches!(pass, Pass::Elements) {
                    continue;
                }
                let cond = &cat.rules[*ri].rule.condition;
                let hit = &mut hits[k];
                match single[k] {
                    Some(si) => {
                        let list = &stencil_elems[si];
                        let at = &mut cursor[k];
                        while let Some(&e) = list.get(*at).filter(|&&e| e < end) {
                            if ev.eval(cond, &Scope::element(e), None) {
                                hit.push(e as u32);
                            }
                            *at += 1;
                        }
                    }
                    None => {
                        let applies = &elem_rule_stencils[*ri];
                        for e in start..end {
                            if ix.elem_stencil[e].is_some_and(|si| applies[si])
                                && ev.eval(cond, &Scope::element(e), None)
                            {
                                hit.push(e as u32);
                            }
                        }
                    }
                }
            }
        }
        for start in (0..ix.flows.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(ix.flows.len());
            for (k, (_, ri, pass)) in part.iter().enumerate() {
                let cond = &cat.rules[*ri].rule.condition;
                let hit = &mut hits[k];
                match pass {
                    Pass::Elements => {}
                    Pass::Flow => {
                        for f in start..end {
                            if ix.flow_ends[f].is_some() && ev.eval(cond, &Scope::flow(f), None) {
                                hit.push(f as u32);
                            }
                        }
                    }
                    Pass::Crossing => {
                        for f in start..end {
                            if ix.flow_ends[f].is_some()
                                && ix.crossings[f]
                                    .iter()
                                    .any(|x| ev.eval(cond, &Scope::crossing(f, *x), None))
                            {
                                hit.push(f as u32);
                            }
                        }
                    }
                }
            }
        }
        hits
    };
    let count = |hits: &[Vec<u32>]| hits.iter().map(Vec::len).sum::<usize>();
    // Fills `out` (one slot per hit, in order); false when a slot was left empty.
    //
    // Phase two makes the threats in the same block order: every rule's hits among a
    // block's subjects before the next block, each threat written into its rule's part of
    // the list (so the list is still in rule, then subject, order). A block's names and
    // values are then read from the cache by every rule that fired on it, instead of from
    // memory once per rule.
    let threats_of = |part: &[(String, usize, Pass)], hits: &[Vec<u32>], out: &mut [Threat]| {
        let mut scratch = Scratch::default();
        let mut full = true;
        // Where each rule's threats start in `out`, and how many are made.
        let mut base = Vec::with_capacity(hits.len());
        let mut at = 0;
        for h in hits {
            base.push(at);
            at += h.len();
        }
        let mut done = vec![0usize; hits.len()];
        let mut blocks = |count: usize, elements: bool| {
            for start in (0..count).step_by(BLOCK) {
                let end = start + BLOCK;
                for (k, ((_, ri, pass), list)) in part.iter().zip(hits).enumerate() {
                    if matches!(pass, Pass::Elements) != elements {
                        continue;
                    }
                    while let Some(&i) = list.get(done[k]).filter(|&&i| (i as usize) < end) {
                        let Some(slot) = out.get_mut(base[k] + done[k]) else {
                            break;
                        };
                        done[k] += 1;
                        let i = i as usize;
                        match pass {
                            Pass::Elements => {
                                *slot = threat(
                                    &ev,
                                    *ri,
                                    Scope::element(i),
                                    Subject::Element(ix.elems[i].id.clone()),
                                    &mut scratch,
                                )
                            }
                            Pass::Flow => {
                                *slot = threat(
                                    &ev,
                                    *ri,
                                    Scope::flow(i),
                                    Subject::Flow(ix.flows[i].id.clone()),
                                    &mut scratch,
                                )
                            }
                            Pass::Crossing => {
                                let subject = || Subject::Flow(ix.flows[i].id.clone());
                                match crossing_threat(&ev, *ri, i, &subject, &mut scratch) {
                                    Some(t) => *slot = t,
                                    None => full = false,
                                }
                            }
                        }
                    }
                }
            }
        };
        blocks(ix.elems.len(), true);
        blocks(ix.flows.len(), false);
        full
    };
    // Large models: the rules are split into two runs of about equal work, evaluated on
    // two threads; the runs are consecutive in id order, so their concatenation is too.
    let cost = |(_, ri, pass): &(String, usize, Pass)| -> usize {
        match pass {
            Pass::Elements => match only_stencil(*ri) {
                Some(si) => stencil_elems[si].len(),
                None => ix.elems.len(),
            },
            Pass::Flow => ix.flows.len(),
            Pass::Crossing => crossed,
        }
    };
    let total: usize = order.iter().map(cost).sum();
    if total < PARALLEL_MIN_WORK || !two_cores() {
        let hits = hits_of(&order);
        let mut out = slots(count(&hits), extra);
        let full = threats_of(&order, &hits, &mut out);
        return filled(out, full);
    }
    let mut acc = 0;
    let mid = order
        .iter()
        .position(|o| {
            acc += cost(o);
            acc * 2 >= total
        })
        .map_or(order.len(), |i| i + 1);
    let (first, second) = order.split_at(mid);
    // The list is allocated once, at its final length; each run writes its threats into
    // its own part of it, so none is moved after it is made.
    let (mine, theirs) = std::thread::scope(|s| {
        let other = s.spawn(|| hits_of(second));
        (hits_of(first), other.join())
    });
    let theirs = match theirs {
        Ok(h) => h,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut out = slots(count(&mine) + count(&theirs), extra);
    let (left, right) = out.split_at_mut(count(&mine));
    let (full_left, full_right) = std::thread::scope(|s| {
        let other = s.spawn(|| threats_of(second, &theirs, right));
        (threats_of(first, &mine, left), other.join())
    });
    match full_right {
        Ok(full_right) => filled(out, full_left && full_right),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// `n` empty threats to be overwritten, with room for `extra` more.
fn slots(n: usize, extra: usize) -> Vec<Threat> {
    let mut v = Vec::with_capacity(n + extra);
    v.resize_with(n, || Threat {
        id: ThreatId(String::new()),
        origin: Origin::Manual,
        subject: Subject::Model,
        category: Stride::Spoofing,
        rule_severity: Severity::Low,
        why: Why::new(),
        crossed: Box::default(),
    });
    v
}

/// The threats of [`slots`] after they were written, without any slot left empty.
fn filled(mut v: Vec<Threat>, full: bool) -> Vec<Threat> {
    if !full {
        v.retain(|t| !t.id.as_str().is_empty());
    }
    v
}

/// Subjects (elements or flows) per block of the test pass of [`evaluate`]: a few hundred
/// subjects' values stay in the core's caches.
const BLOCK: usize = 256;

/// Elements and flows below which [`analyze`] validates on the same thread as the rules.
const PARALLEL_MIN_ITEMS: usize = 5_000;

/// Rule evaluations (rule × subject) below which [`evaluate`] stays on one thread: a
/// thread costs tens of microseconds, a model of 1,000 elements evaluates in a few
/// milliseconds.
const PARALLEL_MIN_WORK: usize = 50_000;

/// Whether this machine offers a second core (asked once).
pub(crate) fn two_cores() -> bool {
    static TWO: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TWO.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2))
}

/// Evaluates rule `ri` in `scope` and, when it fires, appends the threat with its why.
fn fire(
    ev: &Evaluator<'_, '_>,
    ri: usize,
    scope: Scope,
    subject: &dyn Fn() -> Subject,
    out: &mut Vec<Threat>,
) {
    if ev.eval(&ev.cat.rules[ri].rule.condition, &scope, None) {
        out.push(threat(ev, ri, scope, subject(), &mut Scratch::default()));
    }
}

/// The threat of rule `ri` in `scope`, where its condition holds, with its why.
fn threat(
    ev: &Evaluator<'_, '_>,
    ri: usize,
    scope: Scope,
    subject: Subject,
    scratch: &mut Scratch,
) -> Threat {
    let rule = &ev.cat.rules[ri].rule;
    let Scratch { why, facts, .. } = scratch;
    why.clear();
    ev.explain_true(&rule.condition, &scope, why);
    let severity = stepped_severity(ev, ri, &[scope], why, facts);
    if let Some(f) = scope.flow {
        // A flow an importer inferred (from depends_on, an environment variable naming
        // a service, ...) says so, since nobody drew it.
        if let Some(note) = ev.inferred_note(f) {
            why.push_parts(&["the flow is ", note]);
        }
    }
    Threat {
        id: threat_id(&rule.id, &subject),
        origin: Origin::Rule(ri),
        subject,
        category: rule.category,
        rule_severity: severity,
        why: why.to_why(),
        crossed: Box::default(),
    }
}

/// Buffers reused from one threat to the next while facts are collected, so each
/// threat's why is allocated once, at its final length, and a fact not at all.
#[derive(Default)]
pub(crate) struct Scratch {
    why: WhyBuf,
    facts: WhyBuf,
    scopes: Vec<Scope>,
}

/// Evaluates crossing rule `ri` on flow `f` at each boundary it crosses (in path order:
/// exits innermost first, then entries outermost first) and, when it holds at one or
/// more, gives one threat for the flow whose why names every such boundary.
fn crossing_threat(
    ev: &Evaluator<'_, '_>,
    ri: usize,
    f: usize,
    subject: &dyn Fn() -> Subject,
    scratch: &mut Scratch,
) -> Option<Threat> {
    let (cat, ix) = (ev.cat, ev.ix);
    let rule = &cat.rules[ri].rule;
    let Scratch { why, facts, scopes } = scratch;
    scopes.clear();
    scopes.extend(
        ix.crossings[f]
            .iter()
            .map(|x| Scope::crossing(f, *x))
            .filter(|sc| ev.eval(&rule.condition, sc, None)),
    );
    let hits: &[Scope] = scopes;
    if hits.is_empty() {
        return None;
    }
    // `flow `NAME` crosses N boundaries where this applies: `B` (kind, trust T,
    // entering), ...`.
    let count = Num::new(hits.len() as u64);
    let head = [
        "flow `",
        ix.flows[f].name.as_str(),
        "` crosses ",
        count.as_str(),
        if hits.len() == 1 {
            " boundary where this applies: "
        } else {
            " boundaries where this applies: "
        },
    ];
    fn listed<'t>(b: &'t Boundary, x: Crossed, first: bool, trust: &'t Num) -> [&'t str; 7] {
        [
            if first { "`" } else { ", `" },
            b.name.as_str(),
            "` (",
            b.kind.label(),
            ", trust ",
            trust.as_str(),
            if x.entering {
                ", entering)"
            } else {
                ", leaving)"
            },
        ]
    }
    let crossed = || hits.iter().filter_map(|sc| sc.crossed);
    why.clear();
    why.push_with(|first| {
        head.iter().for_each(|p| first.push_str(p));
        for (k, x) in crossed().enumerate() {
            let b = ix.bounds[x.boundary];
            let t = Num::new(b.trust.into());
            listed(b, x, k == 0, &t)
                .iter()
                .for_each(|p| first.push_str(p));
        }
    });
    for sc in hits {
        facts.clear();
        ev.explain_true(&rule.condition, sc, facts);
        for fact in facts.iter() {
            if !why.contains(fact) {
                why.push(fact);
            }
        }
    }
    let severity = stepped_severity(ev, ri, hits, why, facts);
    let subject = subject();
    Some(Threat {
        id: threat_id(&rule.id, &subject),
        origin: Origin::Rule(ri),
        subject,
        category: rule.category,
        rule_severity: severity,
        why: why.to_why(),
        crossed: crossed()
            .map(|x| ix.bounds[x.boundary].id.clone())
            .collect(),
    })
}

/// The rule's severity raised by the highest of its severity steps that holds in one of
/// `scopes`; the why says which step raised it (`facts` is a buffer, left empty).
fn stepped_severity(
    ev: &Evaluator<'_, '_>,
    ri: usize,
    scopes: &[Scope],
    why: &mut WhyBuf,
    facts: &mut WhyBuf,
) -> Severity {
    let rule = &ev.cat.rules[ri].rule;
    let mut sev = rule.severity;
    let mut best: Option<(usize, usize)> = None;
    for (si, step) in rule.severity_steps.iter().enumerate() {
        if step.at_least <= sev {
            continue;
        }
        if let Some(k) = scopes.iter().position(|sc| ev.eval(&step.when, sc, None)) {
            sev = step.at_least;
            best = Some((si, k));
        }
    }
    if let Some((si, k)) = best {
        facts.clear();
        ev.explain_true(&rule.severity_steps[si].when, &scopes[k], facts);
        let head = [
            "severity raised from ",
            rule.severity.label(),
            " to ",
            sev.label(),
            ": ",
        ];
        why.push_with(|line| {
            head.iter().for_each(|p| line.push_str(p));
            for (n, f) in facts.iter().enumerate() {
                if n > 0 {
                    line.push_str("; ");
                }
                line.push_str(f);
            }
        });
        facts.clear();
    }
    sev
}

/// `RULE@suffix`, built in one allocation (same text as `format!("{rule}@{}", s.id_suffix())`).
fn threat_id(rule: &str, s: &Subject) -> ThreatId {
    let parts: [&str; 4] = match s {
        Subject::Element(e) => ["element:", e.as_str(), "", ""],
        Subject::Flow(f) => ["flow:", f.as_str(), "", ""],
        Subject::Crossing(f, b) => ["flow:", f.as_str(), "/boundary:", b.as_str()],
        Subject::Boundary(b) => ["boundary:", b.as_str(), "", ""],
        Subject::Model => ["model", "", "", ""],
    };
    let mut id =
        String::with_capacity(rule.len() + 1 + parts.iter().map(|p| p.len()).sum::<usize>());
    id.push_str(rule);
    id.push('@');
    for p in parts {
        id.push_str(p);
    }
    ThreatId(id)
}

#[cfg(test)]
mod tests {
    use super::Threat;

    /// A model of 100,000 nodes has about 650,000 threats: the list's bytes are pages the
    /// kernel has to hand out on every analysis.
    #[test]
    fn a_threat_takes_at_most_128_bytes() {
        let size = std::mem::size_of::<Threat>();
        assert!(size <= 128, "a Threat takes {size} bytes");
    }
}
