//! Compose Specification files (`compose.yaml`, `docker-compose.yml`) into a Docker host
//! model: one host boundary with the Docker daemon, a boundary per network, a container
//! element per service, named volumes as stores, published ports as flows from the
//! Internet, and `depends_on` / `links` / environment values that name another service
//! as flows between containers (marked as inferred in their note).
//!
//! Several files merge like `docker compose -f a -f b`: mappings merge key by key, the
//! later file winning; `ports`, `expose`, `dns`, `volumes`, `cap_add`, `cap_drop`,
//! `security_opt`, `networks` and `depends_on` lists are concatenated without repeats;
//! `command`, `entrypoint` and other lists are replaced. Every derived property records
//! the file and path of the last file that set it.

use super::yaml::{self, Doc, Reader, get, scalar};
use super::{ImportError, Imported, NOTE_SOURCE};
use crate::diag::{Diagnostic, Level};
use crate::model::{
    Boundary, BoundaryId, BoundaryKind, Channel, Element, ElementId, Flow, FlowId, Model, Props,
    Relation, RelationId, Value,
};
use serde_norway::Value as Y;
use std::collections::{BTreeMap, BTreeSet};

/// Id of the Docker host boundary.
pub const HOST: &str = "host";
/// Id of the Docker daemon element.
pub const DAEMON: &str = "host.dockerd";

/// Lists that `docker compose` merges by appending rather than replacing.
const APPEND: &[&str] = &[
    "ports",
    "expose",
    "dns",
    "dns_search",
    "volumes",
    "cap_add",
    "cap_drop",
    "security_opt",
    "external_links",
    "links",
    "tmpfs",
    "devices",
    "depends_on",
    "networks",
    "secrets",
    "configs",
    "env_file",
    "environment",
    "labels",
];

/// Host paths whose bind mount gives a container control of the host.
fn sensitive_path(p: &str) -> bool {
    let p = p.trim_end_matches('/');
    let p = if p.is_empty() { "/" } else { p };
    const EXACT: &[&str] = &[
        "/",
        "/etc",
        "/root",
        "/boot",
        "/proc",
        "/sys",
        "/dev",
        "/usr",
        "/lib",
        "/bin",
        "/sbin",
        "/home",
        "/var",
        "/var/run",
        "/run",
        "/var/lib",
        "/var/lib/docker",
        "/var/lib/kubelet",
        "/var/log",
    ];
    const UNDER: &[&str] = &[
        "/proc/",
        "/sys/",
        "/dev/",
        "/boot/",
        "/root/",
        "/var/lib/docker/",
        "/var/lib/kubelet/",
        "/etc/ssh",
        "/etc/shadow",
        "/etc/passwd",
        "/etc/sudoers",
        "/etc/kubernetes",
        "/etc/docker",
        "/etc/systemd",
        "/etc/cron",
        "/etc/containerd",
    ];
    EXACT.contains(&p) || UNDER.iter().any(|u| p.starts_with(u))
}

fn is_docker_socket(p: &str) -> bool {
    matches!(
        p.trim_end_matches('/'),
        "/var/run/docker.sock" | "/run/docker.sock" | "/var/run/docker" | "/run/docker"
    ) || p.ends_with("/docker.sock")
}

