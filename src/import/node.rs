//! A compact parsed YAML value for the Kubernetes importer.
//!
//! `serde_norway::Value` keeps every mapping in a hash table (about 170 bytes an entry
//! plus its index, each key hashed on insert); a 5,000-workload manifest set is 25,000
//! such trees, all alive until the model is built. [`Node`] is read from the same
//! deserializer (same events, limits, errors and positions) but keeps a mapping as a
//! list of pairs (64 bytes an entry), so the trees take about a third of the memory.
//!
//! What the importer sees is the same as with `Value`: the same scalars (numbers keep
//! `serde_norway::Number`, so their text is the same), a duplicate key is the same
//! error at the same place, a lookup by name finds only a string key, two mappings are
//! equal whatever the order of their entries, and merge keys (`<<`) apply as
//! `Value::apply_merge` applies them (same order, same partial result on an error).

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde_norway::Number;
use serde_norway::value::Tag;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A parsed YAML value.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Sequence(Vec<Node>),
    /// Entries in document order (merge keys applied).
    Mapping(Vec<(Node, Node)>),
    Tagged(Box<(Tag, Node)>),
}

impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::Null, Node::Null) => true,
            (Node::Bool(a), Node::Bool(b)) => a == b,
            (Node::Number(a), Node::Number(b)) => a == b,
            (Node::String(a), Node::String(b)) => a == b,
            (Node::Sequence(a), Node::Sequence(b)) => a == b,
            // As a hash map compares: the same keys with equal values, in any order
            // (keys are unique within a mapping).
            (Node::Mapping(a), Node::Mapping(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter()
                            .find(|(bk, _)| bk == k)
                            .is_some_and(|(_, bv)| bv == v)
                    })
            }
            (Node::Tagged(a), Node::Tagged(b)) => a.0 == b.0 && a.1 == b.1,
            _ => false,
        }
    }
}

/// A hash consistent with `==` (order-insensitive for mappings), for finding duplicate
/// keys in large mappings. Deterministic (fixed keys).
fn key_hash(n: &Node) -> u64 {
    fn feed<H: Hasher>(n: &Node, h: &mut H) {
        std::mem::discriminant(n).hash(h);
        match n {
            Node::Null => {}
            Node::Bool(b) => b.hash(h),
            Node::Number(x) => x.hash(h),
            Node::String(s) => s.hash(h),
            Node::Sequence(s) => {
                s.len().hash(h);
                for x in s {
                    feed(x, h);
                }
            }
            Node::Mapping(m) => {
                let mut sum = 0u64;
                for (k, v) in m {
                    let mut e = std::hash::DefaultHasher::new();
                    feed(k, &mut e);
                    feed(v, &mut e);
                    sum = sum.wrapping_add(e.finish());
                }
                sum.hash(h);
            }
            Node::Tagged(t) => {
                t.0.hash(h);
                feed(&t.1, h);
            }
        }
    }
    let mut h = std::hash::DefaultHasher::new();
    feed(n, &mut h);
    h.finish()
}

/// Mappings up to this many entries are searched for a key one by one; past it an
/// index of key hashes keeps inserting linear.
const INDEX_FROM: usize = 16;

/// The keys of a mapping being built, for "is this key already there".
struct Keys {
    /// Hash -> positions of the keys with that hash (built once the mapping is large).
    index: Option<HashMap<u64, Vec<usize>>>,
}

impl Keys {
    fn new() -> Self {
        Keys { index: None }
    }

    /// The position of a key equal to `k` in `entries`, if any.
    fn find(&mut self, entries: &[(Node, Node)], k: &Node) -> Option<usize> {
        if self.index.is_none() && entries.len() < INDEX_FROM {
            return entries.iter().position(|(e, _)| e == k);
        }
        let index = self.index.get_or_insert_with(|| {
            let mut m: HashMap<u64, Vec<usize>> = HashMap::new();
            for (i, (e, _)) in entries.iter().enumerate() {
                m.entry(key_hash(e)).or_default().push(i);
            }
            m
        });
        index
            .get(&key_hash(k))
            .and_then(|is| is.iter().copied().find(|&i| entries[i].0 == *k))
    }

