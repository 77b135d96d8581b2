"""Run progress for people: events from a run handle, a redrawn matplotlib figure, a tqdm bar.

Every view works from ``RunHandle.to_dict()`` snapshots, so it can be drawn from a recorded or
synthetic snapshot as well as from a live run.
"""

from __future__ import annotations

from .events import RunEvent, diff, watch
from .figure import LiveFigure, progress_figure, watch_figure
from .terminal import tqdm_watch

__all__ = ["LiveFigure", "RunEvent", "diff", "progress_figure", "tqdm_watch", "watch", "watch_figure"]
