//! Kubernetes and Compose import, re-sync and drift: the real samples (when present),
//! small manifests written here, hostile input, merge properties and drift exit codes.

use super::common::{catalog, root};
use palisade::analysis::analyze;
use palisade::diag::Level;
use palisade::import::compose::import_compose;
use palisade::import::k8s::import_k8s;
use palisade::import::sync::{self, Drift};
use palisade::import::{ImportError, Imported};
use palisade::model::{Severity, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn samples(sub: &str) -> Option<PathBuf> {
    let p = root().join("../shared/samples").join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; the sample tests did not run",
            p.display()
        );
        None
    }
}

fn k8s(text: &str) -> Imported {
    match import_k8s(&[("t.yaml".to_owned(), text.as_bytes().to_vec())]) {
        Ok(i) => i,
        Err(e) => panic!("import failed: {e}"),
    }
}

fn prop<'m>(i: &'m Imported, id: &str, p: &str) -> &'m Value {
    let e = i.model.elements.get(id).unwrap_or_else(|| {
        panic!(
            "no element {id}; have {:?}",
            i.model.elements.keys().collect::<Vec<_>>()
        )
    });
    e.props.get(p).unwrap_or_else(|| panic!("{id} has no {p}"))
}

/// The ATT&CK technique of each KubeHound attack (from the samples' README).
const KUBEHOUND: &[(&str, &str)] = &[
    ("CE_PRIV_MOUNT", "T1611"),
    ("CE_NSENTER", "T1611"),
    ("CE_MODULE_LOAD", "T1611"),
    ("CE_SYS_PTRACE", "T1611"),
    ("EXPLOIT_HOST_WRITE", "T1611"),
    ("POD_CREATE", "T1610"),
    ("POD_EXEC", "T1609"),
    ("ROLE_BIND_CRB_CR", "T1078"),
    ("ROLE_BIND_RB_R-SA", "T1078"),
    ("TOKEN_LIST", "T1528"),
    ("SHARE_PS_NAMESPACE", "T1080"),
    ("IDENTITY_IMPERSONATE", "T1078"),
];

