"""Bad input, table-driven: every user-facing input × its invalid forms gives its own error and a
hint, and leaves nothing half-made behind (the cloud's inventory is listed before and after)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rel_helpers import inventory, tag

from kfsm_lab.config import load_settings
from kfsm_lab.errors import KfsmError, ValidationError

ARN = "arn:aws:iam::123456789012:role/"
# (setting, invalid value, words the message must have, words the hint must have)
SETTINGS_CASES = [
    ("role_arn", "<role-arn>", "placeholder", "arn:aws:iam::"),
    ("role_arn", "eksworkshop-sagemaker-kfp-role", "role name, not an ARN", "aws iam get-role"),
    ("role_arn", "arn:aws:iam::12345:role/x", "not 12 digits", "arn:aws:iam::"),
    ("role_arn", "arn:aws:iam::123456789012:user/bob", "user ARN", "setup iam"),
    ("role_arn", "arn:aws:sts::123456789012:assumed-role/r/s", "assumed-role", "role's own ARN"),
    ("role_arn", "arn:aws:s3:::bucket", "service 's3'", "arn:aws:iam::"),
    ("role_arn", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", "policy ARN", "role that has this policy"),
    ("role_arn", ARN + "a b", "whitespace", "one line"),
    ("role_arn", "arn:aws:iam:us-west-2:123456789012:role/x", "no region", "arn:aws:iam::"),
    ("role_arn", "arn:foo:iam::123456789012:role/x", "partition", "aws"),
    ("role_arn", ARN, "role name is empty", "letters, digits"),
    ("bucket", "s3://my-bucket/x", "without 's3://'", "'my-bucket'"),
    ("bucket", "My_Bucket", "characters S3 does not allow", "lower case"),
    ("bucket", "ab", "2 characters long", "e.g."),
    ("bucket", "a" * 64, "64 characters long", "e.g."),
    ("bucket", "-bucket", "start and end with a letter or digit", "e.g."),
    ("bucket", "a..b", "two adjacent periods", "e.g."),
    ("bucket", "a.-b", "period next to a hyphen", "e.g."),
    ("bucket", "192.168.1.1", "IP address", "e.g."),
    ("bucket", "xn--bucket", "reserved prefix", "e.g."),
    ("bucket", "bucket-s3alias", "reserved suffix", "e.g."),
    ("region", "us-west-9", "not offered", "did you mean 'us-west-2'"),
    ("region", "uswest2", "not shaped like an AWS region", "us-west-2"),
    ("training_instance_type", "m5.large", "not a SageMaker instance type", "'ml.m5.large'"),
    ("training_instance_type", "ml.m5", "ml.<family>.<size>", "ml.m5.large"),
    ("endpoint_instance_type", "t2.medium", "not a SageMaker instance type", "'ml.t2.medium'"),
    ("transform_instance_type", "ml.m5.huge", "ml.<family>.<size>", "ml.m5.large"),
    ("run_name", "-bad", "1-40 letters", "mnist-1"),
    ("run_name", "has space", "1-40 letters", "mnist-1"),
    ("run_name", "a" * 41, "1-40 letters", "mnist-1"),
    ("run_name", "under_score", "1-40 letters", "mnist-1"),
    ("k", 0, "at least 1", "number of clusters"),
    ("k", "ten", "whole number", "number of clusters"),
    ("k", 2.5, "whole number", "number of clusters"),
    ("feature_dim", 0, "between 1 and", "784"),
    ("feature_dim", 2_000_000, "between 1 and", "784"),
    ("mini_batch_size", -5, "at least 1", "5000"),
    ("volume_size_gb", 0, "at least 1", "GB"),
    ("training_instance_count", "two", "whole number", "e.g. 1"),
    ("init_method", "best", "'random' or 'kmeans++'", "kmeans++"),
    ("pace", -1, "between 0 and 60", "0 = instant"),
    ("pace", "fast", "number of seconds", "0 = instant"),
    ("target", "gcp", "'local' or 'aws'", "local"),
    ("s3_prefix", "a b", "without spaces", "mnist_kmeans_example"),
    ("colour", "red", "not a known setting", "config show"),
]


def _whole_exercise(**values):
    """Settings → setup → pipeline run → predictions: the path a user's values take."""
    from kfsm_lab.pipeline import start_run
    from kfsm_lab.predictions import predict
    from kfsm_lab.provision import setup_all

    t = tag()
    settings = load_settings(**{"target": "local", "iam_user": f"bad-{t}", "role_name": f"bad-{t}", **values})
    settings = setup_all(settings).settings
    handle = start_run(settings).wait(timeout=120)
    return predict(settings, handle.run_id)


