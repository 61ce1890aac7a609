//! Which Palisade stencil a source's element type maps to. One table for every format:
//! the source's type words (a TMT stencil name, an OTM component type, a Threagile
//! `technology`) are matched against it first; a type that matches nothing becomes the
//! generic DFD shape of the base the source gives (TMT's generic type, Threagile's
//! `type`, Threat Dragon's shape), with a diagnostic naming the type.

use crate::rules::BaseShape;

/// Phrases (all words must appear, as whole words) and the stencil they mean, most
/// specific first. Documented in README's "Interchange" section.
pub(crate) const TABLE: &[(&[&str], &str)] = &[
    // Kubernetes.
    (&["kubernetes", "api"], "k8s.api-server"),
    (&["kube", "apiserver"], "k8s.api-server"),
    (&["kubernetes", "service"], "k8s.api-server"),
    (&["kubernetes"], "k8s.api-server"),
    (&["aks"], "k8s.api-server"),
    (&["eks"], "k8s.api-server"),
    (&["gke"], "k8s.api-server"),
    (&["openshift"], "k8s.api-server"),
    (&["etcd"], "k8s.etcd"),
    (&["kubelet"], "k8s.kubelet"),
    (&["kube", "proxy"], "k8s.kube-proxy"),
    (&["controller", "manager"], "k8s.controller-manager"),
    (&["ingress"], "k8s.ingress"),
    (&["service", "account"], "k8s.service-account"),
    (&["pod"], "k8s.pod"),
    (&["deployment"], "k8s.deployment"),
    (&["daemonset"], "k8s.daemonset"),
    (&["cronjob"], "k8s.cronjob"),
    (&["admission"], "k8s.admission-webhook"),
    (&["network", "policy"], "k8s.network-policy"),
    (&["instance", "metadata"], "k8s.cloud-metadata"),
    (&["imds"], "k8s.cloud-metadata"),
    (&["kubernetes", "dashboard"], "k8s.dashboard"),
    // Docker and registries.
    (&["container", "registry"], "docker.registry"),
    (&["docker", "registry"], "docker.registry"),
    (&["artifact", "registry"], "docker.registry"),
    (&["acr"], "docker.registry"),
    (&["ecr"], "docker.registry"),
    (&["harbor"], "docker.registry"),
    (&["docker", "daemon"], "docker.daemon"),
    (&["dockerd"], "docker.daemon"),
    (&["docker", "client"], "docker.client"),
    (&["docker", "cli"], "docker.client"),
    (&["container", "runtime"], "k8s.container-runtime"),
    (&["containerd"], "k8s.container-runtime"),
    (&["docker"], "docker.container"),
    (&["container"], "docker.container"),
    (&["build", "pipeline"], "docker.build"),
    (&["build", "server"], "docker.build"),
    (&["ci", "cd"], "docker.build"),
    (&["jenkins"], "docker.build"),
    // Kubeflow / MLOps.
    (&["notebook"], "kubeflow.notebook"),
    (&["jupyter"], "kubeflow.notebook"),
    (&["kubeflow", "pipeline"], "kubeflow.pipeline"),
    (&["model", "registry"], "kubeflow.model-registry"),
    (&["mlflow"], "kubeflow.model-registry"),
    (&["kserve"], "kubeflow.serving"),
    (&["model", "serving"], "kubeflow.serving"),
    (&["inference"], "kubeflow.serving"),
    (&["feature", "store"], "kubeflow.feature-store"),
    (&["minio"], "kubeflow.artifact-store"),
    (&["training", "data"], "kubeflow.training-data"),
];

/// Words that tell the base shape when the source gives none.
const ENTITY: &[&str] = &[
    "user",
    "users",
    "client",
    "browser",
    "actor",
    "human",
    "person",
    "external",
    "mobile",
    "device",
    "partner",
    "customer",
    "admin",
    "administrator",
    "operator",
    "interactor",
    "ee",
    "entity",
    "android",
    "ios",
    "iot",
];
const STORE: &[&str] = &[
    "database",
    "db",
    "store",
    "storage",
    "datastore",
    "bucket",
    "blob",
    "queue",
    "cache",
    "file",
    "files",
    "filesystem",
    "s3",
    "sql",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "table",
    "disk",
    "kafka",
    "ds",
    "vault",
    "cosmos",
    "log",
    "repository",
    "wiki",
    "ldap",
];

/// The words of a type text, lower-case, split at anything that is not a letter or digit
/// (and at camel-case humps: `WebService` → `web`, `service`).
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            cur.extend(c.to_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The stencil the table gives for a type text, if any.
pub(crate) fn lookup(text: &str) -> Option<&'static str> {
    let w = words(text);
    TABLE
        .iter()
        .find(|(phrase, _)| phrase.iter().all(|p| w.iter().any(|x| x == p)))
        .map(|(_, k)| *k)
}

/// The generic stencil of a base shape.
pub(crate) fn generic(base: BaseShape) -> &'static str {
    match base {
        BaseShape::Entity => "generic.entity",
        BaseShape::Process => "generic.process",
        BaseShape::Store => "generic.store",
    }
}

/// A base shape guessed from type words, if they say one.
pub(crate) fn base_from_words(text: &str) -> Option<BaseShape> {
    let w = words(text);
    if w.iter().any(|x| STORE.contains(&x.as_str())) {
        Some(BaseShape::Store)
    } else if w.iter().any(|x| ENTITY.contains(&x.as_str())) {
        Some(BaseShape::Entity)
    } else {
        None
    }
}

/// The stencil for a source type: the table first (on each text in turn), else the
/// generic shape of `base` (or of the base the words suggest, else a process). The
/// second value is false when the type was not in the table (the caller reports it).
pub(crate) fn kind_for(texts: &[&str], base: Option<BaseShape>) -> (&'static str, bool) {
    for t in texts {
        if let Some(k) = lookup(t) {
            return (k, true);
        }
    }
    let base = base
        .or_else(|| texts.iter().find_map(|t| base_from_words(t)))
        .unwrap_or(BaseShape::Process);
    (generic(base), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_to_the_closest_stencil() {
        assert_eq!(
            lookup("Azure Kubernetes Service (AKS)"),
            Some("k8s.api-server")
        );
        assert_eq!(lookup("Azure Container Registry"), Some("docker.registry"));
        assert_eq!(lookup("docker-container"), Some("docker.container"));
        assert_eq!(lookup("Jupyter notebook server"), Some("kubeflow.notebook"));
        assert_eq!(lookup("WebService"), None);
        assert_eq!(words("WebServiceAPI v2"), ["web", "service", "api", "v2"]);
        assert_eq!(
            kind_for(&["Azure SQL Database"], None),
            ("generic.store", false)
        );
        assert_eq!(kind_for(&["Browser"], None), ("generic.entity", false));
        assert_eq!(
            kind_for(&["Custom thing"], Some(BaseShape::Store)),
            ("generic.store", false)
        );
        // Every stencil in the table exists in the built-in templates.
        let cat = crate::rules::Catalog::builtin();
        for (_, k) in TABLE {
            assert!(cat.stencil(k).is_some(), "{k}");
        }
    }
}
