"""The run's progress as one matplotlib figure, redrawn from each snapshot.

One bar per step on a time axis (seconds since the run started), coloured by state — grey pending,
blue running (and striped), green succeeded, red failed, orange canceled — with the training job's
SageMaker phases as thin grey ticks under its bar and a dashed "now" line. The title says where the
run is; the training metric (:func:`metric_line`) and the training log (:func:`training_log`) are
shown as text beside the figure, not inside it. Labels follow ``lang``. Functions return a ``Figure``; nothing
calls ``plt.show()``.
"""

from __future__ import annotations

import time
from typing import Any

from ..i18n import t

STATE_COLORS = {"pending": "#d0d4d9", "running": "#1a73e8", "succeeded": "#188038", "failed": "#d93025",
                "canceling": "#e37400", "canceled": "#e37400", "skipped": "#bdc1c6"}
TEXT = "#202124"
MUTED = "#5f6368"
TICK = "#3c4043"
TRAIN_STEP = "sagemaker-training-job"


def _t0(snap: dict[str, Any]) -> float:
    starts = [s["start"] for s in snap.get("steps", []) if s.get("start")]
    return snap.get("started_at") or snap.get("created_at") or (min(starts) if starts else time.time())


def _label(step: dict[str, Any], lang: str) -> str:
    from ..i18n import step_label

    return step_label(step, lang)


def _state(state: str | None, lang: str) -> str:
    from ..i18n import state_word

    return state_word(state, lang)


def _endpoint_step(snap: dict[str, Any]) -> str | None:
    name = (snap.get("outputs") or {}).get("endpoint_name")
    for st in snap.get("steps", []):
        if st.get("kind") == "Endpoint" or (name and st.get("job_name") == name):
            return st["name"]
    return None


def headline(snap: dict[str, Any], lang: str = "en") -> str:
    text = t(lang, "fig.run_title", run_id=snap.get("run_id"), target=snap.get("target"),
             state=_state(snap.get("state"), lang))
    active = [s for s in snap.get("steps", []) if s.get("state") in ("running", "canceling")]
    failed = [s for s in snap.get("steps", []) if s.get("state") == "failed"]
    if active:
        parts = []
        for s in active:
            status = s.get("secondary_status") or s.get("job_status")
            parts.append(_label(s, lang) + (f" – {status}" if status else ""))
        text += "  ·  " + t(lang, "fig.now", steps=", ".join(parts))
    elif failed:
        text += "  ·  " + t(lang, "fig.failed_step", step=_label(failed[0], lang))
    return text


def _status_label(st: dict[str, Any], lang: str, gone: bool) -> str:
    if gone:
        return t(lang, "fig.endpoint_deleted")
    label = _state(st.get("state"), lang)
    if st.get("job_status"):
        label += f" · {st['job_status']}"
    if st.get("secondary_status") and st.get("secondary_status") != st.get("job_status"):
        label += f" / {st['secondary_status']}"
    return label


def _draw_timeline(ax: Any, snap: dict[str, Any], now: float, lang: str, endpoint_gone: bool) -> None:
    t0 = _t0(snap)
    steps = snap.get("steps", [])
    finished = snap.get("finished_at")
    end_of_view = max(1.0, (finished or now) - t0)
    gone_step = _endpoint_step(snap) if endpoint_gone else None
    for row, st in enumerate(steps):
        y = len(steps) - 1 - row
        state = st.get("state", "pending")
        color = STATE_COLORS.get(state, "#9aa0a6")
        start, end = st.get("start"), st.get("end")
        if start is None:
            ax.barh(y, end_of_view, left=0, height=0.55, color="none", edgecolor="#9aa0a6", linestyle=":")
            ax.text(end_of_view * 0.01, y, " " + t(lang, "fig.not_started"), va="center", fontsize=10, color=MUTED)
            continue
        left = start - t0
        stop = end or (finished if state not in ("running", "pending") else None) or now
        width = max(stop - start, end_of_view * 0.004)
        running = state in ("running", "canceling")
        ax.barh(y, width, left=left, height=0.55, color=color, edgecolor=color,
                hatch="///" if running else None, alpha=0.85 if running else 1.0)
        for ph in st.get("phases") or []:  # SageMaker's phases: grey ticks under the bar, never blue
            if ph.get("start") is None:
                continue
            p_left = ph["start"] - t0
            ax.plot([p_left, p_left], [y - 0.36, y - 0.28], color=TICK, linewidth=1)
            p_end = ph.get("end") or (end or now)
            if p_end - ph["start"] > end_of_view * 0.12:
                ax.text(p_left + end_of_view * 0.005, y - 0.36, ph.get("status", ""), ha="left", va="top",
                        fontsize=8.5, color=MUTED)
        ax.text(left + width + end_of_view * 0.01, y, _status_label(st, lang, st["name"] == gone_step),
                va="center", fontsize=10, color=TEXT)
    if not finished:
        ax.axvline(now - t0, color=TICK, linewidth=1, linestyle="--")
        ax.text(now - t0, len(steps) - 0.45, " " + t(lang, "fig.now_line"), fontsize=9, color=TICK, va="bottom")
    ax.set_yticks(range(len(steps)))
    ax.set_yticklabels([_label(s, lang) for s in reversed(steps)], fontsize=10, color=TEXT)
    ax.set_xlim(0, end_of_view * 1.45)
    ax.set_ylim(-0.8, len(steps) - 0.4)
    ax.set_xlabel(t(lang, "fig.seconds"), fontsize=10, color=TEXT)
    ax.tick_params(axis="x", labelsize=9, colors=TEXT)
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def metric_line(snap: dict[str, Any], lang: str = "en") -> str:
    train = next((s for s in snap.get("steps", []) if s["name"] == TRAIN_STEP), {})
    metrics = train.get("metrics") or {}
    if not metrics:
        return t(lang, "fig.no_metric") if train else ""
    return "; ".join(t(lang, "fig.metric", name=k, value=f"{v:.4g}") for k, v in sorted(metrics.items()))


