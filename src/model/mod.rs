//! The ground state: what a reviewer draws and decides. No IO, no GUI, nothing derived.
//!
//! Threats, crossings and diagnostics are recomputed from this state and never stored
//! as truth; only triage (the reviewer's decisions) is kept here, keyed by threat id.

mod controls;
mod edit;
mod ids;
pub(crate) mod serde_util;
mod value;

pub use controls::{Control, ControlStatus, PropChange, RuleCover};
pub use edit::{Edit, EditError};
pub use ids::{
    BoundaryId, ControlId, ElementId, FlowId, MAX_ID_LEN, RelationId, ThreatId, check_id, name_key,
    truncate,
};

/// Deepest nesting of trust boundaries through `parent` links: a flow crosses at most
/// twice this many boundaries. Deeper files are refused at load; a deeper chain made in
/// the editor is a `boundary-depth` error, and walks stop there.
pub const MAX_BOUNDARY_DEPTH: usize = 32;
pub use value::{Value, format_number};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file format version this build writes. Version 2: crossing threats are one per
/// flow (`RULE@flow:X`, no `/boundary:B`), capabilities are lists.
pub const FORMAT_VERSION: u32 = 2;

/// Whether a property name is a free-text note (`note.*`, kept by imports) rather than a
/// stencil property: every kind accepts notes, so validation does not report them.
pub fn is_note(name: &str) -> bool {
    name.starts_with("note.")
}

/// Named property values of an element or a flow, in name order.
pub type Props = BTreeMap<String, Value>;

/// One threat model document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// File format version; see [`FORMAT_VERSION`].
    pub version: u32,
    /// Title, owner, reviewers and the like.
    pub metadata: Metadata,
    /// Trust boundaries, in id order.
    #[serde(with = "serde_util::id_list", default)]
    pub boundaries: BTreeMap<BoundaryId, Boundary>,
    /// DFD nodes, in id order.
    #[serde(with = "serde_util::id_list", default)]
    pub elements: BTreeMap<ElementId, Element>,
    /// Directed data flows, in id order.
    #[serde(with = "serde_util::id_list", default)]
    pub flows: BTreeMap<FlowId, Flow>,
    /// Typed links between elements that are not data flows (a workload uses a service
    /// account, a binding grants a role), in id order.
    #[serde(
        with = "serde_util::id_list",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub relations: BTreeMap<RelationId, Relation>,
    /// Threats written by the reviewer rather than by a rule, in id order.
    #[serde(with = "serde_util::id_list", default)]
    pub manual_threats: BTreeMap<ThreatId, ManualThreat>,
    /// The reviewer's decisions, keyed by threat id (generated or manual).
    #[serde(with = "serde_util::id_list", default)]
    pub triage: BTreeMap<ThreatId, Triage>,
    /// Mitigations as objects (owner, ticket, status), in id order; written only when
    /// there is one, so files without controls stay as they were.
    #[serde(
        with = "serde_util::id_list",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub controls: BTreeMap<ControlId, Control>,
}

/// Document metadata shown on the report cover.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Metadata {
    /// Title of the modelled system.
    pub title: String,
    /// Who owns the model.
    pub owner: String,
    /// Who reviewed it.
    pub reviewers: Vec<String>,
    /// What the system is and what is in scope.
    pub description: String,
    /// The document's own version (free text, e.g. `1.4`).
    pub doc_version: String,
    /// Date of the review (ISO 8601), used by reports when `SOURCE_DATE_EPOCH` is unset.
    pub date: String,
    /// Template ids this model uses (all built-in ones when empty).
    pub templates: Vec<String>,
    /// The manifests the model was imported from (paths relative to the model file's
    /// folder, or absolute), so that it can be re-synced from them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The format of [`Metadata::sources`] (`k8s` or `compose`); empty when not imported.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source_format: String,
    /// The likelihood × impact matrix reports and the summary use (5×5 unless set).
    #[serde(skip_serializing_if = "RiskScale::is_default")]
    pub risk_matrix: RiskScale,
}

/// The size of the risk matrix: likelihood × impact levels.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum RiskScale {
    /// Five likelihood levels by five impact levels.
    #[default]
    Five,
    /// Three by three.
    Three,
}

