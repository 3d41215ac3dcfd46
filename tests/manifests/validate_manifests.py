#!/usr/bin/python3
"""Validate the Kubernetes manifests under manifests/.

Checks, in this order:
  1. every YAML file under manifests/ parses (multi-document);
  2. every object validates. KEDA and RabbitMQ objects are checked against the openAPIV3Schema
     of the CRDs copied into tests/manifests/crds/, and unknown fields are rejected as
     `kubectl apply` does with strict field validation. Core objects are checked against
     schemas built from the PodSpec and JobSpec that the ScaledJob CRD embeds. Then come the
     rules the project relies on: selectors match template labels, probes use declared ports,
     and $(VAR) references resolve;
  3. every folder with a kustomization.yaml is resolved (resources, strategic-merge patches,
     `$patch: delete`, namespace) and its objects are cross-checked: scale targets, scaler
     address, `*FromEnv` variables, TriggerAuthentications, Secrets, Services, RBAC, images,
     grace period versus message length and the ScaledJob strategy versus the metric;
  4. workloads/common/defaults.h, when present, agrees with the manifests;
  5. mutated copies of valid objects, each with one known mistake, must be rejected.

Needs only Debian's python3-yaml and python3-jsonschema; kubectl and a cluster are not used.
Prints one line per failure and ends with `manifests: N passed, M failed`.
`--render DIR` prints the resolved objects of one kustomization, like `kubectl kustomize DIR`.
"""

import argparse
import copy
import os
import re
import sys

import jsonschema
import yaml

# Project facts the manifests must follow. The names match workloads/common/defaults.h.
NAMESPACE = "scalein-lab"
IMAGE_REPOSITORY = "ghcr.io/keda-rabbitmq-scaler"
IMAGE_FOR_BINARY = {
    "rabbitmq-scaler": IMAGE_REPOSITORY + "/rabbitmq-scaler",
    "rmq-producer": IMAGE_REPOSITORY + "/workloads",
    "rmq-consumer": IMAGE_REPOSITORY + "/workloads",
    "result-analyzer": IMAGE_REPOSITORY + "/workloads",
}

# Keys of the Secret `<cluster>-default-user` that the RabbitMQ Cluster Operator writes
# (internal/resource/default_user_secret.go in rabbitmq/cluster-operator). Plugin port keys
# such as mqtt-port exist only with that plugin enabled and are not used here.
OPERATOR_SECRET_KEYS = {"username", "password", "host", "port", "provider", "type",
                        "default_user.conf"}

# KEDA's rabbitmq trigger rules (pkg/scalers/rabbitmq_scaler.go, kedacore/keda 8b4f083).
RABBITMQ_PROTOCOLS = {"amqp", "http", "auto"}
RABBITMQ_MODES = {"QueueLength", "MessageRate", "DeliverGetRate", "PublishedToDeliveredRatio",
                  "ExpectedQueueConsumptionTime"}
HTTP_ONLY_MODES = RABBITMQ_MODES - {"QueueLength"}
SCALING_STRATEGIES_FOR_READY_COUNT = {"accurate", "eager"}

CONSUMER_SIGTERM_POLICIES = {"ignore", "requeue", "drain"}
DEFAULT_GRACE_SECONDS = 30
DEFAULT_CONSUMER_TIMEOUT_MS = 1800000

# Where each binary defines its command-line flags (ABSL_FLAG), relative to the repo root.
# The binaries accept dashed spellings (--on-sigterm for on_sigterm).
FLAG_SOURCES = {
    "rabbitmq-scaler": "scaler/main.cc",
    "rmq-producer": "workloads/producer/main.cc",
    "rmq-consumer": "workloads/consumer/main.cc",
    "result-analyzer": "workloads/analyzer/main.cc",
}
ABSEIL_BUILTIN_FLAGS = {"help", "helpfull", "helpshort", "helppackage", "version", "flagfile",
                        "fromenv", "tryfromenv", "undefok", "only_check_args"}
ABSL_FLAG_DEFINITION = re.compile(r"ABSL_FLAG\(\s*(?:[^,()<>]|<[^<>]*>)+,\s*(\w+)\s*,")

CLUSTER_SCOPED_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding",
                        "ClusterTriggerAuthentication", "CustomResourceDefinition"}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENV_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


# ---------------------------------------------------------------------------------------------
# Results


class Problem:
    """One failed check: where (file, object, field) and what."""

    def __init__(self, file, obj, field, message):
        self.file = file
        self.obj = obj
        self.field = field
        self.message = message

    def __str__(self):
        field = f" {self.field}:" if self.field else ":"
        return f"FAIL {self.file}: {self.obj}{field} {self.message}"


