//! Reports show what the richer model language says: the properties set on boundaries,
//! the flows on local channels and the relations, escaped for each format; the threats'
//! JSON keeps its shape.

use crate::common::{catalog, load};
use palisade::analysis::{Analysis, analyze};
use palisade::model::{Channel, Edit, Model, Relation, Value};
use palisade::report::{self, Format, Input, Paper};
use palisade::report::{data, pdf, text, threat_views};

const NASTY: &str = "sa <b>|*x*</b>";

/// The Kubernetes example with a namespace's Pod Security level, a Unix socket flow, two
/// relations, and a service account whose name needs escaping everywhere.
fn enriched() -> Model {
    let mut m = load("examples/kubernetes-cluster.ron");
    // Only the two relations below, so the facts to look for are known exactly.
    m.relations.clear();
    let mut sa = m.elements[&palisade::model::ElementId::from("payments-sa")].clone();
    sa.name = NASTY.to_owned();
    let mut flow = m.flows[&palisade::model::FlowId::from("kubelet1-to-containerd1")].clone();
    flow.channel = Channel::UnixSocket;
    let edits = vec![
        Edit::ReplaceElement(sa),
        Edit::SetBoundaryProp(
            "ns-payments".into(),
            "pod_security".into(),
            Some(Value::Text("restricted".into())),
        ),
        Edit::ReplaceFlow(flow),
        Edit::AddRelation(Relation {
            id: "rel-api-sa".into(),
            kind: "k8s.uses-service-account".into(),
            source: "payments-api".into(),
            target: "payments-sa".into(),
            ..Default::default()
        }),
        Edit::AddRelation(Relation {
            id: "rel-api-secret".into(),
            kind: "k8s.mounts-secret".into(),
            source: "payments-api".into(),
            target: "payments-db-creds".into(),
            props: [("as_env".to_owned(), Value::Bool(true))].into(),
        }),
    ];
    for e in edits {
        if let Err(err) = e.apply(&mut m) {
            panic!("{err}");
        }
    }
    m
}

fn input<'a>(m: &'a Model, a: &'a Analysis) -> Input<'a> {
    Input {
        model: m,
        catalog: catalog(),
        analysis: a,
        source: b"",
        source_name: "models/test.ron",
        source_date_epoch: Some(1_700_000_000),
        paper: Paper::A4,
    }
}

fn render_text(m: &Model, format: Format) -> String {
    let a = analyze(m, catalog());
    match report::render(&input(m, &a), format) {
        Ok(b) => String::from_utf8(b).expect("UTF-8"),
        Err(e) => panic!("{format:?}: {e}"),
    }
}

#[test]
fn markdown_lists_boundary_properties_channels_and_relations_escaped() {
    let md = render_text(&enriched(), Format::Markdown);
    assert!(md.contains("### Boundary properties"), "{md}");
    assert!(
        md.contains("| payments `ns-payments` | namespace | `pod_security` = restricted |"),
        "boundary row"
    );
    assert!(
        md.contains(
            "| CRI (unix socket) `kubelet1-to-containerd1` | kubelet (worker-1) | containerd (worker-1) | Unix socket |"
        ),
        "channel row"
    );
    let escaped = "sa \\<b\\>\\|\\*x\\*\\</b\\>";
    assert!(
        md.contains(&format!(
            "| payments-api | uses service account `k8s.uses-service-account` | {escaped} | — |"
        )),
        "relation row with the name escaped"
    );
    assert!(
        md.contains("| payments-api | mounts secret `k8s.mounts-secret` | payments-db credentials | `as_env` = true |"),
        "relation properties"
    );
    assert!(!md.contains(NASTY), "the raw name never reaches Markdown");
    // The element's own section names its relations, and the Mermaid chart draws them.
    assert!(md.contains(&format!(
        "Relations: mounts secret → payments-db credentials; uses service account → {escaped}"
    )));
    assert!(
        md.contains("-.->|\"uses service account\"|"),
        "dotted Mermaid link"
    );
}

#[test]
fn html_lists_them_escaped() {
    let html = render_text(&enriched(), Format::Html);
    assert!(html.contains("<h3>Relations</h3>"));
    assert!(html.contains("<h3>Local channels</h3>"));
    assert!(!html.contains(NASTY), "the raw name never reaches HTML");
    assert!(html.contains("sa &lt;b&gt;|*x*&lt;/b&gt;"));
    assert!(html.contains("Dotted lines: relations"));
}

