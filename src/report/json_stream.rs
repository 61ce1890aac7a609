//! The pretty JSON of `threats --format json`, written straight into a byte buffer:
//! the bytes `serde_json::to_string_pretty` gives for the [`ThreatView`]s (same fields,
//! order, skip rules, escapes and indentation), without building a view per threat.
//! What every threat of a rule repeats (rule id, title, mitigations, references,
//! template) is escaped once per rule and copied; the description is filled into one
//! reused buffer; every other text is escaped from where it lies in the model or the
//! analysis. A threat costs no allocation of its own.
//!
//! [`ThreatView`]: super::ThreatView

use super::{Found, Items, Names, TriageWalk, fill_into};
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

/// Appends `s` as a JSON string, quotes included, escaped as `serde_json` escapes it.
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let e = ESCAPE[b as usize];
        if e == 0 {
            continue;
        }
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
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `,\n` (unless first), the indentation of depth `depth` and `"key": `.
fn key(out: &mut Vec<u8>, first: bool, depth: usize, name: &str) {
    out.extend_from_slice(if first { b"\n" } else { b",\n" });
    indent(out, depth);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\": ");
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    const SPACES: &[u8; 16] = b"                ";
    out.extend_from_slice(&SPACES[..(2 * depth).min(SPACES.len())]);
}

/// Appends an array of strings whose opening bracket sits at depth `depth - 1` (its
/// items at `depth`): `[]` when empty, as `serde_json` writes it.
fn push_list<'s>(out: &mut Vec<u8>, depth: usize, items: impl IntoIterator<Item = &'s str>) {
    let mut any = false;
    for s in items {
        out.extend_from_slice(if any { b",\n" } else { b"[\n" });
        indent(out, depth);
        push_str(out, s);
        any = true;
    }
    if any {
        out.push(b'\n');
        indent(out, depth - 1);
        out.push(b']');
    } else {
        out.extend_from_slice(b"[]");
    }
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

/// Field depth inside a threat object (the array is at depth 0, the object at 1).
const D: usize = 2;

impl RuleText {
    fn of(cat: &Catalog, ri: usize) -> Option<RuleText> {
        let lr = cat.rules.get(ri)?;
        let r = &lr.rule;
        let mut head = Vec::new();
        key(&mut head, false, D, "rule_id");
        push_str(&mut head, &r.id);
        key(&mut head, false, D, "title");
        push_str(&mut head, &r.title);
        let mut tail = Vec::new();
        key(&mut tail, false, D, "mitigations");
        push_list(&mut tail, D + 1, r.mitigations.iter().map(String::as_str));
        key(&mut tail, false, D, "references");
        push_list(&mut tail, D + 1, r.references.iter().map(String::as_str));
        key(&mut tail, false, D, "template");
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
        let found = Found::of_in(model, Some(self.items), &t.subject);
        indent(out, 1);
        out.push(b'{');
        key(out, true, D, "id");
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
                key(out, false, D, "rule_id");
                push_str(out, "manual");
                key(out, false, D, "title");
                push_str(out, m.flatten().map_or("", |m| m.title.as_str()));
                Likelihood::Medium
            }
        };
        let sev = tr.and_then(|x| x.severity).unwrap_or(t.rule_severity);
        let stat: Status = tr.map(|x| x.status).unwrap_or_default();
        key(out, false, D, "category");
        push_str(out, t.category.key());
        key(out, false, D, "severity");
        push_str(out, Severity::key(sev));
        key(out, false, D, "rule_severity");
        push_str(out, Severity::key(t.rule_severity));
        key(out, false, D, "likelihood");
        push_str(out, likelihood.key());
        key(out, false, D, "status");
        push_str(out, stat.key());
        key(out, false, D, "subject");
        subject(out, model, &t.subject, &found);
        key(out, false, D, "description");
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
        key(out, false, D, "why");
        // A threat that its controls mitigate says which controls decided it.
        let decided = crate::analysis::controls::decision(model, t.id.as_str()).map(|d| d.why());
        push_list(
            out,
            D + 1,
            t.why.iter().map(String::as_str).chain(decided.as_deref()),
        );
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
        key(out, false, D, "justification");
        push_str(out, field(|x| &x.justification));
        key(out, false, D, "owner");
        push_str(out, field(|x| &x.owner));
        key(out, false, D, "ticket");
        push_str(out, field(|x| &x.ticket));
        key(out, false, D, "reviewed_by");
        push_str(out, field(|x| &x.reviewed_by));
        key(out, false, D, "date");
        push_str(out, field(|x| &x.date));
        // The record passed in is the threat's (writers walk them side by side).
        let cvss = crate::analysis::risk::cvss_with(tr, model, t).unwrap_or_default();
        if !cvss.is_empty() {
            key(out, false, D, "cvss");
            push_str(out, cvss);
            if let Ok(c) = crate::analysis::risk::parse_cvss(cvss) {
                key(out, false, D, "cvss_base");
                // Numbers as serde_json writes them (`null` for one that is not finite).
                if serde_json::to_writer(&mut *out, &c.base).is_err() {
                    out.extend_from_slice(b"null");
                }
            }
        }
        if let Some(p) = self.paths {
            let on = p.indices_of_threat(t);
            if !on.is_empty() {
                key(out, false, D, "on_attack_path");
                out.extend_from_slice(b"true");
                key(out, false, D, "attack_paths");
                push_list(out, D + 1, on.iter().map(|&i| p.paths[i].id.as_str()));
            }
        }
        out.push(b'\n');
        indent(out, 1);
        out.push(b'}');
    }
}

/// `rule_id` and `title` of a threat whose rule is not in the catalog.
fn empty_head(out: &mut Vec<u8>) {
    key(out, false, D, "rule_id");
    push_str(out, "");
    key(out, false, D, "title");
    push_str(out, "");
}

/// `mitigations`, empty `references` and `template` of a threat without a rule.
fn empty_tail(out: &mut Vec<u8>, mitigations: &[String]) {
    key(out, false, D, "mitigations");
    push_list(out, D + 1, mitigations.iter().map(String::as_str));
    key(out, false, D, "references");
    out.extend_from_slice(b"[]");
    key(out, false, D, "template");
    push_str(out, "");
}

/// The subject object, as [`super::SubjectView`] is written inside a threat.
fn subject(out: &mut Vec<u8>, model: &Model, s: &Subject, found: &Found<'_>) {
    const S: usize = D + 1;
    let (kind, name, boundary): (&str, &str, Option<&str>) = match s {
        Subject::Element(e) => match found.element {
            Some(el) => (&el.kind, &el.name, None),
            None => ("", e.as_str(), None),
        },
        Subject::Flow(f) => ("flow", found.flow.map_or(f.as_str(), |x| &x.name), None),
        Subject::Crossing(f, b) => (
            "flow",
            found.flow.map_or(f.as_str(), |x| &x.name),
            Some(b.as_str()),
        ),
        Subject::Boundary(b) => (
            "boundary",
            model
                .boundaries
                .get(b)
                .map_or(b.as_str(), |x| x.name.as_str()),
            None,
        ),
        Subject::Model => ("model", &model.metadata.title, None),
    };
    out.push(b'{');
    key(out, true, S, "type");
    push_str(out, s.type_key());
    key(out, false, S, "id");
    push_str(out, s.primary_id());
    key(out, false, S, "kind");
    push_str(out, kind);
    key(out, false, S, "name");
    push_str(out, name);
    if let Some(b) = boundary {
        key(out, false, S, "boundary");
        push_str(out, b);
    }
    out.push(b'\n');
    indent(out, D);
    out.push(b'}');
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
}
