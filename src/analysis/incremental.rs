//! Re-analysis after a small edit: only the rule evaluations that can read what the edit
//! changed run again; every other threat is kept from the previous analysis. The result
//! is always equal to [`analyze`] of the edited model (the tests below check it on random
//! edit sequences); edits it cannot scope fall back to [`analyze`].
//!
//! Which evaluations can see a change follows from what conditions can read:
//! - a flow or crossing rule on flow `f` reads `f`, its source and its target (in a flow
//!   scope `Peer` and `HasFlow` have no element and are false);
//! - an element rule on `x` reads `x`; each `HasFlow` level adds the flows of `x` and
//!   their two ends; each `Peer` level adds the members of the boundaries around `x` and
//!   what a condition on *them* reads, one level down; each `Related` level adds the
//!   elements related to `x` (either direction) likewise. Boundary properties, channels
//!   and relations are structure: edits to them take the full analysis.
//!
//! So with `K` the deepest nesting of `Peer`/`HasFlow` in any element rule, the element
//! subjects to re-evaluate are those within `K` such steps of the edited item (a
//! superset: kinds and boundary kinds are not filtered), and the flow subjects are the
//! edited flow or the flows touching the edited element. An element rule of depth `d`
//! (its own nesting) is evaluated again only on the subjects within `d` steps, and only
//! its threats on them are replaced. The index's structural links are taken from the
//! previous analysis: the edits scoped here never change them.

use super::index::ModelIndex;
use super::{Analysis, Origin, Scratch, Subject, analyze, crossing_threat, fire, validate};
use crate::analysis::eval::{Evaluator, FastHasher, RulePlan, Scope};
use crate::model::{Edit, Model};
use crate::rules::{Applies, Catalog, Cond};
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

/// A set of ids hashed cheaply (the ids are the model's, not an attacker's choice of
/// hash-flooding keys: a model is size-limited and its ids length-limited).
type NameSet<'a> = HashSet<&'a str, BuildHasherDefault<FastHasher>>;
/// A map from such ids.
type NameMap<'a, V> = HashMap<&'a str, V, BuildHasherDefault<FastHasher>>;

