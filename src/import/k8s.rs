//! Kubernetes manifests (what `kubectl get -o yaml`, `helm template` and `kustomize build`
//! print, `kind: List` included) into a trust-boundary model.
//!
//! One cluster boundary holds a boundary per namespace; each workload object (Pod,
//! Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController)
//! is one element whose properties come from its pod template and every container's
//! securityContext, the worst container deciding (any privileged container makes the
//! workload privileged; it runs as non-root only when every container does). RBAC
//! objects become roles, bindings and service accounts linked by relations; Services,
//! Ingresses and environment variables that name a Service become flows. Every derived
//! property records its file, document and YAML path in [`Element::provenance`].

use super::node::{Node as Y, get, scalar};
use super::yaml::{self, Doc, Reader, Tree};
use super::{ImportError, Imported};
use crate::diag::{Diagnostic, Level};
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, Element, ElementId, Flow, FlowId, Model, Props, Relation,
    RelationId, Value,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Id of the cluster boundary.
pub const CLUSTER: &str = "cluster";
/// Id of the Internet boundary (created when something is exposed).
pub const INTERNET: &str = "internet";
/// Id of the element standing for clients on the Internet.
pub const INTERNET_CLIENTS: &str = "internet.clients";

/// Kinds that are read and deliberately not modelled (no security property of the
/// diagram depends on them).
const NOT_MODELLED: &[&str] = &[
    "APIService",
    "ControllerRevision",
    "CSIDriver",
    "CustomResourceDefinition",
    "EndpointSlice",
    "Endpoints",
    "Event",
    "HorizontalPodAutoscaler",
    "IngressClass",
    "Lease",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "PodDisruptionBudget",
    "PriorityClass",
    "ResourceQuota",
    "RuntimeClass",
    "StorageClass",
    "VerticalPodAutoscaler",
];

/// A workload kind: its stencil, id prefix and where its pod template is.
fn workload_kind(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match kind {
        "Pod" => ("k8s.pod", "pod", "spec"),
        "Deployment" => ("k8s.deployment", "deploy", "spec.template.spec"),
        "StatefulSet" => ("k8s.statefulset", "sts", "spec.template.spec"),
        "DaemonSet" => ("k8s.daemonset", "ds", "spec.template.spec"),
        "ReplicaSet" => ("k8s.replicaset", "rs", "spec.template.spec"),
        "ReplicationController" => ("k8s.replicaset", "rc", "spec.template.spec"),
        "Job" => ("k8s.job", "job", "spec.template.spec"),
        "CronJob" => (
            "k8s.cronjob",
            "cronjob",
            "spec.jobTemplate.spec.template.spec",
        ),
        _ => return None,
    })
}

/// One Kubernetes object found in the input.
struct Obj<'d, 'a> {
    doc: &'d Doc<'a, Y>,
    v: &'d Y,
    /// Path prefix of the object inside its document (`items[3].` in a List).
    prefix: String,
    kind: String,
    name: String,
    /// Namespace, for namespaced kinds (`default` when not given).
    ns: Option<String>,
}

impl Obj<'_, '_> {
    fn p(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }
    fn at(&self, path: &str) -> String {
        self.doc.at_parts(&[&self.prefix, path])
    }
}

fn cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "Node"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "PersistentVolume"
            | "StorageClass"
            | "PriorityClass"
            | "CustomResourceDefinition"
            | "APIService"
            | "IngressClass"
            | "RuntimeClass"
            | "CSIDriver"
    )
}

/// Turns text into an id part: letters, digits, `-`, `_`, `.` kept, anything else `_`.
fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Everything the import builds, plus its diagnostics. The sets below are only asked
/// whether they hold a key (never iterated), so hashing them keeps the output the same.
struct Build {
    model: Model,
    /// Every id taken (elements, flows, relations, boundaries share one space here).
    taken: HashSet<String>,
    /// `(kind, source, target)` of every relation, so each is added once.
    related: HashSet<(String, ElementId, ElementId)>,
    /// `(source, target, name)` of every flow -> its id, so a repeat joins the first.
    flow_keys: HashMap<(ElementId, ElementId, String), FlowId>,
}

impl Build {
    fn fresh(&mut self, want: String) -> String {
        let mut base = want;
        if base.len() > 180 {
            let mut cut = 180;
            while !base.is_char_boundary(cut) {
                cut -= 1;
            }
            base.truncate(cut);
        }
        let mut id = base.clone();
        let mut n = 2;
        while self.taken.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.taken.insert(id.clone());
        id
    }

    fn ns_boundary(&mut self, ns: &str) -> BoundaryId {
        let id = BoundaryId::new(format!("ns.{}", id_part(ns)));
        if !self.model.boundaries.contains_key(&id) {
            self.taken.insert(id.0.clone());
            let mut props = Props::new();
            if matches!(ns, "kube-system" | "kube-public" | "kube-node-lease") {
                props.insert("system_namespace".into(), Value::Bool(true));
            }
            self.model.boundaries.insert(
                id.clone(),
                Boundary {
                    id: id.clone(),
                    name: ns.to_owned(),
                    kind: BoundaryKind::Namespace,
                    trust: 6,
                    parent: Some(BoundaryId::new(CLUSTER)),
                    props,
                    ..Default::default()
                },
            );
        }
        id
    }

    fn boundary_of(&mut self, ns: Option<&str>) -> BoundaryId {
        match ns {
            Some(ns) => self.ns_boundary(ns),
            None => BoundaryId::new(CLUSTER),
        }
    }

    /// Adds an element; `from` is where the object it stands for is (its `kind`
    /// provenance, which also marks it as imported for re-sync).
    fn add_element(&mut self, mut e: Element, from: String) -> ElementId {
        e.provenance.entry("kind".into()).or_insert(from);
        let id = e.id.clone();
        self.model.elements.insert(id.clone(), e);
        id
    }

    fn relate(&mut self, kind: &str, source: &ElementId, target: &ElementId, props: Props) {
        let short = kind.rsplit(['.', '-']).next().unwrap_or(kind);
        let want = format!("{}.{}.{}", source, short, target);
        // Same kind between the same two elements once only.
        if !self
            .related
            .insert((kind.to_owned(), source.clone(), target.clone()))
        {
            return;
        }
        let id = self.fresh(want);
        self.model.relations.insert(
            RelationId::new(id.clone()),
            Relation {
                id: RelationId::new(id),
                kind: kind.to_owned(),
                source: source.clone(),
                target: target.clone(),
                props,
            },
        );
    }

    fn internet(&mut self) -> ElementId {
        let b = BoundaryId::new(INTERNET);
        if !self.model.boundaries.contains_key(&b) {
            self.taken.insert(INTERNET.into());
            self.model.boundaries.insert(
                b.clone(),
                Boundary {
                    id: b.clone(),
                    name: "Internet".into(),
                    kind: BoundaryKind::Internet,
                    trust: 0,
                    ..Default::default()
                },
            );
            self.taken.insert(INTERNET_CLIENTS.into());
            self.model.elements.insert(
                ElementId::new(INTERNET_CLIENTS),
                Element {
                    id: ElementId::new(INTERNET_CLIENTS),
                    name: "Internet clients".into(),
                    kind: "generic.entity".into(),
                    boundary: Some(b),
                    provenance: [(
                        "kind".to_owned(),
                        "added for exposed Services and Ingresses".to_owned(),
                    )]
                    .into_iter()
                    .collect(),
                    ..Default::default()
                },
            );
        }
        ElementId::new(INTERNET_CLIENTS)
    }

    #[allow(clippy::too_many_arguments)]
    fn flow(
        &mut self,
        source: &ElementId,
        target: &ElementId,
        name: String,
        port: Option<f64>,
        protocol: Option<String>,
        encrypted: bool,
        note: String,
    ) {
        if source == target {
            return;
        }
        let key = (source.clone(), target.clone(), name.clone());
        if let Some(f) = self
            .flow_keys
            .get(&key)
            .and_then(|id| self.model.flows.get_mut(id))
        {
            // The same connection named twice (two containers, an init container): one
            // flow, both sources in its note.
            if let Some(Value::Text(t)) = f.props.get_mut(super::NOTE_SOURCE)
                && !t.contains(&note)
            {
                t.push('\n');
                t.push_str(&note);
            }
            return;
        }
        let id = self.fresh(format!("{source}.to.{target}"));
        let mut props = Props::new();
        if let Some(p) = port {
            props.insert("port".into(), Value::Number(p));
        }
        if let Some(p) = protocol.filter(|p| !p.is_empty()) {
            props.insert("protocol".into(), Value::Text(p));
        }
        if encrypted {
            props.insert("encrypted".into(), Value::Bool(true));
        }
        props.insert(super::NOTE_SOURCE.into(), Value::Text(note));
        self.flow_keys.insert(key, FlowId::new(id.clone()));
        self.model.flows.insert(
            FlowId::new(id.clone()),
            Flow {
                id: FlowId::new(id),
                name,
                source: source.clone(),
                target: target.clone(),
                props,
                ..Default::default()
            },
        );
    }
}

/// An element under construction: properties with where each came from.
struct Elem {
    e: Element,
}

impl Elem {
    fn new(id: String, name: &str, kind: &str, boundary: BoundaryId) -> Self {
        Elem {
            e: Element {
                id: ElementId::new(id),
                name: name.to_owned(),
                kind: kind.to_owned(),
                boundary: Some(boundary),
                ..Default::default()
            },
        }
    }
    fn set(&mut self, name: &str, v: Value, from: String) {
        self.e.props.insert(name.to_owned(), v);
        self.e.provenance.insert(name.to_owned(), from);
    }
    fn bool(&mut self, name: &str, v: bool, from: String) {
        self.set(name, Value::Bool(v), from);
    }
    fn text(&mut self, name: &str, v: &str, from: String) {
        self.set(name, Value::Text(v.to_owned()), from);
    }
}

/// Image repositories of CNI plugins that enforce NetworkPolicy (flannel alone does not).
const ENFORCING_CNI: &[&str] = &[
    "calico/node",
    "calico-node",
    "cilium/cilium",
    "antrea/antrea-agent",
    "antrea/antrea-ubuntu",
    "weaveworks/weave-npc",
    "weaveworks/weave-kube",
    "kube-router",
];

