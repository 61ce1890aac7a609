//! Every condition leaf at its edges, on small models built here, with a test template
//! whose rules each use one leaf; and the load-time checks of the new leaves.

use palisade::analysis::eval::names_uid0;
use palisade::analysis::{Analysis, analyze};
use palisade::model::{
    Boundary, BoundaryId, BoundaryKind, Channel, Element, ElementId, Flow, FlowId, Model, Relation,
    RelationId, Severity, Value,
};
use palisade::rules::Catalog;
use std::sync::OnceLock;

const TEMPLATE: &str = r#"(
    id: "t", name: "T", version: "1", group: "T",
    boundary_properties: [
        (kind: Namespace, properties: [(name: "t_on", ty: Bool, default: false)]),
        (kind: Host, properties: [(name: "t_on", ty: Bool, default: false)]),
    ],
    relations: [(kind: "t.uses", name: "uses", from: ["t.box"], to: ["t.box"], properties: [(name: "ro", ty: Bool, default: false)])],
    stencils: [(kind: "t.box", name: "Box", base: Process, icon: "B", properties: [
        (name: "n", ty: Number, default: 0),
        (name: "caps", ty: List, default: []),
        (name: "user", ty: Text, default: ""),
        (name: "flag", ty: Bool, default: false),
    ])],
    rules: [
        (id: "T-BELOW", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Below(Element, "n", 720), severity: Low, description: "d", references: ["r"]),
        (id: "T-ABOVE", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Above(Element, "n", 720), severity: Low, description: "d", references: ["r"]),
        (id: "T-CONTAINS", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Contains(Element, "caps", "SYS_ADMIN"), severity: Low, description: "d", references: ["r"]),
        (id: "T-CONTAINSANY", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: ContainsAny(Element, "caps", ["SYS_ADMIN", "NET_ADMIN"]), severity: Low, description: "d", references: ["r"]),
        (id: "T-SUBSET", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: SubsetOf(Element, "caps", ["NET_BIND_SERVICE"]), severity: Low, description: "d", references: ["r"]),
        (id: "T-LISTEMPTY", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: ListEmpty(Element, "caps"), severity: Low, description: "d", references: ["r"]),
        (id: "T-UID0", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: RunsAsUid0(Element, "user"), severity: Low, description: "d", references: ["r"]),
        (id: "T-NEAREST", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Nearest(Element, Namespace, Is(Boundary, "t_on", true)), severity: Low, description: "d", references: ["r"]),
        (id: "T-ANYENC", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: AnyEnclosing(Element, Is(Boundary, "t_on", true)), severity: Low, description: "d", references: ["r"]),
        (id: "T-REL", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Related(Out, "t.uses", Is(Element, "flag", true)), severity: Low, description: "d", references: ["r"]),
        (id: "T-REL2", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Related(Out, "t.uses", Related(Out, "t.uses", Is(Element, "flag", true))), severity: Low, description: "d", references: ["r"]),
        (id: "T-RELIN", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Related(In, "t.uses", Is(Element, "flag", true)), severity: Low, description: "d", references: ["r"]),
        (id: "T-RELPROP", title: "t", category: Spoofing, applies: Elements(["t.box"]), condition: Related(Out, "t.uses", Is(Relation, "ro", true)), severity: Low, description: "d", references: ["r"]),
        (id: "T-NET", title: "t", category: Spoofing, applies: Flows, condition: OverNetwork, severity: Low, description: "d", references: ["r"]),
        (id: "T-CHAN", title: "t", category: Spoofing, applies: Flows, condition: ChannelIn([UnixSocket, SharedFile]), severity: Low, description: "d", references: ["r"]),
        (id: "T-XB", title: "t", category: Spoofing, applies: Crossings, condition: Is(Boundary, "t_on", true), severity: Low, description: "d", references: ["r"]),
        (id: "T-XANY", title: "t", category: Spoofing, applies: Flows, condition: AnyCrossed(All([Entering, Is(Boundary, "t_on", true)])), severity: Low, description: "d", references: ["r"]),
        (id: "T-SEV", title: "t", category: Spoofing, applies: Flows, condition: Always, severity: Low, description: "d", references: ["r"],
            severity_steps: [
                (when: Is(Flow, "classification", "confidential"), at_least: Medium),
                (when: Is(Flow, "classification", "secret"), at_least: High),
                (when: Is(Flow, "carries_secrets", true), at_least: High),
            ]),
    ],
)"#;

fn cat() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(|| {
        let c = with_user(TEMPLATE);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        c
    })
}