class Report:
    """Counts passed checks and prints every problem of a failed one."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.printed = set()

    def record(self, name, problems):
        if problems:
            self.failed += 1
            # A base object's problem shows up again in every kustomization that uses it.
            for line in dict.fromkeys(str(problem) for problem in problems):
                if line not in self.printed:
                    self.printed.add(line)
                    print(line)
            return
        self.passed += 1
        if self.verbose:
            print(f"ok   {name}")


class Manifest:
    """One object and the file it came from."""

    def __init__(self, obj, file):
        self.obj = obj
        self.file = file

    @property
    def kind(self):
        return self.obj.get("kind", "")

    @property
    def name(self):
        return (self.obj.get("metadata") or {}).get("name", "")

    @property
    def namespace(self):
        return (self.obj.get("metadata") or {}).get("namespace", "")

    @property
    def label(self):
        return f"{self.kind or '?'}/{self.name or '?'}"

    def problem(self, field, message):
        return Problem(self.file, self.label, field, message)


def get_path(obj, *keys, default=None):
    """Returns obj[k1][k2]..., or `default` when a key is missing or a value is not a dict."""
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj


# ---------------------------------------------------------------------------------------------
# Schemas


def convert_crd_schema(node):
    """Turns a CRD openAPIV3Schema node into JSON Schema (draft 7).

    `x-kubernetes-*` extensions are dropped, except that int-or-string becomes an anyOf and
    preserve-unknown-fields keeps unknown fields. Objects with `properties` reject unknown
    fields, and int32/int64 formats become numeric bounds.
    """
    if isinstance(node, list):
        return [convert_crd_schema(item) for item in node]
    if not isinstance(node, dict):
        return node

    result = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in ("description", "default", "format"):
            continue
        if key == "properties":
            result[key] = {name: convert_crd_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            result[key] = convert_crd_schema(value)
        elif key in ("anyOf", "allOf", "oneOf"):
            result[key] = [convert_crd_schema(sub) for sub in value]
        else:
            result[key] = value

    preserve_unknown = node.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in node and "additionalProperties" not in node and not preserve_unknown:
        result["additionalProperties"] = False
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
        result["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    bounds = {"int32": 2**31 - 1, "int64": 2**63 - 1}.get(node.get("format"))
    if bounds is not None and node.get("type") == "integer":
        result.setdefault("maximum", bounds)
        result.setdefault("minimum", -bounds - 1)
    return result


class SchemaRegistry:
    """JSON Schema validators by (apiVersion, kind), from the CRDs and for core kinds."""

    def __init__(self, crd_dir):
        self.validators = {}
        job_spec = None
        for file_name in sorted(os.listdir(crd_dir)):
            if not file_name.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(crd_dir, file_name), encoding="utf-8") as stream:
                crd = yaml.safe_load(stream)
            group = crd["spec"]["group"]
            kind = crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served", True):
                    continue
                schema = version["schema"]["openAPIV3Schema"]
                self._add(f"{group}/{version['name']}", kind, convert_crd_schema(schema))
                if kind == "ScaledJob":
                    job_spec = schema["properties"]["spec"]["properties"]["jobTargetRef"]
        if job_spec is None:
            raise RuntimeError(f"{crd_dir} has no ScaledJob CRD; its JobSpec schema is needed")
        self._add_core_kinds(convert_crd_schema(job_spec))

    def _add(self, api_version, kind, schema):
        jsonschema.Draft7Validator.check_schema(schema)
        self.validators[(api_version, kind)] = jsonschema.Draft7Validator(schema)

    def _add_core_kinds(self, job_spec):
        pod_template = job_spec["properties"]["template"]
        label_selector = job_spec["properties"]["selector"]
        int_or_string = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
        string_map = {"type": "object", "additionalProperties": {"type": "string"}}

        def obj(properties, required=()):
            return {"type": "object", "properties": properties, "required": list(required),
                    "additionalProperties": False}

        def top(api_version, kind, spec=None, extra=None):
            properties = {"apiVersion": {"const": api_version}, "kind": {"const": kind},
                          "metadata": {"type": "object"}}
            if spec is not None:
                properties["spec"] = spec
            properties.update(extra or {})
            return obj(properties, ["apiVersion", "kind", "metadata"])

        deployment_spec = obj({
            "replicas": {"type": "integer", "minimum": 0},
            "selector": label_selector,
            "template": pod_template,
            "strategy": obj({
                "type": {"enum": ["Recreate", "RollingUpdate"]},
                "rollingUpdate": obj({"maxSurge": int_or_string,
                                      "maxUnavailable": int_or_string}),
            }),
            "minReadySeconds": {"type": "integer", "minimum": 0},
            "revisionHistoryLimit": {"type": "integer", "minimum": 0},
            "progressDeadlineSeconds": {"type": "integer", "minimum": 1},
            "paused": {"type": "boolean"},
        }, ["selector", "template"])
        service_port = obj({
            "name": {"type": "string"},
            "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
            "appProtocol": {"type": "string"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "targetPort": int_or_string,
            "nodePort": {"type": "integer"},
        }, ["port"])
        service_spec = obj({
            "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]},
            "selector": string_map,
            "ports": {"type": "array", "items": service_port, "minItems": 1},
            "clusterIP": {"type": "string"},
            "sessionAffinity": {"enum": ["None", "ClientIP"]},
            "publishNotReadyAddresses": {"type": "boolean"},
            "internalTrafficPolicy": {"enum": ["Cluster", "Local"]},
        })
        pvc_spec = obj({
            "accessModes": {"type": "array", "minItems": 1, "items": {
                "enum": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                         "ReadWriteOncePod"]}},
            "resources": obj({"requests": string_map, "limits": string_map}, ["requests"]),
            "storageClassName": {"type": "string"},
            "volumeMode": {"enum": ["Filesystem", "Block"]},
        }, ["accessModes", "resources"])
        policy_rule = obj({
            "apiGroups": {"type": "array", "items": {"type": "string"}},
            "resources": {"type": "array", "items": {"type": "string"}},
            "resourceNames": {"type": "array", "items": {"type": "string"}},
            "nonResourceURLs": {"type": "array", "items": {"type": "string"}},
            "verbs": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        }, ["verbs"])
        role_ref = obj({"apiGroup": {"const": "rbac.authorization.k8s.io"},
                        "kind": {"enum": ["Role", "ClusterRole"]},
                        "name": {"type": "string", "minLength": 1}},
                       ["apiGroup", "kind", "name"])
        subject = obj({"kind": {"enum": ["ServiceAccount", "User", "Group"]},
                       "name": {"type": "string", "minLength": 1},
                       "namespace": {"type": "string"}, "apiGroup": {"type": "string"}},
                      ["kind", "name"])

        self._add("apps/v1", "Deployment", top("apps/v1", "Deployment", deployment_spec))
        self._add("batch/v1", "Job", top("batch/v1", "Job", job_spec))
        self._add("v1", "Service", top("v1", "Service", service_spec))
        self._add("v1", "PersistentVolumeClaim", top("v1", "PersistentVolumeClaim", pvc_spec))
        self._add("v1", "Namespace", top("v1", "Namespace", {"type": "object"}))
        self._add("v1", "ServiceAccount", top("v1", "ServiceAccount", extra={
            "automountServiceAccountToken": {"type": "boolean"},
            "imagePullSecrets": {"type": "array"}}))
        self._add("v1", "Secret", top("v1", "Secret", extra={
            "type": {"type": "string"}, "data": string_map, "stringData": string_map,
            "immutable": {"type": "boolean"}}))
        self._add("v1", "ConfigMap", top("v1", "ConfigMap", extra={
            "data": string_map, "binaryData": string_map, "immutable": {"type": "boolean"}}))
        rbac = "rbac.authorization.k8s.io/v1"
        self._add(rbac, "Role", top(rbac, "Role", extra={
            "rules": {"type": "array", "items": policy_rule}}))
        self._add(rbac, "RoleBinding", top(rbac, "RoleBinding", extra={
            "roleRef": role_ref, "subjects": {"type": "array", "items": subject}}))

    def validator_for(self, api_version, kind):
        return self.validators.get((api_version, kind))


# ---------------------------------------------------------------------------------------------
# Single-object checks


def format_path(path):
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text


def schema_problems(manifest, registry):
    obj = manifest.obj
    api_version = obj.get("apiVersion", "")
    validator = registry.validator_for(api_version, manifest.kind)
    if validator is None:
        known = sorted(v for (v, k) in registry.validators if k == manifest.kind)
        hint = f"; known apiVersions for {manifest.kind}: {', '.join(known)}" if known else ""
        return [manifest.problem("apiVersion", f"no schema for apiVersion {api_version!r} "
                                 f"kind {manifest.kind!r}{hint}")]

    problems = []
    for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path)):
        message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
        problems.append(manifest.problem(format_path(error.absolute_path) or "(object)",
                                         message))
    return problems


def metadata_problems(manifest):
    problems = []
    metadata = manifest.obj.get("metadata")
    if not isinstance(metadata, dict):
        return [manifest.problem("metadata", "missing or not a mapping")]

    name = metadata.get("name", "")
    pattern = DNS_LABEL if manifest.kind in ("Namespace", "Service") else DNS_SUBDOMAIN
    limit = 63 if pattern is DNS_LABEL else 253
    if not isinstance(name, str) or not pattern.match(name) or len(name) > limit:
        problems.append(manifest.problem("metadata.name", f"invalid name {name!r}: lower-case "
                                         f"alphanumerics and '-', at most {limit} characters"))
    for key, value in (metadata.get("labels") or {}).items():
        if not isinstance(value, str) or not LABEL_VALUE.match(value) or len(value) > 63:
            problems.append(manifest.problem(f"metadata.labels.{key}",
                                             f"invalid label value {value!r}"))
    if manifest.kind not in CLUSTER_SCOPED_KINDS and metadata.get("namespace", NAMESPACE) \
            != NAMESPACE:
        problems.append(manifest.problem("metadata.namespace", f"is {metadata['namespace']!r}; "
                                         f"every object belongs in namespace {NAMESPACE!r}"))
    return problems


def pod_spec_of(manifest):
    """Returns (field path, pod spec) of a Deployment, Job or ScaledJob, else (None, None)."""
    obj = manifest.obj
    if manifest.kind in ("Deployment", "Job"):
        return "spec.template.spec", get_path(obj, "spec", "template", "spec")
    if manifest.kind == "ScaledJob":
        return ("spec.jobTargetRef.template.spec",
                get_path(obj, "spec", "jobTargetRef", "template", "spec"))
    return None, None


def container_port_names_and_numbers(container):
    names, numbers = set(), set()
    for port in container.get("ports") or []:
        if "name" in port:
            names.add(port["name"])
        if "containerPort" in port:
            numbers.add(port["containerPort"])
    return names, numbers


def probe_problems(manifest, field, container):
    problems = []
    names, numbers = container_port_names_and_numbers(container)
    for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if not isinstance(probe, dict):
            continue
        for handler in ("grpc", "httpGet", "tcpSocket"):
            if handler not in probe:
                continue
            port = get_path(probe, handler, "port")
            declared = port in numbers if isinstance(port, int) else port in names
            if not declared:
                problems.append(manifest.problem(
                    f"{field}.{probe_name}.{handler}.port",
                    f"port {port!r} is not a declared containerPort (declared: "
                    f"{sorted(numbers)} named {sorted(names)})"))
    return problems


def env_problems(manifest, field, container):
    """Checks that $(VAR) references name variables defined above them, as Kubernetes and
    KEDA expand only those (a later or unknown name stays literal)."""
    problems = []
    defined = set()
    for index, env in enumerate(container.get("env") or []):
        name = env.get("name", "")
        if name in defined:
            problems.append(manifest.problem(f"{field}.env[{index}].name",
                                             f"variable {name!r} is defined twice"))
        for reference in ENV_REFERENCE.findall(env.get("value", "") or ""):
            if reference not in defined:
                problems.append(manifest.problem(
                    f"{field}.env[{index}].value",
                    f"$({reference}) is not defined above {name!r}, so it stays literal"))
        defined.add(name)
    for arg_field in ("command", "args"):
        for index, arg in enumerate(container.get(arg_field) or []):
            for reference in ENV_REFERENCE.findall(str(arg)):
                if reference not in defined:
                    problems.append(manifest.problem(
                        f"{field}.{arg_field}[{index}]",
                        f"$({reference}) names no env variable of the container"))
    return problems


def container_problems(manifest, field, pod_spec):
    problems = []
    containers = pod_spec.get("containers") or []
    seen = set()
    for index, container in enumerate(containers):
        container_field = f"{field}.containers[{index}]"
        name = container.get("name", "")
        if name in seen:
            problems.append(manifest.problem(f"{container_field}.name",
                                             f"container name {name!r} is used twice"))
        seen.add(name)
        if not container.get("image"):
            problems.append(manifest.problem(f"{container_field}.image", "missing"))
        problems += probe_problems(manifest, container_field, container)
        problems += env_problems(manifest, container_field, container)
    return problems


def workload_problems(manifest):
    problems = []
    field, pod_spec = pod_spec_of(manifest)
    if pod_spec is None:
        return problems
    if manifest.kind == "Deployment":
        selector = get_path(manifest.obj, "spec", "selector", "matchLabels") or {}
        labels = get_path(manifest.obj, "spec", "template", "metadata", "labels") or {}
        if not selector:
            problems.append(manifest.problem("spec.selector.matchLabels", "missing or empty"))
        for key, value in selector.items():
            if labels.get(key) != value:
                problems.append(manifest.problem(
                    "spec.selector.matchLabels",
                    f"{key}={value} does not match the template labels {labels}"))
    if manifest.kind in ("Job", "ScaledJob") and \
            pod_spec.get("restartPolicy") not in ("Never", "OnFailure"):
        problems.append(manifest.problem(f"{field}.restartPolicy",
                                         "a Job's pods need restartPolicy Never or OnFailure"))
    problems += container_problems(manifest, field, pod_spec)
    return problems


def scaling_problems(manifest):
    """Rules of the KEDA CRDs that the schema cannot express (CEL rules, defaults)."""
    spec = manifest.obj.get("spec") or {}
    problems = []
    min_count = spec.get("minReplicaCount", 0)
    max_count = spec.get("maxReplicaCount", 100)
    if isinstance(min_count, int) and isinstance(max_count, int) and min_count > max_count:
        problems.append(manifest.problem("spec.minReplicaCount",
                                         f"{min_count} is above maxReplicaCount {max_count}"))
    idle = spec.get("idleReplicaCount")
    if manifest.kind == "ScaledObject" and isinstance(idle, int) and isinstance(min_count, int) \
            and idle >= min_count:
        problems.append(manifest.problem("spec.idleReplicaCount",
                                         f"{idle} must be below minReplicaCount {min_count}"))
    for index, trigger in enumerate(spec.get("triggers") or []):
        problems += trigger_metadata_problems(manifest, f"spec.triggers[{index}]", trigger)
    return problems


def parse_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def trigger_metadata_problems(manifest, field, trigger):
    """Checks the trigger metadata that KEDA (rabbitmq) or our scaler (external) validates."""
    trigger_type = trigger.get("type")
    metadata = trigger.get("metadata") or {}
    problems = []
    if trigger_type in ("external", "external-push") and not metadata.get("scalerAddress"):
        problems.append(manifest.problem(f"{field}.metadata.scalerAddress",
                                         "missing; an external trigger needs host:port"))
    if trigger_type not in ("external", "external-push", "rabbitmq"):
        return problems

    protocol = metadata.get("protocol", "auto")
    if protocol not in RABBITMQ_PROTOCOLS:
        problems.append(manifest.problem(f"{field}.metadata.protocol",
                                         f"{protocol!r} is not one of amqp, http, auto"))
    mode = metadata.get("mode")
    if mode not in RABBITMQ_MODES:
        problems.append(manifest.problem(f"{field}.metadata.mode",
                                         f"{mode!r} is not one of {sorted(RABBITMQ_MODES)}"))
    elif mode in HTTP_ONLY_MODES and protocol != "http":
        problems.append(manifest.problem(f"{field}.metadata.mode",
                                         f"mode {mode} needs protocol http"))
    value = parse_float(metadata.get("value"))
    if value is None or value <= 0:
        problems.append(manifest.problem(f"{field}.metadata.value",
                                         f"{metadata.get('value')!r} must be a number above 0"))
    activation = metadata.get("activationValue", "0")
    if parse_float(activation) is None or parse_float(activation) < 0:
        problems.append(manifest.problem(f"{field}.metadata.activationValue",
                                         f"{activation!r} must be a number of 0 or more"))
    if not metadata.get("queueName"):
        problems.append(manifest.problem(f"{field}.metadata.queueName", "missing"))
    if not metadata.get("host") and not metadata.get("hostFromEnv"):
        problems.append(manifest.problem(f"{field}.metadata",
                                         "needs host or hostFromEnv"))
    return problems


def rabbitmq_cluster_problems(manifest):
    config = get_path(manifest.obj, "spec", "rabbitmq", "additionalConfig", default="")
    if consumer_timeout_ms(config) is None:
        return [manifest.problem("spec.rabbitmq.additionalConfig",
                                 "sets no consumer_timeout; the 30 min default is too short "
                                 "for long messages")]
    return []


def consumer_timeout_ms(config):
    match = re.search(r"^\s*consumer_timeout\s*=\s*(\d+)\s*$", config or "", re.MULTILINE)
    return int(match.group(1)) if match else None


def object_problems(manifest, registry):
    problems = metadata_problems(manifest)
    problems += schema_problems(manifest, registry)
    if problems:
        return problems
    problems += workload_problems(manifest)
    if manifest.kind in ("ScaledObject", "ScaledJob"):
        problems += scaling_problems(manifest)
    if manifest.kind == "RabbitmqCluster":
        problems += rabbitmq_cluster_problems(manifest)
    return problems


# ---------------------------------------------------------------------------------------------
# Kustomize resolution (the subset the manifests use)

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "namespace", "resources", "patches"}
# Strategic-merge keys of the lists inside the core objects that the manifests patch.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name",
              "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name"}


class KustomizeError(Exception):
    pass


def find_kustomization(directory):
    for name in KUSTOMIZATION_NAMES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def load_documents(path):
    with open(path, encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def object_key(obj):
    group = obj.get("apiVersion", "").split("/")[0] if "/" in obj.get("apiVersion", "") else ""
    return (group, obj.get("kind"), get_path(obj, "metadata", "name"))


def merge_list_key(list_name, items):
    if list_name == "ports":
        return "containerPort" if any("containerPort" in item for item in items) else "port"
    return MERGE_KEYS.get(list_name)


def strategic_merge(target, patch, list_name=None):
    """Applies a strategic-merge patch: maps merge, lists with a merge key merge by that key,
    other lists are replaced, and null deletes a key."""
    if isinstance(target, dict) and isinstance(patch, dict):
        if "$patch" in patch:
            raise KustomizeError(f"nested $patch directives are not supported: {patch['$patch']}")
        result = dict(target)
        for key, value in patch.items():
            if value is None:
                result.pop(key, None)
            elif key in result:
                result[key] = strategic_merge(result[key], value, key)
            else:
                result[key] = copy.deepcopy(value)
        return result
    if isinstance(target, list) and isinstance(patch, list):
        merge_key = merge_list_key(list_name, target + patch)
        if merge_key is None or not all(isinstance(item, dict) for item in target + patch):
            return copy.deepcopy(patch)
        # Like kustomize (kyaml): the patch's items come first, in patch order and merged with
        # their counterparts, then the target's other items in their order. The order matters
        # because $(VAR) in env only resolves against variables listed earlier.
        result = []
        for item in patch:
            existing = next((t for t in target if t.get(merge_key) == item.get(merge_key)), None)
            result.append(strategic_merge(existing, item) if existing else copy.deepcopy(item))
        patched = {item.get(merge_key) for item in patch}
        result += [copy.deepcopy(t) for t in target if t.get(merge_key) not in patched]
        return result
    return copy.deepcopy(patch)


def apply_patch(manifests, patch, source):
    key = object_key(patch)
    matches = [m for m in manifests if object_key(m.obj) == key]
    if not matches:
        raise KustomizeError(f"patch {source} matches no resource {key[1]}/{key[2]}")
    if patch.get("$patch") == "delete":
        return [m for m in manifests if object_key(m.obj) != key]
    if "$patch" in patch:
        raise KustomizeError(f"patch {source}: unsupported $patch {patch['$patch']!r}")
    target = matches[0]
    target.obj = strategic_merge(target.obj, patch)
    return manifests


def resolve_kustomization(directory, repo, stack=()):
    """Returns the Manifests that `kubectl kustomize directory` would output."""
    path = find_kustomization(directory)
    if path is None:
        raise KustomizeError(f"{rel(directory, repo)} has no kustomization.yaml")
    if directory in stack:
        raise KustomizeError(f"kustomization cycle through {rel(directory, repo)}")
    with open(path, encoding="utf-8") as stream:
        kustomization = yaml.safe_load(stream) or {}
    unsupported = set(kustomization) - KUSTOMIZATION_KEYS
    if unsupported:
        raise KustomizeError(f"{rel(path, repo)}: fields {sorted(unsupported)} are not "
                             f"supported by this validator")

    manifests = []
    for resource in kustomization.get("resources") or []:
        resource_path = os.path.normpath(os.path.join(directory, resource))
        if not resource_path.startswith(repo + os.sep):
            raise KustomizeError(f"{rel(path, repo)}: resource {resource} is outside the repo")
        if os.path.isdir(resource_path):
            manifests += resolve_kustomization(resource_path, repo, stack + (directory,))
        elif os.path.isfile(resource_path):
            manifests += [Manifest(copy.deepcopy(doc), rel(resource_path, repo))
                          for doc in load_documents(resource_path)]
        else:
            raise KustomizeError(f"{rel(path, repo)}: resource {resource} not found")

    for index, entry in enumerate(kustomization.get("patches") or []):
        if "target" in entry:
            raise KustomizeError(f"{rel(path, repo)}: patches[{index}].target is not supported")
        if "path" in entry:
            patch_path = os.path.join(directory, entry["path"])
            if not os.path.isfile(patch_path):
                raise KustomizeError(f"{rel(path, repo)}: patch {entry['path']} not found")
            documents = load_documents(patch_path)
            source = rel(patch_path, repo)
        else:
            documents = [doc for doc in yaml.safe_load_all(entry.get("patch", "")) if doc]
            source = f"{rel(path, repo)} patches[{index}]"
        for document in documents:
            manifests = apply_patch(manifests, document, source)

    namespace = kustomization.get("namespace")
    if namespace:
        for manifest in manifests:
            if manifest.kind not in CLUSTER_SCOPED_KINDS:
                manifest.obj.setdefault("metadata", {})["namespace"] = namespace

    seen = set()
    for manifest in manifests:
        key = object_key(manifest.obj)
        if key in seen:
            raise KustomizeError(f"{rel(path, repo)}: {key[1]}/{key[2]} is defined twice")
        seen.add(key)
    return manifests


def rel(path, repo):
    return os.path.relpath(path, repo)


# ---------------------------------------------------------------------------------------------
# Cross-reference checks over one resolved kustomization


class ObjectSet:
    """The resolved objects of one kustomization, indexed by kind and name."""

    def __init__(self, manifests):
        self.manifests = manifests

    def of_kind(self, kind):
        return [m for m in self.manifests if m.kind == kind]

    def find(self, kind, name, namespace=None):
        for manifest in self.manifests:
            if manifest.kind == kind and manifest.name == name and \
                    (namespace is None or manifest.namespace in ("", namespace)):
                return manifest
        return None

    def secret_keys(self, name):
        """Returns the known keys of Secret `name`, or None when no such Secret is known."""
        secret = self.find("Secret", name)
        if secret is not None:
            return set((secret.obj.get("data") or {})) | set((secret.obj.get("stringData") or {}))
        for cluster in self.of_kind("RabbitmqCluster"):
            if name == f"{cluster.name}-default-user":
                return OPERATOR_SECRET_KEYS
        return None

    def pod_templates(self):
        """Yields (manifest, field, pod template metadata, pod spec) of every workload."""
        for manifest in self.manifests:
            field, pod_spec = pod_spec_of(manifest)
            if pod_spec is None:
                continue
            template_field = field[: -len(".spec")]
            template = get_path(manifest.obj, *template_field.split("."), default={})
            yield manifest, field, template.get("metadata") or {}, pod_spec


def container_env(container):
    return {env.get("name"): env for env in container.get("env") or []}


def binary_of(container):
    command = container.get("command") or []
    return os.path.basename(command[0]) if command else ""


def arg_value(container, flag):
    """Returns the value of the last `--flag=value` in a container's args (the one that takes
    effect), or None."""
    value = None
    for arg in container.get("args") or []:
        if isinstance(arg, str) and arg.startswith(f"--{flag}="):
            value = arg.split("=", 1)[1]
    return value


def reference_problems(objects):
    """Checks the Secrets, volumes, service accounts and namespaces that workloads reference."""
    problems = []
    namespaces = {m.name for m in objects.of_kind("Namespace")}
    for manifest in objects.manifests:
        if manifest.kind not in CLUSTER_SCOPED_KINDS and manifest.namespace not in namespaces:
            problems.append(manifest.problem("metadata.namespace",
                                             f"namespace {manifest.namespace!r} is not created "
                                             f"by this kustomization"))
    for manifest, field, _, pod_spec in objects.pod_templates():
        account = pod_spec.get("serviceAccountName")
        if account and objects.find("ServiceAccount", account) is None:
            problems.append(manifest.problem(f"{field}.serviceAccountName",
                                             f"ServiceAccount {account!r} not found"))
        for index, volume in enumerate(pod_spec.get("volumes") or []):
            claim = get_path(volume, "persistentVolumeClaim", "claimName")
            if claim and objects.find("PersistentVolumeClaim", claim) is None:
                problems.append(manifest.problem(f"{field}.volumes[{index}]",
                                                 f"PersistentVolumeClaim {claim!r} not found"))
        for c_index, container in enumerate(pod_spec.get("containers") or []):
            for e_index, env in enumerate(container.get("env") or []):
                problems += service_url_problems(objects, manifest, f"{field}.containers["
                                                 f"{c_index}].env[{e_index}]", env)
                ref = get_path(env, "valueFrom", "secretKeyRef")
                if not ref:
                    continue
                keys = objects.secret_keys(ref.get("name"))
                env_field = f"{field}.containers[{c_index}].env[{e_index}]"
                if keys is None:
                    problems.append(manifest.problem(env_field,
                                                     f"Secret {ref.get('name')!r} not found"))
                elif ref.get("key") not in keys:
                    problems.append(manifest.problem(env_field,
                                                     f"Secret {ref.get('name')!r} has no key "
                                                     f"{ref.get('key')!r} ({sorted(keys)})"))
    return problems


SERVICE_URL = re.compile(r"^[a-z]+://([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)")


def service_url_problems(objects, manifest, field, env):
    """Checks that an env URL naming an in-cluster Service (e.g. ANALYZER_URL) matches one."""
    match = SERVICE_URL.match(env.get("value") or "")
    if not match:
        return []
    name, namespace, port = match.group(1), match.group(2), int(match.group(3))
    service = objects.find("Service", name, namespace)
    if service is None or service.namespace != namespace:
        return [manifest.problem(field, f"{env.get('name')}: Service {name!r} in namespace "
                                        f"{namespace!r} not found")]
    ports = [p.get("port") for p in get_path(service.obj, "spec", "ports") or []]
    if port not in ports:
        return [manifest.problem(field, f"{env.get('name')}: port {port} is not a port of "
                                        f"Service {name} {ports}")]
    return []


def service_problems(objects):
    problems = []
    for service in objects.of_kind("Service"):
        selector = get_path(service.obj, "spec", "selector") or {}
        if not selector:
            problems.append(service.problem("spec.selector", "missing or empty"))
            continue
        selected = [(m, pod_spec) for m, _, meta, pod_spec in objects.pod_templates()
                    if all((meta.get("labels") or {}).get(k) == v for k, v in selector.items())]
        if not selected:
            problems.append(service.problem("spec.selector",
                                            f"{selector} selects no pod template"))
        for index, port in enumerate(get_path(service.obj, "spec", "ports") or []):
            target = port.get("targetPort", port.get("port"))
            for workload, pod_spec in selected:
                declared = False
                for container in pod_spec.get("containers") or []:
                    names, numbers = container_port_names_and_numbers(container)
                    declared |= target in (numbers if isinstance(target, int) else names)
                if not declared:
                    problems.append(service.problem(
                        f"spec.ports[{index}].targetPort",
                        f"{target!r} is not a container port of {workload.label}"))
    return problems


def rbac_problems(objects):
    problems = []
    for binding in objects.of_kind("RoleBinding"):
        role = get_path(binding.obj, "roleRef", "name")
        if get_path(binding.obj, "roleRef", "kind") == "Role" and \
                objects.find("Role", role) is None:
            problems.append(binding.problem("roleRef.name", f"Role {role!r} not found"))
        for index, subject in enumerate(binding.obj.get("subjects") or []):
            if subject.get("kind") == "ServiceAccount" and \
                    objects.find("ServiceAccount", subject.get("name")) is None:
                problems.append(binding.problem(f"subjects[{index}].name",
                                                f"ServiceAccount {subject.get('name')!r} "
                                                f"not found"))
    return problems


def can_patch_pods(objects, account):
    """True if a RoleBinding grants ServiceAccount `account` get and patch on pods."""
    for binding in objects.of_kind("RoleBinding"):
        subjects = binding.obj.get("subjects") or []
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == account
                   for s in subjects):
            continue
        role = objects.find("Role", get_path(binding.obj, "roleRef", "name"))
        for rule in (role.obj.get("rules") or []) if role else []:
            if "" in (rule.get("apiGroups") or []) and "pods" in (rule.get("resources") or []) \
                    and {"get", "patch"} <= set(rule.get("verbs") or []):
                return True
    return False


def longest_message_seconds(objects):
    """Returns the longest message duration that the producer's --duration can draw, or None
    when the distribution is unbounded (exponential, lognormal) or no producer is found."""
    for manifest, _, _, pod_spec in objects.pod_templates():
        for container in pod_spec.get("containers") or []:
            if binary_of(container) != "rmq-producer":
                continue
            duration = arg_value(container, "duration") or ""
            parts = re.split(r"[:,]", duration)
            if parts[0] == "fixed" and len(parts) == 2:
                return parse_float(parts[1])
            if parts[0] == "uniform" and len(parts) == 3:
                return parse_float(parts[2])
    return None


def consumer_problems(objects):
    """Checks consumer flags, grace period versus message length, and deletion-cost RBAC."""
    problems = []
    longest = longest_message_seconds(objects)
    timeouts = [consumer_timeout_ms(get_path(c.obj, "spec", "rabbitmq", "additionalConfig"))
                for c in objects.of_kind("RabbitmqCluster")]
    for manifest, field, _, pod_spec in objects.pod_templates():
        for index, container in enumerate(pod_spec.get("containers") or []):
            if binary_of(container) != "rmq-consumer":
                continue
            args_field = f"{field}.containers[{index}].args"
            mode = arg_value(container, "mode")
            expected_mode = "worker" if manifest.kind == "Deployment" else "job"
            if mode != expected_mode:
                problems.append(manifest.problem(args_field, f"--mode={mode} in a "
                                                 f"{manifest.kind}; expected --mode={expected_mode}"))
            policy = arg_value(container, "on-sigterm")
            if policy not in CONSUMER_SIGTERM_POLICIES:
                problems.append(manifest.problem(args_field, f"--on-sigterm={policy} is not one "
                                                 f"of {sorted(CONSUMER_SIGTERM_POLICIES)}"))
            grace = pod_spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
            if policy == "drain" and longest is not None and grace <= longest:
                problems.append(manifest.problem(
                    f"{field}.terminationGracePeriodSeconds",
                    f"{grace} s is not longer than the longest message ({longest:g} s), so a "
                    f"draining consumer is killed mid-message"))
            for timeout in timeouts:
                timeout = DEFAULT_CONSUMER_TIMEOUT_MS if timeout is None else timeout
                if longest is not None and timeout <= longest * 1000:
                    problems.append(manifest.problem(
                        args_field, f"messages last up to {longest:g} s but the broker's "
                        f"consumer_timeout is {timeout} ms"))
            if arg_value(container, "deletion-cost-endpoint"):
                account = pod_spec.get("serviceAccountName", "default")
                if pod_spec.get("automountServiceAccountToken") is False or \
                        not can_patch_pods(objects, account):
                    problems.append(manifest.problem(
                        f"{field}.serviceAccountName",
                        f"--deletion-cost-endpoint needs a mounted token of a ServiceAccount "
                        f"allowed to get and patch pods; {account!r} is not"))
    return problems


def load_defined_flags(repo):
    """Returns {binary: flag names} for the binaries whose flag source file exists."""
    defined = {}
    for binary, source in FLAG_SOURCES.items():
        path = os.path.join(repo, source)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as stream:
                defined[binary] = set(ABSL_FLAG_DEFINITION.findall(stream.read()))
    return defined


def flag_problems(objects, defined_flags):
    """Checks that every --flag in a container's args is defined by the binary it runs."""
    problems = []
    for manifest, field, _, pod_spec in objects.pod_templates():
        for c_index, container in enumerate(pod_spec.get("containers") or []):
            known = defined_flags.get(binary_of(container))
            if known is None:
                continue
            for a_index, arg in enumerate(container.get("args") or []):
                if not isinstance(arg, str) or not arg.startswith("--") or arg == "--":
                    continue
                name = arg[2:].split("=", 1)[0].replace("-", "_")
                negated = name[2:] if name.startswith("no") else None
                if name in known or name in ABSEIL_BUILTIN_FLAGS or negated in known:
                    continue
                problems.append(manifest.problem(
                    f"{field}.containers[{c_index}].args[{a_index}]",
                    f"{binary_of(container)} defines no flag {arg.split('=', 1)[0]} "
                    f"(see {FLAG_SOURCES[binary_of(container)]})"))
    return problems