/// The first DaemonSet (by id) running an image of a CNI that enforces NetworkPolicy:
/// its name, the image and where its images came from.
fn enforcing_cni(model: &crate::model::Model) -> Option<(String, String, String)> {
    model
        .elements
        .values()
        .filter(|e| e.kind == "k8s.daemonset")
        .find_map(|e| {
            let Some(Value::List(images)) = e.props.get("images") else {
                return None;
            };
            let image = images.iter().find(|i| {
                let repo = image_repository(i);
                ENFORCING_CNI
                    .iter()
                    .any(|c| repo.ends_with(c) || repo.contains(&format!("{c}-")))
            })?;
            let from = e.provenance.get("images").cloned().unwrap_or_default();
            Some((e.name.clone(), image.clone(), from))
        })
}

/// An image reference without its digest and tag, lower-cased: `quay.io/cilium/cilium`
/// for `quay.io/cilium/cilium:v1.15@sha256:…`; a registry port (`host:5000/x`) stays.
fn image_repository(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or("");
    let name = match no_digest.rfind(':') {
        Some(c) if c > no_digest.rfind('/').unwrap_or(0) => &no_digest[..c],
        _ => no_digest,
    };
    name.to_ascii_lowercase()
}

/// How an image is referenced: `digest`, `tag` or `latest` (no tag, or `:latest`).
pub fn image_reference(image: &str) -> &'static str {
    if image.contains('@') {
        return "digest";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() && tag != "latest" => "tag",
        _ => "latest",
    }
}

/// Labels match a selector's `matchLabels` and `matchExpressions` (a plain map selector
/// of a Service is `matchLabels`).
fn selects(labels: &BTreeMap<String, String>, sel: &Selector) -> bool {
    sel.labels
        .iter()
        .all(|(k, v)| labels.get(k).is_some_and(|x| x == v))
        && sel.exprs.iter().all(|(k, op, vals)| match op.as_str() {
            "In" => labels.get(k).is_some_and(|x| vals.contains(x)),
            "NotIn" => labels.get(k).is_none_or(|x| !vals.contains(x)),
            "Exists" => labels.contains_key(k),
            "DoesNotExist" => !labels.contains_key(k),
            _ => false,
        })
}

#[derive(Default, Clone)]
struct Selector {
    labels: BTreeMap<String, String>,
    exprs: Vec<(String, String, Vec<String>)>,
}

impl Selector {
    fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.exprs.is_empty()
    }
}

fn read_selector(r: &mut Reader<'_, '_, Y>, v: &Y, key: &str, path: &str) -> Option<Selector> {
    let m = r.map(v, key, path)?;
    let mut s = Selector {
        labels: r.string_map(m, "matchLabels", &format!("{path}.matchLabels")),
        exprs: Vec::new(),
    };
    for (i, e) in r
        .seq(m, "matchExpressions", &format!("{path}.matchExpressions"))
        .iter()
        .enumerate()
    {
        let p = format!("{path}.matchExpressions[{i}]");
        if let (Some(k), Some(op)) = (
            r.str(e, "key", &format!("{p}.key")),
            r.str(e, "operator", &format!("{p}.operator")),
        ) {
            let vals = r.strings(e, "values", &format!("{p}.values"));
            s.exprs.push((k, op, vals));
        }
    }
    Some(s)
}

/// A workload found, for Service selection and flow inference.
struct Workload {
    id: ElementId,
    ns: String,
    labels: BTreeMap<String, String>,
    /// `(env var, value, provenance)` of every container.
    env: Vec<(String, String, String)>,
}

/// The workloads of each namespace, and of each namespace by pod label, in the order
/// found: a selector is tested only against the workloads that carry one of its labels
/// (a Service or policy per workload in one namespace would otherwise test every pair).
struct LabelIndex<'w> {
    workloads: &'w [Workload],
    by_ns: HashMap<&'w str, Vec<usize>>,
    /// `(namespace, key, value)` -> workloads with that label.
    by_label: HashMap<(&'w str, &'w str, &'w str), Vec<usize>>,
}

impl<'w> LabelIndex<'w> {
    fn new(workloads: &'w [Workload]) -> Self {
        let mut by_ns: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_label: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, w) in workloads.iter().enumerate() {
            by_ns.entry(&w.ns).or_default().push(i);
            for (k, v) in &w.labels {
                by_label.entry((&w.ns, k, v)).or_default().push(i);
            }
        }
        LabelIndex {
            workloads,
            by_ns,
            by_label,
        }
    }

    /// The workloads of `ns` that `sel` selects, in the order found.
    fn selected<'s>(
        &'s self,
        ns: &'s str,
        sel: &'s Selector,
    ) -> impl Iterator<Item = &'w Workload> + 's {
        const NONE: &[usize] = &[];
        // Every selected workload carries each of the selector's labels, so the
        // shortest of their lists holds them all.
        let candidates: &[usize] = if sel.labels.is_empty() {
            self.by_ns.get(ns).map_or(NONE, Vec::as_slice)
        } else {
            sel.labels
                .iter()
                .map(|(k, v)| {
                    self.by_label
                        .get(&(ns, k.as_str(), v.as_str()))
                        .map_or(NONE, Vec::as_slice)
                })
                .min_by_key(|l| l.len())
                .unwrap_or(NONE)
        };
        let workloads = self.workloads;
        candidates
            .iter()
            .map(move |&i| &workloads[i])
            .filter(move |w| selects(&w.labels, sel))
    }
}

/// A Service found.
struct Service {
    name: String,
    ns: String,
    ty: String,
    selector: BTreeMap<String, String>,
    /// `(port, name or appProtocol)` of its ports.
    ports: Vec<(f64, String)>,
    from: String,
    external: bool,
}

/// Effective permissions of an RBAC role.
#[derive(Default, Clone)]
struct Perms {
    verbs: BTreeSet<String>,
    resources: BTreeSet<String>,
    create_pods: bool,
    exec: bool,
    bind_escalate: bool,
    impersonate: bool,
    read_secrets: Option<&'static str>,
    wildcard: bool,
}

fn perms_of_rules(r: &mut Reader<'_, '_, Y>, o: &Obj) -> (Perms, Vec<String>) {
    let mut p = Perms::default();
    let mut why = Vec::new();
    const POD_MAKERS: &[&str] = &[
        "pods",
        "deployments",
        "daemonsets",
        "statefulsets",
        "replicasets",
        "replicationcontrollers",
        "jobs",
        "cronjobs",
    ];
    let rules_path = o.p("rules");
    for (i, rule) in r.seq(o.v, "rules", &rules_path).iter().enumerate() {
        let rp = format!("{rules_path}[{i}]");
        let verbs = r.strings(rule, "verbs", &format!("{rp}.verbs"));
        let res = r.strings(rule, "resources", &format!("{rp}.resources"));
        let groups = r.strings(rule, "apiGroups", &format!("{rp}.apiGroups"));
        let any_verb = |names: &[&str]| {
            verbs
                .iter()
                .any(|v| v == "*" || names.contains(&v.as_str()))
        };
        let any_res = |names: &[&str]| res.iter().any(|x| x == "*" || names.contains(&x.as_str()));
        let here = format!("{} doc {}, {rp}", o.doc.file, o.doc.index);
        // `*` in apiGroups alone (e.g. `pods` of every group) is not a wildcard grant:
        // it adds no verb and no resource type.
        let _ = &groups;
        if verbs.iter().any(|v| v == "*") || res.iter().any(|x| x == "*") {
            p.wildcard = true;
            why.push(format!("wildcard={here}"));
        }
        if any_verb(&["create"]) && any_res(POD_MAKERS) {
            p.create_pods = true;
            why.push(format!("can_create_pods={here}"));
        }
        if any_verb(&["create", "get"])
            && any_res(&["pods/exec", "pods/attach", "pods/portforward"])
        {
            p.exec = true;
            why.push(format!("can_exec={here}"));
        }
        if any_verb(&["bind", "escalate"]) && any_res(&["roles", "clusterroles"]) {
            p.bind_escalate = true;
            why.push(format!("can_bind_escalate={here}"));
        }
        if any_verb(&["impersonate"])
            && any_res(&["users", "groups", "serviceaccounts", "userextras", "uids"])
        {
            p.impersonate = true;
            why.push(format!("can_impersonate={here}"));
        }
        if any_res(&["secrets"]) {
            if any_verb(&["list", "watch"]) {
                p.read_secrets = Some("list-watch");
                why.push(format!("can_read_secrets={here}"));
            } else if any_verb(&["get"]) && p.read_secrets.is_none() {
                p.read_secrets = Some("get");
                why.push(format!("can_read_secrets={here}"));
            }
        }
        p.verbs.extend(verbs);
        p.resources.extend(res);
    }
    (p, why)
}

/// Permissions of the built-in user-facing ClusterRoles, for bindings to roles that are
/// not in the manifests.
fn builtin_perms(name: &str) -> Option<Perms> {
    let mut p = Perms::default();
    match name {
        "cluster-admin" => {
            p.wildcard = true;
            p.create_pods = true;
            p.exec = true;
            p.bind_escalate = true;
            p.impersonate = true;
            p.read_secrets = Some("list-watch");
        }
        "admin" | "edit" => {
            p.create_pods = true;
            p.exec = true;
            p.read_secrets = Some("list-watch");
            p.impersonate = true; // serviceaccounts impersonate
        }
        "view" => {}
        _ => return None,
    }
    Some(p)
}

/// Reads every input and returns the objects' documents (parsed) with diagnostics.
fn read_inputs<'a>(
    inputs: &'a [(String, Vec<u8>)],
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Doc<'a, Y>>, ImportError> {
    let mut total = 0u64;
    let mut budget = yaml::MAX_DOCUMENTS;
    let mut docs = Vec::new();
    for (name, bytes) in inputs {
        let text = yaml::input_text(name, bytes, &mut total)?;
        docs.extend(yaml::documents(name, text, &mut budget, diags));
    }
    Ok(docs)
}

