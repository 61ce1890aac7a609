//! The file boundary: versioned RON load and save, migrations, limits, atomic writes.
//!
//! Loading never changes the file. Saving writes a temporary file in the same directory,
//! flushes it, keeps a `.bak` of the previous version, renames the new file into place
//! and flushes the directory, so a crash leaves either the old or the new file whole.

mod fast;
mod header;
mod limits;
mod migrate;
pub mod output;
pub mod templates;

pub use limits::{
    LongString, MAX_BOUNDARY_DEPTH, MAX_CROSSINGS, MAX_ITEMS, MAX_NAME_BYTES, MAX_STRING_BYTES,
    long_string,
};

pub use crate::diag::{MAX_MESSAGE_CHARS, one_line};
pub use templates::{Source, read_template_dir};

use crate::diag::{offset_to_pos, ron_message};
use crate::model::{FORMAT_VERSION, MAX_ID_LEN, Model, SubjectRef};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest model file accepted by default, in bytes (`--max-model-bytes` changes it for a
/// run, see [`set_max_model_bytes`]): what loading, analysis and the JSON threat list
/// serve within about 2 GB of memory (BENCHMARKS.md, "Core at 100,000": a 149 MB model
/// with 100,000 elements and 200,000 flows).
pub const MAX_MODEL_BYTES: u64 = 256 * 1024 * 1024;

/// The model size limit of this process; [`MAX_MODEL_BYTES`] unless set.
static MODEL_BYTES_LIMIT: AtomicU64 = AtomicU64::new(MAX_MODEL_BYTES);

/// The largest model file this process loads, in bytes.
pub fn max_model_bytes() -> u64 {
    MODEL_BYTES_LIMIT.load(Ordering::Relaxed)
}

/// Sets the largest model file this process loads (the global `--max-model-bytes`
/// option): every later load, in the CLI and in the desktop app, honours it.
pub fn set_max_model_bytes(limit: u64) {
    MODEL_BYTES_LIMIT.store(limit, Ordering::Relaxed);
}
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
    /// The file is larger than the model size limit ([`max_model_bytes`]).
    #[error(
        "{path}: file is {size} bytes; the limit is {limit} bytes (--max-model-bytes, default MAX_MODEL_BYTES = {MAX_MODEL_BYTES})"
    )]
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
    /// An id or reference is longer than the limits allow (see [`MAX_ID_LEN`] and
    /// [`MAX_THREAT_ID_LEN`]); such a file was not written by Palisade.
    #[error("{path}{}: {message}", .pos.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Limit {
        /// The file.
        path: String,
        /// Line and column of the offending text, when found.
        pos: Option<(usize, usize)>,
        /// What is too long, and the limit.
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
    #[error(
        "{path}: the file changed on disk since it was opened; not overwriting it (use --force, or save elsewhere)"
    )]
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
    /// What the migration from an older version changed that the user should know
    /// (triage moved to a new threat id or merged), one line each.
    pub migration_notes: Vec<String>,
}

/// Reads at most `limit` bytes of a file; a larger file is an error.
pub fn read_file_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let f = fs::File::open(path)?;
    // Sized from the metadata (within the limit), so a large file is read without
    // regrowing the buffer; a device reports no size and grows it as it goes.
    let size = f.metadata().map(|m| m.len().min(limit + 1)).unwrap_or(0);
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "file is larger than the limit of {limit} bytes"
        )));
    }
    Ok(buf)
}

/// Loads a model file.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let (name, bytes) = read_model(path)?;
    load_bytes(&name, &bytes)
}

/// Loads a model file without its fingerprint, for a reader that never saves it back
/// (a report, a check): the same model, version and notes as [`load`], and the same
/// errors, without hashing the bytes.
pub fn load_unstamped(path: &Path) -> Result<Unstamped, LoadError> {
    let (name, bytes) = read_model(path)?;
    load_bytes_unstamped(&name, &bytes)
}

/// [`load_bytes`] without the fingerprint (see [`load_unstamped`]).
pub fn load_bytes_unstamped(name: &str, bytes: &[u8]) -> Result<Unstamped, LoadError> {
    let text = model_text(name, bytes)?;
    let (model, file_version, migration_notes) = parse_text(name, text, true)?;
    Ok(Unstamped {
        model,
        file_version,
        migration_notes,
    })
}

