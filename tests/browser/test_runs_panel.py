"""The runs panel lists recent runs with their steps, follows a running one, links to KFP."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from kfsm_lab.names import STEPS, new_run_id
from kfsm_lab.pipeline import runs

from .conftest import requires_chromium
from .labpage import LabPage

pytestmark = [pytest.mark.browser, requires_chromium]

KFP_RUN = "https://kubeflow.example.org/pipeline/#/runs/details/0a1b2c3d"


def _record(target: str, state: str, step_states: list[str]) -> dict[str, Any]:
    """A cluster run as the kit remembers it (what a handle last saw), written the way handles write it."""
    rec = {"run_id": new_run_id(), "kfp_run_id": str(uuid.uuid4()), "target": target, "region": "us-west-2",
           "links": {"run": KFP_RUN}, "last_seen_at": time.time(),
           "last_seen": {"state": state, "error": None,
                         "steps": [{"name": n, "state": st, "job_name": f"kfsm-x-{n}", "depends_on": []}
                                   for n, st in zip(STEPS, step_states, strict=True)]}}
    _save(rec)
    return rec


def _save(rec: dict[str, Any]) -> None:
    runs.save(runs.RunRecord.model_validate(rec))


def _step(rec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in rec["last_seen"]["steps"] if s["name"] == name)


def test_runs_panel_lists_and_follows_runs(lab: LabPage, lab_server):
    done = _record("aws", "succeeded", ["succeeded"] * 4)
    live = _record("aws", "running", ["succeeded", "running", "pending", "pending"])
    _step(live, STEPS[1])["job_status"] = "InProgress"
    _save(live)

    lab.side_tab("kfsm-lab-runs").click()
    panel = lab.page.locator(".kfsm-lab-runs-panel")
    expect(panel).to_be_visible()
    live_item = panel.locator(f".kfsm-lab-run[data-run-id='{live['run_id']}']")
    done_item = panel.locator(f".kfsm-lab-run[data-run-id='{done['run_id']}']")
    expect(live_item).to_have_attribute("data-state", "running", timeout=15_000)
    expect(done_item).to_have_attribute("data-state", "succeeded")
    expect(live_item.locator(".kfsm-lab-step")).to_have_count(4)
    running_step = live_item.locator(f".kfsm-lab-step[data-step='{STEPS[1]}']")
    expect(running_step).to_have_attribute("data-state", "running")
    expect(running_step.locator(".kfsm-lab-step-state")).to_have_text("InProgress")
    expect(live_item.locator("a.kfsm-lab-link", has_text="KFP run")).to_have_attribute("href", KFP_RUN)
    expect(live_item.locator(".kfsm-lab-predictions")).to_be_disabled()
    lab.screenshot("runs-running")

    # the run goes on: the panel follows without a click
    _step(live, STEPS[1]).update(state="succeeded", job_status="Completed")
    _step(live, STEPS[2])["state"] = "running"
    _save(live)
    expect(live_item.locator(f".kfsm-lab-step[data-step='{STEPS[2]}']")).to_have_attribute(
        "data-state", "running", timeout=15_000)
    live["last_seen"]["state"] = "failed"
    _step(live, STEPS[2]).update(state="failed",
                                 failure_reason="ClientError: feature_dim 10 does not match the data (784)")
    live["last_seen"]["error"] = "sagemaker-batch-transformation failed"
    _save(live)
    expect(live_item).to_have_attribute("data-state", "failed", timeout=15_000)
    expect(live_item.locator(".kfsm-lab-failure")).to_contain_text("feature_dim 10 does not match")
    expect(live_item.locator(".kfsm-lab-error").last).to_contain_text("batch-transformation failed")
    lab.screenshot("runs-finished")

    # a succeeded run opens the notebook where its predictions are drawn
    done_item.locator(".kfsm-lab-predictions").click()
    expect(lab.tab("sagemaker_pipeline.ipynb")).to_be_visible(timeout=30_000)
