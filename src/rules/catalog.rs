//! Loading templates into a [`Catalog`]: parse, merge stencils, type-check every rule.
//! A bad template or rule becomes a diagnostic with file:line:column; the rest loads.

use super::template::{
    Applies, Cond, Dir, FlowStep, Pivot, PropSpec, PropType, Reach, RelationKind, Role, Rule,
    Selector, Stencil, Template,
};
use crate::diag::{Diagnostic, Level, Pos};
use crate::model::{BoundaryKind, Value};
use std::collections::{HashMap, HashSet};

/// The templates built into the binary, as (file name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "templates/generic.ron",
        include_str!("../../templates/generic.ron"),
    ),
    (
        "templates/docker.ron",
        include_str!("../../templates/docker.ron"),
    ),
    (
        "templates/kubernetes.ron",
        include_str!("../../templates/kubernetes.ron"),
    ),
    (
        "templates/kubeflow.ron",
        include_str!("../../templates/kubeflow.ron"),
    ),
    (
        "templates/attack-paths.ron",
        include_str!("../../templates/attack-paths.ron"),
    ),
];

pub use crate::persist::templates::{
    MAX_TEMPLATE_BYTES, MAX_TEMPLATE_DIR_BYTES, MAX_TEMPLATE_FILES, Source,
};

/// Deepest nesting accepted in a template (conditions included).
pub const TEMPLATE_RECURSION_LIMIT: usize = 256;
/// Longest chain of stencils extending one another.
pub const MAX_EXTENDS_DEPTH: usize = 64;

/// Where a template came from.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateInfo {
    /// Template id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Palette group.
    pub group: String,
    /// Description.
    pub description: String,
    /// File it was read from (`templates/x.ron` for built-ins).
    pub file: String,
    /// Whether it is built into the binary.
    pub builtin: bool,
    /// Rules it contributed.
    pub rule_count: usize,
    /// Stencils it contributed.
    pub stencil_count: usize,
}

/// A stencil with inherited properties merged in.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedStencil {
    /// The stencil as declared (with `properties` holding inherited ones too).
    pub stencil: Stencil,
    /// Index of the template that declared it.
    pub template: usize,
    /// Its own kind, every kind it extends, and its base shape name.
    pub is_a: Vec<String>,
}

impl ResolvedStencil {
    /// The declared property of that name.
    pub fn prop(&self, name: &str) -> Option<&PropSpec> {
        self.stencil.properties.iter().find(|p| p.name == name)
    }
}

/// A rule that passed its checks.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedRule {
    /// The rule.
    pub rule: Rule,
    /// Index of its template in [`Catalog::templates`].
    pub template: usize,
}

/// Every loaded template, stencil and rule, plus what went wrong while loading.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Loaded templates, in load order.
    pub templates: Vec<TemplateInfo>,
    /// Stencils in load order.
    pub stencils: Vec<ResolvedStencil>,
    /// Flow properties declared by all templates.
    pub flow_props: Vec<PropSpec>,
    /// Properties of each boundary kind, declared by all templates, in load order.
    pub boundary_props: Vec<(BoundaryKind, Vec<PropSpec>)>,
    /// Relation kinds declared by all templates, in load order.
    pub relation_kinds: Vec<RelationKind>,
    /// Rules that passed checks (deprecated ones included; they never fire).
    pub rules: Vec<LoadedRule>,
    /// Attack-graph edges along flows that passed checks, in load order.
    pub flow_steps: Vec<FlowStep>,
    /// Pivot steps that passed checks, in load order.
    pub pivots: Vec<Pivot>,
    /// Entry-point defaults that passed checks.
    pub entry_points: Vec<Selector>,
    /// Crown-jewel defaults that passed checks.
    pub crown_jewels: Vec<Selector>,
    /// Whether a loaded rule tests [`Cond::OnAttackPath`]: analysis then finds the
    /// attack paths before it evaluates rules.
    pub uses_on_attack_path: bool,
    /// Problems found while loading.
    pub diagnostics: Vec<Diagnostic>,
    kind_index: HashMap<String, usize>,
}

impl Catalog {
    /// The built-in templates only.
    pub fn builtin() -> Catalog {
        Catalog::from_sources(builtin_sources())
    }

    /// The built-in templates plus a user's (in the order given, as
    /// `persist::read_template_dir` returns them), with the diagnostics of
    /// reading them first.
    pub fn with_user_sources(user: Vec<Source>, mut diags: Vec<Diagnostic>) -> Catalog {
        let mut sources = builtin_sources();
        sources.extend(user);
        let mut cat = Catalog::from_sources(sources);
        diags.append(&mut cat.diagnostics);
        cat.diagnostics = diags;
        cat
    }

