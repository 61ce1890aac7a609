//! Diagnostics: problems found while loading templates or validating a model. Loading
//! returns partial results plus diagnostics; one bad item never hides the others.

use crate::model::SubjectRef;
use serde::Serialize;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Worth knowing.
    Info,
    /// Probably a mistake; results are still computed.
    Warning,
    /// Something is broken; results are incomplete.
    Error,
}

impl Level {
    /// Lower-case name.
    pub fn key(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// A line and column, both 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

/// One problem, with where it is and what it is about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Severity.
    pub level: Level,
    /// Stable short code, e.g. `dangling-boundary`.
    pub code: &'static str,
    /// One readable sentence.
    pub message: String,
    /// The file it is in, if known.
    pub file: Option<String>,
    /// Where in the file, if known.
    pub pos: Option<Pos>,
    /// The model item it is about, so a front end can select it.
    #[serde(skip)]
    pub subject: Option<SubjectRef>,
}

impl Diagnostic {
    /// A diagnostic with no location.
    pub fn new(level: Level, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            level,
            code,
            message: message.into(),
            file: None,
            pos: None,
            subject: None,
        }
    }
    /// Adds the file and position.
    pub fn at(mut self, file: &str, pos: Option<Pos>) -> Self {
        self.file = Some(file.to_owned());
        self.pos = pos;
        self
    }
    /// Adds the subject.
    pub fn about(mut self, s: SubjectRef) -> Self {
        self.subject = Some(s);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.pos) {
            (Some(file), Some(p)) => write!(f, "{file}:{}:{}: ", p.line, p.col)?,
            (Some(file), None) => write!(f, "{file}: ")?,
            _ => {}
        }
        write!(f, "{}: {} [{}]", self.level.key(), self.message, self.code)
    }
}

/// Finds the position of `needles` in `src`, each searched after the previous one, and
/// returns the position of the last one found. Used to point semantic errors (found
/// after parsing) at the text that caused them.
pub fn locate(src: &str, needles: &[&str]) -> Option<Pos> {
    let mut from = 0usize;
    let mut found = None;
    for n in needles {
        if n.is_empty() {
            continue;
        }
        if let Some(i) = src.get(from..).and_then(|s| s.find(n)) {
            found = Some(from + i);
            from += i + n.len();
        }
    }
    found.map(|off| offset_to_pos(src, off))
}

/// Converts a byte offset into a 1-based line and column (columns count characters).
pub fn offset_to_pos(src: &str, off: usize) -> Pos {
    let off = off.min(src.len());
    let before = src.get(..off).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    Pos { line, col }
}

/// Longest error message kept from the RON parser, in characters; longer ones (an
/// unknown 1 MB field name, say) are cut.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// A RON error as one readable line: control characters escaped, at most
/// [`MAX_MESSAGE_CHARS`] characters, and a recursion error naming the limit the caller
/// parsed with (`limit_name` = `limit` levels).
pub fn ron_message(e: &ron::Error, limit_name: &str, limit: usize) -> String {
    match e {
        ron::Error::ExceededRecursionLimit => {
            format!("nesting is deeper than {limit} levels ({limit_name} = {limit})")
        }
        other => one_line(&other.to_string()),
    }
}

/// Escapes control characters (so a message is one line) and cuts it to
/// [`MAX_MESSAGE_CHARS`].
pub fn one_line(s: &str) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == MAX_MESSAGE_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