impl RiskScale {
    /// Whether this is the default (5×5), which the file leaves out.
    pub fn is_default(&self) -> bool {
        *self == RiskScale::Five
    }
    /// Levels per axis (5 or 3).
    pub fn levels(self) -> u8 {
        match self {
            RiskScale::Five => 5,
            RiskScale::Three => 3,
        }
    }
}

/// The kind of a trust boundary.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum BoundaryKind {
    /// The public internet.
    Internet,
    /// A network segment or zone (DMZ, corporate LAN, VPC subnet).
    NetworkZone,
    /// A host or cluster node.
    Host,
    /// A container runtime's isolation (a container or pod sandbox).
    ContainerRuntime,
    /// A Kubernetes (or Kubeflow) cluster.
    Cluster,
    /// A Kubernetes namespace (or Kubeflow profile).
    Namespace,
    /// A cloud account, project or subscription.
    CloudAccount,
    /// A container registry's perimeter.
    Registry,
    /// Anything else.
    #[default]
    Other,
}

impl BoundaryKind {
    /// Every kind, in declaration order.
    pub const ALL: [BoundaryKind; 9] = [
        BoundaryKind::Internet,
        BoundaryKind::NetworkZone,
        BoundaryKind::Host,
        BoundaryKind::ContainerRuntime,
        BoundaryKind::Cluster,
        BoundaryKind::Namespace,
        BoundaryKind::CloudAccount,
        BoundaryKind::Registry,
        BoundaryKind::Other,
    ];

    /// The trust level a new boundary of this kind starts at: the internet is
    /// untrusted (0); a cluster or host is trusted more than a network zone.
    pub fn default_trust(self) -> u8 {
        match self {
            BoundaryKind::Internet => 0,
            BoundaryKind::NetworkZone | BoundaryKind::Registry | BoundaryKind::Other => 5,
            BoundaryKind::Host
            | BoundaryKind::ContainerRuntime
            | BoundaryKind::Namespace
            | BoundaryKind::CloudAccount => 6,
            BoundaryKind::Cluster => 7,
        }
    }

    /// A short lower-case label.
    pub fn label(self) -> &'static str {
        match self {
            BoundaryKind::Internet => "internet",
            BoundaryKind::NetworkZone => "network zone",
            BoundaryKind::Host => "host",
            BoundaryKind::ContainerRuntime => "container runtime",
            BoundaryKind::Cluster => "cluster",
            BoundaryKind::Namespace => "namespace",
            BoundaryKind::CloudAccount => "cloud account",
            BoundaryKind::Registry => "registry",
            BoundaryKind::Other => "other",
        }
    }
}

/// A rectangle in diagram coordinates: `(x, y, width, height)`, y down.
pub type RectTuple = (f64, f64, f64, f64);

/// A trust boundary: a named region; boundaries nest through `parent`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boundary {
    /// Unique id.
    pub id: BoundaryId,
    /// Display name.
    pub name: String,
    /// What sort of boundary this is; rules can test it.
    pub kind: BoundaryKind,
    /// Trust level, 0 (untrusted, e.g. internet) to 10 (most trusted).
    pub trust: u8,
    /// The enclosing boundary, if any.
    #[serde(default)]
    pub parent: Option<BoundaryId>,
    /// Where it is drawn, in diagram coordinates.
    pub rect: RectTuple,
    /// Property values of the boundary kind's schema (e.g. a namespace's Pod Security
    /// level) that differ from, or restate, the defaults.
    #[serde(
        with = "serde_util::prop_map",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub props: Props,
}

impl Default for Boundary {
    fn default() -> Self {
        Boundary {
            id: BoundaryId::default(),
            name: String::new(),
            kind: BoundaryKind::Other,
            trust: 5,
            parent: None,
            rect: (0.0, 0.0, 200.0, 150.0),
            props: Props::new(),
        }
    }
}

