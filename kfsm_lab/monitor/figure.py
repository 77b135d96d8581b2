"""The run's progress as one matplotlib figure, redrawn from each snapshot.

Top: one bar per step on a time axis (seconds since the run started), coloured by state, with the
training job's secondary-status phases drawn inside its bar and a "now" line. Bottom left: the
training metrics. Bottom right: the newest training log lines. The title says where the run is.
Functions return a ``Figure``; nothing calls ``plt.show()``.
"""

from __future__ import annotations

import time
from typing import Any

STATE_COLORS = {"pending": "#d9d9d9", "running": "#4c8bf5", "succeeded": "#34a853", "failed": "#ea4335",
                "canceling": "#fbbc04", "canceled": "#f29900", "skipped": "#bdbdbd"}
PHASE_COLORS = {"Starting": "#c6dbef", "Pending": "#c6dbef", "LaunchingMLInstances": "#9ecae1",
                "PreparingTrainingStack": "#9ecae1", "Downloading": "#6baed6", "DownloadingTrainingImage": "#6baed6",
                "Training": "#2171b5", "Uploading": "#08519c", "Completed": "#34a853", "Failed": "#ea4335",
                "Stopping": "#fbbc04", "Stopped": "#f29900", "MaxRuntimeExceeded": "#ea4335"}
SHORT = {"sagemaker-training-job": "training job", "sagemaker-create-model": "create model",
         "sagemaker-batch-transformation": "batch transform", "sagemaker-deploy-model": "deploy endpoint"}


def _t0(snap: dict[str, Any]) -> float:
    starts = [s["start"] for s in snap.get("steps", []) if s.get("start")]
    return snap.get("started_at") or snap.get("created_at") or (min(starts) if starts else time.time())


def _headline(snap: dict[str, Any]) -> str:
    state = snap.get("state", "?")
    active = [s for s in snap.get("steps", []) if s.get("state") == "running"]
    failed = [s for s in snap.get("steps", []) if s.get("state") == "failed"]
    text = f"run {snap.get('run_id')} ({snap.get('target')}): {state.upper()}"
    if active:
        parts = []
        for s in active:
            status = s.get("secondary_status") or s.get("job_status")
            parts.append(SHORT.get(s["name"], s["name"]) + (f" – {status}" if status else ""))
        text += "  ·  now: " + ", ".join(parts)
    elif failed:
        s = failed[0]
        reason = (s.get("failure_reason") or "").strip()
        reason = reason if len(reason) <= 110 else reason[:107] + "…"
        text += f"  ·  {SHORT.get(s['name'], s['name'])} failed" + (f"\n{reason}" if reason else "")
    return text


def _draw_timeline(ax: Any, snap: dict[str, Any], now: float) -> None:
    t0 = _t0(snap)
    steps = snap.get("steps", [])
    finished = snap.get("finished_at")
    end_of_view = max(1.0, (finished or now) - t0)
    for row, st in enumerate(steps):
        y = len(steps) - 1 - row
        state = st.get("state", "pending")
        color = STATE_COLORS.get(state, "#999999")
        start, end = st.get("start"), st.get("end")
        if start is None:
            ax.barh(y, end_of_view, left=0, height=0.6, color="none", edgecolor="#bdbdbd", linestyle=":")
            ax.text(end_of_view * 0.01, y, f" {state}", va="center", fontsize=9, color="#757575")
            continue
        left = start - t0
        width = max((end or (finished if state not in ("running", "pending") else None) or now) - start,
                    end_of_view * 0.004)
        ax.barh(y, width, left=left, height=0.6, color=color, alpha=0.55 if st.get("phases") else 0.9,
                edgecolor=color, hatch="//" if state == "running" else None)
        for ph in st.get("phases") or []:
            if ph.get("start") is None:
                continue
            p_left = ph["start"] - t0
            p_end = ph.get("end") or (end or now)
            p_w = max(p_end - ph["start"], end_of_view * 0.004)
            ax.barh(y, p_w, left=p_left, height=0.3, color=PHASE_COLORS.get(ph.get("status"), "#607d8b"))
            if p_w > end_of_view * 0.08:
                ax.text(p_left + p_w / 2, y - 0.38, ph.get("status", ""), ha="center", va="top", fontsize=7,
                        color="#37474f")
        label = state
        if st.get("job_status"):
            label += f" · {st['job_status']}"
        if st.get("secondary_status") and st.get("secondary_status") != st.get("job_status"):
            label += f"/{st['secondary_status']}"
        ax.text(left + width + end_of_view * 0.01, y, label, va="center", fontsize=9)
    if not finished:
        ax.axvline(now - t0, color="#424242", linewidth=1, linestyle="--")
        ax.text(now - t0, len(steps) - 0.45, " now", fontsize=8, color="#424242", va="bottom")
    ax.set_yticks(range(len(steps)))
    ax.set_yticklabels([SHORT.get(s["name"], s["name"]) for s in reversed(steps)])
    ax.set_xlim(0, end_of_view * 1.35)
    ax.set_ylim(-0.8, len(steps) - 0.4)
    ax.set_xlabel("seconds since the run started")
    ax.grid(axis="x", alpha=0.3)


