"""The local cloud's door: every request signed by a key it issued, admin routes behind a token, no CORS
for a hostile page, no service for another local user. Each refusal is AWS's own, in each protocol."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from rel_helpers import tag

from tests.conftest import IN_CI

SERVICES = {  # boto3 call that reads, per protocol the cloud speaks
    "s3": lambda c: c.list_buckets(),
    "iam": lambda c: c.list_users(),
    "sts": lambda c: c.get_caller_identity(),
    "logs": lambda c: c.describe_log_groups(),
    "sagemaker": lambda c: c.list_endpoints(),
    "sagemaker-runtime": lambda c: c.invoke_endpoint(EndpointName="kfsm-nope", Body=b"1", ContentType="text/csv"),
}


def _client(info, service: str, key: str, secret: str, **kw):
    from botocore.config import Config

    return boto3.client(service, endpoint_url=info.endpoint_url, region_name=info.region, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}), **kw)


def _code(exc) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def _raw(info, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(info.host, info.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# --- unsigned, unknown key, wrong secret: refused with AWS's codes ---------------------------------------
UNSIGNED = [  # (what, method, path, body, headers, expected code, status)
    ("s3 ListBuckets", "GET", "/", b"", {}, "AccessDenied", 403),
    ("iam ListUsers", "POST", "/", b"Action=ListUsers&Version=2010-05-08",
     {"Content-Type": "application/x-www-form-urlencoded"}, "MissingAuthenticationToken", 403),
    ("sagemaker DeleteEndpoint", "POST", "/", b'{"EndpointName": "kfsm-door-victim"}',
     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.DeleteEndpoint"},
     "MissingAuthenticationTokenException", 400),
    ("runtime InvokeEndpoint", "POST", "/endpoints/kfsm-door-victim/invocations", b"1,2,3",
     {"Content-Type": "text/csv"}, "MissingAuthenticationTokenException", 403),
]


@pytest.mark.parametrize(("what", "method", "path", "body", "headers", "code", "status"), UNSIGNED,
                         ids=[u[0] for u in UNSIGNED])
def test_unsigned_requests_are_refused_in_each_protocol(local_cloud, what, method, path, body, headers, code, status):
    got, hdrs, text = _raw(local_cloud, method, path, body, headers)
    assert got == status, text
    assert code.encode() in text or hdrs.get("x-amzn-errortype") == code
    assert b"Traceback" not in text and b"<html" not in text.lower()


def test_unsigned_delete_deletes_nothing(local_cloud):
    iam = local_cloud.client("iam")
    name = f"door-victim-{tag()}"
    iam.create_user(UserName=name)
    status, _, _ = _raw(local_cloud, "POST", "/", f"Action=DeleteUser&UserName={name}&Version=2010-05-08".encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    iam.delete_user(UserName=name)


EXPECTED_UNKNOWN = {"s3": ("InvalidAccessKeyId", 403), "iam": ("InvalidClientTokenId", 403),
                    "sts": ("InvalidClientTokenId", 403), "logs": ("UnrecognizedClientException", 400),
                    "sagemaker": ("UnrecognizedClientException", 400),
                    "sagemaker-runtime": ("UnrecognizedClientException", 403)}
EXPECTED_MISMATCH = {"s3": ("SignatureDoesNotMatch", 403), "iam": ("SignatureDoesNotMatch", 403),
                     "sts": ("SignatureDoesNotMatch", 403), "logs": ("InvalidSignatureException", 400),
                     "sagemaker": ("InvalidSignatureException", 400),
                     "sagemaker-runtime": ("InvalidSignatureException", 403)}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_unknown_key_and_wrong_secret_are_refused(local_cloud, service):
    from botocore.exceptions import ClientError

    unknown = _client(local_cloud, service, "AKIAKFSMNOTISSUED000", "x" * 40)
    with pytest.raises(ClientError) as err:
        SERVICES[service](unknown)
    assert _code(err.value) == EXPECTED_UNKNOWN[service]
    wrong = _client(local_cloud, service, local_cloud.access_key_id, local_cloud.secret_access_key[::-1])
    with pytest.raises(ClientError) as err:
        SERVICES[service](wrong)
    assert _code(err.value) == EXPECTED_MISMATCH[service]
    assert "signature" in err.value.response["Error"]["Message"].lower()


def test_the_old_public_test_key_no_longer_opens_the_door(local_cloud):
    from botocore.exceptions import ClientError

    old = _client(local_cloud, "s3", "AKIAKFSMLOCALCLOUD00", "kfsm-local-cloud-test-key-not-a-secret00")
    with pytest.raises(ClientError) as err:
        old.list_buckets()
    assert _code(err.value) == ("InvalidAccessKeyId", 403)


def test_iam_keys_made_in_the_cloud_open_it_until_deactivated_or_deleted(local_cloud):
    from botocore.exceptions import ClientError

    iam = local_cloud.client("iam")
    user = f"door-{tag()}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    mine = _client(local_cloud, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert mine.get_caller_identity()["Arn"].endswith(f":user/{user}")
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as err:
        mine.get_caller_identity()
    assert _code(err.value) == ("InvalidClientTokenId", 403)
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError):
        mine.get_caller_identity()
    iam.delete_user(UserName=user)


def test_assumed_role_sessions_need_their_token(local_cloud):
    from botocore.exceptions import ClientError

    creds = local_cloud.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/door-any",
                                                  RoleSessionName="door")["Credentials"]
    ok = _client(local_cloud, "s3", creds["AccessKeyId"], creds["SecretAccessKey"],
                 aws_session_token=creds["SessionToken"])
    ok.list_buckets()
    forged = _client(local_cloud, "s3", creds["AccessKeyId"], creds["SecretAccessKey"],
                     aws_session_token=creds["SessionToken"][:-4] + "AAAA")
    with pytest.raises(ClientError) as err:
        forged.list_buckets()
    assert _code(err.value) == ("InvalidToken", 400)


# --- presigned URLs, stale signatures, tampered bodies ----------------------------------------------------
@pytest.fixture(scope="module")
def bucket(local_cloud):
    s3 = local_cloud.client("s3")
    name = f"kfsm-door-{tag()}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": local_cloud.region})
    s3.put_object(Bucket=name, Key="dir/a b+c.txt", Body=b"hello")
    return name


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_presigned_urls_work_and_expire(local_cloud, bucket, version):
    from botocore.config import Config

    s3 = local_cloud.client("s3", config=Config(signature_version=version))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"}, ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - the local cloud
        assert resp.read() == b"hello"
    short = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"}, ExpiresIn=1)
    time.sleep(2.2)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(short, timeout=10)  # noqa: S310
    assert err.value.code == 403 and b"Request has expired" in err.value.read()
    tampered = url.replace("dir/a", "dir/b")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(tampered, timeout=10)  # noqa: S310
    assert err.value.code == 403 and b"SignatureDoesNotMatch" in err.value.read()


def _signed(info, service: str, method: str, path: str, body: bytes, headers: dict, when: datetime.datetime | None
            = None, s3: bool = False) -> AWSRequest:
    import botocore.auth

    req = AWSRequest(method=method, url=f"{info.endpoint_url}{path}", data=body, headers=headers)
    signer = (botocore.auth.S3SigV4Auth if s3 else SigV4Auth)(
        Credentials(info.access_key_id, info.secret_access_key), service, info.region)
    if when is None:
        signer.add_auth(req)
    else:
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: when
        try:
            signer.add_auth(req)
        finally:
            botocore.auth.get_current_datetime = original
    return req


def _send(info, req: AWSRequest) -> tuple[int, bytes]:
    path = req.url.split(info.endpoint_url, 1)[1]
    status, _, text = _raw(info, req.method, path, req.body or b"", dict(req.headers.items()))
    return status, text


def test_a_signature_20_minutes_old_is_refused(local_cloud):
    old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    req = _signed(local_cloud, "sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
                  {"Content-Type": "application/x-www-form-urlencoded"}, when=old)
    status, text = _send(local_cloud, req)
    assert status == 403 and b"SignatureDoesNotMatch" in text and b"Signature expired" in text
    req = _signed(local_cloud, "s3", "GET", "/", b"", {}, when=old, s3=True)
    status, text = _send(local_cloud, req)
    assert status == 403 and b"RequestTimeTooSkewed" in text
    fresh = _signed(local_cloud, "sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert _send(local_cloud, fresh)[0] == 200


def test_a_body_changed_after_signing_is_refused(local_cloud, bucket):
    req = _signed(local_cloud, "s3", "PUT", f"/{bucket}/tampered", b"original", {}, s3=True)
    req.data = b"changed!"  # same length, other bytes: the signed x-amz-content-sha256 no longer fits
    status, text = _send(local_cloud, req)
    assert status == 400 and b"XAmzContentSHA256Mismatch" in text
    body = json.dumps({"EndpointName": "kfsm-door-x"}).encode()
    req = _signed(local_cloud, "sagemaker", "POST", "/", body,
                  {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.DescribeEndpoint"})
    req.data = json.dumps({"EndpointName": "kfsm-door-y"}).encode()
    status, text = _send(local_cloud, req)
    assert status == 400 and b"InvalidSignatureException" in text
    with pytest.raises(Exception) as err:
        local_cloud.client("s3").head_object(Bucket=bucket, Key="tampered")
    assert "404" in str(err.value)


def test_a_request_signed_for_another_service_is_refused(local_cloud):
    req = _signed(local_cloud, "s3", "POST", "/", b"{}", {"Content-Type": "application/x-amz-json-1.1",
                                                         "X-Amz-Target": "SageMaker.ListEndpoints"})
    status, text = _send(local_cloud, req)
    assert status == 400 and b"InvalidSignatureException" in text and b"'sagemaker'" in text


# --- S3's chunked uploads: a signature per chunk ---------------------------------------------------------
def _chunked(info, bucket: str, key: str, data: bytes, chunk: int, tamper: bool = False) -> tuple[int, bytes]:
    """A PutObject as SDKs that sign each chunk send it (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)."""
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]

    def frame(c: bytes, sig: str) -> bytes:
        return f"{len(c):x};chunk-signature={sig}\r\n".encode() + c + b"\r\n"

    length = sum(len(frame(c, "0" * 64)) for c in chunks)
    headers = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data)), "Content-Length": str(length)}
    req = AWSRequest(method="PUT", url=f"{info.endpoint_url}/{bucket}/{key}", headers=headers)
    signer = SigV4Auth(Credentials(info.access_key_id, info.secret_access_key), "s3", info.region)
    req.context["timestamp"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    signer._modify_request_before_signing(req)  # X-Amz-Date; the streaming payload header is already there
    canonical = signer.canonical_request(req)
    seed = signer.signature(signer.string_to_sign(req, canonical), req)
    signer._inject_signature_to_request(req, seed)
    amz_date = req.context["timestamp"]
    scope = f"{amz_date[:8]}/{info.region}/s3/aws4_request"
    key_bytes = f"AWS4{info.secret_access_key}".encode()
    for part in (amz_date[:8], info.region, "s3", "aws4_request"):
        key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
    previous, body = seed, b""
    for i, c in enumerate(chunks):
        text = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, hashlib.sha256(b"").hexdigest(),
                          hashlib.sha256(c).hexdigest()))
        sig = hmac.new(key_bytes, text.encode(), hashlib.sha256).hexdigest()
        if tamper and i == 1:  # flip the last byte (setting it to a fixed one left random data as it was 1 in 256)
            c = c[:-1] + bytes([c[-1] ^ 0xFF])
        body += frame(c, sig)
        previous = sig
    return _raw(info, "PUT", f"/{bucket}/{key}", body, dict(req.headers.items()))[::2]


def test_streaming_signed_chunked_upload(local_cloud, bucket):
    data = os.urandom(70_000)
    status, text = _chunked(local_cloud, bucket, "chunked.bin", data, 32_768)
    assert status == 200, text
    assert local_cloud.client("s3").get_object(Bucket=bucket, Key="chunked.bin")["Body"].read() == data
    status, text = _chunked(local_cloud, bucket, "chunked-bad.bin", data, 32_768, tamper=True)
    assert status == 403 and b"SignatureDoesNotMatch" in text


def test_chunk_signatures_match_the_aws_documentation_example():
    """The worked example of S3's "Signature Calculations for the Authorization Header: Transferring Payload
    in Multiple Chunks": 66,560 bytes of 'a' in 64 KB chunks, with the documentation's keys and signatures."""
    from kfsm_lab.localcloud import sigv4

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    sigs = ["ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"]
    data = [b"a" * 65536, b"a" * 1024, b""]
    body = b"".join(f"{len(c):x};chunk-signature={s}\r\n".encode() + c + b"\r\n"
                    for c, s in zip(data, sigs, strict=True))
    environ = {"REQUEST_METHOD": "PUT", "RAW_URI": "/examplebucket/chunkObject.txt",
               "HTTP_HOST": "s3.amazonaws.com", "HTTP_X_AMZ_DATE": "20130524T000000Z",
               "HTTP_X_AMZ_STORAGE_CLASS": "REDUCED_REDUNDANCY", "HTTP_CONTENT_ENCODING": "aws-chunked",
               "HTTP_X_AMZ_DECODED_CONTENT_LENGTH": "66560", "CONTENT_LENGTH": "66824",
               "HTTP_X_AMZ_CONTENT_SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
               "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                                     "aws4_request,SignedHeaders=content-encoding;content-length;host;"
                                     "x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
                                     "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"}
    claim = sigv4.parse(environ)
    assert sigv4.verify(environ, claim, secret, body)
    wrong = body.replace(sigs[1].encode(), b"0" * 64)
    with pytest.raises(sigv4.AuthProblem):
        sigv4.verify(environ, claim, secret, wrong)