def image_problems(objects, project_version):
    problems = []
    for manifest, field, _, pod_spec in objects.pod_templates():
        for index, container in enumerate(pod_spec.get("containers") or []):
            binary = binary_of(container)
            expected = IMAGE_FOR_BINARY.get(binary)
            if expected is None:
                continue
            image = container.get("image", "")
            repository, _, tag = image.rpartition(":")
            expected_image = f"{expected}:{project_version}" if project_version else expected
            if repository != expected or (project_version and tag != project_version):
                problems.append(manifest.problem(f"{field}.containers[{index}].image",
                                                 f"{image!r} for {binary}; expected "
                                                 f"{expected_image}"))
    return problems


def scaling_target(objects, scaler):
    """Returns (container, field) that KEDA reads env from, or (None, problem)."""
    spec = scaler.obj.get("spec") or {}
    if scaler.kind == "ScaledObject":
        ref = spec.get("scaleTargetRef") or {}
        kind = ref.get("kind", "Deployment")
        target = objects.find(kind, ref.get("name"), scaler.namespace)
        if target is None or ref.get("apiVersion", "apps/v1") != target.obj.get("apiVersion"):
            return None, scaler.problem("spec.scaleTargetRef",
                                        f"{ref.get('apiVersion', 'apps/v1')} {kind} "
                                        f"{ref.get('name')!r} not found in this kustomization")
        container_name = ref.get("envSourceContainerName")
        field, pod_spec = pod_spec_of(target)
    else:
        container_name = spec.get("envSourceContainerName")
        field, pod_spec = pod_spec_of(scaler)
    containers = (pod_spec or {}).get("containers") or []
    for container in containers:
        if container_name in (None, container.get("name")):
            return container, None
    return None, scaler.problem("envSourceContainerName",
                                f"container {container_name!r} not found in the target")


