"""Runs as the pipeline package reports them: recent runs, one run by either of its ids, re-runs.

The only module of the server that talks to ``kfsm_lab.pipeline``; it uses its public API
(``list_runs``, ``attach``, ``start_run``, ``RunHandle``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ..errors import ValidationError
from .errors import ConflictError, NotFoundError

log = logging.getLogger(__name__)

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


def recent_runs(limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` recent runs as plain dicts; [] while the pipeline package is not installed."""
    try:
        from ..pipeline import list_runs
    except ImportError as exc:
        # Only "the pipeline package (or its list_runs) is not there" means no runs; a broken import
        # inside it is a real error and must show.
        if exc.name not in ("kfsm_lab.pipeline", __package__.rsplit(".", 1)[0] + ".pipeline"):
            raise
        log.debug("kfsm_lab.pipeline is not importable: %s", exc)
        return []
    return list(list_runs(limit=limit))


def _unknown(run_id: str) -> NotFoundError:
    return NotFoundError(f"no pipeline run {run_id!r} is known here",
                         "it may have been deleted, or made with another state folder (KFSM_STATE_DIR); "
                         "the runs panel lists the runs this server knows")


def attach(run_id: str) -> Any:
    """A refreshed RunHandle for the kit's run id or the KFP run id; NotFoundError when neither is known."""
    from ..pipeline import attach as attach_run
    from ..pipeline.runs import RunNotFoundError

    if not _RUN_ID.match(run_id or ""):
        raise _unknown(run_id)
    try:
        return attach_run(run_id)
    except (RunNotFoundError, ValidationError):
        raise _unknown(run_id) from None


def rerun(handle: Any) -> Any:
    """Submit the run's own pipeline spec again with the same parameters (an edited pipeline stays edited).

    When its first steps succeeded, under the same kit run id: the steps adopt what the first run made
    (SageMaker names follow the run id). Otherwise under a new id: a stopped or failed job keeps its
    name forever on SageMaker, so the same id could only adopt the failure.
    """
    import tempfile
    from pathlib import Path

    import yaml

    from ..names import new_run_id
    from ..pipeline import attach as attach_run
    from ..pipeline.targets import kfp_target

    if not handle.done:
        raise ConflictError(f"run {handle.run_id} is still {handle.state}", "terminate it first, or wait for it to end")
    data = handle.to_dict()
    steps = data.get("steps") or []
    roots = [s for s in steps if not s.get("depends_on")] or steps[:1]
    adoptable = bool(roots) and all(s.get("state") == "succeeded" for s in roots)
    arguments = dict(data.get("parameters") or {})
    if "run_id" in arguments and not adoptable:
        arguments["run_id"] = new_run_id()
    # The run's compiled spec as the KFP API returned it (RunHandle has no public accessor for it yet).
    run = handle._run
    spec = run.get("pipeline_spec") if isinstance(run, dict) else getattr(run, "pipeline_spec", None)
    if not spec:
        raise ConflictError(f"run {handle.run_id} has no pipeline spec to submit again",
                            "submit the notebook's pipeline again with kfp.Client")
    conn = kfp_target(handle.target).connect(handle.settings)
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "pipeline.yaml"
        # with a platform spec (kfp-kubernetes) the API nests both: write them as the compiler does
        docs = [spec["pipeline_spec"], spec["platform_spec"]] if "pipeline_spec" in spec else [spec]
        package.write_text(yaml.safe_dump_all([d for d in docs if d], sort_keys=False))
        name = data.get("display_name") or data.get("pipeline_name") or "pipeline"
        _, kfp_run_id = conn.submit(package, arguments, run_name=f"{name} (re-run)",
                                    experiment_name=data.get("experiment") or handle.settings.experiment)
    return attach_run(kfp_run_id)


def parameters_of(run: dict[str, Any]) -> dict[str, Any]:
    """The run's pipeline parameters."""
    params = run.get("parameters")
    if isinstance(params, dict):
        return params
    # FALLBACK (until the runs listing carries parameters): what the kit recorded at submit.
    from ..pipeline import runs as records

    record = records.load(run["run_id"])
    return dict(record.arguments) if record is not None else {}
