//! The built-in file dialog (egui_file), used when the native one cannot be shown: no
//! xdg-desktop-portal and no zenity (a minimal window manager, a remote X session), or
//! the native dialog reported an error. Work that cannot be saved is about to be lost,
//! so saving never depends on the desktop.

use super::files::{DialogOutcome, DialogPurpose, export_ext};
use eframe::egui;
use std::path::{Path, PathBuf};

/// An open built-in dialog and what it was opened for.
pub struct BuiltinDialog {
    /// Open, save or export.
    pub purpose: DialogPurpose,
    inner: egui_file::FileDialog,
}

impl std::fmt::Debug for BuiltinDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinDialog")
            .field("purpose", &self.purpose)
            .field("directory", &self.inner.directory())
            .finish()
    }
}

/// The extension a chosen path gets when it has none.
fn wanted_ext(purpose: &DialogPurpose) -> Option<&'static str> {
    match purpose {
        DialogPurpose::Open => None,
        DialogPurpose::SaveAs => Some("ron"),
        DialogPurpose::Export(f) => Some(export_ext(*f).1),
        DialogPurpose::Import(_) => None,
        DialogPurpose::Interchange(f) => Some(f.extension()),
    }
}

/// `path` with the purpose's extension added when the user typed none.
pub fn with_extension(purpose: &DialogPurpose, path: PathBuf) -> PathBuf {
    match wanted_ext(purpose) {
        Some(ext) if path.extension().is_none() => path.with_extension(ext),
        _ => path,
    }
}

impl BuiltinDialog {
    /// A dialog for `purpose` in `dir` (else the working directory, else home) with
    /// `file_name` filled in for saving.
    pub fn new(purpose: DialogPurpose, dir: Option<PathBuf>, file_name: String) -> Self {
        let dir = dir
            .filter(|d| d.is_dir())
            .or_else(|| std::env::current_dir().ok())
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/"));
        let (title, inner) = match &purpose {
            DialogPurpose::Open => (
                "Open model…".to_owned(),
                egui_file::FileDialog::open_file().show_files_filter(Box::new(|p: &Path| {
                    p.is_dir() || p.extension().is_some_and(|x| x.eq_ignore_ascii_case("ron"))
                })),
            ),
            DialogPurpose::SaveAs => (
                "Save model as…".to_owned(),
                egui_file::FileDialog::save_file().default_filename(file_name),
            ),
            DialogPurpose::Export(f) => (
                format!("Export {}…", export_ext(*f).0),
                egui_file::FileDialog::save_file().default_filename(file_name),
            ),
            DialogPurpose::Import(f) => (
                format!("Import {}…", f.label()),
                egui_file::FileDialog::open_file(),
            ),
            DialogPurpose::Interchange(f) => (
                format!("Export {}…", f.label()),
                egui_file::FileDialog::save_file().default_filename(file_name),
            ),
        };
        let mut inner = inner
            .initial_path(dir)
            .title(&title)
            .id(egui::Id::unique("palisade-builtin-file-dialog"))
            .default_size([620.0, 440.0])
            .show_rename(false)
            .show_new_folder(true)
            .keep_on_top(true);
        inner.open();
        BuiltinDialog { purpose, inner }
    }

    /// The folder shown.
    pub fn directory(&self) -> &Path {
        self.inner.directory()
    }

    /// Shows the dialog; returns how it ended once it has.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<DialogOutcome> {
        self.inner.show(ctx);
        match self.inner.state() {
            egui_file::State::Open => None,
            egui_file::State::Selected => Some(match self.inner.path() {
                Some(p) => DialogOutcome::Chosen(with_extension(&self.purpose, p.to_path_buf())),
                None => DialogOutcome::Cancelled,
            }),
            egui_file::State::Cancelled | egui_file::State::Closed => {
                Some(DialogOutcome::Cancelled)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Format;

    #[test]
    fn a_typed_name_without_extension_gets_the_purpose_s_one() {
        let p = PathBuf::from("/tmp/m");
        assert_eq!(
            with_extension(&DialogPurpose::SaveAs, p.clone()),
            PathBuf::from("/tmp/m.ron")
        );
        assert_eq!(
            with_extension(&DialogPurpose::Export(Format::Pdf), p.clone()),
            PathBuf::from("/tmp/m.pdf")
        );
        assert_eq!(with_extension(&DialogPurpose::Open, p.clone()), p);
        let named = PathBuf::from("/tmp/m.txt");
        assert_eq!(with_extension(&DialogPurpose::SaveAs, named.clone()), named);
    }
}
