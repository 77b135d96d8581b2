"""The local Kubeflow Pipelines through the real kfp.Client (and raw HTTP for what the client hides)."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
import warnings

import pytest

from kfsm_lab.localkfp.spare import AFTER_RUN_SECONDS

from . import kfp_pipelines as pl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(local_cloud):
    import kfp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return kfp.Client(host=local_cloud.kfp_endpoint)


def _http(local_cloud, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(local_cloud.kfp_endpoint + path, data=body, method=method,  # noqa: S310
                                 headers=headers or ({"Content-Type": "application/json"} if body else {}))
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - 127.0.0.1
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _submit(client, pipeline, arguments=None, experiment="local-kfp-tests"):
    return client.create_run_from_pipeline_func(pipeline, arguments=arguments or {}, experiment_name=experiment)


def _wait(client, run_id, timeout=120, until=("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED")):
    deadline = time.monotonic() + timeout
    while True:
        run = client.get_run(run_id)
        if str(run.state) in until:
            return run
        assert time.monotonic() < deadline, f"run still {run.state}"
        time.sleep(0.2)


def _times(task):
    return task.start_time.timestamp(), task.end_time.timestamp()


def test_healthz_and_experiments(client, local_cloud):
    a = client.create_experiment("exp-one")
    again = client.create_experiment("exp-one")  # kfp.Client finds it by the display-name filter
    assert a.experiment_id == again.experiment_id
    assert client.get_experiment(experiment_name="exp-one").experiment_id == a.experiment_id
    assert client.get_kfp_healthz().multi_user is False
    status, body = _http(local_cloud, "POST", "/apis/v2beta1/experiments", json.dumps({"display_name": "exp-one"})
                         .encode())
    assert status == 409 and json.loads(body)["code"] == 6
    status, body = _http(local_cloud, "GET", "/apis/v2beta1/experiments/no-such-experiment")
    assert status == 404 and json.loads(body) == {"error": "experiment no-such-experiment not found", "code": 5,
                                                  "message": "experiment no-such-experiment not found", "details": []}


def test_a_run_with_task_details_logs_and_listing(client, local_cloud):
    result = _submit(client, pl.adder, {"a": 5})
    run = client.wait_for_run_completion(result.run_id, timeout=120, sleep_duration=0.2)
    assert run.state == "SUCCEEDED" and run.error is None
    tasks = {t.display_name: t for t in run.run_details.task_details}
    assert set(tasks) == {"add", "show", "show-a"} and all(t.state == "SUCCEEDED" for t in tasks.values())
    assert _times(tasks["add"])[1] <= _times(tasks["show"])[0]  # show ran after add
    assert [h.state for h in run.state_history] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert run.runtime_config.parameters == {"a": 5}
    listed = client.list_runs(experiment_id=run.experiment_id, page_size=100, sort_by="created_at desc")
    assert listed.runs[0].run_id == run.run_id
    status, log = _http(local_cloud, "GET", f"/k8s/pod/logs?podname={tasks['add'].pod_name}")
    assert status == 200 and b"adding 5 and 2" in log
    status, page = _http(local_cloud, "GET", "/")
    assert status == 200 and b"runs/details" in page


def test_a_run_leaves_no_workspace_behind(client):
    """kfp.local's own default makes a /tmp/kfp-workspace-* folder for every run and never removes it."""
    import glob
    import tempfile

    from kfsm_lab.localkfp.store import RunFiles, kfp_dir

    pattern = os.path.join(tempfile.gettempdir(), "kfp-workspace-*")
    before = set(glob.glob(pattern))
    run = _wait(client, _submit(client, pl.adder, {"a": 1}).run_id)
    assert run.state == "SUCCEEDED", run.error
    assert set(glob.glob(pattern)) <= before
    files = RunFiles(kfp_dir(), run.run_id)
    assert files.runner_log.exists() and not files.workspace.exists()


def test_independent_tasks_run_side_by_side(client):
    run = client.wait_for_run_completion(_submit(client, pl.two_naps, {"seconds": 1.5}).run_id, timeout=120,
                                         sleep_duration=0.2)
    assert run.state == "SUCCEEDED"
    (a0, a1), (b0, b1) = (_times(t) for t in run.run_details.task_details)
    assert a0 < b1 and b0 < a1  # the two naps overlapped, as on a cluster


