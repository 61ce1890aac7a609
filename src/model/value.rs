//! Typed property values. In a file they are plain RON literals: `true`, `512.0`, `"text"`.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A property value of an element or a flow.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A yes/no property such as `privileged`.
    Bool(bool),
    /// A number such as `memory_limit_mb`; always finite in a valid model.
    Number(f64),
    /// Free text, or the chosen option of an enum property.
    Text(String),
    /// A set of strings such as added capabilities or RBAC verbs, kept sorted and
    /// without repeats (see [`Value::list`]). In a file: `["NET_ADMIN", "SYS_TIME"]`.
    List(Vec<String>),
}

impl Value {
    /// The value's type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::Text(_) => "text",
            Value::List(_) => "list",
        }
    }

    /// A list value from any strings: sorted, repeats removed, so that equal sets are
    /// equal values and a saved file does not depend on the order they were given in.
    pub fn list<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut v: Vec<String> = items.into_iter().map(Into::into).collect();
        v.sort();
        v.dedup();
        Value::List(v)
    }

    /// The items of a list value (`None` for other types).
    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            Value::List(v) => Some(v),
            _ => None,
        }
    }

    /// The value as it reads in a message or report.
    pub fn display(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => format_number(*n),
            Value::Text(s) => format!("\"{s}\""),
            Value::List(v) => {
                let items: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

/// Formats a number without a trailing `.0` when it is whole.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            // A whole number is written as an integer (`2376`, not `2376.0`) where that
            // is exact; it loads back as the same f64.
            Value::Number(n) => match whole(*n) {
                Some(i) => s.serialize_i64(i),
                None => s.serialize_f64(*n),
            },
            Value::Text(t) => s.serialize_str(t),
            Value::List(v) => {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for item in v {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// `n` as an integer when it is whole and exactly representable (|n| < 2^53, not -0).
fn whole(n: f64) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (n.fract() == 0.0 && n.abs() < EXACT && !(n == 0.0 && n.is_sign_negative())).then_some(n as i64)
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a bool, a number, a string or a list of strings")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items: Vec<String> = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(s) = seq.next_element::<String>()? {
            items.push(s);
        }
        Ok(Value::list(items))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_saved_as_integers_and_load_back_equal() {
        for (v, text) in [
            (2376.0, "2376"),
            (0.0, "0"),
            (-5.0, "-5"),
            (2.5, "2.5"),
            (-0.0, "-0.0"),
            (1e300, "1e300"),
        ] {
            let written = ron::to_string(&Value::Number(v)).unwrap_or_default();
            assert_eq!(written, text, "{v}");
            let back: Result<Value, _> = ron::from_str(&written);
            match back {
                Ok(Value::Number(n)) => {
                    assert_eq!(n.to_bits(), v.to_bits(), "{v} round-trips exactly")
                }
                other => panic!("{v}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_saved_model_keeps_integer_properties_integer() {
        let mut m = crate::model::Model::new("m");
        let mut e = crate::model::Element {
            crown_jewel: Default::default(),
            entry_point: Default::default(),
            provenance: Default::default(),
            id: "d".into(),
            name: "dockerd".into(),
            kind: "docker.daemon".into(),
            boundary: None,
            pos: (0.0, 0.0),
            props: Default::default(),
        };
        e.props.insert("port".into(), Value::Number(2376.0));
        m.elements.insert(e.id.clone(), e);
        let text = crate::persist::to_text(&m).unwrap_or_default();
        assert!(text.contains("\"port\": 2376"), "{text}");
        assert!(!text.contains("2376.0"), "{text}");
        match crate::persist::load_bytes("m.ron", text.as_bytes()) {
            Ok(l) => assert_eq!(l.model, m),
            Err(e) => panic!("{e}"),
        }
    }
}
