"""Admin routes: health, per-operation request counts and their reset."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest


def test_health(local_cloud):
    h = local_cloud.admin("health")
    assert h["status"] == "ok" and h["pid"] == local_cloud.pid and h["account"] == local_cloud.account_id


def test_stats_count_client_requests_per_operation(local_cloud, local_client):
    local_cloud.admin("stats/reset", {})
    sm, s3, sts = local_client("sagemaker"), local_client("s3"), local_client("sts")
    sm.list_endpoints()
    sm.list_endpoints()
    s3.list_buckets()
    sts.get_caller_identity()
    with pytest.raises(sm.exceptions.ClientError):
        local_client("sagemaker-runtime").invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body="1")
    stats = local_cloud.admin("stats")
    assert stats["requests"] == {"sagemaker.ListEndpoints": 2, "s3.ListBuckets": 1, "sts.GetCallerIdentity": 1,
                                 "sagemaker-runtime.InvokeEndpoint": 1}
    assert stats["total"] == 5
    assert local_cloud.admin("stats/reset", {})["total"] == 0


def test_unknown_admin_route_is_404(local_cloud):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{local_cloud.endpoint_url}/_kfsm/nope", timeout=5)  # noqa: S310
    assert info.value.code == 404


def test_bad_pace_is_rejected(local_cloud):
    with pytest.raises(urllib.error.HTTPError) as info:
        local_cloud.admin("pace", {"pace": -1})
    assert info.value.code == 400
    assert local_cloud.admin("pace")["pace"] == 0