def scaler_address_problems(objects, scaler, field, address):
    match = re.fullmatch(r"([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)", address or "")
    if not match:
        return [scaler.problem(f"{field}.metadata.scalerAddress",
                               f"{address!r} is not <service>.<namespace>.svc.cluster.local:<port>")]
    service_name, namespace, port = match.group(1), match.group(2), int(match.group(3))
    service = objects.find("Service", service_name, namespace)
    if service is None or service.namespace != namespace:
        return [scaler.problem(f"{field}.metadata.scalerAddress",
                               f"Service {service_name!r} in namespace {namespace!r} not found")]
    ports = [p.get("port") for p in get_path(service.obj, "spec", "ports") or []]
    if port not in ports:
        return [scaler.problem(f"{field}.metadata.scalerAddress",
                               f"port {port} is not a port of Service {service_name} {ports}")]
    return []


def expanded_env_value(container, name):
    """Returns the env value with $(VAR) references to plain values expanded, or None."""
    env = container_env(container)
    value = (env.get(name) or {}).get("value")
    if value is None:
        return None
    return ENV_REFERENCE.sub(lambda m: (env.get(m.group(1)) or {}).get("value", m.group(0)),
                             value)


def from_env_problems(scaler, field, metadata, container):
    problems = []
    env = container_env(container)
    for key, env_name in metadata.items():
        if not key.endswith("FromEnv"):
            continue
        entry = env.get(env_name)
        if entry is None:
            problems.append(scaler.problem(f"{field}.metadata.{key}",
                                           f"env variable {env_name!r} is not set in container "
                                           f"{container.get('name')!r}"))
        elif get_path(entry, "valueFrom", "fieldRef") or \
                get_path(entry, "valueFrom", "resourceFieldRef"):
            problems.append(scaler.problem(f"{field}.metadata.{key}",
                                           f"{env_name!r} comes from the downward API, which KEDA "
                                           f"does not resolve"))
    return problems


