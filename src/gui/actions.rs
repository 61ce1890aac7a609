//! Commands the user can give from the menus, the keyboard, context menus and panels.
//! UI code pushes them; the app carries them out after the frame.

use super::canvas::ops::Align;
use crate::report::Format;
use eframe::egui::Vec2;
use std::path::PathBuf;

/// One command.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A new blank model, in a new tab.
    NewBlank,
    /// A new model from a bundled example (index into `files::EXAMPLES`).
    NewFromExample(usize),
    /// Ask for a file to open.
    Open,
    /// Open this file.
    OpenPath(PathBuf),
    /// Save to the current file (asks for one if there is none).
    Save,
    /// Ask for a file and save there.
    SaveAs,
    /// Save to this path (after a dialog or from a test).
    SaveTo(PathBuf),
    /// Ask for a file and export a report to it.
    Export(Format),
    /// Ask for another tool's model and import it as a new document.
    Import(crate::import::Format),
    /// Read the manifests the model was imported from again and merge them in.
    Resync,
    /// Ask for a file and write the model for another tool.
    ExportInterchange(crate::export::ExportFormat),
    /// Close the window (asks about unsaved changes).
    Quit,
    /// Undo the last step.
    Undo,
    /// Redo the last undone step.
    Redo,
    /// Copy the selection to the clipboard.
    Copy,
    /// Copy and delete the selection.
    Cut,
    /// Paste the clipboard (text, or the last copy in this app).
    Paste(Option<String>),
    /// Duplicate the selection.
    Duplicate,
    /// Delete the selection.
    Delete,
    /// Select every element, flow and boundary.
    SelectAll,
    /// Clear the selection and go back to the select tool.
    Escape,
    /// Move the selection by a diagram-space offset.
    Nudge(Vec2),
    /// Align or distribute the selected elements.
    Align(Align),
    /// Zoom and pan so everything fits.
    Fit,
    /// Zoom in one step about the canvas centre.
    ZoomIn,
    /// Zoom out one step.
    ZoomOut,
    /// Back to 100 %.
    ZoomReset,
    /// Focus the find box.
    Find,
    /// Show the keyboard shortcuts window.
    Help,
    /// Centre the canvas on the selection.
    RevealSelection,
    /// Select what a threat or diagnostic is about on the canvas (a crossing: its flow and
    /// boundary) and centre the view on it.
    Reveal(crate::analysis::Subject),
    /// Focus the name field of the selected item, with the whole name selected.
    Rename,
    /// Close the current tab (asks about unsaved changes).
    CloseTab,
    /// Show the tab to the right.
    NextTab,
    /// Show the tab to the left.
    PrevTab,
    /// Show this tab (index in the tab bar).
    SwitchTab(usize),
    /// Open the command palette.
    CommandPalette,
    /// The trust-boundary drawing tool.
    ToolBoundary,
    /// The flow drawing tool.
    ToolConnect,
}