/// A DFD node: an instance of a stencil.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    /// Unique id.
    pub id: ElementId,
    /// Display name.
    pub name: String,
    /// Stencil kind, e.g. `docker.daemon`.
    pub kind: String,
    /// The innermost boundary the element sits in (stored, never derived from pixels).
    #[serde(default)]
    pub boundary: Option<BoundaryId>,
    /// Centre of the element in diagram coordinates.
    pub pos: (f64, f64),
    /// Property values that differ from, or restate, the stencil defaults.
    #[serde(with = "serde_util::prop_map", default)]
    pub props: Props,
    /// Where imported property values came from, by property name: file, document and
    /// path in it (`deploy.yaml doc 3, spec.template.spec.containers[0].securityContext.privileged`).
    /// Written by importers, shown by the inspector and in the why of threats.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub provenance: BTreeMap<String, String>,
    /// Marked by the reviewer as an entry point of attack paths (written only when set).
    #[serde(default, skip_serializing_if = "is_false")]
    pub entry_point: bool,
    /// Marked by the reviewer as a crown jewel, a target of attack paths (written only
    /// when set).
    #[serde(default, skip_serializing_if = "is_false")]
    pub crown_jewel: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Default for Element {
    fn default() -> Self {
        Element {
            id: ElementId::default(),
            name: String::new(),
            kind: String::new(),
            boundary: None,
            pos: (0.0, 0.0),
            props: Props::new(),
            provenance: BTreeMap::new(),
            entry_point: false,
            crown_jewel: false,
        }
    }
}

/// A directed data flow from one element to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Unique id.
    pub id: FlowId,
    /// Label shown on the arrow.
    pub name: String,
    /// Where data comes from.
    pub source: ElementId,
    /// Where data goes.
    pub target: ElementId,
    /// How the data travels; transit rules apply only to [`Channel::Network`].
    #[serde(default, skip_serializing_if = "Channel::is_network")]
    pub channel: Channel,
    /// Property values (protocol, encrypted, ...).
    #[serde(with = "serde_util::prop_map", default)]
    pub props: Props,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            id: FlowId::default(),
            name: String::new(),
            source: ElementId::default(),
            target: ElementId::default(),
            channel: Channel::Network,
            props: Props::new(),
        }
    }
}

/// How a flow travels between its ends.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Channel {
    /// Across a network (the default): interception, replay and flooding apply.
    #[default]
    Network,
    /// Over the loopback interface of one host (127.0.0.1, a pod's shared localhost).
    Loopback,
    /// Through a Unix domain socket (e.g. `/var/run/docker.sock`).
    UnixSocket,
    /// Through a file on a shared filesystem or a hostPath.
    SharedFile,
    /// Through a volume mounted by both ends (emptyDir, a named Docker volume).
    SharedVolume,
    /// Through local inter-process communication (pipes, shared memory, signals).
    Ipc,
}

impl Channel {
    /// Every channel, in declaration order.
    pub const ALL: [Channel; 6] = [
        Channel::Network,
        Channel::Loopback,
        Channel::UnixSocket,
        Channel::SharedFile,
        Channel::SharedVolume,
        Channel::Ipc,
    ];

    /// Whether the data crosses a network (everything else stays on one host).
    pub fn is_network(&self) -> bool {
        *self == Channel::Network
    }

    /// A short lower-case label.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Network => "network",
            Channel::Loopback => "loopback",
            Channel::UnixSocket => "Unix socket",
            Channel::SharedFile => "shared file",
            Channel::SharedVolume => "shared volume",
            Channel::Ipc => "IPC",
        }
    }
}

/// A typed link between two elements that is not a data flow: its kind is declared by a
/// template (name, allowed source and target kinds), e.g. `k8s.uses-service-account`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// Unique id.
    pub id: RelationId,
    /// Relation kind id, declared by a template.
    pub kind: String,
    /// The element the relation starts at (the workload that uses, the binding that grants).
    pub source: ElementId,
    /// The element it points to (the service account used, the role granted).
    pub target: ElementId,
    /// Property values of the relation (e.g. a mount's `read_only`).
    #[serde(
        with = "serde_util::prop_map",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub props: Props,
}

