//! Limits checked on the text and on the parsed model, beyond what parsing enforces: the
//! length of every string in the file, the nesting of boundaries through `parent`, and
//! the number of items. Each keeps what analysis and reports do with a file within a
//! stated memory and time (see `docs/FUZZING.md`).

use crate::model::Model;
use std::collections::HashMap;

/// Longest name, title or kind, in bytes of the file's text. A name is repeated in every
/// threat about its item and in every report line that names it.
pub const MAX_NAME_BYTES: usize = 1024;
/// Longest string of any other field (a description, a justification, a property
/// value), in bytes of the file's text.
pub const MAX_STRING_BYTES: usize = 16 * 1024;
pub use crate::model::MAX_BOUNDARY_DEPTH;
/// Most elements, flows and boundaries a model may have together: room for the
/// benchmark model of 100,000 elements, 200,000 flows and 316 boundaries (300,316 items,
/// a 149 MB file), which loads, analyses and streams its threat list as JSON within
/// 1.5 GB (BENCHMARKS.md, "Core at 100,000"). The PDF, SARIF and other reports have
/// their own limits on threats (`report::MAX_PDF_THREATS` and the others).
pub const MAX_ITEMS: usize = 400_000;

/// Most boundary crossings of all flows together (a flow from inside `k` boundaries to
/// outside them crosses `k`): each crossing is a subject of the crossing rules, so this
/// bounds their threats as [`MAX_ITEMS`] bounds the others.
pub const MAX_CROSSINGS: usize = 1_000_000;

/// A string literal over its limit: where it starts (a byte offset), its length in
/// bytes and the limit with its name.
#[derive(Debug, PartialEq, Eq)]
pub struct LongString {
    /// Byte offset of the opening quote (or `r`).
    pub offset: usize,
    /// Length of the literal's text in bytes.
    pub len: usize,
    /// The field it is the value of, when it directly follows `field:`.
    pub field: Option<String>,
    /// The limit in bytes.
    pub limit: usize,
    /// The limit's name.
    pub limit_name: &'static str,
}

/// Fields whose strings are names (limited to [`MAX_NAME_BYTES`]).
pub(super) const NAME_FIELDS: &[&[u8]] = &[b"name", b"title", b"kind"];

