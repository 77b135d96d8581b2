"""A submitted pipeline spec: parsed, checked for what the local runner can execute, planned.

Checked at create time, so a spec the local Kubeflow Pipelines cannot run fails with the reason
at once (HTTP 400), never as a run that fails later: every executor must be a lightweight Python
component (what kfp.local's SubprocessRunner runs) or an importer; runtime parameters must be the
pipeline's own, with every required one given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

# kfp.dsl.component_factory's EXECUTOR_MODULE and CONTAINERIZED_PYTHON_COMPONENT_COMMAND (a test holds them to
# kfp's): the local cloud reads specs without importing kfp.dsl (see kfp_runtime.import_package_only)
EXECUTOR_MODULE = "kfp.dsl.executor_main"
CONTAINERIZED_PYTHON_COMPONENT_COMMAND = ["python3", "-m", EXECUTOR_MODULE]


class SpecError(ValueError):
    """The spec or its parameters cannot run here; the message says why and what to do."""


def split_submitted(submitted: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(pipeline_spec, platform_spec)`` from a run's ``pipeline_spec`` field.

    kfp.Client sends the PipelineSpec itself, or ``{"pipeline_spec": …, "platform_spec": …}`` when the
    pipeline has Kubernetes platform config (kfp-kubernetes).
    """
    if not isinstance(submitted, dict) or not submitted:
        raise SpecError("pipeline_spec must be a JSON object: the compiled pipeline (kfp.compiler output)")
    if "pipeline_spec" in submitted and "root" not in submitted:
        spec, platform = submitted.get("pipeline_spec"), submitted.get("platform_spec") or {}
        if not isinstance(spec, dict) or not isinstance(platform, dict):
            raise SpecError("pipeline_spec.pipeline_spec and pipeline_spec.platform_spec must be JSON objects")
        return spec, platform
    return submitted, {}


def parse(spec: dict[str, Any]) -> pipeline_spec_pb2.PipelineSpec:
    try:
        return json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec())
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise SpecError(f"the pipeline spec is not a valid PipelineSpec: {exc}") from None


def parse_platform(platform: dict[str, Any]) -> pipeline_spec_pb2.PlatformSpec:
    try:
        return json_format.ParseDict(platform, pipeline_spec_pb2.PlatformSpec())
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise SpecError(f"the platform spec is not a valid PlatformSpec: {exc}") from None


@dataclass(frozen=True)
class SecretEnv:
    """A Kubernetes secret mapped into a task's environment (kfp-kubernetes ``use_secret_as_env``)."""

    secret: str
    key_to_env: dict[str, str]


@dataclass
class Plan:
    """What the runner needs from a spec."""

    spec: pipeline_spec_pb2.PipelineSpec
    secrets: dict[str, list[SecretEnv]] = field(default_factory=dict)  # executor label -> secrets
    ignored: list[str] = field(default_factory=list)  # platform config with no local meaning

    @property
    def name(self) -> str:
        return self.spec.pipeline_info.name

    @property
    def simple(self) -> bool:
        """A flat DAG of executors: the local runner runs independent tasks at the same time."""
        dag = self.spec.root.dag
        comps = self.spec.components
        for task in dag.tasks.values():
            if task.trigger_policy.condition or task.WhichOneof("iterator"):
                return False
            if task.trigger_policy.strategy == \
                    pipeline_spec_pb2.PipelineTaskSpec.TriggerPolicy.TriggerStrategy.ALL_UPSTREAM_TASKS_COMPLETED:
                return False
            if comps[task.component_ref.name].WhichOneof("implementation") != "executor_label":
                return False
        return not any(p.WhichOneof("kind") == "value_from_oneof" for p in dag.outputs.parameters.values())


def executors(spec: pipeline_spec_pb2.PipelineSpec) -> dict[str, Any]:
    from kfp.local import utils

    executors = json_format.MessageToDict(spec.deployment_spec).get("executors", {})
    return {label: utils.struct_to_executor_spec(spec.deployment_spec["executors"][label]) for label in executors}


def check_executors(spec: pipeline_spec_pb2.PipelineSpec) -> None:
    for label, executor in executors(spec).items():
        kind = executor.WhichOneof("spec")
        if kind == "importer":
            continue
        if kind != "container":
            raise SpecError(f"executor {label} is a {kind}, which the local Kubeflow Pipelines cannot run; "
                            "use lightweight Python components (@dsl.component), or run it on a cluster")
        command = list(executor.container.command) + list(executor.container.args)
        image = executor.container.image
        if not any(EXECUTOR_MODULE in part for part in command):
            raise SpecError(f"executor {label} is a container component (image {image}): the local Kubeflow "
                            "Pipelines runs lightweight Python components only (kfp.local's SubprocessRunner); "
                            "write it as @dsl.component, or run it on a cluster (target aws)")
        if command[:len(CONTAINERIZED_PYTHON_COMPONENT_COMMAND)] == CONTAINERIZED_PYTHON_COMPONENT_COMMAND:
            raise SpecError(f"executor {label} is a containerized Python component (image {image}), which needs "
                            "its image; build it as a lightweight @dsl.component, or run it on a cluster")


def check_parameters(spec: pipeline_spec_pb2.PipelineSpec, parameters: dict[str, Any]) -> None:
    declared = spec.root.input_definitions.parameters
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise SpecError(f"the pipeline has no parameter {', '.join(unknown)}; its parameters are: "
                        + (", ".join(sorted(declared)) or "(none)"))
    missing = sorted(name for name, p in declared.items()
                     if name not in parameters and not p.HasField("default_value") and not p.is_optional)
    if missing:
        raise SpecError(f"the pipeline needs a value for {', '.join(missing)} (no default in the spec); "
                        "pass it in the run's parameters (arguments=…)")


def _secrets(platform: pipeline_spec_pb2.PlatformSpec) -> tuple[dict[str, list[SecretEnv]], list[str]]:
    out: dict[str, list[SecretEnv]] = {}
    ignored: list[str] = []
    k8s = platform.platforms.get("kubernetes")
    if k8s is None:
        return out, ignored
    executors = json_format.MessageToDict(k8s.deployment_spec).get("executors", {})
    for label, config in executors.items():
        for item in config.get("secretAsEnv", []):
            name = item.get("secretName") or (item.get("secretNameParameter") or {}).get(
                "runtimeValue", {}).get("constant", "")
            out.setdefault(label, []).append(SecretEnv(
                secret=str(name), key_to_env={k["secretKey"]: k["envVar"] for k in item.get("keyToEnv", [])}))
        ignored += [f"{label}: {key}" for key in config if key != "secretAsEnv"]
    return out, ignored


def plan(submitted: Any, parameters: dict[str, Any]) -> Plan:
    """Parse and check a run's spec and parameters; :class:`SpecError` says what cannot run."""
    if not isinstance(parameters, dict):
        raise SpecError("runtime_config.parameters must be a JSON object of parameter name to value")
    spec_dict, platform_dict = split_submitted(submitted)
    spec = parse(spec_dict)
    if not spec.root.HasField("dag") or not spec.root.dag.tasks:
        raise SpecError("the pipeline spec has no tasks (root.dag.tasks is empty)")
    check_executors(spec)
    check_parameters(spec, parameters)
    secrets, ignored = _secrets(parse_platform(platform_dict)) if platform_dict else ({}, [])
    return Plan(spec=spec, secrets=secrets, ignored=ignored)


def task_components(spec: pipeline_spec_pb2.PipelineSpec) -> dict[str, str]:
    """Root task name → component name (``comp-…``)."""
    return {name: task.component_ref.name for name, task in spec.root.dag.tasks.items()}
