//! Reading other tools' models (and, later, manifests) into a Palisade [`Model`].
//!
//! Every source file is untrusted: it is read within [`MAX_IMPORT_BYTES`], parsed by a
//! parser with its own depth limits (JSON, YAML) or with DTDs refused (XML), and turned
//! into a model plus [`Diagnostic`]s for whatever did not map exactly. A file that cannot
//! be read as its format at all is one [`ImportError`] naming file, line and column.

mod build;
pub mod compose;
pub mod k8s;
mod kinds;
pub mod layout;
mod node;
mod notes;
mod otm;
pub mod sync;
mod tdragon;
mod threagile;
mod tm7;
mod yaml;

pub use yaml::{MAX_DOCUMENTS, MAX_TOTAL_BYTES};

pub use notes::{NOTE_DESCRIPTION, NOTE_SOURCE, is_note};

use crate::diag::{Diagnostic, offset_to_pos};
use crate::model::Model;
use std::fmt;
use std::path::Path;

/// Largest source file accepted by default, in bytes (`--max-import-bytes` changes it for
/// a run, see [`set_max_import_bytes`]). Real Threat Dragon, OTM and Threagile models are
/// well under a megabyte and `.tm7` files a few megabytes; anything past the limit is
/// refused before it is parsed, so memory stays bounded. A large model's own export is
/// bigger (an OTM file of N = 10,000 with its 65,189 threats is 97 MB) and needs the
/// option to come back.
pub const MAX_IMPORT_BYTES: u64 = 32 * 1024 * 1024;

/// The import size limit of this process; [`MAX_IMPORT_BYTES`] unless set.
static IMPORT_BYTES_LIMIT: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(MAX_IMPORT_BYTES);

