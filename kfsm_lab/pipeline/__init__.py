"""Pipeline runs on both targets through one Kubeflow Pipelines API: compile, start, attach, list, watch.

Entry points: :func:`compile_pipeline`, :func:`start_run`, :func:`attach`, :func:`list_runs`, :class:`RunHandle`.
Importing this package is light; kfp and boto3 load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handle import RunHandle

__all__ = ["RunHandle", "attach", "compile_pipeline", "list_runs", "start_run"]


def __getattr__(name: str) -> Any:
    if name == "compile_pipeline":
        from .compile import compile_pipeline

        return compile_pipeline
    if name in ("start_run", "attach", "list_runs", "RunHandle"):
        from . import handle

        return getattr(handle, name)
    raise AttributeError(name)
