//! A read-only index over one model: dense indices, boundary chains, crossings and
//! adjacency, built once per evaluation. Indices never leave the analysis and rules code.

use crate::model::{Boundary, BoundaryKind, Element, Flow, Model, Relation};
use crate::rules::Catalog;
use std::collections::HashMap;
use std::sync::Arc;

/// A boundary a flow crosses, and in which direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crossed {
    /// Index into [`ModelIndex::bounds`].
    pub boundary: usize,
    /// True when the flow enters the boundary, false when it exits it.
    pub entering: bool,
}

/// The part of a [`ModelIndex`] that depends only on the model's structure (ids, kinds,
/// boundary membership and nesting, flow and relation ends) and the catalog's stencils:
/// dense indices only, no borrow of the model. An edit that changes only properties,
/// positions, triage or controls leaves it as it is, so [`super::reanalyze`] takes it
/// from the previous analysis instead of building it again.
#[derive(Debug)]
pub struct Links {
    /// Stencil index of each element, when its kind is known.
    pub elem_stencil: Vec<Option<usize>>,
    /// Boundary chain of each element, innermost first.
    pub elem_chain: Vec<Vec<usize>>,
    /// The innermost boundary of each element ([`NONE`] outside all): the head of its
    /// chain, in one dense array.
    elem_inner: Vec<u32>,
    /// For each boundary, the first boundary of each kind (in [`BoundaryKind::ALL`]
    /// order) on the chain that starts at it ([`NONE`] when there is none): with
    /// `elem_inner`, the innermost boundary of a kind around an element in two reads
    /// instead of a walk up its chain.
    bound_nearest: Vec<[u32; BoundaryKind::ALL.len()]>,
    /// Each boundary's trust level.
    bound_trust: Vec<u8>,
    /// Every element inside each boundary, at any depth.
    pub bound_members: Vec<Vec<usize>>,
    /// Source and target element indices of each flow (None when dangling).
    pub flow_ends: Vec<Option<(usize, usize)>>,
    /// Boundaries each flow crosses: exits innermost first, then entries outermost first.
    pub crossings: Vec<Vec<Crossed>>,
    /// Flows leaving each element.
    pub out_flows: Vec<Vec<usize>>,
    /// Flows arriving at each element.
    pub in_flows: Vec<Vec<usize>>,
    /// For each element, the relations starting at it: (relation index, target element);
    /// relations with a missing end are left out.
    pub rel_out: Vec<Vec<(usize, usize)>>,
    /// For each element, the relations ending at it: (relation index, source element).
    pub rel_in: Vec<Vec<(usize, usize)>>,
    /// How many relations and catalog stencils there were (with the lengths above, the
    /// sizes a model must have for these links to be taken for it).
    rels: usize,
    stencils: usize,
}

/// Dense views of a model for fast evaluation. The structural part ([`Links`]) is
/// shared and reached through `Deref`: `ix.elem_chain[e]`.
pub struct ModelIndex<'m> {
    /// Elements in id order.
    pub elems: Vec<&'m Element>,
    /// Boundaries in id order.
    pub bounds: Vec<&'m Boundary>,
    /// Flows in id order.
    pub flows: Vec<&'m Flow>,
    /// Relations in id order.
    pub rels: Vec<&'m Relation>,
    links: Arc<Links>,
    /// Element positions by id; `None` when the links were reused, and an id is then
    /// found by binary search in `elems` (which is in id order).
    elem_pos: Option<HashMap<&'m str, usize>>,
    bound_pos: HashMap<&'m str, usize>,
}

impl std::ops::Deref for ModelIndex<'_> {
    type Target = Links;
    fn deref(&self) -> &Links {
        &self.links
    }
}

