//! Reading a user's template directory: the file side of loading templates. The rules
//! module parses and checks the [`Source`]s returned here and never touches the file
//! system itself.

use crate::diag::{Diagnostic, Level};
use std::collections::HashMap;
use std::path::Path;

/// Largest template file accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 16 * 1024 * 1024;
/// Most bytes read from a `--templates` directory in all (each file is also limited to
/// [`MAX_TEMPLATE_BYTES`]); files past it are not loaded, with an error.
pub const MAX_TEMPLATE_DIR_BYTES: u64 = 32 * 1024 * 1024;
/// Most `*.ron` files loaded from a `--templates` directory.
pub const MAX_TEMPLATE_FILES: usize = 1_000;

/// One template's text and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file name used in diagnostics.
    pub file: String,
    /// The template text.
    pub text: String,
    /// Whether it is built into the binary (a user template cannot replace a built-in rule).
    pub builtin: bool,
}

impl Source {
    /// A source from a name and a text.
    pub fn new(file: impl Into<String>, text: impl Into<String>, builtin: bool) -> Source {
        Source {
            file: file.into(),
            text: text.into(),
            builtin,
        }
    }
}

/// Reads the `*.ron` files of a template directory, in name order: regular files only
/// (a FIFO, a device or a directory named `x.ron` is skipped with a warning, never
/// opened), each file once however many links name it, at most [`MAX_TEMPLATE_FILES`]
/// files and [`MAX_TEMPLATE_DIR_BYTES`] in all.
pub fn read_template_dir(dir: &Path) -> (Vec<Source>, Vec<Diagnostic>) {
    let mut sources = Vec::new();
    let mut diags = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    Level::Error,
                    "template-dir-unreadable",
                    format!("cannot read template directory: {e}"),
                )
                .at(&dir.display().to_string(), None),
            );
            return (sources, diags);
        }
    };
    let mut paths: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .take(MAX_TEMPLATE_FILES + 1)
        .collect();
    paths.sort();
    if paths.len() > MAX_TEMPLATE_FILES {
        paths.truncate(MAX_TEMPLATE_FILES);
        diags.push(
            Diagnostic::new(
                Level::Error,
                "template-dir-limit",
                format!(
                    "more than {MAX_TEMPLATE_FILES} template files (MAX_TEMPLATE_FILES); only the first {MAX_TEMPLATE_FILES} found are loaded"
                ),
            )
            .at(&dir.display().to_string(), None),
        );
    }
    let mut total: u64 = 0;
    let mut seen: HashMap<(u64, u64), String> = HashMap::new();
    for p in paths {
        let name = p.display().to_string();
        let meta = match std::fs::metadata(&p) {
            Ok(m) => m,
            Err(e) => {
                diags.push(
                    Diagnostic::new(Level::Error, "template-unreadable", e.to_string())
                        .at(&name, None),
                );
                continue;
            }
        };
        if !meta.is_file() {
            diags.push(
                Diagnostic::new(
                    Level::Warning,
                    "template-skipped",
                    "not a regular file (a directory, FIFO, socket or device); skipped",
                )
                .at(&name, None),
            );
            continue;
        }
        if let Some(key) = file_key(&meta) {
            if let Some(first) = seen.get(&key) {
                diags.push(
                    Diagnostic::new(
                        Level::Warning,
                        "template-skipped",
                        format!("the same file as {first}; loaded once"),
                    )
                    .at(&name, None),
                );
                continue;
            }
            seen.insert(key, name.clone());
        }
        let size = meta.len().min(MAX_TEMPLATE_BYTES as u64 + 1);
        if total + size > MAX_TEMPLATE_DIR_BYTES {
            diags.push(
                Diagnostic::new(
                    Level::Error,
                    "template-dir-limit",
                    format!(
                        "the template directory holds more than {MAX_TEMPLATE_DIR_BYTES} bytes (MAX_TEMPLATE_DIR_BYTES); this file and the ones after it are not loaded"
                    ),
                )
                .at(&name, None),
            );
            break;
        }
        match read_limited(&p) {
            Ok(text) => {
                total += text.len() as u64;
                sources.push(Source {
                    file: name,
                    text,
                    builtin: false,
                });
            }
            Err(msg) => {
                total += size;
                diags.push(
                    Diagnostic::new(Level::Error, "template-unreadable", msg).at(&name, None),
                );
            }
        }
    }
    (sources, diags)
}

/// Device and inode of a file, where the platform has them.
fn file_key(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

fn read_limited(p: &Path) -> Result<String, String> {
    let bytes =
        super::read_file_limited(p, MAX_TEMPLATE_BYTES as u64).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}