# --- admin routes: the token, JSON only ------------------------------------------------------------------
def test_text_plain_post_to_faults_is_refused_and_arms_nothing(local_cloud):
    before = local_cloud.admin("faults")["faults"]
    csrf = json.dumps({"kind": "error", "status": 500}).encode()
    status, hdrs, text = _raw(local_cloud, "POST", "/_kfsm/faults", csrf, {"Content-Type": "text/plain",
                                                                          "Origin": "http://evil.example"})
    assert status == 403 and b"X-Kfsm-Admin-Token" in text
    assert not any(k.startswith("access-control-") for k in hdrs)
    status, _, text = _raw(local_cloud, "POST", "/_kfsm/faults", csrf,
                           {"Content-Type": "text/plain", "X-Kfsm-Admin-Token": local_cloud.admin_token})
    assert status == 415 and b"application/json" in text
    status, _, _ = _raw(local_cloud, "GET", "/_kfsm/health", b"", {"X-Kfsm-Admin-Token": "guess" * 8})
    assert status == 403
    assert local_cloud.admin("faults")["faults"] == before
    assert local_cloud.client("sts").get_caller_identity()["Account"]  # nothing armed: the cloud answers


def test_moto_api_routes_are_not_served(local_cloud):
    for path in ("/moto-api/reset", "/moto-api/data.json"):
        req = _signed(local_cloud, "s3", "POST" if path.endswith("reset") else "GET", path, b"", {}, s3=True)
        status, text = _send(local_cloud, req)
        assert status == 404, text