#[test]
fn every_kubehound_attack_yields_a_high_threat_naming_its_technique() {
    let Some(dir) = samples("kubernetes/kubehound-attacks") else {
        return;
    };
    let cat = catalog();
    for (name, technique) in KUBEHOUND {
        let path = dir.join(format!("{name}.yaml"));
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(!bytes.is_empty(), "{} missing", path.display());
        let imp = match import_k8s(&[(format!("{name}.yaml"), bytes)]) {
            Ok(i) => i,
            Err(e) => panic!("{name}: {e}"),
        };
        assert!(
            imp.diagnostics.iter().all(|d| d.level < Level::Warning),
            "{name}: {:?}",
            imp.diagnostics
        );
        let a = analyze(&imp.model, cat);
        assert!(
            a.diagnostics.iter().all(|d| d.level != Level::Error),
            "{name}: model errors {:?}",
            a.diagnostics
        );
        // The attacking workload, its service account or its role.
        let hit = a.threats.iter().find(|t| {
            let palisade::analysis::Subject::Element(id) = &t.subject else {
                return false;
            };
            let kind = imp
                .model
                .elements
                .get(id)
                .map(|e| e.kind.as_str())
                .unwrap_or("");
            let attacker = cat.kind_matches(kind, &["k8s.workload".into()])
                || kind == "k8s.service-account"
                || kind == "k8s.role";
            let refs = &cat.rules[match t.origin {
                palisade::analysis::Origin::Rule(r) => r,
                _ => return false,
            }]
            .rule
            .references;
            attacker
                && t.rule_severity >= Severity::High
                && refs
                    .iter()
                    .any(|r| r.contains(&format!("ATT&CK {technique}")))
        });
        assert!(
            hit.is_some(),
            "{name}: no high threat citing {technique}: {:?}",
            a.threats.iter().map(|t| t.id.as_str()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn online_boutique_imports_its_deployments_services_and_flows_without_the_mitigated_threats() {
    let Some(dir) = samples("kubernetes/online-boutique") else {
        return;
    };
    let bytes = std::fs::read(dir.join("kubernetes-manifests.yaml")).unwrap_or_default();
    let imp = match import_k8s(&[("kubernetes-manifests.yaml".into(), bytes)]) {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    };
    let m = &imp.model;
    let deployments: Vec<&str> = m
        .elements
        .values()
        .filter(|e| e.kind == "k8s.deployment")
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(deployments.len(), 12, "{deployments:?}");
    for want in [
        "frontend",
        "loadgenerator",
        "redis-cart",
        "checkoutservice",
        "cartservice",
    ] {
        assert!(deployments.contains(&want), "{want} missing");
    }
    // Flows from the env-named Services, and the LoadBalancer from the Internet.
    let has_flow = |s: &str, t: &str| {
        m.flows
            .values()
            .any(|f| f.source.as_str() == s && f.target.as_str() == t)
    };
    assert!(has_flow(
        "default.deploy.frontend",
        "default.deploy.productcatalogservice"
    ));
    assert!(has_flow(
        "default.deploy.checkoutservice",
        "default.deploy.paymentservice"
    ));
    assert!(has_flow(
        "default.deploy.cartservice",
        "default.deploy.redis-cart"
    ));
    assert!(has_flow(
        "default.deploy.loadgenerator",
        "default.deploy.frontend"
    ));
    assert!(has_flow("internet.clients", "default.deploy.frontend"));
    assert!(m.flows.len() >= 15, "{} flows", m.flows.len());
    // Service accounts used.
    assert!(
        m.relations
            .values()
            .filter(|r| r.kind == "k8s.uses-service-account")
            .count()
            >= 11
    );
    // Hardened securityContexts: none of the threats they mitigate.
    let a = analyze(m, catalog());
    let fired: Vec<&str> = a.threats.iter().map(|t| t.id.as_str()).collect();
    for e in m.elements.values().filter(|e| e.kind == "k8s.deployment") {
        for rule in [
            "K8S-E-04", "K8S-E-08", "K8S-E-09", "K8S-E-10", "K8S-T-04", "K8S-S-11",
        ] {
            let id = format!("{rule}@element:{}", e.id);
            assert!(
                !fired.contains(&id.as_str()),
                "{id} fired on a hardened workload"
            );
        }
        assert_eq!(
            e.props.get("run_as_non_root"),
            Some(&Value::Bool(true)),
            "{}",
            e.id
        );
        assert_eq!(
            e.props.get("read_only_root_fs"),
            Some(&Value::Bool(true)),
            "{}",
            e.id
        );
    }
    // Same input, same bytes out.
    let again = import_k8s(&[(
        "kubernetes-manifests.yaml".into(),
        std::fs::read(dir.join("kubernetes-manifests.yaml")).unwrap_or_default(),
    )]);
    let (Ok(again), Ok(a1)) = (again, palisade::persist::to_text(m)) else {
        panic!("second import failed");
    };
    assert_eq!(palisade::persist::to_text(&again.model).ok(), Some(a1));
}

#[test]
fn every_compose_sample_imports_and_the_socket_mounts_are_flagged() {
    let Some(dir) = samples("compose") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let imp = match import_compose(&[(name.clone(), std::fs::read(f).unwrap_or_default())]) {
            Ok(i) => i,
            Err(e) => panic!("{name}: {e}"),
        };
        assert!(
            imp.model
                .elements
                .values()
                .any(|e| e.kind == "docker.container"),
            "{name}"
        );
        let a = analyze(&imp.model, catalog());
        assert!(
            a.diagnostics.iter().all(|d| d.level != Level::Error),
            "{name}: {:?}",
            a.diagnostics
        );
        let socket = a
            .threats
            .iter()
            .any(|t| t.id.as_str().starts_with("DOCKER-E-04@"));
        let expect = name.starts_with("portainer") || name.starts_with("traefik");
        assert_eq!(socket, expect, "{name}: Docker socket threat");
    }
}

const DEPLOY: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      volumes:
        - name: logs
          hostPath: {path: /var/log}
        - name: cfg
          configMap: {name: web-config}
      containers:
        - name: web
          image: registry.example/web@sha256:0123
          env:
            - name: API_ADDR
              value: "http://api.shop.svc.cluster.local:8080/v1"
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: api-token, key: t}}
          volumeMounts:
            - {name: logs, mountPath: /logs, readOnly: true}
            - {name: cfg, mountPath: /cfg}
          securityContext:
            privileged: true
            capabilities: {add: [NET_ADMIN, CAP_SYS_TIME], drop: [ALL]}
        - name: sidecar
          image: busybox:1.36
          securityContext:
            runAsUser: 0
            capabilities: {drop: [NET_RAW]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 8080, name: http}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: api
          image: registry.example/api:2.1
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
          resources: {limits: {cpu: 1, memory: 1Gi}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
"#;

#[test]
fn a_small_manifest_maps_every_security_field_with_its_provenance() {
    let i = k8s(DEPLOY);
    let web = "shop.deploy.web";
    assert_eq!(prop(&i, web, "privileged"), &Value::Bool(true));
    assert_eq!(
        prop(&i, web, "capabilities_added"),
        &Value::list(["NET_ADMIN", "SYS_TIME"])
    );
    // Dropped by every container: nothing in common between [ALL] and [NET_RAW] ...
    assert_eq!(
        prop(&i, web, "capabilities_dropped"),
        &Value::list(Vec::<String>::new())
    );
    // ... but NET_RAW is gone from both.
    assert_eq!(prop(&i, web, "net_raw_dropped"), &Value::Bool(true));
    assert_eq!(prop(&i, web, "run_as_non_root"), &Value::Bool(false));
    assert_eq!(prop(&i, web, "run_as_user"), &Value::Text("0".into()));
    assert_eq!(prop(&i, web, "host_paths"), &Value::list(["/var/log"]));
    assert_eq!(
        prop(&i, web, "host_paths_writable"),
        &Value::list(Vec::<String>::new())
    );
    assert_eq!(
        prop(&i, web, "host_path_mounts"),
        &Value::Text("read-only".into())
    );
    assert_eq!(prop(&i, web, "image_reference"), &Value::Text("tag".into()));
    assert_eq!(prop(&i, web, "secrets_as_env"), &Value::Bool(true));
    assert_eq!(
        prop(&i, web, "uses_default_service_account"),
        &Value::Bool(false)
    );
    let from = &i.model.elements[web].provenance["privileged"];
    assert_eq!(
        from,
        "t.yaml doc 2, spec.template.spec.containers[0].securityContext.privileged"
    );
    let api = "shop.sts.api";
    assert_eq!(prop(&i, api, "run_as_non_root"), &Value::Bool(true));
    assert_eq!(
        prop(&i, api, "allow_privilege_escalation"),
        &Value::Bool(false)
    );
    assert_eq!(
        prop(&i, api, "seccomp_profile"),
        &Value::Text("runtime-default".into())
    );
    assert_eq!(prop(&i, api, "resource_limits"), &Value::Bool(true));
    assert_eq!(prop(&i, api, "automount_sa_token"), &Value::Bool(false));
    // Namespace boundary: Pod Security level and default deny.
    let ns = &i.model.boundaries["ns.shop"];
    assert_eq!(
        ns.props.get("pod_security"),
        Some(&Value::Text("restricted".into()))
    );
    assert_eq!(
        ns.props.get("default_deny_ingress"),
        Some(&Value::Bool(true))
    );
    // Relations: service account, secret, config map, policy selection.
    let rel = |k: &str, s: &str, t: &str| {
        i.model
            .relations
            .values()
            .any(|r| r.kind == k && r.source.as_str() == s && r.target.as_str() == t)
    };
    assert!(rel("k8s.uses-service-account", web, "shop.sa.web"));
    assert!(rel("k8s.mounts-secret", web, "shop.secret.api-token"));
    assert!(rel("k8s.mounts-configmap", web, "shop.cm.web-config"));
    assert!(rel("k8s.selects", "shop.netpol.deny-all", api));
    // The env-named Service is a flow.
    assert!(
        i.model
            .flows
            .values()
            .any(|f| f.source.as_str() == web && f.target.as_str() == api && f.name == "api:8080")
    );
    // The custom resource is listed, not an error.
    assert!(
        i.diagnostics
            .iter()
            .any(|d| d.code == "unknown-kind" && d.message.contains("Widget (1)"))
    );
    let a = analyze(&i.model, catalog());
    assert!(
        a.diagnostics.iter().all(|d| d.level != Level::Error),
        "{:?}",
        a.diagnostics
    );
    // The why names the manifest.
    let t = a
        .threats
        .iter()
        .find(|t| t.id.as_str() == format!("K8S-E-04@element:{web}"))
        .map(|t| t.why.join("; "));
    assert!(
        t.as_deref().is_some_and(|w| w.contains(
            "— from t.yaml doc 2, spec.template.spec.containers[0].securityContext.privileged"
        )),
        "{t:?}"
    );
}

#[test]
fn rbac_roles_bindings_and_subjects_become_elements_and_relations() {
    let i = k8s(
        "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: all}\nrules:\n- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n---\nkind: Role\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: ops, namespace: a}\nrules:\n- {apiGroups: [''], resources: [pods/exec], verbs: [create]}\n- {apiGroups: [''], resources: [secrets], verbs: [get]}\n---\nkind: RoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: ops, namespace: a}\nroleRef: {kind: Role, name: ops}\nsubjects: [{kind: ServiceAccount, name: bot}, {kind: Group, name: system:authenticated}]\n---\nkind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: admins}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: alice}]\n",
    );
    assert_eq!(
        prop(&i, "cluster.clusterrole.all", "wildcard"),
        &Value::Bool(true)
    );
    assert_eq!(prop(&i, "a.role.ops", "can_exec"), &Value::Bool(true));
    assert_eq!(
        prop(&i, "a.role.ops", "can_read_secrets"),
        &Value::Bool(true)
    );
    assert_eq!(
        prop(&i, "a.role.ops", "can_create_pods"),
        &Value::Bool(false)
    );
    assert_eq!(
        prop(&i, "a.rb.ops", "subject_kind"),
        &Value::Text("system:authenticated".into())
    );
    assert_eq!(
        prop(&i, "cluster.crb.admins", "role"),
        &Value::Text("cluster-admin".into())
    );
    let rel = |k: &str, s: &str, t: &str| {
        i.model
            .relations
            .values()
            .any(|r| r.kind == k && r.source.as_str() == s && r.target.as_str() == t)
    };
    assert!(rel("k8s.binds-role", "a.rb.ops", "a.role.ops"));
    assert!(rel("k8s.binds-subject", "a.rb.ops", "a.sa.bot"));
    assert!(rel(
        "k8s.binds-subject",
        "cluster.crb.admins",
        "cluster.user.alice"
    ));
    let a = analyze(&i.model, catalog());
    let fired: Vec<&str> = a.threats.iter().map(|t| t.id.as_str()).collect();
    assert!(fired.contains(&"K8S-E-35@element:cluster.clusterrole.all"));
    // The wildcard role gets the wildcard threat, not one per permission.
    assert!(!fired.contains(&"K8S-E-32@element:cluster.clusterrole.all"));
    assert!(fired.contains(&"K8S-E-32@element:a.role.ops"));
    assert!(fired.contains(&"K8S-E-12@element:cluster.crb.admins"));
    assert!(fired.contains(&"K8S-E-16@element:a.rb.ops"));
}

#[test]
fn kind_list_and_duplicates_are_read_as_kubectl_would() {
    let i = k8s(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: x}]}}\n- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {hostPID: true, containers: [{name: c, image: x}]}}\n",
    );
    assert_eq!(prop(&i, "default.pod.a", "host_pid"), &Value::Bool(true));
    let d = i.diagnostics.iter().find(|d| d.code == "duplicate-object");
    assert!(d.is_some(), "{:?}", i.diagnostics);
    assert!(
        i.model.elements["default.pod.a"].provenance["host_pid"].contains("items[1].spec.hostPID")
    );
}

