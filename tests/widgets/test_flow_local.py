"""The whole exercise through the panel on the local target: real local cloud over HTTP, kfp.local.

Buttons are clicked, the controller's worker does the work, and the test waits the way a headless
notebook would; then it reads what a user would see in the widgets. The panel and "cells" (plain
``kl.*`` calls from the test) share one state: each sees what the other did.
"""

import re
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

import kfsm_lab as kl
from kfsm_lab import aws
from kfsm_lab.config import load_settings
from kfsm_lab.widgets import panel

pytestmark = pytest.mark.slow


@pytest.fixture()
def fresh_settings(separate_cloud):
    """Local-target settings with names of their own, on a local cloud and state folder of the test's own.

    The panel shows the newest run and the live endpoints of its target and region: with the session's
    cloud, whatever other tests on this worker left there would be in its picture.
    """
    tag = uuid.uuid4().hex[:8]
    with separate_cloud(pace=0):
        yield load_settings(target="local", region="eu-west-1", iam_user=f"wuser-{tag}", role_name=f"wrole-{tag}",
                            bucket=f"kfsm-widgets-{tag}")


@pytest.fixture()
def make():
    made = []

    def build(settings, **kw):
        p = panel(settings, lang=kw.pop("lang", "en"), **kw)
        p.controller.poll_interval = 0.3
        made.append(p)
        return p

    yield build
    for p in made:
        p.close()


def enabled(p):
    return {a for a, b in p.buttons.items() if not b.disabled}


def pngs(out):
    return [o for o in out.outputs if o.get("output_type") == "display_data" and o["data"].get("image/png")]


def click_and_wait(p, action, timeout=240):
    p.buttons[action].click()
    assert p.controller.wait(timeout), f"{action} still busy after {timeout} s"
    err = p.controller.last_error
    assert err is None, f"{action} failed: {err.message} / {err.hint}"


