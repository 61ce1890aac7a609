//! The pretty JSON of `threats --format json`, written straight into a byte buffer:
//! the bytes `serde_json::to_string_pretty` gives for the [`ThreatView`]s (same fields,
//! order, skip rules, escapes and indentation), without building a view per threat.
//! What every threat of a rule repeats (rule id, title, mitigations, references,
//! template) is escaped once per rule and copied; the description is filled into one
//! reused buffer; every other text is escaped from where it lies in the model or the
//! analysis. A threat allocates nothing of its own (but the line saying which controls
//! decided it, when they did).
//!
//! [`ThreatView`]: super::ThreatView

use super::{Found, Items, Names, TriageWalk, Walk, fill_into};
use crate::analysis::paths::Paths;
use crate::analysis::{Origin, Subject, Threat};
use crate::model::{Likelihood, Model, Severity, Status};
use crate::rules::Catalog;

/// What `serde_json` writes for each byte of a string: 0 for the byte itself, `u` for
/// `\u00XX`, else the letter after the backslash.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Whether any of the eight bytes of `w` needs an escape: a control character (below
/// 0x20), a quote or a backslash. Exact for the word as a whole (no byte is missed, and a byte that
/// needs none never makes it true on its own).
#[inline]
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (below_space | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))) != 0
}

/// Appends `s` as a JSON string, quotes included, escaped as `serde_json` escapes it.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs an escape (most text).
        if let Some(w) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            if !needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let end = (i + 8).min(bytes.len());
        while i < end {
            let b = bytes[i];
            let e = ESCAPE[b as usize];
            if e != 0 {
                out.extend_from_slice(&bytes[start..i]);
                if e == b'u' {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[(b >> 4) as usize],
                        HEX[(b & 0xf) as usize],
                    ]);
                } else {
                    out.extend_from_slice(&[b'\\', e]);
                }
                start = i + 1;
            }
            i += 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `,\n`, the indentation of a threat's field and `"name": `.
macro_rules! field {
    ($out:expr, $name:literal) => {
        $out.extend_from_slice(concat!(",\n    \"", $name, "\": ").as_bytes())
    };
}

/// Appends `,\n`, the indentation of a subject's field and `"name": `.
macro_rules! subfield {
    ($out:expr, $name:literal) => {
        $out.extend_from_slice(concat!(",\n      \"", $name, "\": ").as_bytes())
    };
}

/// Appends an array of strings as the value of a threat's field: `[]` when empty, else
/// one item a line, as `serde_json` writes it.
fn push_list<'s>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'s str>) {
    let mut any = false;
    for s in items {
        out.extend_from_slice(if any { b",\n      " } else { b"[\n      " });
        push_str(out, s);
        any = true;
    }
    out.extend_from_slice(if any { b"\n    ]" } else { b"[]" });
}

/// A rule's texts as they appear in each of its threats, escaped once.
struct RuleText {
    /// `"rule_id"` and `"title"`, each after its `,\n` and indentation.
    head: Vec<u8>,
    /// `"likelihood"` key and value.
    likelihood: Likelihood,
    /// `"mitigations"`, `"references"` and `"template"`.
    tail: Vec<u8>,
}

impl RuleText {
    fn of(cat: &Catalog, ri: usize) -> Option<RuleText> {
        let lr = cat.rules.get(ri)?;
        let r = &lr.rule;
        let mut head = Vec::new();
        field!(head, "rule_id");
        push_str(&mut head, &r.id);
        field!(head, "title");
        push_str(&mut head, &r.title);
        let mut tail = Vec::new();
        field!(tail, "mitigations");
        push_list(&mut tail, r.mitigations.iter().map(String::as_str));
        field!(tail, "references");
        push_list(&mut tail, r.references.iter().map(String::as_str));
        field!(tail, "template");
        push_str(
            &mut tail,
            cat.templates.get(lr.template).map_or("", |x| x.id.as_str()),
        );
        Some(RuleText {
            head,
            likelihood: r.likelihood,
            tail,
        })
    }
}

/// Writes threats as the elements of the pretty JSON array, reusing what it can from
/// one threat to the next. One writer per thread.
pub(crate) struct ThreatWriter<'a, 'm> {
    model: &'m Model,
    items: &'a Items<'m>,
    cat: &'a Catalog,
    paths: Option<&'a Paths>,
    /// Each rule's texts, made when its first threat is written.
    rules: Vec<Option<Option<RuleText>>>,
    /// The description being filled.
    desc: String,
    /// Where the last subject was found in `items`.
    walk: Walk,
}

