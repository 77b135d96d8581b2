"""On the aws target, an endpoint on this machine (a shell left pointing at the local cloud) is refused
with the reason — no real-looking credentials go to 127.0.0.1, no "aws" key file is stored for a local user."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kfsm_lab.config import load_settings
from kfsm_lab.errors import ConfigurationError

ROLE = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"


@pytest.fixture
def shell_after_local_env(local_cloud, monkeypatch):
    """What `eval "$(kfsm-lab local env)"` leaves in a shell."""
    for key, value in local_cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KFSM_AWS_ALLOW_LOCAL_ENDPOINT", raising=False)
    return local_cloud


def test_doctor_and_setup_refuse_the_local_cloud_on_the_aws_target(shell_after_local_env):
    from kfsm_lab.checks import run_doctor
    from kfsm_lab.provision import secret_store, setup_iam

    settings = load_settings(target="aws", region="us-west-2", role_arn=ROLE, bucket="kfsm-guard-bucket",
                             iam_user="kfsm-guard-user")
    report = run_doctor(settings)
    row = next(c for c in report.checks if c.name == "credentials")
    assert row.status == "fail" and "that is not AWS" in row.detail and "AWS_ENDPOINT_URL" in row.fix
    before = shell_after_local_env.admin("stats")["total"]
    with pytest.raises(ConfigurationError) as err:
        setup_iam(settings)
    assert "127.0.0.1" in err.value.message and "unset AWS_ENDPOINT_URL" in err.value.hint
    assert shell_after_local_env.admin("stats")["total"] == before  # not one request reached it
    assert not secret_store.path_for(settings).exists()


def test_the_cli_says_why_without_a_traceback(shell_after_local_env):
    r = subprocess.run([sys.executable, "-m", "kfsm_lab", "setup", "iam", "--target", "aws", "--role-arn", ROLE],
                       capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert r.returncode == 1 and "that is not AWS" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(("var", "url"), [("AWS_ENDPOINT_URL_STS", "http://localhost:4566"),
                                          ("AWS_ENDPOINT_URL", "http://[::1]:9000"),
                                          ("AWS_ENDPOINT_URL_S3", "http://127.0.0.2:9000")])
def test_any_endpoint_on_this_machine_is_refused(monkeypatch, var, url):
    from kfsm_lab import aws

    for k in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(k)
    monkeypatch.delenv("KFSM_AWS_ALLOW_LOCAL_ENDPOINT", raising=False)
    monkeypatch.setenv(var, url)
    settings = load_settings(target="aws", region="us-west-2")
    service = {"AWS_ENDPOINT_URL_STS": "sts", "AWS_ENDPOINT_URL_S3": "s3"}.get(var, "sagemaker")
    with pytest.raises(ConfigurationError, match="is this machine"):
        aws.client(settings, service)
    if var != "AWS_ENDPOINT_URL":
        aws.client(settings, "iam")  # another service's endpoint is AWS's own: allowed
    monkeypatch.setenv("KFSM_AWS_ALLOW_LOCAL_ENDPOINT", "1")  # the documented escape hatch for stand-ins
    assert aws.client(settings, service).meta.endpoint_url.startswith(url.rsplit(":", 1)[0])


def test_the_local_clouds_own_key_is_refused_on_aws(local_cloud, monkeypatch):
    from kfsm_lab import aws

    for k in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", local_cloud.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", local_cloud.secret_access_key)
    with pytest.raises(ConfigurationError, match="local cloud's own access key"):
        aws.client(load_settings(target="aws", region="us-west-2"), "sts")