fn with_user(text: &str) -> Catalog {
    let mut sources = palisade::rules::catalog::builtin_sources();
    sources.push(palisade::persist::Source::new("user.ron", text, false));
    Catalog::from_sources(sources)
}

fn boxed(m: &mut Model, id: &str, boundary: Option<&str>, props: &[(&str, Value)]) {
    m.elements.insert(
        ElementId::new(id),
        Element {
            provenance: Default::default(),
            id: ElementId::new(id),
            name: id.to_owned(),
            kind: "t.box".into(),
            boundary: boundary.map(BoundaryId::new),
            pos: (0.0, 0.0),
            props: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            ..Default::default()
        },
    );
}

fn bound(m: &mut Model, id: &str, kind: BoundaryKind, parent: Option<&str>, on: Option<bool>) {
    let mut b = Boundary {
        id: BoundaryId::new(id),
        name: id.to_owned(),
        kind,
        parent: parent.map(BoundaryId::new),
        ..Default::default()
    };
    if let Some(on) = on {
        b.props.insert("t_on".into(), Value::Bool(on));
    }
    m.boundaries.insert(BoundaryId::new(id), b);
}

fn flow(m: &mut Model, id: &str, from: &str, to: &str, channel: Channel, props: &[(&str, Value)]) {
    m.flows.insert(
        FlowId::new(id),
        Flow {
            id: FlowId::new(id),
            name: id.to_owned(),
            source: ElementId::new(from),
            target: ElementId::new(to),
            channel,
            props: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        },
    );
}

fn relate(m: &mut Model, id: &str, kind: &str, from: &str, to: &str) {
    m.relations.insert(
        RelationId::new(id),
        Relation {
            id: RelationId::new(id),
            kind: kind.into(),
            source: ElementId::new(from),
            target: ElementId::new(to),
            props: Default::default(),
        },
    );
}

fn fired(a: &Analysis, rule: &str) -> Vec<String> {
    a.threats
        .iter()
        .filter(|t| t.id.as_str().starts_with(&format!("{rule}@")))
        .map(|t| t.id.as_str().to_owned())
        .collect()
}

#[test]
fn below_and_above_at_719_720_721() {
    let mut m = Model::new("t");
    for n in [719.0, 720.0, 721.0] {
        boxed(&mut m, &format!("n{n}"), None, &[("n", Value::Number(n))]);
    }
    let a = analyze(&m, cat());
    assert_eq!(fired(&a, "T-BELOW"), vec!["T-BELOW@element:n719"]);
    assert_eq!(fired(&a, "T-ABOVE"), vec!["T-ABOVE@element:n721"]);
}