/// A model loaded by [`load_unstamped`].
#[derive(Debug)]
pub struct Unstamped {
    /// The model (migrated to the current version).
    pub model: Model,
    /// The version the file was written in (older than current when migrated).
    pub file_version: u64,
    /// What the migration from an older version changed that the user should know.
    pub migration_notes: Vec<String>,
}

/// The file's name (for messages) and its bytes, within the model size limit.
fn read_model(path: &Path) -> Result<(String, Vec<u8>), LoadError> {
    let name = path.display().to_string();
    let io = |source: std::io::Error| LoadError::Io {
        path: name.clone(),
        source,
    };
    let meta = fs::metadata(path).map_err(io)?;
    let limit = max_model_bytes();
    if meta.len() > limit {
        return Err(LoadError::TooLarge {
            path: name,
            size: meta.len(),
            limit,
        });
    }
    // The size can grow after the check, and devices report none: read one byte past the
    // limit to tell.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    fs::File::open(path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(io)?;
    Ok((name, bytes))
}

/// Parses model bytes; `name` is used in messages.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<Loaded, LoadError> {
    load_bytes_with(name, bytes, true)
}

/// [`load_bytes`] with the `ron` parser alone (no fast path): only for the benchmark
/// that measures what the fast path saves.
#[doc(hidden)]
pub fn load_bytes_ron_only(name: &str, bytes: &[u8]) -> Result<Loaded, LoadError> {
    load_bytes_with(name, bytes, false)
}

fn load_bytes_with(name: &str, bytes: &[u8], fast_path: bool) -> Result<Loaded, LoadError> {
    let text = model_text(name, bytes)?;
    // A large file is hashed on another thread while it is parsed.
    let (stamp, result) = if bytes.len() >= PARALLEL_HASH_BYTES {
        std::thread::scope(|s| {
            let hasher = std::thread::Builder::new().spawn_scoped(s, || Stamp::of(bytes));
            let result = parse_text(name, text, fast_path);
            // Without a thread (or should it fail), hash here.
            let stamp = match hasher.map(|h| h.join()) {
                Ok(Ok(stamp)) => stamp,
                _ => Stamp::of(bytes),
            };
            (stamp, result)
        })
    } else {
        (Stamp::of(bytes), parse_text(name, text, fast_path))
    };
    let (model, file_version, migration_notes) = result?;
    Ok(Loaded {
        model,
        stamp,
        file_version,
        migration_notes,
    })
}