/// Finds the first string literal in a RON text longer than its limit, in one pass.
/// Comments and character literals are skipped; a literal's length counts the bytes of
/// its text as written, which is never less than its value's.
pub fn long_string(text: &str) -> Option<LongString> {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    // The identifier before the last `:`, when the previous tokens were `ident :`.
    let mut last_ident: Option<(usize, usize)> = None;
    let mut field: Option<(usize, usize)> = None;
    while i < n {
        let c = b[i];
        match c {
            b'/' if matches!(b.get(i + 1), Some(b'/' | b'*')) => {
                i = comment_end(b, i);
                continue;
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let start = i;
        let string_end = match c {
            b'"' => Some(skip_string(b, i + 1)),
            b'r' | b'b' if is_raw_string_start(b, i) => Some(skip_raw_string(b, i)),
            b'b' if b.get(i + 1) == Some(&b'"') => Some(skip_string(b, i + 2)),
            _ => None,
        };
        if let Some(end) = string_end {
            // The text between the quotes: without the `b` / `r` prefix, the `#`s and
            // the quotes themselves.
            let q = b[start..]
                .iter()
                .position(|&c| c == b'"')
                .map_or(n, |k| start + k);
            let hashes = b[start..q].iter().filter(|&&c| c == b'#').count();
            let len = end.saturating_sub(q + 2 + hashes);
            let name = field
                .take()
                .map(|(s, e)| &b[s..e])
                .filter(|f| NAME_FIELDS.contains(f));
            let (limit, limit_name) = match name {
                Some(_) => (MAX_NAME_BYTES, "MAX_NAME_BYTES"),
                None => (MAX_STRING_BYTES, "MAX_STRING_BYTES"),
            };
            if len > limit {
                let field = name.map(|f| String::from_utf8_lossy(f).into_owned());
                return Some(LongString {
                    offset: start,
                    len,
                    field,
                    limit,
                    limit_name,
                });
            }
            last_ident = None;
            i = end.max(i + 1);
            continue;
        }
        match c {
            b'\'' => {
                i = skip_char(b, i + 1).max(i + 1);
                last_ident = None;
                field = None;
            }
            b':' => {
                field = last_ident.take();
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                last_ident = Some((start, i));
                field = None;
            }
            _ => {
                last_ident = None;
                field = None;
                i += 1;
            }
        }
    }
    None
}

/// What is over a structural limit of a parsed model, as a message naming the limit.
pub fn structure(m: &Model) -> Option<(String, Option<String>)> {
    let items = m.elements.len() + m.flows.len() + m.boundaries.len();
    if items > MAX_ITEMS {
        return Some((
            format!(
                "the model has {items} elements, flows and boundaries; the limit is {MAX_ITEMS} (MAX_ITEMS)"
            ),
            None,
        ));
    }
    // Depth of each boundary through `parent`, each chain walked at most
    // MAX_BOUNDARY_DEPTH + 1 steps; a cycle ends a chain (validation reports it).
    let parent: HashMap<&str, &str> = m
        .boundaries
        .values()
        .filter_map(|b| b.parent.as_ref().map(|p| (b.id.as_str(), p.as_str())))
        .collect();
    // Each boundary's chain, innermost first, as the analysis walks it: cut at a cycle,
    // at a missing parent and at the depth limit.
    let mut chains: HashMap<&str, Vec<&str>> = HashMap::with_capacity(m.boundaries.len());
    for b in m.boundaries.values() {
        let mut chain: Vec<&str> = vec![b.id.as_str()];
        let mut cur = b.id.as_str();
        while let Some(&p) = parent.get(cur) {
            if chain.contains(&p) || !m.boundaries.contains_key(p) {
                break;
            }
            chain.push(p);
            if chain.len() > MAX_BOUNDARY_DEPTH {
                return Some((
                    format!(
                        "boundary `{}` is nested more than {MAX_BOUNDARY_DEPTH} levels deep through `parent`; the limit is {MAX_BOUNDARY_DEPTH} (MAX_BOUNDARY_DEPTH)",
                        crate::model::truncate(b.id.as_str(), 40)
                    ),
                    Some(format!("id: \"{}\"", b.id.as_str())),
                ));
            }
            cur = p;
        }
        chains.insert(b.id.as_str(), chain);
    }
    // A flow crosses at most the boundaries of both its ends' chains: when even that many
    // for every flow stays within the limit, no flow needs to be looked at.
    let deepest = chains.values().map(Vec::len).max().unwrap_or(0);
    if (m.flows.len())
        .checked_mul(2 * deepest)
        .is_some_and(|most| most <= MAX_CROSSINGS)
    {
        return None;
    }
    let empty: Vec<&str> = Vec::new();
    let chain_of = |e: &crate::model::ElementId| -> &Vec<&str> {
        (m.elements.get(e))
            .and_then(|el| el.boundary.as_ref())
            .and_then(|b| chains.get(b.as_str()))
            .unwrap_or(&empty)
    };
    let mut crossings = 0usize;
    for f in m.flows.values() {
        if !m.elements.contains_key(&f.source) || !m.elements.contains_key(&f.target) {
            continue;
        }
        let (s, t) = (chain_of(&f.source), chain_of(&f.target));
        // Boundaries both ends are in (the common outer part) are not crossed.
        let common = s
            .iter()
            .rev()
            .zip(t.iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        crossings += s.len() + t.len() - 2 * common;
        if crossings > MAX_CROSSINGS {
            return Some((
                format!(
                    "the flows cross more than {MAX_CROSSINGS} trust boundaries in all; the limit is {MAX_CROSSINGS} (MAX_CROSSINGS)"
                ),
                Some(format!("id: \"{}\"", f.id.as_str())),
            ));
        }
    }
    None
}

// ---- the scanner's lexer: comments, strings, raw strings and characters skipped whole ----

/// The index after the comment that starts at `i` (`//` to the end of the line, or a
/// `/* */` block, which nests in RON; an unclosed one runs to the end of the text).
fn comment_end(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    if b.get(i + 1) == Some(&b'/') {
        return b[i..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(n, |k| i + k + 1);
    }
    let mut level = 0usize;
    while i < n {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            level += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            level = level.saturating_sub(1);
            i += 2;
            if level == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// The index after a string whose opening quote is just before `i`.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// The index after a character literal whose opening quote is just before `i`.
fn skip_char(b: &[u8], i: usize) -> usize {
    // Lifetimes do not occur in RON, so a quote is always a character literal; a broken
    // one is left for the parser to report.
    let mut j = i;
    while j < b.len() && j < i + 12 {
        match b[j] {
            b'\\' => j += 2,
            b'\'' => return j + 1,
            _ => j += 1,
        }
    }
    i
}

/// Whether `r"`, `r#"`, `br"` or `br#"` starts at `i`.
fn is_raw_string_start(b: &[u8], i: usize) -> bool {
    let mut j = i;
    if b.get(j) == Some(&b'b') {
        j += 1;
    }
    if b.get(j) != Some(&b'r') || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
    {
        return false;
    }
    j += 1;
    while b.get(j) == Some(&b'#') {
        j += 1;
    }
    b.get(j) == Some(&b'"')
}

/// The index after a raw string starting at `i` (see [`is_raw_string_start`]).
fn skip_raw_string(b: &[u8], mut i: usize) -> usize {
    if b[i] == b'b' {
        i += 1;
    }
    i += 1;
    let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
    i += hashes + 1;
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_strings_are_found_with_their_field() {
        let name = "n".repeat(MAX_NAME_BYTES + 1);
        let text =
            format!("(metadata: (title: \"ok\"), elements: [(id: \"a\", name: \"{name}\")])");
        let got = long_string(&text).map(|l| (l.field, l.limit_name, l.len));
        assert_eq!(
            got,
            Some((Some("name".into()), "MAX_NAME_BYTES", MAX_NAME_BYTES + 1))
        );
        // The same length is fine elsewhere, in a comment and in a raw string up to the limit.
        let text = format!(
            "(d: \"{name}\", // \"{}\"\n x: r#\"{name}\"#)",
            "c".repeat(99_999)
        );
        assert_eq!(long_string(&text), None);
        let long = "x".repeat(MAX_STRING_BYTES + 1);
        for text in [
            format!("(description: \"{long}\")"),
            format!("(description: r##\"{long}\"##)"),
            format!("(props: {{\"{long}\": 1}})"),
            format!("(name: \"a\", description: \"{long}\")"),
        ] {
            let l = long_string(&text).map(|l| l.limit_name);
            assert_eq!(l, Some("MAX_STRING_BYTES"), "{}", &text[..30]);
        }
        // Exactly at the limit passes.
        let text = format!("(name: \"{}\")", "n".repeat(MAX_NAME_BYTES));
        assert_eq!(long_string(&text), None);
    }
}
