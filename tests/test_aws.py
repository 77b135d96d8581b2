"""kfsm_lab.aws: the shared botocore data (read fast, the same as botocore reads it) and shared sessions."""

import gzip
import json
import subprocess
import sys
import threading
from collections import OrderedDict

import botocore.session
import pytest
from botocore.loaders import Loader, create_loader

from kfsm_lab import aws
from kfsm_lab.localcloud.lifecycle import local_session


def _order(value):
    """Every mapping's key order, all the way down (what OrderedDict kept, and what a dict must keep too)."""
    if isinstance(value, dict):
        return [(k, _order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_order(v) for v in value]
    return value


@pytest.mark.parametrize("service", ["sagemaker", "sagemaker-runtime", "s3", "iam", "sts", "logs"])
def test_the_fast_reader_gives_botocores_models_exactly(service):
    assert type(aws.botocore_session().get_component("data_loader").file_loader).__name__ == "FastJSONFileLoader"
    # fresh loaders on both sides: the shared one's cached endpoints gain keys botocore's resolver adds in place
    stock, fast = create_loader(), Loader(file_loader=aws.fast_file_loader_class()())
    for kind in ("service-2", "endpoint-rule-set-1"):
        theirs, ours = stock.load_service_model(service, kind), fast.load_service_model(service, kind)
        assert ours == theirs and _order(ours) == _order(theirs)
    assert _order(fast.load_data("endpoints")) == _order(stock.load_data("endpoints"))


def test_what_orjson_refuses_is_read_by_botocores_own_code(tmp_path):
    (tmp_path / "nan.json").write_text('{"b": NaN, "a": [1, 2]}')
    with gzip.open(tmp_path / "plain.json.gz", "wt") as f:
        json.dump({"z": 1, "y": {"x": 2}}, f)
    loader = aws.fast_file_loader_class()()
    nan = loader.load_file(str(tmp_path / "nan"))
    assert isinstance(nan, OrderedDict) and list(nan) == ["b", "a"] and nan["b"] != nan["b"]
    assert _order(loader.load_file(str(tmp_path / "plain"))) == [("z", 1), ("y", [("x", 2)])]
    assert loader.load_file(str(tmp_path / "absent")) is None


def test_boto3_session_given_a_botocore_session_makes_no_other(monkeypatch):
    made = []
    init = botocore.session.Session.__init__
    monkeypatch.setattr(botocore.session.Session, "__init__",  # counted, then botocore's own
                        lambda self, *a, **k: made.append(1) or init(self, *a, **k))
    core = aws.botocore_session()
    assert len(made) == 1
    assert aws.boto3_session(botocore_session=core)._session is core and len(made) == 1
    aws.boto3_session()
    assert len(made) == 2


def test_one_local_session_per_keys_and_region_shared_by_threads():
    a = local_session("AKIAEXAMPLEKEY000001", "secret-one", "us-west-2")
    assert local_session("AKIAEXAMPLEKEY000001", "secret-one", "us-west-2") is a
    assert local_session("AKIAEXAMPLEKEY000001", "secret-one", "eu-west-1") is not a
    assert local_session("AKIAEXAMPLEKEY000002", "secret-two", "us-west-2") is not a
    clients, errors = [], []

    def make(service):
        try:
            clients.append(a.client(service, endpoint_url="http://127.0.0.1:9"))
        except Exception as exc:  # the test reports any
            errors.append(exc)

    threads = [threading.Thread(target=make, args=(s,)) for s in ["s3", "iam", "sagemaker", "logs", "sts"] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(clients) == 20
    creds = clients[0]._request_signer._credentials
    assert creds.access_key == "AKIAEXAMPLEKEY000001"


def test_the_kits_local_clients_are_made_once_per_session_service_and_endpoint(local_cloud):
    from kfsm_lab.config import load_settings

    settings = load_settings(target="local", pace=0)
    s3 = aws.client(settings, "s3")
    assert aws.client(settings, "s3") is s3  # the same session and kit config: made once
    assert aws.client(settings, "s3", local_cloud.session(settings.region)) is s3
    assert aws.client(settings, "iam") is not s3
    other = aws.client(settings, "s3", config=aws.botocore_config(read_timeout=5))  # asked for more: its own
    assert other is not s3 and other.meta.config.read_timeout == 5
    keys = local_cloud.access_key_id, local_cloud.secret_access_key
    assert aws.client(settings, "s3", local_session(*keys, "eu-west-1")) is not s3
    assert "Buckets" in s3.list_buckets()


_LISTING_PROBE = """
from botocore.loaders import Loader, create_loader
from moto.core.loaders import create_loader as moto_loader

from kfsm_lab.aws import share_service_listings

plain, moto = create_loader().list_available_services("service-2"), moto_loader().list_available_services("service-2")
walks = []
original = Loader.list_available_services
Loader.list_available_services = lambda self, type_name: walks.append(type_name) or original(self, type_name)
share_service_listings()
share_service_listings()  # once is enough: a second call keeps the first
first = create_loader().list_available_services("service-2")
again = create_loader().list_available_services("service-2")
assert first == again == plain and first is not again, "the same listing, a new list each time"
assert moto_loader().list_available_services("service-2") == moto_loader().list_available_services("service-2") == moto
assert walks == ["service-2", "service-2"], walks  # one walk per search path: botocore's folders, then moto's
print("ok")
"""


def test_the_cloud_lists_botocores_model_folders_once_per_search_path():
    """moto makes a fresh loader per model and per backend: the local cloud walks the ~420 folders once."""
    out = subprocess.run([sys.executable, "-c", _LISTING_PROBE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_clients_of_the_kits_sessions_share_one_service_model_and_still_map_errors(local_cloud):
    """One ``ServiceModel`` per service for the kit's sessions, so its error-code map is built once per
    process (and once per run in the zygote that forks the steps), not on each client's first error."""
    import boto3

    first = aws.boto3_session().client("sagemaker", region_name="us-west-2", endpoint_url=local_cloud.endpoint_url,
                                       aws_access_key_id=local_cloud.access_key_id,
                                       aws_secret_access_key=local_cloud.secret_access_key)
    second = local_cloud.client("sagemaker")
    assert first.meta.service_model is second.meta.service_model
    assert first.meta.service_model is not aws.boto3_session().client("s3", region_name="us-west-2").meta.service_model
    with pytest.raises(first.exceptions.ClientError) as caught:
        second.describe_model(ModelName="kfsm-no-such-model")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "_error_code_cache" in vars(second.meta.service_model)  # built by that first error
    # a session not made by the kit (a user's own) keeps botocore's one model per client
    plain = boto3.Session(region_name="us-west-2")
    assert plain.client("sagemaker").meta.service_model is not plain.client("sagemaker").meta.service_model


_ZYGOTE_PROBE = """
import os
from kfsm_lab.localkfp.zygote import _warm_boto3
_warm_boto3()
import boto3
if os.fork() == 0:  # as a step: a client of its own from the zygote's session
    client = boto3.DEFAULT_SESSION.client("sagemaker", region_name="us-west-2", aws_access_key_id="AKIAEXAMPLE",
                                          aws_secret_access_key="example")
    os._exit(0 if "_error_code_cache" in vars(client.meta.service_model) else 3)
print(os.waitstatus_to_exitcode(os.wait()[1]))
"""


def test_a_step_forked_from_the_zygote_finds_the_error_codes_mapped():
    out = subprocess.run([sys.executable, "-c", _ZYGOTE_PROBE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"
