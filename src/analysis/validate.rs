//! Model validation: every problem becomes a diagnostic that names its culprit.

use super::index::ModelIndex;
use crate::analysis::eval::NameMap;
use crate::diag::{Diagnostic, Level};
use crate::model::{Model, SubjectRef, ThreatId, Value, check_id, truncate};
use crate::rules::Catalog;
use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

/// Checks references, boundary nesting, kinds and property types.
pub fn validate(
    model: &Model,
    cat: &Catalog,
    ix: &ModelIndex<'_>,
    orphans: &[ThreatId],
) -> Vec<Diagnostic> {
    with_orphans(structure(model, cat, ix), model, orphans)
}

/// The diagnostics of [`validate`] that do not depend on the threats: everything but
/// the orphaned triage (so they can be found while the rules run), unsorted.
pub(crate) fn structure(model: &Model, cat: &Catalog, ix: &ModelIndex<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for ei in 0..ix.elems.len() {
        element_diags(&mut out, cat, ix, ei);
    }
    let flow_specs = flow_specs(cat);
    for fi in 0..ix.flows.len() {
        flow_diags(&mut out, model, ix, &flow_specs, fi);
    }
    // Boundary nesting: a graph from child to parent; any strongly connected component
    // with more than one node (or a self-parent) is a cycle.
    let mut g: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<_> = (0..ix.bounds.len()).map(|i| g.add_node(i)).collect();
    for (i, b) in ix.bounds.iter().enumerate() {
        let br = SubjectRef::Boundary(b.id.clone());
        if let Err(m) = check_id(b.id.as_str()) {
            out.push(
                Diagnostic::new(Level::Error, "bad-id", format!("boundary: {m}")).about(br.clone()),
            );
        }
        let (x, y, w, h) = b.rect;
        if !(x.is_finite() && y.is_finite() && w.is_finite() && h.is_finite()) || w < 0.0 || h < 0.0
        {
            out.push(
                Diagnostic::new(
                    Level::Error,
                    "bad-rect",
                    format!("boundary `{}` has a non-finite or negative rectangle", b.id),
                )
                .about(br.clone()),
            );
        }
        if b.trust > 10 {
            out.push(
                Diagnostic::new(
                    Level::Warning,
                    "trust-range",
                    format!(
                        "boundary `{}` has trust {}; levels run from 0 to 10",
                        b.id, b.trust
                    ),
                )
                .about(br.clone()),
            );
        }
        if let Some(p) = &b.parent {
            match ix.bound(p.as_str()) {
                Some(pi) => {
                    g.add_edge(nodes[i], nodes[pi], ());
                }
                None => out.push(
                    Diagnostic::new(
                        Level::Error,
                        "dangling-parent",
                        format!(
                            "boundary `{}` has parent `{}`, which does not exist",
                            b.id,
                            truncate(p.as_str(), 60)
                        ),
                    )
                    .about(br.clone()),
                ),
            }
        }
    }
    // Nesting past the limit (possible only through edits: such files are refused at
    // load), reported once for the first boundary found too deep.
    let limit = crate::model::MAX_BOUNDARY_DEPTH;
    if let Some(b) = model.boundaries.values().find(|b| {
        let mut chain: Vec<&str> = vec![b.id.as_str()];
        let mut cur: &crate::model::Boundary = b;
        while let Some(p) = cur.parent.as_ref().and_then(|p| model.boundaries.get(p)) {
            if chain.contains(&p.id.as_str()) {
                return false;
            }
            chain.push(p.id.as_str());
            if chain.len() > limit {
                return true;
            }
            cur = p;
        }
        false
    }) {
        out.push(
            Diagnostic::new(
                Level::Error,
                "boundary-depth",
                format!(
                    "boundary `{}` is nested more than {limit} levels deep through `parent`; the limit is {limit} (MAX_BOUNDARY_DEPTH)",
                    truncate(b.id.as_str(), 60)
                ),
            )
            .about(SubjectRef::Boundary(b.id.clone())),
        );
    }
    for scc in tarjan_scc(&g) {
        let cyclic = scc.len() > 1 || scc.iter().any(|&n| g.contains_edge(n, n));
        if cyclic {
            let mut ids: Vec<&str> = scc.iter().map(|&n| ix.bounds[g[n]].id.as_str()).collect();
            ids.sort();
            out.push(
                Diagnostic::new(
                    Level::Error,
                    "boundary-cycle",
                    format!(
                        "boundaries {} contain each other in a cycle",
                        ids.iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .about(SubjectRef::Boundary(crate::model::BoundaryId::new(ids[0]))),
            );
        }
    }
    // Boundary properties against their kind's schema.
    for b in ix.bounds.iter() {
        for (k, v) in &b.props {
            let br = SubjectRef::Boundary(b.id.clone());
            match cat.boundary_prop(b.kind, k) {
                None => out.push(
                    Diagnostic::new(
                        Level::Warning,
                        "unknown-property",
                        format!(
                            "boundary `{}`: no property `{}` is declared for boundary kind {}",
                            b.id,
                            truncate(k, 60),
                            b.kind.label()
                        ),
                    )
                    .about(br),
                ),
                Some(spec) if !spec.ty.accepts(v) => out.push(
                    Diagnostic::new(
                        Level::Error,
                        "property-type",
                        format!(
                            "boundary `{}`: property `{k}` must be {}{}, found {}",
                            b.id,
                            spec.ty.name(),
                            enum_options(&spec.ty),
                            short(v)
                        ),
                    )
                    .about(br),
                ),
                _ => {}
            }
        }
    }
    // Relations: a declared kind, existing ends of the kinds it allows, typed properties.
    for r in model.relations.values() {
        let Some(rk) = cat.relation_kind(&r.kind) else {
            out.push(Diagnostic::new(
                Level::Warning,
                "unknown-relation-kind",
                format!(
                    "relation `{}`: no template declares relation kind `{}`",
                    r.id,
                    truncate(&r.kind, 60)
                ),
            ));
            continue;
        };
        for (end, id, allowed) in [
            ("source", &r.source, &rk.from),
            ("target", &r.target, &rk.to),
        ] {
            match model.elements.get(id) {
                None => out.push(Diagnostic::new(
                    Level::Error,
                    "dangling-relation",
                    format!(
                        "relation `{}`: {end} `{}` does not exist",
                        r.id,
                        truncate(id.as_str(), 60)
                    ),
                )),
                Some(e) if cat.is_known_kind(&e.kind) && !cat.kind_matches(&e.kind, allowed) => out
                    .push(
                        Diagnostic::new(
                            Level::Warning,
                            "relation-end-kind",
                            format!(
                                "relation `{}` ({}): {end} `{}` is a {}, not one of {}",
                                r.id,
                                rk.name,
                                e.id,
                                e.kind,
                                allowed.join(", ")
                            ),
                        )
                        .about(SubjectRef::Element(e.id.clone())),
                    ),
                _ => {}
            }
        }
        for (k, v) in &r.props {
            match rk.properties.iter().find(|p| &p.name == k) {
                None => out.push(Diagnostic::new(
                    Level::Warning,
                    "unknown-property",
                    format!(
                        "relation `{}`: no property `{}` is declared for {}",
                        r.id,
                        truncate(k, 60),
                        rk.kind
                    ),
                )),
                Some(spec) if !spec.ty.accepts(v) => out.push(Diagnostic::new(
                    Level::Error,
                    "property-type",
                    format!(
                        "relation `{}`: property `{k}` must be {}{}, found {}",
                        r.id,
                        spec.ty.name(),
                        enum_options(&spec.ty),
                        short(v)
                    ),
                )),
                _ => {}
            }
        }
    }
    for m in model.manual_threats.values() {
        let missing = match &m.subject {
            SubjectRef::Element(e) => !model.elements.contains_key(e),
            SubjectRef::Flow(f) => !model.flows.contains_key(f),
            SubjectRef::Boundary(b) => !model.boundaries.contains_key(b),
            SubjectRef::Model => false,
        };
        if missing {
            out.push(Diagnostic::new(
                Level::Warning,
                "manual-threat-subject",
                format!(
                    "manual threat `{}` is about an item that no longer exists",
                    m.id
                ),
            ));
        }
    }
    out
}

/// [`structure`]'s diagnostics with the orphaned triage's, in [`validate`]'s order (a
/// stable sort: equal diagnostics keep the order they were made in).
pub(crate) fn with_orphans(
    mut out: Vec<Diagnostic>,
    model: &Model,
    orphans: &[ThreatId],
) -> Vec<Diagnostic> {
    orphan_diags(&mut out, model, orphans);
    out.sort_by(order);
    out
}

/// One diagnostic per orphaned triage record.
fn orphan_diags(out: &mut Vec<Diagnostic>, model: &Model, orphans: &[ThreatId]) {
    for o in orphans {
        let kept = model.triage.get(o).is_some_and(|t| t.kept_as_history);
        out.push(Diagnostic::new(
            if kept { Level::Info } else { Level::Warning },
            "orphaned-triage",
            format!(
                "triage of `{}` matches no current threat{}",
                truncate(o.as_str(), 120),
                if kept {
                    " (kept as history)"
                } else {
                    "; keep it as history, re-attach it, or delete it"
                }
            ),
        ));
    }
}

/// The order of the diagnostics: most serious first, then by message.
fn order(a: &Diagnostic, b: &Diagnostic) -> std::cmp::Ordering {
    b.level
        .cmp(&a.level)
        .then_with(|| a.message.cmp(&b.message))
}

/// Flow property specs by name (the first declaration wins, as in `Catalog::flow_prop`).
fn flow_specs(cat: &Catalog) -> NameMap<'_, &crate::rules::PropSpec> {
    let mut flow_specs: NameMap<&crate::rules::PropSpec> = NameMap::default();
    for spec in &cat.flow_props {
        flow_specs.entry(spec.name.as_str()).or_insert(spec);
    }
    flow_specs
}

/// The diagnostics of one element on its own: id, position, boundary, kind, properties.
/// Each is about the element ([`Diagnostic::subject`]), and no other diagnostic about an
/// element is made elsewhere except `relation-end-kind` ([`revalidate`] relies on it).
fn element_diags(out: &mut Vec<Diagnostic>, cat: &Catalog, ix: &ModelIndex<'_>, ei: usize) {
    let e = ix.elems[ei];
    let el = |id: &crate::model::ElementId| SubjectRef::Element(id.clone());
    if let Err(m) = check_id(e.id.as_str()) {
        out.push(Diagnostic::new(Level::Error, "bad-id", format!("element: {m}")).about(el(&e.id)));
    }
    if !(e.pos.0.is_finite() && e.pos.1.is_finite()) {
        out.push(
            Diagnostic::new(
                Level::Error,
                "bad-position",
                format!("element `{}` has a non-finite position", e.id),
            )
            .about(el(&e.id)),
        );
    }
    match &e.boundary {
        // The index resolved the boundary: the chain is empty only when it is missing.
        Some(b) if ix.elem_chain[ei].is_empty() => out.push(
            Diagnostic::new(
                Level::Error,
                "dangling-boundary",
                format!(
                    "element `{}` is in boundary `{}`, which does not exist",
                    e.id,
                    truncate(b.as_str(), 60)
                ),
            )
            .about(el(&e.id)),
        ),
        None => out.push(
            Diagnostic::new(
                Level::Info,
                "outside-boundaries",
                format!("element `{}` is outside every trust boundary", e.id),
            )
            .about(el(&e.id)),
        ),
        _ => {}
    }
    match ix.elem_stencil[ei].map(|si| &cat.stencils[si]) {
        None => out.push(
            Diagnostic::new(
                Level::Error,
                "unknown-kind",
                format!(
                    "element `{}` has unknown kind `{}`; no rule can apply to it",
                    e.id,
                    truncate(&e.kind, 60)
                ),
            )
            .about(el(&e.id)),
        ),
        Some(st) => {
            for (k, v) in &e.props {
                match st.prop(k) {
                    // Free-text notes kept from an imported source (`note.*`).
                    None if crate::model::is_note(k) => {}
                    None => out.push(
                        Diagnostic::new(
                            Level::Warning,
                            "unknown-property",
                            format!(
                                "element `{}`: kind `{}` declares no property `{}`",
                                e.id,
                                e.kind,
                                truncate(k, 60)
                            ),
                        )
                        .about(el(&e.id)),
                    ),
                    Some(spec) if !spec.ty.accepts(v) => out.push(
                        Diagnostic::new(
                            Level::Error,
                            "property-type",
                            format!(
                                "element `{}`: property `{k}` must be {}{}, found {}",
                                e.id,
                                spec.ty.name(),
                                enum_options(&spec.ty),
                                short(v)
                            ),
                        )
                        .about(el(&e.id)),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// The diagnostics of one flow on its own: id, ends, self-loop, properties; each is about
/// the flow.
fn flow_diags(
    out: &mut Vec<Diagnostic>,
    model: &Model,
    ix: &ModelIndex<'_>,
    flow_specs: &NameMap<'_, &crate::rules::PropSpec>,
    fi: usize,
) {
    let f = ix.flows[fi];
    // Built only when a diagnostic needs it.
    let fr = || SubjectRef::Flow(f.id.clone());
    if let Err(m) = check_id(f.id.as_str()) {
        out.push(Diagnostic::new(Level::Error, "bad-id", format!("flow: {m}")).about(fr()));
    }
    // The index already resolved both ends; look them up again only when one is missing.
    let dangling = ix.flow_ends[fi].is_none();
    for (end, id) in [("source", &f.source), ("target", &f.target)] {
        if dangling && !model.elements.contains_key(id) {
            out.push(
                Diagnostic::new(
                    Level::Error,
                    "dangling-flow",
                    format!(
                        "flow `{}` has {end} `{}`, which does not exist",
                        f.id,
                        truncate(id.as_str(), 60)
                    ),
                )
                .about(fr()),
            );
        }
    }
    if f.source == f.target {
        out.push(
            Diagnostic::new(
                Level::Warning,
                "self-loop",
                format!("flow `{}` starts and ends at `{}`", f.id, f.source),
            )
            .about(fr()),
        );
    }
    for (k, v) in &f.props {
        match flow_specs.get(k.as_str()).copied() {
            None if crate::model::is_note(k) => {}
            None => out.push(
                Diagnostic::new(
                    Level::Warning,
                    "unknown-property",
                    format!(
                        "flow `{}`: no flow property `{}` is declared",
                        f.id,
                        truncate(k, 60)
                    ),
                )
                .about(fr()),
            ),
            Some(spec) if !spec.ty.accepts(v) => out.push(
                Diagnostic::new(
                    Level::Error,
                    "property-type",
                    format!(
                        "flow `{}`: property `{k}` must be {}{}, found {}",
                        f.id,
                        spec.ty.name(),
                        enum_options(&spec.ty),
                        short(v)
                    ),
                )
                .about(fr()),
            ),
            _ => {}
        }
    }
}

/// The elements and flows (dense indices) whose own diagnostics may have changed.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    /// Elements.
    pub elems: Vec<usize>,
    /// Flows.
    pub flows: Vec<usize>,
}

/// Which part of [`validate`] made a diagnostic.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Part<'d> {
    /// [`element_diags`] of this element.
    Element(&'d str),
    /// [`flow_diags`] of this flow.
    Flow(&'d str),
    /// Boundaries, relations, manual threats: structure, which the edits that
    /// [`revalidate`] is given never change.
    Structure,
    /// Orphaned triage (it changes with the threats).
    Orphan,
}

fn part(d: &Diagnostic) -> Part<'_> {
    match (&d.subject, d.code) {
        (_, "orphaned-triage") => Part::Orphan,
        (Some(SubjectRef::Element(e)), c) if c != "relation-end-kind" => Part::Element(e.as_str()),
        (Some(SubjectRef::Flow(f)), _) => Part::Flow(f.as_str()),
        _ => Part::Structure,
    }
}

/// [`validate`] after an edit that changed only the properties or positions of the
/// `touched` elements and flows (and triage), given `prev`, the diagnostics before it:
/// the diagnostics of the touched items and the orphaned triage are made again and
/// merged into the others in order. Equal to `validate` of the edited model (the
/// incremental tests check it on random edits).
pub(crate) fn revalidate(
    prev: Vec<Diagnostic>,
    model: &Model,
    cat: &Catalog,
    ix: &ModelIndex<'_>,
    orphans: &[ThreatId],
    touched: &Touched,
) -> Vec<Diagnostic> {
    let elem_ids: Vec<&str> = touched
        .elems
        .iter()
        .map(|&e| ix.elems[e].id.as_str())
        .collect();
    let flow_ids: Vec<&str> = touched
        .flows
        .iter()
        .map(|&f| ix.flows[f].id.as_str())
        .collect();
    let mut fresh = Vec::new();
    for &ei in &touched.elems {
        element_diags(&mut fresh, cat, ix, ei);
    }
    if !touched.flows.is_empty() {
        let specs = flow_specs(cat);
        for &fi in &touched.flows {
            flow_diags(&mut fresh, model, ix, &specs, fi);
        }
    }
    orphan_diags(&mut fresh, model, orphans);
    if fresh.is_empty() && prev.is_empty() {
        return prev;
    }
    // In `validate`, equal diagnostics keep the order they were made in: elements (in id
    // order), flows (in id order), structure, orphans; `Part`'s order is that order.
    let key = |a: &Diagnostic, b: &Diagnostic| order(a, b).then_with(|| part(a).cmp(&part(b)));
    let stale = |d: &Diagnostic| match part(d) {
        Part::Element(e) => elem_ids.contains(&e),
        Part::Flow(f) => flow_ids.contains(&f),
        Part::Orphan => true,
        Part::Structure => false,
    };
    fresh.sort_by(key);
    let mut out = Vec::with_capacity(prev.len() + fresh.len());
    let mut fresh = fresh.into_iter().peekable();
    for d in prev.into_iter().filter(|d| !stale(d)) {
        while let Some(f) = fresh.next_if(|f| key(f, &d) == std::cmp::Ordering::Less) {
            out.push(f);
        }
        out.push(d);
    }
    out.extend(fresh);
    out
}

fn enum_options(ty: &crate::rules::PropType) -> String {
    match ty {
        crate::rules::PropType::Enum(o) => format!(" (one of {})", o.join(", ")),
        _ => String::new(),
    }
}

fn short(v: &Value) -> String {
    truncate(&v.display(), 60)
}
