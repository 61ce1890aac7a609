//! The file boundary: versioned RON load and save, migrations, limits, atomic writes.
//!
//! Loading never changes the file. Saving writes a temporary file in the same directory,
//! flushes it, keeps a `.bak` of the previous version, renames the new file into place
//! and flushes the directory, so a crash leaves either the old or the new file whole.

mod migrate;

use crate::diag::offset_to_pos;
use crate::model::{FORMAT_VERSION, Model};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest model file accepted, in bytes.
pub const MAX_MODEL_BYTES: u64 = 64 * 1024 * 1024;
/// Deepest nesting accepted in a model file.
pub const MODEL_RECURSION_LIMIT: usize = 64;

/// Why a model could not be loaded. Displays as `file:line:column: message` where a
/// position is known.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_MODEL_BYTES`].
    #[error("{path}: file is {size} bytes; the limit is {limit} bytes (MAX_MODEL_BYTES)")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8.
    #[error("{path}:{line}:{col}: invalid UTF-8 byte; model files are UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: String,
        /// Line of the first bad byte.
        line: usize,
        /// Column of the first bad byte.
        col: usize,
    },
    /// A syntax or type error in the RON text.
    #[error("{path}:{line}:{col}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// Line.
        line: usize,
        /// Column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer Palisade.
    #[error(
        "{path}: file format version {found} is newer than this Palisade supports (version {supported}); upgrade Palisade to open it"
    )]
    NewerVersion {
        /// The file.
        path: String,
        /// Version in the file.
        found: u64,
        /// Newest version this build reads.
        supported: u32,
    },
}

/// Why a model could not be saved. The in-memory model is untouched either way.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Writing, flushing or renaming failed.
    #[error("{path}: cannot save: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The model could not be turned into text (it contains a non-finite number).
    #[error("{path}: cannot save: {message}")]
    Encode {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The file changed on disk since it was opened; saving would lose those changes.
    #[error("{path}: the file changed on disk since it was opened; not overwriting it (use --force, or save elsewhere)")]
    Conflict {
        /// The file.
        path: String,
    },
}

/// The fingerprint of a file's content, to detect changes made by someone else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp(pub [u8; 32]);

impl Stamp {
    /// The SHA-256 of some bytes.
    pub fn of(bytes: &[u8]) -> Stamp {
        Stamp(Sha256::digest(bytes).into())
    }
    /// Lower-case hex.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A loaded model with the fingerprint of the bytes it came from.
#[derive(Debug)]
pub struct Loaded {
    /// The model (migrated to the current version).
    pub model: Model,
    /// Fingerprint of the file as read.
    pub stamp: Stamp,
    /// The version the file was written in (older than current when migrated).
    pub file_version: u64,
}

/// Reads at most `limit` bytes of a file; a larger file is an error.
pub fn read_file_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let f = fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::other(format!("file is larger than the limit of {limit} bytes")));
    }
    Ok(buf)
}

/// Loads a model file.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    let meta = fs::metadata(path).map_err(|source| LoadError::Io { path: name.clone(), source })?;
    if meta.len() > MAX_MODEL_BYTES {
        return Err(LoadError::TooLarge { path: name, size: meta.len(), limit: MAX_MODEL_BYTES });
    }
    let bytes = read_file_limited(path, MAX_MODEL_BYTES).map_err(|source| LoadError::Io { path: name.clone(), source })?;
    load_bytes(&name, &bytes)
}

/// Parses model bytes; `name` is used in messages.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<Loaded, LoadError> {
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(LoadError::TooLarge { path: name.to_owned(), size: bytes.len() as u64, limit: MAX_MODEL_BYTES });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
        let p = offset_to_pos(good, good.len());
        LoadError::NotUtf8 { path: name.to_owned(), line: p.line, col: p.col }
    })?;
    let stamp = Stamp::of(bytes);
    let version = sniff_version(text);
    match version {
        Some(v) if v > FORMAT_VERSION as u64 => Err(LoadError::NewerVersion {
            path: name.to_owned(),
            found: v,
            supported: FORMAT_VERSION,
        }),
        Some(0) => {
            let model = migrate::from_v0(text).map_err(|e| syntax(name, &e))?;
            Ok(Loaded { model, stamp, file_version: 0 })
        }
        _ => {
            let model: Model = ron_options().from_str(text).map_err(|e| syntax(name, &e))?;
            Ok(Loaded { model, stamp, file_version: FORMAT_VERSION as u64 })
        }
    }
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_recursion_limit(MODEL_RECURSION_LIMIT)
}

