"""Suite-wide rules. Under CI=true a skipped test is a failure: CI must have everything."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not item.get_closest_marker("skip_ok_in_ci"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI (CI=true turns skips into failures): {reason}"


def pytest_configure(config):
    config.addinivalue_line("markers", "skip_ok_in_ci: a skip that is legitimate even in CI")
