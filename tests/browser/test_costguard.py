"""The status bar counts the kit's live endpoints; its panel deletes one behind a confirmation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from server.endpoint_factory import KIT_TAG, Clients, clients, config_exists, live_kit_endpoints, make_endpoint, unique

from .conftest import requires_chromium
from .labpage import LabPage

pytestmark = [pytest.mark.browser, requires_chromium]


def _count_text(n: int) -> re.Pattern[str]:
    return re.compile(rf"^{n} SageMaker endpoints? live")


@pytest.fixture
def cloud(local_cloud: Any, lab_server: dict[str, Any]) -> Clients:
    """Clients in the lab's region, which only these tests use."""
    return clients(local_cloud.endpoint_url, local_cloud.access_key_id, local_cloud.secret_access_key,
                   lab_server["region"])


@pytest.fixture
def ui_endpoint(cloud: Clients) -> dict[str, str]:
    """A kit endpoint that exists before the page loads."""
    return make_endpoint(cloud, unique("kfsm-ui"), tags=[KIT_TAG])


def test_status_bar_counts_and_panel_deletes(ui_endpoint: dict[str, str], cloud: Clients, lab: LabPage):
    name = ui_endpoint["endpoint"]
    expected = live_kit_endpoints(cloud)
    assert expected == {name}
    status = lab.status_item(".kfsm-lab-costguard")
    expect(status).to_have_text(_count_text(len(expected)), timeout=20_000)
    expect(status).to_contain_text("local, no cost")  # the local cloud bills nothing: no price shown
    expect(status).not_to_contain_text("$")
    lab.screenshot("status-bar")

    status.click()
    panel = lab.page.locator(".kfsm-lab-endpoints-panel")
    expect(panel).to_be_visible()
    row = panel.locator(f".kfsm-lab-endpoint-row[data-endpoint='{name}']")
    expect(row).to_be_visible(timeout=20_000)
    expect(row).to_contain_text("ml.t2.medium")
    expect(row).to_contain_text("InService")
    expect(panel.locator(".kfsm-lab-cost")).to_have_text("Endpoints on the local cloud cost nothing.")
    expect(panel).not_to_contain_text("$")
    delete = row.get_by_role("button", name=f"Delete {name}")  # each row's button says which endpoint
    expect(delete).to_have_count(1)
    lab.screenshot("panel")

    # Cancel keeps it; the dialog opens with focus on Cancel, so Enter keeps it too
    delete.click()
    dialog = lab.page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(name)
    expect(dialog.locator("button", has_text="Cancel")).to_be_focused()
    lab.page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    assert name in live_kit_endpoints(cloud)
    delete.click()
    dialog.locator("button", has_text="Cancel").click()
    expect(dialog).to_have_count(0)
    assert name in live_kit_endpoints(cloud)

    # Delete, confirmed
    row.locator(".kfsm-lab-delete").click()
    expect(dialog).to_contain_text(ui_endpoint["config"])
    lab.screenshot("confirm")
    dialog.locator("button.jp-mod-warn", has_text="Delete").click()
    expect(panel.locator(".kfsm-lab-message")).to_contain_text(f"Deleted {name}", timeout=20_000)
    cloud.sagemaker.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert not config_exists(cloud, ui_endpoint["config"])
    panel.locator(".kfsm-lab-refresh").click()
    expect(row).to_have_count(0, timeout=20_000)
    expect(status).to_have_text(_count_text(len(live_kit_endpoints(cloud))), timeout=20_000)
    lab.screenshot("after-delete")
