//! Plain-text renderers for the command line: a table, JSON and Markdown.

use super::ThreatView;

/// An aligned text table, one threat a line.
pub fn table(views: &[ThreatView]) -> String {
    let headers = ["ID", "CATEGORY", "SEVERITY", "STATUS", "TITLE"];
    let rows: Vec<[String; 5]> = views
        .iter()
        .map(|v| {
            [
                v.id.clone(),
                v.stride.label().to_owned(),
                v.sev.label().to_owned(),
                v.stat.label().to_owned(),
                v.title.clone(),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(4) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 5], out: &mut String| {
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i < 4 {
                let pad = widths[i] + 2 - c.chars().count();
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(headers, &mut out);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]], &mut out);
    }
    out.push_str(&format!("{} threats\n", views.len()));
    out
}

/// A JSON array of threats, sorted by id, pretty-printed with a final newline.
pub fn json(views: &[ThreatView]) -> String {
    let mut buf = Vec::new();
    if write_json(&mut buf, views).is_err() {
        return "[]\n".to_owned();
    }
    String::from_utf8(buf).unwrap_or_else(|_| "[]\n".to_owned())
}

/// Writes the same bytes as [`json`] to `out` without building the text or needing all
/// the views at once: views are serialised as the iterator yields them, so a caller can
/// render, write and drop one threat at a time (`a.threats.iter().map(|t|
/// threat_view(..))`) and stream a large model's threats to stdout in constant memory.
pub fn write_json<W, I>(mut out: W, views: I) -> serde_json::Result<()>
where
    W: std::io::Write,
    I: IntoIterator,
    I::Item: serde::Serialize,
{
    // A sequence serialised from the iterator is byte-identical to a slice's (serde_json
    // writes `[]` for an empty one either way).
    let seq = IterSeq(std::cell::Cell::new(Some(views.into_iter())));
    serde_json::to_writer_pretty(&mut out, &seq)?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

/// Serialises an iterator as a JSON array, once.
struct IterSeq<I>(std::cell::Cell<Option<I>>);

impl<I> serde::Serialize for IterSeq<I>
where
    I: Iterator,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(it) => s.collect_seq(it),
            None => s.collect_seq(std::iter::empty::<I::Item>()),
        }
    }
}

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown table of threats.
pub fn markdown(views: &[ThreatView]) -> String {
    let mut out = String::from(
        "| ID | Category | Severity | Status | Title | Subject |\n|---|---|---|---|---|---|\n",
    );
    for v in views {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            v.id,
            v.stride.label(),
            v.sev.label(),
            v.stat.label(),
            md_cell(&v.title),
            md_cell(&v.subject.name)
        ));
    }
    out
}
