//! Evaluating rules over a [`ModelIndex`]. A first pass answers yes/no cheaply; only a
//! rule that fires is evaluated again to collect its *why*: the facts that decided it.

use super::index::{Crossed, ModelIndex};
use super::paths::OnPath;
use super::why::WhyBuf;
use crate::model::{BoundaryKind, Channel, Value};
use crate::rules::catalog::Catalog;
use crate::rules::template::{Applies, Cond, Dir, Role};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The items a condition can look at.
#[derive(Clone, Copy)]
pub struct Scope {
    /// The element of an element rule (or a `Peer`).
    pub elem: Option<usize>,
    /// The flow of a flow or crossing rule (or inside `HasFlow`).
    pub flow: Option<usize>,
    /// The crossing of a crossing rule.
    pub crossed: Option<Crossed>,
    /// The boundary role `Boundary` reads: the crossed boundary, or the enclosing one
    /// inside `Nearest` / `AnyEnclosing`.
    pub bound: Option<usize>,
    /// The relation role `Relation` reads: the one `Related` follows.
    pub rel: Option<usize>,
}

impl Scope {
    /// Scope of an element rule.
    pub fn element(e: usize) -> Self {
        Scope {
            elem: Some(e),
            flow: None,
            crossed: None,
            bound: None,
            rel: None,
        }
    }
    /// Scope of a flow rule.
    pub fn flow(f: usize) -> Self {
        Scope {
            elem: None,
            flow: Some(f),
            crossed: None,
            bound: None,
            rel: None,
        }
    }
    /// Scope of a crossing rule on flow `f` where it crosses `x`.
    pub fn crossing(f: usize, x: Crossed) -> Self {
        Scope {
            elem: None,
            flow: Some(f),
            crossed: Some(x),
            bound: Some(x.boundary),
            rel: None,
        }
    }
}

/// Whether a `user` / `runAsUser` value names uid 0 as the user: the part before `:`
/// is `root` or a decimal number equal to 0 (`0`, `00`, `0:10001`, `root:app`). Names
/// other than `root` and numbers other than 0 are not uid 0; so is an empty value.
pub fn names_uid0(value: &str) -> bool {
    let user = value.trim();
    let user = user.split_once(':').map_or(user, |(u, _)| u).trim();
    if user == "root" {
        return true;
    }
    !user.is_empty() && user.bytes().all(|b| b == b'0')
}

/// A number as decimal text on the stack, so a fact that names one is still built in
/// one allocation of its exact length.
pub(crate) struct Num {
    buf: [u8; 20],
    start: usize,
}

impl Num {
    /// `n` in decimal.
    pub(crate) fn new(n: u64) -> Self {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        let mut n = n;
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Num { buf, start }
    }
    /// The digits.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }
}

/// Evaluates conditions; `facts` is `None` on the fast path.
pub struct Evaluator<'a, 'm> {
    /// The loaded templates.
    pub cat: &'a Catalog,
    /// The model's index.
    pub ix: &'a ModelIndex<'m>,
    /// Every property value, resolved up front; `None` for a few evaluations (see
    /// [`Evaluator::for_few`]), which look values up directly.
    props: Option<PropTable<'a>>,
    /// For each `Peer` condition (by address) and boundary: the first two members, in
    /// member order, that are of the peer kind and satisfy the inner condition. Found
    /// once, so a rule over n members of one boundary costs O(n) instead of O(n²).
    peers: PeerCache,
    /// Which elements and flows lie on attack paths, for [`Cond::OnAttackPath`]; `None`
    /// while the paths themselves are being found (the test is then false).
    on_path: Option<&'a OnPath>,
}

type PeerCache =
    std::sync::Mutex<HashMap<(usize, usize), [Option<usize>; 2], BuildHasherDefault<FastHasher>>>;

/// Marks a property that an item's kind does not declare.
const UNDECLARED: u32 = u32::MAX;

/// Every property value of every element and flow, resolved once per evaluation: a
/// condition then reads a value with a few array lookups instead of a search through the
/// declarations and a B-tree lookup by name (the hottest path of rule evaluation).
struct PropTable<'a> {
    /// Dense id of each declared property name (element or flow).
    by_name: NameMap<'a, u32>,
    /// The same ids keyed by the address of the name strings inside the rules'
    /// conditions, which are what the evaluator is asked about.
    by_ptr: HashMap<(usize, usize), u32, BuildHasherDefault<FastHasher>>,
    /// Number of distinct names.
    names: usize,
    /// `[stencil * names + id]`: index into that stencil's properties, or [`UNDECLARED`].
    stencil_slot: Vec<u32>,
    /// `[id]`: index into [`Catalog::flow_props`], or [`UNDECLARED`].
    flow_slot: Vec<u32>,
    /// Element `e`'s values are `elem_vals[elem_off[e]..]`, one per property of its
    /// stencil: the value set in the model, else the stencil's default.
    elem_off: Vec<usize>,
    elem_vals: Vec<&'a Value>,
    /// `[flow * flow_props + slot]`: the flow's value, else the declared default.
    flow_vals: Vec<&'a Value>,
    /// Each flow's channel, read by most flow rules: here it is beside the others
    /// instead of inside each flow, wherever the model put it.
    flow_channel: Vec<Channel>,
    /// Each flow's `note.source` when it says an importer inferred the flow (its first
    /// line), so a flow threat need not search the flow's properties for it.
    flow_inferred: Vec<Option<&'a str>>,
}

