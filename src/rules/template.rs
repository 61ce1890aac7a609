//! What a template file holds: stencils (element kinds with a property schema) and rules
//! (typed conditions over the model). Templates are plain data; nothing in them executes.

use crate::model::{BoundaryKind, Channel, Likelihood, Severity, Stride, Value};
use serde::{Deserialize, Serialize};

/// One template file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Unique id, e.g. `docker`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Template version, shown in reports next to the rules it contributed.
    pub version: String,
    /// Palette group for its stencils (e.g. `Docker`).
    pub group: String,
    /// What the template covers.
    #[serde(default)]
    pub description: String,
    /// Properties every flow may carry, declared by this template.
    #[serde(default)]
    pub flow_properties: Vec<PropSpec>,
    /// Property schemas of boundary kinds, declared by this template (several templates
    /// may add properties to the same kind).
    #[serde(default)]
    pub boundary_properties: Vec<BoundarySchema>,
    /// Relation kinds: typed links between elements that are not data flows.
    #[serde(default)]
    pub relations: Vec<RelationKind>,
    /// Element kinds.
    #[serde(default)]
    pub stencils: Vec<Stencil>,
    /// Threat rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Flows an attacker who holds the flow's source can ride to its target (edges of
    /// the attack graph), each with a condition.
    #[serde(default)]
    pub flow_steps: Vec<FlowStep>,
    /// Pivot steps: ways an attacker who holds an element gains another (a container
    /// escape to its node, a stolen token to its identity), each with a condition.
    #[serde(default)]
    pub pivots: Vec<Pivot>,
    /// Which elements are entry points of attack paths, besides those in untrusted
    /// boundaries (trust 0, kind Internet) and those the reviewer marks.
    #[serde(default)]
    pub entry_points: Vec<Selector>,
    /// Which elements are crown jewels (attack-path targets) by default, besides those
    /// the reviewer marks.
    #[serde(default)]
    pub crown_jewels: Vec<Selector>,
}

/// An edge of the attack graph along a data flow: an attacker who holds the flow's
/// source uses the flow to gain its target. The condition is a flow condition (`Source`,
/// `Target`, `Flow`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    /// Stable id, e.g. `FLOW-INPUT`.
    pub id: String,
    /// Short title, read between the ends (`sends unvalidated input to`).
    pub title: String,
    /// When the flow is an edge.
    #[serde(default = "always")]
    pub condition: Cond,
    /// Flow properties (booleans) that count as controls on the step: a path through
    /// fewer of them is weaker, which breaks ties between paths of equal length.
    #[serde(default)]
    pub controls: Vec<String>,
    /// The control that removes the step.
    pub control: String,
    /// ATT&CK techniques and other references.
    pub references: Vec<String>,
}

/// A pivot step: an attacker who holds an element of one of the `from` kinds for which
/// `condition` holds gains every element `to` finds for which `target_condition` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pivot {
    /// Stable id, e.g. `PIVOT-ESCAPE-PRIVILEGED`.
    pub id: String,
    /// Short title, read between the ends (`escapes to its node`).
    pub title: String,
    /// Element kinds (or base shapes) the step starts at.
    pub from: Vec<String>,
    /// When the step exists, evaluated with the starting element as `Element`.
    #[serde(default = "always")]
    pub condition: Cond,
    /// How the gained elements are found (the union of every way listed).
    pub to: Vec<Reach>,
    /// Which of the found elements are gained, evaluated with each as `Element`.
    #[serde(default = "always")]
    pub target_condition: Cond,
    /// The control that removes the step.
    pub control: String,
    /// Rules whose threats (on the starting element) describe this step: their triage
    /// is the step's triage, and they are the threats to fix.
    #[serde(default)]
    pub rules: Vec<String>,
    /// ATT&CK techniques and other references.
    pub references: Vec<String>,
}

