//! A threat's *why*: the facts that made its rule's condition true, in one allocation.
//!
//! A large model has hundreds of thousands of threats with three or four facts each;
//! as a `Vec<String>` every fact was an allocation of its own plus the list's, and
//! most of the time `analyze` spent on them went to the kernel handing out fresh pages.
//! Here the facts are one string: each one written as its length in bytes (decimal),
//! a `:` and the fact. A length prefix rather than a separator, because a fact quotes
//! names from the model, which may hold any character.

use super::eval::Num;
use serde::ser::{Serialize, SerializeSeq, Serializer};
use std::fmt;

/// The facts of a threat's why, in order, in one allocation (see the module docs).
///
/// Reads like a list of strings: [`Why::iter`], [`Why::len`], [`Why::first`],
/// [`Why::get`], `for fact in &why`; it serializes as a list of strings, so every
/// output reads as it did when the why was a `Vec<String>`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Why(Box<str>);

impl Why {
    /// A why without facts.
    pub fn new() -> Why {
        Why::default()
    }

    /// The facts in one allocation of their exact length.
    pub fn from_facts<S: AsRef<str>>(facts: &[S]) -> Why {
        let mut buf = WhyBuf::new();
        for f in facts {
            buf.push(f.as_ref());
        }
        buf.to_why()
    }

    /// The facts, in order.
    pub fn iter(&self) -> Facts<'_> {
        Facts(&self.0)
    }

    /// How many facts there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is no fact.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first fact.
    pub fn first(&self) -> Option<&str> {
        self.iter().next()
    }

    /// The fact at `index`.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.iter().nth(index)
    }

    /// Whether one of the facts is exactly `fact`.
    pub fn contains(&self, fact: &str) -> bool {
        self.iter().any(|f| f == fact)
    }

    /// The facts joined by `sep` (as `[String]::join`).
    pub fn join(&self, sep: &str) -> String {
        let mut out = String::new();
        for (n, f) in self.iter().enumerate() {
            if n > 0 {
                out.push_str(sep);
            }
            out.push_str(f);
        }
        out
    }

    /// The facts as a list of strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// Facts being collected for a why, already in the [`Why`]'s form (each its length, a
/// `:` and the text). Reused from one threat to the next, so a fact is written once, in
/// place, and costs no allocation of its own; [`WhyBuf::to_why`] is one copy.
#[derive(Clone, Debug, Default)]
pub struct WhyBuf {
    text: String,
    /// Where each fact's text lies in `text` (after its prefix), so reading them back
    /// parses no prefix.
    spans: Vec<(usize, usize)>,
}

impl WhyBuf {
    /// An empty buffer.
    pub fn new() -> WhyBuf {
        WhyBuf::default()
    }

    /// Forgets every fact, keeping the capacity.
    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// How many facts there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there is no fact.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Adds the fact `fact`.
    pub fn push(&mut self, fact: &str) {
        self.push_parts(&[fact]);
    }

    /// Adds one fact made of `parts`, in order.
    pub fn push_parts(&mut self, parts: &[&str]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        self.text.push_str(Num::new(len as u64).as_str());
        self.text.push(':');
        let start = self.text.len();
        for p in parts {
            self.text.push_str(p);
        }
        self.spans.push((start, self.text.len()));
    }

    /// Adds one fact written by `write`, which appends it to the string it is given
    /// (and must not change what is already there).
    pub fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        let start = self.text.len();
        write(&mut self.text);
        self.prefix_from(start);
    }

    /// Adds one fact from format arguments (`format_args!`), without a `String` of its own.
    pub fn push_fmt(&mut self, args: fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        let start = self.text.len();
        // Writing into a `String` cannot fail.
        let _ = self.text.write_fmt(args);
        self.prefix_from(start);
    }

    /// Puts the length prefix before the fact just written from byte `start` on.
    fn prefix_from(&mut self, start: usize) {
        let start = start.min(self.text.len());
        let len = Num::new((self.text.len() - start) as u64);
        let mut at = start;
        if self.text.is_char_boundary(start) {
            self.text.insert(start, ':');
            self.text.insert_str(start, len.as_str());
            at += len.as_str().len() + 1;
        }
        self.spans.push((at, self.text.len()));
    }

    /// The facts, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(a, b)| self.text.get(a..b).unwrap_or_default())
    }

    /// Whether one of the facts is exactly `fact`.
    pub fn contains(&self, fact: &str) -> bool {
        self.iter().any(|f| f == fact)
    }

    /// The facts as a [`Why`], in one allocation of its exact length.
    pub fn to_why(&self) -> Why {
        Why(Box::from(self.text.as_str()))
    }

    /// The facts as a list of strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// The facts of a [`Why`], in order.
