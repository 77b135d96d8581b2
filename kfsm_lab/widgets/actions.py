"""The panel's actions as plain functions of the settings: the same calls a notebook cell makes.

Each goes through :mod:`kfsm_lab.lab` (which writes the journal), so whatever a button did a cell
sees, and the other way round. Each returns the report of the module that did the work plus the
status-line message (key and values) that sums it up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Settings

Outcome = tuple[Any, str, dict[str, Any]]


def check(settings: Settings) -> Outcome:
    from .. import lab

    report = lab.doctor(settings)
    failed = sum(1 for c in report.checks if c.status == "fail")
    key = "status.check_ok" if report.ok else "status.check_failed"
    return report, key, {"count": len(report.checks), "failed": failed}


def setup(settings: Settings) -> Outcome:
    from .. import lab

    report = lab.setup(settings)
    done = report.settings or settings
    return report, "status.setup_done", {"role_arn": done.role_arn, "bucket": done.bucket}


def run_pipeline(settings: Settings, run_id: str | None = None, pipeline: Any = None) -> Outcome:
    """Start a run — of ``pipeline`` (the notebook's own) when given, else the kit's packaged one — and
    return at once: the poller follows it like a run a cell started.

    ``pipeline`` may be the name of the notebook's pipeline function, looked up when the button is
    pressed, so a panel shown before the pipeline cell runs whatever that cell defined last.
    """
    from ..pipeline import start_run

    if isinstance(pipeline, str):
        from IPython import get_ipython

        shell = get_ipython()
        pipeline = (shell.user_ns.get(pipeline) if shell is not None else None)

    handle = start_run(settings, run_id=run_id, pipeline=pipeline)
    return handle, "status.run_started", {"run_id": handle.run_id}


def predict(settings: Settings, run_id: str | None, n_test: int | None = None) -> Outcome:
    from .. import lab

    report = lab.predict(settings, run_id=run_id, n_test=n_test)
    return report, "status.predict_done", {"endpoint": report.endpoint, "accuracy": f"{report.accuracy:.1%}"}


def cleanup(settings: Settings, include_bucket: bool = False, include_iam: bool = False) -> Outcome:
    """Every run's SageMaker resources on this target and region (and, asked, the bucket and IAM)."""
    from .. import lab

    report = lab.cleanup(settings, None, include_bucket=include_bucket, include_iam=include_iam)
    if report.nothing_left:
        return report, "status.cleanup_nothing", {}
    return report, "status.cleanup_done", {"count": len(report.items)}


def cancel(run_id: str, handle: Any = None) -> Any:
    """Stop a run: through ``handle`` when this process started it (it knows the runner even before the
    runner has written its pid), else through a handle attached by id."""
    if handle is not None and handle.run_id == run_id:
        return handle.cancel()
    from ..pipeline import attach

    return attach(run_id).cancel()
