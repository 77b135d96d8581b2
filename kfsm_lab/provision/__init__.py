"""Setup: the workshop's IAM, secret, bucket and data steps — each idempotent and safe to re-run.

Every step returns what it did (``created`` / ``already there`` / ``updated``), prints no secret and
tags what it creates. ``setup_all`` returns the settings with ``role_arn`` and ``bucket`` filled in.

Safe to run concurrently: setups on one state folder take turns (a lock in it, per target), and an
"already exists" from a peer elsewhere that got there first counts as "already there" — one user,
one key, one role, one bucket.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import threading
from collections.abc import Callable, Iterator
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from .. import aws
from ..data import S3Layout
from . import iam as iam_steps
from . import secret_store
from .bucket import configured_bucket, ensure_bucket, find_kit_bucket, resolve_bucket
from .calls import call, code_of
from .data_upload import Prepared, prepare_in_background, upload_data
from .results import SetupReport, StepResult
from .side_by_side import side_by_side

if TYPE_CHECKING:
    from ..config import Settings
    from ..data.mnist import MnistSplits

__all__ = ["SetupReport", "StepResult", "plan", "remembered_settings", "setup_all", "setup_bucket", "setup_data",
           "setup_iam"]

F = TypeVar("F", bound=Callable[..., Any])
_held = threading.local()  # lock depth of this thread: setup_all holds it while its steps run


@contextlib.contextmanager
def _turn(settings: Settings) -> Iterator[None]:
    """One setup at a time per state folder and target (processes and threads alike; re-entrant)."""
    from ..state import file_lock, state_dir

    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    with _thread_lock, file_lock(state_dir() / f"setup-{settings.target}.lock"):
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0


_thread_lock = threading.Lock()


def _one_at_a_time(fn: F) -> F:
    @wraps(fn)
    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> Any:
        with _turn(settings):
            return fn(settings, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _clients(settings: Settings, clients: tuple[Any, Any] | None = None, acknowledge: bool = True
             ) -> tuple[Any, Any]:
    """(iam, s3), made once per setup call (a boto3 client costs ~0.15 s to make); ``clients`` reuses a pair."""
    if clients is not None:
        return clients
    if settings.target == "local":
        from ..localcloud import connect
        from ..localcloud.restarts import acknowledge as acknowledge_cloud

        info = connect()  # one look at the cloud (its health) for the session and the mark both
        sess = info.session(settings.region)
        if acknowledge:
            acknowledge_cloud(info)  # setup (re)makes everything here: this cloud instance holds the kit's resources
    else:
        sess = aws.session(settings)
    return aws.client(settings, "iam", sess), aws.client(settings, "s3", sess)


@_one_at_a_time
def setup_bucket(settings: Settings, report: SetupReport | None = None,
                 clients: tuple[Any, Any] | None = None) -> SetupReport:
    report = report or SetupReport(settings=settings)
    _, s3 = _clients(settings, clients)
    bucket = configured_bucket(settings) or find_kit_bucket(settings, s3) or resolve_bucket(settings)
    report.add(ensure_bucket(settings, s3, bucket))
    report.settings = (report.settings or settings).replace(bucket=bucket)
    return report


@_one_at_a_time
def setup_iam(settings: Settings, report: SetupReport | None = None, worker_role: str | None = None,
              clients: tuple[Any, Any] | None = None) -> SetupReport:
    """User + policies + one access key, execution role, the secret (k8s on aws, 0600 file on local)."""
    report = report or SetupReport(settings=settings)
    iam, _ = _clients(settings, clients)
    bucket = resolve_bucket(report.settings or settings)

    def user_and_key() -> None:
        user = report.add(iam_steps.ensure_user(settings, iam, bucket))
        report.add(iam_steps.ensure_access_key(settings, iam, new_user=user.status == "created"))

    # the role needs nothing of the user's: it is made on a thread of its own meanwhile (each mostly waits on
    # IAM's answers; one after the other the two were 15 calls in a row of a cold setup's 0.35 s). The user's
    # error, if any, is raised in place of the role's.
    _, (made_role,) = side_by_side(user_and_key, lambda: iam_steps.ensure_role(settings, iam), name="kfsm-setup-role")
    role = report.add(made_role)
    if worker_role:
        report.add(iam_steps.ensure_worker_policy(settings, iam, worker_role))
    if settings.target == "aws":
        from .k8s_secret import ensure_secret

        report.add(ensure_secret(settings, secret_store.pipeline_credentials(settings)))
    else:
        report.add(_ensure_local_secret(settings))
    report.settings = (report.settings or settings).replace(role_arn=role.value)
    return report


def _ensure_local_secret(settings: Settings) -> StepResult:
    """The local Kubeflow Pipelines' stand-in for ``aws-secret`` (what ``use_aws_secret`` maps into a step)."""
    from ..localkfp import secrets

    creds = secret_store.pipeline_credentials(settings)
    try:
        same = secrets.get(settings.secret_name) == creds
    except secrets.SecretNotFound:
        same = False
    if not same:
        secrets.put(settings.secret_name, creds)
    return StepResult("secret", "already there" if same else "created",
                      f"{settings.secret_name} in the local secret store (0600)")


