#!/usr/bin/env python3
"""Offline checks of rendered Kubernetes manifests (the output of `helm template`).

No cluster is needed (`kubectl apply --dry-run=client` needs one for discovery). Checks what a
schema check would, for the kinds the Gantry chart renders, plus cross-object references:

  - every object: apiVersion, kind, metadata.name (DNS-1123), a known apiVersion/kind pair,
    valid labels, no duplicate kind/name, no unknown field in metadata, specs, pods,
    containers, security contexts, probes, ports, env and mounts (a misspelt field);
  - pods (Deployment, StatefulSet, Job): containers with an image, unique names and ports,
    probes on declared ports, valid env names, each env var either a value or a valueFrom,
    Secrets/ConfigMaps/PVCs/ServiceAccounts that exist in the render (or are named with
    --external), volume mounts of declared volumes, selectors matching the pod labels,
    non-root containers without privilege escalation and with every capability dropped
    (privileged only for containers named with --allow-privileged);
  - Services select some pod and target its ports; Ingresses point at a Service port;
  - no Secret value appears in a plain env value, command or argument, and env vars named like
    credentials (PASSWORD, TOKEN, SECRET) never carry a plain value.

Assertions about the render: --expect 'Deployment/NAME:spec.replicas=3',
--expect-env 'Deployment/NAME/CONTAINER:VAR=value', --expect-env-secret
'Deployment/NAME/CONTAINER:VAR=SECRET/KEY', --expect-absent 'Kind/NAME',
--expect-count 'Kind=N'.

Usage: validate.py [options] FILE|-    Exit 0 when clean, 1 with one line per problem.
"""

import argparse
import base64
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from k8s_fields import FIELDS, KNOWN_KINDS  # noqa: E402  (beside this script)

try:
    import yaml
except ImportError:
    sys.exit("validate.py: python3's yaml module is missing: apt-get install python3-yaml "
             "(scripts/install-deps.sh installs it)")

WORKLOADS = {"Deployment", "StatefulSet", "Job"}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
CREDENTIAL_NAME = re.compile(r"PASSWORD|TOKEN|SECRET", re.I)
MIN_SECRET_LEN = 6  # shorter values (e.g. "admin") would match by accident


def check_fields(r, where, obj, kind):
    if not isinstance(obj, dict):
        if obj is not None:
            r.bad(where, f"{kind} is not a mapping: {obj!r:.60}")
        return
    unknown = sorted(set(obj) - FIELDS[kind])
    if unknown:
        r.bad(where, f"unknown {kind} field(s) {unknown}")


class Render:
    def __init__(self, docs, external):
        self.docs = docs
        self.external = external
        self.problems = []
        self.by_kind = {}
        for d in docs:
            self.by_kind.setdefault(d.get("kind"), {})[d.get("metadata", {}).get("name")] = d

    def bad(self, where, message):
        self.problems.append(f"{where}: {message}")

    def named(self, kind, name):
        return self.by_kind.get(kind, {}).get(name)

    def secret_keys(self, name):
        s = self.named("Secret", name)
        if s is None:
            return None
        return set((s.get("data") or {}).keys()) | set((s.get("stringData") or {}).keys())

    def ref(self, where, kind, name, key=None):
        """A reference to a Secret/ConfigMap/PVC/ServiceAccount: rendered, or external."""
        if not name:
            self.bad(where, f"a {kind} reference without a name")
            return
        if name in self.external:
            return
        obj = self.named(kind, name)
        if obj is None:
            self.bad(where, f"{kind} '{name}' is neither rendered nor named with --external")
            return
        if key is not None:
            keys = set((obj.get("data") or {}).keys()) | set((obj.get("stringData") or {}).keys())
            if key not in keys:
                self.bad(where, f"{kind} '{name}' has no key '{key}' (it has {sorted(keys)})")


