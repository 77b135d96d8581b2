"""The notebook panel end to end in a real JupyterLab, as a workshop attendee clicks through it.

One notebook cell shows ``kl.panel(...)`` on the local target in the lab's region. The kernel and
the lab's server extension inherit the same ``KFSM_STATE_DIR`` from the test session, so the panel,
the status-bar cost guard, the runs panel and the test's own boto3 clients all see one local cloud.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect
from server.endpoint_factory import Clients, clients, live_kit_endpoints

from kfsm_lab.names import STEPS

from .conftest import requires_chromium
from .labpage import LabPage
from .panelpage import Panel

pytestmark = [pytest.mark.browser, requires_chromium]

NOTEBOOK = "panel_flow.ipynb"
ACTION_TIMEOUT_MS = 60_000  # setup, a whole local run, predictions: seconds each on an idle machine
SUCCEEDED = re.compile(r"Pipeline run (\S+) succeeded: endpoint (\S+) is in service\.")
STARTED = re.compile(r"Pipeline run (\S+)")


def _count_text(n: int) -> re.Pattern[str]:
    return re.compile(rf"^{n} SageMaker endpoints? live")


def _write_notebook(root: Path, region: str) -> None:
    code = ("import kfsm_lab as kl\n"
            f"kl.panel(kl.load_settings(target='local', region={region!r}))")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / NOTEBOOK)


def click_and_wait(panel: Panel, label: str, done: re.Pattern[str]) -> str:
    """Click an action and wait for the status line to say it ended; fail fast on the error box."""
    panel.button(label).click()
    ended = re.compile(rf"{done.pattern}|failed")
    text = panel.wait_status(ended, ACTION_TIMEOUT_MS)
    if panel.error.is_visible():
        raise AssertionError(f"{label} failed: {panel.error.inner_text()}")
    assert done.search(text), text
    return text


@pytest.fixture
def cloud(local_cloud: Any, lab_server: dict[str, Any]) -> Clients:
    """Clients on the lab's local cloud, in the lab's region."""
    return clients(local_cloud.endpoint_url, local_cloud.access_key_id, local_cloud.secret_access_key,
                   lab_server["region"])


@pytest.fixture
def shut_kernels(lab_server: dict[str, Any]) -> Iterator[None]:
    """Shut the notebook's kernel down afterwards: its panel must not outlive the test in the shared lab."""
    yield
    api = f"{lab_server['base']}/api/sessions"
    headers = {"Authorization": f"token {lab_server['token']}"}
    with urllib.request.urlopen(urllib.request.Request(api, headers=headers), timeout=10) as r:  # noqa: S310
        sessions = json.load(r)
    for session in sessions:
        if session.get("path", "").endswith(NOTEBOOK):
            req = urllib.request.Request(f"{api}/{session['id']}", headers=headers, method="DELETE")  # noqa: S310
            urllib.request.urlopen(req, timeout=10).close()  # noqa: S310