    /// Loads templates from their sources, in order.
    pub fn from_sources(sources: Vec<Source>) -> Catalog {
        let mut cat = Catalog::default();
        let mut parsed: Vec<(usize, Template, String)> = Vec::new();
        let mut seen_templates: HashSet<String> = HashSet::new();
        // Phase 1: parse, and register templates, stencils and flow properties.
        for Source {
            file,
            text,
            builtin,
        } in sources
        {
            let t = match parse_template(&file, &text) {
                Ok(t) => t,
                Err(d) => {
                    cat.diagnostics.push(*d);
                    continue;
                }
            };
            let tix = TextIndex::new(&text);
            if !seen_templates.insert(t.id.clone()) {
                cat.diagnostics.push(
                    Diagnostic::new(
                        Level::Error,
                        "duplicate-template",
                        format!(
                            "template id `{}` is already loaded; this file is skipped",
                            t.id
                        ),
                    )
                    .at(&file, tix.locate(&["id", &format!("\"{}\"", t.id)])),
                );
                continue;
            }
            let ti = cat.templates.len();
            cat.templates.push(TemplateInfo {
                id: t.id.clone(),
                name: t.name.clone(),
                version: t.version.clone(),
                group: t.group.clone(),
                description: t.description.clone(),
                file: file.clone(),
                builtin,
                rule_count: 0,
                stencil_count: 0,
            });
            for p in &t.flow_props_checked(&file, &tix, &mut cat.diagnostics) {
                if cat.flow_props.iter().any(|q| q.name == p.name) {
                    cat.diagnostics.push(
                        Diagnostic::new(
                            Level::Error,
                            "duplicate-flow-property",
                            format!("flow property `{}` is declared by another template", p.name),
                        )
                        .at(
                            &file,
                            tix.locate(&["flow_properties", &format!("\"{}\"", p.name)]),
                        ),
                    );
                } else {
                    cat.flow_props.push(p.clone());
                }
            }
            for schema in &t.boundary_properties {
                for p in &schema.properties {
                    // Located only for a problem: the text index is built on first use.
                    let at = || tix.locate(&["boundary_properties", &format!("\"{}\"", p.name)]);
                    let dup = cat
                        .boundary_props(schema.kind)
                        .iter()
                        .any(|q| q.name == p.name);
                    let problem = match check_prop_spec(p) {
                        Err(msg) => Some(("bad-property", msg)),
                        Ok(()) if dup => Some((
                            "duplicate-boundary-property",
                            format!(
                                "property `{}` of boundary kind {} is already declared",
                                p.name,
                                schema.kind.label()
                            ),
                        )),
                        Ok(()) => None,
                    };
                    match problem {
                        Some((code, msg)) => cat
                            .diagnostics
                            .push(Diagnostic::new(Level::Error, code, msg).at(&file, at())),
                        None => cat.add_boundary_prop(schema.kind, p.clone()),
                    }
                }
            }
            for s in &t.stencils {
                if let Err(msg) = check_stencil(s) {
                    cat.diagnostics.push(
                        Diagnostic::new(Level::Error, "bad-stencil", msg)
                            .at(&file, tix.locate(&[&format!("\"{}\"", s.kind)])),
                    );
                    continue;
                }
                if cat.kind_index.contains_key(&s.kind) || is_base_name(&s.kind) {
                    cat.diagnostics.push(
                        Diagnostic::new(
                            Level::Error,
                            "duplicate-kind",
                            format!("stencil kind `{}` is already declared", s.kind),
                        )
                        .at(&file, tix.locate(&[&format!("\"{}\"", s.kind)])),
                    );
                    continue;
                }
                cat.kind_index.insert(s.kind.clone(), cat.stencils.len());
                cat.stencils.push(ResolvedStencil {
                    stencil: s.clone(),
                    template: ti,
                    is_a: Vec::new(),
                });
                cat.templates[ti].stencil_count += 1;
            }
            parsed.push((ti, t, text));
        }
        cat.resolve_inheritance(&parsed);
        // Relation kinds name element kinds, so they are checked once every stencil is in.
        for (ti, t, text) in &parsed {
            let tix = TextIndex::new(text);
            let file = cat.templates[*ti].file.clone();
            for rk in &t.relations {
                let at = || tix.locate(&["relations", &format!("\"{}\"", rk.kind)]);
                match cat.check_relation_kind(rk) {
                    Ok(()) => cat.relation_kinds.push(rk.clone()),
                    Err(msg) => cat.diagnostics.push(
                        Diagnostic::new(Level::Error, "bad-relation-kind", msg).at(&file, at()),
                    ),
                }
            }
        }
        // Phase 2: check rules against every stencil loaded.
        let builtin_ids: HashSet<String> = parsed
            .iter()
            .filter(|(ti, _, _)| cat.templates[*ti].builtin)
            .flat_map(|(_, t, _)| t.rules.iter().map(|r| r.id.clone()))
            .collect();
        let mut rule_ids: HashSet<String> = HashSet::new();
        for (ti, t, text) in &parsed {
            let tix = TextIndex::new(text);
            let file = cat.templates[*ti].file.clone();
            let builtin = cat.templates[*ti].builtin;
            for r in &t.rules {
                let rule_needle = format!("\"{}\"", r.id);
                if !rule_ids.insert(r.id.clone()) {
                    let (code, msg) = if !builtin && builtin_ids.contains(&r.id) {
                        (
                            "shadowed-rule",
                            format!(
                                "rule `{}` has the id of a built-in rule; a user template cannot replace a built-in rule, so it is skipped",
                                r.id
                            ),
                        )
                    } else {
                        (
                            "duplicate-rule",
                            format!("rule id `{}` is used twice; the second is skipped", r.id),
                        )
                    };
                    cat.diagnostics.push(
                        Diagnostic::new(Level::Error, code, msg)
                            .at(&file, tix.locate(&[&rule_needle])),
                    );
                    continue;
                }
                match cat.check_rule(r) {
                    Ok(()) => {
                        cat.rules.push(LoadedRule {
                            rule: r.clone(),
                            template: *ti,
                        });
                        cat.templates[*ti].rule_count += 1;
                    }
                    Err((msg, needle)) => {
                        let pos = tix.locate(&[&rule_needle, &needle]);
                        cat.diagnostics.push(
                            Diagnostic::new(
                                Level::Error,
                                "bad-rule",
                                format!("rule `{}`: {msg}; the rule is not loaded", r.id),
                            )
                            .at(&file, pos),
                        );
                    }
                }
            }
        }
        cat.load_attack_content(&parsed);
        cat.uses_on_attack_path = cat
            .rules
            .iter()
            .any(|r| r.rule.deprecated.is_none() && cond_uses_on_path(&r.rule.condition));
        cat
    }

    /// Phase 3: flow steps, pivots, entry points and crown jewels, checked against every
    /// stencil, relation kind and rule loaded.
    fn load_attack_content(&mut self, parsed: &[(usize, Template, String)]) {
        let mut step_ids: HashSet<String> = HashSet::new();
        for (ti, t, text) in parsed {
            let tix = TextIndex::new(text);
            let file = self.templates[*ti].file.clone();
            for fs in &t.flow_steps {
                let needle = format!("\"{}\"", fs.id);
                let res = if !step_ids.insert(fs.id.clone()) {
                    Err((format!("step id `{}` is used twice", fs.id), needle.clone()))
                } else {
                    self.check_flow_step(fs)
                };
                match res {
                    Ok(()) => self.flow_steps.push(fs.clone()),
                    Err((msg, at)) => self.diagnostics.push(
                        Diagnostic::new(
                            Level::Error,
                            "bad-flow-step",
                            format!("flow step `{}`: {msg}; the step is not loaded", fs.id),
                        )
                        .at(&file, tix.locate(&[&needle, &at])),
                    ),
                }
            }
            for pv in &t.pivots {
                let needle = format!("\"{}\"", pv.id);
                let res = if !step_ids.insert(pv.id.clone()) {
                    Err((format!("step id `{}` is used twice", pv.id), needle.clone()))
                } else {
                    self.check_pivot(pv)
                };
                match res {
                    Ok(()) => self.pivots.push(pv.clone()),
                    Err((msg, at)) => self.diagnostics.push(
                        Diagnostic::new(
                            Level::Error,
                            "bad-pivot",
                            format!("pivot `{}`: {msg}; the step is not loaded", pv.id),
                        )
                        .at(&file, tix.locate(&[&needle, &at])),
                    ),
                }
            }
            for (list, field, sels) in [
                (0, "entry_points", &t.entry_points),
                (1, "crown_jewels", &t.crown_jewels),
            ] {
                for sel in sels.iter() {
                    match self.check_selector(sel) {
                        Ok(()) if list == 0 => self.entry_points.push(sel.clone()),
                        Ok(()) => self.crown_jewels.push(sel.clone()),
                        Err((msg, at)) => self.diagnostics.push(
                            Diagnostic::new(
                                Level::Error,
                                "bad-selector",
                                format!("{field}: {msg}; the entry is not loaded"),
                            )
                            .at(&file, tix.locate(&[field, &at])),
                        ),
                    }
                }
            }
        }
    }