def counts_unacknowledged(metadata, container):
    """True if the trigger's metric counts ready + unacknowledged messages."""
    protocol = metadata.get("protocol", "auto")
    if protocol == "auto":
        host = metadata.get("host") or expanded_env_value(container,
                                                          metadata.get("hostFromEnv", "")) or ""
        protocol = "http" if host.startswith(("http://", "https://")) else "amqp"
    return protocol == "http" and metadata.get("excludeUnacknowledged", "false") != "true"


def host_scheme_problems(scaler, field, metadata, container):
    protocol = metadata.get("protocol", "auto")
    host = metadata.get("host")
    if host is None and metadata.get("hostFromEnv"):
        host = expanded_env_value(container, metadata["hostFromEnv"])
    if host is None or protocol == "auto":
        return []
    schemes = ("amqp://", "amqps://") if protocol == "amqp" else ("http://", "https://")
    if not host.startswith(schemes):
        return [scaler.problem(f"{field}.metadata",
                               f"protocol {protocol} but the host URL starts with "
                               f"{host.split('://')[0]!r}")]
    return []


def authentication_problems(objects, scaler, field, trigger):
    ref = trigger.get("authenticationRef")
    if not ref:
        return []
    kind = ref.get("kind", "TriggerAuthentication")
    namespace = None if kind == "ClusterTriggerAuthentication" else scaler.namespace
    auth = objects.find(kind, ref.get("name"), namespace)
    if auth is None:
        return [scaler.problem(f"{field}.authenticationRef",
                               f"{kind} {ref.get('name')!r} not found")]
    problems = []
    for index, target in enumerate(get_path(auth.obj, "spec", "secretTargetRef") or []):
        keys = objects.secret_keys(target.get("name"))
        if keys is None:
            problems.append(auth.problem(f"spec.secretTargetRef[{index}].name",
                                         f"Secret {target.get('name')!r} not found"))
        elif target.get("key") not in keys:
            problems.append(auth.problem(f"spec.secretTargetRef[{index}].key",
                                         f"Secret {target.get('name')!r} has no key "
                                         f"{target.get('key')!r} ({sorted(keys)})"))
    return problems