/// The largest source file this process imports, in bytes.
pub fn max_import_bytes() -> u64 {
    IMPORT_BYTES_LIMIT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets the largest source file this process imports (the global `--max-import-bytes`
/// option): every later import, in the CLI and in the desktop app, honours it.
pub fn set_max_import_bytes(limit: u64) {
    IMPORT_BYTES_LIMIT.store(limit, std::sync::atomic::Ordering::Relaxed);
}
/// Most elements, flows, boundaries or threats taken from one source file.
pub const MAX_IMPORT_ITEMS: usize = 100_000;
/// Deepest element nesting accepted in an XML (`.tm7`) file.
pub const MAX_XML_DEPTH: usize = 256;
/// Most XML nodes accepted in one `.tm7` file.
pub const MAX_XML_NODES: u32 = 4_000_000;

/// A source format `palisade import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Kubernetes manifests (YAML as `kubectl`, `helm template` and `kustomize` print it).
    K8s,
    /// Docker Compose files.
    Compose,
    /// OWASP Threat Dragon v2 JSON.
    ThreatDragon,
    /// Open Threat Model 0.2.0, JSON or YAML.
    Otm,
    /// Threagile YAML.
    Threagile,
    /// Microsoft Threat Modeling Tool `.tm7` (XML).
    Tm7,
}

impl Format {
    /// Every format, in the order menus list them.
    pub const ALL: [Format; 6] = [
        Format::ThreatDragon,
        Format::Otm,
        Format::Threagile,
        Format::Tm7,
        Format::K8s,
        Format::Compose,
    ];

    /// The name used on the command line (`--from NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Format::K8s => "k8s",
            Format::Compose => "compose",
            Format::ThreatDragon => "threat-dragon",
            Format::Otm => "otm",
            Format::Threagile => "threagile",
            Format::Tm7 => "tm7",
        }
    }

    /// A human name for menus and messages.
    pub fn label(self) -> &'static str {
        match self {
            Format::K8s => "Kubernetes manifests",
            Format::Compose => "Docker Compose",
            Format::ThreatDragon => "Threat Dragon v2",
            Format::Otm => "Open Threat Model (OTM)",
            Format::Threagile => "Threagile",
            Format::Tm7 => "Microsoft Threat Modeling Tool (.tm7)",
        }
    }

    /// File name extensions a file dialog offers for the format.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::K8s | Format::Compose | Format::Threagile => &["yaml", "yml"],
            Format::ThreatDragon => &["json"],
            Format::Otm => &["otm", "json", "yaml", "yml"],
            Format::Tm7 => &["tm7"],
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A model read from another tool's file, with what did not map exactly.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The model (laid out when the source had no positions).
    pub model: Model,
    /// Unmapped types, snapped or dropped flow ends, ids that had to change, and the like.
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_IMPORT_BYTES`].
    #[error(
        "{path}: file is larger than {limit} bytes (--max-import-bytes, default MAX_IMPORT_BYTES = {MAX_IMPORT_BYTES}); refused"
    )]
    TooLarge {
        /// The file.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// The text is not valid in its syntax (JSON, YAML, XML), or a value has the wrong
    /// type, or a limit (depth, count, DTD) was hit at a known place.
    #[error("{path}:{line}:{col}: {}", crate::persist::one_line(message))]
    Syntax {
        /// The file.
        path: String,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parsed but is not a model of the format (a required part is missing).
    #[error("{path}{}: {}", .pos.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default(), crate::persist::one_line(message))]
    Invalid {
        /// The file.
        path: String,
        /// Line and column, when known.
        pos: Option<(usize, usize)>,
        /// What is wrong.
        message: String,
    },
    /// The format could not be told from the content.
    #[error(
        "{path}: cannot tell the format from the content; use --from (threat-dragon, otm, threagile, tm7, k8s, compose)"
    )]
    Undetected {
        /// The file.
        path: String,
    },
    /// The format is known but this build does not read it yet.
    #[error("{path}: importing {format} files is not supported yet")]
    Unsupported {
        /// The file.
        path: String,
        /// The format.
        format: Format,
    },
    /// Several files were given for a format that reads one model per file.
    #[error("{format} import reads one file at a time; {count} were given")]
    OneFile {
        /// The format.
        format: Format,
        /// How many files were given.
        count: usize,
    },
}

impl ImportError {
    /// A syntax error at a byte offset of `text`.
    pub(crate) fn at_offset(path: &str, text: &str, off: usize, message: String) -> Self {
        let p = offset_to_pos(text, off);
        ImportError::Syntax {
            path: path.to_owned(),
            line: p.line,
            col: p.col,
            message,
        }
    }
}

/// Reads a source file within [`max_import_bytes`].
pub fn read_source(path: &Path) -> Result<Vec<u8>, ImportError> {
    let name = path.display().to_string();
    let limit = max_import_bytes();
    crate::persist::read_file_limited(path, limit).map_err(|source| {
        if source.kind() == std::io::ErrorKind::Other
            && source.to_string().contains("larger than the limit")
        {
            ImportError::TooLarge { path: name, limit }
        } else {
            ImportError::Io { path: name, source }
        }
    })
}

/// Tells the format of a file from its content (the name only breaks ties: a `.tm7`
/// extension with an XML body). `None` when nothing fits.
pub fn detect(path: &Path, bytes: &[u8]) -> Option<Format> {
    let head = &bytes[..bytes.len().min(1 << 20)];
    let text = String::from_utf8_lossy(head);
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if body.starts_with('<') {
        return (body.contains("<ThreatModel") || ext == "tm7").then_some(Format::Tm7);
    }
    if body.starts_with('{') {
        // A JSON object: look at its top-level keys without building the whole tree.
        let keys = json_top_keys(bytes);
        if keys.iter().any(|k| k == "otmVersion") {
            return Some(Format::Otm);
        }
        if keys
            .iter()
            .any(|k| k == "detail" || k == "cells" || k == "diagrams")
            || (keys.iter().any(|k| k == "summary") && keys.iter().any(|k| k.starts_with("detail")))
            || (body.contains("\"diagrams\"") && body.contains("\"cells\""))
        {
            return Some(Format::ThreatDragon);
        }
        if keys.iter().any(|k| k == "apiVersion") && keys.iter().any(|k| k == "kind") {
            return Some(Format::K8s);
        }
        if keys.iter().any(|k| k == "services") {
            return Some(Format::Compose);
        }
        return None;
    }
    // YAML: top-level keys are lines that start in column 1.
    let mut top: Vec<&str> = Vec::new();
    for line in body.lines() {
        if line.starts_with([' ', '\t', '#', '-']) || line.is_empty() {
            continue;
        }
        if let Some((k, _)) = line.split_once(':') {
            top.push(k.trim().trim_matches(['"', '\'']));
        }
    }
    if top.contains(&"otmVersion") {
        Some(Format::Otm)
    } else if top.contains(&"technical_assets") || top.contains(&"threagile_version") {
        Some(Format::Threagile)
    } else if top.contains(&"apiVersion") && top.contains(&"kind") {
        Some(Format::K8s)
    } else if top.contains(&"services") {
        Some(Format::Compose)
    } else {
        None
    }
}

/// The keys of a JSON object's top level, or nothing when the text is not one.
pub(crate) fn json_top_keys(bytes: &[u8]) -> Vec<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(k) = m.next_key::<String>()? {
                m.next_value::<IgnoredAny>()?;
                out.push(k);
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.deserialize_map(Keys).unwrap_or_default()
}

/// Imports source files as `format` (detected from the first file's content when
/// `None`). `name` of each file is used in messages.
pub fn import(
    format: Option<Format>,
    files: &[(String, Vec<u8>)],
) -> Result<Imported, ImportError> {
    let limit = max_import_bytes();
    for (name, bytes) in files {
        if bytes.len() as u64 > limit {
            return Err(ImportError::TooLarge {
                path: name.clone(),
                limit,
            });
        }
    }
    let Some((first_name, first)) = files.first() else {
        return Err(ImportError::Invalid {
            path: String::new(),
            pos: None,
            message: "no input file".into(),
        });
    };
    let format = match format {
        Some(f) => f,
        None => detect(Path::new(first_name), first).ok_or_else(|| ImportError::Undetected {
            path: first_name.clone(),
        })?,
    };
    let one = || -> Result<(&str, &[u8]), ImportError> {
        if files.len() > 1 {
            return Err(ImportError::OneFile {
                format,
                count: files.len(),
            });
        }
        Ok((first_name.as_str(), first.as_slice()))
    };
    match format {
        Format::ThreatDragon => one().and_then(|(n, b)| tdragon::import(n, b)),
        Format::Otm => one().and_then(|(n, b)| otm::import(n, b)),
        Format::Threagile => one().and_then(|(n, b)| threagile::import(n, b)),
        Format::Tm7 => one().and_then(|(n, b)| tm7::import(n, b)),
        Format::K8s => k8s::import_k8s(files),
        Format::Compose => compose::import_compose(files),
    }
}

/// Text of a source file as UTF-8 (a BOM is skipped), or a located error at the first
/// invalid byte.
pub(crate) fn utf8<'a>(path: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
        ImportError::at_offset(path, good, good.len(), "invalid UTF-8 byte".into())
    })
}

/// A JSON error as a located import error.
pub(crate) fn json_error(path: &str, what: &str, e: &serde_json::Error) -> ImportError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the position goes in front instead.
    let msg = msg
        .rsplit_once(" at line ")
        .map(|(m, _)| m.to_owned())
        .unwrap_or(msg);
    ImportError::Syntax {
        path: path.to_owned(),
        line: e.line().max(1),
        col: e.column().max(1),
        message: format!("not a {what} file: {msg}"),
    }
}

/// A YAML error as a located import error.
pub(crate) fn yaml_error(path: &str, what: &str, e: &serde_norway::Error) -> ImportError {
    let msg = e.to_string();
    let (line, col) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let msg = msg
        .rsplit_once(" at line ")
        .map(|(m, _)| m.to_owned())
        .unwrap_or(msg);
    ImportError::Syntax {
        path: path.to_owned(),
        line: line.max(1),
        col: col.max(1),
        message: format!("not a {what} file: {msg}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_from_their_content() {
        let cases: &[(&str, &str, Option<Format>)] = &[
            (
                "a.json",
                r#"{"version":"2.2","summary":{},"detail":{"diagrams":[]}}"#,
                Some(Format::ThreatDragon),
            ),
            (
                "a.json",
                r#"{"otmVersion":"0.2.0","project":{}}"#,
                Some(Format::Otm),
            ),
            (
                "a.yaml",
                "otmVersion: 0.2.0\nproject:\n  name: x\n",
                Some(Format::Otm),
            ),
            (
                "a.yaml",
                "threagile_version: 1.0.0\ntechnical_assets:\n  a: {}\n",
                Some(Format::Threagile),
            ),
            (
                "a.tm7",
                "<ThreatModel xmlns=\"x\"></ThreatModel>",
                Some(Format::Tm7),
            ),
            (
                "a.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n",
                Some(Format::K8s),
            ),
            (
                "a.yaml",
                "services:\n  web:\n    image: nginx\n",
                Some(Format::Compose),
            ),
            ("a.txt", "hello", None),
            ("a.json", "{\"x\": 1}", None),
            ("a.xml", "<html/>", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(detect(Path::new(name), text.as_bytes()), *want, "{text}");
        }
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
        }
    }

    #[test]
    fn an_undetected_file_names_the_formats() {
        let e = import(None, &[("x.txt".into(), b"hello".to_vec())]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("x.txt: cannot tell the format"), "{msg}");
        assert!(msg.contains("--from"), "{msg}");
    }
}