def until(cond, timeout=30.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(every)
    return False


def test_everything_is_disabled_while_an_action_is_busy(fresh_settings, make):
    p = make(fresh_settings, watch=False)
    entered, release = threading.Event(), threading.Event()

    def hold(event):  # keeps the worker at its start, so the busy state can be looked at
        if event.kind == "started":
            entered.set()
            release.wait(30)

    p.controller.add_listener(hold)
    threading.Thread(target=p.buttons["check"].click, daemon=True).start()
    try:
        assert entered.wait(10)
        assert p.controller.busy and p.controller.busy_action == "check"
        p.refresh()
        assert enabled(p) == set()
        assert all(x.disabled for x in p.inputs.values())
        assert p.notice.busy and "Check setup" in p.notice.status
    finally:
        release.set()
    assert p.controller.wait(120)
    assert not p.controller.busy
    # the panel applies the worker's last events on its own thread: within a second, not at the join
    assert until(lambda: enabled(p) == {"check", "setup"}, timeout=5), enabled(p)
    assert not any(x.disabled for x in p.inputs.values())
    assert until(lambda: "Doctor" in p.report.value, timeout=5)  # the doctor's table (some checks fail before setup)


def test_failure_becomes_one_error_box_with_its_hint(fresh_settings, make, local_cloud):
    # a bucket that already exists in another region: setup must stop and say what to do
    s3 = aws.client(load_settings(target="local", region="us-east-1"), "s3")
    s3.create_bucket(Bucket=fresh_settings.bucket)
    p = make(fresh_settings, lang="ja", watch=False)
    p.buttons["setup"].click()
    assert p.controller.wait(120)
    err = p.controller.last_error
    assert err is not None and err.action == "setup" and err.kind == "ConfigurationError"
    assert "us-east-1" in err.message and err.hint
    box = p.notice.error
    assert box["title"] == "「セットアップ」に失敗しました" and "us-east-1" in box["message"]
    assert err.message not in p.notice.status  # the reason is said once, in the box
    assert "run_pipeline" not in enabled(p)  # setup did not succeed
    assert p.notice.status == "「セットアップ」に失敗しました。下の枠をご覧ください。"


def test_setup_run_predict_cleanup_through_the_panel(fresh_settings, make):
    p = make(fresh_settings)
    c = p.controller
    assert p.role_arn.value == "" and "run_pipeline" not in enabled(p)

    click_and_wait(p, "setup")
    assert until(lambda: p.role_arn.value.endswith(f":role/{fresh_settings.role_name}"))  # adopted
    assert p.bucket.value == fresh_settings.bucket
    assert until(lambda: {"run_pipeline", "cleanup"} <= enabled(p)) and "predict" not in enabled(p)
    assert p.buttons["run_pipeline"].button_style == "primary"  # the next step stands out
    assert until(lambda: "Setup" in p.report.value, timeout=5)

    click_and_wait(p, "run_pipeline")
    assert until(lambda: c.progress.run is not None)
    seen = set()
    while c.progress.run_active:
        seen.add(frozenset(enabled(p)))
        states = set(re.findall(r'data-state="(\w+)"', p.steps.value))
        assert states <= {"pending", "running", "succeeded", "canceling"}, (states, c.progress.run)  # none failed
        time.sleep(0.2)
    assert frozenset({"check", "cancel"}) in seen  # while it ran, stopping it was the one thing to do
    pic = c.progress
    assert pic.run_state == "succeeded", pic.run
    assert until(lambda: "predict" in enabled(p), 10)
    assert p.steps.value.count('data-state="succeeded"') == len(pic.steps)
    assert len(pngs(p.progress_out)) == 1  # the figure, replaced in place rather than piled up
    assert pic.run_id in p.notice.status and "succeeded" in p.notice.status

    click_and_wait(p, "predict")
    assert until(lambda: len(pngs(p.results_out)) >= 2, 20)
    figures = pngs(p.results_out)
    assert {o["metadata"]["kfsm-lab"]["figure"] for o in figures} >= {"digits", "confusion"}
    assert all('alt="' in o["data"]["text/html"] and 'alt=""' not in o["data"]["text/html"] for o in figures)
    # the figures come from the journal's poll, the notice from the action's end: either may be first
    assert until(lambda: "accuracy" in p.notice.status, 10), p.notice.status
    assert "No cluster became a 5" in p.results_out.outputs[0]["data"]["text/html"]  # says why, k = 10

    p.include_bucket.value = True
    p.include_iam.value = True
    p.buttons["cleanup"].click()
    assert not c.busy  # asked first
    p.confirm_yes.click()
    assert c.wait(240) and c.last_error is None
    items = c.results["cleanup"].items
    assert any(i.kind == "endpoint" and i.action == "deleted" for i in items)
    assert any(i.kind == "bucket" for i in items) and any(i.kind == "iam role" for i in items)
    assert until(lambda: "predict" not in enabled(p) and "run_pipeline" not in enabled(p), 5)
    sm = aws.client(fresh_settings, "sagemaker")
    assert sm.list_endpoints(NameContains=pic.run_id)["Endpoints"] == []
    with pytest.raises(ClientError):  # the bucket is really gone
        aws.client(fresh_settings, "s3").head_bucket(Bucket=fresh_settings.bucket)


def test_the_panel_follows_the_cells_and_a_deleted_endpoint_turns_predict_off(fresh_settings, make):
    p = make(fresh_settings)
    c = p.controller
    settings = kl.setup(fresh_settings).settings  # "a cell" sets up…
    assert until(lambda: p.bucket.value == settings.bucket and "run_pipeline" in enabled(p), 5)
    run = kl.start_run(settings)  # …and starts a run: the panel shows it and offers Stop
    assert until(lambda: c.progress.run_id == run.run_id, 10)
    assert until(lambda: "cancel" in enabled(p) or c.progress.run_state == "succeeded", 10)
    run.wait(timeout=300)
    assert until(lambda: "predict" in enabled(p), 5), c.why_not("predict")
    sm = aws.client(settings, "sagemaker")
    sm.delete_endpoint(EndpointName=run.outputs["endpoint_name"])  # as the cost guard does
    t0 = time.monotonic()
    assert until(lambda: "predict" not in enabled(p), 5)
    took = time.monotonic() - t0
    # Within a second on an idle machine (one 0.3 s poll plus one describe); slack for a loaded CI box.
    assert took < 3.0, f"Predict still on {took:.2f} s after the endpoint was deleted"
    assert "deleted" in p.buttons["predict"].tooltip and "since been deleted" in p.notice.status
    kl.cleanup(settings, include_bucket=True, include_iam=True)


def test_stop_run_cancels_the_pipeline(fresh_settings, make):
    from kfsm_lab.localcloud import status

    p = make(fresh_settings)
    c = p.controller
    click_and_wait(p, "setup")
    status().admin("pace", {"pace": 1})  # this test's own cloud: slow enough that the run is there to stop
    click_and_wait(p, "run_pipeline")
    assert until(lambda: "cancel" in enabled(p), 60), ("no running run to stop", c.progress.run, c.last_error,
                                                      c._reader.error)
    assert p.buttons["cancel"].button_style == "danger"
    p.buttons["cancel"].click()
    assert until(lambda: c.progress.run_state == "canceled", 120), (c.progress.run_state, c.last_error)
    assert until(lambda: p.notice.error.get("message"), 5)
    box = p.notice.error
    assert ["run_pipeline", "Run again"] in box["fixes"] and "log" in box  # what to click, and the log
    assert c.progress.run_id in box["hint"]  # a command that works as printed, no RUN_ID placeholder
    # once the Stop action itself has returned (the run can end before it does): run again or clean up
    assert until(lambda: not c.busy, 30), c.busy_action
    assert "predict" not in enabled(p) and {"run_pipeline", "cleanup"} <= enabled(p)
    p.notice.click("dismiss")
    assert p.notice.error == {}
    p.buttons["cleanup"].click()
    p.confirm_yes.click()
    assert c.wait(240) and c.last_error is None  # nothing of the stopped run keeps billing
    sm = aws.client(fresh_settings, "sagemaker")
    assert sm.list_endpoints(NameContains=c.progress.run_id)["Endpoints"] == []