/// STRIDE category of a threat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stride {
    /// Pretending to be someone or something else.
    Spoofing,
    /// Modifying data or code.
    Tampering,
    /// Denying an action without others being able to prove otherwise.
    Repudiation,
    /// Exposing information to someone not authorised to see it.
    InformationDisclosure,
    /// Denying or degrading service.
    DenialOfService,
    /// Gaining capabilities without authorisation.
    ElevationOfPrivilege,
}

impl Stride {
    /// All categories in STRIDE order.
    pub const ALL: [Stride; 6] = [
        Stride::Spoofing,
        Stride::Tampering,
        Stride::Repudiation,
        Stride::InformationDisclosure,
        Stride::DenialOfService,
        Stride::ElevationOfPrivilege,
    ];
    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            Stride::Spoofing => "Spoofing",
            Stride::Tampering => "Tampering",
            Stride::Repudiation => "Repudiation",
            Stride::InformationDisclosure => "Information disclosure",
            Stride::DenialOfService => "Denial of service",
            Stride::ElevationOfPrivilege => "Elevation of privilege",
        }
    }
    /// Machine name used in JSON and SARIF.
    pub fn key(self) -> &'static str {
        match self {
            Stride::Spoofing => "spoofing",
            Stride::Tampering => "tampering",
            Stride::Repudiation => "repudiation",
            Stride::InformationDisclosure => "information_disclosure",
            Stride::DenialOfService => "denial_of_service",
            Stride::ElevationOfPrivilege => "elevation_of_privilege",
        }
    }
    /// One-letter code used in rule ids and compact displays.
    pub fn letter(self) -> char {
        match self {
            Stride::Spoofing => 'S',
            Stride::Tampering => 'T',
            Stride::Repudiation => 'R',
            Stride::InformationDisclosure => 'I',
            Stride::DenialOfService => 'D',
            Stride::ElevationOfPrivilege => 'E',
        }
    }
    /// The security property the category threatens.
    pub fn property(self) -> &'static str {
        match self {
            Stride::Spoofing => "authenticity",
            Stride::Tampering => "integrity",
            Stride::Repudiation => "non-repudiation",
            Stride::InformationDisclosure => "confidentiality",
            Stride::DenialOfService => "availability",
            Stride::ElevationOfPrivilege => "authorization",
        }
    }
}

/// Severity of a threat, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Minor.
    Low,
    /// Significant.
    Medium,
    /// Serious.
    High,
    /// Fix before release.
    Critical,
}

impl Severity {
    /// All severities, least first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    /// Machine name (`low`, `medium`, `high`, `critical`).
    pub fn key(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    /// Capitalised name.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }
    /// Parses a machine name.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.key().eq_ignore_ascii_case(s))
    }
}

/// How likely a threat is to be exploited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Likelihood {
    /// Requires unusual access or skill.
    Low,
    /// Plausible.
    Medium,
    /// Expected.
    High,
}

impl Likelihood {
    /// Machine name.
    pub fn key(self) -> &'static str {
        match self {
            Likelihood::Low => "low",
            Likelihood::Medium => "medium",
            Likelihood::High => "high",
        }
    }
}

/// Triage status of a threat.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Status {
    /// Not yet looked at.
    #[default]
    Open,
    /// Looked at, not yet decided.
    NeedsInvestigation,
    /// A control is in place.
    Mitigated,
    /// Known and accepted.
    AcceptedRisk,
    /// Does not apply to this system.
    NotApplicable,
    /// Someone else owns the risk.
    Transferred,
}

impl Status {
    /// All statuses in workflow order.
    pub const ALL: [Status; 6] = [
        Status::Open,
        Status::NeedsInvestigation,
        Status::Mitigated,
        Status::AcceptedRisk,
        Status::NotApplicable,
        Status::Transferred,
    ];
    /// Whether the threat still needs a decision (Open or Needs investigation).
    pub fn is_untriaged(self) -> bool {
        matches!(self, Status::Open | Status::NeedsInvestigation)
    }
    /// Machine name.
    pub fn key(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::NeedsInvestigation => "needs_investigation",
            Status::Mitigated => "mitigated",
            Status::AcceptedRisk => "accepted_risk",
            Status::NotApplicable => "not_applicable",
            Status::Transferred => "transferred",
        }
    }
    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::NeedsInvestigation => "Needs investigation",
            Status::Mitigated => "Mitigated",
            Status::AcceptedRisk => "Accepted risk",
            Status::NotApplicable => "Not applicable",
            Status::Transferred => "Transferred",
        }
    }
}