/// A `true` and a `false` that every yes/no value in a [`PropTable`] points to: the
/// rules' commonest test then reads one of two values always in cache instead of the
/// value where the model keeps it (a cache miss per test on a large model).
static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);

/// The first line of a flow's `note.source` when an importer inferred the flow (from
/// `depends_on`, an environment variable naming a service, ...).
fn inferred(flow: &crate::model::Flow) -> Option<&str> {
    match flow.props.get("note.source") {
        Some(Value::Text(note)) if note.starts_with("inferred") => {
            Some(note.lines().next().unwrap_or(note))
        }
        _ => None,
    }
}

/// `v`, or the shared [`TRUE`] / [`FALSE`] when it is a yes/no value (equal to `v`).
fn shared(v: &Value) -> &Value {
    match v {
        Value::Bool(true) => &TRUE,
        Value::Bool(false) => &FALSE,
        other => other,
    }
}

impl<'a> PropTable<'a> {
    fn new<'m: 'a>(cat: &'a Catalog, ix: &'a ModelIndex<'m>) -> Self {
        let mut by_name: NameMap<'a, u32> = NameMap::default();
        let mut id_of = |name: &'a str| {
            let next = by_name.len() as u32;
            *by_name.entry(name).or_insert(next)
        };
        for p in &cat.flow_props {
            id_of(&p.name);
        }
        for st in &cat.stencils {
            for p in &st.stencil.properties {
                id_of(&p.name);
            }
        }
        let names = by_name.len();
        // The first declaration of a name wins, as in `ResolvedStencil::prop` and
        // `Catalog::flow_prop`.
        let mut stencil_slot = vec![UNDECLARED; cat.stencils.len() * names];
        for (si, st) in cat.stencils.iter().enumerate() {
            for (k, p) in st.stencil.properties.iter().enumerate().rev() {
                stencil_slot[si * names + by_name[p.name.as_str()] as usize] = k as u32;
            }
        }
        let mut flow_slot = vec![UNDECLARED; names];
        for (k, p) in cat.flow_props.iter().enumerate().rev() {
            flow_slot[by_name[p.name.as_str()] as usize] = k as u32;
        }
        let mut by_ptr = HashMap::default();
        for lr in &cat.rules {
            let conds = std::iter::once(&lr.rule.condition)
                .chain(lr.rule.severity_steps.iter().map(|s| &s.when));
            for c in conds {
                collect_prop_names(c, &mut |name: &'a str| {
                    if let Some(&id) = by_name.get(name) {
                        by_ptr.insert((name.as_ptr() as usize, name.len()), id);
                    }
                });
            }
        }
        let mut elem_off = Vec::with_capacity(ix.elems.len() + 1);
        let mut elem_vals = Vec::new();
        for (e, el) in ix.elems.iter().enumerate() {
            elem_off.push(elem_vals.len());
            let Some(si) = ix.elem_stencil[e] else {
                continue;
            };
            let base = elem_vals.len();
            elem_vals.extend(
                cat.stencils[si]
                    .stencil
                    .properties
                    .iter()
                    .map(|p| shared(&p.default)),
            );
            for (k, v) in &el.props {
                if let Some(&id) = by_name.get(k.as_str()) {
                    let slot = stencil_slot[si * names + id as usize];
                    if slot != UNDECLARED {
                        elem_vals[base + slot as usize] = shared(v);
                    }
                }
            }
        }
        elem_off.push(elem_vals.len());
        let nfp = cat.flow_props.len();
        let defaults: Vec<&Value> = cat.flow_props.iter().map(|p| shared(&p.default)).collect();
        let mut flow_vals = Vec::with_capacity(ix.flows.len() * nfp);
        for _ in 0..ix.flows.len() {
            flow_vals.extend_from_slice(&defaults);
        }
        let mut flow_inferred = vec![None; ix.flows.len()];
        for (f, fl) in ix.flows.iter().enumerate() {
            flow_inferred[f] = inferred(fl);
            for (k, v) in &fl.props {
                if let Some(&id) = by_name.get(k.as_str()) {
                    let slot = flow_slot[id as usize];
                    if slot != UNDECLARED {
                        flow_vals[f * nfp + slot as usize] = shared(v);
                    }
                }
            }
        }
        PropTable {
            by_name,
            by_ptr,
            names,
            stencil_slot,
            flow_slot,
            elem_off,
            elem_vals,
            flow_vals,
            flow_channel: ix.flows.iter().map(|f| f.channel).collect(),
            flow_inferred,
        }
    }

    /// The dense id of a property name; `None` when no kind and no flow declares it.
    fn id(&self, name: &str) -> Option<usize> {
        match self.by_ptr.get(&(name.as_ptr() as usize, name.len())) {
            Some(&id) => Some(id as usize),
            None => self.by_name.get(name).map(|&id| id as usize),
        }
    }
}