#[test]
fn bad_documents_are_located_and_the_rest_still_imports() {
    let text = "kind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: c, image: x}]}\n---\nkind: Pod\nmetadata: {name: [broken\n---\nkind: Pod\nmetadata: {name: typed}\nspec:\n  hostPID: yes-please\n  containers: {name: c}\n";
    let i = k8s(text);
    assert!(i.model.elements.contains_key("default.pod.ok"));
    assert!(i.model.elements.contains_key("default.pod.typed"));
    let syntax = i
        .diagnostics
        .iter()
        .find(|d| d.code == "yaml-syntax")
        .map(|d| d.to_string());
    assert!(
        syntax
            .as_deref()
            .is_some_and(|s| s.starts_with("t.yaml:6:") || s.starts_with("t.yaml:7:")),
        "{syntax:?}"
    );
    let wrong: Vec<String> = i
        .diagnostics
        .iter()
        .filter(|d| d.code == "wrong-type")
        .map(|d| d.to_string())
        .collect();
    assert!(
        wrong
            .iter()
            .any(|w| w.contains("spec.hostPID") && w.starts_with("t.yaml:11:")),
        "{wrong:?}"
    );
    assert!(
        wrong
            .iter()
            .any(|w| w.contains("spec.containers") && w.starts_with("t.yaml:12:")),
        "{wrong:?}"
    );
}

