//! Attack paths: a graph derived from the model (never saved) whose nodes are elements
//! (identities and privileges included: service accounts, bindings, roles are elements)
//! and whose edges are the templates' flow steps (an attacker who holds a flow's source
//! rides it to its target) and pivot steps (a container escape to its node, a stolen
//! token to its identity, what that identity may do). Every edge comes from a condition
//! in a template; this module only follows them.
//!
//! Paths run from entry points (elements in a trust-0 or Internet boundary, the
//! templates' entry kinds, the reviewer's marks) to crown jewels (the templates'
//! defaults and the reviewer's marks): for each crown jewel, the path with the fewest
//! steps from the nearest entry point, ties broken by the weakest controls (fewest
//! controls in place along the flows), then by entry id. "What cuts this path" is a
//! minimum edge cut (max-flow on unit capacities) between the entry points and the
//! target: the fewest steps whose control leaves the target unreachable.

use super::index::ModelIndex;
use super::{Analysis, Subject, Threat, WhyBuf};
use crate::analysis::eval::{Evaluator, FastHasher, Scope};
use crate::model::{ElementId, FlowId, Model, ThreatId, Value};
use crate::rules::template::{Applies, Cond, Dir, Reach, Role};
use crate::rules::{Catalog, Pivot, Selector};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasherDefault;

/// Which elements and flows lie on an attack path, by index of the [`ModelIndex`]; what
/// [`Cond::OnAttackPath`] reads.
#[derive(Clone, Debug, Default)]
pub struct OnPath {
    elem: Vec<Option<u32>>,
    flow: Vec<Option<u32>>,
    ids: Vec<String>,
}

impl OnPath {
    /// The id of the first attack path element `e` lies on.
    pub fn element(&self, e: usize) -> Option<&str> {
        self.elem
            .get(e)
            .copied()
            .flatten()
            .map(|p| self.ids[p as usize].as_str())
    }
    /// The id of the first attack path that rides flow `f`.
    pub fn flow(&self, f: usize) -> Option<&str> {
        self.flow
            .get(f)
            .copied()
            .flatten()
            .map(|p| self.ids[p as usize].as_str())
    }
}

/// One step of an attack path (or of a cut).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The element the attacker holds.
    pub from: ElementId,
    /// The element the step gains.
    pub to: ElementId,
    /// The step's id in its template (`FLOW-INPUT`, `PIVOT-ESCAPE-PRIVILEGED`).
    pub step: String,
    /// The step's title, read between the two ends.
    pub title: String,
    /// The flow a flow step rides.
    pub flow: Option<FlowId>,
    /// The facts that make the edge exist.
    pub why: Vec<String>,
    /// The control that removes the step.
    pub control: String,
    /// How many of the step's controls are in place (flow steps; 0 for pivots).
    pub controls: u32,
    /// The template's references (ATT&CK techniques).
    pub references: Vec<String>,
    /// Threats describing the step that are still untriaged (Open or Needs
    /// investigation): the threats to fix.
    pub open_threats: Vec<ThreatId>,
    /// Whether some threat describing the step has been decided (mitigated, accepted ...).
    pub triaged: bool,
}

/// A path from an entry point to a crown jewel.
#[derive(Clone, Debug, PartialEq)]
pub struct AttackPath {
    /// `ENTRY->TARGET`: stable and readable.
    pub id: String,
    /// Where it starts.
    pub entry: ElementId,
    /// Why that element is an entry point.
    pub entry_why: String,
    /// Where it ends.
    pub target: ElementId,
    /// Why that element is a crown jewel.
    pub target_why: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Index of the weakest step (fewest controls; the first of equals).
    pub weakest: usize,
    /// The fewest steps whose controls leave the target unreachable from the entry
    /// points the path was searched from (a minimum edge cut); empty unless asked for.
    pub cut: Vec<Step>,
}

impl AttackPath {
    /// The elements on the path, entry first.
    pub fn elements(&self) -> impl Iterator<Item = &ElementId> {
        std::iter::once(&self.entry).chain(self.steps.iter().map(|s| &s.to))
    }
    /// Whether no step has a decided threat: nobody has looked at any step.
    pub fn untriaged(&self) -> bool {
        self.steps.iter().all(|s| !s.triaged)
    }
}

/// What to search for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Start only at this element (any element, entry point or not).
    pub from: Option<ElementId>,
    /// End only at this element (any element, crown jewel or not).
    pub to: Option<ElementId>,
    /// Keep at most this many paths (the shortest).
    pub max: Option<usize>,
    /// Compute the cut of each path kept.
    pub cuts: bool,
}

/// Every attack path found, with the entry points and crown jewels.
#[derive(Clone, Debug, Default)]
pub struct Paths {
    /// Entry points with why, in id order.
    pub entries: Vec<(ElementId, String)>,
    /// Crown jewels with why, in id order.
    pub targets: Vec<(ElementId, String)>,
    /// Paths, shortest first (then weakest, then target id).
    pub paths: Vec<AttackPath>,
    /// Paths found but left out by [`Query::max`].
    pub left_out: usize,
    /// Edges of the attack graph.
    pub edges: usize,
    /// For each element on a path, the indices of its paths (hashed: every threat of a
    /// large model is looked up here, and only looked up).
    on_elem: foldhash::HashMap<ElementId, Vec<usize>>,
    /// For each flow ridden by a path, the indices of its paths.
    on_flow: foldhash::HashMap<FlowId, Vec<usize>>,
}

impl Paths {
    /// Ids of the paths a threat lies on: its subject element is on the path, or its
    /// subject flow is ridden by it. Empty when none.
    pub fn of_threat(&self, t: &Threat) -> Vec<&str> {
        self.indices_of_threat(t)
            .iter()
            .map(|&i| self.paths[i].id.as_str())
            .collect()
    }
    /// Indices (into [`Paths::paths`]) of the paths a threat lies on, as
    /// [`Paths::of_threat`] names them.
    pub fn indices_of_threat(&self, t: &Threat) -> &[usize] {
        match &t.subject {
            Subject::Element(e) => self.of_element(e),
            Subject::Flow(f) | Subject::Crossing(f, _) => self.of_flow(f),
            _ => &[],
        }
    }
    /// Indices of the paths an element is on.
    pub fn of_element(&self, e: &ElementId) -> &[usize] {
        self.on_elem.get(e).map(Vec::as_slice).unwrap_or(&[])
    }
    /// Indices of the paths that ride a flow.
    pub fn of_flow(&self, f: &FlowId) -> &[usize] {
        self.on_flow.get(f).map(Vec::as_slice).unwrap_or(&[])
    }
    /// Whether a path runs to a crown jewel with no step triaged.
    pub fn any_untriaged(&self) -> bool {
        self.paths.iter().any(AttackPath::untriaged)
    }
}

/// An element id the query names that the model does not have.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// `--from` names no element.
    #[error("no element with id `{0}` to start from")]
    UnknownFrom(String),
    /// `--to` names no element.
    #[error("no element with id `{0}` to end at")]
    UnknownTo(String),
}

