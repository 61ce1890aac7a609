//! How the typed enums of a report view are written in JSON and SARIF: as their machine
//! keys (`information_disclosure`, `needs_investigation`), the words the JSON has always
//! used. The model's own serde form (the variant names RON files hold) is left alone; the
//! report's fields say `#[serde(serialize_with = "keys::key")]`.

use crate::diag::Level;
use crate::model::{Likelihood, Severity, Status, Stride};
use serde::Serializer;

/// A value with a machine key.
pub trait Key: Copy {
    /// The key, as JSON writes it.
    fn key(self) -> &'static str;
}

impl Key for Stride {
    fn key(self) -> &'static str {
        Stride::key(self)
    }
}

impl Key for Severity {
    fn key(self) -> &'static str {
        Severity::key(self)
    }
}

impl Key for Likelihood {
    fn key(self) -> &'static str {
        Likelihood::key(self)
    }
}

impl Key for Status {
    fn key(self) -> &'static str {
        Status::key(self)
    }
}

impl Key for Level {
    fn key(self) -> &'static str {
        Level::key(self)
    }
}

/// Writes a value as its key.
pub fn key<T: Key, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.key())
}

/// Writes an optional value as its key, or an empty string when there is none.
pub fn key_or_empty<T: Key, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.map_or("", Key::key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Row {
        #[serde(serialize_with = "key")]
        category: Stride,
        #[serde(serialize_with = "key_or_empty")]
        severity: Option<Severity>,
        #[serde(serialize_with = "key_or_empty")]
        other: Option<Severity>,
    }

    #[test]
    fn enums_are_written_as_their_keys() {
        let r = Row {
            category: Stride::InformationDisclosure,
            severity: Some(Severity::Critical),
            other: None,
        };
        assert_eq!(
            serde_json::to_string(&r).ok().as_deref(),
            Some(r#"{"category":"information_disclosure","severity":"critical","other":""}"#)
        );
    }
}