    /// Records that `k` was pushed at position `at`.
    fn pushed(&mut self, k: &Node, at: usize) {
        if let Some(index) = &mut self.index {
            index.entry(key_hash(k)).or_default().push(at);
        }
    }
}

/// Adds `k: v` unless the mapping has the key (as `entry(k).or_insert(v)`).
fn or_insert(entries: &mut Vec<(Node, Node)>, keys: &mut Keys, k: Node, v: Node) {
    if keys.find(entries, &k).is_none() {
        keys.pushed(&k, entries.len());
        entries.push((k, v));
    }
}

impl Node {
    /// The value at a string key of a mapping (`None` for other values, tagged
    /// mappings included, as `Value::get` with a `&str`).
    fn key(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Mapping(m) => m
                .iter()
                .find(|(k, _)| matches!(k, Node::String(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number, through tags.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(n) => n.as_f64(),
            Node::Tagged(t) => t.1.as_f64(),
            _ => None,
        }
    }

    /// Applies `<<` merge keys as `serde_norway::Value::apply_merge` does: `Err` on a
    /// merge key that is not a mapping or a list of mappings (what was merged before it
    /// stays merged).
    pub fn apply_merge(&mut self) -> Result<(), ()> {
        let mut stack: Vec<&mut Node> = vec![self];
        while let Some(node) = stack.pop() {
            match node {
                Node::Mapping(m) => {
                    let at = m
                        .iter()
                        .position(|(k, _)| matches!(k, Node::String(s) if s == "<<"));
                    if let Some(at) = at {
                        // A hash map's `swap_remove`: the last entry takes its place.
                        let (_, merge) = m.swap_remove(at);
                        let mut keys = Keys::new();
                        match merge {
                            Node::Mapping(merge) => {
                                for (k, v) in merge {
                                    or_insert(m, &mut keys, k, v);
                                }
                            }
                            Node::Sequence(seq) => {
                                for value in seq {
                                    match value {
                                        Node::Mapping(merge) => {
                                            for (k, v) in merge {
                                                or_insert(m, &mut keys, k, v);
                                            }
                                        }
                                        _ => return Err(()),
                                    }
                                }
                            }
                            _ => return Err(()),
                        }
                    }
                    stack.extend(m.iter_mut().map(|(_, v)| v));
                }
                Node::Sequence(s) => stack.extend(s.iter_mut()),
                Node::Tagged(t) => stack.push(&mut t.1),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Parses one document into a [`Node`] and applies its merge keys (`false`: a merge key
/// did not apply).
pub(crate) fn parse(text: &str) -> Result<(Node, bool), serde_norway::Error> {
    let mut value = serde_norway::from_str::<Node>(text)?;
    let merged = value.apply_merge().is_ok();
    Ok((value, merged))
}

impl<'de> de::Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Reads any YAML value, with the same visits (and so the same errors) as `Value`'s.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Node, E> {
        Ok(Node::Number(i.into()))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Node, E> {
        Ok(Node::Number(u.into()))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Node, E> {
        Ok(Node::Number(f.into()))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
        Ok(Node::String(s.to_owned()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Node, E> {
        Ok(Node::String(s))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut data: A) -> Result<Node, A::Error> {
        let mut out = Vec::with_capacity(data.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = data.next_element::<Node>()? {
            out.push(v);
        }
        Ok(Node::Sequence(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut data: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut keys = Keys::new();
        while let Some(key) = data.next_key::<Node>()? {
            if let Some(at) = keys.find(&entries, &key) {
                return Err(de::Error::custom(Duplicate(&entries[at].0)));
            }
            let value = data.next_value::<Node>()?;
            keys.pushed(&key, entries.len());
            entries.push((key, value));
        }
        Ok(Node::Mapping(entries))
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
        let (tag, contents) = data.variant_seed(TagSeed)?;
        let value = de::VariantAccess::newtype_variant::<Node>(contents)?;
        Ok(Node::Tagged(Box::new((tag, value))))
    }
}

/// The message `serde_norway` gives for a repeated key.
struct Duplicate<'a>(&'a Node);

impl fmt::Display for Duplicate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("duplicate entry ")?;
        match self.0 {
            Node::Null => f.write_str("with null key"),
            Node::Bool(b) => write!(f, "with key `{b}`"),
            Node::Number(n) => write!(f, "with key {n}"),
            Node::String(s) => write!(f, "with key {s:?}"),
            Node::Sequence(_) | Node::Mapping(_) | Node::Tagged(_) => f.write_str("in YAML map"),
        }
    }
}

/// A tag's text, refused when empty as `serde_norway` refuses it.
struct TagSeed;

impl<'de> DeserializeSeed<'de> for TagSeed {
    type Value = Tag;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tag, D::Error> {
        deserializer.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for TagSeed {
    type Value = Tag;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a YAML tag string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Tag, E> {
        self.visit_string(s.to_owned())
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Tag, E> {
        if s.is_empty() {
            return Err(E::custom("empty YAML tag is not allowed"));
        }
        Ok(Tag::new(s))
    }
}

/// The value at a key of a mapping, through a tag (`None` for other values or a missing
/// key).
pub(crate) fn get<'v>(v: &'v Node, key: &str) -> Option<&'v Node> {
    match v {
        Node::Mapping(_) => v.key(key),
        Node::Tagged(t) => get(&t.1, key),
        _ => None,
    }
}

/// A scalar as text (strings, numbers and booleans), `None` otherwise.
pub(crate) fn scalar(v: &Node) -> Option<String> {
    match v {
        Node::String(s) => Some(s.clone()),
        Node::Number(n) => Some(n.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        Node::Tagged(t) => scalar(&t.1),
        _ => None,
    }
}

impl super::yaml::Tree for Node {
    fn parse(text: &str) -> Result<(Self, bool), serde_norway::Error> {
        parse(text)
    }
    fn get(&self, key: &str) -> Option<&Self> {
        get(self, key)
    }
    fn scalar(&self) -> Option<String> {
        scalar(self)
    }
    fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Sequence(_) => "a list",
            Node::Mapping(_) => "a mapping",
            Node::Tagged(_) => "a tagged value",
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
    fn as_map(&self) -> Option<&Self> {
        match self {
            Node::Mapping(_) => Some(self),
            Node::Tagged(t) if matches!(t.1, Node::Mapping(_)) => Some(&t.1),
            _ => None,
        }
    }
    fn as_seq(&self) -> Option<&[Self]> {
        match self {
            Node::Sequence(s) => Some(s),
            _ => None,
        }
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn as_text(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }
    fn each_entry(&self, f: &mut dyn FnMut(&Self, &Self)) {
        if let Node::Mapping(m) = self {
            for (k, v) in m {
                f(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_norway::Value;

    /// The same reading as `Value` (with merge keys), compared through the text
    /// `serde_norway` writes for it; errors compared by message.
    fn same(text: &str) {
        let ours = parse(text);
        let theirs = serde_norway::from_str::<Value>(text).map(|mut v| {
            let ok = v.apply_merge().is_ok();
            (v, ok)
        });
        match (ours, theirs) {
            (Ok((n, a)), Ok((v, b))) => {
                assert_eq!(a, b, "{text}");
                assert_eq!(to_value(&n), v, "{text}");
                assert_eq!(
                    serde_norway::to_string(&to_value(&n)).ok(),
                    serde_norway::to_string(&v).ok(),
                    "{text}"
                );
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{text}");
                assert_eq!(
                    a.location().map(|l| (l.line(), l.column())),
                    b.location().map(|l| (l.line(), l.column())),
                    "{text}"
                );
            }
            (a, b) => panic!("{text}: {:?} vs {:?}", a.map(|x| x.0), b.map(|x| x.0)),
        }
    }

    fn to_value(n: &Node) -> Value {
        match n {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(x) => Value::Number(x.clone()),
            Node::String(s) => Value::String(s.clone()),
            Node::Sequence(s) => Value::Sequence(s.iter().map(to_value).collect()),
            Node::Mapping(m) => {
                Value::Mapping(m.iter().map(|(k, v)| (to_value(k), to_value(v))).collect())
            }
            Node::Tagged(t) => Value::Tagged(Box::new(serde_norway::value::TaggedValue {
                tag: t.0.clone(),
                value: to_value(&t.1),
            })),
        }
    }

    #[test]
    fn reads_as_value_reads() {
        for text in [
            "a: 1\nb: -2\nc: 1.5\nd: .inf\ne: ~\nf: true\ng: 'x'\nh: [1, two, {k: v}]\n",
            "x: 0x1f\ny: 1e3\nz: 18446744073709551615\nw: 99999999999999999999\n",
            "t: !custom {a: 1}\nu: !!str 12\nv: !x [1]\n",
            "base: &b {a: 1, b: 2}\nm:\n  <<: *b\n  b: 3\n  c: 4\n",
            "one: &o {a: 1}\ntwo: &t {b: 2, a: 9}\nm:\n  x: 0\n  <<: [*o, *t]\n  y: 1\n",
            "m:\n  <<: 3\n  a: 1\n",
            "m:\n  <<: [{a: 1}, 2, {b: 2}]\n  c: 1\n",
            "m:\n  z: 1\n  <<: {a: 1}\n  y: 2\n  x: 3\n",
            "a: 1\na: 2\n",
            "1: x\n1: y\n",
            "true: x\ntrue: y\n",
            "~: x\nnull: y\n",
            "[1, 2]: x\n[1, 2]: y\n",
            "{a: 1, b: 2}: x\n{b: 2, a: 1}: y\n",
            "1.0: x\n1: y\n",
            "! x: 1\n",
            "a: [1,\n",
            "- 1\n- - 2\n  - {}\n",
            "",
            "just text\n",
        ] {
            same(text);
        }
    }

    #[test]
    fn large_mappings_find_duplicates_through_the_index() {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("k{i}: {i}\n"));
        }
        same(&text);
        let dup = format!("{text}k150: again\n");
        same(&dup);
        let mut nums = String::new();
        for i in 0..100 {
            nums.push_str(&format!("{i}: x\n"));
        }
        same(&format!("{nums}42: y\n"));
        same(&format!("{nums}42.5: y\n"));
        // A merge of a large mapping into a large mapping keeps the earlier keys.
        let mut merge = String::from("base: &b\n");
        for i in 0..100 {
            merge.push_str(&format!("  k{i}: base\n"));
        }
        merge.push_str("m:\n");
        for i in 50..150 {
            merge.push_str(&format!("  k{i}: own\n"));
        }
        merge.push_str("  <<: *b\n");
        same(&merge);
    }

    #[test]
    fn lookups_are_by_string_key_through_tags() {
        let (n, _) = parse("a: {b: 1}\n1: one\nt: !x {c: 2}\n").unwrap_or((Node::Null, false));
        assert_eq!(
            get(&n, "a").and_then(|a| get(a, "b")).and_then(scalar),
            Some("1".into())
        );
        assert_eq!(get(&n, "1"), None);
        assert_eq!(
            get(&n, "t").and_then(|t| get(t, "c")).and_then(scalar),
            Some("2".into())
        );
        assert_eq!(
            get(&n, "a")
                .and_then(|a| get(a, "b"))
                .and_then(Node::as_f64),
            Some(1.0)
        );
    }
}
