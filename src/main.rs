//! The `palisade` binary: the desktop app without a subcommand, the CLI with one.

#![forbid(unsafe_code)]

use clap::Parser;
use palisade::cli::{self, Args, Outcome};
use std::process::ExitCode;

// Analysis, reports and the canvas make and free many small allocations (a threat's id,
// subject and facts; a frame's meshes): mimalloc does that several times faster than the
// system allocator and returns memory without the system allocator's consolidation passes.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A standard stream closed at start is reopened on /dev/null by the Rust runtime, so
    // no file opened later takes descriptor 1; what is printed to it is then discarded.
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => return usage(&e),
    };
    if let Some(limit) = args.max_model_bytes {
        palisade::persist::set_max_model_bytes(limit);
    }
    if let Some(limit) = args.max_import_bytes {
        palisade::import::set_max_import_bytes(limit);
    }
    let result = match (args.cmd, args.file) {
        (Some(_), Some(file)) => Err(anyhow::anyhow!(
            "{}: a model file and a subcommand cannot both be given; put the file after the subcommand",
            file.display()
        )),
        (Some(cmd), None) => {
            cli::process_ends_after_run();
            cli::run(cmd, args.templates.as_deref())
        }
        (None, file) => run_gui(file, args.templates),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(err) => {
            // A reader that went away (`palisade threats x | head`) is not an error worth
            // a line, as with any Unix tool; the exit status still says it failed.
            let broken_pipe = err.chain().any(|c| {
                c.downcast_ref::<cli::StdoutError>()
                    .is_some_and(|e| e.is_broken_pipe())
            });
            if !broken_pipe {
                cli::warn(&format!("error: {}", cli::error_line(&err)));
            }
            ExitCode::from(2)
        }
    }
}

/// Prints `--help`, `--version` or a usage error as clap would, but a failed write to
/// standard output is exit 2 with one line (or silent on a closed pipe), never ignored.
fn usage(e: &clap::Error) -> ExitCode {
    use std::io::Write as _;
    let text = e.render().to_string();
    if e.use_stderr() {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                cli::warn(&format!("error: cannot write to standard output: {err}"));
            }
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "gui")]
fn run_gui(
    file: Option<std::path::PathBuf>,
    templates: Option<std::path::PathBuf>,
) -> anyhow::Result<Outcome> {
    palisade::gui::run(file, templates)?;
    Ok(Outcome::Ok)
}

#[cfg(not(feature = "gui"))]
fn run_gui(
    _file: Option<std::path::PathBuf>,
    _templates: Option<std::path::PathBuf>,
) -> anyhow::Result<Outcome> {
    anyhow::bail!(
        "this build has no desktop app (built without the `gui` feature); use a subcommand, see --help"
    )
}
