//! The `palisade` binary: the desktop app without a subcommand, the CLI with one.

use clap::Parser;
use palisade::cli::{self, Args, Outcome};
use std::process::ExitCode;

// Analysis, reports and the canvas make and free many small allocations (a threat's id,
// subject and facts; a frame's meshes): mimalloc does that several times faster than the
// system allocator and returns memory without the system allocator's consolidation passes.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.cmd {
        Some(cmd) => cli::run(cmd, args.templates.as_deref()),
        None => run_gui(args.file, args.templates),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(err) => {
            eprintln!("error: {err:#}");
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
