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
    let mut out = Vec::new();
    let el = |id: &crate::model::ElementId| SubjectRef::Element(id.clone());
    for (ei, e) in model.elements.values().enumerate() {
        if let Err(m) = check_id(e.id.as_str()) {
            out.push(
                Diagnostic::new(Level::Error, "bad-id", format!("element: {m}")).about(el(&e.id)),
            );
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
    // Flow property specs by name (the first declaration wins, as in `Catalog::flow_prop`).
    let mut flow_specs: NameMap<&crate::rules::PropSpec> = NameMap::default();
    for spec in &cat.flow_props {
        flow_specs.entry(spec.name.as_str()).or_insert(spec);
    }
    for (fi, f) in model.flows.values().enumerate() {
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
    out.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.message.cmp(&b.message))
    });
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