#[test]
fn list_tests_on_empty_one_and_several_items() {
    let mut m = Model::new("t");
    let l = |v: &[&str]| Value::list(v.iter().map(|s| (*s).to_owned()));
    boxed(&mut m, "default", None, &[]);
    boxed(&mut m, "empty", None, &[("caps", l(&[]))]);
    boxed(&mut m, "bind", None, &[("caps", l(&["NET_BIND_SERVICE"]))]);
    boxed(
        &mut m,
        "bind-admin",
        None,
        &[("caps", l(&["SYS_ADMIN", "NET_BIND_SERVICE"]))],
    );
    boxed(&mut m, "netadmin", None, &[("caps", l(&["NET_ADMIN"]))]);
    let a = analyze(&m, cat());
    let on = |rule: &str| -> Vec<String> {
        fired(&a, rule)
            .into_iter()
            .map(|id| {
                id.split_once("element:")
                    .map(|x| x.1.to_owned())
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(on("T-CONTAINS"), vec!["bind-admin"]);
    assert_eq!(on("T-CONTAINSANY"), vec!["bind-admin", "netadmin"]);
    // "adds only NET_BIND_SERVICE" holds for nothing added too.
    assert_eq!(on("T-SUBSET"), vec!["bind", "default", "empty"]);
    assert_eq!(on("T-LISTEMPTY"), vec!["default", "empty"]);
    // The why shows the list.
    let t = a.threat("T-CONTAINS@element:bind-admin").expect("fires");
    assert!(
        t.why
            .iter()
            .any(|w| w.contains(r#"caps = ["NET_BIND_SERVICE", "SYS_ADMIN"]"#)),
        "{:?}",
        t.why
    );
}

#[test]
fn user_values_are_parsed_for_uid_0() {
    for v in [
        "0",
        "root",
        "0:10001",
        "root:app",
        "00",
        " 0 ",
        "0:0",
        "root:root",
    ] {
        assert!(names_uid0(v), "{v:?} is uid 0");
    }
    for v in [
        "",
        "1000:0",
        "10001",
        "10001:10001",
        "app",
        "rootless",
        "0x0",
        ":0",
        "nobody:root",
    ] {
        assert!(!names_uid0(v), "{v:?} is not uid 0");
    }
    let mut m = Model::new("t");
    for (id, u) in [("a", "0:10001"), ("b", "1000:0"), ("c", "")] {
        boxed(&mut m, id, None, &[("user", Value::Text(u.into()))]);
    }
    let a = analyze(&m, cat());
    assert_eq!(fired(&a, "T-UID0"), vec!["T-UID0@element:a"]);
    let why = &a.threat("T-UID0@element:a").expect("fires").why;
    assert!(why.iter().any(|w| w.contains("(uid 0)")), "{why:?}");
}

#[test]
fn boundary_properties_nearest_of_a_kind_and_any_enclosing() {
    let mut m = Model::new("t");
    bound(&mut m, "host", BoundaryKind::Host, None, Some(true));
    bound(
        &mut m,
        "outer-ns",
        BoundaryKind::Namespace,
        Some("host"),
        Some(true),
    );
    bound(
        &mut m,
        "inner-ns",
        BoundaryKind::Namespace,
        Some("outer-ns"),
        Some(false),
    );
    bound(&mut m, "unset-ns", BoundaryKind::Namespace, None, None);
    boxed(&mut m, "in-outer", Some("outer-ns"), &[]);
    boxed(&mut m, "in-inner", Some("inner-ns"), &[]);
    boxed(&mut m, "in-host", Some("host"), &[]);
    boxed(&mut m, "in-unset", Some("unset-ns"), &[]);
    boxed(&mut m, "nowhere", None, &[]);
    let a = analyze(&m, cat());
    // The nearest namespace decides, not an outer one.
    assert_eq!(fired(&a, "T-NEAREST"), vec!["T-NEAREST@element:in-outer"]);
    // Any enclosing boundary: the outer namespace or the host.
    assert_eq!(
        fired(&a, "T-ANYENC"),
        vec![
            "T-ANYENC@element:in-host",
            "T-ANYENC@element:in-inner",
            "T-ANYENC@element:in-outer"
        ]
    );
    let why = &a.threat("T-NEAREST@element:in-outer").expect("fires").why;
    assert!(
        why.iter()
            .any(|w| w.contains("boundary `outer-ns`: t_on = true")),
        "{why:?}"
    );
}

#[test]
fn relations_are_followed_nested_and_missing_ends_are_skipped() {
    let mut m = Model::new("t");
    boxed(&mut m, "a", None, &[]);
    boxed(&mut m, "b", None, &[]);
    boxed(&mut m, "c", None, &[("flag", Value::Bool(true))]);
    boxed(&mut m, "d", None, &[]);
    relate(&mut m, "r1", "t.uses", "a", "b");
    relate(&mut m, "r2", "t.uses", "b", "c");
    relate(&mut m, "r3", "t.uses", "d", "ghost");
    let a = analyze(&m, cat());
    assert_eq!(fired(&a, "T-REL"), vec!["T-REL@element:b"]);
    assert_eq!(fired(&a, "T-REL2"), vec!["T-REL2@element:a"]);
    // Incoming: only an element used by a flagged one; c uses nothing.
    assert!(fired(&a, "T-RELIN").is_empty());
    let why = &a.threat("T-REL2@element:a").expect("fires").why;
    assert!(why.iter().any(|w| w == "`a` uses `b`"), "{why:?}");
    assert!(why.iter().any(|w| w == "`b` uses `c`"), "{why:?}");
    relate(&mut m, "r4", "t.uses", "c", "d");
    let a = analyze(&m, cat());
    assert_eq!(fired(&a, "T-RELIN"), vec!["T-RELIN@element:d"]);
    // A property of the relation itself, default false.
    assert!(fired(&a, "T-RELPROP").is_empty());
    m.relations
        .get_mut(&RelationId::new("r4"))
        .map(|r| r.props.insert("ro".into(), Value::Bool(true)))
        .expect("r4");
    let a = analyze(&m, cat());
    assert_eq!(fired(&a, "T-RELPROP"), vec!["T-RELPROP@element:c"]);
    let why = &a.threat("T-RELPROP@element:c").expect("fires").why;
    assert!(
        why.iter()
            .any(|w| w == "relation `t.uses` from `c` to `d`: ro = true"),
        "{why:?}"
    );
}

#[test]
fn channels_tell_network_from_local() {
    let mut m = Model::new("t");
    boxed(&mut m, "a", None, &[]);
    boxed(&mut m, "b", None, &[]);
    flow(&mut m, "net", "a", "b", Channel::Network, &[]);
    flow(&mut m, "sock", "a", "b", Channel::UnixSocket, &[]);
    flow(&mut m, "lo", "a", "b", Channel::Loopback, &[]);
    let a = analyze(&m, cat());
    assert_eq!(fired(&a, "T-NET"), vec!["T-NET@flow:net"]);
    assert_eq!(fired(&a, "T-CHAN"), vec!["T-CHAN@flow:sock"]);
}

#[test]
fn a_crossing_rule_gives_one_threat_per_flow_naming_every_boundary() {
    let mut m = Model::new("t");
    bound(&mut m, "ns1", BoundaryKind::Namespace, None, Some(true));
    bound(&mut m, "ns2", BoundaryKind::Namespace, None, Some(true));
    bound(&mut m, "ns3", BoundaryKind::Namespace, None, Some(false));
    boxed(&mut m, "a", Some("ns1"), &[]);
    boxed(&mut m, "b", Some("ns2"), &[]);
    boxed(&mut m, "c", Some("ns3"), &[]);
    flow(&mut m, "ab", "a", "b", Channel::Network, &[]);
    flow(&mut m, "ac", "a", "c", Channel::Network, &[]);
    flow(&mut m, "ca", "c", "a", Channel::Network, &[]);
    let a = analyze(&m, cat());
    assert_eq!(
        fired(&a, "T-XB"),
        vec!["T-XB@flow:ab", "T-XB@flow:ac", "T-XB@flow:ca"]
    );
    let t = a.threat("T-XB@flow:ab").expect("fires");
    let crossed: Vec<&str> = t.crossed.iter().map(|b| b.as_str()).collect();
    assert_eq!(
        crossed,
        vec!["ns1", "ns2"],
        "leaving ns1, then entering ns2"
    );
    let why = &t.why;
    let first = why.first().unwrap_or_default();
    assert!(
        first.contains("crosses 2 boundaries")
            && first.contains("`ns1`")
            && first.contains("`ns2`"),
        "{why:?}"
    );
    let why = &a.threat("T-XB@flow:ac").expect("fires").why;
    let first = why.first().unwrap_or_default();
    assert!(
        first.contains("crosses 1 boundary") && !first.contains("`ns3`"),
        "{why:?}"
    );
    // AnyCrossed with Entering: only where the flow enters a boundary with t_on.
    assert_eq!(
        fired(&a, "T-XANY"),
        vec!["T-XANY@flow:ab", "T-XANY@flow:ca"]
    );
}

#[test]
fn severity_steps_raise_with_classification_and_secrets() {
    let mut m = Model::new("t");
    boxed(&mut m, "a", None, &[]);
    boxed(&mut m, "b", None, &[]);
    let text = |s: &str| Value::Text(s.into());
    flow(
        &mut m,
        "public",
        "a",
        "b",
        Channel::Network,
        &[("classification", text("public"))],
    );
    flow(
        &mut m,
        "conf",
        "a",
        "b",
        Channel::Network,
        &[("classification", text("confidential"))],
    );
    flow(
        &mut m,
        "secret",
        "a",
        "b",
        Channel::Network,
        &[("classification", text("secret"))],
    );
    flow(
        &mut m,
        "creds",
        "a",
        "b",
        Channel::Network,
        &[("carries_secrets", Value::Bool(true))],
    );
    let a = analyze(&m, cat());
    let sev = |f: &str| {
        a.threat(&format!("T-SEV@flow:{f}"))
            .map(|t| t.rule_severity)
    };
    assert_eq!(sev("public"), Some(Severity::Low));
    assert_eq!(sev("conf"), Some(Severity::Medium));
    assert_eq!(sev("secret"), Some(Severity::High));
    assert_eq!(sev("creds"), Some(Severity::High));
    let why = &a.threat("T-SEV@flow:creds").expect("fires").why;
    assert!(
        why.iter()
            .any(|w| w.starts_with("severity raised from Low to High")
                && w.contains("carries_secrets = true")),
        "{why:?}"
    );
    assert!(
        !a.threat("T-SEV@flow:public")
            .expect("fires")
            .why
            .iter()
            .any(|w| w.contains("raised"))
    );
}

fn only_user_error(text: &str) -> palisade::diag::Diagnostic {
    let c = with_user(text);
    let errs: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.file.as_deref() == Some("user.ron"))
        .cloned()
        .collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].pos.is_some(), "located: {}", errs[0]);
    errs[0].clone()
}

fn rule(applies: &str, cond: &str) -> String {
    format!(
        "(id: \"u\", name: \"U\", version: \"1\", group: \"U\", rules: [\n  (id: \"U-1\", title: \"t\", category: Spoofing,\n   applies: {applies},\n   condition: {cond},\n   severity: Low, description: \"d\", references: [\"CWE-1\"]),\n])"
    )
}

#[test]
fn new_leaves_are_type_checked_at_load_with_located_errors() {
    let cases = [
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Contains(Element, \"privileged\", \"x\")",
            ),
            "need a list",
        ),
        (
            rule(
                "Elements([\"docker.container\"])",
                "RunsAsUid0(Element, \"cap_add\")",
            ),
            "needs text",
        ),
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Is(Boundary, \"pod_security\", \"restricted\")",
            ),
            "role `Boundary` is not available here",
        ),
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Nearest(Element, Namespace, Is(Boundary, \"firewall\", true))",
            ),
            "unknown boundary property `firewall`: not declared for boundary kind namespace",
        ),
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Nearest(Element, Namespace, Is(Boundary, \"pod_security\", \"strict\"))",
            ),
            "`strict` is not an option",
        ),
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Related(Out, \"k8s.no-such\", Always)",
            ),
            "unknown relation kind `k8s.no-such`",
        ),
        (
            rule("Flows", "Related(Out, \"k8s.runs-on\", Always)"),
            "`Related` is only meaningful in an element rule",
        ),
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Related(Out, \"k8s.uses-service-account\", Is(Element, \"privileged\", true))",
            ),
            "unknown property `privileged`",
        ),
        (
            rule("Elements([\"k8s.workload\"])", "OverNetwork"),
            "needs a flow",
        ),
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Is(Relation, \"as_env\", true)",
            ),
            "role `Relation` is not available here",
        ),
        (
            rule(
                "Elements([\"k8s.workload\"])",
                "Related(Out, \"k8s.mounts-secret\", Is(Relation, \"read_only\", true))",
            ),
            "unknown relation property `read_only`",
        ),
        (rule("Flows", "ChannelIn([])"), "lists no channel"),
        (
            rule("Elements([\"k8s.workload\"])", "AnyCrossed(Always)"),
            "needs a flow",
        ),
    ];
    for (text, want) in cases {
        let d = only_user_error(&text);
        assert!(d.message.contains(want), "want {want:?}, got {d}");
    }
}