def trials_lines(snap: dict[str, Any], lang: str = "en") -> list[str]:
    """A tuning step's trials, one line each with its objective, the best one marked (beside the figure)."""
    tuning = next((s for s in snap.get("steps", []) if s.get("kind") == "tuning_job"), None)
    trials = ((tuning or {}).get("sagemaker") or {}).get("trials") or []
    if not trials:
        return []
    metric = next(iter((tuning or {}).get("metrics") or {"test:msd": None}), "test:msd")
    out = [t(lang, "fig.trials", count=len(trials), metric=metric)]
    for trial in trials:
        value = trial.get("objective")
        out.append(t(lang, "fig.trial_best" if trial.get("best") else "fig.trial", name=trial.get("name"),
                     status=trial.get("status") or "",
                     value="—" if value is None else f"{value:.4g}"))
    return out


def training_log(snap: dict[str, Any], lines: int = 12) -> list[str]:
    """The newest training log lines (shown beside the figure, whole, never cut by it)."""
    train = next((s for s in snap.get("steps", []) if s["name"] == TRAIN_STEP), {})
    return [str(x) for x in (train.get("logs") or [])[-lines:]]


def progress_alt(snap: dict[str, Any], lang: str = "en", endpoint_gone: bool = False) -> str:
    """Alt text: every step and its state, in words."""
    gone_step = _endpoint_step(snap) if endpoint_gone else None
    parts = [f"{_label(s, lang)} {_status_label(s, lang, s['name'] == gone_step)}" for s in snap.get("steps", [])]
    return t(lang, "fig.progress_alt", run_id=snap.get("run_id"), summary="; ".join(parts))


def progress_figure(snapshot: dict[str, Any], now: float | None = None, fig: Any = None, lang: str | None = None,
                    endpoint_gone: bool = False) -> Any:
    """Draw (or redraw into ``fig``) the progress of one run snapshot and return the Figure.

    ``endpoint_gone`` marks the endpoint's step as deleted (a clean-up after the run).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from ..fonts import use_cjk_fallback
    from ..i18n import resolve

    lang = resolve(lang)
    use_cjk_fallback()
    now = now if now is not None else time.time()
    n = max(1, len(snapshot.get("steps", [])))
    size = (8.0, 1.6 + 0.55 * n)
    if fig is None:
        fig = Figure(figsize=size, layout="constrained")
    else:
        fig.clear()
        fig.set_size_inches(*size)
    ax = fig.add_subplot()
    _draw_timeline(ax, snapshot, now, lang, endpoint_gone)
    state = snapshot.get("state", "")
    ax.set_title(headline(snapshot, lang), fontsize=11, loc="left",
                 color=STATE_COLORS["failed"] if state in ("failed", "canceled") else TEXT)
    handles = [Patch(color=STATE_COLORS[s], label=_state(s, lang)) for s in ("pending", "succeeded", "failed",
                                                                             "canceled")]
    handles.insert(1, Patch(facecolor=STATE_COLORS["running"], hatch="///", edgecolor=STATE_COLORS["running"],
                            alpha=0.85, label=t(lang, "fig.legend_running")))
    fig.legend(handles=handles, loc="outside lower center", fontsize=9, ncol=5, frameon=False)
    fig.patch.set_facecolor("white")
    return fig


class LiveFigure:
    """One figure kept up to date: ``update(snapshot)`` redraws it and refreshes its notebook output."""

    def __init__(self, lang: str | None = None) -> None:
        self.fig = None
        self.lang = lang
        self._display = None

    def update(self, snapshot: dict[str, Any], now: float | None = None) -> Any:
        self.fig = progress_figure(snapshot, now=now, fig=self.fig, lang=self.lang)
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return self.fig
        if get_ipython() is None:
            return self.fig
        if self._display is None:
            self._display = display(self.fig, display_id=True)
        else:
            self._display.update(self.fig)
        return self.fig


def watch_figure(handle: Any, timeout: float | None = None, interval: float | None = None) -> Any:
    """Redraw the figure as the run goes (in a notebook the output updates in place); returns it at the end."""
    live = LiveFigure()
    interval = interval if interval is not None else (0.5 if handle.target == "local" else 5.0)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        live.update(handle.refresh().to_dict())
        if handle.done or (deadline is not None and time.monotonic() >= deadline):
            return live.fig
        time.sleep(interval)
