//! Plain-text renderers for the command line: a table, JSON and Markdown.

use super::ThreatView;
use unicode_width::UnicodeWidthStr;

/// An aligned text table, one threat a line; ids and titles escaped for the terminal
/// ([`crate::escape::terminal`]).
pub fn table(views: &[ThreatView]) -> String {
    let headers = ["ID", "CATEGORY", "SEVERITY", "STATUS", "TITLE"];
    let rows: Vec<[String; 5]> = views
        .iter()
        .map(|v| {
            // Control characters in an id or a title never reach the terminal raw.
            [
                crate::escape::terminal(&v.id).into_owned(),
                v.category.label().to_owned(),
                v.severity.label().to_owned(),
                v.status.label().to_owned(),
                crate::escape::terminal(&v.title).into_owned(),
            ]
        })
        .collect();
    // Columns are counted in terminal cells, not characters: a CJK character or an
    // emoji takes two, a combining mark none.
    let mut widths = headers.map(UnicodeWidthStr::width);
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(4) {
            widths[i] = widths[i].max(c.width());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 5], out: &mut String| {
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i < 4 {
                let pad = (widths[i] + 2).saturating_sub(c.width());
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

/// Writes the JSON of [`json`] for `threats` (in the given order) to `out`, rendering
/// each view as it goes: the bytes equal `json(&threat_views(..))`, but no more than a
/// few chunks of views and text are ever held at once, and on a machine with a second
/// core the chunks are rendered by two threads (a large model's 74,503 threats are 83 MB
/// of JSON), while this thread writes them out in order.
pub fn write_threats_json<W: std::io::Write>(
    out: W,
    model: &crate::model::Model,
    cat: &crate::rules::Catalog,
    a: &crate::analysis::Analysis,
) -> std::io::Result<()> {
    write_threats_json_with_paths(out, model, cat, a, None)
}

/// [`write_threats_json`], each threat marked with the attack paths of `paths` its
/// subject lies on (see [`super::mark_paths`]).
pub fn write_threats_json_with_paths<W: std::io::Write>(
    out: W,
    model: &crate::model::Model,
    cat: &crate::rules::Catalog,
    a: &crate::analysis::Analysis,
    paths: Option<&crate::analysis::paths::Paths>,
) -> std::io::Result<()> {
    let two = crate::analysis::two_cores() && a.threats.len() >= PARALLEL_JSON_MIN;
    let links = a.links.0.as_deref();
    write_threats_json_chunked(out, model, cat, &a.threats, links, JSON_CHUNK, two, paths)
}

/// Threats below which [`write_threats_json`] stays on one thread.
const PARALLEL_JSON_MIN: usize = 4_096;
/// Threats a chunk: ~600 KB of JSON.
const JSON_CHUNK: usize = 512;

/// [`write_threats_json`] in chunks of `chunk` threats, each written out before the next
/// is rendered; with `two` and more than one chunk, every second chunk is rendered on a
/// helper thread. Each thread writes its chunks with one
/// [`super::json_stream::ThreatWriter`] into buffers that are used again (the helper
/// gets each of its own back once its text is written out), so memory stays a few
/// chunks whatever the model, and no threat allocates. `links`, the analysed model's,
/// give the flows' ends without a lookup by id (the same bytes without them).
#[allow(clippy::too_many_arguments)]
fn write_threats_json_chunked<W: std::io::Write>(
    mut out: W,
    model: &crate::model::Model,
    cat: &crate::rules::Catalog,
    threats: &[crate::analysis::Threat],
    links: Option<&crate::analysis::index::Links>,
    chunk: usize,
    two: bool,
    paths: Option<&crate::analysis::paths::Paths>,
) -> std::io::Result<()> {
    use super::json_stream::ThreatWriter;
    if threats.is_empty() {
        return out.write_all(b"[]\n");
    }
    // The array is `[\n  {..},\n  {..}\n]`: each chunk is its objects joined by `,\n`,
    // and the chunks are joined the same way.
    let items = super::Items::new(model, links);
    let parts: Vec<&[crate::analysis::Threat]> = threats.chunks(chunk.max(1)).collect();
    out.write_all(b"[\n")?;
    let mut mine = ThreatWriter::new(model, &items, cat, paths);
    let mut buf = Vec::with_capacity(parts[0].len() * 1_400);
    if parts.len() == 1 || !two {
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.write_all(b",\n")?;
            }
            buf.clear();
            mine.write(&mut buf, p);
            out.write_all(&buf)?;
        }
    } else {
        std::thread::scope(|s| -> std::io::Result<()> {
            // The helper renders the odd chunks; at most two wait in the channel, and the
            // buffers written out come back to it through `spare`.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
            let (spare_tx, spare) = std::sync::mpsc::channel::<Vec<u8>>();
            let odd: Vec<&[crate::analysis::Threat]> =
                parts.iter().skip(1).step_by(2).copied().collect();
            let items = &items;
            s.spawn(move || {
                let mut w = ThreatWriter::new(model, items, cat, paths);
                for p in odd {
                    let mut b = spare
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(p.len() * 1_400));
                    b.clear();
                    w.write(&mut b, p);
                    if tx.send(b).is_err() {
                        return;
                    }
                }
            });
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",\n")?;
                }
                if i % 2 == 0 {
                    buf.clear();
                    mine.write(&mut buf, p);
                    out.write_all(&buf)?;
                } else {
                    let b = rx.recv().map_err(|_| {
                        std::io::Error::other("the JSON rendering thread stopped early")
                    })?;
                    out.write_all(&b)?;
                    // The helper may have finished: then the buffer is only dropped.
                    let _ = spare_tx.send(b);
                }
            }
            Ok(())
        })?;
    }
    out.write_all(b"\n]\n")?;
    out.flush()
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