    fn check_step_common(
        &self,
        id: &str,
        references: &[String],
        control: &str,
    ) -> Result<(), (String, String)> {
        if id.is_empty() || id.contains(char::is_whitespace) || id.contains("->") {
            return Err((
                "a step id must be non-empty, without spaces or `->`".into(),
                "id".into(),
            ));
        }
        if references.is_empty() {
            return Err((
                "a step needs at least one reference".into(),
                "references".into(),
            ));
        }
        if control.trim().is_empty() {
            return Err((
                "a step needs the control that removes it".into(),
                "control".into(),
            ));
        }
        Ok(())
    }

    fn check_flow_step(&self, fs: &FlowStep) -> Result<(), (String, String)> {
        self.check_step_common(&fs.id, &fs.references, &fs.control)?;
        for c in &fs.controls {
            match self.flow_prop(c) {
                Some(p) if p.ty == PropType::Bool => {}
                Some(p) => {
                    return Err((
                        format!(
                            "control `{c}` is a {} flow property, not a bool",
                            p.ty.name()
                        ),
                        format!("\"{c}\""),
                    ));
                }
                None => {
                    return Err((
                        format!("control `{c}` is not a declared flow property"),
                        format!("\"{c}\""),
                    ));
                }
            }
        }
        no_on_path(&fs.condition)?;
        self.check_cond(&fs.condition, &Ctx::Flow { crossing: false }, BCtx::None)
    }

    fn kinds_ctx(&self, kinds: &[String], field: &str) -> Result<Ctx, (String, String)> {
        if kinds.is_empty() {
            return Err((format!("`{field}` lists no kinds"), field.into()));
        }
        let mut cands = Vec::new();
        for k in kinds {
            if !self.is_known_kind(k) {
                return Err((format!("unknown kind `{k}`"), format!("\"{k}\"")));
            }
            cands.extend(self.stencils_matching(k));
        }
        cands.sort_unstable();
        cands.dedup();
        Ok(Ctx::Element(cands, None))
    }

    fn check_pivot(&self, pv: &Pivot) -> Result<(), (String, String)> {
        self.check_step_common(&pv.id, &pv.references, &pv.control)?;
        let from = self.kinds_ctx(&pv.from, "from")?;
        no_on_path(&pv.condition)?;
        self.check_cond(&pv.condition, &from, BCtx::None)?;
        if pv.to.is_empty() {
            return Err((
                "`to` says no way to find the gained elements".into(),
                "to".into(),
            ));
        }
        let relation = |k: &str| -> Result<(), (String, String)> {
            if self.relation_kind(k).is_some() {
                Ok(())
            } else {
                Err((format!("unknown relation kind `{k}`"), format!("\"{k}\"")))
            }
        };
        for r in &pv.to {
            match r {
                Reach::Relation(_, k) => relation(k)?,
                Reach::Chain(links) => {
                    if links.is_empty() {
                        return Err(("`Chain` lists no relations".into(), "Chain".into()));
                    }
                    for (_, k) in links {
                        relation(k)?;
                    }
                }
                Reach::Peer(_, kinds) | Reach::Every(kinds) => {
                    self.kinds_ctx(kinds, "to")?;
                }
            }
        }
        no_on_path(&pv.target_condition)?;
        // The gained elements can be of any kind the ways reach.
        let all = Ctx::Element((0..self.stencils.len()).collect(), None);
        self.check_cond(&pv.target_condition, &all, BCtx::None)?;
        if let Some(bad) = pv.rules.iter().find(|r| self.rule(r).is_none()) {
            return Err((format!("unknown rule `{bad}`"), format!("\"{bad}\"")));
        }
        Ok(())
    }

    fn check_selector(&self, sel: &Selector) -> Result<(), (String, String)> {
        let ctx = self.kinds_ctx(&sel.kinds, "kinds")?;
        no_on_path(&sel.condition)?;
        self.check_cond(&sel.condition, &ctx, BCtx::None)
    }