impl<'m> ModelIndex<'m> {
    /// Builds the index. Dangling references and cycles are tolerated (they are
    /// reported by validation); a cyclic boundary chain is cut where it repeats.
    pub fn new(model: &'m Model, catalog: &Catalog) -> Self {
        let elems: Vec<&Element> = model.elements.values().collect();
        let bounds: Vec<&Boundary> = model.boundaries.values().collect();
        let flows: Vec<&Flow> = model.flows.values().collect();
        let elem_pos: HashMap<&str, usize> = elems
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.as_str(), i))
            .collect();
        let bound_pos = positions(&bounds);
        let bound_parent: Vec<Option<usize>> = bounds
            .iter()
            .map(|b| {
                b.parent
                    .as_ref()
                    .and_then(|p| bound_pos.get(p.as_str()).copied())
            })
            .collect();
        let chain_from = |start: Option<usize>| -> Vec<usize> {
            let mut out = Vec::new();
            let mut cur = start;
            while let Some(b) = cur {
                // Cut at a repeat (a cycle) or past the nesting limit (a validation
                // error), so a walk costs at most MAX_BOUNDARY_DEPTH steps.
                if out.len() >= crate::model::MAX_BOUNDARY_DEPTH || out.contains(&b) {
                    break;
                }
                out.push(b);
                cur = bound_parent[b];
            }
            out
        };
        let elem_chain: Vec<Vec<usize>> = elems
            .iter()
            .map(|e| {
                chain_from(
                    e.boundary
                        .as_ref()
                        .and_then(|b| bound_pos.get(b.as_str()).copied()),
                )
            })
            .collect();
        let elem_inner = elem_chain.iter().map(|c| dense(c.first())).collect();
        let bound_nearest = (0..bounds.len())
            .map(|b| {
                let chain = chain_from(Some(b));
                BoundaryKind::ALL.map(|k| dense(chain.iter().find(|&&c| bounds[c].kind == k)))
            })
            .collect();
        let bound_trust = bounds.iter().map(|b| b.trust).collect();
        let mut bound_members = vec![Vec::new(); bounds.len()];
        for (i, chain) in elem_chain.iter().enumerate() {
            for &b in chain {
                bound_members[b].push(i);
            }
        }
        let elem_stencil = elems
            .iter()
            .map(|e| catalog.stencil_index(&e.kind))
            .collect();
        let mut out_flows = vec![Vec::new(); elems.len()];
        let mut in_flows = vec![Vec::new(); elems.len()];
        let mut flow_ends = Vec::with_capacity(flows.len());
        let mut crossings = Vec::with_capacity(flows.len());
        for (fi, f) in flows.iter().enumerate() {
            let ends = match (
                elem_pos.get(f.source.as_str()),
                elem_pos.get(f.target.as_str()),
            ) {
                (Some(&s), Some(&t)) => Some((s, t)),
                _ => None,
            };
            flow_ends.push(ends);
            match ends {
                Some((s, t)) => {
                    out_flows[s].push(fi);
                    in_flows[t].push(fi);
                    crossings.push(walk(&elem_chain[s], &elem_chain[t]));
                }
                None => crossings.push(Vec::new()),
            }
        }
        let rels: Vec<&Relation> = model.relations.values().collect();
        let mut rel_out = vec![Vec::new(); elems.len()];
        let mut rel_in = vec![Vec::new(); elems.len()];
        for (ri, r) in rels.iter().enumerate() {
            if let (Some(&s), Some(&t)) = (
                elem_pos.get(r.source.as_str()),
                elem_pos.get(r.target.as_str()),
            ) {
                rel_out[s].push((ri, t));
                rel_in[t].push((ri, s));
            }
        }
        let links = Links {
            rel_out,
            rel_in,
            elem_stencil,
            elem_chain,
            elem_inner,
            bound_nearest,
            bound_trust,
            bound_members,
            flow_ends,
            crossings,
            out_flows,
            in_flows,
            rels: rels.len(),
            stencils: catalog.stencils.len(),
        };
        ModelIndex {
            rels,
            elems,
            bounds,
            flows,
            links: Arc::new(links),
            elem_pos: Some(elem_pos),
            bound_pos,
        }
    }

    /// The index of `model` over `links`, the links of an index of a model with the same
    /// structure (the model before a property, position, triage or control edit) and the
    /// same catalog: only the views of the items are collected again. `None` when the
    /// model's item counts or the catalog's stencils do not match the links.
    pub fn with_links(model: &'m Model, catalog: &Catalog, links: &Arc<Links>) -> Option<Self> {
        let fits = links.elem_chain.len() == model.elements.len()
            && links.bound_members.len() == model.boundaries.len()
            && links.flow_ends.len() == model.flows.len()
            && links.rels == model.relations.len()
            && links.stencils == catalog.stencils.len();
        if !fits {
            return None;
        }
        let bounds: Vec<&Boundary> = model.boundaries.values().collect();
        Some(ModelIndex {
            elems: model.elements.values().collect(),
            bound_pos: positions(&bounds),
            bounds,
            flows: model.flows.values().collect(),
            rels: model.relations.values().collect(),
            links: Arc::clone(links),
            elem_pos: None,
        })
    }

    /// The structural part of this index, to build the next one from.
    pub fn links(&self) -> &Arc<Links> {
        &self.links
    }

    /// Index of an element by id.
    pub fn elem(&self, id: &str) -> Option<usize> {
        match &self.elem_pos {
            Some(m) => m.get(id).copied(),
            None => self.elems.binary_search_by(|e| e.id.as_str().cmp(id)).ok(),
        }
    }

    /// Index of a boundary by id.
    pub fn bound(&self, id: &str) -> Option<usize> {
        self.bound_pos.get(id).copied()
    }

    /// Trust level of an element: that of its innermost boundary, 0 outside all.
    pub fn trust(&self, e: usize) -> u8 {
        self.elem_inner
            .get(e)
            .and_then(|&b| self.bound_trust.get(b as usize))
            .copied()
            .unwrap_or(0)
    }

    /// The innermost boundary of kind `k` around element `e` (the first of that kind on
    /// its chain).
    pub fn nearest_of_kind(&self, e: usize, k: BoundaryKind) -> Option<usize> {
        let inner = *self.elem_inner.get(e)?;
        let at = self.bound_nearest.get(inner as usize)?[k as usize];
        (at != NONE).then_some(at as usize)
    }
}

