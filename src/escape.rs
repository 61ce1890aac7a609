//! Escaping for where text goes: the terminal and Markdown. Every text output of the CLI
//! and every Markdown renderer uses these (HTML and SVG use `report::svg::escape`; JSON
//! and SARIF are escaped by `serde_json`), so text from a model or a template — ids,
//! names, titles, descriptions — can never move the cursor, erase a line, ring the bell,
//! reorder text or become live Markdown or HTML.

use std::borrow::Cow;

/// Whether a character must not reach a terminal raw: control characters (C0 with
/// newline, tab and carriage return, DEL, C1) and the invisible characters that reorder
/// or hide text (bidirectional overrides and isolates, the line and paragraph
/// separators).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'
                ..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Text for one terminal line: every unsafe character ([`is_unsafe_char`]) is written as
/// its Rust escape (`\n`, `\t`, `\r`, `\u{1b}`, `\u{202e}`), so the text stays on one
/// line and shows what it contains. Borrowed when nothing needs escaping.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text several lines long for the terminal (`templates show`, `diff`): line breaks are
/// kept, every other unsafe character is escaped as in [`terminal`].
pub fn terminal_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c != '\n' && is_unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes free text for inline Markdown (GitHub flavour, CommonMark): every character
/// with a Markdown or HTML meaning is backslash-escaped (so `<script>` and `<img
/// onerror>` show as text, `&lt;` stays literal), line breaks become spaces (a table row
/// or list item stays whole), and other unsafe characters become U+FFFD.
pub fn md_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_unsafe_char(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span of `s`: the fence is one backtick longer than the longest run of
/// backticks inside, with a space inside each end where the text starts or ends with a
/// backtick or a space, so the span always closes where it should. Line breaks become
/// spaces, other unsafe characters U+FFFD.
pub fn md_code(s: &str) -> String {
    let text: String = s
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if is_unsafe_char(c) => '\u{fffd}',
            c => c,
        })
        .collect();
    let mut longest = 0usize;
    let mut run = 0usize;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']);
    if pad {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// A code span for a Markdown table cell: as [`md_code`], with `|` escaped (GitHub ends
/// a cell at a pipe even inside a code span).
pub fn md_code_cell(s: &str) -> String {
    md_code(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_has_no_control_characters() {
        let hostile = "ok\u{1b}[2K\r0 threats\u{7}\n\u{9b}31m\u{202e}dlrow\u{85}";
        let t = terminal(hostile);
        assert!(!t.chars().any(is_unsafe_char), "{t}");
        assert_eq!(
            t,
            "ok\\u{1b}[2K\\r0 threats\\u{7}\\n\\u{9b}31m\\u{202e}dlrow\\u{85}"
        );
        assert!(matches!(terminal("plain ünïcode"), Cow::Borrowed(_)));
        assert_eq!(terminal_lines("a\nb\u{1b}"), "a\nb\\u{1b}");
    }

    #[test]
    fn markdown_inline_escapes_html_and_markdown() {
        let s =
            md_inline("<script>alert(1)</script> <img src=x onerror=alert(1)> **b** [l](u) &lt;");
        // Every `<`, `>`, `*` and `[` is escaped.
        let b = s.as_bytes();
        for (i, c) in b.iter().enumerate() {
            if matches!(c, b'<' | b'>' | b'*' | b'[' | b'&') {
                assert!(i > 0 && b[i - 1] == b'\\', "unescaped at {i}: {s}");
            }
        }
        assert!(s.contains("\\<script\\>") && s.contains("\\&lt;"), "{s}");
        assert_eq!(md_inline("a\nb|c\u{1b}"), "a b\\|c\u{fffd}");
    }

    #[test]
    fn code_span_fences_outlast_every_backtick_run() {
        assert_eq!(md_code("abc"), "`abc`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("a``b"), "```a``b```");
        assert_eq!(md_code("``"), "``` `` ```");
        assert_eq!(md_code("x```` y"), "`````x```` y`````");
        assert_eq!(md_code_cell("a|b"), "`a\\|b`");
        assert_eq!(md_code("a\nb"), "`a b`");
    }
}
