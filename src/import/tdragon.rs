//! OWASP Threat Dragon v2 JSON.
//!
//! Mapping (see README, "Interchange"): `tm.Actor` → `generic.entity`, `tm.Process` →
//! `generic.process`, `tm.Store` → `generic.store`, `tm.Flow` → a flow (two for a
//! bidirectional one), `tm.BoundaryBox` → a boundary holding the cells whose centre it
//! contains, `tm.Boundary` (a curve) → the zones it separates (see
//! [`super::build::regions_from_lines`]), `tm.Text` → the model description. Several
//! diagrams become one top-level boundary each, side by side.

use super::build::{
    Builder, L, Ns, SourceThreat, bid, eid, element, fid, one_line, polylines_cross,
    regions_from_lines, severity_of, status_of, stride_of,
};
use super::notes::{SourceNote, set_description};
use super::{ImportError, Imported, json_error};
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, ElementId, Flow, FlowId, Severity, Status, Stride,
    SubjectRef, Value,
};
use serde::Deserialize;
use serde_json::Value as J;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    summary: Summary,
    detail: Detail,
}

#[derive(Deserialize, Default)]
struct Summary {
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    contributors: Vec<Contributor>,
    diagrams: Vec<Diagram>,
    #[serde(default)]
    reviewer: String,
}

#[derive(Deserialize)]
struct Contributor {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Diagram {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "diagramType")]
    diagram_type: String,
    #[serde(default)]
    cells: Vec<Cell>,
}

#[derive(Deserialize, Clone, Copy, Default)]
struct Pt {
    #[serde(default)]
    x: f64,
    #[serde(default)]
    y: f64,
}

#[derive(Deserialize, Clone, Copy)]
struct Size {
    #[serde(default)]
    width: f64,
    #[serde(default)]
    height: f64,
}

#[derive(Deserialize, Default)]
struct End {
    #[serde(default)]
    cell: Option<String>,
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
}

#[derive(Deserialize)]
struct Cell {
    #[serde(default)]
    id: Option<J>,
    #[serde(default)]
    shape: String,
    #[serde(default)]
    position: Option<Pt>,
    #[serde(default)]
    size: Option<Size>,
    #[serde(default)]
    attrs: Option<J>,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    source: Option<End>,
    #[serde(default)]
    target: Option<End>,
    #[serde(default)]
    vertices: Vec<Pt>,
    #[serde(default)]
    labels: Option<J>,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(default, rename = "type")]
    ty: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    threats: Vec<Threat>,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

#[derive(Deserialize)]
struct Threat {
    #[serde(default)]
    id: Option<J>,
    #[serde(default)]
    title: String,
    #[serde(default, rename = "type")]
    ty: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    mitigation: String,
    #[serde(flatten)]
    rest: BTreeMap<String, J>,
}