/// How a pivot step finds the elements it gains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reach {
    /// The other ends of the element's relations of this kind (`Out`: relations that
    /// start at the element; `In`: relations that point to it).
    Relation(Dir, String),
    /// The ends reached by following relations of these kinds one after the other (a
    /// service account's role: `[(In, "k8s.binds-subject"), (Out, "k8s.binds-role")]`).
    Chain(Vec<(Dir, String)>),
    /// Elements of these kinds in the nearest enclosing boundary of this kind (its whole
    /// subtree): the daemon of a container's host.
    Peer(BoundaryKind, Vec<String>),
    /// Every element of these kinds in the model (what a cluster-wide right reaches).
    Every(Vec<String>),
}

/// Elements chosen by kind and condition (an entry point or crown-jewel default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Element kinds (or base shapes).
    pub kinds: Vec<String>,
    /// Which of them, evaluated with the element as `Element`.
    #[serde(default = "always")]
    pub condition: Cond,
    /// Why they are chosen, shown with the path.
    pub why: String,
}

/// The DFD shape a stencil derives from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BaseShape {
    /// Someone or something outside the system's control (rectangle).
    Entity,
    /// Code that runs (circle / rounded rectangle).
    Process,
    /// Data at rest (open-ended rectangle).
    Store,
}

impl BaseShape {
    /// The name a rule uses to match every stencil of this shape.
    pub fn kind_name(self) -> &'static str {
        match self {
            BaseShape::Entity => "entity",
            BaseShape::Process => "process",
            BaseShape::Store => "store",
        }
    }
}

/// An element kind offered in the palette.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stencil {
    /// Kind id, e.g. `docker.container`.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// DFD base shape.
    pub base: BaseShape,
    /// Icon name (a monogram of two or three letters drawn on the element).
    pub icon: String,
    /// Tooltip text.
    #[serde(default)]
    pub description: String,
    /// A stencil whose properties this one inherits and whose rules apply to it too.
    #[serde(default)]
    pub extends: Option<String>,
    /// Declared properties with types and defaults.
    #[serde(default)]
    pub properties: Vec<PropSpec>,
}

/// Properties a boundary kind carries, e.g. a namespace's Pod Security level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundarySchema {
    /// The boundary kind these properties belong to.
    pub kind: BoundaryKind,
    /// Declared properties with types and defaults.
    pub properties: Vec<PropSpec>,
}

/// A relation kind: a typed link between two elements that is not a data flow (a
/// workload *uses* a service account, a binding *grants* a role).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationKind {
    /// Kind id, e.g. `k8s.uses-service-account`.
    pub kind: String,
    /// Display name, read as a verb phrase between the ends (`uses service account`).
    pub name: String,
    /// Element kinds the relation may start at (kinds or base shapes, as in
    /// [`Applies::Elements`]).
    pub from: Vec<String>,
    /// Element kinds the relation may point to.
    pub to: Vec<String>,
    /// What it means, shown in the inspector.
    #[serde(default)]
    pub doc: String,
    /// Properties the relation carries (e.g. a mount's `read_only`).
    #[serde(default)]
    pub properties: Vec<PropSpec>,
}

/// A declared property: name, type, default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropSpec {
    /// Property name, e.g. `privileged`.
    pub name: String,
    /// Type.
    pub ty: PropType,
    /// Value when the element or flow does not set one.
    pub default: Value,
    /// What it means, shown in the inspector as the label's tooltip.
    #[serde(default)]
    pub doc: String,
    /// How the inspector and reports name it ("TLS verification" for `tls_verify`);
    /// empty means the key with underscores as spaces.
    #[serde(default)]
    pub label: String,
}

impl PropSpec {
    /// The label to show: `label`, or the key made readable ("mutual_auth" reads
    /// "Mutual auth").
    pub fn display_label(&self) -> String {
        if !self.label.trim().is_empty() {
            return self.label.clone();
        }
        let s = self.name.replace('_', " ");
        let mut c = s.chars();
        match c.next() {
            Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
            None => s,
        }
    }
}

