"""Without the server extension the frontend says so, instead of failing quietly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import requires_chromium, run_lab
from .labpage import LabPage

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture(scope="module")
def bare_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with run_lab(tmp_path_factory.mktemp("jhome-bare"), kfsm_server_extension=False) as server:
        yield server


def test_missing_server_extension_is_reported(page: Page, bare_lab: dict[str, Any], artifacts_dir: Path):
    lab = LabPage(page, bare_lab, artifacts_dir, "server_missing")
    lab.open()
    toast = page.locator(".Toastify__toast", has_text="server extension appears to be missing")
    expect(toast).to_be_visible(timeout=20_000)
    expect(toast).to_contain_text("jupyter server extension enable kfsm_lab")
    expect(lab.status_item(".kfsm-lab-costguard")).to_have_text("kfsm_lab: server extension missing")
    lab.screenshot("warning")