#[test]
fn hostile_input_gives_errors_or_diagnostics_within_limits() {
    // Billion laughs.
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for n in 1..10 {
        let prev = (b'a' + n - 1) as char;
        let cur = (b'a' + n) as char;
        bomb.push_str(&format!("{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    bomb.push_str("kind: Pod\nmetadata: {name: x}\n");
    let t = Instant::now();
    // The bomb document is refused at its place; a good document after it still imports.
    bomb.push_str("---\nkind: Pod\nmetadata: {name: after}\n");
    let i = k8s(&bomb);
    assert!(t.elapsed() < Duration::from_secs(10));
    assert!(
        i.diagnostics
            .iter()
            .any(|d| d.code == "yaml-syntax" && d.message.contains("repetition limit")),
        "{:?}",
        i.diagnostics
    );
    assert!(i.model.elements.contains_key("default.pod.after"));
    // Non-UTF-8: a located error.
    let bad = import_k8s(&[(
        "b.yaml".into(),
        b"kind: Pod\nmetadata:\n  name: \xff\n".to_vec(),
    )]);
    assert!(
        matches!(&bad, Err(ImportError::Syntax { line: 3, .. })),
        "{bad:?}"
    );
    // Too large.
    let big = vec![b' '; (palisade::import::MAX_IMPORT_BYTES + 1) as usize];
    assert!(matches!(
        import_k8s(&[("big.yaml".into(), big)]),
        Err(ImportError::TooLarge { .. })
    ));
    // Deep nesting: the parser's recursion limit, located.
    let deep = format!(
        "kind: Pod\nmetadata: {{name: d}}\nx: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let i = k8s(&format!(
        "{deep}---\nkind: Pod\nmetadata: {{name: after}}\n"
    ));
    assert!(
        i.diagnostics
            .iter()
            .any(|d| d.code == "yaml-syntax" && d.message.contains("recursion")),
        "{:?}",
        i.diagnostics
    );
    // 10,000 documents import (well under the document limit).
    let mut many = String::new();
    for n in 0..10_000 {
        many.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{n}}}\n"
        ));
    }
    let t = Instant::now();
    let i = k8s(&many);
    assert!(t.elapsed() < Duration::from_secs(60));
    assert_eq!(
        i.model
            .elements
            .values()
            .filter(|e| e.kind == "k8s.configmap")
            .count(),
        10_000
    );
    // Empty and scalar documents.
    let e = import_k8s(&[("n.yaml".into(), b"42\n".to_vec())]);
    assert!(
        matches!(&e, Err(ImportError::Syntax { message, .. }) if message.contains("no Kubernetes object found")),
        "{e:?}"
    );
    let i = k8s("---\n---\n42\n---\n- a\n---\nkind: Pod\nmetadata: {name: p}\n");
    assert!(
        i.diagnostics
            .iter()
            .filter(|d| d.code == "not-an-object")
            .count()
            == 2,
        "{:?}",
        i.diagnostics
    );
}