/// What an edge rides.
#[derive(Clone, Debug)]
enum Via {
    /// Flow step `step` along flow `flow`.
    Flow { step: usize, flow: usize },
    /// Pivot `pivot`; `rels` are the relations followed (by index in relation order).
    Pivot { pivot: usize, rels: Vec<usize> },
}

#[derive(Clone, Debug)]
struct Edge {
    from: u32,
    to: u32,
    weight: u32,
    via: Via,
}

/// The attack graph of one model: edges sorted by source, with an offset table.
struct Graph<'a, 'm> {
    cat: &'a Catalog,
    ix: &'a ModelIndex<'m>,
    ev: Evaluator<'a, 'm>,
    edges: Vec<Edge>,
    /// Edges leaving element `e` are `edges[start[e]..start[e + 1]]`.
    start: Vec<usize>,
    entries: Vec<(usize, String)>,
    targets: Vec<(usize, String)>,
    /// Edges arriving at each element, built by the first cut.
    in_edges: std::sync::OnceLock<Vec<Vec<usize>>>,
}

/// Finds attack paths. Triage of the threats on each step comes from `analysis`, which
/// must be the analysis of `model` with `cat`: the structural part of the index it was
/// made over ([`Analysis::links`]) is reused instead of built again (a model whose item
/// counts do not match it gets a fresh index).
pub fn find(
    model: &Model,
    cat: &Catalog,
    analysis: &Analysis,
    q: &Query,
) -> Result<Paths, PathsError> {
    let ix = analysis
        .links
        .0
        .as_ref()
        .and_then(|l| ModelIndex::with_links(model, cat, l))
        .unwrap_or_else(|| ModelIndex::new(model, cat));
    let g = Graph::new(cat, &ix);
    let pos = |id: &ElementId| ix.elems.binary_search_by(|e| e.id.cmp(id)).ok();
    let from = match &q.from {
        Some(id) => Some(pos(id).ok_or_else(|| PathsError::UnknownFrom(id.to_string()))?),
        None => None,
    };
    let to = match &q.to {
        Some(id) => Some(pos(id).ok_or_else(|| PathsError::UnknownTo(id.to_string()))?),
        None => None,
    };
    let sources: Vec<(usize, String)> = match from {
        Some(e) => vec![(
            e,
            g.entries
                .iter()
                .find(|(x, _)| *x == e)
                .map(|(_, w)| w.clone())
                .unwrap_or_else(|| "chosen as the start".to_owned()),
        )],
        None => g.entries.clone(),
    };
    let targets: Vec<(usize, String)> = match to {
        Some(e) => vec![(
            e,
            g.targets
                .iter()
                .find(|(x, _)| *x == e)
                .map(|(_, w)| w.clone())
                .unwrap_or_else(|| "chosen as the end".to_owned()),
        )],
        None => g.targets.clone(),
    };
    let raw = g.search(&sources, &targets);
    let raw_len = raw.len();
    let kept: Vec<RawPath> = raw.into_iter().take(q.max.unwrap_or(usize::MAX)).collect();
    let src_nodes: Vec<usize> = sources.iter().map(|(e, _)| *e).collect();
    let cuts: Vec<Vec<usize>> = kept
        .iter()
        .map(|r| {
            if q.cuts {
                g.min_cut(&src_nodes, r.target)
            } else {
                Vec::new()
            }
        })
        .collect();
    // The threats of the flows that a step rides, and of those alone.
    let ridden = kept
        .iter()
        .flat_map(|r| &r.edges)
        .chain(cuts.iter().flatten())
        .filter_map(|&ei| match g.edges[ei].via {
            Via::Flow { flow, .. } => Some(flow),
            Via::Pivot { .. } => None,
        });
    let threats = ThreatLinks::new(model, cat, analysis, &ix, ridden);
    let mut out = Paths {
        entries: g
            .entries
            .iter()
            .map(|(e, w)| (ix.elems[*e].id.clone(), w.clone()))
            .collect(),
        targets: g
            .targets
            .iter()
            .map(|(e, w)| (ix.elems[*e].id.clone(), w.clone()))
            .collect(),
        edges: g.edges.len(),
        left_out: raw_len.saturating_sub(q.max.unwrap_or(usize::MAX)),
        ..Paths::default()
    };
    for (r, cut) in kept.into_iter().zip(cuts) {
        let steps: Vec<Step> = r
            .edges
            .iter()
            .map(|&ei| g.step(ei, model, &threats))
            .collect();
        let weakest = (0..steps.len())
            .min_by_key(|&i| (steps[i].controls, i))
            .unwrap_or(0);
        let cut = cut
            .into_iter()
            .map(|ei| g.step(ei, model, &threats))
            .collect();
        let (entry, target) = (ix.elems[r.entry].id.clone(), ix.elems[r.target].id.clone());
        out.paths.push(AttackPath {
            id: format!("{entry}->{target}"),
            entry_why: sources
                .iter()
                .find(|(e, _)| *e == r.entry)
                .map(|(_, w)| w.clone())
                .unwrap_or_default(),
            target_why: targets
                .iter()
                .find(|(e, _)| *e == r.target)
                .map(|(_, w)| w.clone())
                .unwrap_or_default(),
            entry,
            target,
            steps,
            weakest,
            cut,
        });
    }
    for (pi, p) in out.paths.iter().enumerate() {
        for e in p.elements() {
            let v = out.on_elem.entry(e.clone()).or_default();
            if v.last() != Some(&pi) {
                v.push(pi);
            }
        }
        for s in &p.steps {
            if let Some(f) = &s.flow {
                let v = out.on_flow.entry(f.clone()).or_default();
                if v.last() != Some(&pi) {
                    v.push(pi);
                }
            }
        }
    }
    Ok(out)
}

/// Which elements and flows of `ix` lie on the default attack paths (every entry point
/// to every crown jewel): the first phase of an analysis whose rules test
/// [`Cond::OnAttackPath`].
pub fn on_path(cat: &Catalog, ix: &ModelIndex<'_>) -> OnPath {
    let g = Graph::new(cat, ix);
    let raw = g.search(&g.entries, &g.targets);
    let mut on = OnPath {
        elem: vec![None; ix.elems.len()],
        flow: vec![None; ix.flows.len()],
        ids: Vec::with_capacity(raw.len()),
    };
    for (pi, r) in raw.iter().enumerate() {
        on.ids.push(format!(
            "{}->{}",
            ix.elems[r.entry].id, ix.elems[r.target].id
        ));
        let pi = pi as u32;
        on.elem[r.entry].get_or_insert(pi);
        for &ei in &r.edges {
            let e = &g.edges[ei];
            on.elem[e.to as usize].get_or_insert(pi);
            if let Via::Flow { flow, .. } = e.via {
                on.flow[flow].get_or_insert(pi);
            }
        }
    }
    on
}

