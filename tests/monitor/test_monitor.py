"""Events, figure and tqdm view from synthetic snapshots (the live-run checks are in tests/pipeline)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from kfsm_lab.monitor import diff, progress_figure
from kfsm_lab.monitor.figure import LiveFigure, _headline
from kfsm_lab.monitor.terminal import tqdm_watch

from . import synthetic as syn


def test_diff_reports_each_change_once():
    mid, end = syn.mid_training(), syn.finished()
    first = diff(None, mid, now=1)
    kinds = [(e.kind, e.step, e.value) for e in first]
    assert ("run_state", None, "running") in kinds
    assert ("step_state", "sagemaker-training-job", "running") in kinds
    assert ("secondary_status", "sagemaker-training-job", "Training") in kinds
    assert [e.value for e in first if e.kind == "log"] == ["[kmeans] epoch 1", "[kmeans] epoch 2"]
    assert diff(mid, mid) == []
    later = diff(mid, end, now=2)
    assert ("metric", "train:msd", "38.2") in [(e.kind, e.detail, e.value) for e in later]
    assert {e.step for e in later if e.kind == "step_state" and e.value == "succeeded"} == set(syn.NAMES)
    assert "sagemaker-training-job: step state → running" in [str(e) for e in first]


def test_failure_reason_is_an_event():
    events = diff(syn.mid_training(), syn.failed())
    assert any(e.kind == "failure" and "feature_dim" in e.value for e in events)
    assert any(e.kind == "run_state" and e.value == "failed" and "feature_dim" in (e.detail or "") for e in events)


def _texts(fig: Figure) -> str:
    parts = [t.get_text() for ax in fig.axes for t in [*ax.texts, *ax.get_yticklabels()]]
    return "\n".join(parts + [ax.get_title(loc="left") for ax in fig.axes])


def test_figure_shows_where_the_run_is(tmp_path):
    fig = progress_figure(syn.mid_training(), now=syn.T0 + 7)
    assert isinstance(fig, Figure)
    text = _texts(fig)
    assert "RUNNING" in text and "now: training job – Training" in text
    assert "Downloading" in text and "pending" in text
    timeline = fig.axes[0]
    running = [p for p in timeline.patches if p.get_hatch() == "//"]
    assert len(running) == 1  # exactly one bar is drawn as running
    fig.savefig(tmp_path / "mid.png")
    assert (tmp_path / "mid.png").stat().st_size > 10_000


def test_figure_finished_and_failed():
    done = _texts(progress_figure(syn.finished(), now=syn.T0 + 20))
    assert "SUCCEEDED" in done and "38.2" in done and "InService" in done
    failed = progress_figure(syn.failed(), now=syn.T0 + 20)
    assert "feature_dim 12" in failed.axes[0].get_title(loc="left")


def test_live_figure_redraws_the_same_figure():
    live = LiveFigure()
    a = live.update(syn.mid_training(), now=syn.T0 + 7)
    b = live.update(syn.finished(), now=syn.T0 + 20)
    assert a is b and "SUCCEEDED" in _texts(b)


def test_headline_names_the_active_step():
    snap = syn.mid_training()
    snap["steps"][0]["secondary_status"] = None
    assert _headline(snap).endswith("training job – InProgress")


class _Replay:
    """A stand-in run source that replays snapshots (the handle's interface: refresh/to_dict/done)."""

    target = "local"
    run_id = "r1"

    def __init__(self, snaps):
        self.snaps = list(snaps)
        self.cur = None

    def refresh(self):
        self.cur = self.snaps.pop(0) if self.snaps else self.cur
        return self

    def to_dict(self):
        return self.cur

    @property
    def done(self):
        return self.cur["state"] in ("succeeded", "failed", "canceled")


def test_tqdm_view_prints_events_and_counts_steps():
    out = io.StringIO()
    tqdm_watch(_Replay([syn.mid_training(), syn.finished()]), interval=0, file=out)
    text = out.getvalue()
    assert "run state → running" in text and "run state → succeeded" in text
    assert "4/4" in text