    fn resolve_inheritance(&mut self, parsed: &[(usize, Template, String)]) {
        let n = self.stencils.len();
        let indices: Vec<(usize, TextIndex<'_>)> = parsed
            .iter()
            .map(|(ti, _, text)| (*ti, TextIndex::new(text)))
            .collect();
        let declared: Vec<Vec<PropSpec>> = self
            .stencils
            .iter()
            .map(|s| s.stencil.properties.clone())
            .collect();
        for i in 0..n {
            let mut chain = vec![self.stencils[i].stencil.kind.clone()];
            let mut props = self.stencils[i].stencil.properties.clone();
            let mut names: HashSet<String> = props.iter().map(|p| p.name.clone()).collect();
            let mut cur = self.stencils[i].stencil.extends.clone();
            let mut broken: Option<String> = None;
            while let Some(parent) = cur {
                if chain.contains(&parent) {
                    broken = Some(format!(
                        "stencil `{}` extends itself through `{parent}`",
                        chain[0]
                    ));
                    break;
                }
                // Bounds the walk: a chain of thousands of stencils would be quadratic.
                if chain.len() > MAX_EXTENDS_DEPTH {
                    broken = Some(format!(
                        "stencil `{}` extends a chain of more than {MAX_EXTENDS_DEPTH} stencils (MAX_EXTENDS_DEPTH)",
                        chain[0]
                    ));
                    break;
                }
                let Some(&pi) = self.kind_index.get(&parent) else {
                    broken = Some(format!(
                        "stencil `{}` extends unknown kind `{parent}`",
                        chain[0]
                    ));
                    break;
                };
                // The parent's own properties: merged ones would make a long chain quadratic.
                for p in &declared[pi] {
                    if names.insert(p.name.clone()) {
                        props.push(p.clone());
                    }
                }
                chain.push(parent);
                cur = self.stencils[pi].stencil.extends.clone();
            }
            if let Some(msg) = broken {
                let ti = self.stencils[i].template;
                let file = self.templates[ti].file.clone();
                let pos = indices
                    .iter()
                    .find(|(t, _)| *t == ti)
                    .and_then(|(_, ix)| ix.locate(&[&format!("\"{}\"", chain[0]), "extends"]));
                self.diagnostics
                    .push(Diagnostic::new(Level::Error, "bad-extends", msg).at(&file, pos));
            }
            chain.push(self.stencils[i].stencil.base.kind_name().to_owned());
            self.stencils[i].stencil.properties = props;
            self.stencils[i].is_a = chain;
        }
    }

    /// The stencil for a kind.
    pub fn stencil(&self, kind: &str) -> Option<&ResolvedStencil> {
        self.kind_index.get(kind).map(|&i| &self.stencils[i])
    }

    /// Index of the stencil for a kind.
    pub fn stencil_index(&self, kind: &str) -> Option<usize> {
        self.kind_index.get(kind).copied()
    }

    /// The declared flow property of that name.
    pub fn flow_prop(&self, name: &str) -> Option<&PropSpec> {
        self.flow_props.iter().find(|p| p.name == name)
    }

    /// The properties declared for a boundary kind (empty when none are).
    pub fn boundary_props(&self, kind: BoundaryKind) -> &[PropSpec] {
        self.boundary_props
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The declared property of that name of a boundary kind.
    pub fn boundary_prop(&self, kind: BoundaryKind, name: &str) -> Option<&PropSpec> {
        self.boundary_props(kind).iter().find(|p| p.name == name)
    }

    /// The relation kind with that id.
    pub fn relation_kind(&self, kind: &str) -> Option<&RelationKind> {
        self.relation_kinds.iter().find(|r| r.kind == kind)
    }

    /// Whether an element of kind `kind` matches one of `names` (kinds, their ancestors
    /// through `extends`, or base shapes), as [`Applies::Elements`] matches.
    pub fn kind_matches(&self, kind: &str, names: &[String]) -> bool {
        self.stencil(kind)
            .is_some_and(|st| st.is_a.iter().any(|k| names.contains(k)))
    }

    fn add_boundary_prop(&mut self, kind: BoundaryKind, p: PropSpec) {
        match self.boundary_props.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, v)) => v.push(p),
            None => self.boundary_props.push((kind, vec![p])),
        }
    }

    fn check_relation_kind(&self, rk: &RelationKind) -> Result<(), String> {
        if rk.kind.is_empty() {
            return Err("a relation kind needs a kind id".into());
        }
        if self.relation_kind(&rk.kind).is_some() || self.kind_index.contains_key(&rk.kind) {
            return Err(format!("relation kind `{}` is already declared", rk.kind));
        }
        for (side, names) in [("from", &rk.from), ("to", &rk.to)] {
            if names.is_empty() {
                return Err(format!("relation kind `{}`: `{side}` is empty", rk.kind));
            }
            if let Some(bad) = names.iter().find(|k| !self.is_known_kind(k)) {
                return Err(format!(
                    "relation kind `{}`: `{side}` names unknown kind `{bad}`",
                    rk.kind
                ));
            }
        }
        let mut names = HashSet::new();
        for p in &rk.properties {
            check_prop_spec(p).map_err(|m| format!("relation kind `{}`: {m}", rk.kind))?;
            if !names.insert(p.name.as_str()) {
                return Err(format!(
                    "relation kind `{}` declares property `{}` twice",
                    rk.kind, p.name
                ));
            }
        }
        Ok(())
    }

    /// Whether `kind` names a stencil or a base shape.
    pub fn is_known_kind(&self, kind: &str) -> bool {
        is_base_name(kind) || self.kind_index.contains_key(kind)
    }

    /// The loaded rule with that id.
    pub fn rule(&self, id: &str) -> Option<&LoadedRule> {
        self.rules.iter().find(|r| r.rule.id == id)
    }

    /// Whether any loading problem is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// Stencils matching a rule's kind name (itself, descendants, or a base shape).
    pub fn stencils_matching(&self, kind: &str) -> Vec<usize> {
        (0..self.stencils.len())
            .filter(|&i| self.stencils[i].is_a.iter().any(|k| k == kind))
            .collect()
    }

    /// Type-checks a rule. Errors carry a message and a needle to locate in the text.
    fn check_rule(&self, r: &Rule) -> Result<(), (String, String)> {
        if r.id.is_empty() || r.id.contains('@') || r.id.contains(char::is_whitespace) {
            return Err((
                "a rule id must be non-empty, without `@` or spaces".into(),
                "id".into(),
            ));
        }
        if r.references.is_empty() {
            return Err((
                "a rule needs at least one reference".into(),
                "references".into(),
            ));
        }
        let ctx = match &r.applies {
            Applies::Elements(kinds) => {
                if kinds.is_empty() {
                    return Err(("`Elements` lists no kinds".into(), "Elements".into()));
                }
                let mut cands = Vec::new();
                for k in kinds {
                    if !self.is_known_kind(k) {
                        return Err((format!("unknown kind `{k}`"), format!("\"{k}\"")));
                    }
                    cands.extend(self.stencils_matching(k));
                }
                Ctx::Element(cands, None)
            }
            Applies::Flows => Ctx::Flow { crossing: false },
            Applies::Crossings => Ctx::Flow { crossing: true },
        };
        for placeholder in placeholders(&r.description) {
            let ok = match (&ctx, placeholder.as_str()) {
                (_, "element") => matches!(ctx, Ctx::Element(_, _)),
                (Ctx::Flow { .. }, "source" | "target" | "flow") => true,
                (Ctx::Element(_, _), "boundary") => true,
                _ => false,
            };
            if !ok {
                return Err((
                    format!(
                        "placeholder `{{{placeholder}}}` has no meaning for this rule's subject"
                    ),
                    format!("{{{placeholder}}}"),
                ));
            }
        }
        let bctx = match r.applies {
            Applies::Crossings => BCtx::Any,
            _ => BCtx::None,
        };
        self.check_cond(&r.condition, &ctx, bctx)?;
        for step in &r.severity_steps {
            self.check_cond(&step.when, &ctx, bctx)?;
        }
        Ok(())
    }

    fn check_cond(&self, c: &Cond, ctx: &Ctx, bctx: BCtx) -> Result<(), (String, String)> {
        let flow_only = |name: &str| -> Result<(), (String, String)> {
            if matches!(ctx, Ctx::Flow { .. }) {
                Ok(())
            } else {
                Err((
                    format!(
                        "`{name}` needs a flow; use it in a flow or crossing rule, or inside `HasFlow`"
                    ),
                    name.to_owned(),
                ))
            }
        };
        let crossing_only = |name: &str| -> Result<(), (String, String)> {
            if matches!(ctx, Ctx::Flow { crossing: true }) {
                Ok(())
            } else {
                Err((
                    format!("`{name}` is only meaningful in a crossing rule"),
                    name.to_owned(),
                ))
            }
        };
        match c {
            Cond::Always => Ok(()),
            Cond::All(v) | Cond::Any(v) => v
                .iter()
                .try_for_each(|c| self.check_cond(c, ctx, bctx)),
            Cond::Not(c) => self.check_cond(c, ctx, bctx),
            Cond::Is(role, p, v) | Cond::IsNot(role, p, v) => {
                self.check_prop(ctx, bctx, *role, p, |ty| match (ty, v) {
                    (PropType::Bool, Value::Bool(_))
                    | (PropType::Number, Value::Number(_))
                    | (PropType::Text, Value::Text(_))
                    | (PropType::List, Value::List(_)) => Ok(()),
                    (PropType::Enum(opts), Value::Text(s)) => {
                        if opts.contains(s) {
                            Ok(())
                        } else {
                            Err(format!(
                                "`{s}` is not an option of enum property `{p}` ({})",
                                opts.join(", ")
                            ))
                        }
                    }
                    _ => Err(format!(
                        "property `{p}` is {}, but the condition compares it with a {}",
                        ty.name(),
                        v.type_name()
                    )),
                })
            }
            Cond::Below(role, p, n) | Cond::Above(role, p, n) => {
                if !n.is_finite() {
                    return Err((
                        "a comparison needs a finite number".into(),
                        format!("\"{p}\""),
                    ));
                }
                self.check_prop(ctx, bctx, *role, p, |ty| match ty {
                    PropType::Number => Ok(()),
                    _ => Err(format!(
                        "property `{p}` is {}, but `Below`/`Above` need a number",
                        ty.name()
                    )),
                })
            }
            Cond::OneOf(role, p, opts) => self.check_prop(ctx, bctx, *role, p, |ty| match ty {
                PropType::Text => Ok(()),
                PropType::Enum(all) => match opts.iter().find(|o| !all.contains(o)) {
                    Some(o) => Err(format!(
                        "`{o}` is not an option of enum property `{p}` ({})",
                        all.join(", ")
                    )),
                    None => Ok(()),
                },
                _ => Err(format!(
                    "property `{p}` is {}, but `OneOf` needs text or an enum",
                    ty.name()
                )),
            }),
            Cond::Empty(role, p) => self.check_prop(ctx, bctx, *role, p, |ty| match ty {
                PropType::Text => Ok(()),
                _ => Err(format!(
                    "property `{p}` is {}, but `Empty` needs text",
                    ty.name()
                )),
            }),
            Cond::Kind(role, k) => {
                self.check_role(ctx, *role, false)?;
                if self.is_known_kind(k) {
                    Ok(())
                } else {
                    Err((format!("unknown kind `{k}`"), format!("\"{k}\"")))
                }
            }
            Cond::Inside(role, _) | Cond::Unbounded(role) => self.check_role(ctx, *role, false),
            Cond::Crosses => flow_only("Crosses"),
            Cond::CrossesKind(_) => flow_only("CrossesKind"),
            Cond::TrustRises => flow_only("TrustRises"),
            Cond::BoundaryKind(_) => crossing_only("BoundaryKind"),
            Cond::Entering => crossing_only("Entering"),
            Cond::BoundaryTrustAtLeast(_) => crossing_only("BoundaryTrustAtLeast"),
            Cond::Peer(_, kind, inner) => {
                if !matches!(ctx, Ctx::Element(_, _)) {
                    return Err((
                        "`Peer` is only meaningful in an element rule".into(),
                        "Peer".into(),
                    ));
                }
                if !self.is_known_kind(kind) {
                    return Err((format!("unknown kind `{kind}`"), format!("\"{kind}\"")));
                }
                self.check_cond(
                    inner,
                    &Ctx::Element(self.stencils_matching(kind), None),
                    BCtx::None,
                )
            }
            Cond::OnAttackPath(role) => self.check_role(ctx, *role, true),
            Cond::HasFlow(_, inner) => {
                if !matches!(ctx, Ctx::Element(_, _)) {
                    return Err((
                        "`HasFlow` is only meaningful in an element rule".into(),
                        "HasFlow".into(),
                    ));
                }
                self.check_cond(inner, &Ctx::Flow { crossing: false }, BCtx::None)
            }
            Cond::Contains(role, p, _)
            | Cond::ContainsAny(role, p, _)
            | Cond::SubsetOf(role, p, _)
            | Cond::ListEmpty(role, p) => self.check_prop(ctx, bctx, *role, p, |ty| match ty {
                PropType::List => Ok(()),
                _ => Err(format!(
                    "property `{p}` is {}, but list tests (`Contains`, `ContainsAny`, `SubsetOf`, `ListEmpty`) need a list",
                    ty.name()
                )),
            }),
            Cond::RunsAsUid0(role, p) => self.check_prop(ctx, bctx, *role, p, |ty| match ty {
                PropType::Text => Ok(()),
                _ => Err(format!(
                    "property `{p}` is {}, but `RunsAsUid0` needs text (a user value)",
                    ty.name()
                )),
            }),
            Cond::Nearest(role, bk, inner) => {
                self.check_role(ctx, *role, false)?;
                self.check_cond(inner, ctx, BCtx::Kind(*bk))
            }
            Cond::AnyEnclosing(role, inner) => {
                self.check_role(ctx, *role, false)?;
                self.check_cond(inner, ctx, BCtx::Any)
            }
            Cond::AnyCrossed(inner) => {
                flow_only("AnyCrossed")?;
                self.check_cond(inner, &Ctx::Flow { crossing: true }, BCtx::Any)
            }
            Cond::OverNetwork => flow_only("OverNetwork"),
            Cond::ChannelIn(v) => {
                if v.is_empty() {
                    return Err(("`ChannelIn` lists no channel".into(), "ChannelIn".into()));
                }
                flow_only("ChannelIn")
            }
            Cond::Related(dir, kind, inner) => {
                if !matches!(ctx, Ctx::Element(_, _)) {
                    return Err((
                        "`Related` is only meaningful in an element rule (or inside `Peer` / `Related`)".into(),
                        "Related".into(),
                    ));
                }
                let Some(rk) = self.relation_kind(kind) else {
                    return Err((format!("unknown relation kind `{kind}`"), format!("\"{kind}\"")));
                };
                let far = match dir {
                    Dir::Out => &rk.to,
                    Dir::In => &rk.from,
                };
                let mut cands: Vec<usize> = far.iter().flat_map(|k| self.stencils_matching(k)).collect();
                cands.sort_unstable();
                cands.dedup();
                let rel = self.relation_kinds.iter().position(|k| k.kind == *kind);
                self.check_cond(inner, &Ctx::Element(cands, rel), BCtx::None)
            }
        }
    }

    fn check_role(&self, ctx: &Ctx, role: Role, allow_flow: bool) -> Result<(), (String, String)> {
        let ok = match (ctx, role) {
            (Ctx::Element(_, _), Role::Element) => true,
            (Ctx::Flow { .. }, Role::Source | Role::Target) => true,
            (Ctx::Flow { .. }, Role::Flow) => allow_flow,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            let what = match ctx {
                Ctx::Element(_, _) => {
                    "an element rule can only test `Element` (use `HasFlow` for its flows)"
                }
                Ctx::Flow { .. } => "a flow rule tests `Source`, `Target` or `Flow`, not `Element`",
            };
            Err((
                format!("role `{role:?}` is not available here: {what}"),
                format!("{role:?}"),
            ))
        }
    }

    fn check_prop(
        &self,
        ctx: &Ctx,
        bctx: BCtx,
        role: Role,
        prop: &str,
        ty_ok: impl Fn(&PropType) -> Result<(), String>,
    ) -> Result<(), (String, String)> {
        let needle = format!("\"{prop}\"");
        if role == Role::Boundary {
            let specs: Vec<&PropSpec> = match bctx {
                BCtx::None => {
                    return Err((
                        "role `Boundary` is not available here: use it in a crossing rule or inside `Nearest`, `AnyEnclosing` or `AnyCrossed`".into(),
                        "Boundary".into(),
                    ));
                }
                BCtx::Kind(k) => self.boundary_prop(k, prop).into_iter().collect(),
                BCtx::Any => self
                    .boundary_props
                    .iter()
                    .filter_map(|(_, ps)| ps.iter().find(|p| p.name == prop))
                    .collect(),
            };
            if specs.is_empty() {
                let on = match bctx {
                    BCtx::Kind(k) => format!("boundary kind {}", k.label()),
                    _ => "any boundary kind".to_owned(),
                };
                return Err((
                    format!("unknown boundary property `{prop}`: not declared for {on}"),
                    needle,
                ));
            }
            for s in specs {
                ty_ok(&s.ty).map_err(|m| (m, needle.clone()))?;
            }
            return Ok(());
        }
        if role == Role::Relation {
            let Ctx::Element(_, Some(rk)) = ctx else {
                return Err((
                    "role `Relation` is not available here: use it directly inside `Related`"
                        .into(),
                    "Relation".into(),
                ));
            };
            let rk = &self.relation_kinds[*rk];
            let Some(spec) = rk.properties.iter().find(|p| p.name == prop) else {
                return Err((
                    format!(
                        "unknown relation property `{prop}`: not declared for relation kind `{}`",
                        rk.kind
                    ),
                    needle,
                ));
            };
            return ty_ok(&spec.ty).map_err(|m| (m, needle));
        }
        self.check_role(ctx, role, true)?;
        let specs: Vec<&PropSpec> = match (ctx, role) {
            (_, Role::Flow) => self.flow_prop(prop).into_iter().collect(),
            (Ctx::Element(cands, _), _) => cands
                .iter()
                .filter_map(|&i| self.stencils[i].prop(prop))
                .collect(),
            _ => self.stencils.iter().filter_map(|s| s.prop(prop)).collect(),
        };
        if specs.is_empty() {
            let on = match (ctx, role) {
                (_, Role::Flow) => "flows".to_owned(),
                (Ctx::Element(c, _), _) => {
                    let mut kinds: Vec<&str> = c
                        .iter()
                        .map(|&i| self.stencils[i].stencil.kind.as_str())
                        .collect();
                    kinds.truncate(6);
                    format!("kinds {}", kinds.join(", "))
                }
                _ => "any kind".to_owned(),
            };
            return Err((
                format!("unknown property `{prop}`: not declared for {on}"),
                needle,
            ));
        }
        for s in specs {
            ty_ok(&s.ty).map_err(|m| (m, needle.clone()))?;
        }
        Ok(())
    }
}