/// A path found by the search, by indices.
struct RawPath {
    entry: usize,
    target: usize,
    edges: Vec<usize>,
    steps: u32,
    weight: u32,
}

/// For each stencil of the catalog, whether an element of it is one of `kinds` (as
/// [`Evaluator::is_a`] tests it): a kind test per element is then one lookup instead of
/// a comparison of kind names.
fn kind_mask(cat: &Catalog, kinds: &[String]) -> Vec<bool> {
    cat.stencils
        .iter()
        .map(|st| kinds.iter().any(|k| st.is_a.iter().any(|x| x == k)))
        .collect()
}

impl<'a, 'm> Graph<'a, 'm> {
    fn new(cat: &'a Catalog, ix: &'a ModelIndex<'m>) -> Self {
        // A few conditions (the steps' and the selectors') on every flow and on the
        // elements of their kinds: resolving every property of every item up front would
        // cost more than these evaluations.
        let ev = Evaluator::for_few(cat, ix);
        let n = ix.elems.len();
        // Whether element `e` is of a kind in `mask` (made by `kind_mask`).
        let is = |mask: &[bool], e: usize| ix.elem_stencil[e].is_some_and(|si| mask[si]);
        let mut present = vec![false; cat.stencils.len()];
        for si in ix.elem_stencil.iter().flatten() {
            present[*si] = true;
        }
        // Whether some element of the model is of a kind in `mask`.
        let any = |mask: &[bool]| mask.iter().zip(&present).any(|(m, p)| *m && *p);
        let mut edges: Vec<Edge> = Vec::new();
        // Flow steps: the first that holds makes the flow an edge.
        let controls: Vec<Vec<Cond>> = cat
            .flow_steps
            .iter()
            .map(|s| {
                s.controls
                    .iter()
                    .map(|c| Cond::Is(Role::Flow, c.clone(), Value::Bool(true)))
                    .collect()
            })
            .collect();
        for f in 0..ix.flows.len() {
            let Some((a, b)) = ix.flow_ends[f] else {
                continue;
            };
            if a == b {
                continue;
            }
            let scope = Scope::flow(f);
            if let Some(si) = cat
                .flow_steps
                .iter()
                .position(|s| ev.eval(&s.condition, &scope, None))
            {
                let weight = controls[si]
                    .iter()
                    .filter(|c| ev.eval(c, &scope, None))
                    .count() as u32;
                edges.push(Edge {
                    from: a as u32,
                    to: b as u32,
                    weight,
                    via: Via::Flow { step: si, flow: f },
                });
            }
        }
        // Pivot steps.
        for (pi, pv) in cat.pivots.iter().enumerate() {
            let from = kind_mask(cat, &pv.from);
            if !any(&from) {
                continue;
            }
            let every: Vec<Vec<usize>> = pv
                .to
                .iter()
                .map(|r| match r {
                    Reach::Every(kinds) => {
                        let mask = kind_mask(cat, kinds);
                        (0..n).filter(|&e| is(&mask, e)).collect()
                    }
                    _ => Vec::new(),
                })
                .collect();
            let mut target_ok: HashMap<usize, bool> = HashMap::new();
            for e in 0..n {
                if !is(&from, e) || !ev.eval(&pv.condition, &Scope::element(e), None) {
                    continue;
                }
                let mut gained: Vec<(usize, Vec<usize>)> = Vec::new();
                for (r, every) in pv.to.iter().zip(&every) {
                    reach(r, e, ix, every, &ev, &mut gained);
                }
                let mut seen: Vec<usize> = Vec::new();
                for (t, via) in gained {
                    if t == e || seen.contains(&t) {
                        continue;
                    }
                    seen.push(t);
                    let ok = *target_ok
                        .entry(t)
                        .or_insert_with(|| ev.eval(&pv.target_condition, &Scope::element(t), None));
                    if ok {
                        edges.push(Edge {
                            from: e as u32,
                            to: t as u32,
                            weight: 0,
                            via: Via::Pivot {
                                pivot: pi,
                                rels: via,
                            },
                        });
                    }
                }
            }
        }
        // Sorted by source (stable: flow steps in flow order, then pivots in load order).
        edges.sort_by_key(|e| e.from);
        let mut start = vec![0usize; n + 1];
        for e in &edges {
            start[e.from as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        // Each selector with the mask of its kinds.
        let masked = |sels: &'a [Selector]| -> Vec<(&'a Selector, Vec<bool>)> {
            sels.iter().map(|s| (s, kind_mask(cat, &s.kinds))).collect()
        };
        let (entry_sels, jewel_sels) = (masked(&cat.entry_points), masked(&cat.crown_jewels));
        // The why of the first selector that picks element `e`.
        let picked = |sels: &[(&Selector, Vec<bool>)], e: usize| {
            sels.iter()
                .find(|(s, kinds)| is(kinds, e) && ev.eval(&s.condition, &Scope::element(e), None))
                .map(|(s, _)| s.why.clone())
        };
        let mut entries = Vec::new();
        let mut targets = Vec::new();
        for e in 0..n {
            let el = ix.elems[e];
            let untrusted = ix.elem_chain[e].iter().find(|&&b| {
                ix.bounds[b].trust == 0 || ix.bounds[b].kind == crate::model::BoundaryKind::Internet
            });
            let entry_why = if el.entry_point {
                Some("marked as an entry point by the reviewer".to_owned())
            } else if let Some(&b) = untrusted {
                Some(format!(
                    "inside boundary `{}` ({}, trust {})",
                    ix.bounds[b].name,
                    ix.bounds[b].kind.label(),
                    ix.bounds[b].trust
                ))
            } else {
                picked(&entry_sels, e)
            };
            if let Some(w) = entry_why {
                entries.push((e, w));
            }
            let target_why = if el.crown_jewel {
                Some("marked as a crown jewel by the reviewer".to_owned())
            } else {
                picked(&jewel_sels, e)
            };
            if let Some(w) = target_why {
                targets.push((e, w));
            }
        }
        Graph {
            cat,
            ix,
            ev,
            edges,
            start,
            entries,
            targets,
            in_edges: std::sync::OnceLock::new(),
        }
    }

    fn out(&self, e: usize) -> std::ops::Range<usize> {
        self.start[e]..self.start[e + 1]
    }

    /// For each target reachable from a source (other than itself), the best path from
    /// the best source: fewest steps, then fewest controls, then the first source.
    fn search(&self, sources: &[(usize, String)], targets: &[(usize, String)]) -> Vec<RawPath> {
        let n = self.ix.elems.len();
        if sources.is_empty() || targets.is_empty() || self.edges.is_empty() {
            return Vec::new();
        }
        const UNSEEN: (u32, u32, u32) = (u32::MAX, u32::MAX, u32::MAX);
        let mut dist = vec![UNSEEN; n];
        let mut pred: Vec<u32> = vec![u32::MAX; n];
        let mut heap = BinaryHeap::new();
        for (rank, (s, _)) in sources.iter().enumerate() {
            let d = (0, 0, rank as u32);
            if d < dist[*s] {
                dist[*s] = d;
                heap.push(Reverse((d, *s as u32)));
            }
        }
        while let Some(Reverse((d, u))) = heap.pop() {
            let u = u as usize;
            if d > dist[u] {
                continue;
            }
            for ei in self.out(u) {
                let e = &self.edges[ei];
                let v = e.to as usize;
                let nd = (d.0 + 1, d.1.saturating_add(e.weight), d.2);
                if nd < dist[v] {
                    dist[v] = nd;
                    pred[v] = ei as u32;
                    heap.push(Reverse((nd, v as u32)));
                }
            }
        }
        let mut out = Vec::new();
        for (t, _) in targets {
            let (steps, weight, rank) = dist[*t];
            if steps == 0 || steps == u32::MAX {
                continue;
            }
            let mut edges = Vec::with_capacity(steps as usize);
            let mut cur = *t;
            while dist[cur].0 > 0 {
                let ei = pred[cur] as usize;
                edges.push(ei);
                cur = self.edges[ei].from as usize;
            }
            edges.reverse();
            out.push(RawPath {
                entry: sources[rank as usize].0,
                target: *t,
                edges,
                steps,
                weight,
            });
        }
        out.sort_by(|a, b| {
            (a.steps, a.weight, &self.ix.elems[a.target].id).cmp(&(
                b.steps,
                b.weight,
                &self.ix.elems[b.target].id,
            ))
        });
        out
    }

    /// A minimum set of edges whose removal leaves `target` unreachable from every
    /// source: Edmonds-Karp on unit capacities (sources joined to a virtual super
    /// source), then the saturated edges leaving the part still reachable.
    fn min_cut(&self, sources: &[usize], target: usize) -> Vec<usize> {
        let n = self.ix.elems.len();
        let m = self.edges.len();
        // flow[ei] in {0, 1}; residual: forward if flow 0, backward if flow 1.
        let mut flow = vec![false; m];
        let in_edges = self.in_edges.get_or_init(|| {
            let mut v: Vec<Vec<usize>> = vec![Vec::new(); n];
            for (ei, e) in self.edges.iter().enumerate() {
                v[e.to as usize].push(ei);
            }
            v
        });
        const BACK: u32 = 0x8000_0000;
        let is_source: Vec<bool> = {
            let mut v = vec![false; n];
            for &s in sources {
                v[s] = true;
            }
            v
        };
        if is_source[target] {
            return Vec::new();
        }
        // Each augmenting path adds one unit, so the loop runs at most the target's
        // in-degree plus one times.
        loop {
            // prev[v]: the residual edge that reached v (forward: ei; backward: ei | MSB).
            let mut prev = vec![u32::MAX; n];
            let mut seen = is_source.clone();
            let mut queue: VecDeque<usize> = sources.iter().copied().collect();
            let mut found = false;
            while let Some(u) = queue.pop_front() {
                if u == target {
                    found = true;
                    break;
                }
                for ei in self.out(u) {
                    let v = self.edges[ei].to as usize;
                    if !flow[ei] && !seen[v] {
                        seen[v] = true;
                        prev[v] = ei as u32;
                        queue.push_back(v);
                    }
                }
                for &ei in &in_edges[u] {
                    let v = self.edges[ei].from as usize;
                    if flow[ei] && !seen[v] {
                        seen[v] = true;
                        prev[v] = ei as u32 | BACK;
                        queue.push_back(v);
                    }
                }
            }
            if !found {
                // `seen` is the part still reachable: the saturated edges leaving it cut.
                return (0..m)
                    .filter(|&ei| {
                        let e = &self.edges[ei];
                        flow[ei] && seen[e.from as usize] && !seen[e.to as usize]
                    })
                    .collect();
            }
            let mut v = target;
            while prev[v] != u32::MAX {
                let p = prev[v];
                if p & BACK == 0 {
                    flow[p as usize] = true;
                    v = self.edges[p as usize].from as usize;
                } else {
                    let ei = (p & !BACK) as usize;
                    flow[ei] = false;
                    v = self.edges[ei].to as usize;
                }
            }
        }
    }

    /// Edge `ei` as a step, with its why and the threats on it.
    fn step(&self, ei: usize, model: &Model, threats: &ThreatLinks<'_>) -> Step {
        let ix = self.ix;
        let e = &self.edges[ei];
        let (a, b) = (e.from as usize, e.to as usize);
        let mut why = WhyBuf::new();
        match &e.via {
            Via::Flow { step, flow } => {
                let fs = &self.cat.flow_steps[*step];
                let fl = ix.flows[*flow];
                why.push_parts(&[
                    "flow `",
                    &fl.name,
                    "` runs from `",
                    &ix.elems[a].name,
                    "` to `",
                    &ix.elems[b].name,
                    "`",
                ]);
                self.ev
                    .eval(&fs.condition, &Scope::flow(*flow), Some(&mut why));
                let (open, triaged) = threats.on_flow(*flow, model);
                Step {
                    from: ix.elems[a].id.clone(),
                    to: ix.elems[b].id.clone(),
                    step: fs.id.clone(),
                    title: fs.title.clone(),
                    flow: Some(fl.id.clone()),
                    why: why.to_vec(),
                    control: fs.control.clone(),
                    controls: e.weight,
                    references: fs.references.clone(),
                    open_threats: open,
                    triaged,
                }
            }
            Via::Pivot { pivot, rels } => {
                let pv: &Pivot = &self.cat.pivots[*pivot];
                self.ev
                    .eval(&pv.condition, &Scope::element(a), Some(&mut why));
                for &r in rels {
                    let rel = ix.rels[r];
                    let name = self
                        .cat
                        .relation_kind(&rel.kind)
                        .map(|k| k.name.as_str())
                        .unwrap_or(rel.kind.as_str());
                    let label = |id: &ElementId| {
                        model
                            .elements
                            .get(id)
                            .map(|x| x.name.clone())
                            .unwrap_or_else(|| id.to_string())
                    };
                    why.push_fmt(format_args!(
                        "`{}` {name} `{}`",
                        label(&rel.source),
                        label(&rel.target)
                    ));
                }
                if rels.is_empty() {
                    why.push(&reach_fact(pv, a, b, ix, &self.ev));
                }
                if pv.target_condition != Cond::Always {
                    self.ev
                        .eval(&pv.target_condition, &Scope::element(b), Some(&mut why));
                }
                // A pivot's threats sit on either end (a privileged pod's on the pod, a
                // long-lived token's on the service account it belongs to).
                let (open, triaged) =
                    threats.on_elements(&pv.rules, &[&ix.elems[a].id, &ix.elems[b].id], model);
                Step {
                    from: ix.elems[a].id.clone(),
                    to: ix.elems[b].id.clone(),
                    step: pv.id.clone(),
                    title: pv.title.clone(),
                    flow: None,
                    why: why.to_vec(),
                    control: pv.control.clone(),
                    controls: 0,
                    references: pv.references.clone(),
                    open_threats: open,
                    triaged,
                }
            }
        }
    }
}

/// Appends to `out` the elements `r` finds from `e`, each with the relations followed.
fn reach(
    r: &Reach,
    e: usize,
    ix: &ModelIndex<'_>,
    every: &[usize],
    ev: &Evaluator<'_, '_>,
    out: &mut Vec<(usize, Vec<usize>)>,
) {
    let follow = |from: usize, dir: Dir, kind: &str| -> Vec<(usize, usize)> {
        let list = match dir {
            Dir::Out => &ix.rel_out[from],
            Dir::In => &ix.rel_in[from],
        };
        list.iter()
            .copied()
            .filter(|&(k, _)| ix.rels[k].kind == kind)
            .map(|(k, far)| (far, k))
            .collect()
    };
    match r {
        Reach::Relation(dir, kind) => {
            for (far, k) in follow(e, *dir, kind) {
                out.push((far, vec![k]));
            }
        }
        Reach::Chain(links) => {
            let mut frontier: Vec<(usize, Vec<usize>)> = vec![(e, Vec::new())];
            for (dir, kind) in links {
                let mut next = Vec::new();
                for (at, via) in &frontier {
                    for (far, k) in follow(*at, *dir, kind) {
                        if !next.iter().any(|(x, _): &(usize, Vec<usize>)| *x == far) {
                            let mut v = via.clone();
                            v.push(k);
                            next.push((far, v));
                        }
                    }
                }
                frontier = next;
                if frontier.is_empty() {
                    break;
                }
            }
            out.extend(frontier);
        }
        Reach::Peer(bk, kinds) => {
            if let Some(&b) = ix.elem_chain[e].iter().find(|&&b| ix.bounds[b].kind == *bk) {
                for &p in &ix.bound_members[b] {
                    if kinds.iter().any(|k| ev.is_a(p, k)) {
                        out.push((p, Vec::new()));
                    }
                }
            }
        }
        Reach::Every(_) => out.extend(every.iter().map(|&t| (t, Vec::new()))),
    }
}

/// Why a pivot found `b` from `a` without relations: the boundary they share, or the
/// kind that a cluster-wide step reaches.
fn reach_fact(
    pv: &Pivot,
    a: usize,
    b: usize,
    ix: &ModelIndex<'_>,
    ev: &Evaluator<'_, '_>,
) -> String {
    for r in &pv.to {
        match r {
            Reach::Peer(bk, kinds) if kinds.iter().any(|k| ev.is_a(b, k)) => {
                if let Some(&bi) = ix.elem_chain[a].iter().find(|&&x| ix.bounds[x].kind == *bk)
                    && ix.bound_members[bi].contains(&b)
                {
                    return format!(
                        "`{}` and `{}` share {} `{}`",
                        ix.elems[a].name,
                        ix.elems[b].name,
                        bk.label(),
                        ix.bounds[bi].name
                    );
                }
            }
            Reach::Every(kinds) if kinds.iter().any(|k| ev.is_a(b, k)) => {
                return format!("`{}` is a {}", ix.elems[b].name, ix.elems[b].kind);
            }
            _ => {}
        }
    }
    format!("`{}` reaches `{}`", ix.elems[a].name, ix.elems[b].name)
}

/// The threats that describe steps: by flow (for the flows a step rides), and by id for
/// pivot rules.
struct ThreatLinks<'a> {
    analysis: &'a Analysis,
    /// For each flow a step rides, the indices (into the analysis's threats, ascending)
    /// of the threats about it.
    by_flow: HashMap<usize, Vec<usize>, BuildHasherDefault<FastHasher>>,
}