def _draw_metrics(ax: Any, snap: dict[str, Any]) -> None:
    train = next((s for s in snap.get("steps", []) if s["name"] == "sagemaker-training-job"), {})
    metrics = train.get("metrics") or {}
    ax.set_title("training metric", fontsize=10, loc="left")
    if not metrics:
        msg = train.get("failure_reason") or "appears when the training job completes"
        ax.text(0.5, 0.5, msg, ha="center", va="center", fontsize=9, wrap=True, transform=ax.transAxes,
                color="#ea4335" if train.get("failure_reason") else "#757575")
        ax.set_axis_off()
        return
    names = sorted(metrics)
    values = [metrics[n] for n in names]
    bars = ax.barh(names, values, color="#4c8bf5")
    for bar, v in zip(bars, values, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:.4g}", va="center", fontsize=9)
    ax.set_xlim(0, max(values) * 1.3 if max(values) > 0 else 1)
    ax.tick_params(labelsize=8)


def _draw_logs(ax: Any, snap: dict[str, Any], lines: int = 8) -> None:
    ax.set_axis_off()
    ax.set_title("training log (newest)", fontsize=10, loc="left")
    train = next((s for s in snap.get("steps", []) if s["name"] == "sagemaker-training-job"), {})
    logs = [str(x)[:90] for x in (train.get("logs") or [])[-lines:]]
    if snap.get("error"):
        logs = [*logs[-(lines - 2):], "", "error: " + str(snap["error"])[:200]]
    ax.text(0, 1, "\n".join(logs) or "(no log lines yet)", va="top", ha="left", family="monospace",
            fontsize=7, transform=ax.transAxes, wrap=True)


def progress_figure(snapshot: dict[str, Any], now: float | None = None, fig: Any = None) -> Any:
    """Draw (or redraw into ``fig``) the progress of one run snapshot and return the Figure."""
    from matplotlib.figure import Figure

    now = now if now is not None else time.time()
    if fig is None:
        fig = Figure(figsize=(11, 5.2), layout="constrained")
    else:
        fig.clear()
    grid = fig.add_gridspec(2, 2, height_ratios=[1.5, 1], width_ratios=[1, 1.6])
    timeline = fig.add_subplot(grid[0, :])
    _draw_timeline(timeline, snapshot, now)
    timeline.set_title(_headline(snapshot), fontsize=11, loc="left",
                       color=STATE_COLORS.get(snapshot.get("state", ""), "#000000")
                       if snapshot.get("state") in ("failed", "canceled") else "#202124")
    from matplotlib.patches import Patch

    handles = [Patch(color=STATE_COLORS[s], label=s) for s in ("pending", "running", "succeeded", "failed",
                                                               "canceled")]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, ncol=5, frameon=False)
    _draw_metrics(fig.add_subplot(grid[1, 0]), snapshot)
    _draw_logs(fig.add_subplot(grid[1, 1]), snapshot)
    return fig


class LiveFigure:
    """One figure kept up to date: ``update(snapshot)`` redraws it and refreshes its notebook output."""

    def __init__(self) -> None:
        self.fig = None
        self._display = None

    def update(self, snapshot: dict[str, Any], now: float | None = None) -> Any:
        self.fig = progress_figure(snapshot, now=now, fig=self.fig)
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