def scaler_problems(objects):
    """Checks what ScaledObjects and ScaledJobs reference: target, scaler Service, env and
    authentication."""
    problems = []
    for scaler in objects.of_kind("ScaledObject") + objects.of_kind("ScaledJob"):
        container, problem = scaling_target(objects, scaler)
        if problem:
            problems.append(problem)
            continue
        strategy = get_path(scaler.obj, "spec", "scalingStrategy", "strategy", default="default")
        for index, trigger in enumerate(get_path(scaler.obj, "spec", "triggers") or []):
            field = f"spec.triggers[{index}]"
            metadata = trigger.get("metadata") or {}
            if trigger.get("type") in ("external", "external-push"):
                problems += scaler_address_problems(objects, scaler, field,
                                                    metadata.get("scalerAddress"))
            problems += from_env_problems(scaler, field, metadata, container)
            problems += host_scheme_problems(scaler, field, metadata, container)
            problems += authentication_problems(objects, scaler, field, trigger)
            if scaler.kind == "ScaledJob" and trigger.get("type") in \
                    ("external", "external-push", "rabbitmq"):
                problems += strategy_problems(scaler, field, strategy,
                                              counts_unacknowledged(metadata, container))
    return problems


def strategy_problems(scaler, field, strategy, total_count):
    """Checks that the ScaledJob strategy suits the metric.

    The default strategy subtracts running jobs, so it needs a metric that still counts the
    messages those jobs hold. Accurate and eager do not subtract them, so they need the
    ready-only count, or they start a second job for every running one.
    """
    if strategy == "default" and not total_count:
        return [scaler.problem("spec.scalingStrategy.strategy",
                               f"default strategy with the ready-only count of {field}: new "
                               f"messages wait until running jobs finish; use accurate or a "
                               f"total count (protocol http)")]
    if strategy in SCALING_STRATEGIES_FOR_READY_COUNT and total_count:
        return [scaler.problem("spec.scalingStrategy.strategy",
                               f"{strategy} strategy with the ready + unacknowledged count of "
                               f"{field}: running jobs are counted twice; use the default "
                               f"strategy or protocol amqp")]
    return []


class ProjectFacts:
    """What the checks read from the rest of the repository."""

    def __init__(self, repo):
        self.version = project_version(repo)
        self.defined_flags = load_defined_flags(repo)


def set_problems(objects, facts):
    return (reference_problems(objects) + service_problems(objects) + rbac_problems(objects)
            + consumer_problems(objects) + image_problems(objects, facts.version)
            + flag_problems(objects, facts.defined_flags) + scaler_problems(objects))


