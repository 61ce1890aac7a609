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
    let mut s = serde_json::to_string_pretty(views).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown table of threats.
pub fn markdown(views: &[ThreatView]) -> String {
    let mut out = String::from("| ID | Category | Severity | Status | Title | Subject |\n|---|---|---|---|---|---|\n");
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