def test_a_failing_task_fails_the_run_with_its_reason(client, local_cloud):
    run = _wait(client, _submit(client, pl.fails, {"message": "the data was wrong"}).run_id)
    assert run.state == "FAILED"
    tasks = {t.display_name: t for t in run.run_details.task_details}
    assert tasks["add"].state == "SUCCEEDED" and tasks["boom"].state == "FAILED"
    assert tasks["boom"].error.message == "ValueError: the data was wrong"
    assert run.error.message == "task boom failed: ValueError: the data was wrong"
    _, log = _http(local_cloud, "GET", f"/k8s/pod/logs?podname={tasks['boom'].pod_name}")
    assert b"Traceback" in log


def test_control_flow_runs_through_kfp_local(client):
    run = _wait(client, _submit(client, pl.branches, {"a": 3}).run_id)
    assert run.state == "SUCCEEDED", run.error
    assert {t.display_name for t in run.run_details.task_details} >= {"add", "show"}


def test_two_runs_at_once_both_complete(client):
    ids = [_submit(client, pl.adder, {"a": i}).run_id for i in range(2)]
    assert [_wait(client, i).state for i in ids] == ["SUCCEEDED", "SUCCEEDED"]


def test_terminate_cancels_the_running_task(client):
    run_id = _submit(client, pl.long_nap, {"seconds": 60}).run_id
    _wait(client, run_id, until=("RUNNING",))
    while not client.get_run(run_id).run_details.task_details:
        time.sleep(0.1)
    client.terminate_run(run_id)
    run = _wait(client, run_id, timeout=30)
    assert run.state == "CANCELED"
    assert [t.state for t in run.run_details.task_details] == ["CANCELED"]
    assert [h.state for h in run.state_history][-2:] == ["CANCELING", "CANCELED"]


def test_a_runner_that_dies_ends_its_run_failed(client, local_cloud):
    from kfsm_lab.localkfp.store import Store

    run_id = _submit(client, pl.long_nap, {"seconds": 60}).run_id
    _wait(client, run_id, until=("RUNNING",))
    files = Store().run(run_id)
    while not files.status().tasks:
        time.sleep(0.1)
    os.killpg(files.status().pid, signal.SIGKILL)  # the runner, as after a crash
    run = _wait(client, run_id, timeout=30)
    assert run.state == "FAILED" and "ended unexpectedly" in run.error.message


@pytest.mark.parametrize(("body", "fragment"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (json.dumps({"display_name": "x"}).encode(), "pipeline_spec must be a JSON object"),
    (json.dumps({"pipeline_spec": {"root": {}}}).encode(), "needs a display_name"),
    (json.dumps({"display_name": "x", "pipeline_spec": {"nonsense": 1}}).encode(), "not a valid PipelineSpec"),
])
def test_malformed_runs_are_400_with_the_reason(local_cloud, body, fragment):
    status, answer = _http(local_cloud, "POST", "/apis/v2beta1/runs", body)
    assert status == 400, answer
    doc = json.loads(answer)
    assert doc["code"] == 3 and fragment in doc["message"]


def test_specs_the_runner_cannot_run_are_refused_at_create(client, local_cloud, tmp_path):
    from kfp_server_api.exceptions import ApiException

    with pytest.raises(ApiException) as err:
        _submit(client, pl.container)
    assert err.value.status == 400 and "container component (image alpine:3)" in err.value.body
    with pytest.raises(ApiException) as err:
        _submit(client, pl.needs_b)
    assert err.value.status == 400 and "needs a value for b" in err.value.body
    with pytest.raises(ApiException) as err:
        _submit(client, pl.adder, {"c": 1})
    assert err.value.status == 400 and "has no parameter c" in err.value.body
    status, body = _http(local_cloud, "GET", "/apis/v2beta1/runs/3f2a0c1e-0000-0000-0000-000000000000")
    assert status == 404 and json.loads(body)["code"] == 5
    status, _ = _http(local_cloud, "GET", "/apis/v2beta1/runs?page_size=0")
    assert status == 400