/// Imports Kubernetes manifests. `inputs` are `(file name, content)` in the order given
/// (a directory already expanded, sorted). A file that is too large or not UTF-8 is an
/// error; a bad document, a wrong field type, a duplicate or an unknown kind is a
/// diagnostic and the rest still imports.
#[allow(clippy::type_complexity)]
pub fn import_k8s(inputs: &[(String, Vec<u8>)]) -> Result<Imported, ImportError> {
    let mut diags = Vec::new();
    let docs = read_inputs(inputs, &mut diags)?;
    // Objects, with `kind: List` expanded.
    let mut objs: Vec<Obj> = Vec::with_capacity(docs.len());
    for d in &docs {
        let mut r = Reader {
            doc: d,
            diags: &mut diags,
        };
        if get(&d.value, "kind").and_then(scalar).as_deref() == Some("List") {
            for (i, item) in r.seq(&d.value, "items", "items").iter().enumerate() {
                push_obj(&mut objs, &mut r, d, item, format!("items[{i}]."));
            }
        } else {
            push_obj(&mut objs, &mut r, d, &d.value, String::new());
        }
    }
    if objs.is_empty() {
        // Nothing at all to model: a located error (the first document's problem, when
        // there is one), so a wrong file is not mistaken for an empty cluster.
        if let Some(d) = diags.iter().find(|d| d.level >= Level::Warning) {
            let (line, col) = d.pos.map(|p| (p.line, p.col)).unwrap_or((1, 1));
            return Err(ImportError::Syntax {
                path: d.file.clone().unwrap_or_default(),
                line,
                col,
                message: format!("no Kubernetes object found: {}", d.message),
            });
        }
        return Err(ImportError::Invalid {
            path: inputs.first().map(|i| i.0.clone()).unwrap_or_default(),
            pos: None,
            message: "no Kubernetes object found (empty input)".into(),
        });
    }
    // Duplicates: the later object wins, as `kubectl apply` of the files in order would.
    let mut seen: BTreeMap<(String, Option<String>, String), usize> = BTreeMap::new();
    let mut keep = vec![true; objs.len()];
    for (i, o) in objs.iter().enumerate() {
        let key = (o.kind.clone(), o.ns.clone(), o.name.clone());
        if let Some(prev) = seen.insert(key, i) {
            keep[prev] = false;
            let p = &objs[prev];
            diags.push(o.doc.diag(
                Level::Warning,
                "duplicate-object",
                &o.p("metadata.name"),
                format!(
                    "{} `{}`{} is defined again (first in {} doc {}); the later definition is used",
                    o.kind,
                    o.name,
                    o.ns.as_deref().map(|n| format!(" in namespace {n}")).unwrap_or_default(),
                    p.doc.file,
                    p.doc.index
                ),
            ));
        }
    }
    let objs: Vec<Obj> = objs
        .into_iter()
        .zip(keep)
        .filter_map(|(o, k)| k.then_some(o))
        .collect();

    let mut b = Build {
        model: Model::new(&title(inputs)),
        taken: HashSet::new(),
        related: HashSet::new(),
        flow_keys: HashMap::new(),
    };
    b.model.metadata.source_format = "k8s".into();
    b.taken.insert(CLUSTER.into());
    b.model.boundaries.insert(
        BoundaryId::new(CLUSTER),
        Boundary {
            id: BoundaryId::new(CLUSTER),
            name: "Kubernetes cluster".into(),
            kind: BoundaryKind::Cluster,
            trust: 8,
            ..Default::default()
        },
    );

    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    let mut ignored: BTreeMap<String, usize> = BTreeMap::new();
    // Pass 1: namespaces, service accounts, secrets, config maps, roles, nodes.
    let mut sas: BTreeMap<(String, String), ElementId> = BTreeMap::new();
    let mut sa_automount: BTreeMap<(String, String), (bool, String)> = BTreeMap::new();
    let mut secrets: BTreeMap<(String, String), ElementId> = BTreeMap::new();
    let mut cms: BTreeMap<(String, String), ElementId> = BTreeMap::new();
    let mut roles: BTreeMap<(Option<String>, String), (ElementId, Perms, Vec<String>)> =
        BTreeMap::new();
    let mut nodes: BTreeMap<String, ElementId> = BTreeMap::new();
    for o in &objs {
        let mut r = Reader {
            doc: o.doc,
            diags: &mut diags,
        };
        match o.kind.as_str() {
            "Namespace" => {
                let labels = r.string_map(r_meta(o.v), "labels", &o.p("metadata.labels"));
                let bid = b.ns_boundary(&o.name);
                if let Some(level) = labels.get("pod-security.kubernetes.io/enforce") {
                    if matches!(level.as_str(), "privileged" | "baseline" | "restricted") {
                        if let Some(bd) = b.model.boundaries.get_mut(&bid) {
                            bd.props
                                .insert("pod_security".into(), Value::Text(level.clone()));
                        }
                    } else {
                        diags.push(o.doc.diag(
                            Level::Warning,
                            "unknown-value",
                            &o.p("metadata.labels"),
                            format!("namespace {}: Pod Security level `{level}` is not privileged, baseline or restricted; ignored", o.name),
                        ));
                    }
                }
            }
            "ServiceAccount" => {
                let ns = o.ns.clone().unwrap_or_default();
                let bid = b.ns_boundary(&ns);
                let id = b.fresh(format!("{}.sa.{}", id_part(&ns), id_part(&o.name)));
                let mut e = Elem::new(id, &o.name, "k8s.service-account", bid);
                e.text("token_type", "bound-projected", o.at("kind"));
                if let Some(a) = r.bool(
                    o.v,
                    "automountServiceAccountToken",
                    &o.p("automountServiceAccountToken"),
                ) {
                    sa_automount.insert(
                        (ns.clone(), o.name.clone()),
                        (a, o.at("automountServiceAccountToken")),
                    );
                }
                let id = b.add_element(e.e, o.at("kind"));
                sas.insert((ns, o.name.clone()), id);
            }
            "Secret" => {
                let ns = o.ns.clone().unwrap_or_default();
                let bid = b.ns_boundary(&ns);
                let id = b.fresh(format!("{}.secret.{}", id_part(&ns), id_part(&o.name)));
                let e = Elem::new(id, &o.name, "k8s.secret", bid);
                let id = b.add_element(e.e, o.at("kind"));
                secrets.insert((ns, o.name.clone()), id);
            }
            "ConfigMap" => {
                let ns = o.ns.clone().unwrap_or_default();
                let bid = b.ns_boundary(&ns);
                let id = b.fresh(format!("{}.cm.{}", id_part(&ns), id_part(&o.name)));
                let e = Elem::new(id, &o.name, "k8s.configmap", bid);
                let id = b.add_element(e.e, o.at("kind"));
                cms.insert((ns, o.name.clone()), id);
            }
            "Role" | "ClusterRole" => {
                let cluster = o.kind == "ClusterRole";
                let bid = b.boundary_of(o.ns.as_deref());
                let ns_part =
                    o.ns.as_deref()
                        .map(id_part)
                        .unwrap_or_else(|| CLUSTER.into());
                let short = if cluster { "clusterrole" } else { "role" };
                let id = b.fresh(format!("{ns_part}.{short}.{}", id_part(&o.name)));
                let (perms, why) = perms_of_rules(&mut r, o);
                let mut e = Elem::new(id, &o.name, "k8s.role", bid);
                let rules = o.at("rules");
                e.set(
                    "verbs",
                    Value::list(perms.verbs.iter().cloned()),
                    rules.clone(),
                );
                e.set(
                    "resources",
                    Value::list(perms.resources.iter().cloned()),
                    rules.clone(),
                );
                e.bool("cluster_wide", cluster, o.at("kind"));
                let flag = |name: &str| {
                    why.iter()
                        .find_map(|w| w.strip_prefix(&format!("{name}=")).map(str::to_owned))
                        .unwrap_or_else(|| format!("{rules} (no rule grants it)"))
                };
                e.bool(
                    "can_create_pods",
                    perms.create_pods,
                    flag("can_create_pods"),
                );
                e.bool("can_exec", perms.exec, flag("can_exec"));
                e.bool(
                    "can_bind_escalate",
                    perms.bind_escalate,
                    flag("can_bind_escalate"),
                );
                e.bool(
                    "can_impersonate",
                    perms.impersonate,
                    flag("can_impersonate"),
                );
                e.bool(
                    "can_read_secrets",
                    perms.read_secrets.is_some(),
                    flag("can_read_secrets"),
                );
                e.bool("wildcard", perms.wildcard, flag("wildcard"));
                if get(o.v, "aggregationRule").is_some() {
                    diags.push(o.doc.diag(
                        Level::Info,
                        "aggregated-role",
                        &o.p("aggregationRule"),
                        format!(
                            "ClusterRole {} aggregates other roles; only its own rules are read",
                            o.name
                        ),
                    ));
                }
                let id = b.add_element(e.e, o.at("kind"));
                roles.insert(
                    (o.ns.clone().filter(|_| !cluster), o.name.clone()),
                    (id, perms, why),
                );
            }
            "Node" => {
                let id = b.fresh(format!("cluster.node.{}", id_part(&o.name)));
                let e = Elem::new(id, &o.name, "k8s.node", BoundaryId::new(CLUSTER));
                let id = b.add_element(e.e, o.at("kind"));
                nodes.insert(o.name.clone(), id);
            }
            _ => {}
        }
    }
    // Legacy token Secrets mark their service account.
    for o in objs.iter().filter(|o| o.kind == "Secret") {
        let mut r = Reader {
            doc: o.doc,
            diags: &mut diags,
        };
        if r.str(o.v, "type", &o.p("type")).as_deref()
            == Some("kubernetes.io/service-account-token")
        {
            let ann = r.string_map(r_meta(o.v), "annotations", &o.p("metadata.annotations"));
            if let Some(sa) = ann.get("kubernetes.io/service-account.name") {
                let ns = o.ns.clone().unwrap_or_default();
                if let Some(id) = sas.get(&(ns, sa.clone()))
                    && let Some(e) = b.model.elements.get_mut(id)
                {
                    e.props
                        .insert("token_type".into(), Value::Text("legacy-secret".into()));
                    e.provenance.insert("token_type".into(), o.at("type"));
                }
            }
        }
    }

    // Pass 2: workloads.
    let mut workloads: Vec<Workload> = Vec::new();
    for o in &objs {
        let Some((stencil, short, spec_path)) = workload_kind(&o.kind) else {
            continue;
        };
        let ns = o.ns.clone().unwrap_or_default();
        let bid = b.ns_boundary(&ns);
        let id = b.fresh(format!("{}.{short}.{}", id_part(&ns), id_part(&o.name)));
        let mut e = Elem::new(id, &o.name, stencil, bid);
        let mut refs = Refs::default();
        let (labels, env) = {
            let mut r = Reader {
                doc: o.doc,
                diags: &mut diags,
            };
            pod_spec(&mut r, o, spec_path, &mut e, &sa_automount, &mut refs)
        };
        let wid = b.add_element(e.e, o.at("kind"));
        // Relations to what the pods use.
        let sa_name = refs
            .service_account
            .clone()
            .unwrap_or_else(|| "default".into());
        if let Some(sa) = sas.get(&(ns.clone(), sa_name.clone())) {
            let sa = sa.clone();
            b.relate("k8s.uses-service-account", &wid, &sa, Props::new());
        } else if sa_name != "default" {
            let bid = b.ns_boundary(&ns);
            let sid = b.fresh(format!("{}.sa.{}", id_part(&ns), id_part(&sa_name)));
            let e = Elem::new(sid, &sa_name, "k8s.service-account", bid);
            let sid = b.add_element(e.e, o.at("kind"));
            diags.push(o.doc.diag(
                Level::Info,
                "referenced-not-defined",
                &o.p(&format!("{spec_path}.serviceAccountName")),
                format!("{} {} uses service account {sa_name}, which is not in the manifests; it is added", o.kind, o.name),
            ));
            sas.insert((ns.clone(), sa_name.clone()), sid.clone());
            b.relate("k8s.uses-service-account", &wid, &sid, Props::new());
        }
        for (name, as_env) in &refs.secrets {
            let sid = match secrets.get(&(ns.clone(), name.clone())) {
                Some(s) => s.clone(),
                None => {
                    let bid = b.ns_boundary(&ns);
                    let sid = b.fresh(format!("{}.secret.{}", id_part(&ns), id_part(name)));
                    let e = Elem::new(sid, name, "k8s.secret", bid);
                    let sid = b.add_element(e.e, o.at("kind"));
                    secrets.insert((ns.clone(), name.clone()), sid.clone());
                    sid
                }
            };
            let mut p = Props::new();
            if *as_env {
                p.insert("as_env".into(), Value::Bool(true));
            }
            b.relate("k8s.mounts-secret", &wid, &sid, p);
        }
        for name in &refs.configmaps {
            let cid = match cms.get(&(ns.clone(), name.clone())) {
                Some(s) => s.clone(),
                None => {
                    let bid = b.ns_boundary(&ns);
                    let cid = b.fresh(format!("{}.cm.{}", id_part(&ns), id_part(name)));
                    let e = Elem::new(cid, name, "k8s.configmap", bid);
                    let cid = b.add_element(e.e, o.at("kind"));
                    cms.insert((ns.clone(), name.clone()), cid.clone());
                    cid
                }
            };
            b.relate("k8s.mounts-configmap", &wid, &cid, Props::new());
        }
        if let Some(node) = &refs.node {
            let nid = match nodes.get(node) {
                Some(n) => n.clone(),
                None => {
                    let nid = b.fresh(format!("cluster.node.{}", id_part(node)));
                    let e = Elem::new(nid, node, "k8s.node", BoundaryId::new(CLUSTER));
                    let nid = b.add_element(e.e, o.at("kind"));
                    nodes.insert(node.clone(), nid.clone());
                    nid
                }
            };
            b.relate("k8s.runs-on", &wid, &nid, Props::new());
        }
        workloads.push(Workload {
            id: wid,
            ns,
            labels,
            env,
        });
    }

    // Pass 3: bindings, services, ingresses, policies, webhooks, mesh; unknown kinds.
    let mut services: Vec<Service> = Vec::new();
    let mut ingress_backends: Vec<(ElementId, String, String, String)> = Vec::new();
    let mut mesh_strict: Vec<String> = Vec::new();
    let mut limit_ranges: BTreeSet<String> = BTreeSet::new();
    let mut policies: Vec<(ElementId, String, Selector)> = Vec::new();
    for o in &objs {
        let mut r = Reader {
            doc: o.doc,
            diags: &mut diags,
        };
        match o.kind.as_str() {
            "RoleBinding" | "ClusterRoleBinding" => {
                let cluster = o.kind == "ClusterRoleBinding";
                let rr = r.map(o.v, "roleRef", &o.p("roleRef"));
                let role_kind = rr
                    .and_then(|m| r.str(m, "kind", &o.p("roleRef.kind")))
                    .unwrap_or_else(|| "ClusterRole".into());
                let role_name = rr
                    .and_then(|m| r.str(m, "name", &o.p("roleRef.name")))
                    .unwrap_or_default();
                let mut subjects: Vec<(String, String, String, String)> = Vec::new();
                for (i, s) in r.seq(o.v, "subjects", &o.p("subjects")).iter().enumerate() {
                    let sp = o.p(&format!("subjects[{i}]"));
                    let k = r.str(s, "kind", &format!("{sp}.kind")).unwrap_or_default();
                    let n = r.str(s, "name", &format!("{sp}.name")).unwrap_or_default();
                    let sns = r
                        .str(s, "namespace", &format!("{sp}.namespace"))
                        .or_else(|| o.ns.clone())
                        .unwrap_or_else(|| "default".into());
                    subjects.push((k, n, sns, o.doc.at(&sp)));
                }
                let bid = b.boundary_of(o.ns.as_deref());
                let ns_part =
                    o.ns.as_deref()
                        .map(id_part)
                        .unwrap_or_else(|| CLUSTER.into());
                let short = if cluster { "crb" } else { "rb" };
                let id = b.fresh(format!("{ns_part}.{short}.{}", id_part(&o.name)));
                let mut e = Elem::new(id, &o.name, "k8s.rbac-binding", bid);
                let role_from = o.at("roleRef.name");
                let role_enum = match role_name.as_str() {
                    "view" | "edit" | "admin" | "cluster-admin" if role_kind == "ClusterRole" => {
                        role_name.clone()
                    }
                    _ => "custom".into(),
                };
                e.text("role", &role_enum, role_from.clone());
                e.bool("cluster_wide", cluster, o.at("kind"));
                // The subject that receives the most.
                let rank = |k: &str, n: &str| -> (u8, &'static str) {
                    match (k, n) {
                        ("Group", "system:unauthenticated") => (6, "system:unauthenticated"),
                        ("Group", "system:authenticated") => (5, "system:authenticated"),
                        ("Group", "system:masters") => (4, "system:masters"),
                        ("Group", _) => (3, "group"),
                        ("User", "system:anonymous") => (6, "system:unauthenticated"),
                        ("User", _) => (2, "user"),
                        _ => (1, "service-account"),
                    }
                };
                if let Some((k, n, _, from)) =
                    subjects.iter().max_by_key(|(k, n, _, _)| rank(k, n).0)
                {
                    e.text("subject_kind", rank(k, n).1, from.clone());
                }
                // The role's permissions: on the role element when it is in the manifests,
                // on the binding for built-in roles (no role element to carry them).
                let role_key = if role_kind == "Role" {
                    (o.ns.clone(), role_name.clone())
                } else {
                    (None, role_name.clone())
                };
                let role_el = roles.get(&role_key).map(|(id, _, _)| id.clone());
                if role_el.is_none() {
                    match builtin_perms(&role_name).filter(|_| role_kind == "ClusterRole") {
                        Some(p) => {
                            let from = format!("{role_from} (built-in ClusterRole {role_name})");
                            e.bool("wildcard_verbs", p.wildcard, from.clone());
                            e.text("secrets_access", p.read_secrets.unwrap_or("none"), from.clone());
                            e.bool("escalation_verbs", p.bind_escalate || p.impersonate, from.clone());
                            e.bool("create_workloads", p.create_pods, from);
                        }
                        None => diags.push(o.doc.diag(
                            Level::Info,
                            "referenced-not-defined",
                            &o.p("roleRef.name"),
                            format!("{} {} binds {role_kind} {role_name}, which is not in the manifests; its permissions are unknown", o.kind, o.name),
                        )),
                    }
                }
                let bid_el = b.add_element(e.e, o.at("kind"));
                if let Some(rid) = role_el {
                    b.relate("k8s.binds-role", &bid_el, &rid, Props::new());
                }
                for (k, n, sns, _) in &subjects {
                    let target = match k.as_str() {
                        "ServiceAccount" => match sas.get(&(sns.clone(), n.clone())) {
                            Some(s) => s.clone(),
                            None => {
                                let nb = b.ns_boundary(sns);
                                let sid = b.fresh(format!("{}.sa.{}", id_part(sns), id_part(n)));
                                let e = Elem::new(sid, n, "k8s.service-account", nb);
                                let sid = b.add_element(e.e, o.at("kind"));
                                sas.insert((sns.clone(), n.clone()), sid.clone());
                                sid
                            }
                        },
                        "User" | "Group" => {
                            let short = if k == "User" { "user" } else { "group" };
                            let want = format!("cluster.{short}.{}", id_part(n));
                            let eid = ElementId::new(want.clone());
                            if !b.model.elements.contains_key(&eid) {
                                let id = b.fresh(want);
                                let e =
                                    Elem::new(id, n, "generic.entity", BoundaryId::new(CLUSTER));
                                b.add_element(e.e, o.at("kind"))
                            } else {
                                eid
                            }
                        }
                        _ => continue,
                    };
                    b.relate("k8s.binds-subject", &bid_el, &target, Props::new());
                }
            }
            "Service" => {
                let spec = r.map(o.v, "spec", &o.p("spec"));
                let Some(spec) = spec else { continue };
                let ty = r
                    .str(spec, "type", &o.p("spec.type"))
                    .unwrap_or_else(|| "ClusterIP".into());
                let selector = r.string_map(spec, "selector", &o.p("spec.selector"));
                let mut ports = Vec::new();
                for (i, p) in r.seq(spec, "ports", &o.p("spec.ports")).iter().enumerate() {
                    let pp = o.p(&format!("spec.ports[{i}]"));
                    let port = get(p, "port").and_then(|v| v.as_f64());
                    if port.is_none() {
                        r.str(p, "port", &format!("{pp}.port"));
                    }
                    let proto = r
                        .str(p, "appProtocol", &format!("{pp}.appProtocol"))
                        .or_else(|| r.str(p, "name", &format!("{pp}.name")))
                        .unwrap_or_default();
                    if let Some(port) = port {
                        ports.push((port, proto));
                    }
                }
                let external_ips = !r
                    .seq(spec, "externalIPs", &o.p("spec.externalIPs"))
                    .is_empty();
                services.push(Service {
                    name: o.name.clone(),
                    ns: o.ns.clone().unwrap_or_default(),
                    external: matches!(ty.as_str(), "LoadBalancer" | "NodePort") || external_ips,
                    ty,
                    selector,
                    ports,
                    from: o.at(""),
                });
            }
            "NetworkPolicy" => {
                let ns = o.ns.clone().unwrap_or_default();
                let bid = b.ns_boundary(&ns);
                let id = b.fresh(format!("{}.netpol.{}", id_part(&ns), id_part(&o.name)));
                let mut e = Elem::new(id, &o.name, "k8s.network-policy", bid.clone());
                let Some(spec) = r.map(o.v, "spec", &o.p("spec")) else {
                    b.add_element(e.e, o.at("kind"));
                    continue;
                };
                let sel = read_selector(&mut r, spec, "podSelector", &o.p("spec.podSelector"))
                    .unwrap_or_default();
                let has_ingress = get(spec, "ingress").is_some();
                let has_egress = get(spec, "egress").is_some();
                let mut types = r.strings(spec, "policyTypes", &o.p("spec.policyTypes"));
                if types.is_empty() {
                    types.push("Ingress".into());
                    if has_egress {
                        types.push("Egress".into());
                    }
                }
                let all_pods = sel.is_empty();
                let deny_in = all_pods
                    && types.iter().any(|t| t == "Ingress")
                    && r.seq(spec, "ingress", &o.p("spec.ingress")).is_empty();
                let deny_out = all_pods
                    && types.iter().any(|t| t == "Egress")
                    && r.seq(spec, "egress", &o.p("spec.egress")).is_empty();
                let _ = has_ingress;
                e.bool(
                    "default_deny",
                    all_pods && types.iter().any(|t| t == "Ingress"),
                    o.at("spec.podSelector"),
                );
                e.bool(
                    "egress_restricted",
                    all_pods && types.iter().any(|t| t == "Egress"),
                    o.at("spec.policyTypes"),
                );
                if types.iter().any(|t| t == "Ingress") {
                    e.bool("isolates_ingress", true, o.at("spec.policyTypes"));
                }
                let pid = b.add_element(e.e, o.at("kind"));
                if let Some(bd) = b.model.boundaries.get_mut(&bid) {
                    if deny_in || (all_pods && types.iter().any(|t| t == "Ingress")) {
                        bd.props
                            .insert("default_deny_ingress".into(), Value::Bool(true));
                    }
                    if deny_out || (all_pods && types.iter().any(|t| t == "Egress")) {
                        bd.props
                            .insert("default_deny_egress".into(), Value::Bool(true));
                    }
                }
                policies.push((pid, ns, sel));
            }
            "Ingress" => {
                let ns = o.ns.clone().unwrap_or_default();
                let bid = b.ns_boundary(&ns);
                let id = b.fresh(format!("{}.ingress.{}", id_part(&ns), id_part(&o.name)));
                let mut e = Elem::new(id, &o.name, "k8s.ingress", bid);
                let spec = r.map(o.v, "spec", &o.p("spec"));
                let tls = spec
                    .map(|s| !r.seq(s, "tls", &o.p("spec.tls")).is_empty())
                    .unwrap_or(false);
                e.bool("tls", tls, o.at("spec.tls"));
                let iid = b.add_element(e.e, o.at("kind"));
                let net = b.internet();
                let (port, proto) = if tls {
                    (443.0, "HTTPS")
                } else {
                    (80.0, "HTTP")
                };
                b.flow(
                    &net,
                    &iid,
                    proto.into(),
                    Some(port),
                    Some(proto.into()),
                    tls,
                    format!("Ingress {} ({})", o.name, o.at("")),
                );
                // Backends.
                let mut backends: Vec<(String, String)> = Vec::new();
                if let Some(spec) = spec {
                    for key in ["defaultBackend", "backend"] {
                        if let Some(bk) = r.map(spec, key, &o.p(&format!("spec.{key}")))
                            && let Some(s) =
                                backend_service(&mut r, bk, &o.p(&format!("spec.{key}")))
                        {
                            backends.push((s, o.at(&format!("spec.{key}"))));
                        }
                    }
                    for (i, rule) in r.seq(spec, "rules", &o.p("spec.rules")).iter().enumerate() {
                        let rp = o.p(&format!("spec.rules[{i}].http"));
                        if let Some(http) = r.map(rule, "http", &rp) {
                            for (j, path) in r
                                .seq(http, "paths", &format!("{rp}.paths"))
                                .iter()
                                .enumerate()
                            {
                                let pp = format!("{rp}.paths[{j}].backend");
                                if let Some(bk) = r.map(path, "backend", &pp)
                                    && let Some(s) = backend_service(&mut r, bk, &pp)
                                {
                                    backends.push((s, o.doc.at(&pp)));
                                }
                            }
                        }
                    }
                }
                for (svc, from) in backends {
                    ingress_backends.push((iid.clone(), ns.clone(), svc, from));
                }
            }
            "PeerAuthentication" => {
                let mode = r
                    .map(o.v, "spec", &o.p("spec"))
                    .and_then(|s| get(s, "mtls"))
                    .and_then(|m| get(m, "mode"))
                    .and_then(scalar);
                let whole_ns = r
                    .map(o.v, "spec", &o.p("spec"))
                    .map(|s| get(s, "selector").is_none())
                    .unwrap_or(true);
                if mode.as_deref() == Some("STRICT") && whole_ns {
                    mesh_strict.push(o.ns.clone().unwrap_or_default());
                }
            }
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
                let id = b.fresh(format!("cluster.webhook.{}", id_part(&o.name)));
                let mut e = Elem::new(
                    id,
                    &o.name,
                    "k8s.admission-webhook",
                    BoundaryId::new(CLUSTER),
                );
                e.bool("mutating", o.kind.starts_with("Mutating"), o.at("kind"));
                let hooks = r.seq(o.v, "webhooks", &o.p("webhooks"));
                let mut policy = "Fail".to_owned();
                let mut all_ns = false;
                for (i, h) in hooks.iter().enumerate() {
                    let hp = o.p(&format!("webhooks[{i}]"));
                    if r.str(h, "failurePolicy", &format!("{hp}.failurePolicy"))
                        .as_deref()
                        == Some("Ignore")
                    {
                        policy = "Ignore".into();
                    }
                    if get(h, "namespaceSelector").is_none() {
                        all_ns = true;
                    }
                }
                e.text("failure_policy", &policy, o.at("webhooks"));
                if all_ns {
                    e.text("namespace_selector", "all-namespaces", o.at("webhooks"));
                }
                b.add_element(e.e, o.at("kind"));
            }
            k if workload_kind(k).is_some()
                || matches!(
                    k,
                    "Namespace"
                        | "ServiceAccount"
                        | "Secret"
                        | "ConfigMap"
                        | "Role"
                        | "ClusterRole"
                        | "Node"
                ) => {}
            "LimitRange" => {
                // A LimitRange with default limits gives every container limits.
                let has_default = r
                    .map(o.v, "spec", &o.p("spec"))
                    .map(|s| {
                        r.seq(s, "limits", &o.p("spec.limits"))
                            .iter()
                            .any(|l| get(l, "default").is_some())
                    })
                    .unwrap_or(false);
                if has_default {
                    limit_ranges.insert(o.ns.clone().unwrap_or_default());
                }
            }
            k if NOT_MODELLED.contains(&k) => *ignored.entry(k.to_owned()).or_default() += 1,
            k => *unknown.entry(k.to_owned()).or_default() += 1,
        }
    }

    // Namespaces with a LimitRange that sets default limits.
    for w in &workloads {
        if limit_ranges.contains(&w.ns)
            && let Some(e) = b.model.elements.get_mut(&w.id)
            && e.props.get("resource_limits") == Some(&Value::Bool(false))
        {
            e.props.insert("resource_limits".into(), Value::Bool(true));
            e.provenance.insert(
                "resource_limits".into(),
                format!("LimitRange with default limits in namespace {}", w.ns),
            );
        }
    }
    // Services: which workloads back each one (workloads indexed by namespace).
    let index = LabelIndex::new(&workloads);
    let backing = |svc: &Service| -> Vec<ElementId> {
        if svc.selector.is_empty() {
            return Vec::new();
        }
        let sel = Selector {
            labels: svc.selector.clone(),
            exprs: Vec::new(),
        };
        index
            .selected(&svc.ns, &sel)
            .map(|w| w.id.clone())
            .collect()
    };
    let mut by_name: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, s) in services.iter().enumerate() {
        by_name.insert((s.ns.clone(), s.name.clone()), i);
    }
    let mut exposed: Vec<(ElementId, String, Option<f64>, Option<String>, String)> = Vec::new();
    let mut service_flows: Vec<(
        ElementId,
        ElementId,
        String,
        Option<f64>,
        Option<String>,
        String,
    )> = Vec::new();
    // Each Service's backing workloads, found once (env references and Ingresses ask
    // again for the same Services).
    let backed: Vec<Vec<ElementId>> = services.iter().map(backing).collect();
    for (s, targets) in services.iter().zip(&backed) {
        if targets.is_empty() && !s.selector.is_empty() {
            diags.push(
                Diagnostic::new(
                    Level::Info,
                    "service-without-workload",
                    format!("Service {} selects no workload in the manifests", s.name),
                )
                .at(s.from.split(" doc ").next().unwrap_or(""), None),
            );
        }
        if s.external {
            let (port, proto) = s
                .ports
                .first()
                .cloned()
                .map(|(p, n)| (Some(p), Some(n)))
                .unwrap_or((None, None));
            for t in targets {
                let name = match port {
                    Some(p) => format!("{} {}:{}", s.ty, s.name, crate::model::format_number(p)),
                    None => format!("{} {}", s.ty, s.name),
                };
                exposed.push((
                    t.clone(),
                    name,
                    port,
                    proto.clone(),
                    format!("Service {} of type {} ({})", s.name, s.ty, s.from),
                ));
            }
        }
    }
    // Workloads that name a Service in an environment variable call it.
    for w in &workloads {
        for (var, val, from) in &w.env {
            for (svc_ns, svc_name, port) in service_refs(val, &w.ns) {
                let Some(&i) = by_name.get(&(svc_ns, svc_name)) else {
                    continue;
                };
                let s = &services[i];
                let port = port.or_else(|| s.ports.first().map(|p| p.0));
                let proto = s
                    .ports
                    .iter()
                    .find(|p| Some(p.0) == port)
                    .or(s.ports.first())
                    .map(|p| p.1.clone());
                for t in &backed[i] {
                    let name = match port {
                        Some(p) => format!("{}:{}", s.name, crate::model::format_number(p)),
                        None => s.name.clone(),
                    };
                    service_flows.push((
                        w.id.clone(),
                        t.clone(),
                        name,
                        port,
                        proto.clone(),
                        format!(
                            "inferred: {var}={val} ({from}) names Service {} ({})",
                            s.name, s.from
                        ),
                    ));
                }
            }
        }
    }
    for (iid, ns, svc, from) in ingress_backends {
        let Some(&i) = by_name.get(&(ns, svc.clone())) else {
            diags.push(
                Diagnostic::new(
                    Level::Info,
                    "referenced-not-defined",
                    format!("an Ingress routes to Service {svc}, which is not in the manifests"),
                )
                .at(from.split(" doc ").next().unwrap_or(""), None),
            );
            continue;
        };
        let s = &services[i];
        let port = s.ports.first().map(|p| p.0);
        let proto = s.ports.first().map(|p| p.1.clone());
        for t in &backed[i] {
            service_flows.push((
                iid.clone(),
                t.clone(),
                match port {
                    Some(p) => format!("{}:{}", s.name, crate::model::format_number(p)),
                    None => s.name.clone(),
                },
                port,
                proto.clone(),
                format!("Ingress backend ({from}) Service {} ({})", s.name, s.from),
            ));
        }
    }
    if !exposed.is_empty() {
        let net = b.internet();
        for (t, name, port, proto, note) in exposed {
            b.flow(&net, &t, name, port, proto, false, note);
        }
    }
    for (s, t, name, port, proto, note) in service_flows {
        b.flow(&s, &t, name, port, proto, false, note);
    }
    // NetworkPolicies select workloads.
    for (pid, ns, sel) in &policies {
        for w in index.selected(ns, sel) {
            b.relate("k8s.selects", pid, &w.id, Props::new());
        }
    }
    // A CNI DaemonSet that enforces NetworkPolicy (Calico, Cilium, Antrea, Weave Net,
    // kube-router) in the same input is the evidence for `enforced`; without one the
    // importer says nothing, and the model says the enforcement is unknown.
    if !policies.is_empty()
        && let Some((ds, image, from)) = enforcing_cni(&b.model)
    {
        for (pid, _, _) in &policies {
            if let Some(p) = b.model.elements.get_mut(pid) {
                p.props.insert("enforced".into(), Value::Bool(true));
                p.provenance.insert(
                    "enforced".into(),
                    format!("{from} (DaemonSet {ds} runs the enforcing CNI image {image})"),
                );
            }
        }
    }
    // Istio: STRICT mutual TLS for a namespace, or for every one from the root namespace.
    for ns in mesh_strict {
        let ids: Vec<BoundaryId> = if ns == "istio-system" {
            b.model
                .boundaries
                .values()
                .filter(|x| x.kind == BoundaryKind::Namespace)
                .map(|x| x.id.clone())
                .collect()
        } else {
            vec![b.ns_boundary(&ns)]
        };
        for id in ids {
            if let Some(bd) = b.model.boundaries.get_mut(&id) {
                bd.props
                    .insert("mesh_mtls_strict".into(), Value::Bool(true));
            }
        }
    }
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|(k, n)| format!("{k} ({n})")).collect();
        diags.push(Diagnostic::new(
            Level::Info,
            "unknown-kind",
            format!(
                "kinds not modelled (custom resources or unknown): {}",
                list.join(", ")
            ),
        ));
    }
    if !ignored.is_empty() {
        let list: Vec<String> = ignored.iter().map(|(k, n)| format!("{k} ({n})")).collect();
        diags.push(Diagnostic::new(
            Level::Info,
            "not-modelled",
            format!(
                "read and not modelled (no security property depends on them): {}",
                list.join(", ")
            ),
        ));
    }
    super::layout::auto_layout(&mut b.model);
    Ok(Imported {
        model: b.model,
        diagnostics: diags,
    })
}

