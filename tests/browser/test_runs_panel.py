"""The runs panel lists recent runs with their steps, follows a running one, links to KFP."""

from __future__ import annotations

import os
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
    rec = runs.new_record(new_run_id(), target, {"target": target, "region": "us-west-2"}, {})
    rec["state"] = state
    rec["pid"] = os.getpid()  # a live process: the run is not mistaken for an abandoned one
    for name, step_state in zip(STEPS, step_states, strict=True):
        rec["steps"][name]["state"] = step_state
    if target == "aws":
        rec["links"] = {"run": KFP_RUN}
    runs.save(rec)
    return rec


def test_runs_panel_lists_and_follows_runs(lab: LabPage, lab_server):
    done = _record("local", "succeeded", ["succeeded"] * 4)
    live = _record("aws", "running", ["succeeded", "running", "pending", "pending"])
    live["steps"][STEPS[1]]["job_status"] = "InProgress"
    runs.save(live)

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
    live["steps"][STEPS[1]]["state"] = "succeeded"
    live["steps"][STEPS[1]]["job_status"] = "Completed"
    live["steps"][STEPS[2]]["state"] = "running"
    runs.save(live)
    expect(live_item.locator(f".kfsm-lab-step[data-step='{STEPS[2]}']")).to_have_attribute(
        "data-state", "running", timeout=15_000)
    live["state"] = "failed"
    live["steps"][STEPS[2]]["state"] = "failed"
    live["steps"][STEPS[2]]["failure_reason"] = "ClientError: feature_dim 10 does not match the data (784)"
    live["error"] = "sagemaker-batch-transformation failed"
    runs.save(live)
    expect(live_item).to_have_attribute("data-state", "failed", timeout=15_000)
    expect(live_item.locator(".kfsm-lab-failure")).to_contain_text("feature_dim 10 does not match")
    expect(live_item.locator(".kfsm-lab-error").last).to_contain_text("batch-transformation failed")
    lab.screenshot("runs-finished")

    # a succeeded run opens the notebook where its predictions are drawn
    done_item.locator(".kfsm-lab-predictions").click()
    expect(lab.tab("sagemaker_pipeline.ipynb")).to_be_visible(timeout=30_000)