#[test]
fn relations_and_boundary_properties_are_validated() {
    let mut m = Model::new("t");
    bound(&mut m, "ns", BoundaryKind::Namespace, None, None);
    m.boundaries
        .get_mut(&BoundaryId::new("ns"))
        .map(|b| {
            b.props.insert("t_on".into(), Value::Text("yes".into()));
            b.props.insert("no_such".into(), Value::Bool(true));
        })
        .expect("ns");
    boxed(&mut m, "a", Some("ns"), &[]);
    m.elements.insert(
        ElementId::new("sa"),
        Element {
            crown_jewel: Default::default(),
            entry_point: Default::default(),
            provenance: Default::default(),
            id: ElementId::new("sa"),
            name: "sa".into(),
            kind: "k8s.service-account".into(),
            boundary: None,
            pos: (0.0, 0.0),
            props: Default::default(),
        },
    );
    relate(&mut m, "r-ghost", "t.uses", "a", "ghost");
    relate(&mut m, "r-kind", "no.such-kind", "a", "a");
    relate(&mut m, "r-ends", "t.uses", "a", "sa");
    let a = analyze(&m, cat());
    let codes: Vec<(&str, &str)> = a
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    let has = |code: &str, text: &str| codes.iter().any(|(c, m)| *c == code && m.contains(text));
    assert!(
        has(
            "property-type",
            "boundary `ns`: property `t_on` must be bool"
        ),
        "{codes:?}"
    );
    assert!(
        has(
            "unknown-property",
            "no property `no_such` is declared for boundary kind namespace"
        ),
        "{codes:?}"
    );
    assert!(
        has(
            "dangling-relation",
            "relation `r-ghost`: target `ghost` does not exist"
        ),
        "{codes:?}"
    );
    assert!(has("unknown-relation-kind", "`no.such-kind`"), "{codes:?}");
    assert!(
        has(
            "relation-end-kind",
            "relation `r-ends` (uses): target `sa` is a k8s.service-account"
        ),
        "{codes:?}"
    );
    // A wrong-typed boundary value is never read as the declared type.
    assert!(fired(&a, "T-NEAREST").is_empty());
}