enum Ctx {
    /// Candidate stencils of the element, and inside `Related` the relation kind (index
    /// into `relation_kinds`) that role `Relation` reads.
    Element(Vec<usize>, Option<usize>),
    Flow {
        crossing: bool,
    },
}

/// Whether a condition tests [`Cond::OnAttackPath`].
pub(crate) fn cond_uses_on_path(c: &Cond) -> bool {
    match c {
        Cond::OnAttackPath(_) => true,
        Cond::All(v) | Cond::Any(v) => v.iter().any(cond_uses_on_path),
        Cond::Not(c)
        | Cond::Peer(_, _, c)
        | Cond::HasFlow(_, c)
        | Cond::Related(_, _, c)
        | Cond::Nearest(_, _, c)
        | Cond::AnyEnclosing(_, c)
        | Cond::AnyCrossed(c) => cond_uses_on_path(c),
        _ => false,
    }
}

/// Attack-path steps and selectors decide what the paths are, so they cannot ask
/// whether something is on one.
fn no_on_path(c: &Cond) -> Result<(), (String, String)> {
    if cond_uses_on_path(c) {
        Err((
            "`OnAttackPath` is only meaningful in a rule: the paths are made of these steps".into(),
            "OnAttackPath".into(),
        ))
    } else {
        Ok(())
    }
}

