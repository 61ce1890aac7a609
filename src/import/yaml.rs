//! Multi-document YAML for the manifest importers: splitting a stream into documents,
//! parsing each on its own (one bad document is a located diagnostic, the others still
//! import), and typed access to a parsed value that reports wrong types at a path.
//!
//! Parsing is `serde_norway`'s: its recursion limit (128 levels) bounds depth and its
//! alias-repetition limit stops "billion laughs" expansion; the limits here bound the
//! number of documents and the input size.

use crate::diag::{Diagnostic, Level, Pos, locate};
use serde_norway::Value;

/// Most documents read from one import (all files together); past it the rest of the
/// input is skipped with a diagnostic. A generated 5,000-workload set has about 20,000.
pub const MAX_DOCUMENTS: usize = 100_000;
/// Largest total input of one import, all files together.
pub const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;

/// One input's text after the size limits (this file, and `total` over all inputs so far)
/// and the UTF-8 check, each refusal naming the file and the limit.
pub fn input_text<'a>(
    name: &str,
    bytes: &'a [u8],
    total: &mut u64,
) -> Result<&'a str, super::ImportError> {
    let too_large = |limit| super::ImportError::TooLarge {
        path: name.to_owned(),
        limit,
    };
    let limit = super::max_import_bytes();
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    // All the documents together: at least the default, and never below one file's
    // limit.
    let all = MAX_TOTAL_BYTES.max(limit);
    *total += bytes.len() as u64;
    if *total > all {
        return Err(too_large(all));
    }
    super::utf8(name, bytes)
}

/// A parsed YAML value as the readers below see it: `serde_norway::Value` (Compose) or
/// the compact [`super::node::Node`] (Kubernetes).
pub(crate) trait Tree: Sized + Send {
    /// Parses one document and applies its merge keys (`false`: one did not apply).
    fn parse(text: &str) -> Result<(Self, bool), serde_norway::Error>;
    /// The value at a string key of a mapping, through a tag.
    fn get(&self, key: &str) -> Option<&Self>;
    /// A scalar as text (strings, numbers and booleans).
    fn scalar(&self) -> Option<String>;
    /// The value's type name, for messages.
    fn type_name(&self) -> &'static str;
    /// Whether the value is null.
    fn is_null(&self) -> bool;
    /// The mapping itself, or a tagged mapping's mapping.
    fn as_map(&self) -> Option<&Self>;
    /// The items of a (not tagged) list.
    fn as_seq(&self) -> Option<&[Self]>;
    /// A (not tagged) boolean.
    fn as_bool(&self) -> Option<bool>;
    /// A (not tagged) string.
    fn as_text(&self) -> Option<&str>;
    /// Calls `f` with each entry of a mapping, in order.
    fn each_entry(&self, f: &mut dyn FnMut(&Self, &Self));
}

impl Tree for Value {
    fn parse(text: &str) -> Result<(Self, bool), serde_norway::Error> {
        parse_one(text)
    }
    fn get(&self, key: &str) -> Option<&Self> {
        get(self, key)
    }
    fn scalar(&self) -> Option<String> {
        scalar(self)
    }
    fn type_name(&self) -> &'static str {
        type_name(self)
    }
    fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    fn as_map(&self) -> Option<&Self> {
        match self {
            m @ Value::Mapping(_) => Some(m),
            Value::Tagged(t) if matches!(t.value, Value::Mapping(_)) => Some(&t.value),
            _ => None,
        }
    }
    fn as_seq(&self) -> Option<&[Self]> {
        match self {
            Value::Sequence(s) => Some(s),
            _ => None,
        }
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn as_text(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    fn each_entry(&self, f: &mut dyn FnMut(&Self, &Self)) {
        if let Value::Mapping(m) = self {
            for (k, v) in m {
                f(k, v);
            }
        }
    }
}

/// One parsed document of a file.
pub(crate) struct Doc<'a, V = Value> {
    /// File name as given (used in messages and provenance).
    pub file: &'a str,
    /// 1-based document number in the file, counting documents with content.
    pub index: usize,
    /// 1-based line of the document's first line in the file.
    pub line: usize,
    /// The document's text.
    pub text: &'a str,
    /// The parsed value (merge keys `<<` applied).
    pub value: V,
}

