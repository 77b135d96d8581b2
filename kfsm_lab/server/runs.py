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


def _kit_id_of_kfp_run(kfp_run_id: str) -> str | None:
    """FALLBACK (until attach() accepts KFP run ids): the kit run whose record names this KFP run."""
    from ..pipeline import runs as records

    for rec in records.all_records():
        if rec.get("kfp_run_id") == kfp_run_id:
            return rec["run_id"]
    return None


def attach(run_id: str) -> Any:
    """A refreshed RunHandle for the kit's run id or the KFP run id; NotFoundError when neither is known."""
    from ..pipeline import attach as attach_run
    from ..pipeline.runs import RunNotFoundError

    if not _RUN_ID.match(run_id or ""):
        raise _unknown(run_id)
    try:
        return attach_run(run_id)
    except (RunNotFoundError, ValidationError):
        pass  # not a kit run id: perhaps the KFP one
    kit_id = _kit_id_of_kfp_run(run_id)
    if kit_id is None:
        raise _unknown(run_id)
    return attach_run(kit_id)


def rerun(handle: Any) -> Any:
    """Start the run again with the same settings (so the same parameters).

    When its first step succeeded, under the same run id: the steps adopt what the first run made
    (SageMaker names follow the run id). Otherwise under a new id: a stopped or failed job keeps its
    name forever on SageMaker, so the same id could only adopt the failure.
    """
    from ..config import load_settings
    from ..pipeline import start_run

    if not handle.done:
        raise ConflictError(f"run {handle.run_id} is still {handle.state}", "terminate it first, or wait for it to end")
    settings = handle.settings if handle.settings is not None else load_settings()
    steps = handle.to_dict().get("steps") or []
    roots = [s for s in steps if not s.get("depends_on")] or steps[:1]
    adoptable = bool(roots) and all(s.get("state") == "succeeded" for s in roots)
    return start_run(settings, run_id=handle.run_id if adoptable else None)


def parameters_of(run: dict[str, Any]) -> dict[str, Any]:
    """The run's pipeline parameters."""
    params = run.get("parameters")
    if isinstance(params, dict):
        return params
    # FALLBACK (until runs report their own parameters): the arguments the kit recorded at submit.
    try:
        from ..pipeline import runs as records

        return dict(records.load(run["run_id"]).get("arguments") or {})
    except Exception:  # noqa: BLE001 - a run without a readable record just shows no parameters
        return {}