/// Which boundary role `Boundary` reads at a point of a condition.
#[derive(Clone, Copy)]
enum BCtx {
    /// None: the role is not available.
    None,
    /// The nearest enclosing boundary of this kind (`Nearest`).
    Kind(BoundaryKind),
    /// A boundary of any kind (crossed, or any enclosing one).
    Any,
}

fn is_base_name(k: &str) -> bool {
    matches!(k, "entity" | "process" | "store")
}

impl Template {
    fn flow_props_checked(
        &self,
        file: &str,
        tix: &TextIndex<'_>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<PropSpec> {
        let mut out = Vec::new();
        for p in &self.flow_properties {
            match check_prop_spec(p) {
                Ok(()) => out.push(p.clone()),
                Err(msg) => diags.push(Diagnostic::new(Level::Error, "bad-property", msg).at(
                    file,
                    tix.locate(&["flow_properties", &format!("\"{}\"", p.name)]),
                )),
            }
        }
        out
    }
}

fn check_prop_spec(p: &PropSpec) -> Result<(), String> {
    if p.name.is_empty() {
        return Err("a property needs a name".into());
    }
    if !p.ty.accepts(&p.default) {
        return Err(format!(
            "property `{}`: default {} is not a valid {}",
            p.name,
            p.default.display(),
            p.ty.name()
        ));
    }
    Ok(())
}

