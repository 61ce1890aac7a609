//! Text the source author wrote that has no Palisade property: kept on the element or
//! flow as `note.*` text properties, which every kind accepts (validation does not
//! report them as undeclared) and which exports write back as descriptions.

use crate::model::{Props, Value};

/// The source's own description of an element or flow.
pub const NOTE_DESCRIPTION: &str = "note.description";
/// Source fields that map to no property, one `key: value` per line, headed by the
/// source format and type.
pub const NOTE_SOURCE: &str = "note.source";

pub use crate::model::is_note;

/// Sets the description note when the text is not blank.
pub(crate) fn set_description(props: &mut Props, text: &str) {
    let t = text.trim();
    if !t.is_empty() {
        props.insert(NOTE_DESCRIPTION.into(), Value::Text(t.to_owned()));
    }
}

/// Collects `key: value` lines of unmapped source fields into [`NOTE_SOURCE`].
#[derive(Default)]
pub(crate) struct SourceNote {
    lines: Vec<String>,
}

impl SourceNote {
    /// Adds one field; blank values are skipped.
    pub(crate) fn add(&mut self, key: &str, value: impl AsRef<str>) {
        let v = value.as_ref().trim();
        if !v.is_empty() {
            self.lines.push(format!("{key}: {v}"));
        }
    }
    /// Adds a JSON value as compact text (strings without quotes); null, empty strings,
    /// empty lists and empty objects are skipped.
    pub(crate) fn add_json(&mut self, key: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => self.add(key, s),
            serde_json::Value::Array(a) if a.is_empty() => {}
            serde_json::Value::Object(o) if o.is_empty() => {}
            other => self.add(key, other.to_string()),
        }
    }
    /// Writes the note (if any line was added) into `props`.
    pub(crate) fn finish(self, props: &mut Props, header: &str) {
        if let Some(text) = self.into_text(header) {
            props.insert(NOTE_SOURCE.into(), Value::Text(text));
        }
    }
    /// The note as text under a header line, or `None` when nothing was added.
    pub(crate) fn into_text(self, header: &str) -> Option<String> {
        if self.lines.is_empty() {
            return None;
        }
        let mut text = header.to_owned();
        for l in self.lines {
            text.push('\n');
            text.push_str(&l);
        }
        Some(text)
    }
}
