"""The bundled notebooks run headless (papermill) on the local target, and fail early on bad input."""

import json
import os
import subprocess
import sys

import nbformat
import pytest

from kfsm_lab.config import load_settings
from kfsm_lab.notebooks import run_notebook
from kfsm_lab.provision import secret_store

pytestmark = pytest.mark.slow


def _secrets() -> list[str]:
    rec = secret_store.load(load_settings(target="local")) or {}
    return [v for k, v in rec.items() if k in ("access_key_id", "secret_access_key") and v]


def test_kfsm_lab_run_end_to_end(local_cloud, tmp_path, monkeypatch):
    """The README's main job on a fresh state folder: it starts its own local cloud, writes a complete
    summary, and stops the cloud it started."""
    out = tmp_path / "out"
    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path / "state"))
    r = subprocess.run([sys.executable, "-m", "kfsm_lab", "run", "-o", str(out), "--no-progress"],
                       capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert r.returncode == 0, r.stdout + r.stderr
    status = subprocess.run([sys.executable, "-m", "kfsm_lab", "local", "status"], capture_output=True,
                            text=True, env=os.environ.copy())
    assert status.returncode == 3, "the local cloud this command started is stopped at the end"
    summary = json.loads((out / "summary.json").read_text())
    for key in ("target", "run_id", "accuracy", "steps", "wall_seconds", "output_notebook"):
        assert key in summary, key
    assert summary["target"] == "local" and summary["state"] == "succeeded"
    assert summary["accuracy"] > 0.3
    assert [s["state"] for s in summary["steps"]] == ["succeeded"] * 4
    assert all(isinstance(s["seconds"], float) for s in summary["steps"])
    names = {os.path.basename(p) for p in summary["figures"]}
    assert {"progress.png", "predictions_digits.png", "predictions_confusion.png",
            "predictions_centroids.png"} <= names
    nb = nbformat.read(summary["output_notebook"], as_version=4)
    pngs = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) >= 4
    text = (out / "sagemaker_pipeline.ipynb").read_text() + r.stdout + r.stderr + \
        (out / "summary.json").read_text()
    secrets = _secrets()
    assert secrets, "setup stored the pipeline key"
    for s in secrets:
        assert s not in text
    assert "held-out accuracy" in r.stdout


def test_japanese_notebook_runs(local_cloud, tmp_path):
    run = run_notebook("ja/sagemaker_pipeline", {"target": "local"}, tmp_path, progress=False)
    assert run.ok, run.error
    assert run.summary["state"] == "succeeded"


def test_invalid_role_arn_stops_in_the_first_cell(local_cloud, tmp_path):
    run = run_notebook("sagemaker_pipeline", {"role_arn": "arn:aws:iam::123456789012:user/sagemakeruser"},
                       tmp_path, progress=False)
    assert not run.ok
    assert "ValidationError" in run.error and "IAM user ARN" in run.error
    nb = nbformat.read(str(run.notebook), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # parameters, injected parameters, then the settings cell: that is where it stops
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed == [2]
    assert all(c.get("execution_count") is None for c in code[3:])


def test_the_tuning_step_runs_in_the_notebook_and_its_best_hyperparameters_train(local_cloud, tmp_path):
    run = run_notebook("sagemaker_pipeline", {"target": "local", "tune": True}, tmp_path, progress=False)
    assert run.ok, run.error
    steps = {s["name"]: s for s in run.summary["steps"]}
    assert steps["sagemaker-hyperparameter-tuning"]["state"] == "succeeded"
    assert run.summary["state"] == "succeeded" and len(steps) == 5
    sm = local_cloud.client("sagemaker")
    hpo = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=steps[
        "sagemaker-hyperparameter-tuning"]["job_name"])
    best = hpo["BestTrainingJob"]["TunedHyperParameters"]
    trained = sm.describe_training_job(TrainingJobName=steps["sagemaker-training-job"]["job_name"])["HyperParameters"]
    assert best and all(trained[k] == v for k, v in best.items()), (best, trained)
    assert hpo["TrainingJobStatusCounters"]["Completed"] == 9