def where_of(doc):
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def check_labels(r, where, labels):
    for k, v in (labels or {}).items():
        prefix, _, name = k.rpartition("/")
        if (prefix and (len(prefix) > 253 or not LABEL_PREFIX.match(prefix))) or not name \
                or len(name) > 63 or not LABEL_NAME.match(name):
            r.bad(where, f"invalid label key '{k}'")
        if not isinstance(v, str) or len(v) > 63 or not LABEL_NAME.match(v):
            r.bad(where, f"invalid value of label '{k}': {v!r} (a string of at most 63 "
                         "alphanumerics, '-', '_', '.')")


def check_object(r, doc, seen):
    where = where_of(doc)
    for field in ("apiVersion", "kind"):
        if not doc.get(field):
            r.bad(where, f"no {field}")
    meta = doc.get("metadata") or {}
    name = meta.get("name")
    if not name:
        r.bad(where, "no metadata.name")
        return
    if (doc.get("apiVersion"), doc.get("kind")) not in KNOWN_KINDS:
        r.bad(where, f"unknown apiVersion/kind {doc.get('apiVersion')}/{doc.get('kind')}")
    limit, pattern = (63, DNS_LABEL) if doc.get("kind") in ("Service", "StatefulSet") \
        else (253, DNS_SUBDOMAIN)
    if len(name) > limit or not pattern.match(name):
        r.bad(where, f"invalid name '{name}'")
    if (doc.get("kind"), name) in seen:
        r.bad(where, "rendered twice")
    seen.add((doc.get("kind"), name))
    check_labels(r, where, meta.get("labels"))
    check_fields(r, where, meta, "metadata")
    spec_kind = f"{doc.get('kind')}.spec"
    if spec_kind in FIELDS:
        check_fields(r, where, doc.get("spec"), spec_kind)
    for k, v in (meta.get("annotations") or {}).items():
        if not isinstance(v, str):
            r.bad(where, f"annotation '{k}' is not a string: {v!r}")


def check_probe(r, where, probe, ports, label):
    if probe is None:
        return
    handlers = [h for h in ("httpGet", "tcpSocket", "exec", "grpc") if h in probe]
    if len(handlers) != 1:
        r.bad(where, f"{label} needs exactly one handler, has {handlers}")
        return
    h = handlers[0]
    if h == "exec":
        if not probe["exec"].get("command"):
            r.bad(where, f"{label}: exec without a command")
        return
    port = probe[h].get("port")
    if isinstance(port, int):
        if port not in ports.values():
            r.bad(where, f"{label} probes port {port}, which the container does not declare")
    elif port not in ports:
        r.bad(where, f"{label} probes port '{port}', not among the container's ports "
                     f"{sorted(ports)}")
    if h == "httpGet" and not str(probe[h].get("path", "")).startswith("/"):
        r.bad(where, f"{label}: httpGet path must start with /")


