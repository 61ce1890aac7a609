//! Serde helpers that keep files stable and strict: records are written as lists in id
//! order and a repeated id or property name is an error, not a silent overwrite.

use super::{
    Boundary, BoundaryId, Control, ControlId, Element, ElementId, Flow, FlowId, ManualThreat,
    Relation, RelationId, ThreatId, Triage, Value,
};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serializer};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::marker::PhantomData;

/// A record that carries its own id.
pub trait Keyed {
    /// The id type.
    type Key: Ord + Clone + fmt::Display;
    /// The record's id.
    fn key(&self) -> &Self::Key;
}

impl Keyed for Element {
    type Key = ElementId;
    fn key(&self) -> &ElementId {
        &self.id
    }
}
impl Keyed for Flow {
    type Key = FlowId;
    fn key(&self) -> &FlowId {
        &self.id
    }
}
impl Keyed for Boundary {
    type Key = BoundaryId;
    fn key(&self) -> &BoundaryId {
        &self.id
    }
}
impl Keyed for Relation {
    type Key = RelationId;
    fn key(&self) -> &RelationId {
        &self.id
    }
}
impl Keyed for Triage {
    type Key = ThreatId;
    fn key(&self) -> &ThreatId {
        &self.threat
    }
}
impl Keyed for Control {
    type Key = ControlId;
    fn key(&self) -> &ControlId {
        &self.id
    }
}
impl Keyed for ManualThreat {
    type Key = ThreatId;
    fn key(&self) -> &ThreatId {
        &self.id
    }
}

/// Serializes a map of records as a list in key order; rejects duplicate keys on load.
pub mod id_list {
    use super::*;

    /// Writes the records as a sequence, in key order.
    pub fn serialize<S, V>(map: &BTreeMap<V::Key, V>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        V: Keyed + serde::Serialize,
    {
        let mut seq = s.serialize_seq(Some(map.len()))?;
        for v in map.values() {
            seq.serialize_element(v)?;
        }
        seq.end()
    }

    struct ListVisitor<V>(PhantomData<V>);

    impl<'de, V> Visitor<'de> for ListVisitor<V>
    where
        V: Keyed + Deserialize<'de>,
    {
        type Value = BTreeMap<V::Key, V>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            // Files list records in id order, so the map is built in one pass from the
            // sorted list; records out of order are inserted one by one.
            let mut sorted: Vec<(V::Key, V)> = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            let mut map = BTreeMap::new();
            while let Some(v) = seq.next_element::<V>()? {
                let k = v.key().clone();
                if map.is_empty() && sorted.last().is_none_or(|(last, _)| *last < k) {
                    sorted.push((k, v));
                    continue;
                }
                if map.is_empty() {
                    map.extend(sorted.drain(..));
                }
                match map.entry(k) {
                    Entry::Occupied(e) => {
                        return Err(de::Error::custom(format!(
                            "duplicate id `{}`",
                            super::super::truncate(&e.key().to_string(), 80)
                        )));
                    }
                    Entry::Vacant(e) => {
                        e.insert(v);
                    }
                }
            }
            if map.is_empty() {
                // Strictly increasing keys: no duplicates, and a bulk build.
                return Ok(sorted.into_iter().collect());
            }
            Ok(map)
        }
    }

    /// Reads a sequence of records into a map, refusing repeated ids.
    pub fn deserialize<'de, D, V>(d: D) -> Result<BTreeMap<V::Key, V>, D::Error>
    where
        D: Deserializer<'de>,
        V: Keyed + Deserialize<'de>,
    {
        d.deserialize_seq(ListVisitor(PhantomData))
    }
}

/// Property maps: written in name order, repeated names rejected on load.
pub mod prop_map {
    use super::*;

    /// Writes the properties as a map in name order.
    pub fn serialize<S: Serializer>(
        map: &BTreeMap<String, Value>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(map.len()))?;
        for (k, v) in map {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }

    struct PropVisitor;

    impl<'de> Visitor<'de> for PropVisitor {
        type Value = BTreeMap<String, Value>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of property names to values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = BTreeMap::new();
            while let Some((k, v)) = access.next_entry::<String, Value>()? {
                match map.entry(k) {
                    Entry::Occupied(e) => {
                        return Err(de::Error::custom(format!(
                            "property `{}` is given twice",
                            super::super::truncate(e.key(), 80)
                        )));
                    }
                    Entry::Vacant(e) => {
                        e.insert(v);
                    }
                }
            }
            Ok(map)
        }
    }

    /// Reads a property map, refusing repeated names.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Value>, D::Error> {
        d.deserialize_map(PropVisitor)
    }
}