@pytest.mark.parametrize(("field", "value", "message", "hint"), SETTINGS_CASES,
                         ids=[f"{c[0]}={str(c[1])[:24]}" for c in SETTINGS_CASES])
def test_invalid_setting_is_named_with_a_hint_and_makes_nothing(local_cloud, field, value, message, hint):
    before = inventory(local_cloud)
    with pytest.raises(ValidationError) as info:
        _whole_exercise(**{field: value})
    err = info.value
    assert err.field == field
    assert message in err.message, err.message
    assert err.hint and hint in err.hint, err.hint
    assert "Traceback" not in str(err) and "pydantic" not in str(err).lower()
    assert inventory(local_cloud) == before


def test_pasted_values_are_cleaned_not_rejected():
    s = load_settings(role_arn=f"  {ARN}eksworkshop-sagemaker-kfp-role\n", bucket=" my-bucket ", region="US-WEST-2 ")
    assert (s.role_arn, s.bucket, s.region) == (f"{ARN}eksworkshop-sagemaker-kfp-role", "my-bucket", "us-west-2")


# --- the command line --------------------------------------------------------------------------
CLI_CASES = [
    (["setup", "all", "--bucket", "My_Bucket"], 1, "bucket: has characters S3 does not allow", "lower case"),
    (["setup", "all", "--role-arn", "sagemakerrole"], 1, "role name, not an ARN", "aws iam get-role"),
    (["setup", "all", "--region", "mars"], 1, "not shaped like an AWS region", "us-west-2"),
    (["pipeline", "run", "--run-id", "bad id"], 1, "run", "mnist-1"),
    (["pipeline", "run", "--target", "gcp"], 2, "'gcp' is not one of", "Usage"),
    (["pipeline", "status", "--limit", "0"], 2, "0 is not in the range", "Usage"),
    (["predict", "--run", "no-such-run-xyz"], 1, "no endpoint", "run the pipeline"),
    (["local", "start", "--pace", "-1"], 1, "pace", "0 = instant"),
    (["run", "-p", "k"], 2, "use -p key=value", "Usage"),
    (["run", "-p", "colour=red"], 1, "has no parameter 'colour'", "it takes: target"),
    (["run", "-p", "run_nam=x"], 1, "has no parameter 'run_nam'", "did you mean 'run_name'"),
    (["notebooks", "params", "no-such-notebook"], 1, "no bundled notebook", "notebooks list"),
]


@pytest.mark.parametrize(("args", "code", "message", "hint"), CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES])
def test_cli_flags_fail_in_one_clear_line(local_cloud, tmp_path, args, code, message, hint):
    before = inventory(local_cloud)
    exe = Path(sys.executable).with_name("kfsm-lab")
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "KFSM_TARGET": "local"})
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, out
    assert message in out and hint in out, out
    assert "Traceback" not in out
    assert inventory(local_cloud) == before
    assert not any(tmp_path.iterdir()), "a failed command wrote files"


# --- values that pass the syntax check but not the service ---------------------------------------
def test_role_that_does_not_exist_fails_the_run_and_creates_no_job(local_cloud, ready):
    from kfsm_lab.names import STEP_TRAIN
    from kfsm_lab.pipeline import start_run

    before = inventory(local_cloud)
    settings = ready.replace(role_arn=f"{ARN}no-such-role-{tag()}")
    handle = start_run(settings).wait(timeout=120, interval=0.2)
    assert handle.state == "failed"
    assert "Could not assume role" in (handle.error or "") and "sagemaker.amazonaws.com" in handle.error
    assert handle.step(STEP_TRAIN)["state"] == "failed"
    assert inventory(local_cloud) == before  # the job was refused, not half-made


