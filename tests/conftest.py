"""Suite-wide rules. Under CI=true a skipped test is a failure: CI must have everything."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    xfailed = hasattr(report, "wasxfail")  # an expected failure is reported as skipped; it is not a missing tool
    if IN_CI and report.skipped and not xfailed and not item.get_closest_marker("skip_ok_in_ci"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI (CI=true turns skips into failures): {reason}"


def pytest_configure(config):
    config.addinivalue_line("markers", "skip_ok_in_ci: a skip that is legitimate even in CI")


# --- local cloud (shared by setup, pipeline, predictions and localcloud tests) ---------------------

@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory):
    """A local cloud for the whole session, in a private state folder, at pace 0 (instant).

    KFSM_STATE_DIR is set for the session so subprocesses inherit it and a developer's own local
    cloud is never touched.
    """
    from kfsm_lab.localcloud import ensure_running, stop

    old = os.environ.get("KFSM_STATE_DIR")
    os.environ["KFSM_STATE_DIR"] = str(tmp_path_factory.mktemp("kfsm-state"))
    info = ensure_running(pace=0)
    try:
        yield info
    finally:
        stop()
        if old is None:
            os.environ.pop("KFSM_STATE_DIR", None)
        else:
            os.environ["KFSM_STATE_DIR"] = old


@pytest.fixture(scope="session")
def boto_session(local_cloud):
    """A boto3 Session with the local cloud's keys and region (never the user's credentials)."""
    return local_cloud.session()


@pytest.fixture(scope="session")
def local_client(local_cloud, boto_session):
    """``local_client("s3")`` → a boto3 client pointed at the local cloud."""

    def make(service: str, **kwargs):
        kwargs.setdefault("endpoint_url", local_cloud.endpoint_url)
        return boto_session.client(service, **kwargs)

    return make


@pytest.fixture()
def separate_cloud(local_cloud, tmp_path_factory):
    """``with separate_cloud(pace=...):`` — a second local cloud with its own state folder.

    For tests that need another pace or that delete everything the kit made; the session cloud
    and its state come back afterwards.
    """
    import contextlib

    from kfsm_lab.localcloud import ensure_running, stop

    @contextlib.contextmanager
    def make(pace: float = 0.0):
        old = os.environ["KFSM_STATE_DIR"]
        os.environ["KFSM_STATE_DIR"] = str(tmp_path_factory.mktemp("kfsm-state-separate"))
        try:
            yield ensure_running(pace=pace)
        finally:
            stop()
            os.environ["KFSM_STATE_DIR"] = old

    return make


@pytest.fixture(autouse=True)
def _kfp_environment():
    """Tests that load the server extension in this process (or call kl.local_cloud) set KF_PIPELINES_*;
    put them back so no other test's links or hosts depend on the order the tests ran in."""
    names = ("KF_PIPELINES_ENDPOINT", "KF_PIPELINES_UI_ENDPOINT")
    saved = {n: os.environ.get(n) for n in names}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