# ---------------------------------------------------------------------------------------------
# workloads/common/defaults.h


def parse_defaults_header(path):
    """Returns {constant name: value} of the string and int constants in defaults.h."""
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    constants = {}
    for name, value in re.findall(r"constexpr\s+char\s+(\w+)\[\]\s*=\s*\"([^\"]*)\"", text):
        constants[name] = value
    for name, value in re.findall(r"constexpr\s+(?:int|std::uint16_t|uint16_t|int32_t)\s+(\w+)"
                                  r"\s*=\s*(\d+)", text):
        constants[name] = int(value)
    return constants


def defaults_problems(constants, header, objects):
    """Compares the header's names and ports with the resolved objects."""
    problems = []

    def expect(name, actual, where):
        if name in constants and constants[name] != actual:
            problems.append(Problem(header, name, "", f"is {constants[name]!r} but {where} "
                                    f"uses {actual!r}"))

    queues = set()
    for scaler in objects.of_kind("ScaledObject") + objects.of_kind("ScaledJob"):
        for trigger in get_path(scaler.obj, "spec", "triggers") or []:
            queues.add(get_path(trigger, "metadata", "queueName"))
    for queue in queues:
        expect("kDefaultQueue", queue, "a trigger's queueName")

    analyzer = objects.find("Service", "result-analyzer")
    for port in get_path(analyzer.obj, "spec", "ports", default=[])[:1] if analyzer else []:
        expect("kAnalyzerPort", port.get("port"), "Service result-analyzer")
    for manifest, _, _, pod_spec in objects.pod_templates():
        for container in pod_spec.get("containers") or []:
            names = set(container_env(container))
            for constant in ("kAmqpUrlEnv", "kAnalyzerUrlEnv", "kPodNameEnv",
                             "kPodNamespaceEnv", "kScenarioEnv"):
                if binary_of(container).startswith("rmq-") and constant in constants and \
                        constants[constant] not in names:
                    problems.append(manifest.problem(
                        "env", f"{constants[constant]} ({constant} in {header}) is not set"))
            listen = arg_value(container, "listen")
            if binary_of(container) == "result-analyzer" and listen:
                expect("kDefaultAnalyzerListen", listen, f"{manifest.label} --listen")
    return problems


# ---------------------------------------------------------------------------------------------
# Mutation tests: each mutated copy must be rejected.


def first(objects, kind, name=None):
    for manifest in objects.manifests:
        if manifest.kind == kind and (name is None or manifest.name == name):
            return manifest
    raise KeyError(f"{kind}/{name} not found")


def trigger_metadata(objects, kind):
    return first(objects, kind).obj["spec"]["triggers"][0]["metadata"]


def container_of(objects, kind, name, binary):
    _, pod_spec = pod_spec_of(first(objects, kind, name))
    return next(c for c in pod_spec["containers"] if binary_of(c) == binary)


def env_entry(container, name):
    return next(e for e in container["env"] if e.get("name") == name)


def set_key(mapping, key, value):
    mapping[key] = value


MUTATIONS = [
    # (experiment, description, function(objects) that breaks one thing)
    ("scaledobject-naive", "ScaledObject apiVersion keda.sh/v1beta1",
     lambda o: set_key(first(o, "ScaledObject").obj, "apiVersion", "keda.sh/v1beta1")),
    ("scaledjob-default-total", "unknown scalingStrategy.strategy",
     lambda o: set_key(first(o, "ScaledJob").obj["spec"]["scalingStrategy"], "strategy",
                       "fastest")),
    ("scaledobject-naive", "negative minReplicaCount",
     lambda o: set_key(first(o, "ScaledObject").obj["spec"], "minReplicaCount", -1)),
    ("scaledobject-total", "missing scalerAddress",
     lambda o: trigger_metadata(o, "ScaledObject").pop("scalerAddress")),
    ("scaledobject-total", "hostFromEnv names a missing env variable",
     lambda o: set_key(trigger_metadata(o, "ScaledObject"), "hostFromEnv", "BROKER_URL")),
    ("scaledjob-accurate-ready", "ScaledJob hostFromEnv names a missing env variable",
     lambda o: set_key(trigger_metadata(o, "ScaledJob"), "hostFromEnv", "BROKER_URL")),
    ("scaledobject-drain", "scaleTargetRef names a missing Deployment",
     lambda o: set_key(first(o, "ScaledObject").obj["spec"]["scaleTargetRef"], "name",
                       "consumer")),
    ("scaledobject-drain", "scalerAddress with a port the Service lacks",
     lambda o: set_key(trigger_metadata(o, "ScaledObject"), "scalerAddress",
                       "rabbitmq-scaler.scalein-lab.svc.cluster.local:8080")),
    ("scaledobject-drain", "scalerAddress without the cluster domain",
     lambda o: set_key(trigger_metadata(o, "ScaledObject"), "scalerAddress",
                       "rabbitmq-scaler:9090")),
    ("scaledobject-naive", "misspelled ScaledObject field",
     lambda o: set_key(first(o, "ScaledObject").obj["spec"], "pollingIntervall", 15)),
    ("scaledobject-naive", "minReplicaCount above maxReplicaCount",
     lambda o: set_key(first(o, "ScaledObject").obj["spec"], "minReplicaCount", 11)),
    ("scaledobject-naive", "trigger value 0",
     lambda o: set_key(trigger_metadata(o, "ScaledObject"), "value", "0")),
    ("scaledobject-naive", "protocol amqp with the management URL",
     lambda o: set_key(trigger_metadata(o, "ScaledObject"), "hostFromEnv",
                       "RABBITMQ_HTTP_URL")),
    ("builtin-scaledobject-amqp", "authenticationRef to a missing TriggerAuthentication",
     lambda o: set_key(first(o, "ScaledObject").obj["spec"]["triggers"][0]
                       ["authenticationRef"], "name", "rabbitmq-user")),
    ("builtin-scaledobject-http", "TriggerAuthentication key the Secret lacks",
     lambda o: set_key(first(o, "TriggerAuthentication").obj["spec"]["secretTargetRef"][0],
                       "key", "connection-string")),
    ("scaledobject-naive", "Service targetPort not declared by the pods",
     lambda o: set_key(first(o, "Service", "rabbitmq-scaler").obj["spec"]["ports"][0],
                       "targetPort", "metrics")),
    ("scaledobject-naive", "gRPC probe on an undeclared port",
     lambda o: set_key(container_of(o, "Deployment", "rabbitmq-scaler", "rabbitmq-scaler")
                       ["readinessProbe"]["grpc"], "port", 9091)),
    ("scaledobject-naive", "Deployment selector not matching the template labels",
     lambda o: set_key(first(o, "Deployment", "worker").obj["spec"]["selector"]["matchLabels"],
                       "app.kubernetes.io/name", "consumer")),
    ("scaledobject-naive", "consumer image with another tag",
     lambda o: set_key(container_of(o, "Deployment", "worker", "rmq-consumer"), "image",
                       IMAGE_REPOSITORY + "/workloads:0.2.0")),
    ("scaledobject-naive", "secretKeyRef to a key the operator Secret lacks",
     lambda o: set_key(env_entry(container_of(o, "Deployment", "worker", "rmq-consumer"),
                                 "RABBITMQ_USER")["valueFrom"]["secretKeyRef"], "key", "user")),
    ("scaledobject-naive", "$(VAR) used before its definition",
     lambda o: container_of(o, "Deployment", "worker", "rmq-consumer")["env"].reverse()),
    ("scaledobject-naive", "RabbitmqCluster replicas as a string",
     lambda o: set_key(first(o, "RabbitmqCluster").obj["spec"], "replicas", "1")),
    ("scaledobject-drain", "messages longer than the grace period and consumer_timeout",
     lambda o: container_of(o, "Job", "producer", "rmq-producer")["args"].append(
         "--duration=uniform:300,20000")),
    ("scaledjob-accurate-ready", "default strategy with the ready-only count",
     lambda o: set_key(first(o, "ScaledJob").obj["spec"]["scalingStrategy"], "strategy",
                       "default")),
    ("scaledjob-default-total", "accurate strategy with the total count",
     lambda o: set_key(first(o, "ScaledJob").obj["spec"]["scalingStrategy"], "strategy",
                       "accurate")),
    ("scaledobject-deletion-cost", "deletion cost without pod permissions",
     lambda o: set_key(first(o, "Deployment", "worker").obj["spec"]["template"]["spec"],
                       "serviceAccountName", "rabbitmq-scaler")),
    ("scaledobject-total", "ANALYZER_URL with a port the Service lacks",
     lambda o: set_key(env_entry(container_of(o, "Deployment", "worker", "rmq-consumer"),
                                 "ANALYZER_URL"), "value",
                       "http://result-analyzer.scalein-lab.svc:9090")),
    ("scaledobject-naive", "consumer flag the binary does not define",
     lambda o: container_of(o, "Deployment", "worker", "rmq-consumer")["args"].append(
         "--sigterm-policy=drain")),
    ("scaledobject-naive", "unknown SIGTERM policy",
     lambda o: container_of(o, "Deployment", "worker", "rmq-consumer")["args"].append(
         "--on-sigterm=finish")),
    ("scaledobject-naive", "Deployment apiVersion apps/v1beta1",
     lambda o: set_key(first(o, "Deployment", "worker").obj, "apiVersion", "apps/v1beta1")),
]