impl<'a, 'm> ThreatWriter<'a, 'm> {
    pub(crate) fn new(
        model: &'m Model,
        items: &'a Items<'m>,
        cat: &'a Catalog,
        paths: Option<&'a Paths>,
    ) -> Self {
        ThreatWriter {
            model,
            items,
            cat,
            paths,
            rules: Vec::new(),
            desc: String::new(),
            walk: Walk::default(),
        }
    }

    /// Appends `threats` (in id order, for the triage walk) to `out`: each object
    /// indented as an element of the top-level array, separated by `,\n`, with nothing
    /// before the first or after the last.
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, threats: &'m [Threat]) {
        let model = self.model;
        let mut triage = threats.first().map(|t| TriageWalk::from(model, &t.id));
        for (i, t) in threats.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            let tr = triage.as_mut().and_then(|w| w.of(&t.id));
            self.threat(out, t, tr);
        }
    }

    fn rule(&mut self, ri: usize) -> Option<&RuleText> {
        if self.rules.len() <= ri {
            self.rules.resize_with(ri + 1, || None);
        }
        let cat = self.cat;
        self.rules[ri]
            .get_or_insert_with(|| RuleText::of(cat, ri))
            .as_ref()
    }

    fn threat(&mut self, out: &mut Vec<u8>, t: &'m Threat, tr: Option<&'m crate::model::Triage>) {
        let model = self.model;
        let found = Found::of_in(model, Some((self.items, &mut self.walk)), &t.subject);
        out.extend_from_slice(b"  {\n    \"id\": ");
        push_str(out, t.id.as_str());
        let manual = match &t.origin {
            Origin::Rule(_) => None,
            Origin::Manual => Some(model.manual_threats.get(&t.id)),
        };
        // The rule's texts (or the manual threat's) around the fields of the threat.
        let likelihood = match (&t.origin, manual) {
            (Origin::Rule(ri), _) => {
                let ri = *ri;
                match self.rule(ri) {
                    Some(r) => {
                        out.extend_from_slice(&r.head);
                        r.likelihood
                    }
                    None => {
                        empty_head(out);
                        Likelihood::Medium
                    }
                }
            }
            (Origin::Manual, m) => {
                field!(out, "rule_id");
                push_str(out, "manual");
                field!(out, "title");
                push_str(out, m.flatten().map_or("", |m| m.title.as_str()));
                Likelihood::Medium
            }
        };
        let sev = tr.and_then(|x| x.severity).unwrap_or(t.rule_severity);
        // A threat that its controls mitigate says which controls decided it, and counts
        // as mitigated unless its own triage says otherwise.
        let decided = self.items.decided(t.id.as_str());
        let stat: Status = crate::analysis::shown_status(tr, || decided.is_some());
        field!(out, "category");
        push_str(out, t.category.key());
        field!(out, "severity");
        push_str(out, Severity::key(sev));
        field!(out, "rule_severity");
        push_str(out, Severity::key(t.rule_severity));
        field!(out, "likelihood");
        push_str(out, likelihood.key());
        field!(out, "status");
        push_str(out, stat.key());
        field!(out, "subject");
        subject(out, model, &t.subject, &found);
        field!(out, "description");
        match (&t.origin, manual) {
            (Origin::Rule(ri), _) => match self.cat.rules.get(*ri) {
                Some(lr) => {
                    let names = Names::of(model, Some(self.items), &t.subject, &found);
                    self.desc.clear();
                    fill_into(&mut self.desc, &lr.rule.description, &names);
                    push_str(out, &self.desc);
                }
                None => push_str(out, ""),
            },
            (Origin::Manual, m) => {
                push_str(out, m.flatten().map_or("", |m| m.description.as_str()))
            }
        }
        field!(out, "why");
        push_list(out, t.why.iter().chain(decided.as_deref()));
        match (&t.origin, manual) {
            (Origin::Rule(ri), _) => {
                let ri = *ri;
                match self.rule(ri) {
                    Some(r) => out.extend_from_slice(&r.tail),
                    None => empty_tail(out, &[]),
                }
            }
            (Origin::Manual, m) => empty_tail(
                out,
                m.flatten().map_or(&[][..], |m| m.mitigations.as_slice()),
            ),
        }
        let field = |f: fn(&crate::model::Triage) -> &str| tr.map_or("", f);
        field!(out, "justification");
        push_str(out, field(|x| &x.justification));
        field!(out, "owner");
        push_str(out, field(|x| &x.owner));
        field!(out, "ticket");
        push_str(out, field(|x| &x.ticket));
        field!(out, "reviewed_by");
        push_str(out, field(|x| &x.reviewed_by));
        field!(out, "date");
        push_str(out, field(|x| &x.date));
        // The record passed in is the threat's (writers walk them side by side).
        let cvss = crate::analysis::risk::cvss_with(tr, model, t).unwrap_or_default();
        if !cvss.is_empty() {
            field!(out, "cvss");
            push_str(out, cvss);
            if let Ok(c) = crate::analysis::risk::parse_cvss(cvss) {
                field!(out, "cvss_base");
                // Numbers as serde_json writes them (`null` for one that is not finite).
                if serde_json::to_writer(&mut *out, &c.base).is_err() {
                    out.extend_from_slice(b"null");
                }
            }
        }
        if let Some(p) = self.paths {
            let on = p.indices_of_threat(t);
            if !on.is_empty() {
                field!(out, "on_attack_path");
                out.extend_from_slice(b"true");
                field!(out, "attack_paths");
                push_list(out, on.iter().map(|&i| p.paths[i].id.as_str()));
            }
        }
        out.extend_from_slice(b"\n  }");
    }
}

