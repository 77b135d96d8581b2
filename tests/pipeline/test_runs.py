"""Run records: damaged ones are set aside and named, never fatal to a listing or to other runs."""

from __future__ import annotations

import json

from kfsm_lab.pipeline import list_runs, runs


def test_damaged_records_are_set_aside(local_cloud, caplog):
    folder = runs.runs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    good = runs.RunRecord(run_id="rec-good", kfp_run_id="0000", target="aws", created_at=runs.now())
    runs.save(good)
    (folder / "rec-yesterday.json").write_text(json.dumps({"run_id": "rec-yesterday", "kfp_run_id": "1",
                                                           "target": "aws", "created_at": "yesterday"}))
    (folder / "rec-list.json").write_text("[1, 2]")
    (folder / "rec-nosteps.json").write_text(json.dumps({"run_id": "rec-nosteps"}))
    (folder / "rec-truncated.json").write_text('{"run_id": "rec-trunc')
    rows = {r["run_id"]: r for r in list_runs(limit=500)}
    assert "rec-good" in rows and not {"rec-yesterday", "rec-list", "rec-nosteps"} & set(rows)
    aside = sorted(p.name for p in folder.glob("*.bad-*"))
    assert any(n.startswith("rec-yesterday.json.bad-") for n in aside)
    assert any(n.startswith("rec-nosteps.json.bad-") for n in aside)
    assert "rec-yesterday.json" in caplog.text and "run record" in caplog.text  # named, with its path
    assert runs.load("rec-good") == good
    assert runs.load("rec-truncated") is None
