"""Setup against the local cloud over HTTP: idempotence, bad input, other accounts, denied calls."""

import json
import os
import stat
import subprocess
import sys

import boto3
import pytest
from botocore.stub import Stubber

from kfsm_lab import aws, provision
from kfsm_lab.checks import run_doctor
from kfsm_lab.config import load_settings
from kfsm_lab.errors import AwsAccessError, ConfigurationError, CredentialsError
from kfsm_lab.provision import iam as iam_steps
from kfsm_lab.provision import secret_store
from kfsm_lab.provision.k8s_secret import core_api, render_manifest


def test_setup_all_twice_same_end_state(fresh_settings):
    first = provision.setup_all(fresh_settings)
    statuses = {s.name: s.status for s in first.steps}
    assert statuses["bucket"] == "created" and statuses["execution role"] == "created"
    assert statuses["data: train"] == "created" and statuses["access key"] == "created"
    key1 = secret_store.load(fresh_settings)["access_key_id"]
    second = provision.setup_all(fresh_settings)
    assert {s.status for s in second.steps} == {"already there"}, second.text()
    assert second.settings.role_arn == first.settings.role_arn
    assert second.settings.role_arn.endswith(f":role/{fresh_settings.role_name}")
    assert secret_store.load(fresh_settings)["access_key_id"] == key1
    iam = aws.client(fresh_settings, "iam")
    assert len(iam.list_access_keys(UserName=fresh_settings.iam_user)["AccessKeyMetadata"]) == 1
    # the doctor passes every check that applies on the local target
    report = run_doctor(second.settings)
    failed = [c for c in report.checks if c.status == "fail"]
    assert report.ok, report.text()
    assert not failed
    assert {c.name for c in report.checks if c.status == "pass"} >= {
        "local cloud", "credentials", "region", "execution role", "bucket and data", "pipeline secret", "widgets"}


def test_channels_go_up_in_one_put_each(fresh_settings):
    """The sample's channels (11 MB at most) are one PutObject each: a multipart upload's ETag ends in -<parts>."""
    from kfsm_lab.data import S3Layout
    from kfsm_lab.provision.data_upload import SHA_KEY

    report = provision.setup_all(fresh_settings)
    layout = S3Layout(report.settings.bucket, fresh_settings.s3_prefix)
    s3 = aws.client(fresh_settings, "s3")
    for key in (layout.train_key, layout.test_key, layout.valid_key):
        head = s3.head_object(Bucket=layout.bucket, Key=key)
        assert "-" not in head["ETag"], (key, head["ETag"])
        assert len(head["Metadata"][SHA_KEY]) == 64
    assert s3.head_object(Bucket=layout.bucket, Key=layout.train_key)["ContentLength"] > 8 * 1024 * 1024


_READS_OF_WHAT_A_CREATE_MADE = {"iam.ListAttachedUserPolicies", "iam.GetUserPolicy", "iam.ListAccessKeys",
                                "iam.ListUserTags", "iam.ListAttachedRolePolicies"}


def test_a_fresh_setup_does_not_read_back_what_it_just_made(fresh_settings, local_cloud):
    """A user and a role this setup creates have no policies, keys or tags yet: they are attached, put and made
    without listing first. What was there already is read (and left alone when it is right)."""
    local_cloud.admin("stats/reset", {})
    first = provision.setup_iam(fresh_settings)
    made = {k for k in local_cloud.admin("stats")["requests"] if k.startswith("iam.")}
    assert {s.name: s.status for s in first.steps} == {"iam user": "created", "access key": "created",
                                                       "execution role": "created", "secret": "created"}
    assert made >= {"iam.CreateUser", "iam.AttachUserPolicy", "iam.PutUserPolicy", "iam.CreateAccessKey",
                    "iam.CreateRole", "iam.AttachRolePolicy"}
    assert not made & _READS_OF_WHAT_A_CREATE_MADE, sorted(made)
    local_cloud.admin("stats/reset", {})
    second = provision.setup_iam(fresh_settings)
    assert {s.status for s in second.steps} == {"already there"}, second.text()
    read = set(local_cloud.admin("stats")["requests"])
    assert read >= _READS_OF_WHAT_A_CREATE_MADE - {"iam.ListUserTags"}  # tags only when a key is not the stored one
    assert not {k for k in read if k.split(".")[1].startswith(("Create", "Attach", "Put"))}, sorted(read)
    iam = aws.client(fresh_settings, "iam")
    assert {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=fresh_settings.role_name)[
        "AttachedPolicies"]} == {iam_steps.SAGEMAKER_FULL, iam_steps.S3_FULL}
    assert iam.list_user_policies(UserName=fresh_settings.iam_user)["PolicyNames"] == [iam_steps.S3_POLICY_NAME]


