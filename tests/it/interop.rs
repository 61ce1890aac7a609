//! Interchange: every public sample imports with the counts its source file has; the TMT
//! files match another converter's OTM; hostile files give one located error; exports
//! are valid against the published schemas; Palisade → OTM → Palisade keeps everything.

use crate::common::{catalog, examples, root};
use palisade::analysis::analyze;
use palisade::diag::Level;
use palisade::export::{self, ExportFormat};
use palisade::import::{self, Format, ImportError, Imported};
use palisade::model::{
    Boundary, BoundaryKind, Element, Flow, ManualThreat, Model, Severity, Status, Stride,
    SubjectRef, Triage, Value,
};
use proptest::prelude::*;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The interop samples folder, or `None` (with a message) when it is absent.
fn samples(sub: &str) -> Option<PathBuf> {
    let p = root().join("../shared/samples/interop").join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn import_file(p: &Path, format: Option<Format>) -> Result<Imported, ImportError> {
    import::import(format, &[(p.display().to_string(), read(p))])
}

fn imported(p: &Path) -> Imported {
    match import_file(p, None) {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    }
}

/// Checks what every import must give: a model with no validation errors, every
/// element and boundary laid out at finite coordinates, and triage for every carried
/// threat.
fn sane(name: &str, imp: &Imported) {
    let a = analyze(&imp.model, catalog());
    let errors: Vec<String> = a
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: model errors:\n{}",
        errors.join("\n")
    );
    let warnings: Vec<String> = a
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .map(|d| d.to_string())
        .collect();
    assert!(
        warnings.is_empty(),
        "{name}: model warnings:\n{}",
        warnings.join("\n")
    );
    for e in imp.model.elements.values() {
        assert!(
            e.pos.0.is_finite() && e.pos.1.is_finite(),
            "{name}: {}",
            e.id
        );
    }
    for b in imp.model.boundaries.values() {
        assert!(
            b.rect.2 > 0.0 && b.rect.3 > 0.0,
            "{name}: boundary {} has no size",
            b.id
        );
    }
    for id in imp.model.manual_threats.keys() {
        assert!(
            imp.model.triage.contains_key(id),
            "{name}: {id} has no triage"
        );
    }
}

// ---------------------------------------------------------------- Threat Dragon

fn td_cells(doc: &J) -> Vec<&J> {
    doc["detail"]["diagrams"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["cells"].as_array().into_iter().flatten())
        .collect()
}

fn td_type(c: &J) -> &str {
    c["data"]["type"].as_str().unwrap_or("")
}

