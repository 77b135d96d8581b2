import pytest

from kfsm_lab.config import load_settings
from kfsm_lab.errors import ConfigurationError, ValidationError


def test_defaults(monkeypatch):
    for k in list(__import__("os").environ):
        if k.startswith("KFSM_"):
            monkeypatch.delenv(k)
    s = load_settings()
    assert s.target == "local"
    assert s.s3_prefix == "mnist_kmeans_example"
    assert s.namespace == "kubeflow"
    assert s.k == 10 and s.feature_dim == 784


def test_resolution_order(monkeypatch):
    monkeypatch.setenv("KFSM_REGION", "eu-west-1")
    monkeypatch.setenv("KFSM_K", "12")
    assert load_settings().region == "eu-west-1"
    assert load_settings().k == 12
    assert load_settings(region="us-east-1").region == "us-east-1"  # argument beats env
    assert load_settings(region=None).region == "eu-west-1"  # None means "not given"


def test_env_values_are_validated(monkeypatch):
    monkeypatch.setenv("KFSM_ROLE_ARN", "arn:aws:iam::123456789012:user/sagemakeruser")
    with pytest.raises(ValidationError, match="IAM user ARN"):
        load_settings()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"target": "gcp"}, "must be 'local' or 'aws'"),
    ({"bucket": "Bad_Bucket"}, "bucket"),
    ({"training_instance_type": "m5.large"}, "training_instance_type"),
    ({"k": 0}, "k: must be at least 1"),
    ({"pace": "fast"}, "pace"),
    ({"colour": "red"}, "not a known setting"),
])
def test_bad_values(kwargs, fragment):
    with pytest.raises(ValidationError, match=fragment):
        load_settings(**kwargs)


def test_role_arn_whitespace_stripped():
    s = load_settings(role_arn=" arn:aws:iam::123456789012:role/r\n")
    assert s.role_arn == "arn:aws:iam::123456789012:role/r"


def test_s3_root_needs_bucket():
    with pytest.raises(ConfigurationError, match="no bucket"):
        _ = load_settings(bucket="").s3_root
    assert load_settings(bucket="my-bucket").s3_root == "s3://my-bucket/mnist_kmeans_example"


def test_public_dict_has_no_secret_fields():
    keys = set(load_settings().public_dict())
    assert not {k for k in keys if "secret" in k and k != "secret_name"}
    assert not {k for k in keys if "access_key" in k}
