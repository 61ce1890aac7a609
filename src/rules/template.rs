//! What a template file holds: stencils (element kinds with a property schema) and rules
//! (typed conditions over the model). Templates are plain data; nothing in them executes.

use crate::model::{BoundaryKind, Likelihood, Severity, Stride, Value};
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
    /// Element kinds.
    #[serde(default)]
    pub stencils: Vec<Stencil>,
    /// Threat rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
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
}

impl PropType {
    /// Type name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            PropType::Bool => "bool",
            PropType::Number => "number",
            PropType::Text => "text",
            PropType::Enum(_) => "enum",
        }
    }

    /// Whether `v` is a valid value of this type.
    pub fn accepts(&self, v: &Value) -> bool {
        match (self, v) {
            (PropType::Bool, Value::Bool(_)) => true,
            (PropType::Number, Value::Number(n)) => n.is_finite(),
            (PropType::Text, Value::Text(_)) => true,
            (PropType::Enum(opts), Value::Text(s)) => opts.iter().any(|o| o == s),
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
    /// Every (flow, boundary it crosses) pair.
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
}