/// Escapes text for a Markdown table cell: Markdown, HTML, pipes and control characters
/// ([`crate::escape::md_inline`]).
pub fn md_cell(s: &str) -> String {
    crate::escape::md_inline(s)
}

/// A Markdown table of threats.
pub fn markdown(views: &[ThreatView]) -> String {
    let mut out = String::from(
        "| ID | Category | Severity | Status | Title | Subject |\n|---|---|---|---|---|---|\n",
    );
    for v in views {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            crate::escape::md_code_cell(&v.id),
            v.category.label(),
            v.severity.label(),
            v.status.label(),
            md_cell(&v.title),
            md_cell(&v.subject.name)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::rules::Catalog;

    /// The chunked (and, with more than one chunk, two-threaded) writer produces the same
    /// bytes as rendering every view and the whole text, for any chunk size.
    #[test]
    fn streamed_threat_json_equals_the_json_of_all_views() {
        let cat = Catalog::builtin();
        for name in [
            "kubernetes-cluster",
            "docker-attack-surface",
            "docker-hardened",
        ] {
            let path = format!("{}/examples/{name}.ron", env!("CARGO_MANIFEST_DIR"));
            let model = crate::persist::load(std::path::Path::new(&path))
                .map(|l| l.model)
                .unwrap_or_else(|e| panic!("{e}"));
            let a = analyze(&model, &cat);
            let want = json(&crate::report::threat_views(&model, &cat, &a));
            for chunk in [1, 2, 3, 7, 64, 100_000] {
                for two in [false, true] {
                    for links in [None, a.links.0.as_deref()] {
                        let mut got = Vec::new();
                        write_threats_json_chunked(
                            &mut got, &model, &cat, &a.threats, links, chunk, two, None,
                        )
                        .unwrap_or_else(|e| panic!("{e}"));
                        assert_eq!(
                            String::from_utf8_lossy(&got),
                            want,
                            "{name}, chunk {chunk}, two threads {two}, links {}",
                            links.is_some()
                        );
                    }
                }
            }
            let mut got = Vec::new();
            write_threats_json(&mut got, &model, &cat, &a).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(String::from_utf8_lossy(&got), want, "{name}");
        }
    }

    /// A writer that fails (a closed pipe, a full disk) ends the output with its error,
    /// from either thread's chunks, instead of hanging or panicking.
    #[test]
    fn a_failing_writer_is_an_error() {
        struct Fails(usize);
        impl std::io::Write for Fails {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                if self.0 < b.len() {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= b.len();
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let cat = Catalog::builtin();
        let path = format!(
            "{}/examples/kubernetes-cluster.ron",
            env!("CARGO_MANIFEST_DIR")
        );
        let model = crate::persist::load(std::path::Path::new(&path))
            .map(|l| l.model)
            .unwrap_or_else(|e| panic!("{e}"));
        let a = analyze(&model, &cat);
        for budget in [0, 10, 5_000, 50_000] {
            for two in [false, true] {
                let r = write_threats_json_chunked(
                    Fails(budget),
                    &model,
                    &cat,
                    &a.threats,
                    a.links.0.as_deref(),
                    3,
                    two,
                    None,
                );
                assert!(r.is_err(), "budget {budget}, two threads {two}");
            }
        }
        let empty: [crate::analysis::Threat; 0] = [];
        let mut got = Vec::new();
        write_threats_json_chunked(&mut got, &model, &cat, &empty, None, 3, true, None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, b"[]\n");
        assert_eq!(json(&[]), "[]\n");
    }
}