fn check_stencil(s: &Stencil) -> Result<(), String> {
    if s.kind.is_empty() {
        return Err("a stencil needs a kind".into());
    }
    let mut names = HashSet::new();
    for p in &s.properties {
        check_prop_spec(p).map_err(|m| format!("stencil `{}`: {m}", s.kind))?;
        if !names.insert(p.name.as_str()) {
            return Err(format!(
                "stencil `{}` declares property `{}` twice",
                s.kind, p.name
            ));
        }
    }
    Ok(())
}

/// The placeholder names used in a description (`{source}` gives `source`).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                out.push(after[..j].to_owned());
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

/// The built-in templates as sources.
pub fn builtin_sources() -> Vec<Source> {
    BUILTIN
        .iter()
        .map(|(f, s)| Source::new(*f, *s, true))
        .collect()
}

/// Parses one template file, turning a syntax or type error into a located diagnostic.
pub fn parse_template(file: &str, text: &str) -> Result<Template, Box<Diagnostic>> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(Box::new(
            Diagnostic::new(
                Level::Error,
                "template-too-large",
                format!(
                    "template is {} bytes; the limit is {MAX_TEMPLATE_BYTES} bytes",
                    text.len()
                ),
            )
            .at(file, None),
        ));
    }
    // A byte order mark is accepted and ignored, as in model files.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Every string of a rule is repeated in each threat it makes: each is limited as in
    // model files.
    if let Some(long) = crate::persist::long_string(text) {
        let p = crate::diag::offset_to_pos(text, long.offset);
        let what = long
            .field
            .map_or_else(|| "a string".to_owned(), |f| format!("`{f}`"));
        return Err(Box::new(
            Diagnostic::new(
                Level::Error,
                "template-limit",
                format!(
                    "{what} is {} bytes long; the limit is {} bytes ({})",
                    long.len, long.limit, long.limit_name
                ),
            )
            .at(file, Some(p)),
        ));
    }
    let opts = ron::Options::default().with_recursion_limit(TEMPLATE_RECURSION_LIMIT);
    opts.from_str::<Template>(text).map_err(|e| {
        Box::new(
            Diagnostic::new(
                Level::Error,
                "template-syntax",
                crate::diag::ron_message(
                    &e.code,
                    "TEMPLATE_RECURSION_LIMIT",
                    TEMPLATE_RECURSION_LIMIT,
                ),
            )
            .at(
                file,
                Some(Pos {
                    line: e.span.start.line,
                    col: e.span.start.col,
                }),
            ),
        )
    })
}

/// String literal contents with the offsets of their opening quotes, and line starts.
type LiteralsAndLines<'a> = (HashMap<&'a str, Vec<usize>>, Vec<usize>);

/// Locates needles in one template's text in time that does not grow with the number
/// of lookups, so that a template with thousands of bad rules still loads quickly
/// (searching the whole text for each diagnostic was quadratic). String literals are
/// indexed once; other needles are searched within [`LOCATE_WINDOW`] bytes of the
/// previous one.
struct TextIndex<'a> {
    src: &'a str,
    built: std::cell::OnceCell<LiteralsAndLines<'a>>,
    /// The last position computed: (line start, offset, column), to count columns
    /// incrementally on long lines.
    last: std::cell::Cell<(usize, usize, usize)>,
}

/// How far past the previous needle a non-literal needle is searched, in bytes.
const LOCATE_WINDOW: usize = 64 * 1024;

impl<'a> TextIndex<'a> {
    fn new(src: &'a str) -> Self {
        TextIndex {
            src,
            built: std::cell::OnceCell::new(),
            last: std::cell::Cell::new((0, 0, 1)),
        }
    }

