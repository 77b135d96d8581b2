"""The notebook-facing API: the same calls the CLI and the panel make, plus display helpers.

Notebooks call these so each cell stays one line of intent; nothing here waits for a click.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from .notebooks import SUMMARY_MIME

if TYPE_CHECKING:
    from .checks import DoctorReport
    from .config import Settings
    from .localcloud import LocalCloudInfo
    from .pipeline import RunHandle
    from .predictions import PredictionReport
    from .provision import SetupReport
    from .teardown import CleanupReport


def local_cloud(pace: float | None = None) -> LocalCloudInfo:
    """Start (or reuse) the local cloud; each job or endpoint takes at least ``pace`` seconds,
    spread over its status steps (0 = instant).

    Also points ``kfp.Client()`` in this process at the local Kubeflow Pipelines (``KF_PIPELINES_ENDPOINT``),
    so the notebook's own kfp cells run unchanged on the local target.
    """
    import os

    from .localcloud import ensure_running

    info = ensure_running(pace=pace)
    if info.kfp_endpoint:
        import warnings

        os.environ["KF_PIPELINES_ENDPOINT"] = info.kfp_endpoint
        # kfp.Client warns on every construction that it needs a KFP 2 backend: the local one is
        warnings.filterwarnings("ignore", message="This client only works with Kubeflow Pipeline v2",
                                category=FutureWarning)
    return info


def setup(settings: Settings) -> SetupReport:
    """Bucket, IAM user + key, execution role, secret and data; safe to re-run."""
    from . import journal
    from .provision import setup_all

    report = setup_all(settings)
    done = report.settings or settings
    journal.record("setup", done, report, role_arn=done.role_arn, bucket=done.bucket,
                   changed=sum(1 for s in report.steps if s.status in ("created", "updated")))
    return report


def doctor(settings: Settings) -> DoctorReport:
    from .checks import run_doctor

    return run_doctor(settings)


def predict(settings: Settings, run_id: str | None = None, n_test: int | None = None) -> PredictionReport:
    """Ask the run's endpoint (the newest live one when ``run_id`` is None) about held-out digits."""
    from . import journal
    from .predictions import predict as _predict

    report = _predict(settings, run_id=run_id, n_test=n_test)
    journal.record("predict", settings, report, run_id=report.run_id, endpoint=report.endpoint,
                   accuracy=report.accuracy, n=report.evaluation.n)
    return report


def cleanup(settings: Settings, run_id: str | None = None, **kwargs: Any) -> CleanupReport:
    """Delete the run's resources (every kit run's when ``run_id`` is None); see ``kfsm_lab.teardown``."""
    from . import journal
    from .teardown import cleanup as _cleanup

    report = _cleanup(settings, run_id=run_id, all_runs=run_id is None, **kwargs)
    if not kwargs.get("dry_run"):
        journal.record("cleanup", settings, report, run_id=run_id, include_bucket=bool(kwargs.get("include_bucket")),
                       include_iam=bool(kwargs.get("include_iam")), count=len(report.items))
    return report


class CompiledPipeline:
    """A compiled pipeline file; shows its tasks, in the order they run, and their parameters."""

    def __init__(self, path: Any) -> None:
        import yaml

        from .pipeline.graph import Graph

        self.path = path
        with open(path) as f:  # the pipeline spec, then (with kfp-kubernetes config) the platform spec
            docs = list(yaml.safe_load_all(f))
        self.platform = docs[1] if len(docs) > 1 else None
        graph = Graph.from_spec(docs[0])
        self.name = graph.name
        self.tasks = {t.name: list(t.depends_on) for t in graph.tasks.values()}
        self.parameters = sorted(graph.parameters)

    def _repr_html_(self) -> str:
        from .display import table

        rows = [(name, ", ".join(deps) or "—") for name, deps in self.tasks.items()]
        return table(["task", "runs after"], rows, f"{self.name} → {self.path}") + \
            f"<small>parameters: {', '.join(self.parameters)}</small>"

    def __repr__(self) -> str:
        return f"CompiledPipeline({self.path!s}, tasks={list(self.tasks)})"


def compile_pipeline(path: str, settings: Settings | None = None, pipeline: Any = None) -> CompiledPipeline:
    """Compile ``pipeline`` (a ``@dsl.pipeline`` function), or the kit's packaged one for ``settings``, to YAML
    (what you could also upload in the Kubeflow Pipelines UI)."""
    from .pipeline import compile_pipeline as _compile

    return CompiledPipeline(_compile(path, settings, pipeline=pipeline))


def _display(obj: Any, **kw: Any) -> Any:
    from IPython.display import display

    return display(obj, **kw)