/// Whether an environment variable name looks like it holds a credential.
pub fn secret_like(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    if n.ends_with("_FILE") || n.ends_with("_PATH") || n.ends_with("_URL") && !n.contains("PASS") {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "_PASS",
        "PASS_",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n == "PASS"
        || n.ends_with("PASSWORD")
        || n.ends_with("PW")
}

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

/// Deep merge of `over` into `base` as `docker compose -f` does.
fn merge(base: &mut Y, over: &Y, key: Option<&str>) {
    match (base, over) {
        (Y::Mapping(b), Y::Mapping(o)) => {
            for (k, v) in o {
                let ks = scalar(k);
                match b.get_mut(k) {
                    Some(bv) => merge(bv, v, ks.as_deref()),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Y::Sequence(b), Y::Sequence(o)) if key.is_some_and(|k| APPEND.contains(&k)) => {
            for v in o {
                if !b.contains(v) {
                    b.push(v.clone());
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// A short-syntax or long-syntax volume: `(source, target, read only, type)`.
fn volume_spec(v: &Y) -> Option<(String, String, bool, String)> {
    match v {
        Y::String(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            match parts.as_slice() {
                [target] => Some((String::new(), (*target).to_owned(), false, "volume".into())),
                [src, target] => {
                    Some(((*src).to_owned(), (*target).to_owned(), false, kind_of(src)))
                }
                [src, target, mode, ..] => Some((
                    (*src).to_owned(),
                    (*target).to_owned(),
                    mode.split(',').any(|m| m == "ro"),
                    kind_of(src),
                )),
                [] => None,
            }
        }
        Y::Mapping(_) => {
            let ty = get(v, "type")
                .and_then(scalar)
                .unwrap_or_else(|| "volume".into());
            let src = get(v, "source").and_then(scalar).unwrap_or_default();
            let target = get(v, "target").and_then(scalar).unwrap_or_default();
            let ro = matches!(get(v, "read_only"), Some(Y::Bool(true)));
            Some((src, target, ro, ty))
        }
        _ => None,
    }
}

fn kind_of(src: &str) -> String {
    if src.starts_with('/') || src.starts_with('.') || src.starts_with('~') || src.starts_with('$')
    {
        "bind".into()
    } else {
        "volume".into()
    }
}

/// Size text (`512m`, `1g`, `1073741824`) in MiB.
fn mebibytes(s: &str) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('b');
    let (num, mul) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1.0 / 1024.0),
        'm' => (&t[..t.len() - 1], 1.0),
        'g' => (&t[..t.len() - 1], 1024.0),
        't' => (&t[..t.len() - 1], 1024.0 * 1024.0),
        _ => (t, 1.0 / (1024.0 * 1024.0)),
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n * mul)
}

/// Imports Compose files; later files override earlier ones.
#[allow(clippy::type_complexity)]
pub fn import_compose(inputs: &[(String, Vec<u8>)]) -> Result<Imported, ImportError> {
    let mut diags = Vec::new();
    let mut docs: Vec<Doc> = Vec::new();
    let mut budget = yaml::MAX_DOCUMENTS;
    let mut total = 0u64;
    for (name, bytes) in inputs {
        let text = yaml::input_text(name, bytes, &mut total)?;
        let mut d = yaml::documents(name, text, &mut budget, &mut diags);
        if d.len() > 1 {
            diags.push(
                Diagnostic::new(
                    Level::Warning,
                    "compose-documents",
                    format!(
                        "{} YAML documents; a Compose file has one, the first is used",
                        d.len()
                    ),
                )
                .at(name, None),
            );
            d.truncate(1);
        }
        docs.extend(d);
    }
    if docs.is_empty() {
        if let Some(d) = diags.iter().find(|d| d.level == Level::Error) {
            let (line, col) = d.pos.map(|p| (p.line, p.col)).unwrap_or((1, 1));
            return Err(ImportError::Syntax {
                path: d.file.clone().unwrap_or_default(),
                line,
                col,
                message: d.message.clone(),
            });
        }
        return Err(ImportError::Invalid {
            path: inputs.first().map(|i| i.0.clone()).unwrap_or_default(),
            pos: None,
            message: "no Compose document (empty file)".into(),
        });
    }
    for d in &docs {
        if !matches!(d.value, Y::Mapping(_)) || get(&d.value, "services").is_none() {
            diags.push(d.diag(
                Level::Warning,
                "not-compose",
                "services",
                "no `services` mapping: not a Compose file?".into(),
            ));
        }
    }
    let mut merged = Y::Mapping(Default::default());
    for d in &docs {
        merge(&mut merged, &d.value, None);
    }
    // Where a path was last set (the file that wins).
    let origin = |path: &[&str]| -> String {
        for d in docs.iter().rev() {
            let mut v = &d.value;
            let mut ok = true;
            for k in path {
                match get(v, k) {
                    Some(x) => v = x,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                return d.at(&path.join("."));
            }
        }
        format!(
            "{} (not set: Docker default)",
            docs.last()
                .map(|d| d.at(&path.join(".")))
                .unwrap_or_default()
        )
    };
    let first = &docs[docs.len() - 1];
    let mut r = Reader {
        doc: first,
        diags: &mut diags,
    };

    let mut model = Model::new(&title(inputs));
    model.metadata.source_format = "compose".into();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    model.boundaries.insert(
        BoundaryId::new(HOST),
        Boundary {
            id: BoundaryId::new(HOST),
            name: "Docker host".into(),
            kind: BoundaryKind::Host,
            trust: 7,
            ..Default::default()
        },
    );
    taken.insert(HOST.into());
    model.elements.insert(
        ElementId::new(DAEMON),
        Element {
            id: ElementId::new(DAEMON),
            name: "Docker daemon".into(),
            kind: "docker.daemon".into(),
            boundary: Some(BoundaryId::new(HOST)),
            provenance: [(
                "kind".to_owned(),
                "the Docker host every Compose service runs on".to_owned(),
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        },
    );
    taken.insert(DAEMON.into());

    let services: Vec<(String, Y)> = match r.map(&merged, "services", "services") {
        Some(Y::Mapping(m)) => m
            .iter()
            .filter_map(|(k, v)| scalar(k).map(|k| (k, v.clone())))
            .collect(),
        _ => Vec::new(),
    };
    let names: BTreeSet<String> = services.iter().map(|(n, _)| n.clone()).collect();
    // Networks: declared ones plus `default` when a service declares none.
    let mut nets: BTreeSet<String> = BTreeSet::new();
    if let Some(Y::Mapping(m)) = r.map(&merged, "networks", "networks") {
        nets.extend(m.keys().filter_map(scalar));
    }
    let svc_nets = |r: &mut Reader, name: &str, svc: &Y| -> Vec<String> {
        match get(svc, "networks") {
            Some(Y::Sequence(s)) => s.iter().filter_map(scalar).collect(),
            Some(Y::Mapping(m)) => m.keys().filter_map(scalar).collect(),
            None | Some(Y::Null) => vec!["default".into()],
            Some(other) => {
                r.diags.push(r.doc.diag(
                    Level::Warning,
                    "wrong-type",
                    &format!("services.{name}.networks"),
                    format!(
                        "services.{name}.networks: expected a list or a mapping, found {}; ignored",
                        yaml::type_name(other)
                    ),
                ));
                vec!["default".into()]
            }
        }
    };
    let mut volumes_decl: BTreeSet<String> = BTreeSet::new();
    if let Some(Y::Mapping(m)) = r.map(&merged, "volumes", "volumes") {
        volumes_decl.extend(m.keys().filter_map(scalar));
    }

    let mut flows: Vec<(
        ElementId,
        ElementId,
        String,
        Option<f64>,
        Option<String>,
        Channel,
        String,
    )> = Vec::new();
    let mut internet_flows: Vec<(ElementId, String, f64, String, String)> = Vec::new();
    let mut relations: Vec<(String, ElementId, ElementId, Props)> = Vec::new();
    let mut vol_elems: BTreeMap<String, ElementId> = BTreeMap::new();
    let mut first_port: BTreeMap<String, f64> = BTreeMap::new();
    for (name, svc) in &services {
        // The container side of the first published or exposed port.
        let mut port = None;
        for p in r.seq(svc, "ports", &format!("services.{name}.ports")) {
            port = port.or_else(|| published(p).map(|x| x.1));
        }
        for p in r.seq(svc, "expose", &format!("services.{name}.expose")) {
            port = port.or_else(|| {
                scalar(p).and_then(|s| s.split('/').next().and_then(|x| x.parse().ok()))
            });
        }
        if let Some(p) = port {
            first_port.insert(name.clone(), p);
        }
    }
    for (name, svc) in &services {
        let sp = format!("services.{name}");
        let at = |k: &str| origin(&["services", name, k]);
        let id = format!("svc.{}", id_part(name));
        taken.insert(id.clone());
        let mut e = Element {
            id: ElementId::new(id.clone()),
            name: name.clone(),
            kind: "docker.container".into(),
            provenance: [("kind".to_owned(), origin(&["services", name]))]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let set = |e: &mut Element, prop: &str, v: Value, from: String| {
            e.props.insert(prop.into(), v);
            e.provenance.insert(prop.into(), from);
        };
        if !matches!(svc, Y::Mapping(_)) {
            r.diags.push(r.doc.diag(
                Level::Warning,
                "wrong-type",
                &sp,
                format!(
                    "{sp}: expected a mapping, found {}; the service has default properties",
                    yaml::type_name(svc)
                ),
            ));
        }
        let image = r.str(svc, "image", &format!("{sp}.image"));
        match &image {
            Some(i) => set(&mut e, "image", Value::Text(i.clone()), at("image")),
            None if get(svc, "build").is_some() => set(
                &mut e,
                "image",
                Value::Text(String::new()),
                format!("{} (built locally, no image)", at("build")),
            ),
            None => set(&mut e, "image", Value::Text(String::new()), at("image")),
        }
        let user = r
            .str(svc, "user", &format!("{sp}.user"))
            .unwrap_or_default();
        set(&mut e, "user", Value::Text(user), at("user"));
        let privileged = r
            .bool(svc, "privileged", &format!("{sp}.privileged"))
            .unwrap_or(false);
        set(
            &mut e,
            "privileged",
            Value::Bool(privileged),
            at("privileged"),
        );
        let ro = r
            .bool(svc, "read_only", &format!("{sp}.read_only"))
            .unwrap_or(false);
        set(&mut e, "read_only_rootfs", Value::Bool(ro), at("read_only"));
        let norm = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|c| c.trim().trim_start_matches("CAP_").to_ascii_uppercase())
                .collect()
        };
        let add = norm(r.strings(svc, "cap_add", &format!("{sp}.cap_add")));
        let drop = norm(r.strings(svc, "cap_drop", &format!("{sp}.cap_drop")));
        set(
            &mut e,
            "cap_drop_all",
            Value::Bool(drop.iter().any(|d| d == "ALL")),
            at("cap_drop"),
        );
        set(&mut e, "cap_add", Value::list(add), at("cap_add"));
        set(&mut e, "cap_drop", Value::list(drop), at("cap_drop"));
        // security_opt: no-new-privileges, seccomp, apparmor (or SELinux label).
        let opts = r.strings(svc, "security_opt", &format!("{sp}.security_opt"));
        let mut nnp = false;
        let mut seccomp = "default";
        let mut apparmor = "docker-default";
        for o in &opts {
            let (k, v) = o.split_once([':', '=']).unwrap_or((o.as_str(), "true"));
            match k.trim() {
                "no-new-privileges" => nnp = v.trim() != "false",
                "seccomp" => {
                    seccomp = if v.trim() == "unconfined" {
                        "unconfined"
                    } else {
                        "custom"
                    }
                }
                "apparmor" => {
                    apparmor = if v.trim() == "unconfined" {
                        "unconfined"
                    } else {
                        "custom"
                    }
                }
                "label" if v.trim() == "disable" => apparmor = "unconfined",
                "label" => apparmor = "custom",
                _ => {}
            }
        }
        set(
            &mut e,
            "no_new_privileges",
            Value::Bool(nnp),
            at("security_opt"),
        );
        set(
            &mut e,
            "seccomp_profile",
            Value::Text(seccomp.into()),
            at("security_opt"),
        );
        set(
            &mut e,
            "apparmor_profile",
            Value::Text(apparmor.into()),
            at("security_opt"),
        );
        // Limits: mem_limit / cpus / pids_limit, or deploy.resources.limits.
        let limits = get(svc, "deploy")
            .and_then(|d| get(d, "resources"))
            .and_then(|x| get(x, "limits"));
        let mem = r
            .str(svc, "mem_limit", &format!("{sp}.mem_limit"))
            .map(|m| (m, at("mem_limit")))
            .or_else(|| {
                limits
                    .and_then(|l| get(l, "memory"))
                    .and_then(scalar)
                    .map(|m| {
                        (
                            m,
                            origin(&["services", name, "deploy", "resources", "limits", "memory"]),
                        )
                    })
            });
        match mem
            .as_ref()
            .and_then(|(m, f)| mebibytes(m).map(|x| (x, f.clone())))
        {
            Some((mb, from)) => set(&mut e, "memory_limit_mb", Value::Number(mb), from),
            None => {
                if let Some((m, _)) = &mem {
                    r.diags.push(r.doc.diag(
                        Level::Warning,
                        "wrong-type",
                        &format!("{sp}.mem_limit"),
                        format!("{sp}: memory limit `{m}` is not a size; ignored"),
                    ));
                }
                set(
                    &mut e,
                    "memory_limit_mb",
                    Value::Number(0.0),
                    at("mem_limit"),
                )
            }
        }
        let cpus = r
            .str(svc, "cpus", &format!("{sp}.cpus"))
            .map(|c| (c, at("cpus")))
            .or_else(|| {
                limits
                    .and_then(|l| get(l, "cpus"))
                    .and_then(scalar)
                    .map(|c| {
                        (
                            c,
                            origin(&["services", name, "deploy", "resources", "limits", "cpus"]),
                        )
                    })
            });
        let cpu = cpus.as_ref().and_then(|(c, f)| {
            c.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(|x| (x, f.clone()))
        });
        match cpu {
            Some((c, from)) => set(&mut e, "cpu_limit", Value::Number(c), from),
            None => set(&mut e, "cpu_limit", Value::Number(0.0), at("cpus")),
        }
        let pids = r
            .str(svc, "pids_limit", &format!("{sp}.pids_limit"))
            .map(|c| (c, at("pids_limit")))
            .or_else(|| {
                limits
                    .and_then(|l| get(l, "pids"))
                    .and_then(scalar)
                    .map(|c| {
                        (
                            c,
                            origin(&["services", name, "deploy", "resources", "limits", "pids"]),
                        )
                    })
            });
        match pids.as_ref().and_then(|(c, f)| {
            c.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x > 0.0)
                .map(|x| (x, f.clone()))
        }) {
            Some((p, from)) => set(&mut e, "pids_limit", Value::Number(p), from),
            None => set(&mut e, "pids_limit", Value::Number(0.0), at("pids_limit")),
        }
        // Namespaces.
        let nm = r.str(svc, "network_mode", &format!("{sp}.network_mode"));
        let my_nets = svc_nets(&mut r, name, svc);
        let mode = match nm.as_deref() {
            Some("host") => "host",
            Some("none") => "none",
            Some(m) if m.starts_with("container:") || m.starts_with("service:") => "container",
            Some("bridge") => "bridge",
            _ if my_nets.iter().any(|n| n != "default") => "user-defined",
            _ => "user-defined", // compose puts services on the project's own network
        };
        set(
            &mut e,
            "network_mode",
            Value::Text(mode.into()),
            at(if nm.is_some() {
                "network_mode"
            } else {
                "networks"
            }),
        );
        let pid = r.str(svc, "pid", &format!("{sp}.pid"));
        let pid_mode = match pid.as_deref() {
            Some("host") => "host",
            Some(p) if p.starts_with("container:") || p.starts_with("service:") => "container",
            _ => "private",
        };
        set(&mut e, "pid_mode", Value::Text(pid_mode.into()), at("pid"));
        let ipc = r.str(svc, "ipc", &format!("{sp}.ipc"));
        let ipc_mode = match ipc.as_deref() {
            Some("host") => "host",
            Some("shareable") => "shareable",
            Some(p) if p.starts_with("container:") || p.starts_with("service:") => "container",
            _ => "private",
        };
        set(&mut e, "ipc_mode", Value::Text(ipc_mode.into()), at("ipc"));
        // Volumes: the socket, host paths, named volumes.
        let mut host_mounts: BTreeSet<String> = BTreeSet::new();
        let mut socket: Option<String> = None;
        let mut sensitive: Option<String> = None;
        for (i, v) in r
            .seq(svc, "volumes", &format!("{sp}.volumes"))
            .iter()
            .enumerate()
        {
            let vp = format!("services.{name}.volumes[{i}]");
            let from =
                origin(&["services", name, "volumes"]).replace(&format!("{sp}.volumes"), &vp);
            let Some((src, _target, ro, ty)) = volume_spec(v) else {
                r.diags.push(r.doc.diag(
                    Level::Warning,
                    "wrong-type",
                    &vp,
                    format!("{vp}: not a volume (expected a string or a mapping); ignored"),
                ));
                continue;
            };
            match ty.as_str() {
                "bind" => {
                    host_mounts.insert(src.clone());
                    if is_docker_socket(&src) {
                        socket.get_or_insert(from.clone());
                    } else if sensitive_path(&src) {
                        sensitive.get_or_insert(from.clone());
                    }
                }
                "volume" if !src.is_empty() => {
                    let vid = vol_elems.entry(src.clone()).or_insert_with(|| {
                        let id = format!("vol.{}", id_part(&src));
                        taken.insert(id.clone());
                        ElementId::new(id)
                    });
                    let mut p = Props::new();
                    if ro {
                        p.insert("read_only".into(), Value::Bool(true));
                    }
                    relations.push(("docker.mounts-volume".into(), e.id.clone(), vid.clone(), p));
                    if !volumes_decl.contains(&src) {
                        r.diags.push(r.doc.diag(
                            Level::Warning,
                            "undeclared-volume",
                            &vp,
                            format!("{vp}: volume `{src}` is not declared under top-level volumes"),
                        ));
                    }
                }
                _ => {}
            }
        }
        set(
            &mut e,
            "host_mounts",
            Value::list(host_mounts),
            at("volumes"),
        );
        set(
            &mut e,
            "docker_socket_mounted",
            Value::Bool(socket.is_some()),
            socket.clone().unwrap_or_else(|| at("volumes")),
        );
        set(
            &mut e,
            "sensitive_host_mounts",
            Value::Bool(sensitive.is_some()),
            sensitive.unwrap_or_else(|| at("volumes")),
        );
        // The socket mount is the `docker_socket_mounted` fact (and its threat); no flow
        // to the daemon is drawn, since the flow rules would treat a Unix socket as a
        // network crossing.
        // Environment: secrets, and values that name another service.
        let mut env: Vec<(String, String)> = Vec::new();
        match get(svc, "environment") {
            Some(Y::Sequence(s)) => {
                for it in s {
                    if let Some(t) = scalar(it) {
                        let (k, v) = t.split_once('=').unwrap_or((t.as_str(), ""));
                        env.push((k.to_owned(), v.to_owned()));
                    }
                }
            }
            Some(Y::Mapping(m)) => {
                for (k, v) in m {
                    if let Some(k) = scalar(k) {
                        env.push((k, scalar(v).unwrap_or_default()));
                    }
                }
            }
            None | Some(Y::Null) => {}
            Some(other) => r.diags.push(r.doc.diag(
                Level::Warning,
                "wrong-type",
                &format!("{sp}.environment"),
                format!(
                    "{sp}.environment: expected a list or a mapping, found {}; ignored",
                    yaml::type_name(other)
                ),
            )),
        }
        let secret_var = env
            .iter()
            .find(|(k, v)| secret_like(k) && !v.is_empty())
            .map(|(k, _)| k.clone());
        set(
            &mut e,
            "secrets_in_env",
            Value::Bool(secret_var.is_some()),
            match &secret_var {
                Some(k) => format!("{} ({k})", at("environment")),
                None => at("environment"),
            },
        );
        // Published ports: flows from the Internet unless bound to loopback.
        for (i, p) in r
            .seq(svc, "ports", &format!("{sp}.ports"))
            .iter()
            .enumerate()
        {
            let pp = format!("services.{name}.ports[{i}]");
            match published(p) {
                Some((host_ip, container, proto, published)) => {
                    if host_ip.starts_with("127.") || host_ip == "::1" || host_ip == "localhost" {
                        continue;
                    }
                    let label = match published {
                        Some(pb) => format!("{pb}/{proto}"),
                        None => format!("{}/{proto}", crate::model::format_number(container)),
                    };
                    internet_flows.push((
                        e.id.clone(),
                        label,
                        container,
                        proto,
                        origin(&["services", name, "ports"]).replace(&format!("{sp}.ports"), &pp),
                    ));
                }
                None => r.diags.push(r.doc.diag(
                    Level::Warning,
                    "wrong-type",
                    &pp,
                    format!("{pp}: not a port mapping; ignored"),
                )),
            }
        }
        // depends_on / links / env values naming a service: inferred flows.
        let mut deps: Vec<(String, String)> = Vec::new();
        match get(svc, "depends_on") {
            Some(Y::Sequence(s)) => deps.extend(
                s.iter()
                    .filter_map(scalar)
                    .map(|d| (d, "depends_on".to_owned())),
            ),
            Some(Y::Mapping(m)) => deps.extend(
                m.keys()
                    .filter_map(scalar)
                    .map(|d| (d, "depends_on".to_owned())),
            ),
            _ => {}
        }
        for l in r.strings(svc, "links", &format!("{sp}.links")) {
            deps.push((l.split(':').next().unwrap_or("").to_owned(), "links".into()));
        }
        for (k, v) in &env {
            for tok in v.split([',', ' ', ';', '/', '@']) {
                let host = tok.split(':').next().unwrap_or("");
                if names.contains(host) && host != name {
                    deps.push((host.to_owned(), format!("environment {k}={v}")));
                }
            }
        }
        for (d, why) in deps {
            if !names.contains(&d) {
                r.diags.push(r.doc.diag(
                    Level::Warning,
                    "unknown-service",
                    &format!("{sp}.depends_on"),
                    format!("{sp}: names service `{d}`, which is not defined"),
                ));
                continue;
            }
            if d == *name {
                continue;
            }
            let port = first_port.get(&d).copied();
            let label = match port {
                Some(p) => format!("{d}:{}", crate::model::format_number(p)),
                None => d.clone(),
            };
            flows.push((
                e.id.clone(),
                ElementId::new(format!("svc.{}", id_part(&d))),
                label,
                port,
                None,
                Channel::Network,
                format!("inferred from {why} ({})", origin(&["services", name])),
            ));
        }
        // Placement: one network -> that network's boundary; host networking -> the
        // host; several networks -> the host, since the container is on each of them.
        let placed = if mode == "host" || mode == "none" || my_nets.len() != 1 {
            if my_nets.len() > 1 && mode != "host" {
                r.diags.push(
                    Diagnostic::new(
                        Level::Info,
                        "several-networks",
                        format!(
                            "service {name} is on networks {}; it is drawn in the host boundary",
                            my_nets.join(", ")
                        ),
                    )
                    .at(first.file, None),
                );
            }
            BoundaryId::new(HOST)
        } else {
            nets.insert(my_nets[0].clone());
            BoundaryId::new(format!("net.{}", id_part(&my_nets[0])))
        };
        for n in &my_nets {
            nets.insert(n.clone());
        }
        e.boundary = Some(placed);
        if get(svc, "extends").is_some() {
            r.diags.push(r.doc.diag(
                Level::Warning,
                "unsupported",
                &format!("{sp}.extends"),
                format!("{sp}.extends is not followed; only this service's own keys are read"),
            ));
        }
        model.elements.insert(e.id.clone(), e);
    }
    if !names.is_empty() {
        for n in &nets {
            let id = BoundaryId::new(format!("net.{}", id_part(n)));
            taken.insert(id.0.clone());
            model.boundaries.insert(
                id.clone(),
                Boundary {
                    id,
                    name: format!("network {n}"),
                    kind: BoundaryKind::NetworkZone,
                    trust: 7,
                    parent: Some(BoundaryId::new(HOST)),
                    ..Default::default()
                },
            );
        }
    }
    for (name, id) in &vol_elems {
        model.elements.insert(
            id.clone(),
            Element {
                id: id.clone(),
                name: format!("volume {name}"),
                kind: "docker.volume".into(),
                boundary: Some(BoundaryId::new(HOST)),
                props: [("mount_type".to_owned(), Value::Text("volume".into()))]
                    .into_iter()
                    .collect(),
                provenance: [("mount_type".to_owned(), origin(&["volumes", name]))]
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
        );
    }
    if !internet_flows.is_empty() {
        model.boundaries.insert(
            BoundaryId::new("internet"),
            Boundary {
                id: BoundaryId::new("internet"),
                name: "Internet".into(),
                kind: BoundaryKind::Internet,
                trust: 0,
                ..Default::default()
            },
        );
        model.elements.insert(
            ElementId::new("internet.clients"),
            Element {
                id: ElementId::new("internet.clients"),
                name: "Internet clients".into(),
                kind: "generic.entity".into(),
                boundary: Some(BoundaryId::new("internet")),
                provenance: [("kind".to_owned(), "added for published ports".to_owned())]
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
        );
        for (t, label, port, proto, from) in internet_flows {
            flows.push((
                ElementId::new("internet.clients"),
                t,
                label,
                Some(port),
                Some(proto),
                Channel::Network,
                format!("published port ({from})"),
            ));
        }
    }
    let mut fid_taken: BTreeSet<String> = taken.clone();
    for (s, t, name, port, proto, channel, note) in flows {
        if let Some(f) = model
            .flows
            .values_mut()
            .find(|f| f.source == s && f.target == t && f.name == name)
        {
            if let Some(Value::Text(n)) = f.props.get_mut(NOTE_SOURCE)
                && !n.contains(&note)
            {
                n.push('\n');
                n.push_str(&note);
            }
            continue;
        }
        let base = format!("{s}.to.{t}");
        let mut id = base.clone();
        let mut n = 2;
        while fid_taken.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        fid_taken.insert(id.clone());
        let mut props = Props::new();
        if let Some(p) = port {
            props.insert("port".into(), Value::Number(p));
        }
        if let Some(p) = proto.filter(|p| !p.is_empty()) {
            props.insert("protocol".into(), Value::Text(p));
        }
        props.insert(NOTE_SOURCE.into(), Value::Text(note));
        model.flows.insert(
            FlowId::new(id.clone()),
            Flow {
                id: FlowId::new(id),
                name,
                source: s,
                target: t,
                channel,
                props,
            },
        );
    }
    for (kind, s, t, props) in relations {
        let base = format!("{s}.mounts.{t}");
        if model
            .relations
            .values()
            .any(|r| r.source == s && r.target == t && r.kind == kind)
        {
            continue;
        }
        let mut id = base.clone();
        let mut n = 2;
        while fid_taken.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        fid_taken.insert(id.clone());
        model.relations.insert(
            RelationId::new(id.clone()),
            Relation {
                id: RelationId::new(id),
                kind,
                source: s,
                target: t,
                props,
            },
        );
    }
    super::layout::auto_layout(&mut model);
    Ok(Imported {
        model,
        diagnostics: diags,
    })
}

/// A `ports` entry: `(host ip, container port, protocol, published port text)`.
fn published(p: &Y) -> Option<(String, f64, String, Option<String>)> {
    match p {
        Y::Number(n) => n.as_f64().map(|x| (String::new(), x, "tcp".into(), None)),
        Y::String(s) => {
            let (spec, proto) = s.split_once('/').unwrap_or((s.as_str(), "tcp"));
            let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
            // rsplitn gives container first.
            let container = parts
                .first()?
                .split('-')
                .next()?
                .trim()
                .parse::<f64>()
                .ok()?;
            let published = parts
                .get(1)
                .map(|x| x.to_string())
                .filter(|x| !x.is_empty());
            let ip = parts
                .get(2)
                .map(|x| x.trim_matches(['[', ']']).to_string())
                .unwrap_or_default();
            Some((ip, container, proto.to_owned(), published))
        }
        Y::Mapping(_) => {
            let target = get(p, "target")?.as_f64().or_else(|| {
                get(p, "target")
                    .and_then(scalar)
                    .and_then(|s| s.parse().ok())
            })?;
            let published = get(p, "published").and_then(scalar);
            let ip = get(p, "host_ip").and_then(scalar).unwrap_or_default();
            let proto = get(p, "protocol")
                .and_then(scalar)
                .unwrap_or_else(|| "tcp".into());
            Some((ip, target, proto, published))
        }
        _ => None,
    }
}

fn title(inputs: &[(String, Vec<u8>)]) -> String {
    let names: Vec<&str> = inputs
        .iter()
        .map(|(n, _)| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .collect();
    format!("Docker Compose: {}", names.join(", "))
}
