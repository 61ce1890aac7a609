//! Microsoft Threat Modeling Tool `.tm7` (a WCF data-contract XML document).
//!
//! The XML is read by `roxmltree` with DTDs refused (so no entity is declared, let
//! alone expanded), a node limit ([`super::MAX_XML_NODES`]) and a depth limit
//! ([`super::MAX_XML_DEPTH`]). Stencils become elements (stencil from the knowledge
//! base's type name through the shared table, else the generic shape of the stencil's
//! generic type), connectors flows, border boundaries boxes by containment, line
//! boundaries the zones they separate, and threat instances manual threats with their
//! state and justification.

use super::build::{
    Builder, L, Ns, SourceThreat, bid, eid, element, fid, one_line, polylines_cross,
    regions_from_lines, severity_of, status_of, stride_of,
};
use super::kinds::kind_for;
use super::notes::{SourceNote, set_description};
use super::otm::zone_kind;
use super::{ImportError, Imported, MAX_XML_DEPTH, MAX_XML_NODES};
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, ElementId, Flow, FlowId, Props, Severity, Status, Stride,
    SubjectRef, Value,
};
use crate::rules::BaseShape;
use roxmltree::{Document, Node, ParsingOptions};
use std::collections::BTreeMap;

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}
fn children<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}
fn text_of(n: Option<Node>) -> String {
    n.and_then(|n| n.text())
        .map(str::trim)
        .unwrap_or("")
        .to_owned()
}
fn num_of(n: Node, name: &str) -> Option<f64> {
    text_of(child(n, name))
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

/// One `anyType` property: its display name and value (empty when nil).
fn props_of(v: Node) -> Vec<(String, String, bool)> {
    let Some(p) = child(v, "Properties") else {
        return Vec::new();
    };
    children(p, "anyType")
        .map(|a| {
            let header = a
                .attribute((XSI, "type"))
                .is_some_and(|t| t.ends_with("HeaderDisplayAttribute"));
            (
                text_of(child(a, "DisplayName")),
                text_of(child(a, "Value")),
                header,
            )
        })
        .collect()
}

/// Values that say nothing (unset drop-downs).
fn blank(v: &str) -> bool {
    let l = v.trim().to_ascii_lowercase();
    l.is_empty() || l == "select" || l == "not selected"
}

fn yes(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

pub(super) fn import(path: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = super::utf8(path, bytes)?;
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| {
        let p = e.pos();
        let message = match e {
            roxmltree::Error::DtdDetected => {
                "the file declares a DTD; DTDs and entity declarations are refused (a .tm7 file never needs one)".to_owned()
            }
            roxmltree::Error::NodesLimitReached => {
                format!("more than {MAX_XML_NODES} XML nodes (MAX_XML_NODES); refused")
            }
            other => format!("not a valid .tm7 (XML) file: {other}"),
        };
        ImportError::Syntax {
            path: path.to_owned(),
            line: p.row as usize,
            col: p.col as usize,
            message,
        }
    })?;
    // Depth, without recursion: a node's depth is its parent's plus one, and parents
    // come before children in document order.
    let mut depth: Vec<u32> = vec![0; doc.descendants().count() + 1];
    for n in doc.descendants() {
        let d = n
            .parent()
            .map(|p| depth.get(p.id().get_usize()).copied().unwrap_or(0) + 1)
            .unwrap_or(0);
        if let Some(slot) = depth.get_mut(n.id().get_usize()) {
            *slot = d;
        }
        if d as usize > MAX_XML_DEPTH {
            let pos = doc.text_pos_at(n.range().start);
            return Err(ImportError::Syntax {
                path: path.to_owned(),
                line: pos.row as usize,
                col: pos.col as usize,
                message: format!(
                    "XML nested deeper than {MAX_XML_DEPTH} levels (MAX_XML_DEPTH); refused"
                ),
            });
        }
    }
    let root = doc.root_element();
    if root.tag_name().name() != "ThreatModel" {
        return Err(ImportError::Invalid {
            path: path.to_owned(),
            pos: Some((1, 1)),
            message: format!(
                "not a .tm7 model: the root element is `{}`, not `ThreatModel`",
                root.tag_name().name()
            ),
        });
    }
    // Knowledge base: type id -> (name, parent id, representation).
    let mut kb: BTreeMap<String, (String, String)> = BTreeMap::new();
    if let Some(k) = child(root, "KnowledgeBase") {
        for sec in ["GenericElements", "StandardElements"] {
            if let Some(s) = child(k, sec) {
                for et in children(s, "ElementType") {
                    kb.insert(
                        text_of(child(et, "Id")),
                        (text_of(child(et, "Name")), text_of(child(et, "ParentId"))),
                    );
                }
            }
        }
    }
    let meta = child(root, "MetaInformation");
    let m = |n: &str| meta.map(|x| text_of(child(x, n))).unwrap_or_default();
    let title = {
        let t = m("ThreatModelName");
        if t.is_empty() {
            "Imported TMT model".to_owned()
        } else {
            t
        }
    };
    let mut b = Builder::new(path, &title);
    b.model.metadata.owner = m("Owner");
    b.model.metadata.reviewers = [m("Reviewer"), m("Contributors")]
        .into_iter()
        .flat_map(|s| {
            s.split([',', ';'])
                .map(|x| x.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let mut desc = m("HighLevelSystemDescription");
    for (k, label) in [
        ("Assumptions", "Assumptions"),
        ("ExternalDependencies", "External dependencies"),
    ] {
        let v = m(k);
        if !v.is_empty() {
            push_para(&mut desc, &format!("{label}: {v}"));
        }
    }
    if let Some(notes) = child(root, "Notes") {
        for n in notes
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "Message")
        {
            let t = text_of(Some(n));
            if !t.is_empty() {
                push_para(&mut desc, &format!("Note: {t}"));
            }
        }
    }
    let surfaces: Vec<Node> = child(root, "DrawingSurfaceList")
        .map(|l| l.children().filter(|c| c.is_element()).collect())
        .unwrap_or_default();
    let several = surfaces.len() > 1;
    let mut flow_of_guid: BTreeMap<String, FlowId> = BTreeMap::new();
    let mut elem_of_guid: BTreeMap<String, ElementId> = BTreeMap::new();
    let mut x_offset = 0.0f64;
    for (si, s) in surfaces.iter().enumerate() {
        let header = {
            let h = text_of(child(*s, "Header"));
            if h.is_empty() {
                format!("Diagram {}", si + 1)
            } else {
                h
            }
        };
        let ctx = format!("diagram `{header}`");
        let items: Vec<Node> = ["Borders", "Lines"]
            .iter()
            .filter_map(|p| child(*s, p))
            .flat_map(|p| children(p, "KeyValueOfguidanyType").collect::<Vec<_>>())
            .filter_map(|kv| child(kv, "Value"))
            .collect();
        // Extent for side-by-side diagrams.
        let mut max_x = 0.0f64;
        for v in &items {
            if let (Some(l), Some(w)) = (num_of(*v, "Left"), num_of(*v, "Width")) {
                max_x = max_x.max(l + w);
            }
        }
        let dx = if several { x_offset } else { 0.0 };
        let wrapper = if several {
            let id = bid(b.fresh_id(Ns::Boundary, "", &format!("diagram-{}", si + 1), "diagram"));
            b.add_boundary(Boundary {
                props: Default::default(),
                id: id.clone(),
                name: header.clone(),
                kind: BoundaryKind::Other,
                trust: 5,
                parent: None,
                rect: (dx - 20.0, -20.0, max_x + 40.0, 2000.0),
            })?;
            x_offset += max_x + 200.0;
            Some(id)
        } else {
            None
        };
        let mut rects: BTreeMap<ElementId, (f64, f64, f64, f64)> = BTreeMap::new();
        let mut boxes: Vec<(BoundaryId, (f64, f64, f64, f64))> = Vec::new();
        let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let mut line_ids: BTreeMap<String, String> = BTreeMap::new();
        let mut connectors: Vec<Node> = Vec::new();
        let mut max_y = 0.0f64;
        for v in &items {
            let xtype = v.attribute((XSI, "type")).unwrap_or("");
            let generic = text_of(child(*v, "GenericTypeId"));
            let type_id = text_of(child(*v, "TypeId"));
            let guid = text_of(child(*v, "Guid"));
            let props = props_of(*v);
            let name = props
                .iter()
                .find(|(k, _, h)| k == "Name" && !h)
                .map(|(_, v, _)| one_line(v))
                .unwrap_or_default();
            let header_name = props
                .iter()
                .find(|(_, _, h)| *h)
                .map(|(k, _, _)| k.clone())
                .unwrap_or_default();
            let type_name = kb.get(&type_id).map(|(n, _)| n.clone()).unwrap_or_default();
            let type_label = if !type_name.is_empty() {
                type_name.clone()
            } else {
                header_name.clone()
            };
            let rect = match (num_of(*v, "Left"), num_of(*v, "Top")) {
                (Some(l), Some(t)) => Some((
                    l + dx,
                    t,
                    num_of(*v, "Width").unwrap_or(100.0),
                    num_of(*v, "Height").unwrap_or(100.0),
                )),
                _ => None,
            };
            if let Some(r) = rect {
                max_y = max_y.max(r.1 + r.3);
            }
            match xtype {
                "Connector" => {
                    connectors.push(*v);
                    continue;
                }
                "LineBoundary" => {
                    let pt = |x: &str, y: &str| Some((num_of(*v, x)? + dx, num_of(*v, y)?));
                    let pts: Vec<(f64, f64)> = [
                        pt("SourceX", "SourceY"),
                        pt("HandleX", "HandleY"),
                        pt("TargetX", "TargetY"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    let n = if name.is_empty() {
                        type_label.clone()
                    } else {
                        name.clone()
                    };
                    line_ids.insert(n.clone(), guid.clone());
                    lines.push((n, pts));
                    continue;
                }
                "BorderBoundary" => {
                    let bname = if name.is_empty() {
                        type_label.clone()
                    } else {
                        name.clone()
                    };
                    let bname = if bname.is_empty() {
                        "Trust boundary".to_owned()
                    } else {
                        bname
                    };
                    let id = bid(b.fresh_id(Ns::Boundary, &guid, &bname, "boundary"));
                    let mut kind = zone_kind(&type_label);
                    if kind == BoundaryKind::Other {
                        kind = zone_kind(&bname);
                    }
                    let trust = if kind == BoundaryKind::Internet { 0 } else { 5 };
                    let mut note = SourceNote::default();
                    note.add("type", &type_label);
                    for (k, val, h) in &props {
                        if !h && k != "Name" && !blank(val) {
                            note.add(k, val);
                        }
                    }
                    if let Some(t) = note.into_text(&format!("Boundary {bname} (TMT)")) {
                        push_para(&mut desc, &t);
                    }
                    let r = rect.unwrap_or((dx, 0.0, 200.0, 150.0));
                    b.add_boundary(Boundary {
                        props: Default::default(),
                        id: id.clone(),
                        name: bname,
                        kind,
                        trust,
                        parent: wrapper.clone(),
                        rect: r,
                    })?;
                    boxes.push((id, r));
                    continue;
                }
                _ => {}
            }
            if generic == "GE.A" {
                let t = props
                    .iter()
                    .filter(|(_, v, h)| !h && !blank(v))
                    .map(|(_, v, _)| v.clone())
                    .collect::<Vec<_>>()
                    .join(" ");
                if !t.is_empty() {
                    push_para(&mut desc, &format!("Annotation on {ctx}: {t}"));
                }
                continue;
            }
            let base = match (generic.as_str(), xtype) {
                ("GE.EI", _) | (_, "StencilRectangle") => Some(BaseShape::Entity),
                ("GE.P", _) | (_, "StencilEllipse") => Some(BaseShape::Process),
                ("GE.DS", _) | (_, "StencilParallelLines") => Some(BaseShape::Store),
                _ => None,
            };
            let (kind, known) = kind_for(&[&type_name, &header_name], base);
            if !known {
                b.diag(
                    L::Info,
                    "unmapped-type",
                    format!(
                        "{ctx}: stencil `{}` has no Palisade stencil; imported as {kind}",
                        if type_label.is_empty() {
                            &type_id
                        } else {
                            &type_label
                        }
                    ),
                );
            }
            let id = eid(b.fresh_id(Ns::Element, &guid, &name, "element"));
            let r = rect.unwrap_or((dx, 0.0, 100.0, 100.0));
            let mut e = element(
                id.clone(),
                if name.is_empty() { &type_label } else { &name },
                kind,
                (r.0 + r.2 / 2.0, r.1 + r.3 / 2.0),
            );
            e.boundary = wrapper.clone();
            let mut note = SourceNote::default();
            note.add("stencil", &type_label);
            for (k, val, h) in &props {
                if *h || k == "Name" || blank(val) {
                    continue;
                }
                let lk = k.to_ascii_lowercase();
                if kind == "generic.store"
                    && lk.contains("encrypt")
                    && let Some(x) = yes(val)
                {
                    e.props.insert("encrypted_at_rest".into(), Value::Bool(x));
                    continue;
                }
                if lk == "description" {
                    set_description(&mut e.props, val);
                    continue;
                }
                note.add(k, val);
            }
            note.finish(&mut e.props, "Microsoft TMT stencil");
            elem_of_guid.insert(guid.clone(), id.clone());
            rects.insert(id.clone(), r);
            b.add_element(e)?;
        }
        if let Some(w) = &wrapper
            && let Some(bb) = b.model.boundaries.get_mut(w)
        {
            bb.rect.3 = max_y + 60.0;
        }
        b.contain(&boxes, &rects);
        // Connectors.
        let mut cut_list: Vec<(FlowId, Vec<String>)> = Vec::new();
        for v in connectors {
            let guid = text_of(child(v, "Guid"));
            let props = props_of(v);
            let name = props
                .iter()
                .find(|(k, _, h)| k == "Name" && !h)
                .map(|(_, v, _)| one_line(v))
                .unwrap_or_default();
            let header_name = props
                .iter()
                .find(|(_, _, h)| *h)
                .map(|(k, _, _)| k.clone())
                .unwrap_or_default();
            let type_id = text_of(child(v, "TypeId"));
            let type_name = kb
                .get(&type_id)
                .map(|(n, _)| n.clone())
                .unwrap_or(header_name.clone());
            let src = elem_of_guid.get(&text_of(child(v, "SourceGuid"))).cloned();
            let dst = elem_of_guid.get(&text_of(child(v, "TargetGuid"))).cloned();
            let (Some(src), Some(dst)) = (src, dst) else {
                b.diag(
                    L::Warning,
                    "loose-flow",
                    format!("{ctx}: data flow `{guid}` ({}) is not attached to an element at both ends; skipped, its threats are kept on the model", if name.is_empty() { "unnamed" } else { &name }),
                );
                continue;
            };
            let id = fid(b.fresh_id(Ns::Flow, &guid, &name, "flow"));
            let mut p = Props::new();
            let mut note = SourceNote::default();
            note.add("type", &type_name);
            let t = type_name.to_ascii_uppercase();
            for proto in [
                "HTTPS", "HTTP", "IPSEC", "SMB", "RPC", "ALPC", "IOCTL", "UDP", "TCP", "SQL",
                "AMQP", "MQTT", "GRPC",
            ] {
                if super::kinds::words(&t)
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(proto))
                {
                    p.insert("protocol".into(), Value::Text(type_name.clone()));
                    if proto == "HTTPS" || proto == "IPSEC" {
                        p.insert("encrypted".into(), Value::Bool(true));
                    }
                    break;
                }
            }
            let mut src_auth = None;
            let mut dst_auth = None;
            for (k, val, h) in &props {
                if *h || k == "Name" || blank(val) {
                    continue;
                }
                match (k.as_str(), yes(val)) {
                    ("Provides Confidentiality", Some(x)) => {
                        p.insert("encrypted".into(), Value::Bool(x));
                    }
                    ("Provides Integrity", Some(x)) => {
                        p.insert("integrity_protected".into(), Value::Bool(x));
                    }
                    ("Source Authenticated", Some(x)) => src_auth = Some(x),
                    ("Destination Authenticated", Some(x)) => dst_auth = Some(x),
                    _ => {}
                }
                note.add(k, val);
            }
            if let Some(x) = src_auth {
                p.insert("authenticated".into(), Value::Bool(x));
            }
            if let (Some(true), Some(true)) = (src_auth, dst_auth) {
                p.insert("mutual_auth".into(), Value::Bool(true));
            }
            note.finish(&mut p, "Microsoft TMT data flow");
            let pt = |x: &str, y: &str| Some((num_of(v, x)? + dx, num_of(v, y)?));
            let path: Vec<(f64, f64)> = [
                pt("SourceX", "SourceY"),
                pt("HandleX", "HandleY"),
                pt("TargetX", "TargetY"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let cuts: Vec<String> = lines
                .iter()
                .filter(|(_, l)| polylines_cross(&path, l))
                .map(|(n, _)| n.clone())
                .collect();
            b.add_flow(Flow {
                channel: Default::default(),
                id: id.clone(),
                name: if name.is_empty() {
                    type_name.clone()
                } else {
                    name
                },
                source: src,
                target: dst,
                props: p,
            })?;
            flow_of_guid.insert(guid, id.clone());
            cut_list.push((id, cuts));
        }
        if !lines.is_empty() {
            regions_from_lines(
                &mut b,
                &cut_list,
                wrapper.as_ref(),
                "TMT line boundary",
                &line_ids,
            )?;
        }
    }
    // Threat instances.
    if let Some(ti) = child(root, "ThreatInstances") {
        for kv in ti.children().filter(|c| c.is_element()) {
            let Some(v) = child(kv, "Value") else {
                continue;
            };
            let key = text_of(child(kv, "Key"));
            let mut fields: BTreeMap<String, String> = BTreeMap::new();
            if let Some(p) = child(v, "Properties") {
                for e in children(p, "KeyValueOfstringstring") {
                    fields.insert(text_of(child(e, "Key")), text_of(child(e, "Value")));
                }
            }
            let own = |n: &str| text_of(child(v, n));
            let tid = own("Id");
            let flow = flow_of_guid.get(&own("FlowGuid")).cloned();
            let subject = match flow {
                Some(f) => SubjectRef::Flow(f),
                None => elem_of_guid
                    .get(&own("TargetGuid"))
                    .map(|e| SubjectRef::Element(e.clone()))
                    .unwrap_or(SubjectRef::Model),
            };
            let title = fields
                .get("Title")
                .cloned()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| own("Title"));
            let cat_text = fields
                .get("UserThreatCategory")
                .cloned()
                .unwrap_or_else(|| own("UserThreatCategory"));
            let category = stride_of(&cat_text).unwrap_or(Stride::InformationDisclosure);
            let state = own("State");
            let status = status_of(&state).unwrap_or(Status::Open);
            let severity = severity_of(&own("Priority")).unwrap_or(Severity::Medium);
            let mut description = fields
                .get("UserThreatDescription")
                .cloned()
                .unwrap_or_default();
            if description.is_empty() {
                description = fields
                    .get("UserThreatShortDescription")
                    .cloned()
                    .unwrap_or_default();
            }
            let mut extra = vec![format!("type {}", own("TypeId")), format!("state {state}")];
            if stride_of(&cat_text).is_none() && !cat_text.is_empty() {
                extra.push(format!("category {cat_text}"));
            }
            for (k, val) in &fields {
                if !matches!(
                    k.as_str(),
                    "Title"
                        | "UserThreatCategory"
                        | "UserThreatDescription"
                        | "UserThreatShortDescription"
                        | "StateInformation"
                ) && !val.is_empty()
                {
                    extra.push(format!("{k}: {val}"));
                }
            }
            push_para(
                &mut description,
                &format!("Microsoft TMT: {}", extra.join("; ")),
            );
            let justification = {
                let s = own("StateInformation");
                if s.is_empty() {
                    fields.get("StateInformation").cloned().unwrap_or_default()
                } else {
                    s
                }
            };
            let mitigations: Vec<String> = fields
                .iter()
                .filter(|(k, _)| k.to_ascii_lowercase().contains("mitigation"))
                .map(|(_, v)| v.clone())
                .collect();
            b.add_threat(SourceThreat {
                id: if tid.is_empty() { key } else { tid },
                title,
                category,
                severity,
                subject,
                description,
                mitigations,
                status,
                justification,
                owner: own("ChangedBy"),
                cvss: String::new(),
                raw: false,
            })?;
        }
    }
    b.model.metadata.description = desc;
    Ok(b.finish())
}

fn push_para(t: &mut String, p: &str) {
    if !t.is_empty() {
        t.push_str("\n\n");
    }
    t.push_str(p);
}
