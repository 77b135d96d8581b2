"""boto3 clients for either target, one retry policy, and botocore errors in the kit's terms.

On ``aws`` boto3 finds credentials and endpoints the usual way. On ``local`` every client points
at the local cloud with the local cloud's own keys, so the user's real credentials never reach it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import AwsAccessError, CredentialsError, QuotaError

if TYPE_CHECKING:
    import boto3

    from .config import Settings

RETRY_CONFIG = {"max_attempts": 8, "mode": "standard"}

_HINTS = {
    "AccessDenied": "the caller lacks a permission; run `kfsm-lab doctor` to see which identity is used",
    "AccessDeniedException": "the caller lacks a permission; run `kfsm-lab doctor` to see which identity is used",
    "ExpiredToken": "your session expired; refresh your credentials (aws sso login / new keys)",
    "ExpiredTokenException": "your session expired; refresh your credentials (aws sso login / new keys)",
    "InvalidClientTokenId": "the access key is unknown; check AWS_ACCESS_KEY_ID or your profile",
    "UnrecognizedClientException": "the access key is unknown; check AWS_ACCESS_KEY_ID or your profile",
    "SignatureDoesNotMatch": "the secret key does not match the access key (a stray newline or space?)",
    "ThrottlingException": "AWS is throttling this account; wait a minute and re-run, it resumes",
    "ResourceLimitExceeded": "an account quota is too low: request an increase in Service Quotas "
                             "(SageMaker) or pick a smaller instance type",
    "NoSuchBucket": "the bucket does not exist; run `kfsm-lab setup bucket`",
    "ModelError": "the model rejected the request: send text/csv or application/json with feature_dim "
                  "values per record",
}


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to (``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``)."""
    for prefix, partition in (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso")):
        if region.startswith(prefix):
            return partition
    return "aws"


_loader_lock = threading.Lock()
_loader: Any = None


@functools.cache
def fast_file_loader_class() -> type:
    """botocore's JSON file loader, reading with orjson.

    botocore reads each model with ``json.loads(…, object_pairs_hook=OrderedDict)``: a Python call per
    JSON object (a dict keeps its order anyway). The models of the six services the kit uses took
    0.24 s that way and 0.07 s with orjson, paid in every process that makes their clients (the
    kernel, the local cloud for moto and its own clients, each run's zygote). What orjson refuses
    (botocore's own reader accepts ``NaN``, for one) is read by botocore's own code.
    """
    import orjson
    from botocore.loaders import JSONFileLoader

    class FastJSONFileLoader(JSONFileLoader):
        def _load_file(self, full_path: str, open_method: Any) -> Any:
            if not os.path.isfile(full_path):
                return None
            with open_method(full_path, "rb") as fp:
                payload = fp.read()
            try:
                return orjson.loads(payload)
            except orjson.JSONDecodeError:
                return super()._load_file(full_path, open_method)

    return FastJSONFileLoader


def share_service_listings() -> None:
    """In a kit process of its own (the local cloud): list botocore's model folders once per search path.

    ``Loader.list_available_services`` walks every service folder (~420: a ``listdir``, an ``isdir`` and
    a file check each), cached per loader only; moto makes a fresh loader for each model it reads and a
    fresh botocore session for each backend's regions, so a cold flow's local cloud walked them 16
    times. The installed folders do not change while the process runs: the listing is kept per (search
    paths, file loader, model type).
    """
    from botocore.loaders import Loader

    original = Loader.list_available_services
    if getattr(original, "_kfsm_shared", False):
        return
    listed: dict[tuple[Any, ...], tuple[str, ...]] = {}

    @functools.wraps(original)
    def list_available_services(self: Any, type_name: str) -> list[str]:
        key = (tuple(self.search_paths), type(self.file_loader), type_name)
        found = listed.get(key)
        if found is None:
            found = listed[key] = tuple(original(self, type_name))
        return list(found)  # a new list each time, as botocore's own returns

    list_available_services._kfsm_shared = True  # type: ignore[attr-defined]
    Loader.list_available_services = list_available_services


def botocore_session(session_vars: dict[str, Any] | None = None) -> Any:
    """A new botocore session that shares this process's data loader with every other one made here.

    A botocore session reads and parses its JSON data (endpoints, each service's API model) on first use:
    ~0.2-0.3 s per new session and service, paid again by each session of the same process. With one
    loader per process each file is parsed once; the sessions (credentials, region, events) stay separate.
    The first session's own loader (its ``data_path`` setting) becomes the shared one.
    """
    import botocore.session

    global _loader
    core = botocore.session.Session(session_vars=session_vars)
    with _loader_lock:
        if _loader is None:
            _loader = core.get_component("data_loader")
            _loader.file_loader = fast_file_loader_class()()
            _share_service_models()
        else:
            core.register_component("data_loader", _loader)
    return core


def _share_service_models() -> None:
    """Clients made on the shared loader share one ``ServiceModel`` per service and API version.

    botocore wraps the (cached) model JSON in a new ``ServiceModel`` for every client, and what it works out
    from it on demand is cached on that object: the first error a client parses maps error codes to shapes
    by walking every shape of the service (3,260 for SageMaker: 21 ms, the largest part of a pipeline
    step's 404 for "not created yet"). Shared, that is done once per process, and once per run in the zygote
    that forks the steps (:func:`kfsm_lab.localkfp.zygote._warm_boto3`). Nothing in botocore changes a
    ``ServiceModel`` after it is made; clients of other loaders (moto's, a user's own) are left as they are.
    """
    from botocore.client import ClientCreator

    original = ClientCreator._load_service_model
    if getattr(original, "_kfsm_shared", False):
        return
    models: dict[tuple[str, str | None], Any] = {}

    @functools.wraps(original)
    def _load_service_model(self: Any, service_name: str, api_version: str | None = None) -> Any:
        if self._loader is not _loader:
            return original(self, service_name, api_version)
        key = (service_name, api_version)
        found = models.get(key)
        if found is None:
            found = models.setdefault(key, original(self, service_name, api_version))
        return found

    _load_service_model._kfsm_shared = True  # type: ignore[attr-defined]
    ClientCreator._load_service_model = _load_service_model


def boto3_session(**kwargs: Any) -> boto3.Session:
    """``boto3.Session(**kwargs)`` on a :func:`botocore_session` (unless ``botocore_session`` is given)."""
    import boto3

    return boto3.Session(**_on_shared_data(kwargs))


def _on_shared_data(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Session arguments with a :func:`botocore_session` unless one is given (not ``setdefault``: that made
    one, ~50 ms, and dropped it every time)."""
    if kwargs.get("botocore_session") is None:
        kwargs["botocore_session"] = botocore_session()
    return kwargs


@functools.cache
def _locked_session_class() -> type:
    import boto3

    class LockedSession(boto3.Session):
        """Makes one client or resource at a time (see :func:`locked_session`)."""

        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self._make_lock = threading.RLock()
            self._shared: dict[tuple[str, str], Any] = {}

        def client(self, *args: Any, **kw: Any):
            with self._make_lock:
                return super().client(*args, **kw)

        def shared_client(self, service: str, endpoint_url: str, prepare: Callable[[Any], Any]) -> Any:
            """One client per service and endpoint, with the kit's config, made once and given to ``prepare``.

            botocore's clients are thread-safe; making one costs 5-60 ms of the caller's CPU (a copy of the
            session's event handlers, the service's methods), and a setup, a run's monitoring and a
            prediction each made their own of the same few.
            """
            with self._make_lock:
                found = self._shared.get((service, endpoint_url))
                if found is None:
                    found = prepare(super().client(service, endpoint_url=endpoint_url, config=botocore_config()))
                    self._shared[(service, endpoint_url)] = found
                return found

        def resource(self, *args: Any, **kw: Any):
            with self._make_lock:
                return super().resource(*args, **kw)

    return LockedSession


def locked_session(**kwargs: Any) -> boto3.Session:
    """A :func:`boto3_session` that several threads may share: it makes one client or resource at a time.

    boto3's sessions are not thread-safe while they make clients (their lazily built components race);
    the clients they make are. A session takes ~50 ms to make, and the kit's calls for one target and
    region share one (:func:`kfsm_lab.localcloud.lifecycle.local_session`).
    """
    return _locked_session_class()(**_on_shared_data(kwargs))


def botocore_config(**extra: Any):
    from botocore.config import Config

    return Config(retries=dict(RETRY_CONFIG), user_agent_extra=f"kfsm-lab/{__version__}", **extra)


def session(settings: Settings, start: bool = True) -> boto3.Session:
    """A boto3 session for the settings' target and region.

    On local it carries the local cloud's own keys and never reads a profile (``AWS_PROFILE`` is for
    the aws target). ``start=False`` is for commands that only read: no cloud is started for them,
    :class:`~kfsm_lab.localcloud.NotRunningError` says none is running.
    """
    if settings.target == "local":
        from .localcloud import connect

        return connect(start=start).session(settings.region)
    return boto3_session(region_name=settings.region)


def client(settings: Settings, service: str, session_: boto3.Session | None = None, start: bool = True,
           **kwargs: Any):
    """A client for ``service`` with standard retries; on local, pointed at the local cloud.

    On aws, an endpoint that resolves to this machine (``AWS_ENDPOINT_URL`` left over from
    ``eval "$(kfsm-lab local env)"``) is refused: see :func:`check_aws_endpoint`.
    """
    if settings.target == "local":
        from .localcloud import connect
        from .localcloud.restarts import watch_client

        info = connect(start=start)
        sess = session_ or info.session(settings.region)
        if not kwargs and hasattr(sess, "shared_client"):  # the kit's own session and config: made once
            return sess.shared_client(service, info.endpoint_url, watch_client)
        kwargs.setdefault("endpoint_url", info.endpoint_url)
        kwargs.setdefault("config", botocore_config())
        return watch_client(sess.client(service, **kwargs))  # a reset cloud is named, not a NoSuchBucket
    sess = session_ or session(settings)
    kwargs.setdefault("config", botocore_config())
    c = sess.client(service, **kwargs)
    check_aws_endpoint(c)
    return c


#: Set to 1 to let the aws target talk to an endpoint on this machine (tests with a stand-in only).
ALLOW_LOCAL_ENDPOINT_ENV = "KFSM_AWS_ALLOW_LOCAL_ENDPOINT"
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov")


def _local_reason(url: str) -> str | None:
    """Why ``url`` is on this machine (loopback, the kit's local cloud), or None when it is not."""
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or host.endswith(_AWS_DOMAINS):
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return f"{host} is this machine"
        try:
            addrs = {ai[4][0] for ai in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
        except OSError:
            return None
        ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addrs]
        if ips and all(i.is_loopback or i.is_unspecified for i in ips):
            return f"{host} resolves to this machine ({', '.join(sorted(addrs))})"
        return None
    if ip.is_loopback or ip.is_unspecified:
        return f"{host} is this machine"
    return None


def _allowed(var: str) -> bool:
    import os

    return os.environ.get(var, "").strip().lower() in ("1", "true", "yes")


def check_aws_endpoint(c: Any) -> None:
    """Refuse an aws-target client whose endpoint is on this machine, or that signs with the local cloud's key.

    Real AWS keys must never go to 127.0.0.1; the usual cause is a shell that ran
    ``eval "$(kfsm-lab local env)"``. ``KFSM_AWS_ALLOW_LOCAL_ENDPOINT=1`` allows it (tests with a stand-in).
    """
    from .errors import ConfigurationError

    if _allowed(ALLOW_LOCAL_ENDPOINT_ENV):
        return
    url = str(getattr(c.meta, "endpoint_url", "") or "")
    reason = _local_reason(url)
    fix = ("unset AWS_ENDPOINT_URL and any AWS_ENDPOINT_URL_<SERVICE> (left by `eval \"$(kfsm-lab local env)\"`; "
           "in a fresh shell they are gone), or use --target local")
    if reason:
        service = c.meta.service_model.service_name
        raise ConfigurationError(
            f"the aws target would send your AWS credentials for {service} to {url}, but {reason}: that is not AWS",
            fix + f"; to allow it for a test stand-in, set {ALLOW_LOCAL_ENDPOINT_ENV}=1")
    import os

    if os.environ.get("AWS_ACCESS_KEY_ID"):
        from .localcloud.keys import load

        local = load()
        if local is not None and os.environ["AWS_ACCESS_KEY_ID"].strip() == local.access_key_id:
            raise ConfigurationError(
                "the aws target is using the local cloud's own access key (AWS_ACCESS_KEY_ID from "
                "`kfsm-lab local env`), which AWS does not know",
                "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL (or open a fresh shell) so your "
                "own AWS credentials are used, or use --target local")


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError, else None."""
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict):
        return resp.get("Error", {}).get("Code")
    return None


_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
# Operations whose IAM action is not simply <service>:<OperationName>.
_ACTION_OF = {"HeadObject": "s3:GetObject", "HeadBucket": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket",
              "InvokeEndpoint": "sagemaker:InvokeEndpoint", "UploadPart": "s3:PutObject",
              "CreateMultipartUpload": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject"}


def iam_action(service: str | None, operation: str | None) -> str | None:
    """The IAM action a call needs (``iam:CreateRole``), for AccessDenied hints."""
    if not operation:
        return None
    if operation in _ACTION_OF:
        return _ACTION_OF[operation]
    prefix = {"sagemaker-runtime": "sagemaker", "logs": "logs", None: None}.get(service, service)
    return f"{prefix}:{operation}" if prefix else None


def translate(exc: BaseException, what: str = "", service: str | None = None) -> Exception:
    """Turn a botocore exception into the kit's error with a hint; others pass through.

    ``service`` (e.g. ``"iam"``) lets an AccessDenied name the exact missing permission.
    """
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    prefix = f"{what}: " if what else ""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return CredentialsError(prefix + "no AWS credentials were found",
                                "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws configure`, "
                                "or use the local target (--target local)")
    if isinstance(exc, NoRegionError):
        return AwsAccessError(prefix + "no AWS region is set", "pass --region or set KFSM_REGION")
    if isinstance(exc, EndpointConnectionError):
        return AwsAccessError(prefix + f"could not reach {exc.kwargs.get('endpoint_url')}",
                              "check the network; on the local target run `kfsm-lab local status`")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "Unknown")
        op = getattr(exc, "operation_name", None)
        msg = f"{prefix}{op or 'AWS call'} failed with {code}: {err.get('Message', '')}".rstrip(": ")
        cls = QuotaError if code == "ResourceLimitExceeded" else AwsAccessError
        hint = _HINTS.get(code)
        action = iam_action(service, op)
        if code in _DENIED and action:
            hint = (f"the caller is missing the permission {action}; attach a policy that allows it "
                    "(`kfsm-lab doctor` shows which identity is calling)")
        return cls(msg, hint, code=code, operation=op)
    return exc  # type: ignore[return-value]