#[derive(Clone, Debug)]
pub struct Facts<'a>(&'a str);

impl<'a> Iterator for Facts<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        // Only `Why::from_facts` writes the text, so each step holds; a text that did
        // not would end the list rather than panic.
        let (len, rest) = self.0.split_once(':')?;
        let (fact, rest) = rest.split_at_checked(len.parse().ok()?)?;
        self.0 = rest;
        Some(fact)
    }
}

impl<'a> IntoIterator for &'a Why {
    type Item = &'a str;
    type IntoIter = Facts<'a>;

    fn into_iter(self) -> Facts<'a> {
        self.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Why {
    fn from_iter<I: IntoIterator<Item = S>>(facts: I) -> Why {
        Why::from_facts(&facts.into_iter().collect::<Vec<S>>())
    }
}

/// As a list: `["fact", "fact"]`.
impl fmt::Debug for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// As a list of strings, as `Vec<String>` serializes.
impl Serialize for Why {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for f in self {
            seq.serialize_element(f)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_the_facts_it_was_made_of() {
        let cases: &[&[&str]] = &[
            &[],
            &[""],
            &["", ""],
            &["one"],
            &["a: b", "12:34", "::", "é😀\0\n", ""],
            &["0123456789"; 12],
        ];
        for facts in cases {
            let why = Why::from_facts(facts);
            assert_eq!(why.iter().collect::<Vec<_>>(), *facts);
            assert_eq!(why.len(), facts.len());
            assert_eq!(why.is_empty(), facts.is_empty());
            assert_eq!(why.first(), facts.first().copied());
            assert_eq!(why.get(1), facts.get(1).copied());
            assert_eq!(why.join("; "), facts.join("; "));
            assert_eq!(why.to_vec(), facts.to_vec());
            assert_eq!(format!("{why:?}"), format!("{facts:?}"));
            assert_eq!(
                serde_json::to_string(&why).ok(),
                serde_json::to_string(facts).ok()
            );
        }
    }

    #[test]
    fn a_buffer_gives_the_why_of_its_facts() {
        let cases: &[&[&str]] = &[
            &[],
            &[""],
            &["", ""],
            &["a: b", "12:34", "::", "é😀\0\n", ""],
            &["0123456789"; 12],
        ];
        let mut buf = WhyBuf::new();
        for facts in cases {
            buf.clear();
            for (n, f) in facts.iter().enumerate() {
                match n % 3 {
                    0 => buf.push(f),
                    1 => buf.push_with(|s| s.push_str(f)),
                    _ => buf.push_fmt(format_args!("{f}")),
                }
            }
            assert_eq!(buf.len(), facts.len());
            assert_eq!(buf.is_empty(), facts.is_empty());
            assert_eq!(buf.iter().collect::<Vec<_>>(), *facts);
            assert_eq!(buf.to_why(), Why::from_facts(facts));
            assert_eq!(buf.to_why().iter().collect::<Vec<_>>(), *facts);
            assert_eq!(buf.to_vec(), facts.to_vec());
            for f in *facts {
                assert!(buf.contains(f));
            }
        }
        buf.clear();
        buf.push_parts(&["ab", "", "c"]);
        buf.push("abc");
        assert_eq!(buf.to_vec(), ["abc", "abc"]);
        assert!(!buf.contains("ab"));
    }

    #[test]
    fn long_facts_keep_their_length() {
        let long = "x".repeat(123_456);
        let why: Why = [long.as_str(), "tail"].into_iter().collect();
        assert_eq!(why.to_vec(), vec![long.clone(), "tail".to_owned()]);
        assert!(why.contains("tail") && !why.contains("tai"));
    }

    #[test]
    fn equal_lists_are_equal_whys() {
        let a = Why::from_facts(&["ab", "c"]);
        assert_eq!(a, Why::from_facts(&["ab".to_owned(), "c".to_owned()]));
        assert_ne!(a, Why::from_facts(&["a", "bc"]));
        assert_eq!(Why::new(), Why::from_facts::<&str>(&[]));
    }
}
