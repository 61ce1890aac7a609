//! Attack paths on the examples: the paths a reviewer draws by hand are the ones found,
//! the hardened examples have none, and the CLI, JSON and rules see them.

use crate::common::{analysed, catalog, root};
use palisade::analysis::paths::{self, Paths, Query};
use std::process::{Command, Output};

fn palisade(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(root())
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run palisade: {e}"),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn found(rel: &str) -> Paths {
    let (m, a) = analysed(rel);
    match paths::find(
        &m,
        catalog(),
        &a,
        &Query {
            cuts: true,
            ..Query::default()
        },
    ) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// Each path as its element ids, entry first, with the step ids between them.
fn drawn(p: &Paths) -> Vec<String> {
    p.paths
        .iter()
        .map(|x| {
            let mut s = x.entry.to_string();
            for st in &x.steps {
                s.push_str(&format!(" -{}-> {}", st.step, st.to));
            }
            s
        })
        .collect()
}

#[test]
fn kubernetes_example_paths_are_the_ones_a_reviewer_draws() {
    let p = found("examples/kubernetes-cluster.ron");
    assert_eq!(
        drawn(&p),
        [
            // The CI system's stored deploy token is a cluster-admin identity.
            "ci-pipeline -PIVOT-CREDENTIAL-USE-> ci-deployer-sa",
            "ci-pipeline -PIVOT-CREDENTIAL-USE-> ci-deployer-sa -PIVOT-GRANTED-> ci-deployer-binding",
            // ingress-nginx with snippets reads every Secret (CVE-2021-25742 class).
            "customers -FLOW-INPUT-> ingress -PIVOT-INGRESS-SNIPPETS-> payments-db-creds",
            "customers -FLOW-INPUT-> ingress -PIVOT-INGRESS-SNIPPETS-> wildcard-tls",
            "ci-pipeline -PIVOT-CREDENTIAL-USE-> ci-deployer-sa -PIVOT-GRANTED-> ci-deployer-binding -PIVOT-CLUSTER-ADMIN-> api-server",
            // The storefront through the ingress into payments-api and its database.
            "customers -FLOW-INPUT-> ingress -FLOW-INPUT-> payments-api -FLOW-STORE-> payments-rds",
            "ci-pipeline -PIVOT-CREDENTIAL-USE-> ci-deployer-sa -PIVOT-GRANTED-> ci-deployer-binding -PIVOT-CLUSTER-ADMIN-> api-server -FLOW-STORE-> etcd",
            "ci-pipeline -PIVOT-CREDENTIAL-USE-> ci-deployer-sa -PIVOT-GRANTED-> ci-deployer-binding -PIVOT-CLUSTER-ADMIN-> api-server -FLOW-STORE-> etcd -FLOW-STORE-> etcd-backups",
        ]
    );
    // The stolen deploy token is the one step that cuts every path to etcd.
    let etcd = p.paths.iter().find(|x| x.target.as_str() == "etcd");
    let Some(etcd) = etcd else {
        panic!("no path to etcd");
    };
    let cut: Vec<(&str, &str)> = etcd
        .cut
        .iter()
        .map(|s| (s.from.as_str(), s.to.as_str()))
        .collect();
    assert_eq!(cut, [("ci-pipeline", "ci-deployer-sa")]);
    // Each step says why it exists.
    for x in &p.paths {
        for s in &x.steps {
            assert!(!s.why.is_empty(), "{}: {} has no why", x.id, s.step);
        }
    }
    // The snippets step's threat to fix is the ingress rule.
    let tls = p.paths.iter().find(|x| x.target.as_str() == "wildcard-tls");
    assert!(tls.is_some_and(|x| {
        x.steps[1]
            .open_threats
            .iter()
            .any(|t| t.as_str() == "K8S-E-23@element:ingress")
    }));
}

#[test]
fn docker_example_path_is_the_unverified_pull_into_the_daemon() {
    let p = found("examples/docker-attack-surface.ron");
    assert_eq!(drawn(&p), ["docker-hub -FLOW-INPUT-> dockerd"]);
    // Two ways from Docker Hub into the daemon: the ad-hoc pull and the CI build that
    // deploys it; both must be closed.
    let cut: Vec<(&str, &str)> = p.paths[0]
        .cut
        .iter()
        .map(|s| (s.from.as_str(), s.to.as_str()))
        .collect();
    assert_eq!(
        cut,
        [("docker-hub", "ci-builder"), ("docker-hub", "dockerd")]
    );
}

#[test]
fn hardened_examples_have_no_attack_path() {
    let hardened: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with("hardened.ron") || n == "docker-rootless-compose.ron")
        .map(|n| format!("examples/{n}"))
        .collect();
    assert!(!hardened.is_empty());
    for rel in hardened.iter().map(String::as_str) {
        let p = found(rel);
        assert!(p.paths.is_empty(), "{rel}: {:?}", drawn(&p));
        let o = palisade(&["paths", rel]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(
            text(&o.stdout).starts_with("0 attack paths"),
            "{}",
            text(&o.stdout)
        );
    }
}

#[test]
fn paths_command_formats_and_queries() {
    let k8s = "examples/kubernetes-cluster.ron";
    let o = palisade(&["paths", k8s, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["paths"].as_array().map(Vec::len), Some(8));
    assert_eq!(v["paths"][0]["id"], "ci-pipeline->ci-deployer-sa");
    assert_eq!(v["paths"][0]["steps"][0]["step"], "PIVOT-CREDENTIAL-USE");
    // Same input, same bytes.
    let again = palisade(&["paths", k8s, "--format", "json"]);
    assert_eq!(o.stdout, again.stdout);
    let o = palisade(&["paths", k8s, "--from", "customers", "--to", "payments-rds"]);
    let out = text(&o.stdout);
    assert!(out.starts_with("1 attack path"), "{out}");
    assert!(out.contains("customers->payments-rds  3 steps"), "{out}");
    let o = palisade(&["paths", k8s, "--max", "2", "--format", "markdown"]);
    let out = text(&o.stdout);
    assert!(out.starts_with("# Attack paths"), "{out}");
    assert!(out.contains("6 more left out by `--max`"), "{out}");
    let o = palisade(&["paths", k8s, "--from", "no-such-element"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no-such-element"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn check_fails_on_an_untriaged_path_only_when_asked() {
    let k8s = "examples/kubernetes-cluster.ron";
    let plain = palisade(&["check", k8s, "--fail-on", "critical"]);
    let with = palisade(&["check", k8s, "--fail-on", "critical", "--fail-on-path"]);
    assert_eq!(with.status.code(), Some(1), "{}", text(&with.stdout));
    let out = text(&with.stdout);
    assert!(
        out.contains("path\tci-pipeline->etcd\t4 steps\tevery step untriaged"),
        "{out}"
    );
    // Without the flag only the threats decide.
    assert!(!text(&plain.stdout).contains("attack paths"));
    let hardened = palisade(&[
        "check",
        "examples/docker-hardened.ron",
        "--fail-on",
        "critical",
        "--fail-on-path",
    ]);
    assert!(
        text(&hardened.stdout).contains("0 attack paths"),
        "{}",
        text(&hardened.stdout)
    );
}

#[test]
fn threat_json_marks_what_lies_on_a_path_and_nothing_else() {
    let o = palisade(&[
        "threats",
        "examples/kubernetes-cluster.ron",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let arr = v.as_array().expect("array");
    let on = |id: &str| {
        arr.iter()
            .find(|t| t["id"] == id)
            .map(|t| (t["on_attack_path"].clone(), t["attack_paths"].clone()))
    };
    let (flag, ids) = on("K8S-E-23@element:ingress").expect("ingress threat");
    assert_eq!(flag, serde_json::Value::Bool(true));
    let ids: Vec<&str> = ids
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    assert!(ids.contains(&"customers->wildcard-tls"), "{ids:?}");
    // Prometheus is on no path: its threats carry no attack-path fields at all.
    let (flag, ids) = on("K8S-T-04@element:prometheus").unwrap_or_default();
    assert!(flag.is_null() && ids.is_null(), "{flag} {ids}");
    // SARIF says the same in the result's properties.
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("k8s.sarif");
    let sarif_s = sarif.display().to_string();
    let o = palisade(&["report", "examples/kubernetes-cluster.ron", "-o", &sarif_s]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("SARIF JSON");
    let results = v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ingress = results
        .iter()
        .find(|r| r["properties"]["threatId"] == "K8S-E-23@element:ingress")
        .expect("ingress result");
    assert_eq!(
        ingress["properties"]["onAttackPath"],
        serde_json::Value::Bool(true)
    );
    assert!(
        results
            .iter()
            .any(|r| r["properties"]["onAttackPath"].is_null())
    );
    // A model without paths gives exactly the JSON it gave before.
    let o = palisade(&[
        "threats",
        "examples/docker-hardened.ron",
        "--format",
        "json",
    ]);
    assert!(!text(&o.stdout).contains("attack_path"));
}

#[test]
fn a_rule_can_raise_what_is_reachable_with_on_attack_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("reach.ron"),
        r#"(
    id: "reach", name: "Reachable", version: "1", group: "Test",
    rules: [(
        id: "REACH-E-01", title: "Workload reachable from an entry point", category: ElevationOfPrivilege,
        applies: Elements(["k8s.workload"]),
        condition: OnAttackPath(Element),
        severity: Critical, description: "{element} lies on an attack path.",
        references: ["ATT&CK T1190"],
    )],
)"#,
    )
    .expect("write template");
    let dir_s = dir.path().display().to_string();
    let o = palisade(&[
        "threats",
        "examples/kubernetes-cluster.ron",
        "--templates",
        &dir_s,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let reach: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .filter(|id| id.starts_with("REACH-E-01@"))
        .collect();
    // payments-api is on the storefront path; no other workload is.
    assert_eq!(reach, ["REACH-E-01@element:payments-api"]);
    let t = v.as_array().and_then(|a| {
        a.iter()
            .find(|t| t["id"] == "REACH-E-01@element:payments-api")
    });
    let why = t.map(|t| t["why"].to_string()).unwrap_or_default();
    assert!(
        why.contains("is on attack path customers->payments-rds"),
        "{why}"
    );
}

#[test]
fn attack_path_steps_are_checked_at_load_with_a_location() {
    let bad = r#"(
    id: "bad", name: "Bad", version: "1", group: "Test",
    pivots: [
        (id: "P-1", title: "x", from: ["k8s.pod"], condition: OnAttackPath(Element), to: [Every(["k8s.node"])], control: "c", references: ["r"]),
        (id: "P-2", title: "x", from: ["k8s.pod"], to: [Relation(Out, "no.such-relation")], control: "c", references: ["r"]),
        (id: "P-3", title: "x", from: ["no.such-kind"], to: [Every(["k8s.node"])], control: "c", references: ["r"]),
        (id: "P-4", title: "x", from: ["k8s.pod"], condition: Is(Element, "privileged", 3), to: [Every(["k8s.node"])], control: "c", references: ["r"]),
    ],
    flow_steps: [
        (id: "F-1", title: "x", controls: ["classification"], control: "c", references: ["r"]),
    ],
)"#;
    let mut sources = palisade::rules::catalog::builtin_sources();
    sources.push(palisade::persist::Source::new("bad.ron", bad, false));
    let cat = palisade::rules::Catalog::from_sources(sources);
    let msgs: Vec<String> = cat.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(msgs.len(), 5, "{msgs:#?}");
    for (needle, line) in [
        ("`OnAttackPath` is only meaningful in a rule", 4),
        ("unknown relation kind `no.such-relation`", 5),
        ("unknown kind `no.such-kind`", 6),
        ("property `privileged` is bool", 7),
        ("control `classification` is a enum flow property", 10),
    ] {
        let hit = msgs.iter().find(|m| m.contains(needle));
        assert!(
            hit.is_some_and(|m| m.starts_with(&format!("bad.ron:{line}:"))),
            "{needle} at line {line}: {msgs:#?}"
        );
    }
    // The good steps still load.
    assert_eq!(cat.pivots.len(), catalog().pivots.len());
}

/// Each KubeHound sample that describes an escalation, imported with `palisade import
/// --from k8s`, yields a path from its workload (the attacker holds the container, as
/// in KubeHound) to the node or to a cluster-admin-grade identity. Manifests name no
/// node and no cluster admin, so the test adds the context every cluster has: one node
/// every workload runs on (marked as a crown jewel), a cluster-admin service account
/// with its binding and wildcard ClusterRole in kube-system, a privileged agent pod and
/// a Secret in the sample's namespace. A benign pod in the same context reaches nothing.
#[test]
fn kubehound_escalation_samples_yield_paths() {
    use palisade::model::{
        Boundary, BoundaryId, BoundaryKind, Element, ElementId, Model, Relation, RelationId, Value,
    };
    let dir = root().join("../shared/samples/kubernetes/kubehound-attacks");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let probe = palisade(&["import", "--help"]);
    if probe.status.code() != Some(0) || !text(&probe.stdout).contains("k8s") {
        eprintln!("skipped: this build has no `palisade import --from k8s`");
        return;
    }
    fn context(m: &mut Model) {
        let ns = m
            .boundaries
            .values()
            .find(|b| b.kind == BoundaryKind::Namespace)
            .map(|b| b.id.clone());
        let cluster = m
            .boundaries
            .values()
            .find(|b| b.kind == BoundaryKind::Cluster)
            .map(|b| b.id.clone());
        m.boundaries.insert(
            BoundaryId::new("ctx.kube-system"),
            Boundary {
                id: BoundaryId::new("ctx.kube-system"),
                name: "kube-system".into(),
                kind: BoundaryKind::Namespace,
                parent: cluster.clone(),
                ..Default::default()
            },
        );
        let mut add = |id: &str, kind: &str, b: Option<BoundaryId>, props: &[(&str, Value)]| {
            m.elements.insert(
                ElementId::new(id),
                Element {
                    id: ElementId::new(id),
                    name: id.into(),
                    kind: kind.into(),
                    boundary: b,
                    props: props
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), v.clone()))
                        .collect(),
                    ..Default::default()
                },
            );
        };
        let ks = Some(BoundaryId::new("ctx.kube-system"));
        add("ctx.node", "k8s.node", cluster.clone(), &[]);
        add("ctx.admin-sa", "k8s.service-account", ks.clone(), &[]);
        add(
            "ctx.admin-binding",
            "k8s.rbac-binding",
            ks.clone(),
            &[("role", Value::Text("cluster-admin".into()))],
        );
        add(
            "ctx.admin-role",
            "k8s.role",
            ks,
            &[
                ("wildcard", Value::Bool(true)),
                ("cluster_wide", Value::Bool(true)),
            ],
        );
        add(
            "ctx.agent",
            "k8s.daemonset",
            ns.clone(),
            &[("privileged", Value::Bool(true))],
        );
        add("ctx.secret", "k8s.secret", ns, &[]);
        if let Some(n) = m.elements.get_mut("ctx.node") {
            n.crown_jewel = true;
        }
        let workloads: Vec<ElementId> = m
            .elements
            .values()
            .filter(|e| catalog().kind_matches(&e.kind, &["k8s.workload".to_owned()]))
            .map(|e| e.id.clone())
            .collect();
        let mut rel = |kind: &str, a: &ElementId, b: &str| {
            let id = RelationId::new(format!("ctx.{}.{a}", m.relations.len()));
            m.relations.insert(
                id.clone(),
                Relation {
                    id,
                    kind: kind.into(),
                    source: a.clone(),
                    target: ElementId::new(b),
                    ..Default::default()
                },
            );
        };
        for w in &workloads {
            rel("k8s.runs-on", w, "ctx.node");
        }
        rel(
            "k8s.binds-subject",
            &ElementId::new("ctx.admin-binding"),
            "ctx.admin-sa",
        );
        rel(
            "k8s.binds-role",
            &ElementId::new("ctx.admin-binding"),
            "ctx.admin-role",
        );
    }
    // (sample, a step the escalation takes, where it must lead).
    let cases = [
        ("CE_MODULE_LOAD.yaml", "PIVOT-ESCAPE-MODULE", "ctx.node"),
        ("CE_NSENTER.yaml", "PIVOT-ESCAPE-PRIVILEGED", "ctx.node"),
        ("CE_PRIV_MOUNT.yaml", "PIVOT-ESCAPE-PRIVILEGED", "ctx.node"),
        ("CE_SYS_PTRACE.yaml", "PIVOT-ESCAPE-HOST-PID", "ctx.node"),
        (
            "EXPLOIT_HOST_WRITE.yaml",
            "PIVOT-ESCAPE-HOST-WRITE",
            "ctx.node",
        ),
        (
            "IDENTITY_IMPERSONATE.yaml",
            "PIVOT-RBAC-IMPERSONATE",
            "ctx.admin-sa",
        ),
        ("POD_CREATE.yaml", "PIVOT-RBAC-CREATE-PODS", "ctx.node"),
        ("POD_EXEC.yaml", "PIVOT-RBAC-EXEC", "ctx.node"),
        (
            "ROLE_BIND_CRB_CR.yaml",
            "PIVOT-RBAC-BIND-ESCALATE",
            "ctx.admin-role",
        ),
        (
            "ROLE_BIND_RB_R-SA.yaml",
            "PIVOT-RBAC-BIND-ESCALATE",
            "ctx.admin-role",
        ),
        // Listing the namespace's Secrets reaches its Secrets (their tokens), not the
        // node: the escalation the sample describes.
        ("TOKEN_LIST.yaml", "PIVOT-RBAC-READ-SECRETS", "ctx.secret"),
        // SHARE_PS_NAMESPACE is left out: containers of one pod see each other, which
        // is below the model's grain (a pod is one element) and leads to no other.
    ];
    let out = tempfile::tempdir().expect("tempdir");
    let import = |sample: &str| -> Option<Model> {
        let src = dir.join(sample);
        if !src.is_file() {
            eprintln!("skipped: {} is absent", src.display());
            return None;
        }
        let model = out.path().join(format!("{sample}.ron"));
        let (src_s, model_s) = (src.display().to_string(), model.display().to_string());
        let o = palisade(&["import", "--from", "k8s", &src_s, "-o", &model_s, "--force"]);
        assert_eq!(o.status.code(), Some(0), "{sample}: {}", text(&o.stderr));
        match palisade::persist::load(&model) {
            Ok(l) => Some(l.model),
            Err(e) => panic!("{sample}: {e}"),
        }
    };
    for (sample, step, target) in cases {
        let Some(mut m) = import(sample) else {
            continue;
        };
        context(&mut m);
        let a = palisade::analysis::analyze(&m, catalog());
        let mut hits = Vec::new();
        let starts: Vec<ElementId> = m
            .elements
            .values()
            .filter(|e| !e.id.as_str().starts_with("ctx.") && e.kind.starts_with("k8s.pod"))
            .map(|e| e.id.clone())
            .collect();
        assert!(!starts.is_empty(), "{sample}: no pod imported");
        for w in starts {
            let q = Query {
                from: Some(w.clone()),
                to: Some(ElementId::new(target)),
                ..Query::default()
            };
            let p = paths::find(&m, catalog(), &a, &q).unwrap_or_else(|e| panic!("{e}"));
            for x in &p.paths {
                let steps: Vec<&str> = x.steps.iter().map(|s| s.step.as_str()).collect();
                hits.push(format!("{}: {}", x.id, steps.join(" ")));
            }
        }
        assert!(
            hits.iter().any(|h| h.contains(step)),
            "{sample}: no path to {target} takes {step}: {hits:?}"
        );
    }
    // The negative control: a pod that asks for nothing reaches neither the node nor
    // an admin identity in the same context.
    let Some(mut m) = import("POD_CREATE.yaml") else {
        return;
    };
    m.elements
        .retain(|id, _| id.as_str().starts_with("default.pod."));
    m.relations.clear();
    context(&mut m);
    let a = palisade::analysis::analyze(&m, catalog());
    for target in ["ctx.node", "ctx.admin-sa", "ctx.admin-role"] {
        let q = Query {
            from: Some(ElementId::new("default.pod.pod-create-pod")),
            to: Some(ElementId::new(target)),
            ..Query::default()
        };
        let p = paths::find(&m, catalog(), &a, &q).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.paths.is_empty(), "a benign pod reaches {target}");
    }
}