/// `rule_id` and `title` of a threat whose rule is not in the catalog.
fn empty_head(out: &mut Vec<u8>) {
    field!(out, "rule_id");
    push_str(out, "");
    field!(out, "title");
    push_str(out, "");
}

/// `mitigations`, empty `references` and `template` of a threat without a rule.
fn empty_tail(out: &mut Vec<u8>, mitigations: &[String]) {
    field!(out, "mitigations");
    push_list(out, mitigations.iter().map(String::as_str));
    field!(out, "references");
    out.extend_from_slice(b"[]");
    field!(out, "template");
    push_str(out, "");
}

/// The subject object, as [`super::SubjectView`] is written inside a threat.
fn subject(out: &mut Vec<u8>, model: &Model, s: &Subject, found: &Found<'_>) {
    let (kind, name, boundary) = subject_parts(model, s, found);
    out.extend_from_slice(b"{\n      \"type\": ");
    push_str(out, s.type_key());
    subfield!(out, "id");
    push_str(out, s.primary_id());
    subfield!(out, "kind");
    push_str(out, kind);
    subfield!(out, "name");
    push_str(out, name);
    if let Some(b) = boundary {
        subfield!(out, "boundary");
        push_str(out, b);
    }
    out.extend_from_slice(b"\n    }");
}

/// The `kind`, `name` and `boundary` of a subject's [`super::SubjectView`], borrowed.
pub(super) fn subject_parts<'s>(
    model: &'s Model,
    s: &'s Subject,
    found: &Found<'s>,
) -> (&'s str, &'s str, Option<&'s str>) {
    match s {
        Subject::Element(e) => match found.element() {
            Some((kind, name)) => (kind, name, None),
            None => ("", e.as_str(), None),
        },
        Subject::Flow(f) => ("flow", found.flow().unwrap_or(f.as_str()), None),
        Subject::Crossing(f, b) => ("flow", found.flow().unwrap_or(f.as_str()), Some(b.as_str())),
        Subject::Boundary(b) => (
            "boundary",
            model
                .boundaries
                .get(b)
                .map_or(b.as_str(), |x| x.name.as_str()),
            None,
        ),
        Subject::Model => ("model", &model.metadata.title, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte, alone and among others, is escaped as `serde_json` escapes it.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all = String::new();
        for c in (0u32..0x250).chain([0x2028, 0x2029, 0xfeff, 0x1f600]) {
            let Some(c) = char::from_u32(c) else { continue };
            all.push(c);
            let s = format!("a{c}b{c}{c}");
            let mut got = Vec::new();
            push_str(&mut got, &s);
            assert_eq!(
                String::from_utf8_lossy(&got),
                serde_json::to_string(&s).unwrap_or_default(),
                "U+{:04X}",
                c as u32
            );
        }
        let mut got = Vec::new();
        push_str(&mut got, &all);
        assert_eq!(
            String::from_utf8_lossy(&got),
            serde_json::to_string(&all).unwrap_or_default()
        );
        let mut got = Vec::new();
        push_str(&mut got, "");
        assert_eq!(got, b"\"\"");
    }

    /// An escape is found wherever it falls in the eight-byte words the scan reads, next
    /// to bytes just above and below the ones that need escaping.
    #[test]
    fn escapes_are_found_at_every_offset() {
        for special in [
            '"', '\\', '\n', '\u{0}', '\u{1f}', ' ', '!', '#', '[', ']', 'é', '\u{7f}',
        ] {
            for len in 0..24 {
                for at in 0..=len {
                    let mut s: String = "x".repeat(len);
                    s.insert(at, special);
                    for filler in ["", "ü", "\u{1f600}"] {
                        let s = format!("{filler}{s}{filler}");
                        let mut got = Vec::new();
                        push_str(&mut got, &s);
                        assert_eq!(
                            String::from_utf8_lossy(&got),
                            serde_json::to_string(&s).unwrap_or_default(),
                            "{s:?}"
                        );
                    }
                }
            }
        }
    }
}