impl<'a> ThreatLinks<'a> {
    /// The threats of `flows` (indices into `ix.flows`, repeats allowed). A threat about
    /// flow `F` is a rule's, with id `RULE@flow:F`, or a manual threat about `F`: each is
    /// found by its id among the threats (sorted by id), so the cost follows the flows
    /// asked for, not the model's threats.
    fn new(
        model: &Model,
        cat: &Catalog,
        analysis: &'a Analysis,
        ix: &ModelIndex<'_>,
        flows: impl Iterator<Item = usize>,
    ) -> Self {
        let threats = &analysis.threats;
        let mut by_flow: HashMap<usize, Vec<usize>, BuildHasherDefault<FastHasher>> =
            HashMap::default();
        let mut flows: Vec<usize> = flows.collect();
        flows.sort_unstable();
        flows.dedup();
        if flows.is_empty() {
            return ThreatLinks { analysis, by_flow };
        }
        // The threats of a flow or crossing rule `R` are those whose ids start with
        // `R@flow:`, one contiguous run of the sorted threats, sorted by flow id.
        let runs: Vec<(usize, usize, &[Threat])> = cat
            .rules
            .iter()
            .filter(|r| matches!(r.rule.applies, Applies::Flows | Applies::Crossings))
            .filter_map(|r| {
                let prefix = [r.rule.id.as_str(), "@flow:"].concat();
                let lo = threats.partition_point(|t| t.id.as_str() < prefix.as_str());
                let len = threats[lo..].partition_point(|t| t.id.as_str().starts_with(&prefix));
                (len > 0).then(|| (prefix.len(), lo, &threats[lo..lo + len]))
            })
            .collect();
        let mut manual: HashMap<&str, Vec<&str>, BuildHasherDefault<FastHasher>> =
            HashMap::default();
        for m in model.manual_threats.values() {
            if let crate::model::SubjectRef::Flow(f) = &m.subject {
                manual.entry(f.as_str()).or_default().push(m.id.as_str());
            }
        }
        for f in flows {
            let id = ix.flows[f].id.as_str();
            let mut found: Vec<usize> = Vec::new();
            for &(skip, lo, run) in &runs {
                let at =
                    run.binary_search_by(|t| t.id.as_str().get(skip..).unwrap_or_default().cmp(id));
                if let Ok(k) = at {
                    found.push(lo + k);
                }
            }
            for mid in manual.get(id).into_iter().flatten() {
                if let Ok(k) = threats.binary_search_by(|t| t.id.as_str().cmp(mid)) {
                    found.push(k);
                }
            }
            // Only threats about this flow (a manual threat with a rule's id replaces it).
            found.retain(|&i| {
                matches!(&threats[i].subject,
                    Subject::Flow(x) | Subject::Crossing(x, _) if x.as_str() == id)
            });
            found.sort_unstable();
            found.dedup();
            if !found.is_empty() {
                by_flow.insert(f, found);
            }
        }
        ThreatLinks { analysis, by_flow }
    }

