"""The enablement rules and the status line, stated directly over frozen pictures (no I/O)."""

from dataclasses import replace

import pytest

from kfsm_lab.widgets import rules
from kfsm_lab.widgets.snapshot import GONE, Progress

SETUP = {"kind": "setup", "at": 10.0, "role_arn": "arn:aws:iam::123456789012:role/r", "bucket": "b-1"}


def run(state, steps=None, finished=None):
    steps = steps or [{"name": "sagemaker-training-job", "state": "succeeded"},
                      {"name": "sagemaker-create-model", "state": "running", "job_status": None},
                      {"name": "sagemaker-batch-transformation", "state": "pending"},
                      {"name": "sagemaker-deploy-model", "state": "pending"}]
    return {"run_id": "r1", "state": state, "created_at": 20.0, "finished_at": finished, "steps": steps,
            "outputs": {"endpoint_name": "kfsm-r1-endpoint"}, "log_path": None}


def pic(**kw):
    base = Progress(target="local", region="us-west-2", fields={"role_arn": "", "bucket": ""},
                    field_errors={"role_arn": None, "bucket": None})
    return replace(base, **kw)


def test_nothing_yet():
    assert rules.enabled(pic()) == {"check", "setup"}


def test_after_setup_run_and_cleanup_open():
    assert rules.enabled(pic(setup=SETUP)) == {"check", "setup", "run_pipeline", "cleanup"}


def test_while_a_run_goes_only_check_and_stop():
    p = pic(setup=SETUP, run=run("running"))
    assert rules.enabled(p) == {"check", "cancel"}
    assert "r1" in rules.why_not("run_pipeline", p, "en")
    assert rules.status(p, "en") == "Pipeline run r1: step 2 of 4, create model (running)."
    assert "4 ステップ中 2 番目" in rules.status(p, "ja")


def test_predict_follows_the_endpoint_not_the_run_record():
    done = run("succeeded", finished=30.0)
    assert "predict" in rules.enabled(pic(setup=SETUP, run=done, endpoint_status="InService"))
    gone = pic(setup=SETUP, run=done, endpoint_status=GONE)
    assert "predict" not in rules.enabled(gone)
    assert "deleted" in rules.why_not("predict", gone, "en")
    assert "since been deleted" in rules.status(gone, "en")
    creating = pic(setup=SETUP, run=done, endpoint_status="Creating")
    assert "Creating" in rules.why_not("predict", creating, "en")


def test_busy_cell_and_invalid_fields_win():
    p = pic(setup=SETUP, busy="setup")
    assert rules.enabled(p) == set() and rules.status(p, "en") == "Set up: working…"
    assert rules.enabled(pic(setup=SETUP, cell_running=True)) == set()
    bad = pic(field_errors={"role_arn": "A role ARN looks like…", "bucket": None})
    assert rules.enabled(bad) == set()


def test_a_restarted_local_cloud_asks_for_setup_again():
    p = pic(setup_lost="the local cloud was restarted")
    assert "Set up again" in rules.why_not("run_pipeline", p, "en")
    assert rules.status(p, "en").startswith("The local cloud was restarted")
    assert "cleanup" in rules.enabled(p)


def test_last_action_shows_until_something_newer():
    p = pic(setup=SETUP)
    assert rules.status(p, "en", ("status.check_ok", {"count": 9}, 11.0)).startswith("Check setup: all 9")
    later = pic(setup=SETUP, run=run("running"))
    assert rules.status(later, "en", ("status.check_ok", {"count": 9}, 11.0)).startswith("Pipeline run r1")


@pytest.mark.parametrize("steps", [3, 6])
def test_any_number_of_steps(steps):
    st = [{"name": f"task-{i}", "display_name": f"Task {i}", "state": "succeeded"} for i in range(steps - 1)]
    st.append({"name": "last", "state": "failed", "failure_reason": "boom"})
    p = pic(setup=SETUP, run=run("failed", st, finished=40.0))
    assert p.current_step()[0] == steps
    assert rules.status(p, "en") == "Pipeline run r1 ended failed."