def test_feature_dim_that_does_not_fit_the_data_fails_training_with_the_reason(local_cloud, ready):
    from kfsm_lab.pipeline import start_run

    handle = start_run(ready.replace(feature_dim=100)).wait(timeout=120, interval=0.2)
    assert handle.state == "failed"
    assert "feature_dim" in handle.error and "784" in handle.error, handle.error
    after = inventory(local_cloud)
    assert not {n for n in after["models"] | after["endpoints"] if handle.run_id in n}


@pytest.mark.parametrize(("width", "words"), [(100, "784"), (785, "784"), (0, "no records")])
def test_payload_of_the_wrong_width_is_refused_before_sending(local_cloud, ready, finished_run, width, words):
    import numpy as np

    from kfsm_lab import aws
    from kfsm_lab.predictions.invoke import predict_rows

    runtime = aws.client(ready, "sagemaker-runtime")
    X = np.zeros((3, width), dtype=np.float32) if width else np.zeros((0, 784), dtype=np.float32)
    from rel_helpers import stats

    before = stats(local_cloud).get("sagemaker-runtime.InvokeEndpoint", 0)
    with pytest.raises(KfsmError) as info:
        predict_rows(runtime, finished_run.outputs["endpoint_name"], X, ready.feature_dim)
    assert words in str(info.value) and info.value.hint
    assert stats(local_cloud).get("sagemaker-runtime.InvokeEndpoint", 0) == before  # nothing was sent


@pytest.mark.parametrize(("content_type", "body", "original", "words"), [
    ("image/png", b"\x89PNG", 415, "not supported"),
    ("text/csv", b"1,2,3", 400, "784"),
    ("text/csv", b"a,b,c", 400, "not a number"),
    ("application/json", b"{not json", 400, "not valid JSON"),
    ("application/json", b'{"rows": []}', 400, '{"instances"'),
])
def test_raw_payload_errors_come_back_with_the_models_reason(ready, finished_run, content_type, body, original,
                                                             words):
    from botocore.exceptions import ClientError

    from kfsm_lab import aws

    runtime = aws.client(ready, "sagemaker-runtime")
    with pytest.raises(ClientError) as info:
        runtime.invoke_endpoint(EndpointName=finished_run.outputs["endpoint_name"], ContentType=content_type,
                                Body=body)
    resp = info.value.response
    assert resp["Error"]["Code"] == "ModelError" and resp["OriginalStatusCode"] == original
    err = aws.translate(info.value, "invoke")
    assert words in err.message and "feature_dim" in err.hint


def test_unknown_run_and_endpoint_are_named(ready):
    from kfsm_lab.pipeline import attach
    from kfsm_lab.pipeline.runs import RunNotFoundError

    with pytest.raises(RunNotFoundError) as info:
        attach(f"never-{tag()}")
    assert info.value.hint
    with pytest.raises(ValidationError) as info2:
        attach("../../etc/passwd")
    assert info2.value.hint


# --- notebook parameters -------------------------------------------------------------------------
def test_notebook_parameter_names_are_checked_before_a_kernel_starts(tmp_path):
    from kfsm_lab.notebooks import run_notebook

    with pytest.raises(KfsmError) as info:
        run_notebook("sagemaker_pipeline", {"regoin": "us-east-1"}, tmp_path / "out")
    assert "no parameter 'regoin'" in info.value.message and "did you mean 'region'" in info.value.hint
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_notebook_parameter_values_stop_the_first_cell_with_the_hint(local_cloud, tmp_path):
    from kfsm_lab.notebooks import run_notebook

    before = inventory(local_cloud)
    result = run_notebook("sagemaker_pipeline", {"run_name": "bad name", "bucket": "Bad_Bucket"}, tmp_path / "out",
                          progress=False)
    assert not result.ok
    assert "ValidationError" in result.error and "bucket" in result.error and "hint" in result.error
    assert inventory(local_cloud) == before