def check_container(r, where, c, volumes, pod_sc, allow_privileged, secret_values, names):
    cname = c.get("name")
    where = f"{where}/{cname}"
    if not cname or not DNS_LABEL.match(cname):
        r.bad(where, "invalid container name")
    if cname in names:
        r.bad(where, "container name used twice")
    names.add(cname)
    check_fields(r, where, c, "container")
    check_fields(r, where, c.get("securityContext"), "securityContext")
    for p in c.get("ports") or []:
        check_fields(r, where, p, "port")
    for e in c.get("env") or []:
        check_fields(r, where, e, "env")
    for m in c.get("volumeMounts") or []:
        check_fields(r, where, m, "volumeMount")
    for label in ("livenessProbe", "readinessProbe", "startupProbe"):
        check_fields(r, f"{where} {label}", c.get(label), "probe")
    image = c.get("image")
    if not isinstance(image, str) or not image or image.endswith(":") or " " in image:
        r.bad(where, f"invalid image {image!r}")
    ports = {}
    for p in c.get("ports") or []:
        num = p.get("containerPort")
        if not isinstance(num, int) or not 0 < num < 65536:
            r.bad(where, f"invalid containerPort {num!r}")
        if "name" in p:
            if len(p["name"]) > 15 or not DNS_LABEL.match(p["name"]) or p["name"] in ports:
                r.bad(where, f"invalid or repeated port name '{p['name']}'")
            ports[p["name"]] = num
        else:
            ports[f"#{num}"] = num
    for label in ("livenessProbe", "readinessProbe", "startupProbe"):
        check_probe(r, where, c.get(label), ports, label)
    env_names = set()
    for e in c.get("env") or []:
        n = e.get("name", "")
        if not ENV_NAME.match(n):
            r.bad(where, f"invalid env var name '{n}'")
        if n in env_names:
            r.bad(where, f"env var '{n}' set twice")
        env_names.add(n)
        if ("value" in e) == ("valueFrom" in e):
            r.bad(where, f"env var '{n}' needs exactly one of value and valueFrom")
        if "value" in e:
            v = e["value"]
            if not isinstance(v, str):
                r.bad(where, f"env var '{n}' has a non-string value {v!r}")
                v = str(v)
            if CREDENTIAL_NAME.search(n):
                r.bad(where, f"env var '{n}' looks like a credential but has a plain value; "
                             "use valueFrom.secretKeyRef")
            for s in secret_values:
                if s in v:
                    r.bad(where, f"env var '{n}' contains a Secret's value in plain text")
        vf = e.get("valueFrom") or {}
        if "secretKeyRef" in vf:
            ref = vf["secretKeyRef"]
            if not ref.get("optional"):
                r.ref(f"{where} env {n}", "Secret", ref.get("name"), ref.get("key"))
        if "configMapKeyRef" in vf:
            ref = vf["configMapKeyRef"]
            r.ref(f"{where} env {n}", "ConfigMap", ref.get("name"), ref.get("key"))
    for src in c.get("envFrom") or []:
        if "secretRef" in src:
            r.ref(f"{where} envFrom", "Secret", src["secretRef"].get("name"))
        if "configMapRef" in src:
            r.ref(f"{where} envFrom", "ConfigMap", src["configMapRef"].get("name"))
    for part in ("command", "args"):
        for arg in c.get(part) or []:
            for s in secret_values:
                if s in str(arg):
                    r.bad(where, f"{part} contains a Secret's value in plain text")
    mounts = set()
    for m in c.get("volumeMounts") or []:
        if m.get("name") not in volumes:
            r.bad(where, f"volumeMount '{m.get('name')}' names no volume of the pod")
        if m.get("mountPath") in mounts:
            r.bad(where, f"two volumes mounted at {m.get('mountPath')}")
        mounts.add(m.get("mountPath"))
    sc = c.get("securityContext") or {}
    if sc.get("privileged"):
        if cname not in allow_privileged:
            r.bad(where, "privileged container (allow it with --allow-privileged NAME)")
        return ports
    non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
    user = sc.get("runAsUser", pod_sc.get("runAsUser"))
    if not non_root or user == 0:
        r.bad(where, "does not run as non-root (securityContext runAsNonRoot)")
    if sc.get("allowPrivilegeEscalation") is not False:
        r.bad(where, "allowPrivilegeEscalation is not false")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        r.bad(where, "capabilities are not dropped (drop: [ALL])")
    return ports


def pod_of(doc):
    return (doc.get("spec") or {}).get("template") or {}