/// Calls `f` with every property name a condition reads.
fn collect_prop_names<'a>(c: &'a Cond, f: &mut impl FnMut(&'a str)) {
    match c {
        Cond::Is(_, p, _)
        | Cond::IsNot(_, p, _)
        | Cond::Below(_, p, _)
        | Cond::Above(_, p, _)
        | Cond::OneOf(_, p, _)
        | Cond::Empty(_, p)
        | Cond::Contains(_, p, _)
        | Cond::ContainsAny(_, p, _)
        | Cond::SubsetOf(_, p, _)
        | Cond::ListEmpty(_, p)
        | Cond::RunsAsUid0(_, p) => f(p),
        Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| collect_prop_names(c, f)),
        Cond::Not(c)
        | Cond::Peer(_, _, c)
        | Cond::HasFlow(_, c)
        | Cond::Nearest(_, _, c)
        | Cond::AnyEnclosing(_, c)
        | Cond::AnyCrossed(c)
        | Cond::Related(_, _, c) => collect_prop_names(c, f),
        _ => {}
    }
}

/// A fast hasher (FxHash-style multiply-and-rotate, 8 bytes at a time) for the
/// evaluator's lookup tables. Only tables whose *stored* keys come from the catalog or
/// are addresses use it: names read from a model are only looked up, so a crafted model
/// cannot make the tables degrade.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

/// A map from catalog names using [`FastHasher`].
pub(crate) type NameMap<'a, V> = HashMap<&'a str, V, BuildHasherDefault<FastHasher>>;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Spread the high bits down: hashbrown takes the bucket from the low bits.
        self.0 ^ (self.0 >> 32)
    }
}

enum Item {
    Elem(usize),
    Flow(usize),
    Bound(usize),
    Rel(usize),
}

impl<'a, 'm> Evaluator<'a, 'm> {
    /// An evaluator over one model's index (resolves every property value up front).
    pub fn new(cat: &'a Catalog, ix: &'a ModelIndex<'m>) -> Self {
        Evaluator {
            cat,
            ix,
            props: Some(PropTable::new(cat, ix)),
            peers: PeerCache::default(),
            on_path: None,
        }
    }

    /// The same evaluator, answering [`Cond::OnAttackPath`] from `on_path`.
    pub fn with_paths(mut self, on_path: Option<&'a OnPath>) -> Self {
        self.on_path = on_path;
        self
    }

    fn item(&self, s: &Scope, role: Role) -> Option<Item> {
        match role {
            Role::Element => s.elem.map(Item::Elem),
            Role::Flow => s.flow.map(Item::Flow),
            Role::Source => s
                .flow
                .and_then(|f| self.ix.flow_ends[f])
                .map(|(a, _)| Item::Elem(a)),
            Role::Target => s
                .flow
                .and_then(|f| self.ix.flow_ends[f])
                .map(|(_, b)| Item::Elem(b)),
            Role::Boundary => s.bound.map(Item::Bound),
            Role::Relation => s.rel.map(Item::Rel),
        }
    }

    fn elem_of(&self, s: &Scope, role: Role) -> Option<usize> {
        match self.item(s, role) {
            Some(Item::Elem(e)) => Some(e),
            _ => None,
        }
    }

    /// An evaluator for a few subjects of a large model (re-analysis after an edit):
    /// resolving every value up front would cost more than the evaluations.
    pub fn for_few(cat: &'a Catalog, ix: &'a ModelIndex<'m>) -> Self {
        Evaluator {
            cat,
            ix,
            props: None,
            peers: PeerCache::default(),
            on_path: None,
        }
    }

    /// The value of a property: set on the item, else the declared default; `None` when
    /// the item's kind does not declare it.
    fn value(&self, item: &Item, prop: &str) -> Option<&'a Value>
    where
        'm: 'a,
    {
        if let Item::Bound(b) = *item {
            let bd = self.ix.bounds[b];
            let spec = self.cat.boundary_prop(bd.kind, prop)?;
            return Some(bd.props.get(prop).unwrap_or(&spec.default));
        }
        if let Item::Rel(r) = *item {
            let rel = self.ix.rels[r];
            let kind = self.cat.relation_kind(&rel.kind)?;
            let spec = kind.properties.iter().find(|p| p.name == prop)?;
            return Some(rel.props.get(prop).unwrap_or(&spec.default));
        }
        let Some(t) = &self.props else {
            return match *item {
                Item::Elem(e) => {
                    let spec =
                        self.ix.elem_stencil[e].and_then(|si| self.cat.stencils[si].prop(prop))?;
                    Some(self.ix.elems[e].props.get(prop).unwrap_or(&spec.default))
                }
                Item::Flow(f) => {
                    let spec = self.cat.flow_prop(prop)?;
                    Some(self.ix.flows[f].props.get(prop).unwrap_or(&spec.default))
                }
                Item::Bound(_) | Item::Rel(_) => None,
            };
        };
        let id = t.id(prop)?;
        match *item {
            Item::Elem(e) => {
                let si = self.ix.elem_stencil[e]?;
                let slot = t.stencil_slot[si * t.names + id];
                if slot == UNDECLARED {
                    return None;
                }
                Some(t.elem_vals[t.elem_off[e] + slot as usize])
            }
            Item::Flow(f) => {
                let slot = t.flow_slot[id];
                if slot == UNDECLARED {
                    return None;
                }
                let nfp = self.cat.flow_props.len();
                Some(t.flow_vals[f * nfp + slot as usize])
            }
            Item::Bound(_) | Item::Rel(_) => None,
        }
    }