# --- CORS ------------------------------------------------------------------------------------------------
def test_hostile_origin_preflight_gets_no_cors_grant(local_cloud):
    for path, method in (("/", "DELETE"), ("/", "POST"), ("/_kfsm/faults", "POST"),
                         ("/endpoints/x/invocations", "POST")):
        status, hdrs, _ = _raw(local_cloud, "OPTIONS", path, b"", {
            "Origin": "http://evil.example", "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "x-amz-target,content-type,authorization"})
        assert status == 403
        assert not [k for k in hdrs if k.startswith("access-control-")], hdrs
    req = _signed(local_cloud, "s3", "GET", "/", b"", {"Origin": "http://evil.example"}, s3=True)
    status, hdrs, _ = _raw(local_cloud, "GET", "/", b"", dict(req.headers.items()))
    assert status == 200 and not [k for k in hdrs if k.startswith("access-control-")], hdrs


def test_a_configured_origin_alone_is_granted(local_cloud, monkeypatch):
    from dataclasses import replace

    from kfsm_lab.localcloud.server import LocalCloudServer

    monkeypatch.setenv("KFSM_CORS_ORIGIN", "http://127.0.0.1:8888")
    server = LocalCloudServer(pace=0).start()
    try:
        info = replace(local_cloud, endpoint_url=server.endpoint_url, port=server.port)
        status, hdrs, _ = _raw(info, "OPTIONS", "/", b"", {"Origin": "http://127.0.0.1:8888",
                                                          "Access-Control-Request-Method": "POST"})
        assert status == 200 and hdrs["access-control-allow-origin"] == "http://127.0.0.1:8888"
        status, hdrs, _ = _raw(info, "OPTIONS", "/", b"", {"Origin": "http://127.0.0.1:8889",
                                                          "Access-Control-Request-Method": "POST"})
        assert status == 403 and "access-control-allow-origin" not in hdrs
        req = _signed(info, "s3", "GET", "/", b"", {"Origin": "http://127.0.0.1:8888"}, s3=True)
        status, hdrs, _ = _raw(info, "GET", "/", b"", dict(req.headers.items()))
        assert status == 200 and hdrs["access-control-allow-origin"] == "http://127.0.0.1:8888"
    finally:
        server.shutdown()


# --- another local user ----------------------------------------------------------------------------------
def test_peer_uid_of_our_own_connection_is_ours(local_cloud):
    import socket

    from kfsm_lab.localcloud.peer import uid_of_connection

    with socket.create_connection(("127.0.0.1", local_cloud.port), timeout=5) as s:
        assert uid_of_connection(s.getsockname(), s.getpeername()) == os.getuid()


CLIENT = r"""
import http.client, json, sys
spec = json.load(sys.stdin)
out = []
for req in spec["requests"]:
    c = http.client.HTTPConnection("127.0.0.1", spec["port"], timeout=10)
    c.request(req["method"], req["path"], body=req["body"].encode(), headers=req["headers"])
    r = c.getresponse()
    out.append([r.status, r.read().decode("utf-8", "replace")])
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def other_user():
    """A second local user, made for this test and removed after it."""
    python = shutil.which("python3", path="/usr/bin:/bin")
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv") or not python:
        if IN_CI:
            pytest.fail("CI must run this as root with useradd, setpriv and /usr/bin/python3")
        pytest.skip("needs root, useradd, setpriv and a system python3 to act as another local user")
    name = f"kfsmdoor{random.randint(1000, 9999)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        uid = int(subprocess.run(["id", "-u", name], capture_output=True, text=True, check=True).stdout)
        yield name, uid, python
    finally:
        subprocess.run(["userdel", name], check=False)


def test_another_local_user_is_refused_even_with_the_right_keys(local_cloud, other_user):
    _, uid, python = other_user
    iam = local_cloud.client("iam")
    victim = f"door-victim-{tag()}"
    iam.create_user(UserName=victim)
    delete = _signed(local_cloud, "sagemaker", "POST", "/", json.dumps({"EndpointName": "kfsm-door-none"}).encode(),
                     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.DeleteEndpoint"})
    delete_user = _signed(local_cloud, "iam", "POST", "/",
                          f"Action=DeleteUser&UserName={victim}&Version=2010-05-08".encode(),
                          {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    listing = _signed(local_cloud, "s3", "GET", "/", b"", {}, s3=True)
    spec = {"port": local_cloud.port, "requests": [
        {"method": r.method, "path": r.url.split(local_cloud.endpoint_url, 1)[1], "body": (r.body or b"").decode(),
         "headers": dict(r.headers.items())} for r in (delete, listing, delete_user)]
        + [{"method": "GET", "path": "/_kfsm/stats", "body": "",
            "headers": {"X-Kfsm-Admin-Token": local_cloud.admin_token}}]}
    as_other = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", python, "-c", CLIENT],
                              input=json.dumps(spec), capture_output=True, text=True, timeout=60, cwd="/")
    assert as_other.returncode == 0, as_other.stderr
    answers = json.loads(as_other.stdout)
    assert [a[0] for a in answers] == [400, 403, 403, 403], answers
    assert "AccessDeniedException" in answers[0][1] and f"uid {uid}" in answers[0][1]
    assert "<Code>AccessDenied</Code>" in answers[1][1] and "<Code>AccessDenied</Code>" in answers[2][1]
    assert iam.get_user(UserName=victim)["User"]["UserName"] == victim  # not deleted
    # the very same signed requests, from our own uid, are served
    again = json.loads(subprocess.run([python, "-c", CLIENT],
                                      input=json.dumps({**spec, "requests": spec["requests"][1:]}),
                                      capture_output=True, text=True, timeout=60).stdout)
    assert [a[0] for a in again] == [200, 200, 200], again
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName=victim)


def test_another_local_user_cannot_read_the_local_kubeflow_pipelines(local_cloud, other_user):
    _, uid, python = other_user
    spec = {"port": int(local_cloud.kfp_endpoint.rsplit(":", 1)[1]), "requests": [
        {"method": "GET", "path": path, "body": "", "headers": {}}
        for path in ("/apis/v2beta1/runs", "/apis/v2beta1/experiments", "/k8s/pod/logs?podname=x-y")]}
    as_other = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", python, "-c", CLIENT],
                              input=json.dumps(spec), capture_output=True, text=True, timeout=60, cwd="/")
    assert as_other.returncode == 0, as_other.stderr
    answers = json.loads(as_other.stdout)
    assert [a[0] for a in answers] == [403, 403, 403], answers
    assert all(json.loads(a[1])["code"] == 7 and f"uid {uid}" in json.loads(a[1])["message"] for a in answers)
    mine = json.loads(subprocess.run([python, "-c", CLIENT], input=json.dumps(spec), capture_output=True, text=True,
                                     timeout=60).stdout)
    assert [a[0] for a in mine[:2]] == [200, 200], mine


# --- a bounded fuzz of the door: never a 5xx, never HTML -------------------------------------------------
def test_fuzzed_authorization_never_breaks_the_door(local_cloud):
    rng = random.Random(18)
    parts = ["AWS4-HMAC-SHA256", "AWS", "Bearer", "Credential=", local_cloud.access_key_id, "/20240101/", "us-west-2",
             "/s3/aws4_request", ",", " ", "SignedHeaders=host;x-amz-date", "Signature=", "0" * 64, ":", "=", "/",
             "\u00e9", "%", "aws4_request", "AKIA", ";;", "X-Amz-Date="]
    queries = ["", "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Credential=AKIA%2F2024", "X-Amz-Expires=abc",
               "X-Amz-Expires=99999999", "AWSAccessKeyId=AKIA&Signature=x&Expires=zz", "X-Amz-Signature=00",
               "X-Amz-Date=2024", "Action=ListUsers"]
    dates = ["", "20240101T000000Z", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), "garbage", "99999999T999999Z"]
    targets = [{}, {"X-Amz-Target": "SageMaker.ListEndpoints"}, {"Content-Type": "application/x-www-form-urlencoded"},
               {"X-Amz-Target": "Logs_20140328.DescribeLogGroups"}]
    statuses = []
    for _ in range(300):
        auth = "".join(rng.choice(parts) for _ in range(rng.randint(0, 12)))
        headers = {**rng.choice(targets)}
        if auth:
            headers["Authorization"] = auth
        if (d := rng.choice(dates)):
            headers["X-Amz-Date"] = d
        if rng.random() < 0.3:
            headers["x-amz-content-sha256"] = rng.choice(["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                                          "zz", "0" * 64])
        q = "&".join(rng.sample(queries, rng.randint(0, 3)))
        path = rng.choice(["/", "/bucket/key", "/endpoints/x/invocations", "/%ZZ", "/a/../b"]) + (f"?{q}" if q else "")
        body = rng.choice([b"", b"{}", b"Action=ListUsers", os.urandom(40)])
        status, _, text = _raw(local_cloud, rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD"]), path, body,
                               headers)
        statuses.append(status)
        assert status < 500, (headers, path, text)
        assert b"<html" not in text.lower() and b"Traceback" not in text, (headers, path, text)
    assert set(statuses) <= {400, 403, 404, 405}, sorted(set(statuses))
    print(f"\nfuzzed door: 300 requests, statuses {sorted(set(statuses))}")


def test_kit_clients_and_the_aws_cli_still_work(local_cloud, tmp_path):
    """What the kit's own processes use: boto3 via LocalCloudInfo, and the AWS CLI with `local env`."""
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    env = {**os.environ, **local_cloud.env(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    name = f"kfsm-door-cli-{tag()}"
    (tmp_path / "f.txt").write_bytes(b"x" * 3_000_000)
    for args in (["s3", "mb", f"s3://{name}"], ["s3", "cp", str(tmp_path / "f.txt"), f"s3://{name}/f.txt"],
                 ["sts", "get-caller-identity"], ["sagemaker", "list-endpoints"],
                 ["s3", "rb", f"s3://{name}", "--force"]):
        r = subprocess.run([str(aws), *args], capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, (args, r.stderr)