def test_a_failed_upload_leaves_the_other_objects_up_and_a_rerun_sends_only_it(fresh_settings, local_cloud):
    """The three objects go up side by side: one refused does not stop the others, the error names its
    object, and the next setup uploads only what is missing."""
    provision.setup_bucket(fresh_settings)
    local_cloud.admin("faults", {"operation": "s3.PutObject", "kind": "error", "status": 403, "code": "AccessDenied",
                                 "count": 1})
    try:
        with pytest.raises(AwsAccessError) as caught:
            provision.setup_data(fresh_settings)
    finally:
        local_cloud.admin("faults", method="DELETE")
    assert "upload s3://" in str(caught.value)
    again = provision.setup_data(fresh_settings)
    statuses = sorted(s.status for s in again.steps)
    assert statuses == ["already there", "already there", "created"], again.text()
    failed = next(s for s in again.steps if s.status == "created")
    assert failed.value in str(caught.value)


def test_the_sample_encoded_ahead_is_taken_once_and_other_data_is_encoded_as_given(fresh_settings):
    """A starting cloud's load-ahead encodes the bundled sample; the next setup uploads those very bytes and
    lets them go; a setup given other splits encodes those."""
    from kfsm_lab.data import load_sample
    from kfsm_lab.provision import data_upload

    data_upload.encode_sample_ahead()
    ahead = data_upload._ahead[0]
    other = load_sample().__class__(train=load_sample().train, valid=load_sample().test, test=load_sample().valid,
                                    source="swapped")
    assert data_upload.prepare_in_background(other).result()[0] is other and data_upload._ahead  # not taken
    assert data_upload.prepare_in_background().result() is ahead and not data_upload._ahead  # taken, once
    again = data_upload.prepare_in_background().result()
    assert again is not ahead and again[1] == ahead[1]  # encoded anew: the same bytes
    report = provision.setup_all(fresh_settings)
    assert {s.name: s.status for s in report.steps}["data: train"] == "created"


def test_lost_key_is_rotated_not_piled_up(fresh_settings):
    provision.setup_iam(fresh_settings)
    secret_store.forget(fresh_settings)
    report = provision.setup_iam(fresh_settings)
    assert {s.name: s.status for s in report.steps}["access key"] == "updated"
    iam = aws.client(fresh_settings, "iam")
    keys = iam.list_access_keys(UserName=fresh_settings.iam_user)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [secret_store.load(fresh_settings)["access_key_id"]]