    /// Appends `KIND `NAME`` (or ``flow `NAME` ``) to `out`.
    fn write_item_label(&self, out: &mut String, item: &Item) {
        match *item {
            Item::Elem(e) => {
                out.push_str(&self.ix.elems[e].kind);
                out.push_str(" `");
                out.push_str(&self.ix.elems[e].name);
            }
            Item::Flow(f) => {
                out.push_str("flow `");
                out.push_str(&self.ix.flows[f].name);
            }
            Item::Bound(b) => {
                out.push_str("boundary `");
                out.push_str(&self.ix.bounds[b].name);
            }
            Item::Rel(r) => {
                let rel = self.ix.rels[r];
                let name = |id: &'a str| self.ix.elem(id).map_or(id, |e| &self.ix.elems[e].name);
                out.push_str("relation `");
                out.push_str(rel.kind.as_str());
                out.push_str("` from `");
                out.push_str(name(rel.source.as_str()));
                out.push_str("` to `");
                out.push_str(name(rel.target.as_str()));
            }
        }
        out.push('`');
    }

    /// Evaluates `c` in `s`. With `facts`, records why the result is what it is.
    pub fn eval(&self, c: &Cond, s: &Scope, facts: Option<&mut WhyBuf>) -> bool
    where
        'm: 'a,
    {
        match facts {
            None => self.fast(c, s),
            Some(f) => self.explain(c, s, f),
        }
    }

    fn prop_test(
        &self,
        s: &Scope,
        role: Role,
        prop: &str,
        test: impl Fn(&Value) -> bool,
    ) -> (bool, Option<Item>)
    where
        'm: 'a,
    {
        match self.item(s, role) {
            Some(item) => match self.value(&item, prop) {
                Some(v) => (test(v), Some(item)),
                None => (false, Some(item)),
            },
            None => (false, None),
        }
    }
    /// The first two members of boundary `b` (in member order) of kind `kind` that
    /// satisfy `inner`, for the `Peer` condition `peer`; computed once per evaluator.
    fn peer_matches(&self, peer: &Cond, b: usize, kind: &str, inner: &Cond) -> [Option<usize>; 2] {
        let key = (peer as *const Cond as usize, b);
        let cached = match self.peers.lock() {
            Ok(m) => m.get(&key).copied(),
            Err(poisoned) => poisoned.into_inner().get(&key).copied(),
        };
        if let Some(hit) = cached {
            return hit;
        }
        let mut found = [None, None];
        let mut n = 0;
        for &p in &self.ix.bound_members[b] {
            if self.is_a(p, kind) && self.fast(inner, &Scope::element(p)) {
                found[n] = Some(p);
                n += 1;
                if n == 2 {
                    break;
                }
            }
        }
        match self.peers.lock() {
            Ok(mut m) => m.insert(key, found),
            Err(poisoned) => poisoned.into_inner().insert(key, found),
        };
        found
    }

    fn fast(&self, c: &Cond, s: &Scope) -> bool
    where
        'm: 'a,
    {
        match c {
            Cond::Always => true,
            Cond::All(v) => v.iter().all(|c| self.fast(c, s)),
            Cond::Any(v) => v.iter().any(|c| self.fast(c, s)),
            Cond::Not(c) => !self.fast(c, s),
            _ => self.leaf(c, s, None),
        }
    }

    fn explain(&self, c: &Cond, s: &Scope, facts: &mut WhyBuf) -> bool
    where
        'm: 'a,
    {
        self.explain_known(c, s, facts, None)
    }

    /// [`Evaluator::eval`] with facts of a condition already known to hold in `s`
    /// (found by the fast pass), which then is not tested again.
    pub fn explain_true(&self, c: &Cond, s: &Scope, facts: &mut WhyBuf) -> bool
    where
        'm: 'a,
    {
        self.explain_known(c, s, facts, Some(true))
    }

