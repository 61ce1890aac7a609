//! The model's facts after the diagram: the properties set on boundaries, the flows that
//! stay on one host, and the relations between elements (the diagram draws relations as
//! dotted lines without labels; this table names them). The tables are
//! [`crate::report::table`]'s, the same the HTML and Markdown reports print.

use super::writer::{BODY, Doc};
use crate::report::data::ReportData;
use crate::report::{style, table};

/// Adds the "Model facts" part of section 2 when the model has any.
pub fn add(doc: &mut Doc<'_>, data: &ReportData) {
    let m = &data.model;
    if m.is_empty() {
        return;
    }
    // The diagram pages are drawn whole, apart from the text flow: start after them.
    doc.heading(1, "2 Diagram · model facts");
    doc.heading(2, "Boundary properties");
    doc.render_table(&table::boundary_properties(data));
    doc.heading(2, "Local channels");
    if !m.local_channels.is_empty() {
        doc.para(
            "Flows that stay on one host: rules about transit across a network do not apply to them.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
    }
    doc.render_table(&table::local_channels(data));
    doc.heading(2, "Relations");
    if !m.relations.is_empty() {
        doc.para(
            "Typed links between elements that are not data flows (drawn as dotted lines in the diagram).",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
    }
    doc.render_table(&table::relations(data));
}
