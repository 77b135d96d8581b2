"""The Kubernetes secret ``aws-secret`` the pipeline pods read their AWS keys from.

Values are base64-encoded here from the exact key strings, so no stray newline (the workshop's
``jq -r`` bug) can reach an HTTP header. Without cluster access the error says what is missing;
``render_manifest`` shows what would be applied, with the values redacted.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, MissingDependencyError
from .results import CREATED_BY_KEY, CREATED_BY_VALUE, StepResult

if TYPE_CHECKING:
    from ..config import Settings

KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def render_manifest(settings: Settings) -> str:
    """The Secret manifest the kit applies, values redacted (for --dry-run)."""
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {settings.secret_name}",
             f"  namespace: {settings.namespace}", "  labels:", f"    {CREATED_BY_KEY.replace(':', '.')}: "
             f"{CREATED_BY_VALUE}", "type: Opaque", "data:"]
    lines += [f"  {k}: <redacted base64>" for k in KEYS]
    return "\n".join(lines)


def core_api() -> Any:
    """A CoreV1Api from in-cluster config or kubeconfig; a clear error when neither exists."""
    try:
        from kubernetes import client, config
    except ImportError as exc:  # pragma: no cover - kubernetes comes with kfp
        raise MissingDependencyError("kubernetes", "aws") from exc
    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, FileNotFoundError, TypeError) as exc:
            raise ConfigurationError(
                "no Kubernetes cluster access: not running in a pod with a service account, and no "
                "kubeconfig found",
                "run from the Kubeflow notebook server, set KUBECONFIG to your cluster's config, or use "
                "--dry-run to see the manifest") from exc
    return client.CoreV1Api()


def _b64(value: str) -> str:
    return base64.b64encode(value.strip().encode()).decode()


def ensure_secret(settings: Settings, creds: dict[str, str], api: Any | None = None) -> StepResult:
    """Create or update ``aws-secret`` in the namespace with the pipeline user's keys."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    api = api or core_api()
    data = {k: _b64(creds[k]) for k in KEYS}
    name, ns = settings.secret_name, settings.namespace
    body = client.V1Secret(metadata=client.V1ObjectMeta(
        name=name, namespace=ns, labels={CREATED_BY_KEY.replace(":", "."): CREATED_BY_VALUE}),
        type="Opaque", data=data)
    try:
        current = api.read_namespaced_secret(name, ns)
    except ApiException as exc:
        if exc.status == 404:
            api.create_namespaced_secret(ns, body)
            return StepResult("k8s secret", "created", f"{ns}/{name}")
        if exc.status == 403:
            raise ConfigurationError(f"the cluster denied reading secrets in namespace {ns}",
                                     "ask for a RoleBinding that allows get/create/patch on secrets "
                                     f"in {ns}, or pick your profile namespace (KFSM_NAMESPACE)") from exc
        raise
    if (current.data or {}) == data:
        return StepResult("k8s secret", "already there", f"{ns}/{name}")
    api.replace_namespaced_secret(name, ns, body)
    return StepResult("k8s secret", "updated", f"{ns}/{name}")