fn syntax(name: &str, e: &ron::error::SpannedError) -> LoadError {
    LoadError::Syntax {
        path: name.to_owned(),
        line: e.span.start.line,
        col: e.span.start.col,
        message: ron_message(&e.code),
    }
}

/// A RON error as one readable sentence, with limits named.
pub fn ron_message(e: &ron::Error) -> String {
    match e {
        ron::Error::ExceededRecursionLimit => {
            "nesting is too deep (the limit is the recursion limit of the loader: MODEL_RECURSION_LIMIT / TEMPLATE_RECURSION_LIMIT)".to_owned()
        }
        other => other.to_string(),
    }
}

/// Finds the top-level `version: N` without parsing the whole file.
fn sniff_version(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|s| s.find("version")) {
        let at = from + i;
        from = at + 7;
        let before_ok = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if !before_ok {
            continue;
        }
        let rest = text.get(at + 7..)?.trim_start();
        let Some(rest) = rest.strip_prefix(':') else { continue };
        let digits: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return None;
        }
        return Some(digits.parse().unwrap_or(u64::MAX));
    }
    None
}

/// The canonical text of a model: stable field order, lists in id order.
pub fn to_text(model: &Model) -> Result<String, String> {
    let cfg = ron::ser::PrettyConfig::new()
        .indentor("    ")
        .new_line("\n")
        .struct_names(false)
        .separate_tuple_members(false);
    let mut s = ron::ser::to_string_pretty(model, cfg).map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

/// Options for [`save`].
#[derive(Clone, Debug, Default)]
pub struct SaveOptions {
    /// The fingerprint of the file when it was opened; a different file on disk is a
    /// [`SaveError::Conflict`] unless `force` is set.
    pub expected: Option<Stamp>,
    /// Overwrite even if the file changed on disk.
    pub force: bool,
    /// Keep a `.bak` copy of the previous version.
    pub backup: bool,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The `.bak` path of a file.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

/// Saves a model atomically and returns the new file's fingerprint.
pub fn save(path: &Path, model: &Model, opts: &SaveOptions) -> Result<Stamp, SaveError> {
    let name = path.display().to_string();
    for num in [model.elements.values().flat_map(|e| [e.pos.0, e.pos.1]).find(|v| !v.is_finite())]
        .into_iter()
        .flatten()
    {
        return Err(SaveError::Encode { path: name, message: format!("an element position is {num}; positions must be finite") });
    }
    let text = to_text(model).map_err(|message| SaveError::Encode { path: name.clone(), message })?;
    write_atomic(path, text.as_bytes(), opts)
}

/// Writes bytes to `path` atomically (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8], opts: &SaveOptions) -> Result<Stamp, SaveError> {
    let name = path.display().to_string();
    let io = |source: std::io::Error| SaveError::Io { path: name.clone(), source };
    let existing = match fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    if let (Some(old), Some(expected), false) = (&existing, &opts.expected, opts.force)
        && Stamp::of(old) != *expected
    {
        return Err(SaveError::Conflict { path: name });
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    let unique = format!(".{file_name}.{}.{}.tmp", std::process::id(), TMP_COUNTER.fetch_add(1, Ordering::Relaxed));
    let tmp = dir.join(&unique);
    let result = (|| -> std::io::Result<()> {
        if let (Some(old), true) = (&existing, opts.backup) {
            // The backup is itself written atomically, so a crash never leaves a torn .bak.
            let bak_tmp = dir.join(format!("{unique}.bak"));
            write_and_sync(&bak_tmp, old)?;
            fs::rename(&bak_tmp, backup_path(path))?;
        }
        write_and_sync(&tmp, bytes)?;
        fs::rename(&tmp, path)?;
        sync_dir(&dir);
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(Stamp::of(bytes))
}

fn write_and_sync(p: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).create_new(true).open(p)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync_dir(dir: &Path) {
    // Flushing a directory is a Unix notion; elsewhere the rename is already durable enough.
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
