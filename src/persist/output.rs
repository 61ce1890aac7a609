//! Writing output to a path safely, for reports and saves alike.
//!
//! - `-` is standard output.
//! - A regular file (or a path that does not exist yet) is replaced atomically: a
//!   temporary file in the same directory, flushed and renamed into place
//!   ([`super::write_atomic`]).
//! - Anything else — a character or block device such as `/dev/null`, a FIFO, a socket,
//!   `/dev/stdout` or `/dev/fd/N` — is written in place, never renamed over, so a device
//!   stays a device and a pipe gets the bytes.
//! - The existing target is never read in full: only its metadata, and for a conflict
//!   check at most [`super::MAX_MODEL_BYTES`] of it.
//! - Temporary files of our own naming left by a killed writer are removed on the next
//!   write to that directory ([`clean_stale_temps`]).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a path is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output (`-`, `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`).
    Stdout,
    /// Standard error (`/dev/stderr`, `/dev/fd/2`).
    Stderr,
    /// Written in place: an existing non-regular file (a device, a FIFO, a socket) or
    /// another `/dev/fd/N`.
    InPlace(PathBuf),
    /// Replaced atomically: a regular file, or one that does not exist yet. The path is
    /// the file to replace (a symbolic link resolved to what it names).
    Atomic(PathBuf),
}

/// Whether a path names a file descriptor of this process rather than a file.
fn fd_alias(path: &Path) -> Option<u32> {
    let s = path.to_str()?;
    match s {
        "/dev/stdin" => return Some(0),
        "/dev/stdout" => return Some(1),
        "/dev/stderr" => return Some(2),
        _ => {}
    }
    let n = s
        .strip_prefix("/dev/fd/")
        .or_else(|| s.strip_prefix("/proc/self/fd/"))
        .or_else(|| {
            let rest = s.strip_prefix("/proc/")?;
            let (pid, fd) = rest.split_once("/fd/")?;
            (pid == std::process::id().to_string() || pid == "thread-self").then_some(fd)
        })?;
    n.parse().ok()
}

/// Decides how `path` is written, from its name and its metadata alone.
pub fn classify(path: &Path) -> std::io::Result<Target> {
    if path.as_os_str() == "-" {
        return Ok(Target::Stdout);
    }
    match fd_alias(path) {
        Some(1) => return Ok(Target::Stdout),
        Some(2) => return Ok(Target::Stderr),
        Some(_) => return Ok(Target::InPlace(path.to_path_buf())),
        None => {}
    }
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(path) {
            Ok(real) => real,
            // A link to a file that does not exist yet: create the file it names.
            Err(_) => {
                let link = fs::read_link(path)?;
                if let Some(fd) = fd_alias(&link) {
                    return Ok(match fd {
                        1 => Target::Stdout,
                        2 => Target::Stderr,
                        _ => Target::InPlace(link),
                    });
                }
                path.parent().map_or(link.clone(), |dir| dir.join(&link))
            }
        },
        _ => path.to_path_buf(),
    };
    // Something under /proc (a link to a pipe, say) is never a place for a temporary file.
    if target.starts_with("/proc") {
        return Ok(Target::InPlace(target));
    }
    match fs::metadata(&target) {
        Ok(m) if m.is_dir() => Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )),
        Ok(m) if !m.is_file() => Ok(Target::InPlace(target)),
        _ => Ok(Target::Atomic(target)),
    }
}

/// Writes bytes to an existing non-regular file (or a descriptor alias) in place:
/// opened for writing without creating, truncating or reading it.
pub fn write_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)?;
    f.flush()
}

/// Writes bytes to standard output or standard error, flushed.
pub fn write_std(target: &Target, bytes: &[u8]) -> std::io::Result<()> {
    match target {
        Target::Stderr => {
            let mut e = std::io::stderr().lock();
            e.write_all(bytes)?;
            e.flush()
        }
        _ => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)?;
            o.flush()
        }
    }
}

/// Whether two paths name the same file (device and inode, after following symbolic
/// links), whatever the paths say: a bind mount, a hard link or `..` in one of them
/// still compares equal. Paths that cannot be examined are not the same.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Whether a file name is one of our temporary names: `.{stem}.{pid}.{n}.tmp`, or the
/// same with `.bak` after it. Returns the writer's process id.
pub fn temp_name_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let rest = rest
        .strip_suffix(".tmp.bak")
        .or_else(|| rest.strip_suffix(".tmp"))?;
    let mut parts = rest.rsplitn(3, '.');
    let n = parts.next()?;
    let pid = parts.next()?;
    let stem = parts.next()?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if stem.is_empty() || !digits(n) || !digits(pid) {
        return None;
    }
    pid.parse().ok()
}

/// Most directory entries looked at for stale temporary files on one write.
const MAX_CLEAN_SCAN: usize = 10_000;
/// A temporary file whose writer cannot be checked is stale after this long.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Whether the process that wrote a temporary file is gone.
fn writer_gone(pid: u32, modified: Option<std::time::SystemTime>) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if Path::new("/proc/self").exists() {
        return !Path::new(&format!("/proc/{pid}")).exists();
    }
    // Without /proc, only age tells.
    modified
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age > STALE_AFTER)
}

/// Removes temporary files of our own naming ([`temp_name_pid`]) in `dir` whose writer
/// is no longer running (killed mid-write): regular files only, at most
/// `MAX_CLEAN_SCAN` entries looked at. Best effort: a file that cannot be removed stays.
/// Returns how many were removed.
pub fn clean_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.take(MAX_CLEAN_SCAN).flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_name_pid) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_file()
            && writer_gone(pid, meta.modified().ok())
            && fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_and_nothing_else() {
        assert_eq!(temp_name_pid(".report.pdf.123.0.tmp"), Some(123));
        assert_eq!(temp_name_pid(".model.ron.77.12.tmp.bak"), Some(77));
        assert_eq!(temp_name_pid(".a.b.c.9.3.tmp"), Some(9));
        for other in [
            "report.pdf.123.0.tmp",
            ".123.0.tmp",
            ".x.123.tmp",
            ".x.abc.0.tmp",
            ".x.1.0.tmpx",
            ".x.1.0.txt",
            "..1.0.tmp",
        ] {
            assert_eq!(temp_name_pid(other), None, "{other}");
        }
    }

    #[test]
    fn descriptor_aliases_are_standard_streams() {
        let t = |s: &str| classify(Path::new(s)).ok();
        assert_eq!(t("-"), Some(Target::Stdout));
        assert_eq!(t("/dev/stdout"), Some(Target::Stdout));
        assert_eq!(t("/dev/fd/1"), Some(Target::Stdout));
        assert_eq!(t("/proc/self/fd/1"), Some(Target::Stdout));
        assert_eq!(t("/dev/stderr"), Some(Target::Stderr));
        #[cfg(unix)]
        assert_eq!(t("/dev/null"), Some(Target::InPlace("/dev/null".into())));
        assert!(classify(Path::new("/")).is_err());
    }
}
