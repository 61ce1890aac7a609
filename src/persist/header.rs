//! The file format version of a model text, read before the model itself so that a
//! newer file is refused as newer rather than as malformed.
//!
//! It is read by `ron`, the parser that reads the model (comments, strings, raw strings,
//! extensions and nesting are its business, not a second lexer's), as a small
//! `Header { version }`: the outermost struct's fields are visited until `version`, whose
//! raw text is kept, and reading stops there, so a large model costs no more than a small
//! one. The raw text tells a plain `version: 2` from `0x2`, `-0` or `2.0`, which the
//! parser would read as the same number.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// The top-level version as written in the file.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Version {
    /// Plain decimal digits (`u64::MAX` for a number too large to read).
    Plain(u64),
    /// A number written otherwise (`0x1`, `-0`, `+1`, `1.0`, `1_0`, `1e0`), at this byte
    /// offset of the text.
    NotPlain(usize),
}

/// Reads the `version` field of the outermost struct of a model text. `None` when the
/// text has none before its first syntax error, or when the version is not a number (a
/// string, say): the full parse then names the problem.
pub(super) fn read_version(text: &str, opts: &ron::Options) -> Option<Version> {
    let found = Cell::new(None);
    // Reading stops with an error right after `version` (the rest of the struct is not
    // read); the raw text, when found, is all that counts.
    let _ = opts.from_str_seed(text, HeaderSeed { found: &found });
    let raw: &str = found.get()?;
    let offset = (raw.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let b = raw.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() => {
            if b.iter().all(u8::is_ascii_digit) {
                Some(Version::Plain(raw.parse().unwrap_or(u64::MAX)))
            } else {
                Some(Version::NotPlain(offset))
            }
        }
        Some(b'-' | b'+') => Some(Version::NotPlain(offset)),
        _ => None,
    }
}

/// The name and fields serde gives the reader: those of the model, so that a file written
/// with its struct name (`Model(version: 2, ...)`) reads too.
const NAME: &str = "Model";
const FIELDS: &[&str] = &["version"];

/// Why reading stopped after the version (never shown: the raw text was found).
const STOP: &str = "the version was read";

struct HeaderSeed<'c, 'de> {
    found: &'c Cell<Option<&'de str>>,
}

impl<'de> DeserializeSeed<'de> for HeaderSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_struct(NAME, FIELDS, self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a model struct")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            if key.0 {
                let raw: &'de ron::value::RawValue = map.next_value()?;
                self.found.set(Some(raw.trim().get_ron()));
                return Err(de::Error::custom(STOP));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// A field name of the outermost struct: whether it is `version`.
struct Key(bool);

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v == "version"))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key, E> {
                Ok(Key(v == b"version"))
            }
        }
        d.deserialize_identifier(V)
    }
}

#[cfg(test)]
mod tests {
    use super::{Version, read_version};

    fn read(text: &str) -> Option<Version> {
        read_version(text, &ron::Options::default().with_recursion_limit(64))
    }

    #[test]
    fn reads_only_the_top_level_version_field() {
        let cases: &[(&str, Option<u64>)] = &[
            ("(version: 1)", Some(1)),
            ("Model(\n  version :\n 7, x: 1)", Some(7)),
            ("#![enable(implicit_some)]\n(version: 3)", Some(3)),
            ("// version: 9\n(version: 1)", Some(1)),
            (
                "/* version: 9 /* nested */ version: 8 */ (version: 2)",
                Some(2),
            ),
            ("(title: \"version: 9\", version: 4)", Some(4)),
            ("(title: \"a \\\" version: 9\", version: 4)", Some(4)),
            (
                "(title: r##\"version: 9 \"# still\"##, version: 5)",
                Some(5),
            ),
            ("(c: 'v', d: '\\'', version: 6)", Some(6)),
            ("(metadata: (version: 9), version: 1)", Some(1)),
            ("(version: /* two */ 2 // comment\n, x: 1)", Some(2)),
            ("(version: 3, elements: [ this is not RON", Some(3)),
            ("(doc_version: 9, my_version: 8)", None),
            ("(version: \"1\")", None),
            ("(version: 99999999999999999999999)", Some(u64::MAX)),
            ("[(version: 9)]", None),
            ("", None),
            ("(version", None),
            ("(version:", None),
            ("(r\"", None),
            ("(br##\"x\"# ", None),
            ("('", None),
            ("(\"\\", None),
            ("/*/", None),
        ];
        for (text, want) in cases {
            assert_eq!(read(text), want.map(Version::Plain), "{text:?}");
        }
        for (text, at) in [
            ("(version: 0x1)", 10),
            ("(version: -0)", 10),
            ("(version: +1)", 10),
            ("(version: 1.0)", 10),
            ("(version: 1_0)", 10),
            ("(version: 1e0)", 10),
        ] {
            assert_eq!(read(text), Some(Version::NotPlain(at)), "{text:?}");
        }
    }
}
