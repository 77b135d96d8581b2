"""The run page's routes against real runs on the local cloud: view, events, logs, details, S3, actions."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from kfsm_lab.names import STEP_DEPLOY, STEP_MODEL, STEP_TRAIN, STEP_TRANSFORM, STEPS

from .conftest import body
from .runs_fixtures import finished_run, ready_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ready(local_cloud):
    return ready_settings()


@pytest.fixture(scope="module")
def done(ready):
    handle = finished_run(ready)
    assert handle.state == "succeeded", handle.error
    return handle


@pytest.fixture(scope="module")
def failed(ready):
    handle = finished_run(ready.replace(feature_dim=12))
    assert handle.state == "failed"
    return handle


async def _error(jp_fetch, *parts: str, **kwargs: Any) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*parts, **kwargs)
    return info.value.code, body(info.value.response)


async def test_run_view_has_the_graph_and_one_headline(jp_fetch, done):
    view = body(await jp_fetch("kfsm-lab", "runs", done.run_id))
    assert view["run_id"] == done.run_id and view["state"] == "succeeded"
    tasks = {t["name"]: t for t in view["tasks"]}
    assert list(tasks) == list(STEPS)
    assert tasks[STEP_TRAIN]["depends_on"] == []
    assert tasks[STEP_MODEL]["depends_on"] == [STEP_TRAIN]
    assert tasks[STEP_TRANSFORM]["depends_on"] == tasks[STEP_DEPLOY]["depends_on"] == [STEP_MODEL]
    assert tasks[STEP_TRAIN]["kind"] == "training_job" and tasks[STEP_DEPLOY]["kind"] == "endpoint"
    assert tasks[STEP_TRAIN]["resource"]["status"] == "Completed"
    assert all(t["state"] == "succeeded" and t["duration"] >= 0 for t in tasks.values())
    assert view["headline"] == {"state": "succeeded", "now": [], "next": [], "failed": None, "done": 4, "total": 4}
    assert view["parameters"]["feature_dim"] == 784
    assert view["restart"] is None


async def test_failed_run_names_the_step_and_reason(jp_fetch, failed):
    view = body(await jp_fetch("kfsm-lab", "runs", failed.run_id))
    assert view["state"] == "failed"
    train = next(t for t in view["tasks"] if t["name"] == STEP_TRAIN)
    assert train["state"] == "failed" and train["failure_reason"]
    assert view["headline"]["failed"]["task"] == STEP_TRAIN
    assert view["headline"]["failed"]["reason"] == train["failure_reason"]
    log = (await jp_fetch("kfsm-lab", "runs", failed.run_id, "tasks", STEP_TRAIN, "log")).body.decode()
    assert "Traceback" in log and "\x1b[" not in log


async def test_unknown_run_is_a_json_404(jp_fetch):
    code, data = await _error(jp_fetch, "kfsm-lab", "runs", "no-such-run-0000")
    assert code == 404 and data["error"] == "NotFoundError" and "no-such-run-0000" in data["message"]
    code, data = await _error(jp_fetch, "kfsm-lab", "runs", "no-such-run-0000", "tasks", "x", "log")
    assert code == 404


async def test_task_log_reads_by_offset(jp_fetch, done):
    r = await jp_fetch("kfsm-lab", "runs", done.run_id, "tasks", STEP_TRAIN, "log")
    text = r.body.decode()
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "kfsm-" in text and "train" in text
    nxt = int(r.headers["X-Kfsm-Next-Offset"])
    assert nxt == int(r.headers["X-Kfsm-Size"]) and r.headers["X-Kfsm-Final"] == "1"
    again = await jp_fetch("kfsm-lab", "runs", done.run_id, "tasks", STEP_TRAIN, "log", params={"offset": str(nxt)})
    assert again.body == b"" and int(again.headers["X-Kfsm-Next-Offset"]) == nxt
    code, data = await _error(jp_fetch, "kfsm-lab", "runs", done.run_id, "tasks", STEP_TRAIN, "log",
                              params={"offset": "-3"})
    assert code == 400 and data["error"] == "ValidationError"
    dl = await jp_fetch("kfsm-lab", "runs", done.run_id, "tasks", STEP_TRAIN, "log", params={"download": "1"})
    assert "attachment" in dl.headers["Content-Disposition"] and len(dl.body) == nxt


async def test_training_log_from_cloudwatch_and_unknown_task(jp_fetch, done):
    r = await jp_fetch("kfsm-lab", "runs", done.run_id, "tasks", STEP_TRAIN, "log", params={"source": "sagemaker"})
    lines = r.body.decode().splitlines()
    assert lines, "the training job writes CloudWatch lines"
    token = r.headers["X-Kfsm-Next-Offset"]
    again = await jp_fetch("kfsm-lab", "runs", done.run_id, "tasks", STEP_TRAIN, "log",
                           params={"source": "sagemaker", "offset": token})
    assert again.body == b""  # nothing new since the position it gave out
    code, _ = await _error(jp_fetch, "kfsm-lab", "runs", done.run_id, "tasks", STEP_MODEL, "log",
                           params={"source": "sagemaker"})
    assert code == 404
    code, data = await _error(jp_fetch, "kfsm-lab", "runs", done.run_id, "tasks", "no-such-task", "log")
    assert code == 404 and STEP_TRAIN in data["hint"]


async def test_resource_details_of_the_training_job(jp_fetch, done):
    d = body(await jp_fetch("kfsm-lab", "runs", done.run_id, "tasks", STEP_TRAIN, "resource"))
    assert d["kind"] == "training_job" and d["name"] == f"kfsm-{done.run_id}-train"
    assert d["arn"].startswith("arn:aws:sagemaker:") and d["status"] == "Completed"
    assert next(h["status"] for h in d["history"]) == "Starting"
    assert d["instance_type"] and d["instance_count"] >= 1
    assert "train:msd" in d["metrics"]
    ep = body(await jp_fetch("kfsm-lab", "runs", done.run_id, "tasks", STEP_DEPLOY, "resource"))
    assert ep["status"] == "InService" and ep["arn"]


async def test_s3_objects_of_kit_buckets_only(jp_fetch, done, ready, local_client):
    artifact = done.outputs["model_artifact_url"]
    p = body(await jp_fetch("kfsm-lab", "s3", params={"uri": artifact}))
    assert p["size"] > 0 and p["text"] is None and p["downloadable"]
    out = done.outputs["batch_output_uri"].rstrip("/") + "/valid_data.csv.out"
    p = body(await jp_fetch("kfsm-lab", "s3", params={"uri": out}))
    assert "closest_cluster" in p["text"]
    dl = await jp_fetch("kfsm-lab", "s3", params={"uri": out, "download": "1"})
    assert len(dl.body) == p["size"]
    s3 = local_client("s3")
    s3.create_bucket(Bucket="someone-elses-bucket-rp", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket="someone-elses-bucket-rp", Key="secret.txt", Body=b"not yours")
    code, data = await _error(jp_fetch, "kfsm-lab", "s3", params={"uri": "s3://someone-elses-bucket-rp/secret.txt"})
    assert code == 403 and "not made by kfsm_lab" in data["message"]
    code, _ = await _error(jp_fetch, "kfsm-lab", "s3", params={"uri": "http://example.org/x"})
    assert code == 400


async def test_experiments_list_runs_with_endpoint_state(jp_fetch, done, failed):
    view = body(await jp_fetch("kfsm-lab", "runs", done.run_id))
    exp = view["experiment"]
    assert exp and exp["id"] and exp["name"]
    listing = body(await jp_fetch("kfsm-lab", "experiments"))["experiments"]
    group = next(e for e in listing if e["id"] == exp["id"])
    assert group["runs"] >= 2 and group["name"] == exp["name"]
    detail = body(await jp_fetch("kfsm-lab", "experiments", exp["id"]))
    rows = {r["run_id"]: r for r in detail["runs"]}
    assert rows[done.run_id]["endpoint_state"] == "live"
    assert "feature_dim" in detail["differing_parameters"]
    assert rows[failed.run_id]["parameters"]["feature_dim"] == 12
    cmp = body(await jp_fetch("kfsm-lab", "experiments", "compare",
                              params={"runs": f"{done.run_id},{failed.run_id}"}))
    assert "feature_dim" in cmp["differing_parameters"] and "train:msd" in cmp["metrics"]


async def test_events_stream_starts_with_the_run(jp_fetch, done):
    chunks: list[bytes] = []

    def on_chunk(data: bytes) -> None:
        chunks.append(data)

    fetch = asyncio.ensure_future(jp_fetch("kfsm-lab", "runs", done.run_id, "events", streaming_callback=on_chunk,
                                           request_timeout=3))
    deadline = time.monotonic() + 10
    while b"\n\n" not in b"".join(chunks) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    fetch.cancel()
    text = b"".join(chunks).decode()
    assert text.startswith("retry: 1000\nevent: run\ndata: ")
    data = json.loads(text.split("data: ", 1)[1].split("\n\n", 1)[0])
    assert data["run_id"] == done.run_id and data["state"] == "succeeded"


async def test_terminate_then_rerun(jp_fetch, ready, local_cloud):
    from kfsm_lab.pipeline import start_run

    local_cloud.admin("pace", {"pace": 3})  # slow enough that the training job is still running
    try:
        handle = start_run(ready)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            view = body(await jp_fetch("kfsm-lab", "runs", handle.run_id))
            if any(t["state"] == "running" for t in view["tasks"]):
                break
            await asyncio.sleep(0.2)
        assert view["headline"]["now"], view["headline"]
        assert view["headline"]["now"][0]["task"] == STEP_TRAIN
        assert [n["task"] for n in view["headline"]["next"]] == [STEP_MODEL]
        code, _ = await _error(jp_fetch, "kfsm-lab", "runs", handle.run_id, "rerun", method="POST", body=b"")
        assert code == 409
        ended = body(await jp_fetch("kfsm-lab", "runs", handle.run_id, "terminate", method="POST", body=b""))
        assert ended["state"] == "canceled"
        assert ended["headline"]["state"] == "canceled"
    finally:
        local_cloud.admin("pace", {"pace": 0})
    # A stopped training job keeps its name forever on SageMaker, so the re-run is a new run; on a busy
    # machine the training task may have finished before the terminate landed: then the re-run adopts it.
    trained = {t["name"]: t["state"] for t in ended["tasks"]}[STEP_TRAIN] == "succeeded"
    again = await jp_fetch("kfsm-lab", "runs", handle.run_id, "rerun", method="POST", body=b"")
    new_id = body(again)["run_id"]
    assert again.code == 202 and (new_id == handle.run_id) is trained, (trained, new_id)
    from kfsm_lab.pipeline import attach

    rerun = attach(new_id).wait(timeout=240, interval=0.2)
    assert rerun.state == "succeeded", (rerun.error, [(s["name"], s["state"], s["job_status"]) for s in rerun.steps])


async def test_standalone_page_is_served_and_needs_a_login(jp_fetch, jp_base_url, http_server_client):
    page = await jp_fetch("kfsm-lab", "ui/")
    html = page.body.decode()
    assert '<script id="jupyter-config-data"' in html and "runpage.js" in html
    js = await jp_fetch("kfsm-lab", "ui", "static", "runpage.js")
    assert len(js.body) > 10_000
    anon = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/ui/", follow_redirects=False, raise_error=False,
                                          headers={"Accept": "text/html,*/*"})
    assert anon.code == 302 and "login" in anon.headers["Location"]  # a browser goes to the login page
    anon = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/ui/", raise_error=False)
    assert anon.code == 403  # anything else is refused
    anon = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/ui/static/runpage.js", raise_error=False,
                                          headers={"Accept": "text/html,*/*"})
    assert anon.code == 403
    anon = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/runs/x", raise_error=False)
    assert anon.code == 403