def test_panel_setup_run_predict_then_costguard_and_runs(lab: LabPage, lab_server: dict[str, Any],
                                                         clean_root: Path, cloud: Clients,
                                                         shut_kernels: None) -> None:
    before = live_kit_endpoints(cloud)
    _write_notebook(clean_root, lab_server["region"])
    lab.open_notebook(NOTEBOOK)
    lab.run_all_cells()
    panel = Panel(lab)  # shown by `kl.panel(...)` alone: visible by default in an interactive kernel
    expect(panel.root).to_be_visible(timeout=30_000)
    expect(panel.root).to_contain_text("Kubeflow Pipelines + Amazon SageMaker")
    expect(panel.status).to_contain_text("Ready.")
    for label in ("Check setup", "Set up"):
        expect(panel.button(label)).to_be_enabled()
    for label in ("Run pipeline", "Predict", "Clean up"):
        expect(panel.button(label)).to_be_disabled()
    lab.screenshot("panel")

    # a bad role ARN: its message at the field, and nothing can start until it is fixed
    role = panel.field("Execution role ARN")
    role.fill("arn:aws:iam::12345:role/short-account")
    expect(role).to_have_attribute("aria-invalid", "true")
    expect(panel.root.locator(".kfsm-field-message:visible")).to_contain_text("12-digit account")
    expect(panel.button("Set up")).to_be_disabled()
    lab.screenshot("bad-role-arn")
    role.fill("")
    expect(role).to_have_attribute("aria-invalid", "false")
    expect(panel.button("Set up")).to_be_enabled()

    # Set up fills in the role and bucket it settled on
    click_and_wait(panel, "Set up", re.compile(r"Set up done"))
    expect(role).to_have_value(re.compile(r"^arn:aws:iam::\d{12}:role/"))
    expect(panel.field("S3 bucket")).not_to_have_value("")
    expect(panel.button("Run pipeline")).to_be_enabled()

    # Run: the step bar and the progress figure, then every step done
    panel.button("Run pipeline").click()
    status = panel.wait_status(SUCCEEDED, ACTION_TIMEOUT_MS)
    m = SUCCEEDED.search(status)
    assert m is not None
    run_id, endpoint = m.group(1), m.group(2)
    expect(panel.root.locator(".kfsm-figure img[alt^='Progress of pipeline run']")).to_have_count(1)
    expect(panel.root.locator(".kfsm-steps li[data-state='succeeded']")).to_have_count(len(STEPS))
    lab.screenshot("run-succeeded")

    # Predict: the prediction figures
    expect(panel.button("Predict")).to_be_enabled()
    click_and_wait(panel, "Predict", re.compile(r"Predictions from \S+: held-out accuracy \d"))
    figures = panel.root.locator(".widget-output").last.locator(".kfsm-figure img")
    expect(figures).to_have_count(3)  # digits, confusion, centroids
    for i in range(3):
        box = figures.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, box
    figures.first.scroll_into_view_if_needed()
    lab.screenshot("predictions")

    # the cost guard counts the run's endpoint; its panel deletes it
    assert live_kit_endpoints(cloud) == before | {endpoint}
    guard = lab.status_item(".kfsm-lab-costguard")
    expect(guard).to_have_text(_count_text(len(before) + 1), timeout=20_000)
    guard.click()
    endpoints_panel = lab.page.locator(".kfsm-lab-endpoints-panel")
    row = endpoints_panel.locator(f".kfsm-lab-endpoint-row[data-endpoint='{endpoint}']")
    expect(row).to_be_visible(timeout=20_000)
    expect(row).to_contain_text("InService")
    lab.screenshot("costguard-one-live")
    row.locator(".kfsm-lab-delete").click()
    dialog = lab.page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(endpoint)
    dialog.locator("button.jp-mod-warn", has_text="Delete").click()
    expect(endpoints_panel.locator(".kfsm-lab-message")).to_contain_text(f"Deleted {endpoint}", timeout=20_000)
    cloud.sagemaker.get_waiter("endpoint_deleted").wait(EndpointName=endpoint,
                                                         WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    endpoints_panel.locator(".kfsm-lab-refresh").click()
    expect(row).to_have_count(0, timeout=20_000)
    expect(guard).to_have_text(_count_text(len(before)), timeout=20_000)
    lab.screenshot("costguard-deleted")
    lab.tab(NOTEBOOK).click()
    expect(panel.button("Predict")).to_be_disabled(timeout=5_000)  # the panel saw the endpoint go
    expect(panel.status).to_contain_text("since been deleted")
    lab.screenshot("panel-after-costguard-delete")

    # the runs panel lists the run, every step succeeded
    lab.side_tab("kfsm-lab-runs").click()
    item = lab.page.locator(f".kfsm-lab-runs-panel .kfsm-lab-run[data-run-id='{run_id}']")
    expect(item).to_have_attribute("data-state", "succeeded", timeout=20_000)
    steps = item.locator(".kfsm-lab-step")
    expect(steps).to_have_count(len(STEPS))
    for name in STEPS:
        expect(item.locator(f".kfsm-lab-step[data-step='{name}']")).to_have_attribute("data-state", "succeeded")
    lab.screenshot("runs-panel")
