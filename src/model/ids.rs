//! Newtype identifiers: an element id can never be passed where a flow id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a string as an id.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// Identifies an element (a DFD node) within one model.
    ElementId
);
string_id!(
    /// Identifies a data flow within one model.
    FlowId
);
string_id!(
    /// Identifies a trust boundary within one model.
    BoundaryId
);
string_id!(
    /// Identifies a relation (a typed link between two elements that is not a data flow).
    RelationId
);
string_id!(
    /// Identifies a threat: `RULE@element:ID` or `RULE@flow:ID` (crossing rules too; files
    /// before version 2 used `RULE@flow:ID/boundary:ID`, migrated on load),
    /// or the id of a manual threat. Triage is keyed by it, so it must stay stable.
    ThreatId
);

string_id!(
    /// Identifies a control (a mitigation as an object: owner, ticket, status) within one
    /// model.
    ControlId
);

/// Checks that an id is usable: non-empty, at most [`MAX_ID_LEN`] bytes, and made of
/// characters that keep threat ids readable and unambiguous.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("id is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "id is {} bytes long; the limit is {MAX_ID_LEN}",
            id.len()
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "id `{}` contains `{}`; ids use letters, digits, `-`, `_` and `.`",
            truncate(id, 40),
            c.escape_default()
        ));
    }
    Ok(())
}

/// Longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 200;

/// A name as a lookup key: lower case, without spaces, `_` or `-`, so `In progress`,
/// `in_progress` and `IN-PROGRESS` are one key.
pub fn name_key(t: &str) -> String {
    t.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Shortens text for messages, on a character boundary.
pub fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max_chars).collect();
        out.push('…');
        out
    }
}