#[test]
fn compose_files_merge_in_order_and_map_security_options() {
    let base = "services:\n  web:\n    image: nginx:1.25\n    ports: ['8080:80', '127.0.0.1:9000:9000']\n    depends_on: [db]\n    volumes: ['/var/run/docker.sock:/var/run/docker.sock:ro', 'data:/d']\n  db:\n    image: postgres@sha256:abc\n    environment:\n      POSTGRES_PASSWORD: hunter2\n    expose: ['5432']\nvolumes:\n  data: {}\n";
    let over = "services:\n  web:\n    privileged: true\n    cap_add: [NET_ADMIN]\n    security_opt: ['no-new-privileges:true', 'seccomp:unconfined']\n    mem_limit: 512m\n    pid: host\n";
    let i = match import_compose(&[
        ("a.yaml".into(), base.into()),
        ("b.yaml".into(), over.into()),
    ]) {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(prop(&i, "svc.web", "privileged"), &Value::Bool(true));
    assert_eq!(
        i.model.elements["svc.web"].provenance["privileged"],
        "b.yaml doc 1, services.web.privileged"
    );
    assert_eq!(
        i.model.elements["svc.web"].provenance["image"],
        "a.yaml doc 1, services.web.image"
    );
    assert_eq!(
        prop(&i, "svc.web", "docker_socket_mounted"),
        &Value::Bool(true)
    );
    assert_eq!(prop(&i, "svc.web", "no_new_privileges"), &Value::Bool(true));
    assert_eq!(
        prop(&i, "svc.web", "seccomp_profile"),
        &Value::Text("unconfined".into())
    );
    assert_eq!(
        prop(&i, "svc.web", "memory_limit_mb"),
        &Value::Number(512.0)
    );
    assert_eq!(prop(&i, "svc.web", "pid_mode"), &Value::Text("host".into()));
    assert_eq!(prop(&i, "svc.db", "secrets_in_env"), &Value::Bool(true));
    // One Internet flow (the loopback-bound port is not one) and the inferred one.
    let from_net: Vec<&str> = i
        .model
        .flows
        .values()
        .filter(|f| f.source.as_str() == "internet.clients")
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(from_net, vec!["8080/tcp"]);
    let dep = i
        .model
        .flows
        .values()
        .find(|f| f.source.as_str() == "svc.web" && f.target.as_str() == "svc.db");
    assert!(dep.is_some_and(|f| f.name == "db:5432"));
    let a = analyze(&i.model, catalog());
    let why = a
        .threats
        .iter()
        .filter(|t| t.id.as_str().contains("flow:svc.web.to.svc.db"))
        .flat_map(|t| t.why.iter())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(
        why.contains("the flow is inferred from depends_on"),
        "{why}"
    );
    assert!(
        i.model
            .relations
            .values()
            .any(|r| r.kind == "docker.mounts-volume" && r.target.as_str() == "vol.data")
    );
}

#[test]
fn compose_bad_input_is_located() {
    let e = import_compose(&[("c.yaml".into(), b"services:\n  web: [\n".to_vec())]);
    assert!(
        matches!(&e, Err(ImportError::Syntax { path, .. }) if path == "c.yaml"),
        "{e:?}"
    );
    let i = import_compose(&[(
        "c.yaml".into(),
        b"services:\n  web:\n    privileged: maybe\n    ports: [{}]\n".to_vec(),
    )]);
    let Ok(i) = i else { panic!("{i:?}") };
    assert!(
        i.diagnostics
            .iter()
            .any(|d| d.code == "wrong-type" && d.to_string().starts_with("c.yaml:3:")),
        "{:?}",
        i.diagnostics
    );
}

// ------------------------------------------------------------------ merge and drift

fn boutique_like(replicas_privileged: bool, with_cart: bool) -> String {
    let mut s = format!(
        "kind: Deployment\napiVersion: apps/v1\nmetadata: {{name: web}}\nspec:\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n      - name: web\n        image: web:1\n        env: [{{name: CART, value: 'cart:7070'}}]\n        securityContext: {{privileged: {replicas_privileged}}}\n"
    );
    if with_cart {
        s.push_str("---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {name: cart}\nspec:\n  template:\n    metadata: {labels: {app: cart}}\n    spec:\n      containers: [{name: cart, image: cart:1}]\n---\nkind: Service\napiVersion: v1\nmetadata: {name: cart}\nspec: {selector: {app: cart}, ports: [{port: 7070}]}\n");
    }
    s
}

#[test]
fn merge_keeps_positions_names_triage_and_hand_drawn_items_and_updates_what_the_manifests_say() {
    let first = k8s(&boutique_like(false, true)).model;
    let mut reviewed = first.clone();
    // The reviewer moves, renames, triages, hand-sets a property and draws an element.
    let web = palisade::model::ElementId::new("default.deploy.web");
    if let Some(e) = reviewed.elements.get_mut(&web) {
        e.pos = (999.0, 111.0);
        e.name = "Web shop".into();
        e.props
            .insert("managed_by_gitops".into(), Value::Bool(true));
    }
    let tid = palisade::model::ThreatId::new("K8S-E-09@element:default.deploy.web");
    reviewed.triage.insert(
        tid.clone(),
        palisade::model::Triage {
            threat: tid.clone(),
            status: palisade::model::Status::AcceptedRisk,
            justification: "ok".into(),
            ..Default::default()
        },
    );
    reviewed.elements.insert(
        "hand".into(),
        palisade::model::Element {
            id: "hand".into(),
            name: "Payment provider".into(),
            kind: "generic.entity".into(),
            ..Default::default()
        },
    );
    // The manifests change: web becomes privileged, cart disappears.
    let second = k8s(&boutique_like(true, false)).model;
    let (kept, out) = sync::merge(&reviewed, &second, false);
    let e = &kept.elements[&web];
    assert_eq!(e.pos, (999.0, 111.0));
    assert_eq!(e.name, "Web shop");
    assert_eq!(e.props.get("managed_by_gitops"), Some(&Value::Bool(true)));
    assert_eq!(e.props.get("privileged"), Some(&Value::Bool(true)));
    assert!(kept.triage.contains_key(&tid));
    assert!(kept.elements.contains_key("hand"));
    assert!(
        kept.elements.contains_key("default.deploy.cart"),
        "kept without --prune"
    );
    assert!(
        out.missing
            .contains(&"element default.deploy.cart".to_owned()),
        "{:?}",
        out.missing
    );
    let (pruned, _) = sync::merge(&reviewed, &second, true);
    assert!(!pruned.elements.contains_key("default.deploy.cart"));
    assert!(pruned.elements.contains_key("hand"));
    assert!(pruned.triage.contains_key(&tid), "triage is never dropped");
    // Merging the same manifests again changes nothing.
    let (again, out2) = sync::merge(&kept, &second, false);
    assert_eq!(again, kept);
    assert!(out2.added.is_empty());
    // The edits a re-sync applies in the editor give the merged model.
    let mut m = reviewed.clone();
    for ed in sync::edits_between(&reviewed, &kept) {
        if let Err(e) = ed.apply(&mut m) {
            panic!("{e}");
        }
    }
    assert_eq!(m.elements, kept.elements);
    assert_eq!(m.flows, kept.flows);
    assert_eq!(m.relations, kept.relations);
    assert_eq!(m.boundaries, kept.boundaries);
}

#[test]
fn drift_reports_each_kind_of_disagreement() {
    let cat = catalog();
    let manifests = k8s(&boutique_like(true, true)).model;
    // Agreement with itself.
    assert!(sync::drift(&manifests, &manifests, cat, "k8s").is_empty());
    // A drawn design: different ids, web not privileged, cart missing, an extra worker.
    let design = palisade::persist::load_bytes(
        "design.ron",
        br#"(version: 2, metadata: (title: "design"), elements: [
            (id: "w", name: "web", kind: "k8s.deployment", pos: (0.0, 0.0), props: {"privileged": false}),
            (id: "x", name: "worker", kind: "k8s.deployment", pos: (0.0, 0.0)),
            (id: "api", name: "kube-apiserver", kind: "k8s.api-server", pos: (0.0, 0.0)),
        ])"#,
    );
    let design = match design {
        Ok(l) => l.model,
        Err(e) => panic!("{e}"),
    };
    let d = sync::drift(&design, &manifests, cat, "k8s");
    let has = |f: &dyn Fn(&Drift) -> bool| d.iter().any(f);
    assert!(
        has(&|x| matches!(x, Drift::OnlyInModel { name, .. } if name == "worker")),
        "{d:?}"
    );
    assert!(
        has(&|x| matches!(x, Drift::OnlyInManifests { name, .. } if name == "cart")),
        "{d:?}"
    );
    assert!(
        has(
            &|x| matches!(x, Drift::Property { name, property, model, manifests, .. } if name == "web" && property == "privileged" && model == "false" && manifests == "true")
        ),
        "{d:?}"
    );
    // The API server is not something manifests describe.
    assert!(!has(
        &|x| matches!(x, Drift::OnlyInModel { name, .. } if name == "kube-apiserver")
    ));
}