def test_secret_store_is_private(fresh_settings):
    provision.setup_iam(fresh_settings)
    path = secret_store.path_for(fresh_settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_role_without_sagemaker_trust_is_reported(fresh_settings):
    iam = aws.client(fresh_settings, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=fresh_settings.role_name, AssumeRolePolicyDocument=json.dumps(trust))
    with pytest.raises(ConfigurationError, match=r"does not let sagemaker\.amazonaws\.com assume it") as ei:
        iam_steps.ensure_role(fresh_settings, iam)
    assert "update-assume-role-policy" in ei.value.hint
    check = next(c for c in run_doctor(fresh_settings).checks if c.name == "execution role")
    assert check.status == "fail" and "does not trust" in check.detail


def test_bucket_of_another_account(fresh_settings, local_cloud):
    sts = aws.client(fresh_settings, "sts")
    creds = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/other", RoleSessionName="other")["Credentials"]
    other = boto3.client("s3", endpoint_url=local_cloud.endpoint_url, region_name="us-west-2",
                         aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])
    other.create_bucket(Bucket=fresh_settings.bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    with pytest.raises(ConfigurationError, match="belongs to another AWS account") as ei:
        provision.setup_bucket(fresh_settings)
    assert "kubeflow-pipeline-data" in ei.value.hint


def test_bucket_in_another_region(fresh_settings):
    provision.setup_bucket(fresh_settings)
    with pytest.raises(ConfigurationError, match="is in us-west-2, but the region is eu-west-1"):
        provision.setup_bucket(fresh_settings.replace(region="eu-west-1"))


def test_us_east_1_bucket_without_location_constraint(fresh_settings):
    s = fresh_settings.replace(region="us-east-1")
    assert provision.setup_bucket(s).steps[0].status == "created"
    s3 = aws.client(s, "s3")
    assert s3.get_bucket_location(Bucket=s.bucket)["LocationConstraint"] in (None, "")


def test_worker_policy(fresh_settings):
    iam = aws.client(fresh_settings, "iam")
    with pytest.raises(ConfigurationError, match="does not exist"):
        iam_steps.ensure_worker_policy(fresh_settings, iam, "no-such-node-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=f"{fresh_settings.role_name}-node", AssumeRolePolicyDocument=json.dumps(trust))
    node = f"{fresh_settings.role_name}-node"
    assert iam_steps.ensure_worker_policy(fresh_settings, iam, node).status == "created"
    assert iam_steps.ensure_worker_policy(fresh_settings, iam, node).status == "already there"
    doc = iam.get_role_policy(RoleName=node, PolicyName="sagemaker-invoke-for-worker")["PolicyDocument"]
    assert "sagemaker:InvokeEndpoint" in json.dumps(doc)


def test_denied_call_names_the_missing_permission(fresh_settings):
    iam = aws.client(fresh_settings, "iam")
    with Stubber(iam) as stub:
        stub.add_client_error("get_role", service_error_code="NoSuchEntity", http_status_code=404)
        stub.add_client_error("create_role", service_error_code="AccessDenied",
                              service_message="User is not authorized to perform: iam:CreateRole",
                              http_status_code=403)
        with pytest.raises(AwsAccessError) as ei:
            iam_steps.ensure_role(fresh_settings, iam)
    assert ei.value.code == "AccessDenied"
    assert "iam:CreateRole" in ei.value.hint


def test_missing_credentials(tmp_path, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    s = load_settings(target="aws", region="us-west-2")
    with pytest.raises(CredentialsError, match="no AWS credentials") as ei:
        provision.setup_bucket(s)
    assert "--target local" in ei.value.hint
    cred = next(c for c in run_doctor(s).checks if c.name == "credentials")
    assert cred.status == "fail" and "aws configure" in cred.fix


def test_no_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigurationError, match="no Kubernetes cluster access") as ei:
        core_api()
    assert "--dry-run" in ei.value.hint
    manifest = render_manifest(load_settings(target="aws"))
    assert "name: aws-secret" in manifest and "namespace: kubeflow" in manifest
    assert "<redacted base64>" in manifest


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "kfsm_lab", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def test_cli_setup_all_twice_and_no_secret_in_outputs(fresh_settings):
    args = ["--bucket", fresh_settings.bucket]
    env_user = {"KFSM_IAM_USER": fresh_settings.iam_user, "KFSM_ROLE_NAME": fresh_settings.role_name}
    os.environ.update(env_user)
    try:
        r1 = _cli("setup", "all", *args, "--json")
        r2 = _cli("setup", "all", *args)
        dry = _cli("setup", "all", *args, "--dry-run")
        doc = _cli("doctor", *args, "--json")
    finally:
        for k in env_user:
            os.environ.pop(k)
    assert r1.returncode == 0, r1.stderr
    first = json.loads(r1.stdout)
    assert {s["status"] for s in first["steps"]} <= {"created", "already there"}
    assert r2.returncode == 0 and "created" not in r2.stdout
    assert r2.stdout.count("already there") == 8, r2.stdout
    assert dry.returncode == 0 and "would" not in dry.stdout  # everything exists: nothing would change
    assert doc.returncode == 0, doc.stdout
    assert json.loads(doc.stdout)["ok"] is True
    rec = secret_store.load(fresh_settings)
    everything = "".join(r.stdout + r.stderr for r in (r1, r2, dry, doc))
    assert rec["access_key_id"] not in everything
    assert rec["secret_access_key"] not in everything
    from kfsm_lab.localkfp import secrets
    from kfsm_lab.state import state_dir

    private = {secret_store.path_for(fresh_settings), secrets.secrets_dir() / f"{fresh_settings.secret_name}.json"}
    for path in private:  # the kit's record of its key, and the local stand-in for the aws-secret secret
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700, path
    for path in state_dir().rglob("*"):
        if path.is_file() and path not in private and path.suffix in (".json", ".log", ""):
            text = path.read_text(errors="ignore")
            assert rec["secret_access_key"] not in text, path


def test_cli_bad_bucket_name():
    r = _cli("setup", "bucket", "--bucket", "Bad_Bucket")
    assert r.returncode == 1
    assert "bucket: has characters S3 does not allow" in r.stderr and "Traceback" not in r.stderr


def test_generated_bucket_is_remembered_per_target_and_region(tmp_path, monkeypatch):
    from kfsm_lab.provision.bucket import default_bucket_name

    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path))
    west, east = load_settings(target="local"), load_settings(target="local", region="us-east-1")
    first = default_bucket_name(west)
    assert first.endswith("-kubeflow-pipeline-data") and len(first) == 55
    assert default_bucket_name(west) == first  # stable once chosen
    assert default_bucket_name(east) != first  # a bucket lives in one region
    assert default_bucket_name(load_settings(target="aws")) != first
