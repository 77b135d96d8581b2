"""Submission to Kubeflow Pipelines, against a stand-in v2beta1 REST server on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import pytest

from kfsm_lab.config import load_settings
from kfsm_lab.errors import KfsmError
from kfsm_lab.pipeline.compile import compile_pipeline
from kfsm_lab.pipeline.kfp_client import (
    KfpAuthError,
    KfpConnection,
    KfpUnreachableError,
    KfpVersionError,
    RunLinks,
    resolve_auth,
)
from kfsm_lab.pipeline.runs import RunNotFoundError

from .kfp_standin import TASKS, KfpStandIn

ROLE = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("KFSM_KFP_TOKEN", raising=False)
    monkeypatch.delenv("KFSM_KFP_COOKIES", raising=False)
    monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", str(tmp_path / "no-token"))
    return load_settings(bucket="kfsm-test-bucket", role_arn=ROLE, target="aws")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_submit_creates_experiment_once_and_sends_the_compiled_spec(settings, tmp_path):
    package = compile_pipeline(tmp_path / "p.yaml", settings)
    with KfpStandIn() as api:
        conn = KfpConnection(api.url)
        exp1, run1 = conn.submit(package, {"run_id": "r-1", "k": 10}, "mnist-r-1", "aws")
        exp2, run2 = conn.submit(package, {"run_id": "r-2", "k": 10}, "mnist-r-2", "aws")
        assert exp1 == exp2 and run1 != run2
        posts = [r for r in api.requests if r["method"] == "POST"]
        assert [r["path"] for r in posts] == ["/apis/v2beta1/experiments", "/apis/v2beta1/runs",
                                              "/apis/v2beta1/runs"]
        body = posts[1]["body"]
        assert body["experiment_id"] == exp1 and body["display_name"] == "mnist-r-1"
        spec = body["pipeline_spec"]  # with a platform config kfp sends {pipeline_spec, platform_spec}
        assert "aws-secret" in json.dumps(spec["platform_spec"])
        tasks = spec["pipeline_spec"]["root"]["dag"]["tasks"]
        assert sorted(tasks) == sorted(TASKS)
        assert body["runtime_config"]["parameters"]["run_id"] == "r-1"
        assert "SECRET" not in json.dumps(body["runtime_config"]).upper()
        links = conn.links(exp1, run1)
        assert links.run == f"{api.url}/#/runs/details/{run1}"
        assert links.experiment == f"{api.url}/#/experiments/details/{exp1}"
        first = conn.get_run(run1)  # the API's JSON, as kfp.Client.get_run reads it before building models
        assert first["state"] == "RUNNING" and first["run_id"] == run1
        assert [(t["display_name"], t["state"]) for t in first["run_details"]["task_details"]] == [(TASKS[0],
                                                                                                    "RUNNING")]
        assert conn.client.get_run(run1).to_dict()["state"] == first["state"]
        with pytest.raises(RunNotFoundError):  # errors as Client.get_run's: the 404 becomes the kit's error
            conn.get_run("no-such-run")
        conn.terminate(run1)
        assert api.runs[run1]["terminated"]


def test_kfp_1x_backend_is_named_with_the_fix():
    with KfpStandIn(mode="v1") as api, pytest.raises(KfpVersionError) as err:
        KfpConnection(api.url)
    assert "1.x" in err.value.message and "KFP ≥ 2.0" in err.value.hint
    assert isinstance(err.value, KfsmError)


def test_rbac_denial_explains_multi_user_auth():
    with KfpStandIn(mode="rbac") as api, pytest.raises(KfpAuthError) as err:
        KfpConnection(api.url)
    assert "RBAC: access denied" in err.value.message
    assert "KFSM_KFP_COOKIES" in err.value.hint and "namespace" in err.value.hint


def test_unreachable_host_fails_fast_with_port_forward_hint():
    with pytest.raises(KfpUnreachableError) as err:
        KfpConnection(f"http://127.0.0.1:{_free_port()}", timeout=3)
    assert "port-forward" in err.value.hint


def test_token_from_service_account_file_is_sent(tmp_path, monkeypatch):
    token_file = tmp_path / "token"
    token_file.write_text("sa-token-123\n")
    monkeypatch.delenv("KFSM_KFP_TOKEN", raising=False)
    monkeypatch.delenv("KFSM_KFP_COOKIES", raising=False)
    monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", str(token_file))
    assert resolve_auth().token == "sa-token-123"
    with KfpStandIn(require_token="sa-token-123") as api:
        KfpConnection(api.url)
        assert all(r["headers"].get("authorization") == "Bearer sa-token-123" for r in api.requests)
    with KfpStandIn(require_token="other") as api, pytest.raises(KfpAuthError) as err:
        KfpConnection(api.url)
    assert "sa-token" not in str(err.value)  # the kind of auth is named, never its value


def test_host_without_api_is_explained():
    with KfpStandIn(mode="v1") as api:
        api.mode = "v2"
        api.route = lambda req: (404, "404 page not found")  # a plain web server
        with pytest.raises(KfsmError) as err:
            KfpConnection(api.url)
    assert "/pipeline" in err.value.hint


def test_links_render_as_html_and_text():
    links = RunLinks(experiment="http://h/#/experiments/details/e1", run="http://h/#/runs/details/r1")
    html = links._repr_html_()
    assert 'href="http://h/#/runs/details/r1"' in html and "Run link" in html
    assert "Experiment link: http://h/#/experiments/details/e1" in str(links)


def test_the_run_spec_is_what_kfp_client_makes_of_the_package(settings, tmp_path):
    """The submitted spec, read with libyaml, equals kfp.Client's own (pure-Python YAML) job config."""
    import kfp

    from kfsm_lab.pipeline.kfp_client import job_spec, load_package

    from .user_pipelines import mine

    packages = [compile_pipeline(tmp_path / "kit.yaml", settings),  # with a platform spec (the AWS secret)
                compile_pipeline(tmp_path / "mine.yaml", pipeline=mine)]  # without one
    client = object.__new__(kfp.Client)  # its job config needs no connection (its constructor calls healthz)
    for package in packages:
        theirs = client._create_job_config(params={}, pipeline_package_path=str(package), pipeline_id=None,
                                           version_id=None, enable_caching=False, cache_key=None, pipeline_root=None)
        assert job_spec(load_package(package)) == theirs.pipeline_spec
    assert "platform_spec" in job_spec(load_package(packages[0]))
    assert "platform_spec" not in job_spec(load_package(packages[1]))
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(KfsmError, match="holds no pipeline spec"):
        load_package(tmp_path / "empty.yaml")
