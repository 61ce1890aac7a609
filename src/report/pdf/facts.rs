//! The model's facts after the diagram: the properties set on boundaries, the flows that
//! stay on one host, and the relations between elements (the diagram draws relations as
//! dotted lines without labels; this table names them).

use super::writer::{BODY, Cell, Col, Doc};
use crate::report::data::{PropFact, ReportData};
use crate::report::style;

fn col(title: &str, weight: f64) -> Col {
    Col {
        title: title.to_owned(),
        weight,
    }
}

fn props_text(props: &[PropFact]) -> String {
    if props.is_empty() {
        return "—".to_owned();
    }
    props
        .iter()
        .map(|p| format!("{} = {}", p.name, p.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Adds the "Model facts" part of section 2 when the model has any.
pub fn add(doc: &mut Doc<'_>, data: &ReportData) {
    let m = &data.model;
    if m.is_empty() {
        return;
    }
    // The diagram pages are drawn whole, apart from the text flow: start after them.
    doc.heading(1, "2 Diagram · model facts");
    doc.heading(2, "Boundary properties");
    if m.boundary_properties.is_empty() {
        doc.para(
            "No boundary sets a property: the kinds' defaults apply.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
    } else {
        let cols = [
            col("Boundary", 2.6),
            col("Kind", 1.4),
            col("Properties", 4.0),
        ];
        let rows: Vec<Vec<Cell>> = m
            .boundary_properties
            .iter()
            .map(|b| {
                vec![
                    Cell::new(format!("{}\n{}", b.name, b.id)),
                    Cell::new(b.kind.clone()),
                    Cell::new(props_text(&b.properties)),
                ]
            })
            .collect();
        doc.table(&cols, &rows);
    }
    doc.heading(2, "Local channels");
    if m.local_channels.is_empty() {
        doc.para(
            "Every flow crosses a network.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
    } else {
        doc.para(
            "Flows that stay on one host: rules about transit across a network do not apply to them.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
        let cols = [
            col("Flow", 2.6),
            col("From", 2.0),
            col("To", 2.0),
            col("Channel", 1.4),
        ];
        let rows: Vec<Vec<Cell>> = m
            .local_channels
            .iter()
            .map(|f| {
                let name = if f.name.trim().is_empty() {
                    "—"
                } else {
                    &f.name
                };
                vec![
                    Cell::new(format!("{name}\n{}", f.id)),
                    Cell::new(f.source.clone()),
                    Cell::new(f.target.clone()),
                    Cell::new(f.channel.clone()),
                ]
            })
            .collect();
        doc.table(&cols, &rows);
    }
    doc.heading(2, "Relations");
    if m.relations.is_empty() {
        doc.para(
            "The model has no relations.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
    } else {
        doc.para(
            "Typed links between elements that are not data flows (drawn as dotted lines in the diagram).",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
        let cols = [
            col("From", 2.4),
            col("Relation", 2.2),
            col("To", 2.4),
            col("Properties", 1.6),
        ];
        let rows: Vec<Vec<Cell>> = m
            .relations
            .iter()
            .map(|r| {
                vec![
                    Cell::new(r.source.clone()),
                    Cell::new(format!("{}\n{}", r.name, r.kind)),
                    Cell::new(r.target.clone()),
                    Cell::new(props_text(&r.properties)),
                ]
            })
            .collect();
        doc.table(&cols, &rows);
    }
}