/// The reviewer's decision about one threat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Triage {
    /// The threat this decision is about.
    pub threat: ThreatId,
    /// Where the threat stands.
    #[serde(default)]
    pub status: Status,
    /// Severity chosen by the reviewer instead of the rule's.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Why the status was chosen.
    #[serde(default)]
    pub justification: String,
    /// Who acts on it.
    #[serde(default)]
    pub owner: String,
    /// Ticket or link.
    #[serde(default)]
    pub ticket: String,
    /// Who reviewed the decision.
    #[serde(default)]
    pub reviewed_by: String,
    /// When (ISO 8601 date).
    #[serde(default)]
    pub date: String,
    /// Set when the reviewer keeps an orphaned record on purpose, as history.
    #[serde(default)]
    pub kept_as_history: bool,
    /// The subject's name when the decision was last made ("monitoring agent"), so an
    /// orphaned record still says what it was about after the item is deleted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject_name: String,
    /// A CVSS 3.1 base vector (`CVSS:3.1/AV:N/AC:L/...`) scored by the reviewer, for a
    /// manual threat or as an override of the rule's likelihood and impact; empty when
    /// the rule's mapping applies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cvss: String,
}

/// What a manual threat is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SubjectRef {
    /// An element.
    Element(ElementId),
    /// A flow.
    Flow(FlowId),
    /// A boundary.
    Boundary(BoundaryId),
    /// The system as a whole.
    Model,
}

/// A threat written by the reviewer. Its triage lives in [`Model::triage`] under its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualThreat {
    /// Unique id, e.g. `MANUAL-001`.
    pub id: ThreatId,
    /// Short title.
    pub title: String,
    /// STRIDE category.
    pub category: Stride,
    /// Severity.
    pub severity: Severity,
    /// What it is about.
    pub subject: SubjectRef,
    /// Full description.
    #[serde(default)]
    pub description: String,
    /// Suggested controls.
    #[serde(default)]
    pub mitigations: Vec<String>,
    /// Optional CVSS 3.1 base vector (`CVSS:3.1/AV:N/AC:L/...`); when set and valid it
    /// places the threat in the risk matrix (a triage record's vector overrides it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cvss: String,
}

impl Model {
    /// An empty model with a title.
    pub fn new(title: &str) -> Self {
        Model {
            version: FORMAT_VERSION,
            metadata: Metadata {
                title: title.to_owned(),
                ..Metadata::default()
            },
            ..Model::default()
        }
    }

    /// The chain of boundaries from `b` outwards (innermost first), stopping at a cycle
    /// or a dangling parent so that a corrupt model cannot loop forever.
    pub fn boundary_chain(&self, b: Option<&BoundaryId>) -> Vec<BoundaryId> {
        let mut out: Vec<BoundaryId> = Vec::new();
        let mut cur = b.cloned();
        while let Some(id) = cur {
            // A chain deeper than the limit (a validation error) is cut there.
            if out.len() >= MAX_BOUNDARY_DEPTH
                || out.contains(&id)
                || !self.boundaries.contains_key(&id)
            {
                break;
            }
            cur = self.boundaries.get(&id).and_then(|x| x.parent.clone());
            out.push(id);
        }
        out
    }

    /// A fresh id with the given prefix that no element, flow or boundary uses yet.
    pub fn fresh_id(&self, prefix: &str) -> String {
        let mut n = 1usize;
        loop {
            let cand = format!("{prefix}-{n}");
            if !self.elements.contains_key(cand.as_str())
                && !self.flows.contains_key(cand.as_str())
                && !self.boundaries.contains_key(cand.as_str())
                && !self.relations.contains_key(cand.as_str())
                && !self.manual_threats.contains_key(cand.as_str())
                && !self.controls.contains_key(cand.as_str())
            {
                return cand;
            }
            n += 1;
        }
    }
}