/// The text of model bytes: within the size limit, UTF-8, without a byte order mark.
fn model_text<'b>(name: &str, bytes: &'b [u8]) -> Result<&'b str, LoadError> {
    let limit = max_model_bytes();
    if bytes.len() as u64 > limit {
        return Err(LoadError::TooLarge {
            path: name.to_owned(),
            size: bytes.len() as u64,
            limit,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
        let p = offset_to_pos(good, good.len());
        LoadError::NotUtf8 {
            path: name.to_owned(),
            line: p.line,
            col: p.col,
        }
    })?;
    // A byte order mark is accepted and ignored (editors on some systems write one).
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Brings a model parsed from an older file version to the current one (what loading
/// does after parsing); returns what changed that the user should know, one line each.
/// A current model is left as it is.
pub fn upgrade(model: &mut Model) -> Vec<String> {
    if model.version >= 2 {
        return Vec::new();
    }
    migrate::v1_to_v2(model)
}

/// Files at least this large are hashed on a second thread while they are parsed.
const PARALLEL_HASH_BYTES: usize = 1 << 20;

/// Parses model text (migrating old versions) into the current model and the version
/// the file was written in.
fn parse_text(
    name: &str,
    text: &str,
    fast_path: bool,
) -> Result<(Model, u64, Vec<String>), LoadError> {
    let newer = |found: u64| LoadError::NewerVersion {
        path: name.to_owned(),
        found,
        supported: FORMAT_VERSION,
    };
    match header::read_version(text, &ron_options()) {
        Some(header::Version::NotPlain(off)) => {
            let p = offset_to_pos(text, off);
            Err(LoadError::Syntax {
                path: name.to_owned(),
                line: p.line,
                col: p.col,
                message: "the version must be a plain decimal number, like `version: 2`".into(),
            })
        }
        Some(header::Version::Plain(v)) if v > u64::from(FORMAT_VERSION) => Err(newer(v)),
        Some(header::Version::Plain(0)) => {
            let mut model = migrate::from_v0(text).map_err(|e| syntax(name, &e))?;
            let notes = migrate::v1_to_v2(&mut model);
            check_limits(name, text, &model, Strings::Scan)?;
            Ok((model, 0, notes))
        }
        _ => {
            // The fast path reads what Palisade writes; on anything else, or any error, the
            // full RON parser reads the text again and gives the result and the message.
            let fast = if fast_path {
                fast::parse(text).ok()
            } else {
                None
            };
            // The fast path checks each string's length as it reads it.
            let strings = match fast {
                Some(_) => Strings::Checked,
                None => Strings::Scan,
            };
            let parsed = match fast {
                Some(model) => Ok(model),
                None => ron_options().from_str::<Model>(text),
            };
            let mut model = parsed.map_err(|e| syntax(name, &e))?;
            // The header is read for plain `version: N` only; the parsed number has the
            // last word.
            if model.version > FORMAT_VERSION {
                return Err(newer(u64::from(model.version)));
            }
            if model.version == 0 {
                // Version 0 goes through the migration only when written plainly.
                let p = crate::diag::locate(text, &["version"])
                    .unwrap_or(crate::diag::Pos { line: 1, col: 1 });
                return Err(LoadError::Syntax {
                    path: name.to_owned(),
                    line: p.line,
                    col: p.col,
                    message:
                        "version 0 must be written as a plain decimal number, like `version: 0`"
                            .into(),
                });
            }
            let found = model.version;
            let notes = upgrade(&mut model);
            model.version = FORMAT_VERSION;
            check_limits(name, text, &model, strings)?;
            Ok((model, u64::from(found), notes))
        }
    }
}

/// Longest triage key accepted, in bytes: a generated threat id is a rule id plus up to
/// two item ids.
pub const MAX_THREAT_ID_LEN: usize = 1024;

/// Whether the length of every string literal of a text is still to be checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strings {
    /// Scan the text ([`limits::long_string`]).
    Scan,
    /// Already checked while parsing: the fast path accepts no text with a literal over
    /// its limit (it leaves such a text to `ron`, and the scan then reports it).
    Checked,
}

/// Checks what parsing alone does not: every id, and every reference to one, is at most
/// [`MAX_ID_LEN`] bytes (triage keys [`MAX_THREAT_ID_LEN`]); then every string of the
/// text is within [`MAX_NAME_BYTES`] / [`MAX_STRING_BYTES`], and the model within
/// [`MAX_ITEMS`] and [`MAX_BOUNDARY_DEPTH`]. The editor never makes a
/// longer one, and the limit keeps every message, threat id and report line short.
fn check_limits(name: &str, text: &str, m: &Model, strings: Strings) -> Result<(), LoadError> {
    use std::iter::once;
    // Every id and reference in file order, checked lazily.
    fn subject(s: &SubjectRef) -> Option<&str> {
        match s {
            SubjectRef::Element(x) => Some(x.as_str()),
            SubjectRef::Flow(x) => Some(x.as_str()),
            SubjectRef::Boundary(x) => Some(x.as_str()),
            SubjectRef::Model => None,
        }
    }
    let mut ids = (m.boundaries.values())
        .flat_map(|b| {
            once(("boundary id", b.id.as_str(), MAX_ID_LEN))
                .chain((b.parent.as_ref()).map(|p| ("boundary parent", p.as_str(), MAX_ID_LEN)))
        })
        .chain(m.elements.values().flat_map(|e| {
            once(("element id", e.id.as_str(), MAX_ID_LEN))
                .chain((e.boundary.as_ref()).map(|b| ("element boundary", b.as_str(), MAX_ID_LEN)))
        }))
        .chain(m.flows.values().flat_map(|f| {
            [
                ("flow id", f.id.as_str(), MAX_ID_LEN),
                ("flow source", f.source.as_str(), MAX_ID_LEN),
                ("flow target", f.target.as_str(), MAX_ID_LEN),
            ]
        }))
        .chain(m.manual_threats.values().flat_map(|t| {
            once(("manual threat id", t.id.as_str(), MAX_ID_LEN))
                .chain(subject(&t.subject).map(|x| ("manual threat subject", x, MAX_ID_LEN)))
        }))
        .chain((m.triage.keys()).map(|k| ("triage threat id", k.as_str(), MAX_THREAT_ID_LEN)));
    let Some((what, id, limit)) = ids.find(|(_, id, limit)| id.len() > *limit) else {
        let long = match strings {
            Strings::Scan => limits::long_string(text),
            Strings::Checked => None,
        };
        if let Some(long) = long {
            let p = offset_to_pos(text, long.offset);
            let what = match &long.field {
                Some(f) => format!("`{f}`"),
                None => "a string".to_owned(),
            };
            return Err(LoadError::Limit {
                path: name.to_owned(),
                pos: Some((p.line, p.col)),
                message: format!(
                    "{what} is {} bytes long; the limit is {} bytes ({})",
                    long.len, long.limit, long.limit_name
                ),
            });
        }
        return match limits::structure(m) {
            None => Ok(()),
            Some((message, needle)) => Err(LoadError::Limit {
                path: name.to_owned(),
                pos: needle
                    .and_then(|n| crate::diag::locate(text, &[&n]))
                    .map(|p| (p.line, p.col)),
                message,
            }),
        };
    };
    let prefix: String = id.chars().take(32).collect();
    let pos = crate::diag::locate(text, &[&format!("\"{prefix}")]).map(|p| (p.line, p.col));
    let limit_name = if limit == MAX_ID_LEN {
        "MAX_ID_LEN"
    } else {
        "MAX_THREAT_ID_LEN"
    };
    Err(LoadError::Limit {
        path: name.to_owned(),
        pos,
        message: format!(
            "{what} `{}` is {} bytes long; the limit is {limit} bytes ({limit_name})",
            crate::diag::one_line(&crate::model::truncate(id, 24)),
            id.len()
        ),
    })
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_recursion_limit(MODEL_RECURSION_LIMIT)
}

fn syntax(name: &str, e: &ron::error::SpannedError) -> LoadError {
    let message = ron_message(&e.code, "MODEL_RECURSION_LIMIT", MODEL_RECURSION_LIMIT);
    LoadError::Syntax {
        path: name.to_owned(),
        line: e.span.start.line,
        col: e.span.start.col,
        message,
    }
}

/// The canonical text of a model: stable field order, lists in id order, and always the
/// current [`FORMAT_VERSION`] (a model is written in the format this build reads back).
/// Non-finite numbers are written as `NaN`, `inf` and `-inf`, which load again.
pub fn to_text(model: &Model) -> Result<String, String> {
    if model.version != FORMAT_VERSION {
        let mut current = model.clone();
        current.version = FORMAT_VERSION;
        return to_text(&current);
    }
    let cfg = ron::ser::PrettyConfig::new()
        .indentor("    ")
        .new_line("\n")
        .struct_names(false)
        .separate_tuple_members(false);
    // Sized up front from the number of items (written models take 0.5-1 KiB an item),
    // so a large model's text is not copied each time it outgrows its buffer.
    let items = model.elements.len()
        + model.flows.len()
        + model.boundaries.len()
        + model.relations.len()
        + model.manual_threats.len()
        + model.triage.len();
    let mut s = String::with_capacity(4096 + items.saturating_mul(1024));
    ron::Options::default()
        .to_writer_pretty(Text(&mut s), model, cfg)
        .map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

/// The model text being written. The serializer writes escaped strings a character at
/// a time, so a one-byte piece is pushed without the general copy.
struct Text<'a>(&'a mut String);

impl std::fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        match s.as_bytes() {
            [b] if b.is_ascii() => self.0.push(char::from(*b)),
            _ => self.0.push_str(s),
        }
        Ok(())
    }
    fn write_char(&mut self, c: char) -> std::fmt::Result {
        self.0.push(c);
        Ok(())
    }
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