/// The metadata of an object (an empty value when absent).
fn r_meta(v: &Y) -> &Y {
    static NULL: Y = Y::Null;
    get(v, "metadata").unwrap_or(&NULL)
}

/// A model title from the file names.
fn title(inputs: &[(String, Vec<u8>)]) -> String {
    let names: Vec<&str> = inputs
        .iter()
        .map(|(n, _)| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .take(3)
        .collect();
    let more = if inputs.len() > 3 {
        format!(" and {} more", inputs.len() - 3)
    } else {
        String::new()
    };
    format!("Kubernetes: {}{more}", names.join(", "))
}

/// Adds one object of a document (or of a List's items) when it has a kind and a name.
fn push_obj<'d, 'a>(
    objs: &mut Vec<Obj<'d, 'a>>,
    r: &mut Reader<'_, '_, Y>,
    d: &'d Doc<'a, Y>,
    v: &'d Y,
    prefix: String,
) {
    if !matches!(v, Y::Mapping(_)) {
        r.diags.push(d.diag(
            Level::Warning,
            "not-an-object",
            &prefix,
            format!(
                "document {} is {}, not a Kubernetes object; skipped",
                d.index,
                v.type_name()
            ),
        ));
        return;
    }
    let kind = r.str(v, "kind", &format!("{prefix}kind"));
    let meta = r.map(v, "metadata", &format!("{prefix}metadata"));
    let name = meta.and_then(|m| r.str(m, "name", &format!("{prefix}metadata.name")));
    let (Some(kind), Some(name)) = (kind, name) else {
        r.diags.push(d.diag(
            Level::Warning,
            "not-an-object",
            &format!("{prefix}kind"),
            format!(
                "document {}{} has no kind or no metadata.name; skipped",
                d.index,
                if prefix.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", prefix.trim_end_matches('.'))
                }
            ),
        ));
        return;
    };
    let ns = if cluster_scoped(&kind) {
        None
    } else {
        Some(
            meta.and_then(|m| r.str(m, "namespace", &format!("{prefix}metadata.namespace")))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".into()),
        )
    };
    objs.push(Obj {
        doc: d,
        v,
        prefix,
        kind,
        name,
        ns,
    });
}