    /// Records why `c` is what it is in `s`; `known` is its value when the caller already
    /// knows it. Only the facts that are the reason are made: a true `All` explains every
    /// part, a false one its first failing part; a true `Any` its first satisfied
    /// alternative, a false one every alternative. Parts whose facts would be dropped are
    /// only tested.
    fn explain_known(&self, c: &Cond, s: &Scope, facts: &mut WhyBuf, known: Option<bool>) -> bool
    where
        'm: 'a,
    {
        match c {
            Cond::Always => true,
            Cond::All(v) => {
                let failing = match known {
                    Some(true) => None,
                    _ => v.iter().find(|c| !self.fast(c, s)),
                };
                match failing {
                    Some(c) => self.explain_known(c, s, facts, Some(false)),
                    None => {
                        for c in v {
                            self.explain_known(c, s, facts, Some(true));
                        }
                        true
                    }
                }
            }
            Cond::Any(v) => {
                let holding = match known {
                    Some(false) => None,
                    _ => v.iter().find(|c| self.fast(c, s)),
                };
                match holding {
                    Some(c) => self.explain_known(c, s, facts, Some(true)),
                    None => {
                        for c in v {
                            self.explain_known(c, s, facts, Some(false));
                        }
                        false
                    }
                }
            }
            Cond::Not(c) => !self.explain_known(c, s, facts, known.map(|k| !k)),
            _ => self.leaf(c, s, Some(facts)),
        }
    }