/// The type of a property.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PropType {
    /// true / false.
    Bool,
    /// A finite number.
    Number,
    /// Free text.
    Text,
    /// One of the listed options (stored as text).
    Enum(Vec<String>),
    /// A set of strings (capabilities, RBAC verbs, host paths), stored sorted.
    List,
}

impl PropType {
    /// Type name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            PropType::Bool => "bool",
            PropType::Number => "number",
            PropType::Text => "text",
            PropType::Enum(_) => "enum",
            PropType::List => "list",
        }
    }

    /// Whether `v` is a valid value of this type.
    pub fn accepts(&self, v: &Value) -> bool {
        match (self, v) {
            (PropType::Bool, Value::Bool(_)) => true,
            (PropType::Number, Value::Number(n)) => n.is_finite(),
            (PropType::Text, Value::Text(_)) => true,
            (PropType::Enum(opts), Value::Text(s)) => opts.iter().any(|o| o == s),
            (PropType::List, Value::List(_)) => true,
            _ => false,
        }
    }
}

/// A threat rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, e.g. `DOCKER-S-01`. Never reused, even after deprecation.
    pub id: String,
    /// Short title.
    pub title: String,
    /// STRIDE category.
    pub category: Stride,
    /// What the rule is evaluated on.
    pub applies: Applies,
    /// When it fires.
    #[serde(default = "always")]
    pub condition: Cond,
    /// Default severity.
    pub severity: Severity,
    /// Steps that raise the severity when their condition holds (e.g. per data
    /// classification of the flow, or when it carries secrets); the highest step that
    /// holds wins, and the why says which one.
    #[serde(default)]
    pub severity_steps: Vec<SeverityStep>,
    /// Likelihood.
    #[serde(default = "medium")]
    pub likelihood: Likelihood,
    /// Description with `{element}`, `{source}`, `{target}`, `{flow}`, `{boundary}` placeholders.
    pub description: String,
    /// Controls that address the threat.
    #[serde(default)]
    pub mitigations: Vec<String>,
    /// CWE, CAPEC, CIS Benchmark sections, threat-matrix techniques.
    pub references: Vec<String>,
    /// Set on a retired rule: it no longer fires, and says what replaced it.
    #[serde(default)]
    pub deprecated: Option<String>,
    /// The item of the reference document the rule implements (e.g.
    /// `Docker Registry / Elevation of privilege`), kept apart from the description so
    /// the description can name the real component.
    #[serde(default)]
    pub seed_item: String,
}

/// A severity step of a rule: when `when` holds for the subject, the threat's severity
/// is at least `at_least`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityStep {
    /// The condition, checked like the rule's own (same subject, same roles).
    pub when: Cond,
    /// The severity the threat gets at least when it holds.
    pub at_least: Severity,
}

fn always() -> Cond {
    Cond::Always
}

fn medium() -> Likelihood {
    Likelihood::Medium
}

/// What a rule is evaluated on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Applies {
    /// Elements whose kind is, extends, or has the base shape of one of these kinds
    /// (`entity`, `process` and `store` name the base shapes).
    Elements(Vec<String>),
    /// Every flow.
    Flows,
    /// Every flow that crosses a boundary: the condition is tested on each boundary the
    /// flow crosses (`BoundaryKind`, `Entering`, role `Boundary` read that boundary), and
    /// one threat per flow lists every crossed boundary where it holds.
    Crossings,
}

/// Which item of the evaluation context a test looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// The element a rule is evaluated on (element rules, and inside `Peer`).
    Element,
    /// The flow's source element (flow and crossing rules, and inside `HasFlow`).
    Source,
    /// The flow's target element.
    Target,
    /// The flow itself.
    Flow,
    /// A boundary: the crossed one in a crossing rule (or inside `AnyCrossed`), the
    /// enclosing one inside `Nearest` / `AnyEnclosing`. Tests its boundary properties.
    Boundary,
    /// Directly inside `Related`: the relation being followed (e.g. a mount's
    /// `read_only`, a secret mount's `as_env`).
    Relation,
}