def check_workload(r, doc, allow_privileged, secret_values):
    where = where_of(doc)
    spec = doc.get("spec") or {}
    template = pod_of(doc)
    labels = (template.get("metadata") or {}).get("labels") or {}
    check_labels(r, where + " pod", labels)
    if doc["kind"] != "Job":
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if not selector:
            r.bad(where, "no selector.matchLabels")
        for k, v in selector.items():
            if labels.get(k) != v:
                r.bad(where, f"selector {k}={v} does not match the pod template's labels")
        if not isinstance(spec.get("replicas", 1), int) or spec.get("replicas", 1) < 0:
            r.bad(where, f"invalid replicas {spec.get('replicas')!r}")
    pod = template.get("spec") or {}
    check_fields(r, where, pod, "pod")
    check_fields(r, where, pod.get("securityContext"), "podSecurityContext")
    check_fields(r, where + " pod", template.get("metadata"), "metadata")
    volumes = {v.get("name") for v in pod.get("volumes") or []}
    if doc["kind"] == "StatefulSet":
        volumes |= {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or []}
        if not r.named("Service", spec.get("serviceName")):
            r.bad(where, f"serviceName '{spec.get('serviceName')}' is not a rendered Service")
    for v in pod.get("volumes") or []:
        vw = f"{where} volume {v.get('name')}"
        sources = [k for k in v if k != "name"]
        if len(sources) != 1 or not isinstance(v[sources[0]], dict):
            r.bad(vw, f"needs exactly one volume source given as a mapping, has "
                      f"{ {k: v[k] for k in sources} }")
        if "secret" in v:
            r.ref(vw, "Secret", v["secret"].get("secretName"))
            for item in v["secret"].get("items") or []:
                if v["secret"].get("secretName") not in r.external:
                    r.ref(vw, "Secret", v["secret"].get("secretName"), item.get("key"))
        if "configMap" in v:
            r.ref(vw, "ConfigMap", v["configMap"].get("name"))
        if "persistentVolumeClaim" in v:
            r.ref(vw, "PersistentVolumeClaim", v["persistentVolumeClaim"].get("claimName"))
    sa = pod.get("serviceAccountName")
    if sa and sa != "default":
        r.ref(where, "ServiceAccount", sa)
    for s in pod.get("imagePullSecrets") or []:
        r.ref(where + " imagePullSecrets", "Secret", s.get("name"))
    containers = pod.get("containers") or []
    if not containers:
        r.bad(where, "no containers")
    names = set()
    ports = {}
    pod_sc = pod.get("securityContext") or {}
    for c in (pod.get("initContainers") or []) + containers:
        ports.update(check_container(r, where, c, volumes, pod_sc, allow_privileged,
                                     secret_values, names) or {})
    return labels, ports


def check_service(r, doc, pods):
    where = where_of(doc)
    spec = doc.get("spec") or {}
    selector = spec.get("selector") or {}
    matching = [p for p in pods if all(p[0].get(k) == v for k, v in selector.items())]
    if not selector or not matching:
        r.bad(where, f"selector {selector} matches no rendered pod template")
        return
    for port in spec.get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        for labels, ports in matching:
            ok = target in ports.values() if isinstance(target, int) else target in ports
            if not ok:
                r.bad(where, f"targetPort {target!r} is not a port of the selected pods")


def check_ingress(r, doc):
    where = where_of(doc)
    for rule in (doc.get("spec") or {}).get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            if path.get("pathType") not in ("Prefix", "Exact", "ImplementationSpecific"):
                r.bad(where, f"invalid pathType {path.get('pathType')!r}")
            svc = ((path.get("backend") or {}).get("service")) or {}
            target = r.named("Service", svc.get("name"))
            if target is None:
                r.bad(where, f"backend Service '{svc.get('name')}' is not rendered")
                continue
            port = svc.get("port") or {}
            ports = target["spec"].get("ports") or []
            if not any(port.get("name") == p.get("name") if "name" in port
                       else port.get("number") == p.get("port") for p in ports):
                r.bad(where, f"backend port {port} is not a port of Service '{svc.get('name')}'")
    for tls in (doc.get("spec") or {}).get("tls") or []:
        if not tls.get("secretName") or not tls.get("hosts"):
            r.bad(where, "a tls entry needs secretName and hosts")


def secret_values_of(r):
    values = set()
    for s in r.by_kind.get("Secret", {}).values():
        where = where_of(s)
        for k, v in (s.get("data") or {}).items():
            try:
                text = base64.b64decode(str(v), validate=True).decode("utf-8", "replace")
            except ValueError:
                r.bad(where, f"data.{k} is not base64")
                continue
            if len(text) >= MIN_SECRET_LEN:
                values.add(text)
        for k, v in (s.get("stringData") or {}).items():
            if len(str(v)) >= MIN_SECRET_LEN:
                values.add(str(v))
    return values


