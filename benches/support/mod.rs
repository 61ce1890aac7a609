//! Shared helpers of the benchmark binaries: the benchmark models and timing.

#![allow(dead_code)]

pub mod neutral;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Where the benchmark models live: `$PALISADE_BENCH_DIR`, else `target/bench-models`.
pub fn model_dir() -> PathBuf {
    std::env::var_os("PALISADE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/bench-models"))
}

/// The peer baseline folder holding `gen_pytm.py`: `$PERFBASE_DIR`, else
/// `../shared/bench`, else `/work/shared/bench`.
pub fn perfbase_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PERFBASE_DIR") {
        return Some(PathBuf::from(d));
    }
    ["../shared/bench", "/work/shared/bench"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.join("gen_pytm.py").is_file())
}

/// The neutral model for `n` nodes (seed 1), generated with `gen_pytm.py` when missing.
pub fn neutral_model(dir: &Path, n: usize) -> Result<PathBuf, String> {
    let path = dir.join(format!("neutral_{n}.json"));
    if path.is_file() {
        return Ok(path);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let gen_dir = perfbase_dir().ok_or(
        "cannot find gen_pytm.py: set PERFBASE_DIR to the peer baseline folder (../shared/bench)",
    )?;
    let status = Command::new("python3")
        .arg(gen_dir.join("gen_pytm.py"))
        .arg(n.to_string())
        .arg("--model-json")
        .arg(&path)
        .arg("--no-pytm")
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("python3: {e}"))?;
    if !status.success() {
        return Err(format!("gen_pytm.py {n} failed: {status}"));
    }
    Ok(path)
}

/// The converted Palisade model for `n` nodes, written next to the neutral one.
pub fn palisade_model(dir: &Path, n: usize) -> Result<PathBuf, String> {
    let out = dir.join(format!("palisade_{n}.ron"));
    let src = neutral_model(dir, n)?;
    let fresh = match (std::fs::metadata(&out), std::fs::metadata(&src)) {
        (Ok(o), Ok(s)) => o.modified().ok() >= s.modified().ok(),
        _ => false,
    };
    if !fresh {
        let model = neutral::convert_file(&src)?;
        let text = palisade::persist::to_text(&model)?;
        std::fs::write(&out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(out)
}

/// Median of some durations (mean of the middle two for an even count).
pub fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    match s.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2,
    }
}

/// Milliseconds with three significant digits.
pub fn ms(d: Duration) -> String {
    let x = d.as_secs_f64() * 1e3;
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// Times one call: wall-clock time and the CPU time of the calling thread.
pub fn time<T>(f: impl FnOnce() -> T) -> (Duration, Duration, T) {
    let c = thread_cpu();
    let t = Instant::now();
    let r = f();
    let wall = t.elapsed();
    (wall, thread_cpu().saturating_sub(c), r)
}

/// CPU time consumed by the calling thread (user + system). On a shared machine this is
/// the steadier number: it does not count the time the thread waited for a core.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.sec as u64, ts.nsec as u32)
}

/// CPU time is only measured on Linux; elsewhere it reads as zero.
#[cfg(not(target_os = "linux"))]
pub fn thread_cpu() -> Duration {
    Duration::ZERO
}

/// Peak resident set size of this process so far, in MB (`VmHWM`).
pub fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