/// No boundary, in the dense arrays of [`Links`].
const NONE: u32 = u32::MAX;

/// A boundary position in a dense array ([`NONE`] for none; positions past `u32` are
/// not reached: a model holds far fewer boundaries than that).
fn dense(b: Option<&usize>) -> u32 {
    b.and_then(|&b| u32::try_from(b).ok()).unwrap_or(NONE)
}

/// Boundary positions by id.
fn positions<'m>(bounds: &[&'m Boundary]) -> HashMap<&'m str, usize> {
    bounds
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.as_str(), i))
        .collect()
}

/// The boundaries crossed going from one chain to another (both innermost first):
/// exit up to the lowest common ancestor, then enter down to the target.
pub fn walk(src: &[usize], tgt: &[usize]) -> Vec<Crossed> {
    let (mut i, mut j) = (src.len(), tgt.len());
    // Strip the common outer suffix: what remains below it is exited / entered.
    while i > 0 && j > 0 && src[i - 1] == tgt[j - 1] {
        i -= 1;
        j -= 1;
    }
    let mut out = Vec::with_capacity(i + j);
    out.extend(src[..i].iter().map(|&b| Crossed {
        boundary: b,
        entering: false,
    }));
    out.extend(tgt[..j].iter().rev().map(|&b| Crossed {
        boundary: b,
        entering: true,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[Crossed]) -> Vec<(usize, bool)> {
        v.iter().map(|c| (c.boundary, c.entering)).collect()
    }

    /// The dense tables answer as a walk up each element's chain does, on every example
    /// and on a model whose boundary chain is a cycle or reaches a missing parent.
    #[test]
    fn nearest_and_trust_answer_as_the_chain_does() {
        let cat = Catalog::builtin();
        let texts = [
            include_str!("../../examples/docker-attack-surface.ron"),
            include_str!("../../examples/docker-hardened.ron"),
            include_str!("../../examples/kubernetes-cluster.ron"),
            include_str!("../../examples/kubernetes-hardened.ron"),
            include_str!("../../examples/kubeflow-mlops.ron"),
        ];
        let mut models: Vec<Model> = texts
            .iter()
            .filter_map(|t| crate::persist::load_bytes("example.ron", t.as_bytes()).ok())
            .map(|l| l.model)
            .collect();
        assert_eq!(models.len(), texts.len(), "the examples load");
        let mut odd = models[0].clone();
        let ids: Vec<_> = odd.boundaries.keys().cloned().collect();
        if let [a, b, c, ..] = ids.as_slice() {
            let set = |m: &mut Model, id: &crate::model::BoundaryId, p: &str| {
                if let Some(x) = m.boundaries.get_mut(id) {
                    x.parent = Some(p.into());
                }
            };
            set(&mut odd, a, b.as_str());
            set(&mut odd, b, a.as_str());
            set(&mut odd, c, "no-such-boundary");
        }
        models.push(odd);
        for m in &models {
            let ix = ModelIndex::new(m, &cat);
            for e in 0..ix.elems.len() {
                let chain = &ix.elem_chain[e];
                for k in BoundaryKind::ALL {
                    let walked = chain.iter().copied().find(|&b| ix.bounds[b].kind == k);
                    assert_eq!(ix.nearest_of_kind(e, k), walked, "{} {k:?}", ix.elems[e].id);
                }
                let trust = chain.first().map_or(0, |&b| ix.bounds[b].trust);
                assert_eq!(ix.trust(e), trust, "{}", ix.elems[e].id);
            }
        }
    }

    #[test]
    fn same_boundary_crosses_nothing() {
        assert!(walk(&[2, 1, 0], &[2, 1, 0]).is_empty());
    }

    #[test]
    fn sibling_namespaces_exit_one_and_enter_the_other() {
        // cluster 0 holds namespaces 1 and 2.
        assert_eq!(ids(&walk(&[1, 0], &[2, 0])), vec![(1, false), (2, true)]);
    }

    #[test]
    fn deep_to_shallow_exits_each_level_up_to_the_common_ancestor() {
        // pod group 3 in namespace 1 in cluster 0, to the cluster itself.
        assert_eq!(ids(&walk(&[3, 1, 0], &[0])), vec![(3, false), (1, false)]);
    }

    #[test]
    fn outside_everything_to_nested_enters_outermost_first() {
        assert_eq!(
            ids(&walk(&[], &[3, 1, 0])),
            vec![(0, true), (1, true), (3, true)]
        );
    }

    #[test]
    fn disjoint_roots_exit_all_then_enter_all() {
        assert_eq!(
            ids(&walk(&[5], &[7, 6])),
            vec![(5, false), (6, true), (7, true)]
        );
    }
}