/// What an edit changed, as far as analysis is concerned.
enum Touch<'e> {
    /// An element's properties.
    Element(&'e str),
    /// A flow's properties.
    Flow(&'e str),
    /// An element's position: no rule reads it; only its own diagnostics can change.
    Moved(&'e str),
    /// Nothing a rule reads (a position, a triage record): only orphans and
    /// diagnostics can change.
    Nothing,
}

/// The touches of an edit, or `None` when it changes structure (items, ids, kinds,
/// boundaries, flow ends, names) and needs a full analysis.
fn touches<'e>(edit: &'e Edit, out: &mut Vec<Touch<'e>>) -> Option<()> {
    match edit {
        Edit::SetElementProp(id, _, _) => out.push(Touch::Element(id.as_str())),
        Edit::SetFlowProp(id, _, _) => out.push(Touch::Flow(id.as_str())),
        Edit::MoveElement(id, _) => out.push(Touch::Moved(id.as_str())),
        Edit::SetTriage(..) => out.push(Touch::Nothing),
        // Controls change statuses and diagnostics, never which threats exist.
        Edit::PutControl(..) | Edit::RemoveControl(..) => out.push(Touch::Nothing),
        Edit::Batch(v) => {
            for e in v {
                touches(e, out)?;
            }
        }
        _ => return None,
    }
    Some(())
}

/// For each rule, the deepest nesting of `Peer`, `HasFlow` and `Related` in its
/// condition and severity steps: how many steps from an edited item an element rule can
/// read (0 for a rule that reads only its own element; unused for flow and crossing
/// rules, which read only their flow and its two ends).
fn rule_depths(cat: &Catalog) -> Vec<usize> {
    fn depth(c: &Cond) -> usize {
        match c {
            Cond::Peer(_, _, inner) | Cond::HasFlow(_, inner) | Cond::Related(_, _, inner) => {
                1 + depth(inner)
            }
            Cond::All(v) | Cond::Any(v) => v.iter().map(depth).max().unwrap_or(0),
            Cond::Not(inner)
            | Cond::Nearest(_, _, inner)
            | Cond::AnyEnclosing(_, inner)
            | Cond::AnyCrossed(inner) => depth(inner),
            _ => 0,
        }
    }
    cat.rules
        .iter()
        .map(|r| {
            let steps = r.rule.severity_steps.iter().map(|st| depth(&st.when));
            steps.fold(depth(&r.rule.condition), usize::max)
        })
        .collect()
}

/// The deepest nesting of `Peer`, `HasFlow` and `Related` in any element rule.
fn reach(cat: &Catalog, depths: &[usize]) -> usize {
    cat.rules
        .iter()
        .zip(depths)
        .filter(|(r, _)| {
            r.rule.deprecated.is_none() && matches!(r.rule.applies, Applies::Elements(_))
        })
        .map(|(_, &d)| d)
        .max()
        .unwrap_or(0)
}

/// An element no evaluation within reach of the edit reads.
const FAR: usize = usize::MAX;

/// Element and flow subjects (by index) whose evaluation can read what was touched, or
/// `None` when a touched id does not exist (the caller falls back to a full analysis).
/// For an element, the fewest steps `i` such that it is in `A_i` below ([`FAR`] when in
/// none): an element rule of depth `d` must be evaluated again on it when `i <= d`.
fn affected(
    ix: &ModelIndex<'_>,
    touched: &[Touch<'_>],
    k: usize,
) -> Option<(Vec<usize>, Vec<bool>)> {
    let (ne, nf) = (ix.elems.len(), ix.flows.len());
    let mut flows = vec![false; nf];
    // A_0: the edited elements; F: the ends of the flows whose properties a `HasFlow`
    // of an element rule can read.
    let mut seeds = vec![false; ne];
    let mut near = vec![false; ne];
    let mut any = false;
    for t in touched {
        match *t {
            Touch::Element(id) => {
                let e = ix.elem(id)?;
                seeds[e] = true;
                near[e] = true;
                any = true;
                for &f in ix.out_flows[e].iter().chain(&ix.in_flows[e]) {
                    flows[f] = true;
                    if let Some((s, t)) = ix.flow_ends[f] {
                        near[s] = true;
                        near[t] = true;
                    }
                }
            }
            Touch::Flow(id) => {
                let f = ix
                    .flows
                    .binary_search_by(|fl| fl.id.as_str().cmp(id))
                    .ok()?;
                flows[f] = true;
                any = true;
                if let Some((s, t)) = ix.flow_ends[f] {
                    near[s] = true;
                    near[t] = true;
                }
            }
            Touch::Moved(id) => {
                ix.elem(id)?;
            }
            Touch::Nothing => {}
        }
    }
    let mut level: Vec<usize> = seeds.iter().map(|&on| if on { 0 } else { FAR }).collect();
    if !any || k == 0 {
        return Some((level, flows));
    }
    // A_i = A_0 ∪ F ∪ peers(A_{i-1}), for i = 1..=k; each contains the one before.
    let mut cur = seeds.clone();
    for i in 1..=k {
        let mut next: Vec<bool> = seeds.iter().zip(&near).map(|(a, b)| *a || *b).collect();
        let mut seen = vec![false; ix.bounds.len()];
        for (x, _) in cur.iter().enumerate().filter(|(_, on)| **on) {
            // A `Related` of an element rule on `y` reads the far ends of y's relations.
            for &(_, y) in ix.rel_out[x].iter().chain(&ix.rel_in[x]) {
                next[y] = true;
            }
            for &b in &ix.elem_chain[x] {
                if !std::mem::replace(&mut seen[b], true) {
                    for &m in &ix.bound_members[b] {
                        next[m] = true;
                    }
                }
            }
        }
        for (l, _) in level
            .iter_mut()
            .zip(&next)
            .filter(|(l, on)| **on && **l == FAR)
        {
            *l = i;
        }
        if next == cur {
            break;
        }
        cur = next;
    }
    Some((level, flows))
}

/// Re-analyses `model` after `edit` (or its inverse: both name the same items) was
/// applied to it, reusing `prev`, the analysis of the model before the edit with the
/// same catalog. Equal to `analyze(model, cat)`; much faster for property, position and
/// triage edits, which are what the inspector and the triage panel produce.
pub fn reanalyze(prev: Analysis, model: &Model, cat: &Catalog, edit: &Edit) -> Analysis {
    // Any edit can open or close an attack path far from what it touched.
    if cat.uses_on_attack_path {
        return analyze(model, cat);
    }
    let mut touched = Vec::new();
    if touches(edit, &mut touched).is_none() {
        return analyze(model, cat);
    }
    // The edit left the structure as it was: the previous index's links still hold.
    let ix = prev
        .links
        .0
        .as_ref()
        .and_then(|l| ModelIndex::with_links(model, cat, l))
        .unwrap_or_else(|| ModelIndex::new(model, cat));
    let depths = rule_depths(cat);
    let Some((elems, flows)) = affected(&ix, &touched, reach(cat, &depths)) else {
        return analyze(model, cat);
    };
    let mut threats = prev.threats;
    if elems.iter().any(|&l| l != FAR) || flows.contains(&true) {
        let plan = RulePlan::new(cat);
        let ev = Evaluator::for_few(cat, &ix);
        let mut fresh = Vec::new();
        let mut scratch = Scratch::default();
        for (e, el) in ix.elems.iter().enumerate() {
            let Some(si) = ix.elem_stencil[e].filter(|_| elems[e] != FAR) else {
                continue;
            };
            // Only the rules that can read as far as the edit from here.
            for &ri in plan.by_stencil[si]
                .iter()
                .filter(|&&ri| depths[ri] >= elems[e])
            {
                fire(
                    &ev,
                    ri,
                    Scope::element(e),
                    &|| Subject::Element(el.id.clone()),
                    &mut fresh,
                );
            }
        }
        for (f, fl) in ix.flows.iter().enumerate() {
            if !flows[f] || ix.flow_ends[f].is_none() {
                continue;
            }
            for &ri in &plan.flow {
                fire(
                    &ev,
                    ri,
                    Scope::flow(f),
                    &|| Subject::Flow(fl.id.clone()),
                    &mut fresh,
                );
            }
            if !ix.crossings[f].is_empty() {
                for &ri in &plan.crossing {
                    let subject = || Subject::Flow(fl.id.clone());
                    fresh.extend(crossing_threat(&ev, ri, f, &subject, &mut scratch));
                }
            }
        }
        // Drop the generated threats of the re-evaluated subjects, keep everything else.
        let elem_level: NameMap<'_, usize> = ix
            .elems
            .iter()
            .zip(&elems)
            .filter(|(_, l)| **l != FAR)
            .map(|(e, l)| (e.id.as_str(), *l))
            .collect();
        let flow_ids: NameSet<'_> = ix
            .flows
            .iter()
            .zip(&flows)
            .filter(|(_, on)| **on)
            .map(|(f, _)| f.id.as_str())
            .collect();
        // A generated threat is stale when its rule was evaluated again on its subject.
        replace_threats(&mut threats, fresh, |t| {
            let Origin::Rule(ri) = t.origin else {
                return false;
            };
            match &t.subject {
                Subject::Element(e) => elem_level
                    .get(e.as_str())
                    .is_some_and(|&l| depths.get(ri).is_some_and(|&d| d >= l)),
                Subject::Flow(f) | Subject::Crossing(f, _) => flow_ids.contains(f.as_str()),
                Subject::Boundary(_) | Subject::Model => false,
            }
        });
    }
    let orphans = super::orphans_of(model, &threats);
    // Validation is redone for the touched items only. The controls' and CVSS
    // diagnostics depend on the whole model and its threats: they are taken out of the
    // previous list (what remains is exactly the previous validation, in its order) and
    // made again, as `analyze` makes them.
    let cvss = super::risk::diagnostics(model);
    let mut kept = prev.diagnostics;
    if kept.iter().any(super::is_control_or_cvss) {
        kept.retain(|d| !super::is_control_or_cvss(d));
    }
    let valid = validate::revalidate(
        kept,
        model,
        cat,
        &ix,
        &orphans,
        &validation_touches(&ix, &touched),
    );
    let diagnostics = super::with_controls_and_cvss(model, cat, &threats, valid, cvss);
    Analysis {
        threats,
        orphans,
        diagnostics,
        generation: super::next_generation(),
        links: super::KeptLinks(Some(ix.links().clone())),
    }
}

/// The elements and flows (by index) whose own diagnostics an edit can change: those
/// whose properties it set, and moved elements (a position can be non-finite).
fn validation_touches(ix: &ModelIndex<'_>, touched: &[Touch<'_>]) -> validate::Touched {
    let mut t = validate::Touched::default();
    for x in touched {
        match *x {
            Touch::Element(id) | Touch::Moved(id) => t.elems.extend(ix.elem(id)),
            Touch::Flow(id) => {
                t.flows
                    .extend(ix.flows.binary_search_by(|f| f.id.as_str().cmp(id)).ok());
            }
            Touch::Nothing => {}
        }
    }
    // A batch can touch one item twice (a property and a move).
    for v in [&mut t.elems, &mut t.flows] {
        v.sort_unstable();
        v.dedup();
    }
    t
}

/// Puts `fresh`, the threats of the re-evaluated subjects, in place of the `stale` ones
/// (the generated threats of those subjects) in `threats` (sorted by id), in the order
/// and with the duplicates `analyze` would give. Most of the re-evaluated threats come
/// back unchanged: a fresh threat with the id of a stale one takes its slot, so the
/// tens of thousands of others move only when a threat appears or goes.
fn replace_threats(
    threats: &mut Vec<super::Threat>,
    mut fresh: Vec<super::Threat>,
    stale: impl Fn(&super::Threat) -> bool,
) {
    // Of fresh threats with one id, `analyze` keeps the first.
    fresh.sort_by(|a, b| a.id.cmp(&b.id));
    fresh.dedup_by(|a, b| a.id == b.id);
    let mut gone = Vec::new();
    let mut added = Vec::new();
    let mut fresh = fresh.into_iter().peekable();
    for (i, t) in threats.iter_mut().enumerate() {
        if !stale(t) {
            continue;
        }
        while let Some(f) = fresh.next_if(|f| f.id < t.id) {
            added.push(f);
        }
        match fresh.next_if(|f| f.id == t.id) {
            Some(f) => *t = f,
            None => gone.push(i),
        }
    }
    added.extend(fresh);
    if !gone.is_empty() {
        let mut next = gone.iter().copied().peekable();
        let mut i = 0;
        threats.retain(|_| {
            let drop = next.next_if_eq(&i).is_some();
            i += 1;
            !drop
        });
    }
    if !added.is_empty() {
        merge_sorted(threats, added);
        // A new threat before a manual one with its id: the manual one goes.
        threats.dedup_by(|a, b| a.id == b.id);
    }
}

/// Merges `fresh` into `threats` (sorted by id): as in `analyze`, by id, a generated
/// threat before a manual one with the same id. `fresh` is small (the threats of a few
/// subjects); the kept threats are moved once, with no scratch copy of the whole list (a
/// full sort of tens of thousands of threats allocated and filled one each time).
fn merge_sorted(threats: &mut Vec<super::Threat>, mut fresh: Vec<super::Threat>) {
    fresh.sort_by(|a, b| a.id.cmp(&b.id));
    let kept = threats.len();
    // Where each fresh threat goes among the kept ones: before the first kept threat with
    // an id not below its own (so before a manual threat with the same id).
    let at: Vec<usize> = fresh
        .iter()
        .map(|f| threats.partition_point(|t| t.id < f.id))
        .collect();
    threats.extend(fresh);
    // From the back: the block of kept threats after the j-th insertion point moves right
    // past the fresh threats not yet placed, which then start at that point; the last of
    // them is where it belongs.
    let mut end = kept + at.len();
    for (j, &p) in at.iter().enumerate().rev() {
        let placed_from = p + j;
        threats[p..end].rotate_right(j + 1);
        end = placed_from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Boundary, BoundaryId, BoundaryKind, Element, ElementId, Flow, FlowId, ThreatId, Triage,
        Value,
    };
    use crate::persist;

    use crate::test_rng::{Rng, picks};
    use proptest::prelude::*;

    /// A random property edit: a declared property set to a value of its type (or of
    /// the wrong type, or cleared), or an undeclared one; sometimes a move or a batch.
    fn random_edit(m: &Model, cat: &Catalog, rng: &mut Rng) -> Edit {
        let values = |rng: &mut Rng, spec: Option<&crate::rules::PropSpec>| -> Option<Value> {
            match rng.below(6) {
                0 => None,
                1 => Some(Value::Number(rng.below(100) as f64)),
                2 => Some(Value::Text(
                    ["", "public", "secret", "HTTP", "x"][rng.below(5)].into(),
                )),
                _ => match spec.map(|s| &s.ty) {
                    Some(crate::rules::PropType::Enum(opts)) if !opts.is_empty() => {
                        Some(Value::Text(opts[rng.below(opts.len())].clone()))
                    }
                    Some(crate::rules::PropType::Number) => {
                        Some(Value::Number(rng.below(5000) as f64))
                    }
                    Some(crate::rules::PropType::Text) => Some(Value::Text(
                        ["", "HTTPS", "gRPC", "0:10001", "10001"][rng.below(5)].into(),
                    )),
                    Some(crate::rules::PropType::List) => Some(Value::list(
                        [
                            &[][..],
                            &["NET_BIND_SERVICE"][..],
                            &["ALL", "SYS_ADMIN"][..],
                        ][rng.below(3)]
                        .iter()
                        .map(|s| (*s).to_owned()),
                    )),
                    _ => Some(Value::Bool(rng.below(2) == 1)),
                },
            }
        };
        match rng.below(10) {
            0..=4 if !m.elements.is_empty() => {
                let el = m
                    .elements
                    .values()
                    .nth(rng.below(m.elements.len()))
                    .expect("element");
                let specs: Vec<_> = cat
                    .stencil(&el.kind)
                    .map(|s| s.stencil.properties.iter().collect())
                    .unwrap_or_default();
                let (name, spec) = match specs.len() {
                    0 => ("no_such_prop".to_owned(), None),
                    n => {
                        let s = specs[rng.below(n)];
                        (s.name.clone(), Some(s))
                    }
                };
                Edit::SetElementProp(el.id.clone(), name, values(rng, spec))
            }
            5..=7 if !m.flows.is_empty() => {
                let fl = m
                    .flows
                    .values()
                    .nth(rng.below(m.flows.len()))
                    .expect("flow");
                let spec = &cat.flow_props[rng.below(cat.flow_props.len())];
                Edit::SetFlowProp(fl.id.clone(), spec.name.clone(), values(rng, Some(spec)))
            }
            8 if !m.elements.is_empty() => {
                let el = m
                    .elements
                    .values()
                    .nth(rng.below(m.elements.len()))
                    .expect("element");
                let y = if rng.below(4) == 0 { f64::NAN } else { 1.0 };
                Edit::MoveElement(el.id.clone(), (rng.below(900) as f64, y))
            }
            9 if rng.below(2) == 0 => {
                let live = analyze(m, cat).threats;
                let id = match live.len() {
                    0 => ThreatId::new("GEN-S-01@element:gone"),
                    n if rng.below(3) > 0 => live[rng.below(n)].id.clone(),
                    _ => ThreatId::new(format!("NOPE@element:x{}", rng.below(5))),
                };
                let t = (rng.below(3) > 0).then(|| Triage {
                    threat: id.clone(),
                    kept_as_history: rng.below(2) == 0,
                    ..Triage::default()
                });
                Edit::SetTriage(id, t)
            }
            _ => Edit::Batch(
                (0..1 + rng.below(3))
                    .map(|_| random_edit(m, cat, rng))
                    .collect(),
            ),
        }
    }

    fn same(a: &Analysis, b: &Analysis) -> bool {
        a.threats == b.threats && a.orphans == b.orphans && a.diagnostics == b.diagnostics
    }

    /// Applies `steps` random edits chosen by `picks`; after each, the incremental
    /// analysis must equal the full one.
    fn check(mut model: Model, steps: usize, picks: Vec<u32>) {
        let cat = Catalog::builtin();
        let mut rng = Rng::new(picks);
        let mut a = analyze(&model, &cat);
        for step in 0..steps {
            let edit = random_edit(&model, &cat, &mut rng);
            let Ok(inverse) = edit.clone().apply(&mut model) else {
                continue;
            };
            // The inverse names the same items; use either, as callers may.
            let by = if step % 2 == 0 { &edit } else { &inverse };
            a = reanalyze(a, &model, &cat, by);
            let full = analyze(&model, &cat);
            assert!(
                same(&a, &full),
                "step {step}: {edit:?} gives a different analysis than analyze()"
            );
        }
    }

    /// A model where peers, flows in and out, crossings, dangling flows and unknown
    /// kinds all meet.
    fn mixed_model() -> Model {
        let mut m = Model::new("mixed");
        let kinds = [
            "generic.process",
            "generic.store",
            "generic.entity",
            "docker.daemon",
            "no.such.kind",
        ];
        let bounds = [
            ("net", BoundaryKind::Internet, 0, None),
            ("dc", BoundaryKind::NetworkZone, 7, None),
            ("host", BoundaryKind::Host, 8, Some("dc")),
            ("ns", BoundaryKind::Namespace, 6, Some("dc")),
        ];
        for (id, kind, trust, parent) in bounds {
            m.boundaries.insert(
                BoundaryId::new(id),
                Boundary {
                    props: Default::default(),
                    id: BoundaryId::new(id),
                    name: id.to_uppercase(),
                    kind,
                    trust,
                    parent: parent.map(BoundaryId::new),
                    rect: (0.0, 0.0, 10.0, 10.0),
                },
            );
        }
        for i in 0..24 {
            let id = format!("e{i}");
            let boundary = [None, Some("net"), Some("dc"), Some("host"), Some("ns")][i % 5]
                .map(BoundaryId::new);
            m.elements.insert(
                ElementId::new(id.clone()),
                Element {
                    provenance: Default::default(),
                    id: ElementId::new(id),
                    name: format!("E{i}"),
                    kind: kinds[i % kinds.len()].into(),
                    boundary,
                    pos: (0.0, 0.0),
                    props: Default::default(),
                    entry_point: false,
                    crown_jewel: false,
                },
            );
        }
        for i in 0..40 {
            let id = format!("f{i}");
            let (s, t) = ((i * 7) % 24, (i * 11 + 3) % 25);
            m.flows.insert(
                FlowId::new(id.clone()),
                Flow {
                    channel: Default::default(),
                    id: FlowId::new(id),
                    name: format!("F{i}"),
                    source: ElementId::new(format!("e{s}")),
                    target: ElementId::new(format!("e{t}")),
                    props: Default::default(),
                },
            );
        }
        m
    }

    /// Picks enough for `steps` edits (an edit takes about six).
    fn enough(steps: usize) -> impl Strategy<Value = Vec<u32>> {
        picks(steps * 8)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn reanalyze_equals_analyze_on_a_mixed_model(p in enough(300)) {
            check(mixed_model(), 300, p);
        }

        #[test]
        fn reanalyze_equals_analyze_on_the_bundled_example(p in enough(200)) {
            let model = persist::load_bytes(
                crate::DEFAULT_EXAMPLE.0,
                crate::DEFAULT_EXAMPLE.1.as_bytes(),
            )
            .expect("the bundled example loads")
            .model;
            check(model, 200, p);
        }

        /// Relations, boundary properties and local channels: an element edit reaches the
        /// elements whose rules follow a relation to it (service account -> binding -> role).
        #[test]
        fn reanalyze_equals_analyze_on_models_with_relations(p in enough(300)) {
            relations_case(p);
        }

        /// Control edits (status changes, removals) between property edits: the
        /// controls' diagnostics and the statuses they decide follow every edit.
        #[test]
        fn reanalyze_equals_analyze_with_controls(p in enough(480)) {
            controls_case(p);
        }
    }

    /// A property edit keeps the structure: the next analysis is made over the same
    /// links; a structural edit (a removed flow) builds new ones.
    #[test]
    fn a_property_edit_reuses_the_index_links() {
        let cat = Catalog::builtin();
        let mut model = mixed_model();
        let a = analyze(&model, &cat);
        let before = a.links.0.clone().expect("analyze keeps its links");
        let el = model.elements.keys().next().cloned().expect("an element");
        let edit = Edit::SetElementProp(el, "validates_input".into(), Some(Value::Bool(true)));
        let inverse = edit.apply(&mut model).expect("the edit applies");
        let b = reanalyze(a, &model, &cat, &inverse);
        let after = b.links.0.clone().expect("reanalyze keeps its links");
        assert!(std::sync::Arc::ptr_eq(&before, &after));
        assert!(same(&b, &analyze(&model, &cat)));
        let f = model.flows.keys().next().cloned().expect("a flow");
        let inverse = Edit::RemoveFlow(f)
            .apply(&mut model)
            .expect("the flow goes");
        let c = reanalyze(b, &model, &cat, &inverse);
        let rebuilt = c.links.0.clone().expect("links");
        assert!(!std::sync::Arc::ptr_eq(&after, &rebuilt));
        assert_eq!(rebuilt.flow_ends.len(), model.flows.len());
        assert!(same(&c, &analyze(&model, &cat)));
    }

    /// Removing every control takes the controls' diagnostics with it, orphaned control
    /// links included (their code does not start with `control`).
    #[test]
    fn removing_the_last_control_drops_its_orphaned_links() {
        let cat = Catalog::builtin();
        let mut model = persist::load_bytes(
            "controls-review.ron",
            include_str!("../../examples/controls-review.ron").as_bytes(),
        )
        .expect("the controls example loads")
        .model;
        let id = model.controls.keys().next().cloned().expect("a control");
        let mut c = model.controls[&id].clone();
        c.threats.push(ThreatId::new("NOPE@element:gone"));
        let edit = Edit::PutControl(c);
        let inverse = edit.apply(&mut model).expect("the control changes");
        let mut a = reanalyze(analyze(&model, &cat), &model, &cat, &inverse);
        assert!(
            a.diagnostics
                .iter()
                .any(|d| d.code == "orphaned-control-link")
        );
        for id in model.controls.keys().cloned().collect::<Vec<_>>() {
            let inverse = Edit::RemoveControl(id)
                .apply(&mut model)
                .expect("the control goes");
            a = reanalyze(a, &model, &cat, &inverse);
        }
        assert!(model.controls.is_empty());
        assert!(
            !a.diagnostics
                .iter()
                .any(|d| d.code == "orphaned-control-link")
        );
        assert!(same(&a, &analyze(&model, &cat)));
    }

    fn controls_case(p: Vec<u32>) {
        use crate::model::ControlStatus;
        let mut model = persist::load_bytes(
            "controls-review.ron",
            include_str!("../../examples/controls-review.ron").as_bytes(),
        )
        .expect("the controls example loads")
        .model;
        assert!(!model.controls.is_empty());
        let cat = Catalog::builtin();
        let mut rng = Rng::new(p);
        let mut a = analyze(&model, &cat);
        let statuses = [
            ControlStatus::Proposed,
            ControlStatus::Implemented,
            ControlStatus::Verified,
            ControlStatus::Rejected,
        ];
        for step in 0..60 {
            let ids: Vec<_> = model.controls.keys().cloned().collect();
            let edit = if step % 3 == 0 && !ids.is_empty() {
                let id = &ids[rng.below(ids.len())];
                if step % 9 == 0 {
                    Edit::RemoveControl(id.clone())
                } else {
                    let mut c = model.controls[id].clone();
                    c.status = statuses[rng.below(statuses.len())];
                    Edit::PutControl(c)
                }
            } else {
                random_edit(&model, &cat, &mut rng)
            };
            let Ok(_) = edit.clone().apply(&mut model) else {
                continue;
            };
            a = reanalyze(a, &model, &cat, &edit);
            assert!(
                same(&a, &analyze(&model, &cat)),
                "step {step}: {edit:?} gives a different analysis than analyze()"
            );
        }
    }

    fn relations_case(p: Vec<u32>) {
        for (name, text) in [
            (
                "kubernetes-hardened.ron",
                include_str!("../../examples/kubernetes-hardened.ron"),
            ),
            (
                "fidelity-open.ron",
                include_str!("../../tests/rules/models/fidelity-open.ron"),
            ),
        ] {
            let model = persist::load_bytes(name, text.as_bytes())
                .expect("loads")
                .model;
            check(model, 300, p.clone());
        }
    }

    #[test]
    fn structural_edits_fall_back_to_a_full_analysis() {
        let cat = Catalog::builtin();
        let mut m = mixed_model();
        let a = analyze(&m, &cat);
        let edit = Edit::RemoveElement(ElementId::new("e3"));
        edit.clone().apply(&mut m).expect("applies");
        assert!(same(&reanalyze(a, &m, &cat, &edit), &analyze(&m, &cat)));
    }
}