#[test]
fn drift_command_exit_codes_are_0_1_and_2() {
    let dir = std::env::temp_dir().join(format!("palisade-drift-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let manifest = dir.join("app.yaml");
    let model = dir.join("app.ron");
    let _ = std::fs::write(&manifest, boutique_like(false, true));
    let bin = env!("CARGO_BIN_EXE_palisade");
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(bin)
            .args(args)
            .output()
            .map(|o| {
                (
                    o.status.code(),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                )
            })
    };
    let imp = run(&[
        "import".as_ref(),
        "--from".as_ref(),
        "k8s".as_ref(),
        manifest.as_os_str(),
        "-o".as_ref(),
        model.as_os_str(),
    ]);
    assert_eq!(imp.as_ref().ok().map(|x| x.0), Some(Some(0)), "{imp:?}");
    let agree = run(&[
        "drift".as_ref(),
        model.as_os_str(),
        "--from".as_ref(),
        "k8s".as_ref(),
    ]);
    assert_eq!(agree.as_ref().ok().map(|x| x.0), Some(Some(0)), "{agree:?}");
    let _ = std::fs::write(&manifest, boutique_like(true, true));
    let differ = run(&[
        "drift".as_ref(),
        model.as_os_str(),
        "--from".as_ref(),
        "k8s".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let Ok((code, out)) = differ else {
        panic!("{differ:?}")
    };
    assert_eq!(code, Some(1), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(v["agree"], serde_json::Value::Bool(false));
    assert_eq!(v["drift"][0]["property"], "privileged");
    let _ = std::fs::write(&manifest, b"kind: [\n");
    let bad = run(&[
        "drift".as_ref(),
        model.as_os_str(),
        "--from".as_ref(),
        "k8s".as_ref(),
    ]);
    assert_eq!(bad.as_ref().ok().map(|x| x.0), Some(Some(2)), "{bad:?}");
    // Merge on the command line: the file is updated in place, hand edits stay.
    let _ = std::fs::write(&manifest, boutique_like(true, true));
    let merged = run(&[
        "import".as_ref(),
        "--from".as_ref(),
        "k8s".as_ref(),
        manifest.as_os_str(),
        "--merge".as_ref(),
        model.as_os_str(),
        "-o".as_ref(),
        model.as_os_str(),
    ]);
    assert_eq!(
        merged.as_ref().ok().map(|x| x.0),
        Some(Some(0)),
        "{merged:?}"
    );
    assert!(
        merged.as_ref().is_ok_and(|m| m.1.contains("privileged")),
        "{merged:?}"
    );
    let again = run(&[
        "drift".as_ref(),
        model.as_os_str(),
        "--from".as_ref(),
        "k8s".as_ref(),
    ]);
    assert_eq!(again.as_ref().ok().map(|x| x.0), Some(Some(0)), "{again:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

mod merge_props {
    use super::*;
    use proptest::prelude::*;

    /// A manifest set from a list of (privileged, host_pid, present) per workload.
    fn manifests(ws: &[(bool, bool, bool)]) -> String {
        // One object that never changes, so no manifest set is empty.
        let mut s =
            String::from("kind: ServiceAccount\napiVersion: v1\nmetadata: {name: anchor}\n");
        for (n, (p, h, present)) in ws.iter().enumerate() {
            if !present {
                continue;
            }
            s.push_str(&format!("---\nkind: Pod\napiVersion: v1\nmetadata: {{name: p{n}}}\nspec:\n  hostPID: {h}\n  containers: [{{name: c, image: 'i:1', securityContext: {{privileged: {p}}}}}]\n"));
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn merging_random_manifest_edits_keeps_hand_state_and_tracks_the_manifests(
            a in proptest::collection::vec((any::<bool>(), any::<bool>(), any::<bool>()), 1..6),
            b in proptest::collection::vec((any::<bool>(), any::<bool>(), any::<bool>()), 1..6),
        ) {
            let first = k8s(&manifests(&a)).model;
            let mut reviewed = first.clone();
            for (i, e) in reviewed.elements.values_mut().enumerate() {
                e.pos = (i as f64 * 7.0, 3.0);
                e.name = format!("{} (reviewed)", e.name);
            }
            let second = k8s(&manifests(&b)).model;
            let (merged, out) = sync::merge(&reviewed, &second, false);
            for (id, e) in &reviewed.elements {
                let m = &merged.elements[id];
                prop_assert_eq!(m.pos, e.pos);
                prop_assert_eq!(&m.name, &e.name);
            }
            for (id, e) in &second.elements {
                let m = &merged.elements[id];
                for (k, v) in &e.props {
                    prop_assert_eq!(m.props.get(k), Some(v));
                }
            }
            // Drift of the merged model against the manifests: only the kept leftovers.
            let d = sync::drift(&merged, &second, catalog(), "k8s");
            prop_assert!(d.iter().all(|x| matches!(x, Drift::OnlyInModel { .. })), "{:?}", d);
            prop_assert_eq!(d.len(), out.missing.iter().filter(|m| m.starts_with("element")).count());
            let (pruned, _) = sync::merge(&reviewed, &second, true);
            prop_assert!(sync::drift(&pruned, &second, catalog(), "k8s").is_empty());
        }
    }
}

#[test]
fn network_policies_are_enforced_only_when_the_input_runs_an_enforcing_cni() {
    let policy = "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
    let cni = |image: &str| {
        format!(
            "{policy}---\nkind: DaemonSet\napiVersion: apps/v1\nmetadata: {{name: cni, namespace: kube-system}}\nspec:\n  template:\n    spec:\n      containers:\n      - {{name: agent, image: '{image}'}}\n"
        )
    };
    let t11 = |i: &Imported| {
        analyze(&i.model, catalog())
            .threats
            .iter()
            .any(|t| t.id.as_str() == "K8S-T-11@element:shop.netpol.deny")
    };
    // No CNI in the input: enforcement is unknown and the threat stands.
    let bare = k8s(policy);
    assert_eq!(
        bare.model.elements["shop.netpol.deny"]
            .props
            .get("enforced"),
        None
    );
    assert!(t11(&bare));
    // Calico (registry with a port, tag and digest) and Cilium enforce policies.
    for image in [
        "registry.local:5000/calico/node:v3.27.0@sha256:0123",
        "quay.io/cilium/cilium:v1.15.1",
    ] {
        let i = k8s(&cni(image));
        assert_eq!(
            prop(&i, "shop.netpol.deny", "enforced"),
            &Value::Bool(true),
            "{image}"
        );
        let from = &i.model.elements["shop.netpol.deny"].provenance["enforced"];
        assert!(
            from.contains("DaemonSet cni") && from.contains(image),
            "{from}"
        );
        assert!(!t11(&i), "{image}");
    }
    // Flannel alone does not enforce NetworkPolicy.
    let flannel = k8s(&cni("docker.io/flannel/flannel:v0.24.2"));
    assert_eq!(
        flannel.model.elements["shop.netpol.deny"]
            .props
            .get("enforced"),
        None
    );
    assert!(t11(&flannel));
}

#[test]
fn selectors_pick_workloads_by_every_label_and_expression_in_their_own_namespace() {
    // Two namespaces with the same labels; selectors with several labels and with
    // expressions only.
    let mut text = String::new();
    for ns in ["a", "b"] {
        for (name, app, tier) in [
            ("w1", "shop", "web"),
            ("w2", "shop", "db"),
            ("w3", "blog", "web"),
        ] {
            text.push_str(&format!(
                "---\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata:\n      labels: {{app: {app}, tier: {tier}}}\n    spec:\n      containers: [{{name: c, image: x:1}}]\n"
            ));
        }
    }
    text.push_str("---\nkind: Service\nmetadata: {name: shop-web, namespace: a}\nspec:\n  selector: {app: shop, tier: web}\n  ports: [{port: 80}]\n");
    text.push_str("---\nkind: Service\nmetadata: {name: web, namespace: b}\nspec:\n  selector: {tier: web}\n  ports: [{port: 80}]\n");
    text.push_str("---\nkind: Service\nmetadata: {name: none, namespace: a}\nspec:\n  selector: {app: shop, tier: cache}\n  ports: [{port: 80}]\n");
    text.push_str("---\nkind: Deployment\nmetadata: {name: client, namespace: a}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: x:1\n          env:\n            - {name: A, value: 'shop-web:80'}\n            - {name: B, value: 'web.b:80'}\n            - {name: C, value: 'none:80'}\n");
    text.push_str("---\nkind: NetworkPolicy\nmetadata: {name: not-blog, namespace: a}\nspec:\n  podSelector:\n    matchExpressions: [{key: app, operator: NotIn, values: [blog]}]\n");
    text.push_str("---\nkind: NetworkPolicy\nmetadata: {name: shop-db, namespace: b}\nspec:\n  podSelector:\n    matchLabels: {app: shop}\n    matchExpressions: [{key: tier, operator: In, values: [db]}]\n");
    let i = k8s(&text);
    let mut flows: Vec<(String, String)> = i
        .model
        .flows
        .values()
        .map(|f| (f.source.to_string(), f.target.to_string()))
        .collect();
    flows.sort();
    assert_eq!(
        flows,
        vec![
            ("a.deploy.client".to_owned(), "a.deploy.w1".to_owned()),
            ("a.deploy.client".to_owned(), "b.deploy.w1".to_owned()),
            ("a.deploy.client".to_owned(), "b.deploy.w3".to_owned()),
        ]
    );
    let mut selected: Vec<(String, String)> = i
        .model
        .relations
        .values()
        .filter(|r| r.kind == "k8s.selects")
        .map(|r| (r.source.to_string(), r.target.to_string()))
        .collect();
    selected.sort();
    assert_eq!(
        selected,
        vec![
            ("a.netpol.not-blog".to_owned(), "a.deploy.client".to_owned()),
            ("a.netpol.not-blog".to_owned(), "a.deploy.w1".to_owned()),
            ("a.netpol.not-blog".to_owned(), "a.deploy.w2".to_owned()),
            ("b.netpol.shop-db".to_owned(), "b.deploy.w2".to_owned()),
        ]
    );
    assert!(
        i.diagnostics
            .iter()
            .any(|d| d.code == "service-without-workload" && d.message.contains("none"))
    );
}

#[test]
fn a_workload_an_enforced_ingress_policy_selects_is_not_called_reachable_from_every_pod() {
    // No namespace-wide default deny: one allow-list policy selects `api` for ingress, an
    // egress-only policy selects `worker`, nothing selects `cache`; Calico enforces.
    let deploy = |name: &str| {
        format!(
            "kind: Deployment\napiVersion: apps/v1\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n      - {{name: main, image: 'registry.local/{name}:1.0'}}\n"
        )
    };
    let text = [
        deploy("api"),
        deploy("worker"),
        deploy("cache"),
        "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: api-from-web, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n".to_owned(),
        "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: worker-egress, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: worker}}\n  policyTypes: [Egress]\n  egress: []\n".to_owned(),
        "kind: DaemonSet\napiVersion: apps/v1\nmetadata: {name: calico-node, namespace: kube-system}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: agent, image: 'quay.io/calico/node:v3.27.0'}\n".to_owned(),
    ]
    .join("---\n");
    let i = k8s(&text);
    assert_eq!(
        prop(&i, "shop.netpol.api-from-web", "isolates_ingress"),
        &Value::Bool(true)
    );
    assert_eq!(
        i.model.elements["shop.netpol.worker-egress"]
            .props
            .get("isolates_ingress"),
        None,
        "an egress-only policy leaves ingress open"
    );
    let e25: Vec<String> = analyze(&i.model, catalog())
        .threats
        .iter()
        .filter(|t| t.id.as_str().starts_with("K8S-E-25@element:shop."))
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(
        e25,
        [
            "K8S-E-25@element:shop.deploy.cache",
            "K8S-E-25@element:shop.deploy.worker"
        ],
        "only the workloads no enforced policy selects for ingress"
    );
    // Without an enforcing CNI in the input the policy may not apply: the threat stands.
    let unenforced = k8s(&text.replace("quay.io/calico/node", "docker.io/flannel/flannel"));
    assert!(
        analyze(&unenforced.model, catalog())
            .threats
            .iter()
            .any(|t| t.id.as_str() == "K8S-E-25@element:shop.deploy.api")
    );
}