    fn leaf(&self, c: &Cond, s: &Scope, facts: Option<&mut WhyBuf>) -> bool
    where
        'm: 'a,
    {
        let ix = self.ix;
        match c {
            Cond::Is(role, p, want) | Cond::IsNot(role, p, want) => {
                let negate = matches!(c, Cond::IsNot(..));
                let tested = self.prop_test(s, *role, p, |v| (v == want) != negate);
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::Below(role, p, n) | Cond::Above(role, p, n) => {
                let below = matches!(c, Cond::Below(..));
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::Number(x) => {
                        if below {
                            x < n
                        } else {
                            x > n
                        }
                    }
                    _ => false,
                });
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::OneOf(role, p, opts) => {
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::Text(t) => opts.iter().any(|o| o == t),
                    _ => false,
                });
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::Empty(role, p) => {
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::Text(t) => t.trim().is_empty(),
                    _ => false,
                });
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::Kind(role, k) => match self.elem_of(s, *role) {
                Some(e) => {
                    let r = self.is_a(e, k);
                    if let Some(f) = facts {
                        let el = ix.elems[e];
                        if r {
                            f.push_parts(&["`", &el.name, "` is a ", k]);
                        } else {
                            f.push_parts(&["`", &el.name, "` is a ", &el.kind, ", not a ", k]);
                        }
                    }
                    r
                }
                None => false,
            },
            Cond::Inside(role, bk) => match self.elem_of(s, *role) {
                Some(e) => {
                    let hit = self.nearest_of_kind(e, *bk);
                    if let Some(f) = facts {
                        match hit {
                            // `b` is of kind `bk`.
                            Some(b) => self.inside(f, e, b),
                            None => self.outside_every(f, e, *bk),
                        }
                    }
                    hit.is_some()
                }
                None => false,
            },
            Cond::Unbounded(role) => match self.elem_of(s, *role) {
                Some(e) => {
                    let r = ix.elem_chain[e].is_empty();
                    if let Some(f) = facts {
                        let name = &ix.elems[e].name;
                        match ix.elem_chain[e].first() {
                            None => f.push_parts(&["`", name, "` is outside every trust boundary"]),
                            Some(&b) => f.push_parts(&[
                                "`",
                                name,
                                "` is inside boundary `",
                                &ix.bounds[b].name,
                                "`",
                            ]),
                        }
                    }
                    r
                }
                None => false,
            },
            Cond::Crosses | Cond::CrossesKind(_) => match s.flow {
                Some(f) => {
                    let want = match c {
                        Cond::CrossesKind(k) => Some(*k),
                        _ => None,
                    };
                    let hit = ix.crossings[f]
                        .iter()
                        .find(|x| want.is_none_or(|k| ix.bounds[x.boundary].kind == k));
                    if let Some(out) = facts {
                        let name = ix.flows[f].name.as_str();
                        match (hit, want) {
                            (Some(x), _) => {
                                let b = ix.bounds[x.boundary];
                                out.push_parts(&[
                                    "flow `",
                                    name,
                                    "` crosses boundary `",
                                    &b.name,
                                    "` (kind ",
                                    b.kind.label(),
                                    if x.entering {
                                        ", entering)"
                                    } else {
                                        ", leaving)"
                                    },
                                ]);
                            }
                            (None, Some(k)) => out.push_parts(&[
                                "flow `",
                                name,
                                "` crosses no ",
                                k.label(),
                                " boundary",
                            ]),
                            (None, None) => {
                                out.push_parts(&["flow `", name, "` crosses no trust boundary"])
                            }
                        }
                    }
                    hit.is_some()
                }
                None => false,
            },
            Cond::TrustRises => match s.flow.and_then(|f| ix.flow_ends[f]) {
                Some((a, b)) => {
                    let (ta, tb) = (ix.trust(a), ix.trust(b));
                    if let Some(f) = facts {
                        f.push_parts(&[
                            "trust rises from ",
                            Num::new(ta.into()).as_str(),
                            " at `",
                            &ix.elems[a].name,
                            "` to ",
                            Num::new(tb.into()).as_str(),
                            " at `",
                            &ix.elems[b].name,
                            "`",
                        ]);
                    }
                    ta < tb
                }
                None => false,
            },
            Cond::BoundaryKind(k) => match s.crossed {
                Some(x) => {
                    let b = ix.bounds[x.boundary];
                    if let Some(f) = facts {
                        f.push_parts(&["boundary `", &b.name, "` is of kind ", b.kind.label()]);
                    }
                    b.kind == *k
                }
                None => false,
            },
            Cond::Entering => match s.crossed {
                Some(x) => {
                    let b = ix.bounds[x.boundary];
                    if let Some(f) = facts {
                        f.push_parts(&[
                            if x.entering {
                                "the flow enters boundary `"
                            } else {
                                "the flow leaves boundary `"
                            },
                            &b.name,
                            "`",
                        ]);
                    }
                    x.entering
                }
                None => false,
            },
            Cond::BoundaryTrustAtLeast(n) => match s.crossed {
                Some(x) => {
                    let b = ix.bounds[x.boundary];
                    if let Some(f) = facts {
                        f.push_parts(&[
                            "boundary `",
                            &b.name,
                            "` has trust level ",
                            Num::new(b.trust.into()).as_str(),
                        ]);
                    }
                    b.trust >= *n
                }
                None => false,
            },
            Cond::Peer(bk, kind, inner) => match s.elem {
                Some(e) => {
                    let scope_b = self.nearest_of_kind(e, *bk);
                    match scope_b {
                        Some(b) => {
                            // The first matching member other than `e`.
                            let [first, second] = self.peer_matches(c, b, kind, inner);
                            let found = if first == Some(e) { second } else { first };
                            match (found, facts) {
                                (Some(p), Some(f)) => {
                                    f.push_parts(&[
                                        "`",
                                        &ix.elems[e].name,
                                        "` shares ",
                                        bk.label(),
                                        " `",
                                        &ix.bounds[b].name,
                                        "` with ",
                                        kind,
                                        " `",
                                        &ix.elems[p].name,
                                        "`",
                                    ]);
                                    self.explain_true(inner, &Scope::element(p), f);
                                    true
                                }
                                (None, Some(f)) => {
                                    f.push_parts(&[
                                        "no ",
                                        kind,
                                        " in ",
                                        bk.label(),
                                        " `",
                                        &ix.bounds[b].name,
                                        "` matches",
                                    ]);
                                    false
                                }
                                (found, None) => found.is_some(),
                            }
                        }
                        None => {
                            if let Some(f) = facts {
                                self.outside_every(f, e, *bk);
                            }
                            false
                        }
                    }
                }
                None => false,
            },
            Cond::HasFlow(dir, inner) => match s.elem {
                Some(e) => {
                    let list = match dir {
                        Dir::In => &ix.in_flows[e],
                        Dir::Out => &ix.out_flows[e],
                    };
                    let found = list
                        .iter()
                        .copied()
                        .find(|&f| self.fast(inner, &Scope::flow(f)));
                    match (found, facts) {
                        (Some(f), Some(out)) => {
                            self.explain_true(inner, &Scope::flow(f), out);
                            true
                        }
                        (None, Some(out)) => {
                            out.push_parts(&[
                                "no ",
                                match dir {
                                    Dir::In => "incoming",
                                    Dir::Out => "outgoing",
                                },
                                " flow of `",
                                &ix.elems[e].name,
                                "` matches",
                            ]);
                            false
                        }
                        (found, None) => found.is_some(),
                    }
                }
                None => false,
            },
            Cond::Contains(role, p, item) => {
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::List(l) => l.binary_search(item).is_ok(),
                    _ => false,
                });
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::ContainsAny(role, p, items) => {
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::List(l) => items.iter().any(|i| l.binary_search(i).is_ok()),
                    _ => false,
                });
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::SubsetOf(role, p, items) => {
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::List(l) => l.iter().all(|x| items.contains(x)),
                    _ => false,
                });
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::ListEmpty(role, p) => {
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::List(l) => l.is_empty(),
                    _ => false,
                });
                self.with_prop_fact(tested, p, "", facts)
            }
            Cond::RunsAsUid0(role, p) => {
                let tested = self.prop_test(s, *role, p, |v| match v {
                    Value::Text(t) => names_uid0(t),
                    _ => false,
                });
                let suffix = if tested.0 { " (uid 0)" } else { " (not uid 0)" };
                self.with_prop_fact(tested, p, suffix, facts)
            }
            Cond::Nearest(role, bk, inner) => match self.elem_of(s, *role) {
                Some(e) => {
                    let hit = self.nearest_of_kind(e, *bk);
                    match (hit, facts) {
                        (Some(b), None) => self.fast(
                            inner,
                            &Scope {
                                bound: Some(b),
                                ..*s
                            },
                        ),
                        (Some(b), Some(f)) => {
                            f.push_parts(&[
                                "`",
                                &ix.elems[e].name,
                                "` is in ",
                                bk.label(),
                                " `",
                                &ix.bounds[b].name,
                                "`",
                            ]);
                            self.explain(
                                inner,
                                &Scope {
                                    bound: Some(b),
                                    ..*s
                                },
                                f,
                            )
                        }
                        (None, f) => {
                            if let Some(f) = f {
                                self.outside_every(f, e, *bk);
                            }
                            false
                        }
                    }
                }
                None => false,
            },
            Cond::AnyEnclosing(role, inner) => match self.elem_of(s, *role) {
                Some(e) => {
                    let hit = ix.elem_chain[e].iter().copied().find(|&b| {
                        self.fast(
                            inner,
                            &Scope {
                                bound: Some(b),
                                ..*s
                            },
                        )
                    });
                    match (hit, facts) {
                        (Some(b), Some(f)) => {
                            self.inside(f, e, b);
                            self.explain_true(
                                inner,
                                &Scope {
                                    bound: Some(b),
                                    ..*s
                                },
                                f,
                            )
                        }
                        (None, Some(f)) => {
                            f.push_parts(&["no boundary around `", &ix.elems[e].name, "` matches"]);
                            false
                        }
                        (hit, None) => hit.is_some(),
                    }
                }
                None => false,
            },
            Cond::AnyCrossed(inner) => match s.flow {
                Some(f) => {
                    let at = |x: &Crossed| Scope {
                        crossed: Some(*x),
                        bound: Some(x.boundary),
                        ..*s
                    };
                    let hit = ix.crossings[f].iter().find(|x| self.fast(inner, &at(x)));
                    match (hit, facts) {
                        (Some(x), Some(out)) => {
                            let b = ix.bounds[x.boundary];
                            out.push_parts(&[
                                "flow `",
                                &ix.flows[f].name,
                                if x.entering {
                                    "` enters boundary `"
                                } else {
                                    "` leaves boundary `"
                                },
                                &b.name,
                                "` (",
                                b.kind.label(),
                                ")",
                            ]);
                            self.explain_true(inner, &at(x), out)
                        }
                        (None, Some(out)) => {
                            out.push_parts(&[
                                "no boundary crossed by flow `",
                                &ix.flows[f].name,
                                "` matches",
                            ]);
                            false
                        }
                        (hit, None) => hit.is_some(),
                    }
                }
                None => false,
            },
            Cond::OverNetwork | Cond::ChannelIn(_) => match s.flow {
                Some(f) => {
                    let ch = match &self.props {
                        Some(t) => t.flow_channel[f],
                        None => ix.flows[f].channel,
                    };
                    let r = match c {
                        Cond::ChannelIn(v) => v.contains(&ch),
                        _ => ch.is_network(),
                    };
                    if let Some(out) = facts {
                        let name = ix.flows[f].name.as_str();
                        if ch.is_network() {
                            out.push_parts(&["flow `", name, "` travels over the network"]);
                        } else {
                            out.push_parts(&[
                                "flow `",
                                name,
                                "` stays on the host (channel: ",
                                ch.label(),
                                ")",
                            ]);
                        }
                    }
                    r
                }
                None => false,
            },
            Cond::Related(dir, kind, inner) => match s.elem {
                Some(e) => {
                    let list = match dir {
                        Dir::Out => &ix.rel_out[e],
                        Dir::In => &ix.rel_in[e],
                    };
                    let at = |ri: usize, far: usize| Scope {
                        rel: Some(ri),
                        ..Scope::element(far)
                    };
                    let hit = list.iter().copied().find(|&(ri, far)| {
                        ix.rels[ri].kind == *kind && self.fast(inner, &at(ri, far))
                    });
                    match (hit, facts) {
                        (Some((ri, far)), Some(out)) => {
                            let verb = self
                                .cat
                                .relation_kind(kind)
                                .map_or(kind.as_str(), |k| k.name.as_str());
                            let (a, b) = match dir {
                                Dir::Out => (e, far),
                                Dir::In => (far, e),
                            };
                            out.push_parts(&[
                                "`",
                                &ix.elems[a].name,
                                "` ",
                                verb,
                                " `",
                                &ix.elems[b].name,
                                "`",
                            ]);
                            self.explain_true(inner, &at(ri, far), out)
                        }
                        (None, Some(out)) => {
                            out.push_parts(&[
                                "no `",
                                kind,
                                "` relation of `",
                                &ix.elems[e].name,
                                "` leads to a match",
                            ]);
                            false
                        }
                        (hit, None) => hit.is_some(),
                    }
                }
                None => false,
            },
            Cond::OnAttackPath(role) => {
                let item = self.item(s, *role);
                let hit = match (&item, self.on_path) {
                    (Some(Item::Elem(e)), Some(p)) => p.element(*e),
                    (Some(Item::Flow(f)), Some(p)) => p.flow(*f),
                    _ => None,
                };
                if let (Some(out), Some(it)) = (facts, &item) {
                    out.push_with(|text| {
                        self.write_item_label(text, it);
                        match hit {
                            Some(path) => {
                                text.push_str(" is on attack path ");
                                text.push_str(path);
                            }
                            None => text.push_str(" is on no attack path"),
                        }
                    });
                }
                hit.is_some()
            }
            Cond::Always | Cond::All(_) | Cond::Any(_) | Cond::Not(_) => self.fast(c, s),
        }
    }

    /// The innermost boundary of kind `bk` around element `e`.
    fn nearest_of_kind(&self, e: usize, bk: BoundaryKind) -> Option<usize> {
        self.ix.nearest_of_kind(e, bk)
    }

    /// Adds ``"`NAME` is inside boundary `B` (KIND)"`` for element `e` and boundary `b`.
    fn inside(&self, out: &mut WhyBuf, e: usize, b: usize)
    where
        'm: 'a,
    {
        let bd = self.ix.bounds[b];
        out.push_parts(&[
            "`",
            &self.ix.elems[e].name,
            "` is inside boundary `",
            &bd.name,
            "` (",
            bd.kind.label(),
            ")",
        ]);
    }

    /// Adds ``"`NAME` is not inside any KIND boundary"`` for element `e`.
    fn outside_every(&self, out: &mut WhyBuf, e: usize, bk: BoundaryKind)
    where
        'm: 'a,
    {
        out.push_parts(&[
            "`",
            &self.ix.elems[e].name,
            "` is not inside any ",
            bk.label(),
            " boundary",
        ]);
    }

    /// The result of a property test, with its fact (see [`Evaluator::prop_fact`])
    /// added to `facts` when they are collected.
    fn with_prop_fact(
        &self,
        (result, item): (bool, Option<Item>),
        p: &str,
        suffix: &str,
        facts: Option<&mut WhyBuf>,
    ) -> bool
    where
        'm: 'a,
    {
        if let Some(out) = facts {
            self.prop_fact(out, item, p, suffix);
        }
        result
    }

    /// Adds ``KIND `NAME`: p = value`` (and where an imported value came from), then
    /// `suffix`, as one fact.
    fn prop_fact(&self, out: &mut WhyBuf, item: Option<Item>, p: &str, suffix: &str)
    where
        'm: 'a,
    {
        let Some(it) = item else {
            out.push_parts(&["no item for property ", p, suffix]);
            return;
        };
        // This runs for most facts of most threats, written in place. Same text as
        // `format!("{label}: {p} = {}{from}", v.display())`. Where an imported value
        // came from (file, document, YAML path).
        let from = match it {
            Item::Elem(e) => self.ix.elems[e].provenance.get(p).map(String::as_str),
            _ => None,
        };
        let (from_sep, from) = match from {
            Some(f) => (" — from ", f),
            None => ("", ""),
        };
        let value = self.value(&it, p);
        let shown;
        let (sep, open, v, close) = match value {
            Some(Value::Text(t)) => (": ", " = \"", t.as_str(), "\""),
            Some(Value::Bool(b)) => (": ", " = ", if *b { "true" } else { "false" }, ""),
            Some(other) => {
                shown = other.display();
                (": ", " = ", shown.as_str(), "")
            }
            None => (" has no property ", "", "", ""),
        };
        out.push_with(|text| {
            self.write_item_label(text, &it);
            for part in [sep, p, open, v, close, from_sep, from, suffix] {
                text.push_str(part);
            }
        });
    }

    /// How flow `f` was inferred, when an importer inferred it (see [`inferred`]).
    pub fn inferred_note(&self, f: usize) -> Option<&'a str>
    where
        'm: 'a,
    {
        match &self.props {
            Some(t) => t.flow_inferred[f],
            None => inferred(self.ix.flows[f]),
        }
    }

    /// Whether element `e`'s kind is, extends, or has the base shape `kind`.
    pub fn is_a(&self, e: usize, kind: &str) -> bool {
        match self.ix.elem_stencil[e] {
            Some(si) => self.cat.stencils[si].is_a.iter().any(|k| k == kind),
            None => false,
        }
    }
}

/// Rules grouped by what they apply to, deprecated rules left out.
pub struct RulePlan {
    /// For each stencil, the element rules that apply to it.
    pub by_stencil: Vec<Vec<usize>>,
    /// Flow rules.
    pub flow: Vec<usize>,
    /// Crossing rules.
    pub crossing: Vec<usize>,
}

impl RulePlan {
    /// Groups the catalog's rules.
    pub fn new(cat: &Catalog) -> Self {
        let mut by_stencil = vec![Vec::new(); cat.stencils.len()];
        let mut flow = Vec::new();
        let mut crossing = Vec::new();
        for (ri, lr) in cat.rules.iter().enumerate() {
            if lr.rule.deprecated.is_some() {
                continue;
            }
            match &lr.rule.applies {
                Applies::Elements(kinds) => {
                    for (si, st) in cat.stencils.iter().enumerate() {
                        if kinds.iter().any(|k| st.is_a.iter().any(|a| a == k)) {
                            by_stencil[si].push(ri);
                        }
                    }
                }
                Applies::Flows => flow.push(ri),
                Applies::Crossings => crossing.push(ri),
            }
        }
        RulePlan {
            by_stencil,
            flow,
            crossing,
        }
    }
}