    fn summarize<'t>(
        threats: impl Iterator<Item = &'t Threat>,
        model: &Model,
    ) -> (Vec<ThreatId>, bool) {
        let mut open = Vec::new();
        let mut triaged = false;
        for t in threats {
            if t.status(model).is_untriaged() {
                open.push(t.id.clone());
            } else {
                triaged = true;
            }
        }
        (open, triaged)
    }

    /// The open threats of flow `f` (an index into the model's flows) and whether one is
    /// decided.
    fn on_flow(&self, f: usize, model: &Model) -> (Vec<ThreatId>, bool) {
        let idx = self.by_flow.get(&f).map(Vec::as_slice).unwrap_or(&[]);
        Self::summarize(idx.iter().map(|&i| &self.analysis.threats[i]), model)
    }

    fn on_elements(
        &self,
        rules: &[String],
        ends: &[&ElementId],
        model: &Model,
    ) -> (Vec<ThreatId>, bool) {
        let mut ids: Vec<String> = rules
            .iter()
            .flat_map(|r| ends.iter().map(move |e| format!("{r}@element:{e}")))
            .collect();
        ids.sort();
        ids.dedup();
        Self::summarize(ids.iter().filter_map(|id| self.analysis.threat(id)), model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Boundary, BoundaryId, BoundaryKind, Element, Flow, Relation, RelationId};

    /// A small model builder for minimal pairs.
    #[derive(Clone)]
    struct B(Model);

    impl B {
        fn new() -> B {
            B(Model::new("t"))
        }
        fn bound(mut self, id: &str, kind: BoundaryKind, trust: u8, parent: Option<&str>) -> B {
            self.0.boundaries.insert(
                BoundaryId::new(id),
                Boundary {
                    id: BoundaryId::new(id),
                    name: id.to_owned(),
                    kind,
                    trust,
                    parent: parent.map(BoundaryId::new),
                    ..Default::default()
                },
            );
            self
        }
        fn el(mut self, id: &str, kind: &str, b: Option<&str>, props: &[(&str, Value)]) -> B {
            self.0.elements.insert(
                ElementId::new(id),
                Element {
                    id: ElementId::new(id),
                    name: id.to_owned(),
                    kind: kind.to_owned(),
                    boundary: b.map(BoundaryId::new),
                    pos: (0.0, 0.0),
                    props: props
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), v.clone()))
                        .collect(),
                    ..Default::default()
                },
            );
            self
        }
        fn set(mut self, id: &str, k: &str, v: Value) -> B {
            if let Some(e) = self.0.elements.get_mut(id) {
                e.props.insert(k.to_owned(), v);
            }
            self
        }
        fn flow(mut self, id: &str, a: &str, b: &str, props: &[(&str, Value)]) -> B {
            self.0.flows.insert(
                FlowId::new(id),
                Flow {
                    id: FlowId::new(id),
                    name: id.to_owned(),
                    source: ElementId::new(a),
                    target: ElementId::new(b),
                    props: props
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), v.clone()))
                        .collect(),
                    ..Default::default()
                },
            );
            self
        }
        fn rel(mut self, kind: &str, a: &str, b: &str) -> B {
            let id = format!("r{}", self.0.relations.len());
            self.0.relations.insert(
                RelationId::new(&id),
                Relation {
                    id: RelationId::new(&id),
                    kind: kind.to_owned(),
                    source: ElementId::new(a),
                    target: ElementId::new(b),
                    ..Default::default()
                },
            );
            self
        }
        fn mark(mut self, id: &str, entry: bool, jewel: bool) -> B {
            if let Some(e) = self.0.elements.get_mut(id) {
                e.entry_point = entry;
                e.crown_jewel = jewel;
            }
            self
        }
    }

    fn t() -> Value {
        Value::Bool(true)
    }
    fn f() -> Value {
        Value::Bool(false)
    }
    fn s(x: &str) -> Value {
        Value::Text(x.to_owned())
    }

    /// Every edge of the model's attack graph as (from, step, to).
    fn edges(m: &Model) -> Vec<(String, String, String)> {
        let cat = Catalog::builtin();
        let ix = ModelIndex::new(m, &cat);
        let g = Graph::new(&cat, &ix);
        g.edges
            .iter()
            .map(|e| {
                let id = match &e.via {
                    Via::Flow { step, .. } => cat.flow_steps[*step].id.clone(),
                    Via::Pivot { pivot, .. } => cat.pivots[*pivot].id.clone(),
                };
                (
                    ix.elems[e.from as usize].id.to_string(),
                    id,
                    ix.elems[e.to as usize].id.to_string(),
                )
            })
            .collect()
    }

    fn has(m: &B, from: &str, step: &str, to: &str) -> bool {
        edges(&m.0)
            .iter()
            .any(|(a, s, b)| a == from && s == step && b == to)
    }

    /// (step, model where it fires, the same model with one fact changed, from, to).
    fn cases() -> Vec<(&'static str, B, B, &'static str, &'static str)> {
        let k8s_node = |pod: &[(&str, Value)]| {
            B::new()
                .el("pod", "k8s.pod", None, pod)
                .el("node", "k8s.node", None, &[])
                .rel("k8s.runs-on", "pod", "node")
        };
        let docker_host = |c: &[(&str, Value)]| {
            B::new()
                .bound("host", BoundaryKind::Host, 8, None)
                .bound("rt", BoundaryKind::ContainerRuntime, 6, Some("host"))
                .el("daemon", "docker.daemon", Some("host"), &[])
                .el("c", "docker.container", Some("rt"), c)
        };
        let ns = |role: &[(&str, Value)], other: (&str, &str)| {
            B::new()
                .bound("ns", BoundaryKind::Namespace, 6, None)
                .el("role", "k8s.role", Some("ns"), role)
                .el(other.0, other.1, Some("ns"), &[])
        };
        let caps = |c: &[&str]| Value::list(c.iter().map(|x| (*x).to_owned()));
        let b = k8s_node(&[("privileged", t())]);
        let mut out = vec![
            (
                "PIVOT-ESCAPE-PRIVILEGED",
                b.clone(),
                b.set("pod", "privileged", f()),
                "pod",
                "node",
            ),
            {
                let b = docker_host(&[("privileged", t())]);
                (
                    "PIVOT-ESCAPE-PRIVILEGED",
                    b.clone(),
                    b.set("c", "privileged", f()),
                    "c",
                    "daemon",
                )
            },
            {
                let b = k8s_node(&[
                    ("host_pid", t()),
                    ("capabilities_added", caps(&["SYS_PTRACE"])),
                ]);
                (
                    "PIVOT-ESCAPE-HOST-PID",
                    b.clone(),
                    b.set("pod", "host_pid", f()),
                    "pod",
                    "node",
                )
            },
            {
                let b = k8s_node(&[("capabilities_added", caps(&["SYS_MODULE"]))]);
                (
                    "PIVOT-ESCAPE-MODULE",
                    b.clone(),
                    b.set("pod", "capabilities_added", caps(&[])),
                    "pod",
                    "node",
                )
            },
            {
                let b = k8s_node(&[("host_path_mounts", s("writable"))]);
                (
                    "PIVOT-ESCAPE-HOST-WRITE",
                    b.clone(),
                    b.set("pod", "host_path_mounts", s("read-only")),
                    "pod",
                    "node",
                )
            },
            {
                let b = docker_host(&[("docker_socket_mounted", t())]);
                (
                    "PIVOT-ESCAPE-DOCKER-SOCKET",
                    b.clone(),
                    b.set("c", "docker_socket_mounted", f()),
                    "c",
                    "daemon",
                )
            },
            {
                let b = B::new()
                    .el("pod", "k8s.pod", None, &[])
                    .el("sa", "k8s.service-account", None, &[])
                    .rel("k8s.uses-service-account", "pod", "sa");
                (
                    "PIVOT-TOKEN-THEFT",
                    b.clone(),
                    b.set("pod", "automount_sa_token", f()),
                    "pod",
                    "sa",
                )
            },
            {
                let base = B::new().el("ci", "generic.entity", None, &[]).el(
                    "sa",
                    "k8s.service-account",
                    None,
                    &[],
                );
                (
                    "PIVOT-CREDENTIAL-USE",
                    base.clone().rel("k8s.authenticates-as", "ci", "sa"),
                    base,
                    "ci",
                    "sa",
                )
            },
            {
                let base = B::new()
                    .el("sa", "k8s.service-account", None, &[])
                    .el("rb", "k8s.rbac-binding", None, &[])
                    .el("role", "k8s.role", None, &[])
                    .rel("k8s.binds-role", "rb", "role");
                (
                    "PIVOT-GRANTED",
                    base.clone().rel("k8s.binds-subject", "rb", "sa"),
                    base,
                    "sa",
                    "role",
                )
            },
            {
                let b = B::new()
                    .el("role", "k8s.role", None, &[("can_create_pods", t())])
                    .el("node", "k8s.node", None, &[]);
                (
                    "PIVOT-RBAC-CREATE-PODS",
                    b.clone(),
                    b.set("role", "can_create_pods", f()),
                    "role",
                    "node",
                )
            },
            {
                let b = ns(&[("can_exec", t())], ("pod", "k8s.pod"));
                (
                    "PIVOT-RBAC-EXEC",
                    b.clone(),
                    b.set("role", "can_exec", f()),
                    "role",
                    "pod",
                )
            },
            {
                let b = B::new()
                    .el(
                        "role",
                        "k8s.role",
                        None,
                        &[("can_exec", t()), ("cluster_wide", t())],
                    )
                    .el("pod", "k8s.deployment", None, &[]);
                (
                    "PIVOT-RBAC-EXEC-CLUSTER",
                    b.clone(),
                    b.set("role", "cluster_wide", f()),
                    "role",
                    "pod",
                )
            },
            {
                let b = B::new()
                    .el("role", "k8s.role", None, &[("can_bind_escalate", t())])
                    .el("admin", "k8s.role", None, &[("wildcard", t())]);
                (
                    "PIVOT-RBAC-BIND-ESCALATE",
                    b.clone(),
                    b.set("admin", "wildcard", f()),
                    "role",
                    "admin",
                )
            },
            {
                let b = B::new()
                    .el("role", "k8s.role", None, &[("can_impersonate", t())])
                    .el("sa", "k8s.service-account", None, &[]);
                (
                    "PIVOT-RBAC-IMPERSONATE",
                    b.clone(),
                    b.set("role", "can_impersonate", f()),
                    "role",
                    "sa",
                )
            },
            {
                let b = ns(&[("can_read_secrets", t())], ("sec", "k8s.secret"));
                (
                    "PIVOT-RBAC-READ-SECRETS",
                    b.clone(),
                    b.set("role", "can_read_secrets", f()),
                    "role",
                    "sec",
                )
            },
            {
                let b = B::new()
                    .el(
                        "rb",
                        "k8s.rbac-binding",
                        None,
                        &[("role", s("cluster-admin"))],
                    )
                    .el("sec", "k8s.secret", None, &[]);
                (
                    "PIVOT-RBAC-READ-ALL-SECRETS",
                    b.clone(),
                    b.set("rb", "role", s("edit")),
                    "rb",
                    "sec",
                )
            },
            {
                let b = B::new()
                    .el(
                        "rb",
                        "k8s.rbac-binding",
                        None,
                        &[("role", s("cluster-admin"))],
                    )
                    .el("api", "k8s.api-server", None, &[]);
                (
                    "PIVOT-CLUSTER-ADMIN",
                    b.clone(),
                    b.set("rb", "role", s("admin")),
                    "rb",
                    "api",
                )
            },
            {
                let base =
                    B::new()
                        .el("pod", "k8s.pod", None, &[])
                        .el("node", "k8s.node", None, &[]);
                (
                    "PIVOT-NODE-PODS",
                    base.clone().rel("k8s.runs-on", "pod", "node"),
                    base,
                    "node",
                    "pod",
                )
            },
            {
                let b = B::new().el("node", "k8s.node", None, &[]).el(
                    "api",
                    "k8s.api-server",
                    None,
                    &[],
                );
                (
                    "PIVOT-NODE-KUBELET-CREDS",
                    b.clone(),
                    b.set("node", "kubelet_credentials_scoped", t()),
                    "node",
                    "api",
                )
            },
            {
                let b = B::new().el("node", "k8s.node", None, &[]).el(
                    "etcd",
                    "k8s.etcd",
                    None,
                    &[("client_cert_auth", t())],
                );
                (
                    "PIVOT-NODE-ETCD",
                    b.clone(),
                    b.set("etcd", "reachable_from_workloads", f()),
                    "node",
                    "etcd",
                )
            },
            {
                let b = B::new()
                    .bound("host", BoundaryKind::Host, 7, None)
                    .el(
                        "kubelet",
                        "k8s.kubelet",
                        Some("host"),
                        &[("authorization_mode", s("Webhook"))],
                    )
                    .el("node", "k8s.node", Some("host"), &[]);
                (
                    "PIVOT-KUBELET-OPEN",
                    b.clone(),
                    b.set("kubelet", "anonymous_auth", f()),
                    "kubelet",
                    "node",
                )
            },
            {
                let b = docker_host(&[]);
                let apart = b.clone().bound("other", BoundaryKind::Host, 8, None);
                let mut apart = apart;
                if let Some(e) = apart.0.elements.get_mut("c") {
                    e.boundary = Some(BoundaryId::new("other"));
                }
                ("PIVOT-DAEMON-CONTAINERS", b, apart, "daemon", "c")
            },
            {
                let b =
                    B::new()
                        .el("ing", "k8s.ingress", None, &[])
                        .el("sec", "k8s.secret", None, &[]);
                (
                    "PIVOT-INGRESS-SNIPPETS",
                    b.clone(),
                    b.set("ing", "snippets_allowed", f()),
                    "ing",
                    "sec",
                )
            },
            {
                let b = B::new()
                    .el("reg", "docker.registry", None, &[])
                    .el("pod", "k8s.deployment", None, &[])
                    .rel("k8s.pulls-from", "pod", "reg");
                (
                    "PIVOT-REGISTRY-IMPLANT",
                    b.clone(),
                    b.set("reg", "signing_required", t()),
                    "reg",
                    "pod",
                )
            },
            {
                let b = B::new().el("ci", "docker.build", None, &[]).el(
                    "reg",
                    "docker.registry",
                    None,
                    &[],
                );
                (
                    "PIVOT-CI-PUSH",
                    b.clone(),
                    b.set("ci", "build_provenance", t()),
                    "ci",
                    "reg",
                )
            },
        ];
        // Flow steps.
        let two = |kind: &str| {
            B::new()
                .el("a", "generic.process", None, &[])
                .el("b", kind, None, &[])
        };
        let b = two("generic.process").flow("ab", "a", "b", &[]);
        out.push((
            "FLOW-INPUT",
            b.clone(),
            two("generic.process").flow("ab", "a", "b", &[("validated_by_receiver", t())]),
            "a",
            "b",
        ));
        let b = two("generic.store").flow("ab", "a", "b", &[]);
        out.push(("FLOW-STORE", b, two("generic.store"), "a", "b"));
        let b = two("docker.registry").flow("ab", "a", "b", &[]);
        out.push((
            "FLOW-REGISTRY-PUSH",
            b.clone(),
            b.set("b", "push_restricted", t()),
            "a",
            "b",
        ));
        out
    }

    #[test]
    fn every_step_fires_on_its_model_and_not_on_the_changed_one() {
        let cases = cases();
        for (step, yes, no, from, to) in &cases {
            assert!(
                has(yes, from, step, to),
                "{step} should fire: {:?}",
                edges(&yes.0)
            );
            assert!(
                !has(no, from, step, to),
                "{step} should not fire: {:?}",
                edges(&no.0)
            );
        }
        // Every built-in step has a minimal pair.
        let cat = Catalog::builtin();
        for id in cat
            .pivots
            .iter()
            .map(|p| &p.id)
            .chain(cat.flow_steps.iter().map(|s| &s.id))
        {
            assert!(cases.iter().any(|c| c.0 == id), "no minimal pair for {id}");
        }
    }

    /// entry -> a -> c (target) and entry -> b -> c, where the flows to `a` are
    /// authenticated and those to `b` are not; `d` is a second way into `c` from `b`.
    fn diamond() -> B {
        B::new()
            .bound("net", BoundaryKind::Internet, 0, None)
            .el("entry", "generic.entity", Some("net"), &[])
            .el("a", "generic.process", None, &[])
            .el("b", "generic.process", None, &[])
            .el("c", "generic.store", None, &[])
            .flow(
                "e-a",
                "entry",
                "a",
                &[("authenticated", t()), ("encrypted", t())],
            )
            .flow("e-b", "entry", "b", &[])
            .flow("a-c", "a", "c", &[])
            .flow("b-c", "b", "c", &[])
    }

    fn find_all(m: &Model, q: &Query) -> Paths {
        let cat = Catalog::builtin();
        let a = crate::analysis::analyze(m, &cat);
        match find(m, &cat, &a, q) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_shortest_path_takes_the_weakest_controls_on_a_tie_and_the_cut_is_minimal() {
        let m = diamond().0;
        let p = find_all(
            &m,
            &Query {
                cuts: true,
                ..Query::default()
            },
        );
        assert_eq!(p.paths.len(), 1);
        let path = &p.paths[0];
        assert_eq!(path.id, "entry->c");
        let via: Vec<&str> = path.steps.iter().map(|s| s.to.as_str()).collect();
        assert_eq!(via, ["b", "c"], "the unauthenticated way is weaker");
        assert_eq!(path.steps[0].controls, 0);
        // Two disjoint ways: the cut needs two steps, one on each.
        let cut: Vec<(&str, &str)> = path
            .cut
            .iter()
            .map(|s| (s.from.as_str(), s.to.as_str()))
            .collect();
        assert_eq!(cut.len(), 2, "{cut:?}");
        // Closing b-c leaves one way, so one step cuts it.
        let mut m2 = m.clone();
        m2.flows.remove("b-c");
        let p2 = find_all(
            &m2,
            &Query {
                cuts: true,
                ..Query::default()
            },
        );
        assert_eq!(p2.paths[0].cut.len(), 1);
        assert_eq!(
            p2.paths[0]
                .steps
                .iter()
                .map(|s| s.to.as_str())
                .collect::<Vec<_>>(),
            ["a", "c"]
        );
    }

    #[test]
    fn marks_add_entries_and_targets_and_queries_restrict_them() {
        let m = diamond().mark("a", true, false).mark("b", false, true).0;
        let p = find_all(&m, &Query::default());
        let ids: Vec<&str> = p.paths.iter().map(|x| x.id.as_str()).collect();
        // `a` (marked entry) reaches `c` in one step; `b` (marked jewel) from `entry`.
        assert_eq!(
            ids,
            ["entry->b", "a->c"],
            "equal length and controls: target id order"
        );
        let only = find_all(
            &m,
            &Query {
                from: Some(ElementId::new("entry")),
                to: Some(ElementId::new("c")),
                ..Query::default()
            },
        );
        assert_eq!(only.paths.len(), 1);
        assert_eq!(only.paths[0].id, "entry->c");
        let cat = Catalog::builtin();
        let a = crate::analysis::analyze(&m, &cat);
        let bad = find(
            &m,
            &cat,
            &a,
            &Query {
                from: Some(ElementId::new("nope")),
                ..Query::default()
            },
        );
        assert!(matches!(bad, Err(PathsError::UnknownFrom(_))));
        let capped = find_all(
            &m,
            &Query {
                max: Some(1),
                ..Query::default()
            },
        );
        assert_eq!((capped.paths.len(), capped.left_out), (1, 1));
    }

    #[test]
    fn a_triaged_step_makes_the_path_no_longer_untriaged() {
        let mut m = diamond().0;
        let p = find_all(&m, &Query::default());
        assert!(p.paths[0].untriaged());
        let first = p.paths[0].steps[0].open_threats.first().cloned();
        let Some(tid) = first else {
            panic!("the unauthenticated flow has open threats");
        };
        m.triage.insert(
            tid.clone(),
            crate::model::Triage {
                threat: tid.clone(),
                status: crate::model::Status::Mitigated,
                ..Default::default()
            },
        );
        let p = find_all(&m, &Query::default());
        assert!(!p.paths[0].untriaged());
        assert!(!p.paths[0].steps[0].open_threats.contains(&tid));
    }

    #[test]
    fn nothing_to_reach_without_entries_or_edges() {
        let m = B::new()
            .el("a", "generic.process", None, &[])
            .el("c", "generic.store", None, &[])
            .flow("a-c", "a", "c", &[])
            .0;
        assert!(find_all(&m, &Query::default()).paths.is_empty());
        let lone = B::new().el("x", "generic.entity", None, &[]).0;
        assert!(find_all(&lone, &Query::default()).paths.is_empty());
    }
}