fn id_text(v: &Option<J>) -> String {
    match v {
        Some(J::String(s)) => s.clone(),
        Some(J::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Data fields that map to a property or are display state (recomputed by Palisade).
const DISPLAY_ONLY: &[&str] = &[
    "hasOpenThreats",
    "isTrustBoundary",
    "type",
    "threatFrequency",
];

pub(super) fn import(path: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = super::utf8(path, bytes)?;
    let keys = super::json_top_keys(bytes);
    if !keys.is_empty() && !keys.iter().any(|k| k == "detail") {
        return Err(ImportError::Invalid {
            path: path.to_owned(),
            pos: Some((1, 1)),
            message: format!(
                "not a Threat Dragon v2 model: there is no `detail` object holding the diagrams (top-level keys: {})",
                keys.join(", ")
            ),
        });
    }
    let file: File =
        serde_json::from_str(text).map_err(|e| json_error(path, "Threat Dragon v2", &e))?;
    let title = if file.summary.title.trim().is_empty() {
        "Imported Threat Dragon model".to_owned()
    } else {
        one_line(&file.summary.title)
    };
    let mut b = Builder::new(path, &title);
    b.model.metadata.owner = file.summary.owner.clone();
    b.model.metadata.reviewers = file
        .detail
        .contributors
        .iter()
        .map(|c| c.name.trim().to_owned())
        .chain(std::iter::once(file.detail.reviewer.trim().to_owned()))
        .filter(|n| !n.is_empty())
        .collect();
    let mut description = file.summary.description.trim().to_owned();
    let several = file.detail.diagrams.len() > 1;
    let mut x_offset = 0.0f64;
    for (di, d) in file.detail.diagrams.iter().enumerate() {
        let dtitle = if d.title.trim().is_empty() {
            format!("Diagram {}", di + 1)
        } else {
            one_line(&d.title)
        };
        // The diagram's own extent, to place diagrams side by side.
        let (mut min_x, mut max_x) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut min_y, mut max_y) = (f64::INFINITY, f64::NEG_INFINITY);
        for c in &d.cells {
            if let (Some(p), Some(s)) = (c.position, c.size) {
                min_x = min_x.min(p.x);
                max_x = max_x.max(p.x + s.width);
                min_y = min_y.min(p.y);
                max_y = max_y.max(p.y + s.height);
            }
        }
        if !min_x.is_finite() {
            (min_x, max_x, min_y, max_y) = (0.0, 200.0, 0.0, 100.0);
        }
        let dx = if several {
            x_offset - min_x + 40.0
        } else {
            0.0
        };
        let dy = if several { 60.0 - min_y } else { 0.0 };
        let wrapper = if several {
            let id = bid(b.fresh_id(Ns::Boundary, "", &format!("diagram-{}", di + 1), "diagram"));
            b.add_boundary(Boundary {
                props: Default::default(),
                id: id.clone(),
                name: dtitle.clone(),
                kind: BoundaryKind::Other,
                trust: 5,
                parent: None,
                rect: (x_offset, 20.0, max_x - min_x + 80.0, max_y - min_y + 80.0),
            })?;
            x_offset += max_x - min_x + 160.0;
            Some(id)
        } else {
            None
        };
        let ctx = format!("diagram `{dtitle}`");
        if !d.description.trim().is_empty() || !d.diagram_type.is_empty() {
            let mut line = dtitle.clone();
            if !d.diagram_type.is_empty() {
                line.push_str(&format!(" ({} diagram)", d.diagram_type));
            }
            if !d.description.trim().is_empty() {
                line.push_str(&format!(": {}", d.description.trim()));
            }
            push_para(&mut description, &line);
        }
        import_diagram(
            &mut b,
            d,
            wrapper.as_ref(),
            (dx, dy),
            &ctx,
            &mut description,
        )?;
    }
    b.model.metadata.description = description;
    Ok(b.finish())
}

fn push_para(text: &mut String, p: &str) {
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(p);
}

/// The label text of a cell: `data.name`, else `attrs.text.text`, else
/// `attrs.label.text`.
fn cell_name(c: &Cell) -> String {
    if let Some(n) = c.data.as_ref().and_then(|d| d.name.as_ref())
        && !n.trim().is_empty()
    {
        return one_line(n);
    }
    let a = c.attrs.as_ref();
    for path in [["text", "text"], ["label", "text"]] {
        if let Some(s) = a
            .and_then(|a| a.get(path[0]))
            .and_then(|t| t.get(path[1]))
            .and_then(J::as_str)
            && !s.trim().is_empty()
        {
            return one_line(s);
        }
    }
    String::new()
}

struct Pending {
    id: FlowId,
    cell_id: String,
    name: String,
    source: Option<ElementId>,
    target: Option<ElementId>,
    path: Vec<(f64, f64)>,
    data: Data,
}

fn import_diagram(
    b: &mut Builder,
    d: &Diagram,
    wrapper: Option<&BoundaryId>,
    (dx, dy): (f64, f64),
    ctx: &str,
    description: &mut String,
) -> Result<(), ImportError> {
    let mut by_cell: BTreeMap<String, ElementId> = BTreeMap::new();
    let mut rects: BTreeMap<ElementId, (f64, f64, f64, f64)> = BTreeMap::new();
    let mut boxes: Vec<(BoundaryId, (f64, f64, f64, f64))> = Vec::new();
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut line_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut flows: Vec<&Cell> = Vec::new();
    for c in &d.cells {
        let cid = id_text(&c.id);
        let ty = c.data.as_ref().map(|d| d.ty.as_str()).unwrap_or("");
        let name = cell_name(c);
        let kind = match (ty, c.shape.as_str()) {
            ("tm.Actor", _) | (_, "actor") => Some("generic.entity"),
            ("tm.Process", _) | (_, "process") => Some("generic.process"),
            ("tm.Store", _) | (_, "store") => Some("generic.store"),
            _ => None,
        };
        let rect = match (c.position, c.size) {
            (Some(p), Some(s)) => Some((p.x + dx, p.y + dy, s.width, s.height)),
            (Some(p), None) => Some((p.x + dx, p.y + dy, 140.0, 70.0)),
            _ => None,
        };
        match (ty, c.shape.as_str()) {
            ("tm.Flow", _) | (_, "flow") => {
                flows.push(c);
                continue;
            }
            ("tm.BoundaryBox", _) | (_, "trust-boundary-box") => {
                let n = boxes.len() + 1;
                let id = bid(b.fresh_id(Ns::Boundary, &cid, &name, "boundary"));
                let name = if name.is_empty() {
                    format!("Trust boundary {n}")
                } else {
                    name
                };
                let r = rect.unwrap_or((dx, dy, 200.0, 150.0));
                let mut note = SourceNote::default();
                if let Some(data) = &c.data {
                    if let Some(desc) = &data.description
                        && !desc.trim().is_empty()
                    {
                        push_para(description, &format!("Boundary {name}: {}", desc.trim()));
                    }
                    for (k, v) in &data.rest {
                        if !DISPLAY_ONLY.contains(&k.as_str()) {
                            note.add_json(k, v);
                        }
                    }
                }
                if let Some(t) = note.into_text(&format!("Boundary {name} (Threat Dragon {ty})")) {
                    push_para(description, &t);
                }
                b.add_boundary(Boundary {
                    props: Default::default(),
                    id: id.clone(),
                    name,
                    kind: BoundaryKind::Other,
                    trust: 5,
                    parent: wrapper.cloned(),
                    rect: r,
                })?;
                boxes.push((id, r));
                continue;
            }
            ("tm.Boundary", _) | (_, "trust-boundary-curve") | (_, "trust-broundary-curve") => {
                let mut pts = Vec::new();
                if let Some(s) = &c.source {
                    pts.push((s.x.unwrap_or(0.0) + dx, s.y.unwrap_or(0.0) + dy));
                }
                pts.extend(c.vertices.iter().map(|v| (v.x + dx, v.y + dy)));
                if let Some(t) = &c.target {
                    pts.push((t.x.unwrap_or(0.0) + dx, t.y.unwrap_or(0.0) + dy));
                }
                // An unnamed line names no zone (the zones are then named after their
                // members).
                let n = name.clone();
                if !name.is_empty() {
                    line_ids.insert(n.clone(), cid.clone());
                }
                lines.push((n, pts));
                continue;
            }
            ("tm.Text", _) | (_, "td-text-block") => {
                if !name.is_empty() {
                    push_para(description, &format!("Note on {ctx}: {name}"));
                }
                continue;
            }
            _ => {}
        }
        let kind = match kind {
            Some(k) => k,
            None => {
                let shown = if ty.is_empty() {
                    &c.shape
                } else {
                    &ty.to_owned()
                };
                b.diag(
                    L::Warning,
                    "unmapped-type",
                    format!(
                        "{ctx}: cell `{cid}` has type `{}`, which Palisade does not know; imported as a generic process",
                        crate::model::truncate(shown, 60)
                    ),
                );
                "generic.process"
            }
        };
        let id = eid(b.fresh_id(Ns::Element, &cid, &name, "element"));
        let r = rect.unwrap_or((dx, dy, 140.0, 70.0));
        let mut e = element(
            id.clone(),
            if name.is_empty() { "Unnamed" } else { &name },
            kind,
            (r.0 + r.2 / 2.0, r.1 + r.3 / 2.0),
        );
        e.boundary = wrapper.cloned();
        let mut note = SourceNote::default();
        if let Some(data) = &c.data {
            if let Some(desc) = &data.description {
                set_description(&mut e.props, desc);
            }
            for (k, v) in &data.rest {
                let mapped = match (kind, k.as_str(), v) {
                    ("generic.store", "isEncrypted", J::Bool(x)) => Some(("encrypted_at_rest", *x)),
                    ("generic.store", "isSigned", J::Bool(x)) => Some(("integrity_checked", *x)),
                    _ => None,
                };
                match mapped {
                    Some((p, x)) => {
                        e.props.insert(p.into(), Value::Bool(x));
                    }
                    None if DISPLAY_ONLY.contains(&k.as_str()) => {}
                    None => match v {
                        // `false` flags and empty texts say nothing the author wrote.
                        J::Bool(false) => {}
                        _ => note.add_json(k, v),
                    },
                }
            }
        }
        note.finish(
            &mut e.props,
            &format!("Threat Dragon {}", ty_or_shape(ty, &c.shape)),
        );
        if !cid.is_empty() {
            by_cell.insert(cid.clone(), id.clone());
        }
        rects.insert(id.clone(), r);
        b.add_element(e)?;
        if let Some(data) = &c.data {
            add_threats(b, &data.threats, SubjectRef::Element(id.clone()), ctx)?;
        }
    }
    b.contain(&boxes, &rects);
    // Flows, with loose ends snapped to the element they touch.
    let mut pending: Vec<Pending> = Vec::new();
    for c in flows {
        let cid = id_text(&c.id);
        let name = {
            let n = cell_name(c);
            if n.is_empty() { label_text(c) } else { n }
        };
        let id = fid(b.fresh_id(Ns::Flow, &cid, &name, "flow"));
        let resolve = |b: &mut Builder, end: &Option<End>, which: &str| -> Option<ElementId> {
            let end = end.as_ref()?;
            if let Some(cell) = &end.cell {
                if let Some(e) = by_cell.get(cell) {
                    return Some(e.clone());
                }
                b.diag(
                    L::Warning,
                    "dangling-flow-end",
                    format!(
                        "{ctx}: flow `{cid}` {which} names cell `{cell}`, which is not an element"
                    ),
                );
                return None;
            }
            let (x, y) = (end.x? + dx, end.y? + dy);
            let near = rects
                .iter()
                .map(|(e, r)| {
                    let ddx = (r.0 - x).max(0.0).max(x - (r.0 + r.2));
                    let ddy = (r.1 - y).max(0.0).max(y - (r.1 + r.3));
                    ((ddx * ddx + ddy * ddy).sqrt(), e)
                })
                .filter(|(dist, _)| *dist <= SNAP)
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            match near {
                Some((_, e)) => {
                    b.diag(
                        L::Info,
                        "snapped-flow-end",
                        format!("{ctx}: flow `{cid}` {which} is a loose point; attached to `{e}`, the element it touches"),
                    );
                    Some(e.clone())
                }
                None => None,
            }
        };
        let source = resolve(b, &c.source, "source");
        let target = resolve(b, &c.target, "target");
        let centre = |e: &Option<ElementId>, end: &Option<End>| -> Option<(f64, f64)> {
            match e.as_ref().and_then(|e| rects.get(e)) {
                Some(r) => Some((r.0 + r.2 / 2.0, r.1 + r.3 / 2.0)),
                None => end.as_ref().and_then(|p| Some((p.x? + dx, p.y? + dy))),
            }
        };
        let mut path = Vec::new();
        path.extend(centre(&source, &c.source));
        path.extend(c.vertices.iter().map(|v| (v.x + dx, v.y + dy)));
        path.extend(centre(&target, &c.target));
        let data = c.data.as_ref().map(clone_data).unwrap_or_default();
        pending.push(Pending {
            id,
            cell_id: cid,
            name,
            source,
            target,
            path,
            data,
        });
    }
    let mut cut_list: Vec<(FlowId, Vec<String>)> = Vec::new();
    for p in pending {
        let (Some(source), Some(target)) = (p.source.clone(), p.target.clone()) else {
            b.diag(
                L::Warning,
                "loose-flow",
                format!(
                    "{ctx}: flow `{}` ({}) is not attached to an element at both ends; its threats are kept on the model",
                    p.cell_id,
                    if p.name.is_empty() { "unnamed" } else { &p.name }
                ),
            );
            add_threats(b, &p.data.threats, SubjectRef::Model, ctx)?;
            continue;
        };
        let cuts: Vec<String> = lines
            .iter()
            .filter(|(_, l)| polylines_cross(&p.path, l))
            .map(|(n, _)| n.clone())
            .collect();
        let mut props = crate::model::Props::new();
        let mut note = SourceNote::default();
        let mut two_way = false;
        if let Some(desc) = &p.data.description {
            set_description(&mut props, desc);
        }
        for (k, v) in &p.data.rest {
            match (k.as_str(), v) {
                ("isEncrypted", J::Bool(x)) => {
                    props.insert("encrypted".into(), Value::Bool(*x));
                }
                ("protocol", J::String(s)) if !s.trim().is_empty() => {
                    props.insert("protocol".into(), Value::Text(s.trim().to_owned()));
                    if s.to_ascii_lowercase().contains("https")
                        || s.to_ascii_uppercase().contains("TLS")
                    {
                        props.entry("encrypted".into()).or_insert(Value::Bool(true));
                    }
                }
                ("isBidirectional", J::Bool(x)) => two_way = *x,
                _ if DISPLAY_ONLY.contains(&k.as_str()) => {}
                (_, J::Bool(false)) => {}
                _ => note.add_json(k, v),
            }
        }
        note.finish(&mut props, "Threat Dragon tm.Flow");
        let name = if p.name.is_empty() {
            "Flow".to_owned()
        } else {
            p.name.clone()
        };
        if two_way {
            let back = fid(b.fresh_id(Ns::Flow, "", &format!("{}-back", p.id), "flow"));
            b.add_flow(Flow {
                channel: Default::default(),
                id: back.clone(),
                name: format!("{name} (back)"),
                source: target.clone(),
                target: source.clone(),
                props: props.clone(),
            })?;
            cut_list.push((back, cuts.clone()));
        }
        b.add_flow(Flow {
            channel: Default::default(),
            id: p.id.clone(),
            name,
            source,
            target,
            props,
        })?;
        cut_list.push((p.id.clone(), cuts));
        add_threats(b, &p.data.threats, SubjectRef::Flow(p.id.clone()), ctx)?;
    }
    if !lines.is_empty() {
        regions_from_lines(b, &cut_list, wrapper, "trust boundary line", &line_ids)?;
        let cut_none = cut_list.iter().all(|(_, c)| c.is_empty());
        if cut_none {
            b.diag(
                L::Info,
                "line-boundary-cuts-nothing",
                format!(
                    "{ctx}: the trust boundary lines cut no flow; they have no effect on threats"
                ),
            );
        }
    }
    Ok(())
}

/// How far (in diagram units) a loose flow end may be from an element's outline and
/// still be attached to it.
const SNAP: f64 = 40.0;

fn ty_or_shape<'a>(ty: &'a str, shape: &'a str) -> &'a str {
    if ty.is_empty() { shape } else { ty }
}

fn label_text(c: &Cell) -> String {
    c.labels
        .as_ref()
        .and_then(|l| l.get(0))
        .and_then(|l| l.get("attrs"))
        .and_then(|a| a.get("labelText"))
        .and_then(|t| t.get("text"))
        .and_then(J::as_str)
        .map(one_line)
        .unwrap_or_default()
}

fn clone_data(d: &Data) -> Data {
    Data {
        ty: d.ty.clone(),
        name: d.name.clone(),
        description: d.description.clone(),
        threats: d
            .threats
            .iter()
            .map(|t| Threat {
                id: t.id.clone(),
                title: t.title.clone(),
                ty: t.ty.clone(),
                status: t.status.clone(),
                severity: t.severity.clone(),
                description: t.description.clone(),
                mitigation: t.mitigation.clone(),
                rest: t.rest.clone(),
            })
            .collect(),
        rest: d.rest.clone(),
    }
}

fn add_threats(
    b: &mut Builder,
    threats: &[Threat],
    subject: SubjectRef,
    ctx: &str,
) -> Result<(), ImportError> {
    for t in threats {
        let tid = id_text(&t.id);
        let mut desc = t.description.trim().to_owned();
        let mut extra = Vec::new();
        let category = match stride_of(&t.ty) {
            Some(c) => c,
            None => {
                if !t.ty.trim().is_empty() {
                    b.diag(
                        L::Info,
                        "unmapped-category",
                        format!(
                            "{ctx}: threat `{tid}` has category `{}`, which is not a STRIDE or CIA word; filed as information disclosure",
                            crate::model::truncate(&t.ty, 40)
                        ),
                    );
                }
                Stride::InformationDisclosure
            }
        };
        if stride_of(&t.ty).is_none() && !t.ty.trim().is_empty() {
            extra.push(format!("type: {}", t.ty.trim()));
        }
        let severity = severity_of(&t.severity).unwrap_or_else(|| {
            if !t.severity.trim().is_empty() {
                extra.push(format!("severity: {}", t.severity.trim()));
            }
            Severity::Medium
        });
        let status = status_of(&t.status).unwrap_or_else(|| {
            if !t.status.trim().is_empty() {
                extra.push(format!("status: {}", t.status.trim()));
            }
            Status::Open
        });
        // A score that is a CVSS 3.x vector becomes the threat's vector; any other
        // score is kept in the description with the other fields Palisade has no place for.
        let mut cvss = String::new();
        for (k, v) in &t.rest {
            if k == "modelType" && v.as_str() == Some("STRIDE") {
                continue;
            }
            if k == "score"
                && let Some(s) = v.as_str()
                && crate::analysis::risk::parse_cvss(s).is_ok()
            {
                cvss = s.trim().to_owned();
                continue;
            }
            match v {
                J::Null => {}
                J::String(s) if s.trim().is_empty() => {}
                J::String(s) => extra.push(format!("{k}: {}", s.trim())),
                other => extra.push(format!("{k}: {other}")),
            }
        }
        if !extra.is_empty() {
            push_para(&mut desc, &format!("Threat Dragon: {}", extra.join("; ")));
        }
        b.add_threat(SourceThreat {
            id: tid,
            title: t.title.clone(),
            category,
            severity,
            subject: subject.clone(),
            description: desc,
            mitigations: vec![t.mitigation.clone()],
            status,
            justification: if status == Status::Mitigated {
                t.mitigation.clone()
            } else {
                String::new()
            },
            owner: String::new(),
            cvss,
            raw: false,
        })?;
    }
    Ok(())
}