def all_problems(objects, registry, facts):
    problems = []
    for manifest in objects.manifests:
        problems += object_problems(manifest, registry)
    try:
        return problems + set_problems(objects, facts)
    except (AttributeError, KeyError, TypeError, IndexError) as error:
        # Objects that failed their schema can have any shape; report instead of crashing.
        file = objects.manifests[0].file if objects.manifests else "manifests"
        return problems + [Problem(file, "kustomization", "", f"cross-checks stopped on a "
                                   f"malformed object ({type(error).__name__}: {error})")]


def run_mutations(report, registry, resolved, facts):
    """A mutation counts as rejected only by a problem that the unmutated objects lack."""
    for experiment, description, mutate in MUTATIONS:
        name = f"mutation rejected: {experiment}: {description}"
        if experiment not in resolved:
            report.record(name, [Problem(f"manifests/experiments/{experiment}", "-", "",
                                         "experiment not found; the mutation cannot run")])
            continue
        mutated = ObjectSet([Manifest(copy.deepcopy(m.obj), m.file)
                             for m in resolved[experiment].manifests])
        try:
            mutate(mutated)
        except (KeyError, IndexError, StopIteration, TypeError) as error:
            report.record(name, [Problem(f"manifests/experiments/{experiment}", "-", "",
                                         f"mutation '{description}' found nothing to change "
                                         f"({type(error).__name__}: {error})")])
            continue
        baseline = {str(p) for p in all_problems(resolved[experiment], registry, facts)}
        problems = [p for p in all_problems(mutated, registry, facts)
                    if str(p) not in baseline]
        if problems:
            report.record(f"{name} ({problems[0].field}: {problems[0].message})", [])
        else:
            report.record(name, [Problem(f"manifests/experiments/{experiment}", "-", "",
                                         f"mutation '{description}' was accepted")])


# ---------------------------------------------------------------------------------------------
# Driver


def yaml_files(root):
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for file_name in sorted(files):
            if file_name.endswith((".yaml", ".yml")) or file_name == "Kustomization":
                yield os.path.join(directory, file_name)


def project_version(repo):
    path = os.path.join(repo, "CMakeLists.txt")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as stream:
        match = re.search(r"project\([^)]*VERSION\s+([0-9.]+)", stream.read())
    return match.group(1) if match else None


def check_files(report, registry, repo, manifests_dir):
    """Parses and validates every YAML document and returns the number of files."""
    count = 0
    for path in yaml_files(manifests_dir):
        count += 1
        relative = rel(path, repo)
        try:
            documents = load_documents(path)
        except yaml.YAMLError as error:
            report.record(f"parse {relative}", [Problem(relative, "-", "", f"invalid YAML: "
                                                        f"{error}")])
            continue
        if find_kustomization(os.path.dirname(path)) == path or \
                any(isinstance(d, dict) and "$patch" in d for d in documents):
            report.record(f"parse {relative}", [])
            continue
        patch_file = is_patch_file(path)
        for index, document in enumerate(documents):
            if not isinstance(document, dict):
                report.record(f"{relative}[{index}]", [Problem(relative, f"document {index}", "",
                                                               "is not a mapping")])
                continue
            if patch_file:
                continue
            manifest = Manifest(document, relative)
            report.record(f"{relative} {manifest.label}", object_problems(manifest, registry))
        if patch_file:
            report.record(f"parse {relative}", [])
    return count


def is_patch_file(path):
    """True if a kustomization in the same folder lists this file under patches."""
    kustomization = find_kustomization(os.path.dirname(path))
    if kustomization is None:
        return False
    with open(kustomization, encoding="utf-8") as stream:
        entries = (yaml.safe_load(stream) or {}).get("patches") or []
    return any(os.path.basename(path) == os.path.basename(e.get("path", "")) for e in entries)


def check_kustomizations(report, registry, repo, manifests_dir, facts, defaults):
    """Resolves and cross-checks every kustomization and returns {folder name: ObjectSet}."""
    resolved = {}
    for directory, subdirs, _ in os.walk(manifests_dir):
        subdirs.sort()
        if find_kustomization(directory) is None:
            continue
        relative = rel(directory, repo)
        try:
            objects = ObjectSet(resolve_kustomization(directory, repo))
        except (KustomizeError, yaml.YAMLError, OSError) as error:
            report.record(f"kustomize {relative}", [Problem(relative, "kustomization", "",
                                                            str(error))])
            continue
        resolved[os.path.basename(directory)] = objects
        problems = all_problems(objects, registry, facts)
        if defaults is not None:
            problems += defaults_problems(defaults[1], defaults[0], objects)
        report.record(f"kustomize {relative} ({len(objects.manifests)} objects)", problems)
    return resolved


def render(repo, directory):
    objects = resolve_kustomization(os.path.abspath(directory), repo)
    yaml.safe_dump_all([m.obj for m in objects], sys.stdout, sort_keys=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), "..", ".."),
                        help="repository root (default: two folders above this script)")
    parser.add_argument("--render", metavar="DIR",
                        help="print the resolved objects of the kustomization in DIR and exit")
    parser.add_argument("--verbose", action="store_true", help="also print passed checks")
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    if args.render:
        render(repo, args.render)
        return 0

    manifests_dir = os.path.join(repo, "manifests")
    crd_dir = os.path.join(repo, "tests", "manifests", "crds")
    for required in (manifests_dir, crd_dir):
        if not os.path.isdir(required):
            print(f"FAIL {required}: folder not found")
            print("manifests: 0 passed, 1 failed")
            return 1

    registry = SchemaRegistry(crd_dir)
    report = Report(args.verbose)
    facts = ProjectFacts(repo)
    header = os.path.join(repo, "workloads", "common", "defaults.h")
    defaults = None
    if os.path.isfile(header):
        defaults = (rel(header, repo), parse_defaults_header(header))

    missing_sources = [Problem(source, "-", "", f"not found, so the {binary} flags in the "
                               f"manifests cannot be checked; update FLAG_SOURCES")
                       for binary, source in FLAG_SOURCES.items()
                       if binary not in facts.defined_flags]
    report.record("flag sources exist", missing_sources)

    file_count = check_files(report, registry, repo, manifests_dir)
    if file_count == 0:
        report.record("manifests exist", [Problem("manifests", "-", "", "no YAML files found")])
    resolved = check_kustomizations(report, registry, repo, manifests_dir, facts, defaults)
    run_mutations(report, registry, resolved, facts)

    print(f"manifests: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