@_one_at_a_time
def setup_data(settings: Settings, report: SetupReport | None = None, splits: MnistSplits | None = None,
               clients: tuple[Any, Any] | None = None, prepared: cf.Future[Prepared] | None = None) -> SetupReport:
    """Upload the splits (the bundled sample unless given); ``prepared`` is their encoding under way."""
    from ..data import load_sample

    report = report or SetupReport(settings=settings)
    _, s3 = _clients(settings, clients)
    bucket = resolve_bucket(report.settings or settings)
    ready, encoded = prepared.result() if prepared is not None else (splits or load_sample(), None)
    for step in upload_data(settings, s3, bucket, ready, encoded):
        report.add(step)
    return report


@_one_at_a_time
def setup_all(settings: Settings, splits: MnistSplits | None = None, worker_role: str | None = None
              ) -> SetupReport:
    """Bucket, IAM (user, key, role, secret) and data, in an order where each step has what it needs.

    The data is loaded and encoded on a worker thread meanwhile: it needs no cloud, the first two steps
    mostly wait on theirs. Once the bucket is there, IAM (whose policy needs only the bucket's name) runs
    on a thread of its own beside the upload: each mostly waits on the cloud's answers to its own calls.
    The report lists the steps in the order above; IAM's error, when both fail, is the one raised.
    """
    report = SetupReport(settings=settings)
    prepared = prepare_in_background(splits)
    clients = _clients(settings)
    setup_bucket(settings, report, clients)
    iam_report, data_report = SetupReport(settings=report.settings), SetupReport(settings=report.settings)
    # the thread runs under this call's turn (the lock is held here), so it takes none of its own
    with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kfsm-setup-iam") as pool:
        iam = pool.submit(setup_iam.__wrapped__, report.settings, iam_report,  # type: ignore[attr-defined]
                          worker_role=worker_role, clients=clients)
        try:
            setup_data(report.settings, data_report, splits, clients, prepared)
        finally:
            iam.result()  # waits for IAM; its error, if any, is raised in place of the upload's
    report.steps += iam_report.steps + data_report.steps
    report.settings = iam_report.settings
    return report


def remembered_settings(settings: Settings) -> Settings:
    """The settings with the bucket and execution role that ``setup`` makes (or made) filled in, without
    creating anything: the remembered bucket name, and the role ARN from the caller's account."""
    from ..aws import partition_of

    changes: dict[str, Any] = {}
    if not settings.bucket:
        changes["bucket"] = resolve_bucket(settings)
    if not settings.role_arn:
        if settings.target == "local":
            from ..localcloud import ACCOUNT_ID as account
        else:
            account = call(aws.client(settings, "sts"), "get_caller_identity")["Account"]
        changes["role_arn"] = f"arn:{partition_of(settings.region)}:iam::{account}:role/{settings.role_name}"
    return settings.replace(**changes) if changes else settings


def plan(settings: Settings) -> SetupReport:
    """Dry run: what ``setup_all`` would do, from read-only calls; changes nothing."""
    report = SetupReport(settings=settings)
    iam, s3 = _clients(settings, acknowledge=False)
    bucket = resolve_bucket(settings)

    def exists(client: Any, op: str, **kw: Any) -> bool:
        try:
            call(client, op, **kw)
            return True
        except Exception as exc:
            if code_of(exc) in ("NoSuchEntity", "404", "NoSuchBucket", "NotFound", "NoSuchKey"):
                return False
            raise

    def step(name: str, there: bool, detail: str) -> None:
        report.add(StepResult(name, "already there" if there else "would create", detail))

    step("bucket", exists(s3, "head_bucket", Bucket=bucket), f"s3://{bucket} ({settings.region})")
    step("iam user", exists(iam, "get_user", UserName=settings.iam_user), settings.iam_user)
    stored = secret_store.load(settings) or {}
    step("access key", bool(stored.get("access_key_id")), "kept in the local secret store (0600)")
    step("execution role", exists(iam, "get_role", RoleName=settings.role_name), settings.role_name)
    if settings.target == "aws":
        from .k8s_secret import render_manifest

        report.add(StepResult("k8s secret", "would update", "manifest:\n" + render_manifest(settings)))
    lay = S3Layout(bucket, settings.s3_prefix)
    for name, key in (("data: train", lay.train_key), ("data: test", lay.test_key), ("data: valid", lay.valid_key)):
        there = exists(s3, "head_object", Bucket=bucket, Key=key) if report.steps[0].status != "would create" \
            else False
        step(name, there, f"s3://{bucket}/{key}")
    return report