/// The Service an Ingress backend names (`service.name`, or v1beta1 `serviceName`).
fn backend_service(r: &mut Reader<'_, '_, Y>, bk: &Y, path: &str) -> Option<String> {
    if let Some(s) = r.map(bk, "service", &format!("{path}.service")) {
        return r.str(s, "name", &format!("{path}.service.name"));
    }
    r.str(bk, "serviceName", &format!("{path}.serviceName"))
}

/// The Services a value names: `name`, `name.ns`, `name.ns.svc[.cluster.local]`, with
/// an optional scheme, port and path; comma- or space-separated lists are split.
/// Returns `(namespace, service, port)`.
fn service_refs(value: &str, own_ns: &str) -> Vec<(String, String, Option<f64>)> {
    let mut out = Vec::new();
    for part in value.split([',', ' ', ';']) {
        let part = part.trim();
        let part = part.split_once("://").map(|(_, r)| r).unwrap_or(part);
        let hostport = part.split('/').next().unwrap_or("");
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<f64>().ok()),
            None => (hostport, None),
        };
        if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
            continue;
        }
        let labels: Vec<&str> = host.split('.').collect();
        let ns = match labels.len() {
            1 => own_ns,
            2 => labels[1],
            _ if labels.get(2) == Some(&"svc") => labels[1],
            _ => continue,
        };
        if labels[0].is_empty() {
            continue;
        }
        out.push((ns.to_owned(), labels[0].to_owned(), port));
    }
    out
}

