"""Events, figure and tqdm view from synthetic snapshots (the live-run checks are in tests/pipeline)."""

from __future__ import annotations

import io

import pytest
from matplotlib.figure import Figure

from kfsm_lab.monitor import diff, progress_figure
from kfsm_lab.monitor.figure import LiveFigure, headline, metric_line, progress_alt, training_log
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
    extra = [t.get_text() for t in fig.texts] + [fig.get_supxlabel() if hasattr(fig, "get_supxlabel") else ""]
    return "\n".join(parts + extra + [ax.get_title(loc="left") for ax in fig.axes])


def test_figure_shows_where_the_run_is(tmp_path):
    fig = progress_figure(syn.mid_training(), now=syn.T0 + 7, lang="en")
    assert isinstance(fig, Figure) and len(fig.axes) == 1  # the timeline only: no log or one-bar chart in it
    text = _texts(fig)
    assert ": running" in text and "now: training job – Training" in text
    assert "Downloading" in text and "not started" in text
    timeline = fig.axes[0]
    running = [p for p in timeline.patches if p.get_hatch() == "///"]
    assert len(running) == 1  # exactly one bar is drawn as running
    phase_colours = {tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color()
                     for line in timeline.lines if len(line.get_xdata()) == 2 and line.get_linestyle() == "-"}
    assert "#1a73e8" not in phase_colours  # phase ticks are never the running blue
    fig.savefig(tmp_path / "mid.png")
    assert (tmp_path / "mid.png").stat().st_size > 10_000


def test_figure_finished_and_failed():
    done = _texts(progress_figure(syn.finished(), now=syn.T0 + 20, lang="en"))
    assert ": succeeded" in done and "InService" in done
    metric = metric_line(syn.finished(), "en")
    assert "train:msd = 38.2" in metric and "mean squared distance" in metric  # text beside it, explained
    failed = progress_figure(syn.failed(), now=syn.T0 + 20, lang="en")
    assert "training job failed" in failed.axes[0].get_title(loc="left")


def test_figure_in_japanese_and_its_alt_text():
    fig = progress_figure(syn.finished(), now=syn.T0 + 20, lang="ja")
    text = _texts(fig)
    assert "成功" in text and "トレーニングジョブ" in text and "実行開始からの秒数" in fig.axes[0].get_xlabel()
    alt = progress_alt(syn.finished(), "en")
    assert alt.startswith("Progress of pipeline run") and "deploy endpoint succeeded" in alt


def test_japanese_labels_draw_with_a_cjk_font(recwarn):
    from kfsm_lab.fonts import cjk_families

    if not cjk_families():
        pytest.skip("no CJK font: apt-get install fonts-noto-cjk")
    import io as _io

    progress_figure(syn.finished(), now=syn.T0 + 20, lang="ja").savefig(_io.BytesIO(), format="png", dpi=60)
    missing = [str(w.message) for w in recwarn if "missing from font" in str(w.message)]
    assert missing == [], missing[:3]


def test_a_cleaned_up_endpoint_is_shown_deleted():
    text = _texts(progress_figure(syn.finished(), now=syn.T0 + 20, lang="en", endpoint_gone=True))
    assert "endpoint deleted by clean up" in text and "InService" not in text.split("deploy endpoint")[-1]


def test_training_log_is_whole_lines_beside_the_figure():
    lines = training_log(syn.mid_training())
    assert lines == ["[kmeans] epoch 1", "[kmeans] epoch 2"]


def test_live_figure_redraws_the_same_figure():
    live = LiveFigure(lang="en")
    a = live.update(syn.mid_training(), now=syn.T0 + 7)
    b = live.update(syn.finished(), now=syn.T0 + 20)
    assert a is b and ": succeeded" in _texts(b)


def test_headline_names_the_active_step():
    snap = syn.mid_training()
    snap["steps"][0]["secondary_status"] = None
    assert headline(snap, "en").endswith("training job – InProgress")


def test_figure_output_is_responsive_with_alt_text_at_high_density():
    import base64
    import io as _io

    from PIL import Image

    from kfsm_lab.widgets.render import figure_output

    fig = progress_figure(syn.finished(), now=syn.T0 + 20, lang="en")
    out = figure_output(fig, "progress", "Progress of run r1")
    html = out["data"]["text/html"]
    assert 'alt="Progress of run r1"' in html and "max-width:100%" in html
    img = Image.open(_io.BytesIO(base64.b64decode(out["data"]["image/png"])))
    shown = out["metadata"]["image/png"]["width"]
    assert img.width >= 1.5 * shown  # rendered at 1.5× the shown density (150 dpi for 100 css px per inch)


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
    assert f"{len(syn.NAMES)}/{len(syn.NAMES)}" in text