def lookup_path(obj, path):
    # Dots separate keys ("\." is a dot inside a key, e.g. an annotation's); [N] indexes lists.
    for part in re.findall(r"(?:\\\.|[^.\[\]])+|\[\d+\]", path):
        part = part.replace("\\.", ".")
        if part.startswith("["):
            idx = int(part[1:-1])
            if not isinstance(obj, list) or idx >= len(obj):
                return None, False
            obj = obj[idx]
        else:
            if not isinstance(obj, dict) or part not in obj:
                return None, False
            obj = obj[part]
    return obj, True


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def container_of(r, spec):
    """'Kind/NAME/CONTAINER' -> the container dict, or None."""
    kind, name, cname = spec.split("/", 2)
    doc = r.named(kind, name)
    if doc is None:
        return None
    pod = pod_of(doc).get("spec") or {}
    for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        if c.get("name") == cname:
            return c
    return None


def check_expectations(r, args):
    for e in args.expect:
        target, _, rest = e.partition(":")
        path, _, want = rest.partition("=")
        kind, _, name = target.partition("/")
        doc = r.named(kind, name)
        if doc is None:
            r.bad("expect", f"{target} is not rendered")
            continue
        got, found = lookup_path(doc, path)
        if not found or scalar(got) != want:
            r.bad("expect", f"{target} {path}: want {want!r}, got "
                            f"{scalar(got) if found else 'nothing'!r}")
    for e in args.expect_env + args.expect_env_secret:
        target, _, rest = e.partition(":")
        var, _, want = rest.partition("=")
        c = container_of(r, target)
        if c is None:
            r.bad("expect", f"no container {target}")
            continue
        env = {x.get("name"): x for x in c.get("env") or []}
        if var not in env:
            r.bad("expect", f"{target} has no env var {var}")
            continue
        if e in args.expect_env:
            got = env[var].get("value")
        else:
            ref = (env[var].get("valueFrom") or {}).get("secretKeyRef") or {}
            got = f"{ref.get('name')}/{ref.get('key')}" if ref else None
        if got != want:
            r.bad("expect", f"{target} {var}: want {want!r}, got {got!r}")
    for e in args.expect_absent:
        kind, _, name = e.partition("/")
        if r.named(kind, name) is not None:
            r.bad("expect", f"{e} is rendered but should not be")
    for e in args.expect_count:
        kind, _, want = e.partition("=")
        got = len(r.by_kind.get(kind, {}))
        if got != int(want):
            r.bad("expect", f"{want} {kind} objects expected, {got} rendered")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--external", action="append", default=[],
                   help="a Secret/ConfigMap/PVC/ServiceAccount that exists outside the render")
    p.add_argument("--allow-privileged", action="append", default=[])
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--expect-env", action="append", default=[])
    p.add_argument("--expect-env-secret", action="append", default=[])
    p.add_argument("--expect-absent", action="append", default=[])
    p.add_argument("--expect-count", action="append", default=[])
    args = p.parse_args()
    text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        print(f"{args.file}: not valid YAML: {e}")
        return 1
    for d in docs:
        if not isinstance(d, dict):
            print(f"{args.file}: a document that is not a mapping: {d!r:.80}")
            return 1
    r = Render(docs, set(args.external))
    seen = set()
    for d in docs:
        check_object(r, d, seen)
    secret_values = secret_values_of(r)
    pods = []
    for d in docs:
        if d.get("kind") in WORKLOADS:
            pods.append(check_workload(r, d, set(args.allow_privileged), secret_values))
    for d in docs:
        if d.get("kind") == "Service":
            check_service(r, d, pods)
        elif d.get("kind") == "Ingress":
            check_ingress(r, d)
    check_expectations(r, args)
    for problem in r.problems:
        print(f"{args.file}: {problem}")
    if not r.problems:
        kinds = ", ".join(f"{len(v)} {k}" for k, v in sorted(r.by_kind.items()))
        print(f"{args.file}: ok ({len(docs)} objects: {kinds})")
    return 1 if r.problems else 0


if __name__ == "__main__":
    sys.exit(main())