#[test]
fn pdf_has_a_model_facts_page_and_draws_relations_dotted() {
    let m = enriched();
    let a = analyze(&m, catalog());
    let inp = input(&m, &a);
    let (date, epoch) = inp.date();
    let d = data::build(&inp, &date);
    let r = match pdf::render(&d, &inp, epoch) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let page = r
        .page_text
        .iter()
        .find(|p| p.iter().any(|s| s == "2 Diagram · model facts"));
    let Some(page) = page else {
        panic!("no model facts page")
    };
    let all = page.join("\n");
    for want in [
        "Boundary properties",
        "pod_security = restricted",
        "Local channels",
        "Unix socket",
        "Relations",
        "uses service account",
        "k8s.mounts-secret",
        "as_env = true",
    ] {
        assert!(all.contains(want), "`{want}` missing from:\n{all}");
    }
    let sc = palisade::report::scene::build(
        &m,
        catalog(),
        &a,
        &palisade::report::fonts::Fonts::load().expect("fonts"),
    );
    assert_eq!(sc.relations, 2, "both relations are drawn");
    // A model without relations has no dotted-line legend entry.
    let plain = load("tests/rules/models/generic-open.ron");
    assert!(plain.relations.is_empty() && plain.flows.values().all(|f| f.channel.is_network()));
    let pa = analyze(&plain, catalog());
    let inp = input(&plain, &pa);
    let d = data::build(&inp, &date);
    let r = match pdf::render(&d, &inp, epoch) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let text: String = r.page_text.iter().flatten().cloned().collect();
    assert!(!text.contains("model facts"));
    assert!(!text.contains("dotted: relation"));
}

#[test]
fn json_report_carries_the_facts_and_the_threats_json_keeps_its_shape() {
    let m = enriched();
    let json = render_text(&m, Format::Json);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let rels = v["model"]["relations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rels.len(), 2);
    assert_eq!(rels[1]["kind"], "k8s.uses-service-account");
    assert_eq!(
        rels[1]["target"], NASTY,
        "JSON keeps the text, escaped by serde"
    );
    let socket = v["model"]["local_channels"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == "kubelet1-to-containerd1"))
        .map(|f| f["channel"].clone());
    assert_eq!(socket, Some("Unix socket".into()), "{}", v["model"]);

    // `palisade threats --format json`: the same keys per threat with and without the facts.
    let keys = |m: &Model| {
        let a = analyze(m, catalog());
        let views = threat_views(m, catalog(), &a);
        let j: serde_json::Value = serde_json::from_str(&text::json(&views)).expect("JSON");
        let mut ks: Vec<String> = j
            .as_array()
            .and_then(|arr| arr.first())
            .and_then(|t| t.as_object())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        ks.sort();
        ks
    };
    let plain = keys(&load("examples/kubernetes-cluster.ron"));
    assert!(!plain.is_empty());
    assert_eq!(keys(&m), plain);
}

#[test]
fn a_model_without_facts_has_no_facts_section() {
    let m = load("tests/rules/models/generic-open.ron");
    assert!(m.relations.is_empty() && m.boundaries.values().all(|b| b.props.is_empty()));
    let md = render_text(&m, Format::Markdown);
    assert!(!md.contains("### Boundary properties"));
    assert!(!md.contains("### Relations"));
}

/// The built-in templates plus a user template with one rule that traces to a reference
/// item (with text that needs escaping).
pub fn catalog_with_seed() -> palisade::rules::Catalog {
    let mut sources = palisade::rules::catalog::builtin_sources();
    sources.push(palisade::persist::Source::new(
        "user.ron",
        r#"(id: "u", name: "User rules", version: "1", group: "U", rules: [
  (id: "U-S-01", title: "Seeded rule", category: Spoofing,
   applies: Elements(["k8s.secret"]), condition: Always,
   severity: Low, description: "A secret exists", references: ["CWE-1"],
   seed_item: "Docker Registry / <Elevation> | *of* privilege"),
])"#,
        false,
    ));
    let c = palisade::rules::Catalog::from_sources(sources);
    assert!(
        c.diagnostics
            .iter()
            .all(|d| d.file.as_deref() != Some("user.ron")),
        "{:?}",
        c.diagnostics
    );
    c
}

#[test]
fn the_rule_appendix_shows_a_rules_reference_item_escaped() {
    let cat = catalog_with_seed();
    let m = enriched();
    let a = analyze(&m, &cat);
    assert!(
        a.threats
            .iter()
            .any(|t| t.id.as_str().starts_with("U-S-01@"))
    );
    let inp = Input {
        catalog: &cat,
        ..input(&m, &a)
    };
    let md = match report::render(&inp, Format::Markdown) {
        Ok(b) => String::from_utf8(b).expect("UTF-8"),
        Err(e) => panic!("{e}"),
    };
    assert!(
        md.contains(
            "Seeded rule Reference item: Docker Registry / \\<Elevation\\> \\| \\*of\\* privilege"
        ),
        "{}",
        md.lines()
            .filter(|l| l.contains("U-S-01"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let html = match report::render(&inp, Format::Html) {
        Ok(b) => String::from_utf8(b).expect("UTF-8"),
        Err(e) => panic!("{e}"),
    };
    assert!(html.contains("Reference item: Docker Registry / &lt;Elevation&gt; | *of* privilege"));
    let (date, epoch) = inp.date();
    let d = data::build(&inp, &date);
    let r = match pdf::render(&d, &inp, epoch) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    // Table cells wrap: compare without white space.
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let text = squash(&r.page_text.concat().concat());
    assert!(text.contains(&squash(
        "Reference item: Docker Registry / <Elevation> | *of* privilege"
    )));
    // Rules without one say nothing: one line per listed rule that has a reference item.
    let with_item = md.lines().filter(|l| l.contains("Reference item:")).count();
    let listed_with_item = cat
        .rules
        .iter()
        .filter(|r| !r.rule.seed_item.is_empty() && md.contains(&format!("`{}`", r.rule.id)))
        .count();
    assert_eq!(with_item, listed_with_item);
}