/// Direction of flows for [`Cond::HasFlow`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dir {
    /// Flows that end at the element.
    In,
    /// Flows that start at the element.
    Out,
}

/// A typed condition. Property tests on an unset property use the stencil default; a
/// property the item's kind does not declare makes the test false.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cond {
    /// Always true.
    Always,
    /// True when every condition is.
    All(Vec<Cond>),
    /// True when at least one condition is.
    Any(Vec<Cond>),
    /// True when the condition is false.
    Not(Box<Cond>),
    /// The property equals the value.
    Is(Role, String, Value),
    /// The property is declared and differs from the value.
    IsNot(Role, String, Value),
    /// The numeric property is below the number.
    Below(Role, String, f64),
    /// The numeric property is above the number.
    Above(Role, String, f64),
    /// The text or enum property is one of the options.
    OneOf(Role, String, Vec<String>),
    /// The text property is empty.
    Empty(Role, String),
    /// The item's kind is, or extends, the kind (or has that base shape).
    Kind(Role, String),
    /// The item sits, at any depth, inside a boundary of this kind.
    Inside(Role, BoundaryKind),
    /// The item sits outside every boundary.
    Unbounded(Role),
    /// The flow crosses at least one boundary.
    Crosses,
    /// The flow crosses a boundary of this kind.
    CrossesKind(BoundaryKind),
    /// The flow goes from a less trusted to a more trusted boundary.
    TrustRises,
    /// Crossing rules: the crossed boundary is of this kind.
    BoundaryKind(BoundaryKind),
    /// Crossing rules: the flow enters (rather than exits) the crossed boundary.
    Entering,
    /// Crossing rules: the crossed boundary's trust is at least this level.
    BoundaryTrustAtLeast(u8),
    /// Some element of `kind` in the nearest enclosing boundary of the given kind (its
    /// whole subtree) satisfies the condition, evaluated with that element as `Element`.
    Peer(BoundaryKind, String, Box<Cond>),
    /// Some flow into or out of the element satisfies the condition, evaluated with the
    /// flow as `Flow` and its ends as `Source` and `Target`.
    HasFlow(Dir, Box<Cond>),
    /// The list property contains the item.
    Contains(Role, String, String),
    /// The list property contains at least one of the items.
    ContainsAny(Role, String, Vec<String>),
    /// Every item of the list property is one of the items (true for an empty list):
    /// "adds only NET_BIND_SERVICE".
    SubsetOf(Role, String, Vec<String>),
    /// The list property is empty.
    ListEmpty(Role, String),
    /// The text property (a `user` / `runAsUser` value such as `0`, `root`, `0:10001`,
    /// `root:app`) names uid 0 as the user. An empty value (the image default) is not
    /// uid 0 by this test; combine with `Empty` where the default counts.
    RunsAsUid0(Role, String),
    /// The item's nearest enclosing boundary of this kind exists and satisfies the
    /// condition, evaluated with that boundary as `Boundary`.
    Nearest(Role, BoundaryKind, Box<Cond>),
    /// Some boundary enclosing the item, at any depth, satisfies the condition
    /// (evaluated with that boundary as `Boundary`).
    AnyEnclosing(Role, Box<Cond>),
    /// Flow rules: some boundary the flow crosses satisfies the condition, evaluated
    /// with it as `Boundary` (and as the crossing for `BoundaryKind` / `Entering`).
    AnyCrossed(Box<Cond>),
    /// The flow travels over a network (its channel is `Network`).
    OverNetwork,
    /// The flow's channel is one of these.
    ChannelIn(Vec<Channel>),
    /// Element rules: some relation of this kind from (`Out`) or to (`In`) the element
    /// leads to an element that satisfies the condition, evaluated with that far end as
    /// `Element`. Relations whose far end is missing are skipped.
    Related(Dir, String, Box<Cond>),
    /// The element or flow lies on an attack path from an entry point to a crown jewel
    /// (an element of the path, or a flow it rides). Rules only; not in attack-path steps.
    OnAttackPath(Role),
}
