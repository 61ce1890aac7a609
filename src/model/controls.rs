//! Controls: mitigations as objects. A control has an owner, a ticket and a status, and
//! addresses many threats (by threat id, or every threat of a rule on chosen subjects).
//! Controls are ground state, saved in the model; what they do to a threat's status is
//! derived (see `analysis::controls`).

use super::{ControlId, ThreatId, Value};
use serde::{Deserialize, Serialize};

/// Where a control stands in its delivery.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum ControlStatus {
    /// Suggested, not yet agreed.
    #[default]
    Proposed,
    /// Agreed and scheduled.
    Planned,
    /// Being built.
    InProgress,
    /// Built and deployed.
    Implemented,
    /// Built, deployed and checked by someone other than its builder.
    Verified,
    /// Decided against; it addresses nothing.
    Rejected,
}

impl ControlStatus {
    /// Every status, in workflow order.
    pub const ALL: [ControlStatus; 6] = [
        ControlStatus::Proposed,
        ControlStatus::Planned,
        ControlStatus::InProgress,
        ControlStatus::Implemented,
        ControlStatus::Verified,
        ControlStatus::Rejected,
    ];

    /// Whether the control is in place (Implemented or Verified).
    pub fn is_done(self) -> bool {
        matches!(self, ControlStatus::Implemented | ControlStatus::Verified)
    }

    /// Whether the control still has work to deliver (not done, not rejected).
    pub fn is_pending(self) -> bool {
        !self.is_done() && self != ControlStatus::Rejected
    }

    /// Machine name (`proposed`, `in_progress`, ...), used in CSV and JSON.
    pub fn key(self) -> &'static str {
        match self {
            ControlStatus::Proposed => "proposed",
            ControlStatus::Planned => "planned",
            ControlStatus::InProgress => "in_progress",
            ControlStatus::Implemented => "implemented",
            ControlStatus::Verified => "verified",
            ControlStatus::Rejected => "rejected",
        }
    }

    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::Proposed => "Proposed",
            ControlStatus::Planned => "Planned",
            ControlStatus::InProgress => "In progress",
            ControlStatus::Implemented => "Implemented",
            ControlStatus::Verified => "Verified",
            ControlStatus::Rejected => "Rejected",
        }
    }

    /// Parses a machine or human name, ignoring case, spaces and `_` / `-`.
    pub fn parse(s: &str) -> Option<ControlStatus> {
        let want = super::name_key(s);
        ControlStatus::ALL
            .into_iter()
            .find(|c| super::name_key(c.key()) == want)
    }
}

/// Every threat of one rule, on all subjects or on the listed ones.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleCover {
    /// The rule id (`DOCKER-T-01`).
    pub rule: String,
    /// Subjects as written in threat ids after `@` (`element:dockerd`, `flow:ci-to-daemon`),
    /// sorted; empty means every subject of the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
}

impl RuleCover {
    /// Whether the threat id is one this cover names.
    pub fn covers(&self, threat: &str) -> bool {
        let Some((rule, subject)) = threat.split_once('@') else {
            return false;
        };
        rule == self.rule
            && (self.subjects.is_empty() || self.subjects.iter().any(|s| s == subject))
    }
}

/// The model change that realises a control: a property of an element, flow or boundary
/// set to a value ("set `tls_verify` on dockerd").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropChange {
    /// The item's id (element, flow or boundary).
    pub item: String,
    /// The property name.
    pub prop: String,
    /// The value the property has once the control is in place.
    pub value: Value,
}

/// A mitigation as an object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Unique id (`CTL-001`).
    pub id: ControlId,
    /// Short title.
    pub title: String,
    /// What is done and how.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Who delivers it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// Ticket id or link.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ticket: String,
    /// Delivery status.
    #[serde(default)]
    pub status: ControlStatus,
    /// When it is due (ISO 8601 date), empty when not scheduled.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub due: String,
    /// Threats it addresses by id, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threats: Vec<ThreatId>,
    /// Rules whose threats it addresses (on all or some subjects), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleCover>,
    /// The model changes that realise it; an Implemented control whose change is not in
    /// the model is reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub realised_by: Vec<PropChange>,
    /// Threat ids it addressed that no longer exist, kept on purpose as history (like
    /// triage kept as history).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_as_history: Vec<ThreatId>,
}

impl Control {
    /// Whether the control names this threat, by id or through a rule cover. Rejected
    /// controls still name threats (the reviewer sees them) but decide nothing.
    pub fn names(&self, threat: &str) -> bool {
        self.threats.iter().any(|t| t.as_str() == threat)
            || self.rules.iter().any(|r| r.covers(threat))
    }

    /// Sorts and de-duplicates the lists, as the file keeps them.
    pub fn normalise(&mut self) {
        self.threats.sort();
        self.threats.dedup();
        for r in &mut self.rules {
            r.subjects.sort();
            r.subjects.dedup();
        }
        self.rules.sort();
        self.rules.dedup();
        self.kept_as_history.sort();
        self.kept_as_history.dedup();
    }
}