impl<V> Doc<'_, V> {
    /// Provenance text for a path in this document.
    pub fn at(&self, path: &str) -> String {
        self.at_parts(&[path])
    }

    /// Provenance text for the path the pieces make when joined (one allocation: the
    /// importer makes one of these for every property it sets).
    pub fn at_parts(&self, parts: &[&str]) -> String {
        use std::fmt::Write;
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut s = String::with_capacity(self.file.len() + 16 + len);
        s.push_str(self.file);
        // Writing to a String cannot fail.
        let _ = write!(s, " doc {}", self.index);
        if len > 0 {
            s.push_str(", ");
            for p in parts {
                s.push_str(p);
            }
        }
        s
    }

    /// Where a dotted path's last key is in the file (best effort: the keys are searched
    /// for in order in the document's text).
    pub fn pos_of(&self, path: &str) -> Pos {
        let keys: Vec<&str> = path
            .split(['.', '['])
            .filter(|k| !k.is_empty() && !k.ends_with(']'))
            .collect();
        match locate(self.text, &keys) {
            Some(p) => Pos {
                line: p.line + self.line - 1,
                col: p.col,
            },
            None => Pos {
                line: self.line,
                col: 1,
            },
        }
    }

    /// A diagnostic located at a path of this document.
    pub fn diag(&self, level: Level, code: &'static str, path: &str, msg: String) -> Diagnostic {
        Diagnostic::new(level, code, msg).at(self.file, Some(self.pos_of(path)))
    }
}

/// Whether a line starts a new YAML document (`---` at column 1, alone or followed by
/// white space and content).
fn is_separator(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
}

/// Whether a chunk of YAML text holds anything but blank lines, comments, directives
/// and document markers.
fn has_content(chunk: &str) -> bool {
    chunk.lines().any(|l| {
        let t = l.trim();
        let t = t.strip_prefix("---").unwrap_or(t).trim();
        !(t.is_empty() || t.starts_with('#') || t == "..." || l.starts_with('%'))
    })
}

/// Splits `text` into documents and parses each. A document that does not parse is an
/// error diagnostic at its line and column; `budget` counts documents against
/// [`MAX_DOCUMENTS`] across files.
pub(crate) fn documents<'a, V: Tree>(
    file: &'a str,
    text: &'a str,
    budget: &mut usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Doc<'a, V>> {
    let mut chunks: Vec<(usize, usize, usize)> = Vec::new(); // (start byte, end byte, line)
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut off = 0usize;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if is_separator(line.trim_end_matches('\n')) && off > start {
            chunks.push((start, off, start_line));
            start = off;
            start_line = n + 1;
        }
        off += line.len();
    }
    if off > start {
        chunks.push((start, off, start_line));
    }
    // The documents to parse, numbered, within the document budget.
    let mut todo: Vec<(usize, usize, &'a str)> = Vec::new(); // (index, line, text)
    let mut index = 0usize;
    for (s, e, line) in chunks {
        let chunk = &text[s..e];
        if !has_content(chunk) {
            continue;
        }
        index += 1;
        if *budget == 0 {
            diags.push(
                Diagnostic::new(
                    Level::Error,
                    "too-many-documents",
                    format!(
                        "more than {MAX_DOCUMENTS} documents; this one and the rest of the input are skipped"
                    ),
                )
                .at(file, Some(Pos { line, col: 1 })),
            );
            break;
        }
        *budget -= 1;
        todo.push((index, line, chunk));
    }
    // Each document parses on its own, so a large input is parsed on two threads; the
    // results are put back in document order, so the output does not depend on it.
    let parsed = parse_all::<V>(&todo);
    let mut out = Vec::with_capacity(todo.len());
    for (&(index, line, chunk), result) in todo.iter().zip(parsed) {
        match result {
            Ok((value, merged)) => {
                if !merged {
                    diags.push(
                        Diagnostic::new(
                            Level::Warning,
                            "yaml-merge",
                            format!("document {index}: a `<<` merge key does not name a mapping; it is kept as a key"),
                        )
                        .at(file, Some(Pos { line, col: 1 })),
                    );
                }
                out.push(Doc {
                    file,
                    index,
                    line,
                    text: chunk,
                    value,
                });
            }
            Err(err) => {
                let (l, c) = err
                    .location()
                    .map(|p| (p.line(), p.column()))
                    .unwrap_or((1, 1));
                let msg = err.to_string();
                let msg = msg
                    .rsplit_once(" at line ")
                    .map(|(m, _)| m.to_owned())
                    .unwrap_or(msg);
                diags.push(
                    Diagnostic::new(
                        Level::Error,
                        "yaml-syntax",
                        format!("document {index} is not valid YAML ({msg}); it is skipped"),
                    )
                    .at(
                        file,
                        Some(Pos {
                            line: l.max(1) + line - 1,
                            col: c.max(1),
                        }),
                    ),
                );
            }
        }
    }
    out
}