def watch(run: RunHandle, timeout: float | None = 1800, raise_on_failure: bool = True,
          every: float = 1.0, lang: str | None = None) -> RunHandle:
    """Block until the run ends, redrawing one progress figure in place (a terminal gets a tqdm bar).

    Below the figure, the training log's newest lines are shown as text (whole lines, never cut).
    """
    from .monitor import progress_figure
    from .monitor.figure import metric_line, progress_alt, training_log, trials_lines
    from .widgets.render import figure_output

    try:
        from IPython import get_ipython

        in_kernel = get_ipython() is not None and hasattr(get_ipython(), "kernel")
    except ImportError:
        in_kernel = False
    if not in_kernel:
        from .monitor import tqdm_watch

        tqdm_watch(run, timeout=timeout)
        return _check(run, raise_on_failure)
    shown: dict[str, Any] = {}
    last = 0.0
    fig = None

    def redraw(r: RunHandle, final: bool = False) -> None:
        nonlocal last, fig
        now = time.monotonic()
        if not final and now - last < every:
            return
        last = now
        snap = r.to_dict()
        fig = progress_figure(snap, fig=fig, lang=lang)
        out = figure_output(fig, "progress", progress_alt(snap, lang))
        lines = [*trials_lines(snap, lang), metric_line(snap, lang), *training_log(snap)]
        log = {"text/plain": "\n".join(x for x in lines if x)}
        for key, bundle, meta in (("figure", out["data"], out["metadata"]), ("log", log, {})):
            if key not in shown:
                shown[key] = _display(bundle, raw=True, metadata=meta, display_id=True)
            else:
                shown[key].update(bundle, raw=True, metadata=meta)

    try:
        run.wait(timeout=timeout, on_update=redraw)
    finally:
        redraw(run, final=True)
    return _check(run, raise_on_failure)


def _check(run: RunHandle, raise_on_failure: bool) -> RunHandle:
    from .pipeline.runs import SUCCEEDED

    if raise_on_failure and run.state != SUCCEEDED:
        from .errors import JobFailedError

        raise JobFailedError(f"pipeline run {run.run_id}", run.state, run.error,
                             f"see `kfsm-lab pipeline status {run.run_id}`")
    return run


def show_figures(report: PredictionReport, n: int = 30, lang: str | None = None) -> None:
    """Display the prediction figures (each with alt text, scaled to the page), labelled so a headless
    run saves each under its name."""
    from .widgets.render import figure_output

    for name, (fig, alt) in report.figures_with_alt(n, lang).items():
        out = figure_output(fig, f"predictions_{name}", alt)
        _display(out["data"], raw=True, metadata=out["metadata"])
    why = report.explanation(lang)
    if why:
        from .predictions import code_spans

        _display({"text/html": f'<p class="kfsm-explain" role="note">{code_spans(why)}</p>', "text/plain": why},
                 raw=True)


def summary(settings: Settings, run: RunHandle | None = None, report: PredictionReport | None = None,
            cleanup_report: CleanupReport | None = None) -> dict[str, Any]:
    """What ``kfsm-lab run`` writes to summary.json — no secret in it."""
    out: dict[str, Any] = {"target": settings.target, "region": settings.region, "bucket": settings.bucket,
                           "role_arn": settings.role_arn}
    if run is not None:
        d = run.to_dict()
        out.update(run_id=run.run_id, state=run.state, links=d.get("links"))
        steps = []
        for s in d["steps"]:
            start, end = s.get("start"), s.get("end")
            steps.append({"name": s["name"], "state": s["state"], "job_name": s.get("job_name"),
                          "seconds": round(end - start, 2) if isinstance(start, (int, float))
                          and isinstance(end, (int, float)) else None})
        out["steps"] = steps
    if report is not None:
        out.update(accuracy=round(report.accuracy, 4), per_digit=report.to_dict()["per_digit"],
                   endpoint=report.endpoint)
    if cleanup_report is not None:
        out["cleanup"] = [f"{i.action} {i.kind} {i.name}" for i in cleanup_report.items]
    return out


def record_summary(settings: Settings, run: RunHandle | None = None, report: PredictionReport | None = None,
                   cleanup_report: CleanupReport | None = None) -> dict[str, Any]:
    """Display the run's summary (machine-readable for ``kfsm-lab run``, a short table for people)."""
    from .display import table

    data = summary(settings, run, report, cleanup_report)
    from .i18n import state_word, step_label, t

    rows = [(step_label(s), s["state"], "" if s["seconds"] is None else f"{s['seconds']:.1f} s")
            for s in data.get("steps", [])]
    head = t(None, "fig.run_title", run_id=data.get("run_id", "—"), target=data["target"],
             state=state_word(data.get("state")) or "—")
    if "accuracy" in data:
        head += " · " + t(None, "cli.accuracy", accuracy=f"{data['accuracy']:.1%}")
    _display({SUMMARY_MIME: data, "text/html": table(["step", "state", "time"], rows, head, status_col=1),
              "text/plain": json.dumps(data, indent=1, default=str)}, raw=True)
    return data


def panel(settings: Settings | None = None, lang: str | None = None, pipeline: Any = None) -> Any:
    """Show the control panel when a person is at the notebook; under papermill do nothing, return None.

    ``pipeline`` (the notebook's ``@dsl.pipeline`` function, or its name, looked up when the button is
    pressed) is what its Run pipeline button submits; without one it runs the kit's packaged pipeline.

    Every button is one of the calls above, and the panel follows what the cells do (and the other
    way round): it reads the same state folder, run records and cloud. ``lang`` None follows
    ``KFSM_LANG``, JupyterLab's language setting, then the locale.
    """
    from .widgets import show

    return show(settings, lang=lang, pipeline=pipeline)
