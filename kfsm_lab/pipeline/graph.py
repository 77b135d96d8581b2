"""A run's task graph, read from its pipeline spec: tasks, what each runs after, which are the kit's steps.

Whatever pipeline ran — the workshop's four steps, an edited one with five, one of the user's own —
its tasks come from the spec the Kubeflow Pipelines API returns with the run, so every view shows
the run's own graph. A task is a SageMaker step when its component is one of the kit's
(:data:`kfsm_lab.names.KIND_OF_COMPONENT`), whatever its display name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..names import KIND_OF_COMPONENT


@dataclass(frozen=True)
class TaskNode:
    name: str  # the task's key in the DAG
    display_name: str
    component: str  # the spec's component name, "comp-…"
    depends_on: tuple[str, ...]
    kind: str | None  # the SageMaker resource the step makes, or None for any other component
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)


def kind_of(component: str) -> str | None:
    """``comp-sagemaker-training-job`` (or ``…-2``, a second use) → ``training_job``."""
    base = component.removeprefix("comp-")
    if base in KIND_OF_COMPONENT:
        return KIND_OF_COMPONENT[base]
    trimmed = re.sub(r"-\d+$", "", base)
    return KIND_OF_COMPONENT.get(trimmed)


def _input(spec: dict[str, Any]) -> dict[str, Any]:
    if "componentInputParameter" in spec:
        return {"parameter": spec["componentInputParameter"]}
    if "taskOutputParameter" in spec:
        out = spec["taskOutputParameter"]
        return {"task": out.get("producerTask"), "output": out.get("outputParameterKey")}
    if "taskOutputArtifact" in spec:
        out = spec["taskOutputArtifact"]
        return {"task": out.get("producerTask"), "output": out.get("outputArtifactKey"), "artifact": True}
    if "runtimeValue" in spec:
        return {"value": (spec["runtimeValue"] or {}).get("constant")}
    return {"unresolved": spec}


def _default(param: dict[str, Any]) -> Any:
    return param.get("defaultValue")


@dataclass
class Graph:
    name: str
    description: str
    tasks: dict[str, TaskNode]  # in an order where every task follows what it runs after
    parameters: dict[str, Any]  # the pipeline's parameters and their defaults (None: required)

    @classmethod
    def from_spec(cls, submitted: Any) -> Graph:
        spec = submitted or {}
        if isinstance(spec, dict) and "pipeline_spec" in spec and "root" not in spec:
            spec = spec["pipeline_spec"] or {}
        root = spec.get("root") or {}
        raw = ((root.get("dag") or {}).get("tasks")) or {}
        nodes = {}
        for name, t in raw.items():
            comp = (t.get("componentRef") or {}).get("name", "")
            inputs = {k: _input(v) for k, v in ((t.get("inputs") or {}).get("parameters") or {}).items()}
            inputs.update({k: _input(v) for k, v in ((t.get("inputs") or {}).get("artifacts") or {}).items()})
            nodes[name] = TaskNode(name=name, display_name=(t.get("taskInfo") or {}).get("name") or name,
                                   component=comp, depends_on=tuple(sorted(t.get("dependentTasks") or [])),
                                   kind=kind_of(comp), inputs=inputs)
        params = {k: _default(v) for k, v in ((root.get("inputDefinitions") or {}).get("parameters") or {}).items()}
        info = spec.get("pipelineInfo") or {}
        return cls(name=info.get("name", ""), description=info.get("description", ""),
                   tasks=_ordered(nodes), parameters=params)

    def by_display_name(self) -> dict[str, str]:
        return {t.display_name: t.name for t in self.tasks.values()}

    def values(self, runtime: dict[str, Any] | None) -> dict[str, Any]:
        """The run's parameter values: what was given, else the spec's defaults."""
        return {**{k: v for k, v in self.parameters.items() if v is not None}, **(runtime or {})}

    def resolved_inputs(self, task: TaskNode, runtime: dict[str, Any] | None) -> dict[str, Any]:
        """A task's inputs with pipeline parameters and constants filled in; upstream outputs named."""
        values = self.values(runtime)
        out: dict[str, Any] = {}
        for key, src in task.inputs.items():
            if "value" in src:
                out[key] = src["value"]
            elif "parameter" in src:
                out[key] = values.get(src["parameter"])
            elif "task" in src:
                out[key] = {"from_task": src["task"], "output": src["output"]}
        return out


def _ordered(nodes: dict[str, TaskNode]) -> dict[str, TaskNode]:
    """Topological order, stable by name among tasks that could go in either order."""
    done: dict[str, TaskNode] = {}
    remaining = dict(sorted(nodes.items()))
    while remaining:
        ready = [n for n, t in remaining.items() if all(d in done or d not in nodes for d in t.depends_on)]
        if not ready:  # a cycle cannot come from the compiler; keep whatever is left in name order
            ready = list(remaining)
        for n in ready:
            done[n] = remaining.pop(n)
    return done
