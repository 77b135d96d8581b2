"""The run view's pure parts: graph order, headline, change detection, and bounded log reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfsm_lab.errors import ValidationError
from kfsm_lab.server import runview, tasklogs


def _step(name: str, state: str, deps: list[str], kind: str | None = None, **extra) -> dict:
    return {"name": name, "display_name": name, "state": state, "depends_on": deps, "kind": kind,
            "job_name": f"kfsm-x-{name}" if kind else None, "start": extra.pop("start", None), "end": None, **extra}


def _run(state: str, steps: list[dict], error: str | None = None) -> dict:
    return {"run_id": "r1", "target": "local", "state": state, "steps": steps, "error": error}


def test_five_task_graph_headline_now_and_next():
    steps = [_step("evaluate", "pending", ["transform"]), _step("train", "succeeded", []),
             _step("model", "succeeded", ["train"], "model"),
             _step("transform", "running", ["model"], "transform_job", start=100.0, job_status="InProgress"),
             _step("deploy", "running", ["model"], "endpoint", start=101.0, job_status="Creating")]
    view = runview.run_view(_run("running", steps), now=112.0)
    ordered = [t["name"] for t in runview.topological(view["tasks"])]
    assert ordered.index("train") < ordered.index("model") < ordered.index("transform") < ordered.index("evaluate")
    h = view["headline"]
    assert [n["task"] for n in h["now"]] == ["transform", "deploy"]
    assert h["now"][0]["status"] == "InProgress" and h["now"][0]["start"] == 100.0
    assert [n["task"] for n in h["next"]] == ["evaluate"]
    assert h["failed"] is None and (h["done"], h["total"]) == (2, 5)
    assert view["tasks"][3]["duration"] == 12.0  # transform, running for 12 s at "now"


def test_failed_headline_names_the_first_failed_task_and_its_reason():
    steps = [_step("train", "failed", [], "training_job", failure_reason="ClientError: feature_dim"),
             _step("model", "skipped", ["train"])]
    h = runview.run_view(_run("failed", steps, error="train: ClientError: feature_dim"))["headline"]
    assert h["failed"] == {"task": "train", "display_name": "train", "reason": "ClientError: feature_dim"}
    assert h["next"] == [] and h["now"] == []


def test_a_cycle_or_an_unknown_dependency_never_loops():
    steps = [_step("a", "pending", ["b"]), _step("b", "pending", ["a", "ghost"])]
    view = runview.run_view(_run("pending", steps))
    assert sorted(t["name"] for t in runview.topological(view["tasks"])) == ["a", "b"]
    assert view["tasks"][1]["depends_on"] == ["a"]


def test_fingerprint_ignores_the_clock_but_not_a_state_change():
    steps = [_step("train", "running", [], "training_job", start=1.0)]
    a, b = runview.run_view(_run("running", steps), now=5.0), runview.run_view(_run("running", steps), now=9.0)
    assert runview.fingerprint(a) == runview.fingerprint(b)
    steps[0]["state"] = "succeeded"
    assert runview.fingerprint(runview.run_view(_run("running", steps))) != runview.fingerprint(a)


def test_a_big_log_is_read_in_bounded_chunks_cut_at_line_ends(tmp_path: Path):
    log = tmp_path / "task.log"
    line = "\x1b[32mINFO\x1b[0m step output " + "x" * 80 + "\n"
    log.write_text(line * 60_000)  # ~6.5 MB
    size = log.stat().st_size
    assert size > 5 * 1024 * 1024
    first = tasklogs.read_file_chunk(log, 0, tail=tasklogs.CHUNK)
    assert first["offset"] > 0 and first["next_offset"] == size  # the tail, starting at a whole line
    assert first["text"].startswith("INFO step output") and "\x1b" not in first["text"]
    offset, chunks, total = 0, 0, 0
    while offset < size:
        part = tasklogs.read_file_chunk(log, offset)
        assert len(part["text"].encode()) <= tasklogs.CHUNK and part["text"].endswith("\n")
        offset, chunks, total = part["next_offset"], chunks + 1, total + part["text"].count("\n")
    assert total == 60_000 and chunks >= size // tasklogs.CHUNK
    assert tasklogs.read_file_chunk(log, size)["text"] == ""
    assert tasklogs.read_file_chunk(tmp_path / "missing.log", 0)["exists"] is False


@pytest.mark.parametrize("raw", ["-1", "abc", "1.5"])
def test_bad_offsets_are_refused(raw: str):
    with pytest.raises(ValidationError, match="offset"):
        tasklogs.parse_offset(raw)
