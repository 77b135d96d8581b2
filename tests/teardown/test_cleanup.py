"""Clean-up on a local cloud of its own: only the kit's resources go, a second run is a no-op."""

import json
import os
import subprocess
import sys

import pytest

from kfsm_lab import aws
from kfsm_lab.config import load_settings
from kfsm_lab.errors import ConfigurationError
from kfsm_lab.teardown import cleanup

pytestmark = pytest.mark.slow


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "kfsm_lab", "cleanup", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def _kit_names(sm, s3, iam, settings):
    def tagged(arn):
        return any(t["Key"] == "kfsm-lab:created-by" for t in sm.list_tags(ResourceArn=arn)["Tags"])

    eps = [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"] if tagged(e["EndpointArn"])]
    cfgs = [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
            if tagged(c["EndpointConfigArn"])]
    models = [m["ModelName"] for m in sm.list_models()["Models"] if tagged(m["ModelArn"])]
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    users = [u["UserName"] for u in iam.list_users()["Users"]]
    return eps, cfgs, models, buckets, users


def test_cleanup_everything_but_what_the_kit_did_not_make(separate_cloud):
    with separate_cloud(pace=0):
        from kfsm_lab.pipeline import start_run
        from kfsm_lab.provision import setup_all

        settings = setup_all(load_settings(target="local")).settings
        run = start_run(settings).wait(timeout=180, raise_on_failure=True)
        sm, s3, iam = (aws.client(settings, s) for s in ("sagemaker", "s3", "iam"))
        # made outside the kit: a model, a bucket and a user without the kit's tag survive
        sm.create_model(ModelName="kfsm-mine-not-the-kits", ExecutionRoleArn=settings.role_arn,
                        PrimaryContainer={"Image": "174872318107.dkr.ecr.us-west-2.amazonaws.com/kmeans:1",
                                          "ModelDataUrl": run.outputs["model_artifact_url"]})
        s3.create_bucket(Bucket="users-own-bucket", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        iam.create_user(UserName="someone-else")

        dry = _cli("--all", "--include-bucket", "--include-iam", "--dry-run", "--json")
        assert dry.returncode == 0, dry.stderr
        planned = json.loads(dry.stdout)["items"]
        kinds = {i["kind"] for i in planned}
        assert {"endpoint", "endpoint config", "model", "s3 objects", "bucket", "iam user", "iam role"} <= kinds
        assert all(i["action"].startswith("would") for i in planned)
        assert "kfsm-mine-not-the-kits" not in dry.stdout
        eps, *_ = _kit_names(sm, s3, iam, settings)
        assert eps == [run.outputs["endpoint_name"]], "a dry run deletes nothing"

        real = _cli("--all", "--include-bucket", "--include-iam")
        assert real.returncode == 0, real.stderr
        eps, cfgs, models, buckets, users = _kit_names(sm, s3, iam, settings)
        assert (eps, cfgs, models) == ([], [], [])
        assert settings.bucket not in buckets and "users-own-bucket" in buckets
        assert settings.iam_user not in users and "someone-else" in users
        assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["kfsm-mine-not-the-kits"]

        again = _cli("--all", "--include-bucket", "--include-iam")
        assert again.returncode == 0 and "nothing to clean up" in again.stdout


def test_cleanup_one_run_leaves_the_other(separate_cloud):
    with separate_cloud(pace=0):
        from kfsm_lab.pipeline import start_run
        from kfsm_lab.provision import setup_all

        settings = setup_all(load_settings(target="local")).settings
        a = start_run(settings).wait(timeout=180, raise_on_failure=True)
        b = start_run(settings).wait(timeout=180, raise_on_failure=True)
        report = cleanup(settings, run_id=a.run_id)
        assert {i.name for i in report.items if i.kind == "endpoint"} == {a.outputs["endpoint_name"]}
        sm = aws.client(settings, "sagemaker")
        assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == [b.outputs["endpoint_name"]]
        assert cleanup(settings, run_id=a.run_id).nothing_left


def test_cleanup_needs_a_scope(local_cloud):
    with pytest.raises(ConfigurationError, match="say which run"):
        cleanup(load_settings(target="local"))
    r = _cli("--run", "x", "--all")
    assert r.returncode != 0 and "not both" in (r.stdout + r.stderr)