/// Bytes of YAML below which [`parse_all`] stays on one thread (a thread costs tens of
/// microseconds; a megabyte of manifests parses in about 30 ms).
const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// A parsed document and whether its `<<` merge keys applied.
type Parsed<V> = Result<(V, bool), serde_norway::Error>;

/// Parses one document and applies its merge keys.
fn parse_one(text: &str) -> Parsed<Value> {
    let mut value = serde_norway::from_str::<Value>(text)?;
    let merged = value.apply_merge().is_ok();
    Ok((value, merged))
}

/// Parses the documents in order, on two threads when the input is large and the
/// machine has a second core (halves of about the same size in bytes).
fn parse_all<V: Tree>(todo: &[(usize, usize, &str)]) -> Vec<Parsed<V>> {
    let run = |part: &[(usize, usize, &str)]| -> Vec<Parsed<V>> {
        part.iter().map(|(_, _, t)| V::parse(t)).collect()
    };
    let total: usize = todo.iter().map(|(_, _, t)| t.len()).sum();
    if total < PARALLEL_MIN_BYTES || todo.len() < 2 || !crate::analysis::two_cores() {
        return run(todo);
    }
    let mut acc = 0;
    let mid = todo
        .iter()
        .position(|(_, _, t)| {
            acc += t.len();
            acc * 2 >= total
        })
        .map_or(todo.len(), |i| i + 1);
    let (first, second) = todo.split_at(mid);
    std::thread::scope(|s| {
        // Without a thread (none can be started), the second half is parsed here too.
        let other = std::thread::Builder::new().spawn_scoped(s, || run(second));
        let mut out = run(first);
        match other.map(|h| h.join()) {
            Ok(Ok(rest)) => out.extend(rest),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => out.extend(run(second)),
        }
        out
    })
}

/// The value at a key of a mapping (`None` for other values or a missing key).
pub(crate) fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v {
        Value::Mapping(m) => m.get(key),
        Value::Tagged(t) => get(&t.value, key),
        _ => None,
    }
}

/// A value's type name, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A scalar as text (strings, numbers and booleans), `None` otherwise.
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

/// Typed reads of one document that report a wrong type as a located warning (the
/// field is then treated as absent), so a bad field never stops the import.
pub(crate) struct Reader<'d, 'a, V = Value> {
    /// The document read.
    pub doc: &'d Doc<'a, V>,
    /// Where wrong types are reported.
    pub diags: &'d mut Vec<Diagnostic>,
}

impl<V: Tree> Reader<'_, '_, V> {
    fn wrong(&mut self, path: &str, want: &str, v: &V) {
        let d = self.doc.diag(
            Level::Warning,
            "wrong-type",
            path,
            format!(
                "{path}: expected {want}, found {}; the field is ignored",
                v.type_name()
            ),
        );
        self.diags.push(d);
    }

