"""The whole exercise through the panel on the local target: real local cloud over HTTP, kfp.local.

Buttons are clicked, the controller's worker does the work, and the test waits the way a headless
notebook would (``controller.wait()``); then it reads what a user would see in the widgets.
"""

import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from kfsm_lab import aws
from kfsm_lab.config import load_settings
from kfsm_lab.widgets import panel

pytestmark = pytest.mark.slow


@pytest.fixture()
def fresh_settings(local_cloud):
    """Local-target settings with names of their own, so tests never share IAM users or buckets."""
    tag = uuid.uuid4().hex[:8]
    return load_settings(target="local", region="us-west-2", iam_user=f"wuser-{tag}", role_name=f"wrole-{tag}",
                         bucket=f"kfsm-widgets-{tag}")


def enabled(p):
    return {a for a, b in p.buttons.items() if not b.disabled}


def pngs(out):
    return [o for o in out.outputs if o.get("output_type") == "display_data" and o["data"].get("image/png")]


def click_and_wait(p, action, timeout=240):
    p.buttons[action].click()
    assert p.controller.wait(timeout), f"{action} still busy after {timeout} s"
    err = p.controller.last_error
    assert err is None, f"{action} failed: {err.message} / {err.hint}"


def test_everything_is_disabled_while_an_action_is_busy(fresh_settings):
    p = panel(fresh_settings)
    entered, release = threading.Event(), threading.Event()

    def hold(event):  # keeps the worker at its start, so the busy state can be looked at
        if event.kind == "started":
            entered.set()
            release.wait(30)

    p.controller.add_listener(hold)
    p.buttons["check"].click()
    try:
        assert entered.wait(10)
        assert p.controller.busy and p.controller.busy_action == "check"
        assert enabled(p) == set()
        assert all(x.disabled for x in p.inputs.values()) and p.include_bucket.disabled
        assert "⏳" in p.status.value and "Check setup" in p.status.value
        p.buttons["setup"].click()  # a second click while busy is refused with the reason, nothing queued
        assert "kfsm-error" in p.error.value and "still running" in p.error.value
    finally:
        release.set()
    assert p.controller.wait(120)
    assert not p.controller.busy
    assert enabled(p) == {"check", "setup"}
    assert not any(x.disabled for x in p.inputs.values())
    assert "Doctor" in p.report.value  # the doctor's table (before setup some checks fail, with fixes)


def test_failure_becomes_an_error_box_with_its_hint(fresh_settings, local_cloud):
    # a bucket that already exists in another region: setup must stop and say what to do
    s3 = aws.client(load_settings(target="local", region="us-east-1"), "s3")
    s3.create_bucket(Bucket=fresh_settings.bucket)
    p = panel(fresh_settings, lang="ja")
    events = []
    p.controller.add_listener(events.append)
    p.buttons["setup"].click()
    assert p.controller.wait(120)
    err = p.controller.last_error
    assert err is not None and err.action == "setup" and err.kind == "ConfigurationError"
    assert "us-east-1" in err.message and err.hint
    assert [e.kind for e in events if e.action == "setup"][-1] == "failed"
    assert "kfsm-error" in p.error.value and "「セットアップ」に失敗しました" in p.error.value
    assert "対処法" in p.error.value and "us-east-1" in p.error.value
    assert "run_pipeline" not in enabled(p)  # setup did not succeed
    assert "「セットアップ」に失敗しました" in p.status.value


def test_setup_run_predict_cleanup_through_the_panel(fresh_settings):
    p = panel(fresh_settings)
    p.controller.poll_interval = 0.3
    assert p.role_arn.value == "" and "run_pipeline" not in enabled(p)

    click_and_wait(p, "setup")
    assert p.role_arn.value.endswith(f":role/{fresh_settings.role_name}")  # adopted into the field
    assert p.bucket.value == fresh_settings.bucket
    assert {"run_pipeline", "cleanup"} <= enabled(p) and "predict" not in enabled(p)
    assert "Setup" in p.report.value

    p.buttons["run_pipeline"].click()
    assert {"check", "setup", "run_pipeline", "predict", "cleanup"}.isdisjoint(enabled(p))
    assert p.progress.layout.visibility == "visible"
    assert p.controller.wait(300)
    err = p.controller.last_error
    assert err is None, f"{err.message} / {err.hint}"
    handle = p.controller.handle
    assert handle.state == "succeeded"
    assert p.progress.value == p.progress.max == 4 and p.progress.bar_style == "success"
    assert len(pngs(p.progress_out)) == 1  # the live figure, replaced in place rather than piled up
    assert handle.run_id in p.status.value and "succeeded" in p.status.value
    assert "predict" in enabled(p)

    click_and_wait(p, "predict")
    report = p.controller.results["predict"]
    assert 0.0 <= report.accuracy <= 1.0
    figures = pngs(p.results_out)
    assert len(figures) >= 2 and {o["metadata"]["kfsm-lab"]["figure"] for o in figures} >= {"digits", "confusion"}
    assert "accuracy" in p.status.value

    p.include_bucket.value = True
    p.include_iam.value = True
    click_and_wait(p, "cleanup")
    items = p.controller.results["cleanup"].items
    assert any(i.kind == "endpoint" and i.action == "deleted" for i in items)
    assert any(i.kind == "bucket" for i in items) and any(i.kind == "iam role" for i in items)
    assert enabled(p) == {"check", "setup"}  # all gone: start again from setup
    sm = aws.client(fresh_settings, "sagemaker")
    assert sm.list_endpoints(NameContains=handle.run_id)["Endpoints"] == []
    with pytest.raises(ClientError):  # the bucket is really gone
        aws.client(fresh_settings, "s3").head_bucket(Bucket=fresh_settings.bucket)


def test_stop_run_cancels_the_pipeline(fresh_settings):
    p = panel(fresh_settings)
    p.controller.poll_interval = 0.3
    click_and_wait(p, "setup")
    running = threading.Event()
    p.controller.add_listener(lambda e: e.kind == "progress" and running.set())
    p.buttons["run_pipeline"].click()
    assert running.wait(60), "no progress event from the run"
    assert enabled(p) == {"cancel"}  # while a run goes, stopping it is the one thing to do
    p.buttons["cancel"].click()
    assert p.controller.wait(120)
    handle = p.controller.handle
    assert handle.state == "canceled", handle.to_dict()
    err = p.controller.last_error
    assert err is not None and err.kind == "JobFailedError" and "canceled" in err.message
    assert p.progress.bar_style == "danger" and "kfsm-error" in p.error.value
    assert "predict" not in enabled(p) and {"run_pipeline", "cleanup"} <= enabled(p)
    click_and_wait(p, "cleanup")  # nothing of the stopped run keeps billing
    sm = aws.client(fresh_settings, "sagemaker")
    assert sm.list_endpoints(NameContains=handle.run_id)["Endpoints"] == []