#[test]
fn threat_dragon_samples_import_with_their_counts() {
    let Some(dir) = samples("threat-dragon") else {
        return;
    };
    let mut seen = 0;
    for name in [
        "v2-threat-model.json",
        "three-tier-web-app.json",
        "iot-device.json",
        "test-reports.json",
    ] {
        let p = dir.join(name);
        let doc: J = serde_json::from_slice(&read(&p)).expect("sample JSON");
        let imp = imported(&p);
        sane(name, &imp);
        let cells = td_cells(&doc);
        let elements = cells
            .iter()
            .filter(|c| matches!(td_type(c), "tm.Actor" | "tm.Process" | "tm.Store"))
            .count();
        assert_eq!(imp.model.elements.len(), elements, "{name}: elements");
        let flows: Vec<&&J> = cells.iter().filter(|c| td_type(c) == "tm.Flow").collect();
        let bidi = flows
            .iter()
            .filter(|c| c["data"]["isBidirectional"] == true)
            .count();
        let open_ended = flows
            .iter()
            .filter(|c| c["source"]["cell"].is_null() || c["target"]["cell"].is_null())
            .count();
        // Dropped flows are named in a diagnostic; only open-ended ones may be dropped,
        // and a dropped two-way flow takes its reverse with it.
        let dropped: Vec<&&&J> = flows
            .iter()
            .filter(|c| {
                let id = c["id"].as_str().unwrap_or("");
                imp.diagnostics
                    .iter()
                    .any(|d| d.code == "loose-flow" && d.message.contains(id))
            })
            .collect();
        assert!(
            dropped.len() <= open_ended,
            "{name}: a flow attached at both ends was dropped"
        );
        let dropped_bidi = dropped
            .iter()
            .filter(|c| c["data"]["isBidirectional"] == true)
            .count();
        assert_eq!(
            imp.model.flows.len(),
            flows.len() + bidi - dropped.len() - dropped_bidi,
            "{name}: flows"
        );
        // Every boundary box is a boundary with the cell's id.
        for c in cells.iter().filter(|c| td_type(c) == "tm.BoundaryBox") {
            let id = c["id"].as_str().expect("box id");
            assert!(imp.model.boundaries.contains_key(id), "{name}: box {id}");
        }
        // Every threat comes over, with its id, on its cell, with its status.
        let mut threats = 0;
        for c in &cells {
            for t in c["data"]["threats"].as_array().into_iter().flatten() {
                threats += 1;
                let id = t["id"].as_str().expect("threat id");
                let mt = imp
                    .model
                    .manual_threats
                    .get(id)
                    .unwrap_or_else(|| panic!("{name}: threat {id} missing"));
                let cell = c["id"].as_str().unwrap_or("");
                match &mt.subject {
                    SubjectRef::Element(e) => assert_eq!(e.as_str(), cell, "{name}: {id}"),
                    SubjectRef::Flow(f) => assert_eq!(f.as_str(), cell, "{name}: {id}"),
                    SubjectRef::Model => assert!(open_ended > 0, "{name}: {id} on the model"),
                    other => panic!("{name}: {id} on {other:?}"),
                }
                let want = match t["status"].as_str().unwrap_or("") {
                    "Mitigated" => Status::Mitigated,
                    "NotApplicable" | "N/A" => Status::NotApplicable,
                    _ => Status::Open,
                };
                assert_eq!(imp.model.triage[id].status, want, "{name}: {id} status");
                assert_eq!(
                    mt.title,
                    t["title"].as_str().unwrap_or("").trim(),
                    "{name}: {id}"
                );
            }
        }
        assert_eq!(imp.model.manual_threats.len(), threats, "{name}: threats");
        // Several diagrams: one top-level boundary each.
        let diagrams = doc["detail"]["diagrams"].as_array().map_or(0, Vec::len);
        if diagrams > 1 {
            let tops: BTreeSet<&str> = imp
                .model
                .boundaries
                .values()
                .filter(|b| b.parent.is_none())
                .map(|b| b.name.as_str())
                .collect();
            for d in doc["detail"]["diagrams"].as_array().into_iter().flatten() {
                let t = d["title"].as_str().unwrap_or("");
                assert!(tops.contains(t), "{name}: diagram {t} has no boundary");
            }
        }
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn threat_dragon_demo_curves_separate_the_zones_they_cut() {
    let Some(dir) = samples("threat-dragon") else {
        return;
    };
    let imp = imported(&dir.join("v2-threat-model.json"));
    let m = &imp.model;
    let home = |name: &str| {
        m.elements
            .values()
            .find(|e| e.name == name)
            .and_then(|e| e.boundary.clone())
            .unwrap_or_else(|| panic!("{name} has no zone"))
    };
    // The three curves cut Browser | Web Application | Message Queue | Worker | Database.
    let zones: BTreeSet<_> = [
        "Browser",
        "Web Application",
        "Message Queue",
        "Background Worker Process",
        "Database",
    ]
    .iter()
    .map(|n| home(n))
    .collect();
    assert_eq!(zones.len(), 5);
    // Uncut flows keep their ends together.
    assert_eq!(home("Web Application Config"), home("Web Application"));
    assert_eq!(home("Worker Config"), home("Background Worker Process"));
    // The loose end of "Web Request" touches the Browser and was attached to it.
    let wr = m
        .flows
        .values()
        .find(|f| f.name == "Web Request")
        .expect("Web Request");
    assert_eq!(m.elements[&wr.source].name, "Browser");
    // So crossing rules see the curve: the web request crosses a boundary.
    let a = analyze(m, catalog());
    let crossing_rule = |t: &palisade::analysis::Threat| match t.origin {
        palisade::analysis::Origin::Rule(i) => {
            catalog().rules[i].rule.applies == palisade::rules::Applies::Crossings
        }
        palisade::analysis::Origin::Manual => false,
    };
    assert!(
        a.threats.iter().any(|t| crossing_rule(t)
            && matches!(&t.subject, palisade::analysis::Subject::Flow(f) if *f == wr.id)),
        "no crossing threat on the web request"
    );
}

#[test]
fn threat_dragon_malformed_sample_gives_a_clear_message() {
    let Some(dir) = samples("threat-dragon") else {
        return;
    };
    let p = dir.join("v2-malformed-new-model.json");
    let e = import_file(&p, None).expect_err("malformed model imports");
    let msg = e.to_string();
    assert!(msg.contains("v2-malformed-new-model.json:1:1:"), "{msg}");
    assert!(
        msg.contains("not a Threat Dragon v2 model") && msg.contains("`detail`"),
        "{msg}"
    );
    // With the format forced, the same clear message.
    let e = import_file(&p, Some(Format::ThreatDragon)).expect_err("forced");
    assert!(e.to_string().contains("details"), "{e}");
}

// ---------------------------------------------------------------- OTM

#[test]
fn otm_samples_import_with_their_counts() {
    let Some(dir) = samples("otm") else { return };
    for name in [
        "EXAMPLE.json",
        "EXAMPLE.yaml",
        "example-open-threat-model.json",
        "mobile-cloud.otm.json",
    ] {
        let p = dir.join(name);
        let doc: J = if name.ends_with(".yaml") {
            serde_norway::from_slice(&read(&p)).expect("sample YAML")
        } else {
            serde_json::from_slice(&read(&p)).expect("sample JSON")
        };
        let imp = imported(&p);
        sane(name, &imp);
        let list = |k: &str| doc[k].as_array().cloned().unwrap_or_default();
        assert_eq!(
            imp.model.elements.len(),
            list("components").len(),
            "{name}: components"
        );
        assert_eq!(
            imp.model.boundaries.len(),
            list("trustZones").len(),
            "{name}: trust zones"
        );
        let bidi = list("dataflows")
            .iter()
            .filter(|d| d["bidirectional"] == true)
            .count();
        assert_eq!(
            imp.model.flows.len(),
            list("dataflows").len() + bidi,
            "{name}: dataflows"
        );
        // One manual threat per threat instance, plus threats no instance names.
        let mut instances = 0;
        let mut named = BTreeSet::new();
        for c in list("components").iter().chain(list("dataflows").iter()) {
            for t in c["threats"].as_array().into_iter().flatten() {
                instances += 1;
                named.insert(t["threat"].as_str().unwrap_or("").to_owned());
            }
        }
        let lone = list("threats")
            .iter()
            .filter(|t| !named.contains(t["id"].as_str().unwrap_or("")))
            .count();
        assert_eq!(
            imp.model.manual_threats.len(),
            instances + lone,
            "{name}: threats"
        );
        // Trust zones keep their names and parents; components their zone.
        for z in list("trustZones") {
            let id = z["id"].as_str().unwrap_or("");
            let b = &imp.model.boundaries[id];
            assert_eq!(b.name, z["name"].as_str().unwrap_or(""), "{name}");
            assert_eq!(
                b.parent.as_ref().map(|p| p.as_str()),
                z["parent"]["trustZone"].as_str(),
                "{name}: {id}"
            );
        }
        for c in list("components") {
            let id = c["id"].as_str().unwrap_or("");
            if let Some(z) = c["parent"]["trustZone"].as_str() {
                assert_eq!(
                    imp.model.elements[id].boundary.as_ref().map(|b| b.as_str()),
                    Some(z),
                    "{name}: {id}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- Threagile

#[test]
fn threagile_demo_imports_with_its_counts() {
    let Some(dir) = samples("threagile") else {
        return;
    };
    let p = dir.join("threagile-example.yaml");
    let doc: J = serde_norway::from_slice(&read(&p)).expect("sample YAML");
    let imp = imported(&p);
    sane("threagile", &imp);
    let m = &imp.model;
    let assets = doc["technical_assets"].as_object().expect("assets");
    assert_eq!(m.elements.len(), assets.len(), "technical assets");
    let links: usize = assets
        .values()
        .map(|a| a["communication_links"].as_object().map_or(0, |l| l.len()))
        .sum();
    assert_eq!(m.flows.len(), links, "communication links");
    let tbs = doc["trust_boundaries"]
        .as_object()
        .expect("trust boundaries");
    let internet = m
        .boundaries
        .values()
        .filter(|b| b.kind == BoundaryKind::Internet)
        .count();
    assert_eq!(
        m.boundaries.len(),
        tbs.len() + internet,
        "trust boundaries (+ the Internet one)"
    );
    // Nesting as in the file.
    for tb in tbs.values() {
        let id = tb["id"].as_str().unwrap_or("");
        for child in tb["trust_boundaries_nested"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let c = child.as_str().unwrap_or("");
            assert_eq!(
                m.boundaries[c].parent.as_ref().map(|p| p.as_str()),
                Some(id)
            );
        }
        for a in tb["technical_assets_inside"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let a = a.as_str().unwrap_or("");
            assert_eq!(
                m.elements[a].boundary.as_ref().map(|b| b.as_str()),
                Some(id),
                "{a}"
            );
        }
    }
    // Every asset marked `internet` and in no boundary is in the Internet boundary.
    for a in assets.values().filter(|a| a["internet"] == true) {
        let id = a["id"].as_str().unwrap_or("");
        let b = m.elements[id].boundary.as_ref().expect("a boundary");
        assert!(
            m.boundaries[b].kind == BoundaryKind::Internet
                || tbs.values().any(|t| t["id"] == b.as_str())
        );
    }
    // Carried-over risks: each individual risk, and each risk_tracking entry.
    let individual: usize = doc["individual_risk_categories"]
        .as_object()
        .map(|c| {
            c.values()
                .map(|r| r["risks_identified"].as_object().map_or(0, |x| x.len()))
                .sum()
        })
        .unwrap_or(0);
    let tracking = doc["risk_tracking"].as_object().expect("risk_tracking");
    // None of the demo's tracking entries names an individual risk, so each is its own.
    assert_eq!(m.manual_threats.len(), individual + tracking.len());
    for (key, t) in tracking {
        let id = key.replace("@*", "").replace('@', ".");
        let tr = &m.triage[id.as_str()];
        let want = match t["status"].as_str().unwrap_or("") {
            "accepted" => Status::AcceptedRisk,
            "mitigated" => Status::Mitigated,
            "in-progress" | "in-discussion" => Status::NeedsInvestigation,
            "false-positive" => Status::NotApplicable,
            _ => Status::Open,
        };
        assert_eq!(tr.status, want, "{key}");
        assert_eq!(tr.ticket, t["ticket"].as_str().unwrap_or(""), "{key}");
    }
    // The one entry naming an asset is about that asset.
    let ud = &m.manual_threats["untrusted-deserialization.erp-system"];
    assert_eq!(ud.subject, SubjectRef::Element("erp-system".into()));
    assert_eq!(ud.category, Stride::Tampering);
    // Mapped properties: the https link is encrypted, the build server a build stencil.
    assert_eq!(m.elements["jenkins-build-server"].kind, "docker.build");
    let https = m
        .flows
        .values()
        .find(|f| f.props.get("protocol") == Some(&Value::Text("https".into())))
        .expect("an https link");
    assert_eq!(https.props.get("encrypted"), Some(&Value::Bool(true)));
}

// ---------------------------------------------------------------- TMT

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Counts in a .tm7 read by the test itself: stencils, border boundaries, connectors
/// attached at both ends, threat instances.
fn tm7_counts(text: &str) -> (usize, usize, usize, usize) {
    let doc = roxmltree::Document::parse(text).expect("sample XML");
    let mut stencils = BTreeSet::new();
    let (mut borders, mut connectors, mut threats) = (0, Vec::new(), 0);
    for v in doc.descendants().filter(|n| {
        n.has_tag_name((
            "http://schemas.microsoft.com/2003/10/Serialization/Arrays",
            "Value",
        )) || n.tag_name().name() == "Value"
    }) {
        let Some(ty) = v.attribute((XSI, "type")) else {
            continue;
        };
        let field = |name: &str| {
            v.children()
                .find(|c| c.tag_name().name() == name)
                .and_then(|c| c.text())
                .unwrap_or("")
                .to_owned()
        };
        match ty {
            "BorderBoundary" => borders += 1,
            "Connector" => connectors.push((field("SourceGuid"), field("TargetGuid"))),
            "LineBoundary" => {}
            t if t.starts_with("Stencil") && field("GenericTypeId") != "GE.A" => {
                stencils.insert(field("Guid"));
            }
            _ => {}
        }
    }
    for n in doc
        .descendants()
        .filter(|n| n.tag_name().name() == "ThreatInstances")
    {
        threats += n.children().filter(|c| c.is_element()).count();
    }
    let attached = connectors
        .iter()
        .filter(|(s, t)| stencils.contains(s) && stencils.contains(t))
        .count();
    (stencils.len(), borders, attached, threats)
}

#[test]
fn tmt_samples_import_with_their_counts() {
    let Some(dir) = samples("tm7") else { return };
    for name in [
        "MTMT_MVP.tm7",
        "MTMT_nested_tz.tm7",
        "MTMT_simple_line_boundary.tm7",
        "SDL_all_components.tm7",
        "test_model.tm7",
    ] {
        let p = dir.join(name);
        let text = String::from_utf8(read(&p)).expect("UTF-8");
        let (stencils, borders, flows, threats) = tm7_counts(&text);
        let imp = imported(&p);
        sane(name, &imp);
        assert_eq!(imp.model.elements.len(), stencils, "{name}: stencils");
        let zones = imp.model.boundaries.len() - borders;
        assert!(imp.model.boundaries.len() >= borders, "{name}: borders");
        if !text.contains("LineBoundary") {
            assert_eq!(zones, 0, "{name}: zones without a line boundary");
        }
        assert_eq!(imp.model.flows.len(), flows, "{name}: connectors");
        assert_eq!(
            imp.model.manual_threats.len(),
            threats,
            "{name}: threat instances"
        );
    }
}

/// (id, name, parent) triples.
type Parts = BTreeSet<(String, String, String)>;

/// (id, name, parent) of the trust zones and components of a converter's OTM.
fn otm_parts(doc: &J) -> (Parts, Parts) {
    let s = |v: &J| v.as_str().unwrap_or("").to_owned();
    let zones = doc["trustZones"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|z| (s(&z["id"]), s(&z["name"]), s(&z["parent"]["trustZone"])))
        .collect();
    let comps = doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (s(&c["id"]), s(&c["name"]), s(&c["parent"]["trustZone"])))
        .collect();
    (zones, comps)
}

fn model_parts(m: &Model) -> (Parts, Parts) {
    let zones = m
        .boundaries
        .values()
        .map(|b| {
            (
                b.id.to_string(),
                b.name.clone(),
                b.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let comps = m
        .elements
        .values()
        .map(|e| {
            (
                e.id.to_string(),
                e.name.clone(),
                e.boundary
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    (zones, comps)
}

#[test]
fn tmt_imports_match_the_expected_otm_conversions() {
    let Some(dir) = samples("tm7") else { return };
    for (tm7, otm) in [
        ("MTMT_nested_tz.tm7", "expected-nested_tz.otm"),
        ("MTMT_MVP.tm7", "expected-MTMT_MVP.otm"),
    ] {
        let imp = imported(&dir.join(tm7));
        let doc: J = serde_json::from_slice(&read(&dir.join(otm))).expect("expected OTM");
        let (want_zones, want_comps) = otm_parts(&doc);
        let (zones, comps) = model_parts(&imp.model);
        // Same ids, names and parents. The line boundary of nested_tz ("Internet
        // Boundary") becomes, as in the converter's output, a zone holding the element
        // on its open side, under the line's own id.
        assert_eq!(zones, want_zones, "{tm7}: trust zones");
        assert_eq!(comps, want_comps, "{tm7}: components");
        let flows: usize = doc["dataflows"].as_array().map_or(0, Vec::len);
        assert_eq!(imp.model.flows.len(), flows, "{tm7}: dataflows");
        let threats: usize = doc["components"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["threats"].as_array().map_or(0, Vec::len))
            .sum();
        if threats > 0 {
            // The converter files TMT's interaction threats under the flow's target
            // component; Palisade keeps them on the flow itself (where TMT puts them).
            assert_eq!(imp.model.manual_threats.len(), threats, "{tm7}: threats");
            assert!(
                imp.model
                    .manual_threats
                    .values()
                    .all(|t| matches!(t.subject, SubjectRef::Flow(_)))
            );
        }
    }
    // The third "expected" file is the converter's XML-to-JSON dump of test_model.tm7,
    // not an OTM: its stencils' Name properties are the element and boundary names.
    let imp = imported(&dir.join("test_model.tm7"));
    let dump: J =
        serde_json::from_slice(&read(&dir.join("expected-test_model_tm7.otm"))).expect("dump");
    let borders = &dump["ThreatModel"]["DrawingSurfaceList"]["DrawingSurfaceModel"]["Borders"]["KeyValueOfguidanyType"];
    let mut names = BTreeSet::new();
    for kv in borders.as_array().into_iter().flatten() {
        let v = &kv["Value"];
        for p in v["Properties"]["anyType"].as_array().into_iter().flatten() {
            if p["DisplayName"] == "Name" {
                names.insert((
                    kv["Key"].as_str().unwrap_or("").to_owned(),
                    p["Value"]["text"].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
    }
    let ours: BTreeSet<(String, String)> = imp
        .model
        .elements
        .values()
        .map(|e| (e.id.to_string(), e.name.clone()))
        .chain(
            imp.model
                .boundaries
                .values()
                .map(|b| (b.id.to_string(), b.name.clone())),
        )
        .collect();
    assert_eq!(ours, names);
    // The custom knowledge base's "Boundaries" nest by containment.
    assert!(imp.model.boundaries.values().any(|b| b.parent.is_some()));
}

#[test]
fn tmt_stencils_map_by_their_type_name() {
    let Some(dir) = samples("tm7") else { return };
    let imp = imported(&dir.join("SDL_all_components.tm7"));
    let kinds: BTreeSet<&str> = imp
        .model
        .elements
        .values()
        .map(|e| e.kind.as_str())
        .collect();
    // SDL's stencils are generic web / storage types: each becomes the generic shape of
    // its base, with a diagnostic naming the type.
    assert_eq!(
        kinds,
        ["generic.entity", "generic.process", "generic.store"]
            .into_iter()
            .collect()
    );
    let unmapped = imp
        .diagnostics
        .iter()
        .filter(|d| d.code == "unmapped-type")
        .count();
    assert_eq!(unmapped, imp.model.elements.len());
    assert!(
        imp.diagnostics
            .iter()
            .any(|d| d.message.contains("SQL Database"))
    );
    // A Kubernetes stencil becomes a Kubernetes element.
    let xml = tm7_with_stencil("Azure Kubernetes Service (AKS)", "GE.P", "StencilEllipse");
    let imp = import::import(Some(Format::Tm7), &[("aks.tm7".into(), xml.into_bytes())])
        .expect("imports");
    assert_eq!(
        imp.model.elements.values().next().map(|e| e.kind.as_str()),
        Some("k8s.api-server")
    );
}

fn tm7_with_stencil(type_name: &str, generic: &str, xtype: &str) -> String {
    format!(
        r#"<ThreatModel xmlns="http://schemas.datacontract.org/2004/07/ThreatModeling.Model" xmlns:i="{XSI}" xmlns:a="http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts" xmlns:k="http://schemas.datacontract.org/2004/07/ThreatModeling.KnowledgeBase">
<DrawingSurfaceList><DrawingSurfaceModel><Borders><KeyValueOfguidanyType><Key>g1</Key><Value i:type="{xtype}">
<a:GenericTypeId>{generic}</a:GenericTypeId><a:Guid>node-1</a:Guid>
<a:Properties><a:anyType i:type="b:HeaderDisplayAttribute"><k:DisplayName>{type_name}</k:DisplayName><k:Name/><k:Value i:nil="true"/></a:anyType>
<a:anyType i:type="b:StringDisplayAttribute"><k:DisplayName>Name</k:DisplayName><k:Name/><k:Value>Cluster</k:Value></a:anyType></a:Properties>
<a:TypeId>SE.P.Custom</a:TypeId><Height>100</Height><Left>10</Left><Top>10</Top><Width>100</Width></Value></KeyValueOfguidanyType></Borders>
<Header>Diagram 1</Header><Lines/></DrawingSurfaceModel></DrawingSurfaceList></ThreatModel>"#
    )
}

// ---------------------------------------------------------------- hostile input

fn located(e: &ImportError) -> bool {
    // `file:line:col: message`
    let s = e.to_string();
    let mut parts = s.splitn(4, ':');
    let (_, l, c) = (parts.next(), parts.next(), parts.next());
    l.is_some_and(|l| l.trim().parse::<usize>().is_ok())
        && c.is_some_and(|c| c.trim().parse::<usize>().is_ok())
}

#[test]
fn billion_laughs_and_external_entities_are_refused() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ThreatModel><MetaInformation><ThreatModelName>&lol9;</ThreatModelName></MetaInformation></ThreatModel>"#;
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE ThreatModel [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<ThreatModel><MetaInformation><ThreatModelName>&xxe;</ThreatModelName></MetaInformation></ThreatModel>"#;
    for (name, text) in [("laughs.tm7", laughs), ("xxe.tm7", external)] {
        // Detected as TMT from the extension, and refused before any entity is read.
        let e = import::import(None, &[(name.into(), text.as_bytes().to_vec())]).expect_err(name);
        assert!(located(&e), "{e}");
        assert!(e.to_string().contains("DTD"), "{e}");
        assert!(!e.to_string().contains("root:"), "{e}");
    }
}

#[test]
fn a_50_mb_threat_dragon_file_is_refused_before_parsing() {
    // 50 MB of cells, generated here.
    let cell = r#"{"shape":"process","id":"x","position":{"x":1,"y":2},"size":{"width":10,"height":10},"data":{"type":"tm.Process","name":"p","threats":[]}},"#;
    let n = 50 * 1024 * 1024 / cell.len() + 1;
    let mut text = String::with_capacity(n * cell.len() + 200);
    text.push_str(r#"{"version":"2.2.0","summary":{"title":"big"},"detail":{"contributors":[],"diagrams":[{"title":"d","cells":["#);
    for _ in 0..n {
        text.push_str(cell);
    }
    text.pop();
    text.push_str("]}]}}");
    assert!(text.len() > 50 * 1024 * 1024);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("big.json");
    std::fs::write(&p, &text).expect("write");
    drop(text);
    // From a file: reading stops at the limit.
    let e = import::read_source(&p).expect_err("read");
    assert!(matches!(e, ImportError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("MAX_IMPORT_BYTES"), "{e}");
    // From bytes already in memory: refused before parsing.
    let bytes = std::fs::read(&p).expect("read back");
    let e = import::import(None, &[("big.json".into(), bytes)]).expect_err("import");
    assert!(matches!(e, ImportError::TooLarge { .. }), "{e}");
}

#[test]
fn a_large_threat_dragon_file_within_the_limit_imports() {
    // 3,000 cells and 2,999 flows (about 1 MB): well within the limits.
    let mut cells = Vec::new();
    for i in 0..3000 {
        cells.push(format!(r#"{{"shape":"process","id":"p{i}","position":{{"x":{},"y":{}}},"size":{{"width":100,"height":60}},"data":{{"type":"tm.Process","name":"P {i}","threats":[]}}}}"#, (i % 60) * 200, (i / 60) * 150));
        if i > 0 {
            cells.push(format!(r#"{{"shape":"flow","id":"f{i}","source":{{"cell":"p{}"}},"target":{{"cell":"p{i}"}},"data":{{"type":"tm.Flow","name":"f"}}}}"#, i - 1));
        }
    }
    let text = format!(
        r#"{{"summary":{{"title":"many"}},"detail":{{"diagrams":[{{"title":"d","cells":[{}]}}]}}}}"#,
        cells.join(",")
    );
    let imp = import::import(None, &[("many.json".into(), text.into_bytes())]).expect("imports");
    assert_eq!(
        (imp.model.elements.len(), imp.model.flows.len()),
        (3000, 2999)
    );
}

#[test]
fn deep_nesting_in_every_format_is_a_located_error() {
    let depth = 20_000;
    let json_deep = format!(
        r#"{{"summary":{{"title":"x"}},"detail":{{"diagrams":[{{"cells":[{{"data":{{"x":{}{}}}}}]}}]}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let otm_deep = format!(
        r#"{{"otmVersion":"0.2.0","project":{{"name":"x","id":"x","attributes":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let yaml_deep = format!(
        "otmVersion: 0.2.0\nproject:\n  name: x\n  id: x\n  attributes: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let tg_deep = format!(
        "technical_assets:\n  a:\n    id: a\n    tags: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let xml_deep = format!(
        "<ThreatModel>{}{}</ThreatModel>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let cases = [
        ("deep.json", Format::ThreatDragon, json_deep),
        ("deep.otm.json", Format::Otm, otm_deep),
        ("deep.otm.yaml", Format::Otm, yaml_deep),
        ("deep.yaml", Format::Threagile, tg_deep),
        ("deep.tm7", Format::Tm7, xml_deep),
    ];
    for (name, format, text) in cases {
        let r = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                import::import(Some(format), &[(name.into(), text.into_bytes())])
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .expect("thread")
            .join()
            .expect("no panic, no stack overflow");
        let e = r.expect_err(name);
        assert!(e.starts_with(name), "{e}");
        let rest = &e[name.len()..];
        assert!(
            rest.starts_with(':') && rest[1..].chars().next().is_some_and(|c| c.is_ascii_digit()),
            "{e}"
        );
    }
}

#[test]
fn wrong_types_and_truncated_files_give_one_located_error() {
    let cases: Vec<(&str, Format, String)> = vec![
        ("td.json", Format::ThreatDragon, r#"{"summary":{"title":"x"},"detail":{"diagrams":"no"}}"#.into()),
        ("td2.json", Format::ThreatDragon, r#"{"summary":{"title":"x"},"detail":{"diagrams":[{"cells":[{"position":{"x":"left"}}]}]}}"#.into()),
        ("otm.json", Format::Otm, r#"{"otmVersion":"0.2.0","project":{"name":"x","id":"x"},"trustZones":5}"#.into()),
        ("otm.yaml", Format::Otm, "otmVersion: 0.2.0\nproject:\n  name: x\ncomponents:\n  - id: [1, 2]\n".into()),
        ("tg.yaml", Format::Threagile, "technical_assets:\n  - 1\n  - 2\n".into()),
        ("tg2.yaml", Format::Threagile, "technical_assets:\n  a:\n    id: a\n    communication_links:\n      l:\n        target: [x]\n".into()),
        ("x.tm7", Format::Tm7, "<ThreatModel><DrawingSurfaceList>".into()),
        ("y.tm7", Format::Tm7, "<Model></Model>".into()),
        ("cut.yaml", Format::Threagile, "technical_assets:\n  a: {id: a, communication_links: {l: {target: [b".into()),
        ("cut.otm.yaml", Format::Otm, "otmVersion: 0.2.0\nproject:\n  name: \"unterminated".into()),
    ];
    for (name, format, text) in cases {
        let e = import::import(Some(format), &[(name.into(), text.into_bytes())]).expect_err(name);
        assert!(located(&e), "{name}: {e}");
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
    }
    // Every sample cut in half: one located error, never a panic.
    for sub in ["threat-dragon", "otm", "threagile", "tm7"] {
        let Some(dir) = samples(sub) else { continue };
        for entry in std::fs::read_dir(&dir).expect("dir") {
            let p = entry.expect("entry").path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with("LICENSE")
                || name.contains("schema")
                || name.starts_with("expected")
                || name.contains("malformed")
            {
                continue;
            }
            let bytes = read(&p);
            let format = import::detect(&p, &bytes).expect(&name);
            let half = bytes[..bytes.len() / 2].to_vec();
            let r = import::import(Some(format), &[(name.clone(), half)]);
            let yaml = !matches!(bytes.first(), Some(b'{') | Some(b'<'));
            match r {
                Err(e) => assert!(located(&e), "{name}: {e}"),
                // YAML cut at a line end can still be a valid document: it imports what
                // is there, and names the references the cut left dangling.
                Ok(imp) => assert!(
                    yaml,
                    "{name}: a truncated JSON/XML file imported: {:?}",
                    imp.diagnostics
                ),
            }
        }
    }
}

// ---------------------------------------------------------------- export

/// A small JSON Schema checker: the keywords the OTM and Threat Dragon schemas use
/// (`type`, `required`, `properties`, `items`, `enum`, `oneOf`, `minimum`, `minLength`,
/// `maxLength`, local `$ref`). Errors name the JSON path.
fn check(schema: &J, root: &J, v: &J, path: &str, errs: &mut Vec<String>) {
    // OpenAPI's `nullable` (used by the Threat Dragon schema) admits null.
    if v.is_null() && schema["nullable"] == true {
        return;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let target = r
            .trim_start_matches("#/")
            .split('/')
            .fold(root, |s, k| &s[k]);
        return check(target, root, v, path, errs);
    }
    let type_ok = |t: &str| match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    };
    match &schema["type"] {
        J::String(t) if !type_ok(t) => {
            errs.push(format!("{path}: expected {t}, found {v}"));
            return;
        }
        J::Array(ts) if !ts.iter().any(|t| t.as_str().is_some_and(type_ok)) => {
            errs.push(format!("{path}: expected one of {ts:?}"));
            return;
        }
        _ => {}
    }
    if let Some(req) = schema["required"].as_array()
        && let Some(o) = v.as_object()
    {
        for r in req.iter().filter_map(J::as_str) {
            if !o.contains_key(r) {
                errs.push(format!("{path}: missing `{r}`"));
            }
        }
    }
    if let (Some(props), Some(o)) = (schema["properties"].as_object(), v.as_object()) {
        for (k, s) in props {
            if let Some(x) = o.get(k) {
                check(s, root, x, &format!("{path}.{k}"), errs);
            }
        }
    }
    if let (Some(items), Some(a)) = (schema.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            check(items, root, x, &format!("{path}[{i}]"), errs);
        }
    }
    if let Some(e) = schema["enum"].as_array()
        && !e.contains(v)
    {
        errs.push(format!("{path}: {v} not in {e:?}"));
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let ok = one
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                check(s, root, v, path, &mut e);
                e.is_empty()
            })
            .count();
        if ok != 1 {
            errs.push(format!("{path}: matches {ok} of oneOf"));
        }
    }
    if let (Some(m), Some(x)) = (schema["minimum"].as_f64(), v.as_f64())
        && x < m
    {
        errs.push(format!("{path}: {x} < minimum {m}"));
    }
    if let Some(s) = v.as_str() {
        let n = s.chars().count() as u64;
        if schema["minLength"].as_u64().is_some_and(|m| n < m) {
            errs.push(format!("{path}: shorter than minLength"));
        }
        if schema["maxLength"].as_u64().is_some_and(|m| n > m) {
            errs.push(format!("{path}: longer than maxLength"));
        }
    }
}

fn schema_errors(schema: &J, v: &J) -> Vec<String> {
    let mut errs = Vec::new();
    check(schema, schema, v, "$", &mut errs);
    errs
}

#[test]
fn exports_are_valid_against_the_published_schemas() {
    let (Some(otm_dir), Some(td_dir)) = (samples("otm"), samples("threat-dragon")) else {
        return;
    };
    let otm_schema: J =
        serde_json::from_slice(&read(&otm_dir.join("otm_schema.json"))).expect("schema");
    let td_schema: J = serde_json::from_slice(&read(&td_dir.join("threat-dragon-v2.schema.json")))
        .expect("schema");
    // The checker is not trivially happy: the samples pass, broken copies fail.
    let sample: J = serde_json::from_slice(&read(&otm_dir.join("EXAMPLE.json"))).expect("sample");
    assert_eq!(schema_errors(&otm_schema, &sample), Vec::<String>::new());
    let mut broken = sample.clone();
    broken["components"][0]
        .as_object_mut()
        .expect("component")
        .remove("parent");
    broken["trustZones"][0]["risk"]["trustRating"] = J::String("high".into());
    assert_eq!(
        schema_errors(&otm_schema, &broken).len(),
        2,
        "{:?}",
        schema_errors(&otm_schema, &broken)
    );
    let demo: J =
        serde_json::from_slice(&read(&td_dir.join("v2-threat-model.json"))).expect("demo");
    assert_eq!(schema_errors(&td_schema, &demo), Vec::<String>::new());
    let mut broken = demo.clone();
    broken["detail"]["diagrams"][0]["cells"][0]["data"]
        .as_object_mut()
        .expect("data")
        .remove("type");
    assert_eq!(schema_errors(&td_schema, &broken).len(), 1);

    for p in examples() {
        let m = palisade::persist::load(&p).expect("example").model;
        let a = analyze(&m, catalog());
        for (format, yaml) in [
            (ExportFormat::Otm, false),
            (ExportFormat::Otm, true),
            (ExportFormat::ThreatDragon, false),
        ] {
            let bytes = export::export(&m, catalog(), &a, format, yaml).expect("export");
            let again = export::export(&m, catalog(), &a, format, yaml).expect("export");
            assert_eq!(bytes, again, "{}: not deterministic", p.display());
            let v: J = if yaml {
                serde_norway::from_slice(&bytes).expect("YAML")
            } else {
                serde_json::from_slice(&bytes).expect("JSON")
            };
            let schema = if format == ExportFormat::Otm {
                &otm_schema
            } else {
                &td_schema
            };
            let errs = schema_errors(schema, &v);
            assert!(
                errs.is_empty(),
                "{} {format:?}: {}",
                p.display(),
                errs.join("\n")
            );
            if format == ExportFormat::ThreatDragon {
                // Threat Dragon's own reader (ours, here) takes it back: every element,
                // flow and boundary box, and every threat on its cell.
                let back = import::import(Some(Format::ThreatDragon), &[("td.json".into(), bytes)])
                    .expect("re-import");
                assert_eq!(back.model.elements.len(), m.elements.len());
                assert_eq!(back.model.flows.len(), m.flows.len());
                assert_eq!(back.model.boundaries.len(), m.boundaries.len());
                let on_cells = a
                    .threats
                    .iter()
                    .filter(|t| !matches!(t.subject, palisade::analysis::Subject::Model))
                    .count();
                assert_eq!(back.model.manual_threats.len(), on_cells);
            }
        }
    }
}

// ---------------------------------------------------------------- OTM round trip

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 ]{1,12}",
        "\\PC{0,16}",
        Just("two\nlines  and\ttabs ".to_owned()),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(|n| Value::Number(n as f64 / 8.0)),
        arb_text().prop_map(Value::Text),
    ]
}

fn arb_status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

/// Boundary index, kind index, position, properties, name.
type ElemShape = (
    Option<usize>,
    usize,
    (i32, i32),
    BTreeMap<String, Value>,
    String,
);

#[derive(Debug, Clone)]
struct Shape {
    bounds: Vec<(Option<usize>, u8, usize, String)>,
    elems: Vec<ElemShape>,
    flows: Vec<(usize, usize, BTreeMap<String, Value>, String)>,
    manual: Vec<(usize, usize, Status, bool, String)>,
    triage_generated: Vec<(usize, Status, String)>,
    orphans: Vec<(Status, String)>,
    meta: (String, String, Vec<String>),
}

fn arb_shape() -> impl Strategy<Value = Shape> {
    let props =
        || prop::collection::btree_map("[a-z_]{1,10}|note\\.description", arb_value(), 0..4);
    (
        prop::collection::vec(
            (any::<Option<usize>>(), 0u8..=10, 0usize..9, arb_text()),
            0..6,
        ),
        prop::collection::vec(
            (
                any::<Option<usize>>(),
                0usize..64,
                (-500i32..3000, -500i32..3000),
                props(),
                arb_text(),
            ),
            1..12,
        ),
        prop::collection::vec((0usize..64, 0usize..64, props(), arb_text()), 0..14),
        prop::collection::vec(
            (
                0usize..4,
                0usize..64,
                arb_status(),
                any::<bool>(),
                arb_text(),
            ),
            0..5,
        ),
        prop::collection::vec((0usize..10_000, arb_status(), arb_text()), 0..8),
        prop::collection::vec((arb_status(), arb_text()), 0..3),
        (
            arb_text(),
            arb_text(),
            prop::collection::vec("[a-zA-Z ]{1,10}", 0..3),
        ),
    )
        .prop_map(
            |(bounds, elems, flows, manual, triage_generated, orphans, meta)| Shape {
                bounds,
                elems,
                flows,
                manual,
                triage_generated,
                orphans,
                meta,
            },
        )
}

fn build(s: &Shape) -> Model {
    let cat = catalog();
    let kinds: Vec<&str> = cat
        .stencils
        .iter()
        .map(|x| x.stencil.kind.as_str())
        .collect();
    let mut m = Model::new(&s.meta.0);
    m.metadata.owner = s.meta.1.clone();
    m.metadata.reviewers = s.meta.2.clone();
    m.metadata.description = "A generated model.".into();
    for (i, (parent, trust, kind, name)) in s.bounds.iter().enumerate() {
        // Parents only point backwards: no cycles.
        let parent = parent.filter(|_| i > 0).map(|p| format!("b{}", p % i));
        m.boundaries.insert(
            format!("b{i}").as_str().into(),
            Boundary {
                props: Default::default(),
                id: format!("b{i}").as_str().into(),
                name: name.clone(),
                kind: BoundaryKind::ALL[*kind % BoundaryKind::ALL.len()],
                trust: *trust,
                parent: parent.map(|p| p.as_str().into()),
                rect: (i as f64 * 40.0, i as f64 * 30.0, 400.0 + i as f64, 300.0),
            },
        );
    }
    let nb = s.bounds.len();
    for (i, (b, kind, pos, props, name)) in s.elems.iter().enumerate() {
        m.elements.insert(
            format!("e{i}").as_str().into(),
            Element {
                crown_jewel: Default::default(),
                entry_point: Default::default(),
                provenance: Default::default(),
                id: format!("e{i}").as_str().into(),
                name: name.clone(),
                kind: kinds[*kind % kinds.len()].to_owned(),
                boundary: b
                    .filter(|_| nb > 0)
                    .map(|x| format!("b{}", x % nb).as_str().into()),
                pos: (f64::from(pos.0), f64::from(pos.1)),
                props: props.clone(),
            },
        );
    }
    let ne = s.elems.len();
    for (i, (src, dst, props, name)) in s.flows.iter().enumerate() {
        let (a, b) = (src % ne, dst % ne);
        if a == b {
            continue;
        }
        let id = format!("f{i}");
        m.flows.insert(
            id.as_str().into(),
            Flow {
                channel: Default::default(),
                id: id.as_str().into(),
                name: name.clone(),
                source: format!("e{a}").as_str().into(),
                target: format!("e{b}").as_str().into(),
                props: props.clone(),
            },
        );
    }
    let flow_ids: Vec<_> = m.flows.keys().cloned().collect();
    let bound_ids: Vec<_> = m.boundaries.keys().cloned().collect();
    for (i, (what, which, status, triaged, text)) in s.manual.iter().enumerate() {
        let subject = match what {
            0 => SubjectRef::Element(format!("e{}", which % ne).as_str().into()),
            1 if !flow_ids.is_empty() => SubjectRef::Flow(flow_ids[which % flow_ids.len()].clone()),
            2 if !bound_ids.is_empty() => {
                SubjectRef::Boundary(bound_ids[which % bound_ids.len()].clone())
            }
            _ => SubjectRef::Model,
        };
        let id = format!("MANUAL-{i:03}");
        m.manual_threats.insert(
            id.as_str().into(),
            ManualThreat {
                id: id.as_str().into(),
                title: format!("Manual {text}"),
                category: Stride::ALL[i % 6],
                severity: Severity::ALL[i % 4],
                subject,
                description: text.clone(),
                mitigations: vec![text.clone(), "Second control".into()],
                cvss: String::new(),
            },
        );
        if *triaged {
            m.triage.insert(
                id.as_str().into(),
                Triage {
                    threat: id.as_str().into(),
                    status: *status,
                    justification: text.clone(),
                    ..Triage::default()
                },
            );
        }
    }
    let a = analyze(&m, catalog());
    for (n, status, text) in &s.triage_generated {
        if a.threats.is_empty() {
            break;
        }
        let t = &a.threats[n % a.threats.len()];
        if matches!(t.origin, palisade::analysis::Origin::Manual) {
            continue;
        }
        m.triage.insert(
            t.id.clone(),
            Triage {
                subject_name: Default::default(),
                threat: t.id.clone(),
                status: *status,
                severity: Some(Severity::High),
                justification: text.clone(),
                owner: "owner".into(),
                ticket: "T-1".into(),
                reviewed_by: "rev".into(),
                date: "2026-12-01".into(),
                kept_as_history: false,
                cvss: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            },
        );
    }
    for (i, (status, text)) in s.orphans.iter().enumerate() {
        let id = format!("GEN-S-01@element:gone{i}");
        m.triage.insert(
            id.as_str().into(),
            Triage {
                threat: id.as_str().into(),
                status: *status,
                justification: text.clone(),
                kept_as_history: true,
                ..Triage::default()
            },
        );
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn palisade_to_otm_to_palisade_keeps_everything(shape in arb_shape(), yaml in any::<bool>()) {
        let m = build(&shape);
        let a = analyze(&m, catalog());
        let bytes = export::export(&m, catalog(), &a, ExportFormat::Otm, yaml).expect("export");
        let name = if yaml { "m.otm.yaml" } else { "m.otm.json" };
        let back = import::import(None, &[(name.into(), bytes)]).expect("import").model;
        prop_assert_eq!(&back.elements, &m.elements);
        prop_assert_eq!(&back.boundaries, &m.boundaries);
        prop_assert_eq!(&back.flows, &m.flows);
        prop_assert_eq!(&back.manual_threats, &m.manual_threats);
        prop_assert_eq!(&back.triage, &m.triage);
        prop_assert_eq!(&back.metadata, &m.metadata);
    }
}

#[test]
fn every_example_survives_the_otm_round_trip() {
    for p in examples() {
        let m = palisade::persist::load(&p).expect("example").model;
        let a = analyze(&m, catalog());
        let bytes = export::export(&m, catalog(), &a, ExportFormat::Otm, false).expect("export");
        let back = import::import(Some(Format::Otm), &[("x.otm".into(), bytes)])
            .expect("import")
            .model;
        let mut want = m.clone();
        want.version = back.version;
        assert_eq!(back, want, "{}", p.display());
    }
}

// ---------------------------------------------------------------- command line

fn palisade(args: &[&std::ffi::OsStr]) -> std::process::Output {
    match std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(root())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run palisade: {e}"),
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn import_and_export_on_the_command_line() {
    let Some(dir) = samples("threat-dragon") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("demo.ron");
    let demo = dir.join("v2-threat-model.json");
    let o = palisade(&[os("import"), demo.as_os_str(), os("-o"), out.as_os_str()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("7 elements, 10 flows, 5 boundaries, 14 carried-over threats"),
        "{err}"
    );
    let model = palisade::persist::load(&out).expect("written model").model;
    assert_eq!(model.manual_threats.len(), 14);
    // An existing output is not replaced without --force.
    let o = palisade(&[os("import"), demo.as_os_str(), os("-o"), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    // Export both ways; OTM as YAML by extension.
    for (to, name) in [
        ("otm", "demo.otm.json"),
        ("otm", "demo.otm.yaml"),
        ("threat-dragon", "demo.td.json"),
    ] {
        let target = tmp.path().join(name);
        let o = palisade(&[
            os("export"),
            os("--to"),
            os(to),
            out.as_os_str(),
            os("-o"),
            target.as_os_str(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let bytes = std::fs::read(&target).expect("export written");
        let fmt = import::detect(&target, &bytes);
        assert_eq!(
            fmt,
            Some(if to == "otm" {
                Format::Otm
            } else {
                Format::ThreatDragon
            }),
            "{name}"
        );
    }
    // Threat Dragon cannot be YAML.
    let y = tmp.path().join("x.yaml");
    let o = palisade(&[
        os("export"),
        os("--to"),
        os("threat-dragon"),
        out.as_os_str(),
        os("-o"),
        y.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_input_on_the_command_line_is_one_located_line_and_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("x.ron");
    let cut = tmp.path().join("cut.json");
    std::fs::write(
        &cut,
        r#"{"summary":{"title":"x"},"detail":{"diagrams":[{"cells":[{"shape":"#,
    )
    .expect("write");
    let unknown = tmp.path().join("notes.txt");
    std::fs::write(&unknown, "just some text\n").expect("write");
    for (input, want) in [(&cut, "cut.json:1:"), (&unknown, "cannot tell the format")] {
        let o = palisade(&[os("import"), input.as_os_str(), os("-o"), out.as_os_str()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ") && err.contains(want), "{err}");
        assert!(!out.exists());
    }
    let o = palisade(&[
        os("import"),
        os("--from"),
        os("visio"),
        unknown.as_os_str(),
        os("-o"),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("threat-dragon"));
    // A file that holds no Kubernetes object is refused as manifests, with its place.
    let o = palisade(&[
        os("import"),
        os("--from"),
        os("k8s"),
        unknown.as_os_str(),
        os("-o"),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no Kubernetes object found"));
}

#[test]
fn cvss_vectors_survive_otm_and_threat_dragon_round_trips() {
    const VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    const LOW: &str = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N";
    let mut m = palisade::persist::load(&root().join("examples/controls-review.ron"))
        .expect("example")
        .model;
    let manual = palisade::model::ThreatId::new("MANUAL-CVSS");
    m.manual_threats.insert(
        manual.clone(),
        ManualThreat {
            id: manual.clone(),
            title: "Backups readable by every operator".into(),
            category: Stride::InformationDisclosure,
            severity: Severity::Low,
            subject: SubjectRef::Element("web-api".into()),
            description: "The nightly dump sits on a share every operator can read.".into(),
            mitigations: Vec::new(),
            cvss: VECTOR.into(),
        },
    );
    let rule = palisade::model::ThreatId::new("DOCKER-E-01@element:web-api");
    let mut tr = m.triage.get(&rule).cloned().unwrap_or_default();
    tr.threat = rule.clone();
    tr.cvss = LOW.into();
    m.triage.insert(rule.clone(), tr);
    let a = analyze(&m, catalog());
    // OTM: both vectors come back exactly, with the rest of the model.
    let bytes = export::export(&m, catalog(), &a, ExportFormat::Otm, false).expect("otm");
    let back = import::import(Some(Format::Otm), &[("x.otm".into(), bytes)])
        .expect("import")
        .model;
    assert_eq!(back.manual_threats[&manual].cvss, VECTOR);
    assert_eq!(back.triage[&rule].cvss, LOW);
    let mut want = m.clone();
    want.version = back.version;
    assert_eq!(back, want);
    // Threat Dragon: the vector is the threat's score, and a score that is a vector comes
    // back as the carried-over threat's vector.
    let bytes = export::export(&m, catalog(), &a, ExportFormat::ThreatDragon, false).expect("td");
    let doc: J = serde_json::from_slice(&bytes).expect("json");
    let scores: BTreeMap<String, String> = td_cells(&doc)
        .iter()
        .flat_map(|c| c["data"]["threats"].as_array().cloned().unwrap_or_default())
        .map(|t| {
            (
                t["id"].as_str().unwrap_or("").to_owned(),
                t["score"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(scores.get(rule.as_str()).map(String::as_str), Some(LOW));
    let td = import::import(Some(Format::ThreatDragon), &[("x.json".into(), bytes)])
        .expect("import")
        .model;
    let carried: Vec<&str> = td
        .manual_threats
        .values()
        .map(|t| t.cvss.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    // Both vectors come back: the manual threat's, and the rule threat's triage vector on
    // the threat it becomes.
    assert_eq!(carried.len(), 2, "{carried:?}");
    assert!(
        carried.contains(&LOW) && carried.contains(&VECTOR),
        "{carried:?}"
    );
    // A score that is not a vector stays in the description, as every unmapped field.
    let text = String::from_utf8(
        export::export(&m, catalog(), &a, ExportFormat::ThreatDragon, false).expect("td"),
    )
    .expect("utf8")
    .replace(&format!("\"score\": \"{LOW}\""), "\"score\": \"8.1 high\"");
    let td = import::import(
        Some(Format::ThreatDragon),
        &[("x.json".into(), text.into_bytes())],
    )
    .expect("import")
    .model;
    assert!(td.manual_threats.values().all(|t| t.cvss != LOW));
    assert!(
        td.manual_threats
            .values()
            .any(|t| t.description.contains("score: 8.1 high")),
        "the score is kept in the description"
    );
}
