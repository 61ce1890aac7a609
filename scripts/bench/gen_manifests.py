#!/usr/bin/env python3
"""Writes a generated Kubernetes manifest set for the import benchmark.

    scripts/bench/gen_manifests.py N OUT.yaml

N workloads (Deployments, every 10th a StatefulSet, every 25th a DaemonSet) spread over
N/100 namespaces; each with a ServiceAccount, a Role and a RoleBinding, a Service, an
environment variable naming the next workload's Service (so flows are inferred); every
namespace has a default-deny NetworkPolicy, every 50th workload a privileged container
or a writable hostPath. Deterministic: the same N gives the same bytes.
"""
import sys

def main():
    n = int(sys.argv[1])
    out = open(sys.argv[2], "w")
    ns_count = max(1, n // 100)
    w = out.write
    for k in range(ns_count):
        w(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{k}\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n")
        w(f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: ns{k}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n")
    for i in range(n):
        ns = f"ns{i % ns_count}"
        name = f"svc{i}"
        nxt = f"svc{i + ns_count}" if i + ns_count < n else f"svc{i % ns_count}"
        kind = "StatefulSet" if i % 10 == 0 else ("DaemonSet" if i % 25 == 0 else "Deployment")
        priv = "true" if i % 50 == 0 else "false"
        w(f"---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\n")
        verbs = '["get", "list", "create"]' if i % 40 == 0 else '["get", "list"]'
        w(f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {ns}\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"pods\", \"configmaps\"]\n    verbs: {verbs}\n")
        w(f"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {name}\nsubjects:\n  - kind: ServiceAccount\n    name: {name}\n    namespace: {ns}\n")
        w(f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: {'LoadBalancer' if i % 500 == 0 else 'ClusterIP'}\n  selector:\n    app: {name}\n  ports:\n    - name: grpc\n      port: 8080\n      targetPort: 8080\n")
        host = "      volumes:\n        - name: host\n          hostPath:\n            path: /var/lib\n" if i % 50 == 25 else ""
        mount = "          volumeMounts:\n            - name: host\n              mountPath: /host\n" if host else ""
        w(f"""---
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      serviceAccountName: {name}
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        seccompProfile:
          type: RuntimeDefault
{host}      containers:
        - name: app
          image: registry.example/{name}:1.{i % 7}
          env:
            - name: NEXT_ADDR
              value: "{nxt}.{ns}.svc.cluster.local:8080"
{mount}          securityContext:
            privileged: {priv}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            limits:
              cpu: 500m
              memory: 256Mi
""")
    out.close()

if __name__ == "__main__":
    main()