    /// A mapping field (absent or null: `None`).
    pub fn map<'v>(&mut self, v: &'v V, key: &str, path: &str) -> Option<&'v V> {
        let f = v.get(key)?;
        if f.is_null() {
            return None;
        }
        match f.as_map() {
            Some(m) => Some(m),
            None => {
                self.wrong(path, "a mapping", f);
                None
            }
        }
    }

    /// A list field (absent or null: empty).
    pub fn seq<'v>(&mut self, v: &'v V, key: &str, path: &str) -> &'v [V] {
        match v.get(key) {
            None => &[],
            Some(f) if f.is_null() => &[],
            Some(f) => match f.as_seq() {
                Some(s) => s,
                None => {
                    self.wrong(path, "a list", f);
                    &[]
                }
            },
        }
    }

    /// A string field; numbers and booleans are read as their text.
    pub fn str(&mut self, v: &V, key: &str, path: &str) -> Option<String> {
        let f = v.get(key)?;
        if f.is_null() {
            return None;
        }
        match f.scalar() {
            Some(s) => Some(s),
            None => {
                self.wrong(path, "a string", f);
                None
            }
        }
    }

    /// A boolean field (`true` / `false`; the strings "true" / "false" are accepted).
    pub fn bool(&mut self, v: &V, key: &str, path: &str) -> Option<bool> {
        let f = v.get(key)?;
        if f.is_null() {
            return None;
        }
        if let Some(b) = f.as_bool() {
            return Some(b);
        }
        match f.as_text() {
            Some(s) if s == "true" || s == "false" => Some(s == "true"),
            _ => {
                self.wrong(path, "true or false", f);
                None
            }
        }
    }

    /// A list of strings (scalars read as text; other items are reported and skipped).
    pub fn strings(&mut self, v: &V, key: &str, path: &str) -> Vec<String> {
        let items = self.seq(v, key, path);
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            match it.scalar() {
                Some(s) => out.push(s),
                None => self.wrong(&format!("{path}[{i}]"), "a string", it),
            }
        }
        out
    }

    /// String keys and scalar values of a mapping field (labels, selectors).
    pub fn string_map(
        &mut self,
        v: &V,
        key: &str,
        path: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        if let Some(m) = self.map(v, key, path) {
            m.each_entry(&mut |k, val| {
                if let (Some(k), Some(val)) = (k.scalar(), val.scalar()) {
                    out.insert(k, val);
                }
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> (Vec<(usize, usize)>, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let mut budget = MAX_DOCUMENTS;
        let v = documents::<Value>("f.yaml", text, &mut budget, &mut d);
        (v.iter().map(|x| (x.index, x.line)).collect(), d)
    }

    #[test]
    fn documents_are_split_at_column_one_markers_and_numbered_by_content() {
        let (v, d) = docs("# c\n---\na: 1\n---\n\n--- # x\nb: 2\n...\n---\nc: |\n  ---\n  x\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(v, vec![(1, 2), (2, 6), (3, 9)]);
    }

    #[test]
    fn a_large_input_parses_on_two_threads_in_document_order() {
        // Past PARALLEL_MIN_BYTES, with a bad document in the second half.
        let mut text = String::new();
        let n = 6_000;
        for i in 0..n {
            if i == 5_000 {
                // Four lines, as the others.
                text.push_str("---\nbad: [1,\n# a\n# b\n");
            } else {
                text.push_str(&format!("---\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n"));
            }
        }
        assert!(text.len() > PARALLEL_MIN_BYTES);
        let mut d = Vec::new();
        let mut budget = MAX_DOCUMENTS;
        let docs = documents::<Value>("f.yaml", &text, &mut budget, &mut d);
        assert_eq!(docs.len(), n - 1);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "yaml-syntax");
        let p = d[0].pos.unwrap_or(Pos { line: 0, col: 0 });
        assert!((5_000 * 4 + 2..=5_000 * 4 + 5).contains(&p.line), "{p:?}");
        for (k, doc) in docs.iter().enumerate() {
            let i = if k < 5_000 { k } else { k + 1 };
            assert_eq!(doc.index, i + 1);
            assert_eq!(doc.line, i * 4 + 1);
            let name = get(&doc.value, "metadata").and_then(|m| get(m, "name"));
            assert_eq!(name.and_then(scalar), Some(format!("cm{i}")));
        }
    }

    #[test]
    fn a_bad_document_is_located_and_the_others_parse() {
        let (v, d) = docs("a: 1\n---\nb: [1,\n---\nc: 3\n");
        assert_eq!(v.len(), 2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "yaml-syntax");
        let p = d[0].pos.unwrap_or(Pos { line: 0, col: 0 });
        assert!(p.line >= 3 && p.line <= 4, "{p:?}");
    }
}