def test_cross_site_requests_are_refused(local_cloud):
    spec = json.dumps({"display_name": "x"}).encode()
    status, body = _http(local_cloud, "POST", "/apis/v2beta1/experiments", spec,
                         {"Content-Type": "application/json", "Origin": "http://evil.example"})
    assert status == 403 and b"cross-origin" in body
    status, body = _http(local_cloud, "POST", "/apis/v2beta1/experiments", spec, {"Content-Type": "text/plain"})
    assert status == 400 and b"application/json" in body
    status, _ = _http(local_cloud, "OPTIONS", "/apis/v2beta1/experiments", None,
                      {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    req = urllib.request.Request(local_cloud.kfp_endpoint + "/apis/v2beta1/healthz",  # noqa: S310
                                 headers={"Origin": "http://evil.example"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        assert "Access-Control-Allow-Origin" not in resp.headers


def _spare_pids(cloud_pid: int) -> set[int]:
    """Runners the cloud started with ``--spare`` (idle, or since become a run's runner)."""
    from pathlib import Path

    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == cloud_pid and b"kfsm_lab.localkfp.runner" in cmd and b"--spare" in cmd:
            found.add(int(proc.name))
    return found


def _a_new_spare(cloud_pid: int, besides: set[int], timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = _spare_pids(cloud_pid) - besides
        if fresh:
            return fresh.pop()
        time.sleep(0.05)
    raise AssertionError("no spare runner started")


def test_a_run_starts_on_the_spare_runner_and_the_next_spare_is_started(client, local_cloud):
    from kfsm_lab.localkfp.store import Store

    used = {Store().run(r.run_id).status().pid for r in client.list_runs(page_size=100).runs or []}
    spare = _a_new_spare(local_cloud.pid, used)
    run_id = _submit(client, pl.adder, {"a": 4, "b": 5}).run_id
    assert _wait(client, run_id).state == "SUCCEEDED"
    assert Store().run(run_id).status().pid == spare  # the run's runner is the spare that was waiting
    _a_new_spare(local_cloud.pid, used | {spare})


def test_the_next_spare_waits_for_the_run_to_end(client, local_cloud):
    from kfsm_lab.localkfp.store import Store

    used = {Store().run(r.run_id).status().pid for r in client.list_runs(page_size=100).runs or []}
    spare = _a_new_spare(local_cloud.pid, used)
    run_id = _submit(client, pl.long_nap, {"seconds": 2.0}).run_id
    deadline = time.monotonic() + 30
    while str(client.get_run(run_id).state) != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # a spare started beside the run would be there by now
    assert str(client.get_run(run_id).state) == "RUNNING"
    assert _spare_pids(local_cloud.pid) - used == {spare}  # the run's runner only: its steps have the machine
    assert _wait(client, run_id).state == "SUCCEEDED"
    time.sleep(AFTER_RUN_SECONDS / 2)
    assert _spare_pids(local_cloud.pid) - used - {spare} == set()  # the run's caller has the machine first
    _a_new_spare(local_cloud.pid, used | {spare})


def test_a_run_submitted_before_the_next_spare_starts_at_once(client, local_cloud):
    first = _submit(client, pl.adder, {"a": 1, "b": 2}).run_id
    assert _wait(client, first).state == "SUCCEEDED"
    second = _submit(client, pl.adder, {"a": 2, "b": 3}).run_id  # no spare yet: a runner of its own
    assert _wait(client, second).state == "SUCCEEDED"


def test_a_run_starts_even_when_the_spare_runner_died(client, local_cloud):
    from kfsm_lab.localkfp.store import Store

    used = {Store().run(r.run_id).status().pid for r in client.list_runs(page_size=100).runs or []}
    spare = _a_new_spare(local_cloud.pid, used)
    os.kill(spare, signal.SIGKILL)
    run_id = _submit(client, pl.adder, {"a": 1, "b": 1}).run_id
    assert _wait(client, run_id).state == "SUCCEEDED"
    assert Store().run(run_id).status().pid != spare
    _a_new_spare(local_cloud.pid, used | {spare, Store().run(run_id).status().pid})