/// What a pod template refers to by name.
#[derive(Default)]
struct Refs {
    service_account: Option<String>,
    /// Secret name -> whether it is (also) injected as environment variables.
    secrets: BTreeMap<String, bool>,
    configmaps: BTreeSet<String>,
    node: Option<String>,
}

/// One container's effective security settings (container over pod level).
struct Ctr {
    path: String,
    privileged: Option<bool>,
    ape: Option<bool>,
    non_root: Option<(bool, String)>,
    user: Option<(String, String)>,
    group: Option<String>,
    add: Vec<String>,
    drop: Vec<String>,
    seccomp: Option<(String, String)>,
    apparmor: Option<(String, String)>,
    ro_root: Option<bool>,
    limits: bool,
    image: String,
    mounts: Vec<(String, bool, String)>,
}

fn profile_type(t: &str) -> Option<&'static str> {
    match t {
        "RuntimeDefault" | "runtime/default" | "docker/default" => Some("runtime-default"),
        "Unconfined" | "unconfined" => Some("unconfined"),
        "Localhost" => Some("localhost"),
        t if t.starts_with("localhost/") => Some("localhost"),
        _ => None,
    }
}

/// Reads a pod spec at `spec_path` of `o` into the workload element `e`; returns the
/// pod labels and the environment variables of its containers.
#[allow(clippy::type_complexity)]
fn pod_spec(
    r: &mut Reader<'_, '_, Y>,
    o: &Obj,
    spec_path: &str,
    e: &mut Elem,
    sa_automount: &BTreeMap<(String, String), (bool, String)>,
    refs: &mut Refs,
) -> (BTreeMap<String, String>, Vec<(String, String, String)>) {
    static NULL: Y = Y::Null;
    // Walk to the pod spec and the template metadata.
    let mut spec: &Y = o.v;
    let mut ok = true;
    let mut walked = String::new();
    for k in spec_path.split('.') {
        walked = if walked.is_empty() {
            k.to_owned()
        } else {
            format!("{walked}.{k}")
        };
        match r.map(spec, k, &o.p(&walked)) {
            Some(v) => spec = v,
            None => {
                ok = false;
                break;
            }
        }
    }
    if !ok {
        r.diags.push(o.doc.diag(
            Level::Warning,
            "no-pod-spec",
            &o.p(spec_path),
            format!(
                "{} {} has no {spec_path}; its security properties are the defaults",
                o.kind, o.name
            ),
        ));
        spec = &NULL;
    }
    let meta_path = match spec_path.strip_suffix(".spec") {
        Some(t) => format!("{t}.metadata"),
        None => "metadata".into(),
    };
    let mut meta: &Y = &NULL;
    {
        let mut m: &Y = o.v;
        let mut found = true;
        for k in meta_path.split('.') {
            match get(m, k) {
                Some(v) => m = v,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if found {
            meta = m;
        }
    }
    let labels = r.string_map(meta, "labels", &o.p(&format!("{meta_path}.labels")));
    let annotations = r.string_map(
        meta,
        "annotations",
        &o.p(&format!("{meta_path}.annotations")),
    );
    let sp = |k: &str| o.p(&format!("{spec_path}.{k}"));
    let at = |k: &str| o.doc.at_parts(&[&o.prefix, spec_path, ".", k]);
    let unset = |k: &str| format!("{} (not set: Kubernetes default)", at(k));

    // Pod-level fields.
    for (prop, key) in [
        ("host_pid", "hostPID"),
        ("host_ipc", "hostIPC"),
        ("host_network", "hostNetwork"),
        ("share_process_namespace", "shareProcessNamespace"),
    ] {
        match r.bool(spec, key, &sp(key)) {
            Some(v) => e.bool(prop, v, at(key)),
            None => e.bool(prop, false, unset(key)),
        }
    }
    let sa = r
        .str(spec, "serviceAccountName", &sp("serviceAccountName"))
        .or_else(|| r.str(spec, "serviceAccount", &sp("serviceAccount")))
        .filter(|s| !s.is_empty());
    match &sa {
        Some(s) => e.bool(
            "uses_default_service_account",
            s == "default",
            at("serviceAccountName"),
        ),
        None => e.bool(
            "uses_default_service_account",
            true,
            unset("serviceAccountName"),
        ),
    }
    let sa_name = sa.clone().unwrap_or_else(|| "default".into());
    refs.service_account = sa;
    let ns = o.ns.clone().unwrap_or_default();
    match r.bool(
        spec,
        "automountServiceAccountToken",
        &sp("automountServiceAccountToken"),
    ) {
        Some(v) => e.bool("automount_sa_token", v, at("automountServiceAccountToken")),
        None => match sa_automount.get(&(ns, sa_name)) {
            Some((v, from)) => e.bool("automount_sa_token", *v, from.clone()),
            None => e.bool(
                "automount_sa_token",
                true,
                unset("automountServiceAccountToken"),
            ),
        },
    }
    refs.node = r
        .str(spec, "nodeName", &sp("nodeName"))
        .filter(|n| !n.is_empty());
    let psc = r
        .map(spec, "securityContext", &sp("securityContext"))
        .unwrap_or(&NULL);
    let psc_path = sp("securityContext");

    // Volumes: hostPath, secrets and config maps.
    let mut host_vols: BTreeMap<String, (String, String)> = BTreeMap::new(); // name -> (path, from)
    for (i, v) in r.seq(spec, "volumes", &sp("volumes")).iter().enumerate() {
        let vp = sp(&format!("volumes[{i}]"));
        let Some(name) = r.str(v, "name", &format!("{vp}.name")) else {
            continue;
        };
        if let Some(h) = r.map(v, "hostPath", &format!("{vp}.hostPath"))
            && let Some(p) = r.str(h, "path", &format!("{vp}.hostPath.path"))
        {
            host_vols.insert(name.clone(), (p, o.doc.at(&format!("{vp}.hostPath.path"))));
        }
        if let Some(s) = r.map(v, "secret", &format!("{vp}.secret"))
            && let Some(n) = r.str(s, "secretName", &format!("{vp}.secret.secretName"))
        {
            refs.secrets.entry(n).or_insert(false);
        }
        if let Some(c) = r.map(v, "configMap", &format!("{vp}.configMap"))
            && let Some(n) = r.str(c, "name", &format!("{vp}.configMap.name"))
        {
            refs.configmaps.insert(n);
        }
        if let Some(pj) = r.map(v, "projected", &format!("{vp}.projected")) {
            for (j, src) in r
                .seq(pj, "sources", &format!("{vp}.projected.sources"))
                .iter()
                .enumerate()
            {
                let pp = format!("{vp}.projected.sources[{j}]");
                if let Some(s) = r.map(src, "secret", &format!("{pp}.secret"))
                    && let Some(n) = r.str(s, "name", &format!("{pp}.secret.name"))
                {
                    refs.secrets.entry(n).or_insert(false);
                }
                if let Some(c) = r.map(src, "configMap", &format!("{pp}.configMap"))
                    && let Some(n) = r.str(c, "name", &format!("{pp}.configMap.name"))
                {
                    refs.configmaps.insert(n);
                }
            }
        }
    }

    // Containers (init and ephemeral containers run in the pod too).
    let mut ctrs: Vec<Ctr> = Vec::new();
    let mut env_out: Vec<(String, String, String)> = Vec::new();
    let mut secrets_env: Option<String> = None;
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in r.seq(spec, list, &sp(list)).iter().enumerate() {
            let cp = sp(&format!("{list}[{i}]"));
            let name = r.str(c, "name", &format!("{cp}.name")).unwrap_or_default();
            let sc = r
                .map(c, "securityContext", &format!("{cp}.securityContext"))
                .unwrap_or(&NULL);
            let scp = format!("{cp}.securityContext");
            let here = |k: &str| o.doc.at_parts(&[&scp, ".", k]);
            let pod_here = |k: &str| o.doc.at_parts(&[&psc_path, ".", k]);
            let privileged = r.bool(sc, "privileged", &format!("{scp}.privileged"));
            let ape = r.bool(
                sc,
                "allowPrivilegeEscalation",
                &format!("{scp}.allowPrivilegeEscalation"),
            );
            let non_root = match r.bool(sc, "runAsNonRoot", &format!("{scp}.runAsNonRoot")) {
                Some(v) => Some((v, here("runAsNonRoot"))),
                None => r
                    .bool(psc, "runAsNonRoot", &format!("{psc_path}.runAsNonRoot"))
                    .map(|v| (v, pod_here("runAsNonRoot"))),
            };
            let user = match r.str(sc, "runAsUser", &format!("{scp}.runAsUser")) {
                Some(v) => Some((v, here("runAsUser"))),
                None => r
                    .str(psc, "runAsUser", &format!("{psc_path}.runAsUser"))
                    .map(|v| (v, pod_here("runAsUser"))),
            };
            let group = r
                .str(sc, "runAsGroup", &format!("{scp}.runAsGroup"))
                .or_else(|| r.str(psc, "runAsGroup", &format!("{psc_path}.runAsGroup")));
            let caps = r
                .map(sc, "capabilities", &format!("{scp}.capabilities"))
                .unwrap_or(&NULL);
            let norm = |v: Vec<String>| -> Vec<String> {
                v.into_iter()
                    .map(|c| c.trim().trim_start_matches("CAP_").to_ascii_uppercase())
                    .collect()
            };
            let add = norm(r.strings(caps, "add", &format!("{scp}.capabilities.add")));
            let drop = norm(r.strings(caps, "drop", &format!("{scp}.capabilities.drop")));
            let profile =
                |r: &mut Reader<'_, '_, Y>, m: &Y, base: &str, key: &str| -> Option<String> {
                    let p = r.map(m, key, &format!("{base}.{key}"))?;
                    r.str(p, "type", &format!("{base}.{key}.type"))
                };
            let seccomp = match profile(r, sc, &scp, "seccompProfile") {
                Some(t) => Some((t, here("seccompProfile.type"))),
                None => match profile(r, psc, &psc_path, "seccompProfile") {
                    Some(t) => Some((t, pod_here("seccompProfile.type"))),
                    None => annotations
                        .get(&format!(
                            "container.seccomp.security.alpha.kubernetes.io/{name}"
                        ))
                        .or_else(|| annotations.get("seccomp.security.alpha.kubernetes.io/pod"))
                        .map(|t| (t.clone(), o.at(&format!("{meta_path}.annotations")))),
                },
            };
            let apparmor = match profile(r, sc, &scp, "appArmorProfile") {
                Some(t) => Some((t, here("appArmorProfile.type"))),
                None => match profile(r, psc, &psc_path, "appArmorProfile") {
                    Some(t) => Some((t, pod_here("appArmorProfile.type"))),
                    None => annotations
                        .get(&format!(
                            "container.apparmor.security.beta.kubernetes.io/{name}"
                        ))
                        .map(|t| (t.clone(), o.at(&format!("{meta_path}.annotations")))),
                },
            };
            let ro_root = r.bool(
                sc,
                "readOnlyRootFilesystem",
                &format!("{scp}.readOnlyRootFilesystem"),
            );
            let limits = r
                .map(c, "resources", &format!("{cp}.resources"))
                .and_then(|res| r.map(res, "limits", &format!("{cp}.resources.limits")))
                .is_some_and(|l| get(l, "cpu").is_some() && get(l, "memory").is_some());
            let image = r
                .str(c, "image", &format!("{cp}.image"))
                .unwrap_or_default();
            let mut mounts = Vec::new();
            for (j, m) in r
                .seq(c, "volumeMounts", &format!("{cp}.volumeMounts"))
                .iter()
                .enumerate()
            {
                let mp = format!("{cp}.volumeMounts[{j}]");
                if let Some(n) = r.str(m, "name", &format!("{mp}.name")) {
                    let ro = r
                        .bool(m, "readOnly", &format!("{mp}.readOnly"))
                        .unwrap_or(false);
                    mounts.push((n, ro, o.doc.at(&mp)));
                }
            }
            for (j, ev) in r.seq(c, "env", &format!("{cp}.env")).iter().enumerate() {
                let ep = format!("{cp}.env[{j}]");
                let var = r.str(ev, "name", &format!("{ep}.name")).unwrap_or_default();
                if let Some(val) = r.str(ev, "value", &format!("{ep}.value")) {
                    env_out.push((var.clone(), val, o.doc.at(&ep)));
                }
                if let Some(vf) = r.map(ev, "valueFrom", &format!("{ep}.valueFrom")) {
                    if let Some(s) =
                        r.map(vf, "secretKeyRef", &format!("{ep}.valueFrom.secretKeyRef"))
                        && let Some(n) =
                            r.str(s, "name", &format!("{ep}.valueFrom.secretKeyRef.name"))
                    {
                        refs.secrets.insert(n, true);
                        secrets_env.get_or_insert_with(|| {
                            o.doc.at(&format!("{ep}.valueFrom.secretKeyRef"))
                        });
                    }
                    if let Some(s) = r.map(
                        vf,
                        "configMapKeyRef",
                        &format!("{ep}.valueFrom.configMapKeyRef"),
                    ) && let Some(n) =
                        r.str(s, "name", &format!("{ep}.valueFrom.configMapKeyRef.name"))
                    {
                        refs.configmaps.insert(n);
                    }
                }
            }
            for (j, ef) in r
                .seq(c, "envFrom", &format!("{cp}.envFrom"))
                .iter()
                .enumerate()
            {
                let ep = format!("{cp}.envFrom[{j}]");
                if let Some(s) = r.map(ef, "secretRef", &format!("{ep}.secretRef"))
                    && let Some(n) = r.str(s, "name", &format!("{ep}.secretRef.name"))
                {
                    refs.secrets.insert(n, true);
                    secrets_env.get_or_insert_with(|| o.doc.at(&format!("{ep}.secretRef")));
                }
                if let Some(s) = r.map(ef, "configMapRef", &format!("{ep}.configMapRef"))
                    && let Some(n) = r.str(s, "name", &format!("{ep}.configMapRef.name"))
                {
                    refs.configmaps.insert(n);
                }
            }
            ctrs.push(Ctr {
                path: cp,
                privileged,
                ape,
                non_root,
                user,
                group,
                add,
                drop,
                seccomp,
                apparmor,
                ro_root,
                limits,
                image,
                mounts,
            });
        }
    }
    if ctrs.is_empty() && ok {
        r.diags.push(o.doc.diag(
            Level::Warning,
            "no-containers",
            &o.p(&format!("{spec_path}.containers")),
            format!("{} {} has no containers", o.kind, o.name),
        ));
    }
    let cat = |c: &Ctr, k: &str| o.doc.at_parts(&[&c.path, ".", k]);
    let missing = |c: &Ctr, k: &str| format!("{} ({k} not set)", o.doc.at(&c.path));

    // privileged: any container.
    match ctrs.iter().find(|c| c.privileged == Some(true)) {
        Some(c) => e.bool("privileged", true, cat(c, "securityContext.privileged")),
        None => e.bool(
            "privileged",
            false,
            match ctrs.first() {
                Some(c) if c.privileged.is_some() => cat(c, "securityContext.privileged"),
                _ => unset("containers[*].securityContext.privileged"),
            },
        ),
    }
    // allowPrivilegeEscalation: false only when every container says so (and none is
    // privileged or adds SYS_ADMIN, which imply it).
    let ape_true = ctrs.iter().find(|c| {
        c.ape != Some(false) || c.privileged == Some(true) || c.add.iter().any(|a| a == "SYS_ADMIN")
    });
    match ape_true {
        Some(c) if c.ape == Some(true) => e.bool(
            "allow_privilege_escalation",
            true,
            cat(c, "securityContext.allowPrivilegeEscalation"),
        ),
        Some(c) if c.ape == Some(false) => e.bool(
            "allow_privilege_escalation",
            true,
            format!("{} (privileged or SYS_ADMIN implies it)", o.doc.at(&c.path)),
        ),
        Some(c) => e.bool(
            "allow_privilege_escalation",
            true,
            missing(c, "securityContext.allowPrivilegeEscalation"),
        ),
        None if ctrs.is_empty() => e.bool("allow_privilege_escalation", true, unset("containers")),
        None => e.bool(
            "allow_privilege_escalation",
            false,
            cat(&ctrs[0], "securityContext.allowPrivilegeEscalation"),
        ),
    }
    // runAsNonRoot: every container runs with a non-zero uid or runAsNonRoot without uid 0.
    let runs_non_root = |c: &Ctr| -> bool {
        let uid_zero = c.user.as_ref().is_some_and(|(u, _)| u.trim() == "0");
        let uid_nonzero = c
            .user
            .as_ref()
            .is_some_and(|(u, _)| u.trim().parse::<u64>().is_ok_and(|n| n > 0));
        uid_nonzero || (c.non_root.as_ref().is_some_and(|(v, _)| *v) && !uid_zero)
    };
    match ctrs.iter().find(|c| !runs_non_root(c)) {
        Some(c) => {
            let from = match (&c.user, &c.non_root) {
                (Some((u, f)), _) if u.trim() == "0" => f.clone(),
                (_, Some((false, f))) => f.clone(),
                _ => missing(c, "securityContext.runAsNonRoot / runAsUser"),
            };
            e.bool("run_as_non_root", false, from)
        }
        None if ctrs.is_empty() => e.bool("run_as_non_root", false, unset("containers")),
        None => {
            let c = &ctrs[0];
            let from = c
                .non_root
                .as_ref()
                .filter(|(v, _)| *v)
                .map(|(_, f)| f.clone())
                .or_else(|| c.user.as_ref().map(|(_, f)| f.clone()))
                .unwrap_or_default();
            e.bool("run_as_non_root", true, from)
        }
    }
    // runAsUser as given (uid[:gid]); several different values are listed.
    let mut users: BTreeSet<String> = BTreeSet::new();
    let mut user_from = None;
    for c in &ctrs {
        if let Some((u, f)) = &c.user {
            let s = match &c.group {
                Some(g) => format!("{u}:{g}"),
                None => u.clone(),
            };
            users.insert(s);
            user_from.get_or_insert_with(|| f.clone());
        }
    }
    let users: Vec<String> = users.into_iter().collect();
    e.text(
        "run_as_user",
        &users.join(", "),
        user_from.unwrap_or_else(|| unset("securityContext.runAsUser")),
    );
    // Capabilities: added by any container; dropped by every container.
    let mut added: BTreeSet<String> = BTreeSet::new();
    let mut add_from = None;
    for c in &ctrs {
        if !c.add.is_empty() {
            add_from.get_or_insert_with(|| cat(c, "securityContext.capabilities.add"));
        }
        added.extend(c.add.iter().cloned());
    }
    e.set(
        "capabilities_added",
        Value::list(added),
        add_from.unwrap_or_else(|| unset("containers[*].securityContext.capabilities.add")),
    );
    let mut dropped: Option<BTreeSet<String>> = None;
    for c in &ctrs {
        let d: BTreeSet<String> = c.drop.iter().cloned().collect();
        dropped = Some(match dropped {
            None => d,
            Some(prev) => prev.intersection(&d).cloned().collect(),
        });
    }
    let dropped = dropped.unwrap_or_default();
    let drop_from = ctrs
        .iter()
        .find(|c| c.drop.is_empty())
        .map(|c| missing(c, "securityContext.capabilities.drop"))
        .or_else(|| {
            ctrs.first()
                .map(|c| cat(c, "securityContext.capabilities.drop"))
        })
        .unwrap_or_else(|| unset("containers"));
    let net_raw = !ctrs.is_empty()
        && ctrs
            .iter()
            .all(|c| c.drop.iter().any(|d| d == "ALL" || d == "NET_RAW"));
    e.bool("net_raw_dropped", net_raw, drop_from.clone());
    e.set("capabilities_dropped", Value::list(dropped), drop_from);
    // seccomp and AppArmor: the weakest container decides.
    let worst = |vals: Vec<(Option<&'static str>, String)>,
                 unset_is: &'static str,
                 bad: &str|
     -> (String, String) {
        let mut best: Option<(String, String)> = None;
        for (v, f) in vals {
            let v = v.unwrap_or(unset_is).to_owned();
            let rank = |x: &str| {
                if x == "unconfined" {
                    0
                } else if x == "localhost" {
                    1
                } else {
                    2
                }
            };
            match &best {
                Some((b, _)) if rank(b) <= rank(&v) => {}
                _ => best = Some((v, f)),
            }
        }
        best.unwrap_or_else(|| (unset_is.to_owned(), bad.to_owned()))
    };
    let sec: Vec<(Option<&'static str>, String)> = ctrs
        .iter()
        .map(|c| match &c.seccomp {
            Some((t, f)) => (profile_type(t).or(Some("unconfined")), f.clone()),
            None => (None, missing(c, "securityContext.seccompProfile")),
        })
        .collect();
    let (v, f) = worst(sec, "unconfined", &unset("securityContext.seccompProfile"));
    e.text("seccomp_profile", &v, f);
    let aa: Vec<(Option<&'static str>, String)> = ctrs
        .iter()
        .map(|c| match &c.apparmor {
            Some((t, f)) => (profile_type(t).or(Some("unconfined")), f.clone()),
            None => (None, missing(c, "securityContext.appArmorProfile")),
        })
        .collect();
    let (v, f) = worst(
        aa,
        "runtime-default",
        &unset("securityContext.appArmorProfile"),
    );
    e.text("apparmor_profile", &v, f);
    // Read-only root filesystem and limits: every container.
    match ctrs.iter().find(|c| c.ro_root != Some(true)) {
        Some(c) => e.bool(
            "read_only_root_fs",
            false,
            match c.ro_root {
                Some(_) => cat(c, "securityContext.readOnlyRootFilesystem"),
                None => missing(c, "securityContext.readOnlyRootFilesystem"),
            },
        ),
        None if ctrs.is_empty() => e.bool("read_only_root_fs", false, unset("containers")),
        None => e.bool(
            "read_only_root_fs",
            true,
            cat(&ctrs[0], "securityContext.readOnlyRootFilesystem"),
        ),
    }
    match ctrs.iter().find(|c| !c.limits) {
        Some(c) => e.bool(
            "resource_limits",
            false,
            missing(c, "resources.limits.cpu / memory"),
        ),
        None if ctrs.is_empty() => e.bool("resource_limits", false, unset("containers")),
        None => e.bool("resource_limits", true, cat(&ctrs[0], "resources.limits")),
    }
    // Images: the least pinned decides.
    let images: Vec<String> = ctrs
        .iter()
        .map(|c| c.image.clone())
        .filter(|i| !i.is_empty())
        .collect();
    let rank = |x: &str| match x {
        "latest" => 0,
        "tag" => 1,
        _ => 2,
    };
    match ctrs
        .iter()
        .filter(|c| !c.image.is_empty())
        .min_by_key(|c| rank(image_reference(&c.image)))
    {
        Some(c) => e.text(
            "image_reference",
            image_reference(&c.image),
            cat(c, "image"),
        ),
        None => e.text("image_reference", "latest", unset("containers[*].image")),
    }
    e.set(
        "images",
        Value::list(images),
        ctrs.first()
            .map(|c| cat(c, "image"))
            .unwrap_or_else(|| unset("containers")),
    );
    // hostPath volumes that a container mounts.
    let mut paths: BTreeSet<String> = BTreeSet::new();
    let mut writable: BTreeSet<String> = BTreeSet::new();
    let mut host_from: Option<String> = None;
    let mut writable_from: Option<String> = None;
    for c in &ctrs {
        for (n, ro, mfrom) in &c.mounts {
            if let Some((p, vfrom)) = host_vols.get(n) {
                paths.insert(p.clone());
                host_from.get_or_insert_with(|| vfrom.clone());
                if !ro {
                    writable.insert(p.clone());
                    writable_from.get_or_insert_with(|| format!("{mfrom} (no readOnly)"));
                }
            }
        }
    }
    let level = if !writable.is_empty() {
        "writable"
    } else if !paths.is_empty() {
        "read-only"
    } else {
        "none"
    };
    let vol_unset = unset("volumes[*].hostPath");
    e.text(
        "host_path_mounts",
        level,
        writable_from
            .clone()
            .or(host_from.clone())
            .unwrap_or(vol_unset.clone()),
    );
    e.set(
        "host_paths",
        Value::list(paths),
        host_from.unwrap_or(vol_unset.clone()),
    );
    e.set(
        "host_paths_writable",
        Value::list(writable),
        writable_from.unwrap_or(vol_unset),
    );
    // Secrets injected as environment variables.
    match secrets_env {
        Some(f) => e.bool("secrets_as_env", true, f),
        None => e.bool(
            "secrets_as_env",
            false,
            unset("containers[*].env[*].valueFrom.secretKeyRef"),
        ),
    }
    (labels, env_out)
}