/// Longest part of a file name reused in a temporary file's name, in characters, so
/// that the temporary name stays within the file system's limit.
const TMP_STEM_CHARS: usize = 64;

/// The `.bak` path of a file.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

/// Saves a model atomically and returns the new file's fingerprint. The model is only
/// read: whatever happens, the work in memory is untouched.
///
/// A model with non-finite coordinates is saved as it is (validation reports them);
/// refusing to save would put the reviewer's work at risk over one number.
pub fn save(path: &Path, model: &Model, opts: &SaveOptions) -> Result<Stamp, SaveError> {
    let text = to_text(model).map_err(|message| SaveError::Encode {
        path: path.display().to_string(),
        message: one_line(&message),
    })?;
    write_atomic(path, text.as_bytes(), opts)
}

/// Writes bytes to `path` atomically (see the module docs). A symbolic link is followed,
/// so the link stays and its target is replaced; the file's permissions are kept.
///
/// A target that is not a regular file (a device such as `/dev/null`, a FIFO, a socket,
/// `/dev/stdout`, or `-` for standard output) is written in place and never renamed over
/// (see [`output`]). The existing file is never read in full: the conflict check hashes
/// at most [`max_model_bytes`] of it (a larger file was not the one opened), and the
/// `.bak` is a hard link to it (a copy where links are not supported).
pub fn write_atomic(path: &Path, bytes: &[u8], opts: &SaveOptions) -> Result<Stamp, SaveError> {
    let name = path.display().to_string();
    let io = |source: std::io::Error| SaveError::Io {
        path: name.clone(),
        source,
    };
    let target = match output::classify(path).map_err(io)? {
        t @ (output::Target::Stdout | output::Target::Stderr) => {
            output::write_std(&t, bytes).map_err(io)?;
            return Ok(Stamp::of(bytes));
        }
        output::Target::InPlace(p) => {
            output::write_in_place(&p, bytes).map_err(io)?;
            return Ok(Stamp::of(bytes));
        }
        output::Target::Atomic(p) => p,
    };
    let existing = match fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    if let (Some(meta), Some(expected), false) = (&existing, &opts.expected, opts.force) {
        let limit = max_model_bytes();
        let same = meta.len() <= limit && stamp_of_file(&target, limit).map_err(io)? == *expected;
        if !same {
            return Err(SaveError::Conflict { path: name });
        }
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Temporary files a killed writer left here are removed first.
    output::clean_stale_temps(&dir);
    let permissions = existing.as_ref().map(|m| m.permissions());
    let stem: String = target
        .file_name()
        .map(|s| s.to_string_lossy().chars().take(TMP_STEM_CHARS).collect())
        .unwrap_or_else(|| "model".into());
    let unique = format!(
        ".{stem}.{}.{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let tmp = dir.join(&unique);
    let bak_tmp = dir.join(format!("{unique}.bak"));
    let result = (|| -> std::io::Result<()> {
        if let (Some(_), true) = (&existing, opts.backup) {
            // The backup is made under a temporary name and renamed, so a crash never
            // leaves a torn .bak: a hard link needs no copy; a copy where links fail.
            if fs::hard_link(&target, &bak_tmp).is_err() {
                let _ = fs::remove_file(&bak_tmp);
                fs::copy(&target, &bak_tmp)?;
                fs::File::open(&bak_tmp)?.sync_all()?;
            }
            fs::rename(&bak_tmp, backup_path(&target))?;
        }
        write_and_sync(&tmp, bytes, permissions.as_ref())?;
        fs::rename(&tmp, &target)?;
        sync_dir(&dir);
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        let _ = fs::remove_file(&bak_tmp);
        return Err(io(e));
    }
    Ok(Stamp::of(bytes))
}

/// The fingerprint of at most `limit` bytes of a file, read in pieces.
fn stamp_of_file(path: &Path, limit: u64) -> std::io::Result<Stamp> {
    let mut h = Sha256::new();
    let mut f = fs::File::open(path)?.take(limit);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(Stamp(h.finalize().into()))
}

/// Creates a new file (never following or reusing an existing one), writes it fully
/// and flushes it to the disk.
fn write_and_sync(
    p: &Path,
    bytes: &[u8],
    permissions: Option<&fs::Permissions>,
) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(p)?;
    if let Some(perm) = permissions {
        f.set_permissions(perm.clone())?;
    }
    f.write_all(bytes)?;
    f.sync_all()
}

/// Flushes a directory, so that a rename in it survives a power cut. Best effort: once
/// the rename is done the new file is in place, and reporting a failed save then would
/// make the next save look like a conflict; some file systems cannot flush a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