    /// String literal contents with the offsets of their opening quotes, and line starts.
    fn built(&self) -> &LiteralsAndLines<'a> {
        self.built.get_or_init(|| {
            let (src, b) = (self.src, self.src.as_bytes());
            let mut lits: HashMap<&str, Vec<usize>> = HashMap::new();
            let mut lines = vec![0];
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'\n' => lines.push(i + 1),
                    b'/' if b.get(i + 1) == Some(&b'/') => {
                        while i + 1 < b.len() && b[i + 1] != b'\n' {
                            i += 1;
                        }
                    }
                    b'/' if b.get(i + 1) == Some(&b'*') => {
                        let mut level = 0usize;
                        while i < b.len() {
                            if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                                level += 1;
                                i += 1;
                            } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                                level -= 1;
                                i += 1;
                                if level == 0 {
                                    break;
                                }
                            } else if b[i] == b'\n' {
                                lines.push(i + 1);
                            }
                            i += 1;
                        }
                    }
                    b'r' if matches!(b.get(i + 1), Some(b'#' | b'"')) => {
                        // A raw string: skip to the quote followed by as many `#`.
                        let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                        if b.get(i + 1 + hashes) == Some(&b'"') {
                            i += hashes + 2;
                            while i < b.len()
                                && !(b[i] == b'"'
                                    && b[i + 1..].iter().take(hashes).all(|&c| c == b'#')
                                    && b.len() > i + hashes)
                            {
                                if b[i] == b'\n' {
                                    lines.push(i + 1);
                                }
                                i += 1;
                            }
                            i += hashes;
                        }
                    }
                    b'"' => {
                        let start = i;
                        i += 1;
                        while i < b.len() && b[i] != b'"' {
                            match b[i] {
                                b'\\' => i += 1,
                                b'\n' => lines.push(i + 1),
                                _ => {}
                            }
                            i += 1;
                        }
                        if let Some(content) = src.get(start + 1..i.min(b.len())) {
                            lits.entry(content).or_default().push(start);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            (lits, lines)
        })
    }

    /// Like [`locate`]: each needle is searched after the previous one, and the position
    /// of the last one found is returned.
    fn locate(&self, needles: &[&str]) -> Option<Pos> {
        let (lits, _) = self.built();
        let mut from = 0usize;
        let mut found = None;
        for n in needles {
            if n.is_empty() {
                continue;
            }
            let literal = n.len() >= 2 && n.starts_with('"') && n.ends_with('"');
            let hit = match literal.then(|| lits.get(&n[1..n.len() - 1])).flatten() {
                Some(offsets) => offsets.get(offsets.partition_point(|&o| o < from)).copied(),
                None => {
                    let end = from.saturating_add(LOCATE_WINDOW).min(self.src.len());
                    let window = (from..=end)
                        .rev()
                        .find_map(|e| self.src.get(from..e))
                        .unwrap_or("");
                    window.find(n).map(|i| from + i)
                }
            };
            if let Some(i) = hit {
                found = Some(i);
                from = i + n.len();
            }
        }
        found.map(|off| self.pos(off))
    }

    fn pos(&self, off: usize) -> Pos {
        let (_, lines) = self.built();
        let line = lines.partition_point(|&s| s <= off).max(1);
        let line_start = lines[line - 1];
        let (last_start, last_off, last_col) = self.last.get();
        let (from, col0) = if last_start == line_start && last_off <= off {
            (last_off, last_col)
        } else {
            (line_start, 1)
        };
        let col = col0 + self.src.get(from..off).map_or(0, |s| s.chars().count());
        self.last.set((line_start, off, col));
        Pos { line, col }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_user(text: &str) -> Catalog {
        let mut sources = builtin_sources();
        sources.push(Source::new("user.ron", text, false));
        Catalog::from_sources(sources)
    }

    fn rule(id: &str, applies: &str, cond: &str) -> String {
        format!(
            "(id: \"u\", name: \"U\", version: \"1\", group: \"U\", rules: [\n  (id: \"{id}\", title: \"t\", category: Spoofing,\n   applies: {applies},\n   condition: {cond},\n   severity: Low, description: \"d\", references: [\"CWE-1\"]),\n])"
        )
    }

    #[test]
    fn boundary_schemas_and_relation_kinds_load_and_bad_ones_are_located() {
        let c = with_user(
            r#"(id: "u", name: "U", version: "1", group: "U",
  boundary_properties: [(kind: Namespace, properties: [
    (name: "u_level", ty: Enum(["privileged", "restricted"]), default: "privileged"),
    (name: "u_bad", ty: Bool, default: 3),
  ])],
  relations: [
    (kind: "u.uses", name: "uses", from: ["process"], to: ["store"]),
    (kind: "u.bad", name: "bad", from: ["no.such-kind"], to: ["store"]),
  ],
)"#,
        );
        assert!(
            c.boundary_prop(BoundaryKind::Namespace, "u_level")
                .is_some()
        );
        assert!(c.boundary_prop(BoundaryKind::Namespace, "u_bad").is_none());
        assert!(c.relation_kind("u.uses").is_some());
        assert!(c.relation_kind("u.bad").is_none());
        let errs: Vec<&Diagnostic> = c
            .diagnostics
            .iter()
            .filter(|d| d.file.as_deref() == Some("user.ron"))
            .collect();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs.iter().all(|d| d.pos.is_some()), "{errs:?}");
        assert!(c.kind_matches("generic.store", &["store".to_owned()]));
    }

    fn only_error(c: &Catalog) -> &Diagnostic {
        let errs: Vec<&Diagnostic> = c
            .diagnostics
            .iter()
            .filter(|d| d.file.as_deref() == Some("user.ron"))
            .collect();
        assert_eq!(errs.len(), 1, "{:?}", c.diagnostics);
        errs[0]
    }

    #[test]
    fn wrong_type_is_a_located_error() {
        let c = with_user(&rule(
            "U-1",
            "Elements([\"generic.process\"])",
            "Is(Element, \"validates_input\", 3)",
        ));
        let d = only_error(&c);
        assert!(d.message.contains("is bool"), "{d}");
        assert_eq!(d.pos.map(|p| p.line), Some(4), "{d}");
    }

    #[test]
    fn unknown_kind_is_a_located_error() {
        let c = with_user(&rule("U-1", "Elements([\"docker.demon\"])", "Always"));
        let d = only_error(&c);
        assert!(d.message.contains("unknown kind `docker.demon`"), "{d}");
        assert_eq!(d.pos.map(|p| p.line), Some(3), "{d}");
    }

    #[test]
    fn a_syntax_error_keeps_the_other_templates() {
        let c = with_user("(id: \"u\", name: ");
        assert!(only_error(&c).code == "template-syntax");
        assert!(c.rule("GEN-S-01").is_some());
    }

    #[test]
    fn a_user_rule_cannot_shadow_a_built_in_one() {
        let c = with_user(&rule("GEN-S-01", "Flows", "Always"));
        assert_eq!(only_error(&c).code, "shadowed-rule");
        let r = c.rule("GEN-S-01").map(|r| r.template);
        assert_eq!(r.map(|t| c.templates[t].builtin), Some(true));
    }

    #[test]
    fn roles_must_fit_the_subject() {
        let c = with_user(&rule(
            "U-1",
            "Flows",
            "Is(Element, \"validates_input\", true)",
        ));
        assert!(only_error(&c).message.contains("not available here"));
        let c = with_user(&rule("U-2", "Flows", "Entering"));
        assert!(only_error(&c).message.contains("crossing rule"));
    }
}
