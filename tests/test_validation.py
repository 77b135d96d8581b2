import pytest

from kfsm_lab import validation
from kfsm_lab.errors import ValidationError

GOOD_ARN = "arn:aws:iam::371348455981:role/eksworkshop-sagemaker-kfp-role"


@pytest.mark.parametrize("value, expected", [
    (GOOD_ARN, GOOD_ARN),
    ("  " + GOOD_ARN + "\n", GOOD_ARN),  # pasted with the jq -r newline: stripped, not rejected
    ("arn:aws-cn:iam::123456789012:role/x", "arn:aws-cn:iam::123456789012:role/x"),
    ("arn:aws-us-gov:iam::123456789012:role/service-role/path/my.role", None),
])
def test_role_arn_accepts(value, expected):
    assert validation.role_arn(value) == (expected or value.strip())


@pytest.mark.parametrize("value, fragment", [
    ("", "is empty"),
    ("eksworkshop-sagemaker-kfp-role", "is a role name, not an ARN"),
    ("<your_sagemaker_role>", "placeholder"),
    ("arn:aws:iam::123456789012:user/sagemakeruser", "IAM user ARN"),
    ("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", "managed policy ARN"),
    ("arn:aws:iam::123456789012:policy/mine", "policy ARN"),
    ("arn:aws:sts::123456789012:assumed-role/r/session", "assumed-role"),
    ("arn:aws:iam::12345:role/x", "not 12 digits"),
    ("arn:aws:s3:::bucket", "not an IAM role"),
    ("arn:aws:iam:us-west-2:123456789012:role/x", "no region"),
    ("arn:aws:iam::123456789012:role/", "role name"),
    ("arn:aws:iam::123456789012:role/bad name", "whitespace"),
    ("arn:aws:iam::123456789012:role/b\nad", "whitespace"),
    ("arn:aws:iam:123456789012:role", "well-formed"),
    ("arn:azure:iam::123456789012:role/x", "partition"),
    (None, "missing"),
    (42, "must be text"),
])
def test_role_arn_rejects_with_specific_message(value, fragment):
    with pytest.raises(ValidationError) as ei:
        validation.role_arn(value)
    assert fragment in str(ei.value)
    assert ei.value.field == "role_arn"


@pytest.mark.parametrize("value", [
    "abc", "a" * 63, "my-bucket.data", "abcdefghijklmnop1234567890123456-kubeflow-pipeline-data",
])
def test_bucket_accepts(value):
    assert validation.bucket_name(value) == value


@pytest.mark.parametrize("value, fragment", [
    ("ab", "3 characters"), ("a" * 64, "64 characters"), ("My-Bucket", "lower case"),
    ("my_bucket", "characters S3 does not allow"), ("-bucket", "start and end"), ("bucket-", "start and end"),
    ("my..bucket", "two adjacent periods"), ("my.-bucket", "period next to a hyphen"),
    ("192.168.5.4", "IP address"), ("xn--bucket", "reserved prefix"), ("sthree-bucket", "reserved prefix"),
    ("amzn-s3-demo-bucket", "reserved prefix"), ("bucket-s3alias", "reserved suffix"),
    ("bucket--ol-s3", "reserved suffix"), ("bucket.mrap", "reserved suffix"), ("bucket--x-s3", "reserved suffix"),
    ("s3://my-bucket/key", "without 's3://'"),
])
def test_bucket_rejects(value, fragment):
    with pytest.raises(ValidationError) as ei:
        validation.bucket_name(value)
    assert fragment in str(ei.value)


def test_bucket_strips_paste_whitespace():
    assert validation.bucket_name(" my-bucket\n") == "my-bucket"


@pytest.mark.parametrize("value", ["us-west-2", "US-EAST-1", "eu-central-1", "cn-north-1", "us-gov-west-1"])
def test_region_accepts(value):
    assert validation.region(value) == value.lower()


@pytest.mark.parametrize("value, fragment", [
    ("us-wst-2", "did you mean 'us-west-2'"), ("mars-1", "not shaped like"), ("", "not shaped like"),
    ("xx-north-9", "not offered"),
])
def test_region_rejects(value, fragment):
    with pytest.raises(ValidationError) as ei:
        validation.region(value)
    assert fragment in str(ei.value)


@pytest.mark.parametrize("value", ["ml.m5.large", "ml.c4.8xlarge", "ml.t2.medium", "ml.p3.2xlarge", "ml.m5d.24xlarge"])
def test_instance_type_accepts(value):
    assert validation.instance_type(value) == value


@pytest.mark.parametrize("value, fragment", [
    ("m5.large", "ml.m5.large"), ("t2.medium", "ml.t2.medium"), ("ml.m5", "ml.<family>.<size>"),
    ("ml.m5.huge", "ml.<family>.<size>"), ("local", "not a SageMaker instance type"),
])
def test_instance_type_rejects(value, fragment):
    with pytest.raises(ValidationError) as ei:
        validation.instance_type(value)
    assert fragment in str(ei.value)


@pytest.mark.parametrize("value, ok", [
    ("mnist-1", True), ("a", True), ("a" * 40, True), ("a" * 41, False), ("-x", False), ("x_y", False),
    ("has space", False), ("x-", False),
])
def test_run_name(value, ok):
    if ok:
        assert validation.run_name(value) == value
    else:
        with pytest.raises(ValidationError, match="1-40 letters"):
            validation.run_name(value)


@pytest.mark.parametrize("value, fragment", [("0", "at least 1"), ("x", "whole number"), (-3, "at least 1")])
def test_positive_int(value, fragment):
    with pytest.raises(ValidationError, match=fragment):
        validation.positive_int(value, "k")
