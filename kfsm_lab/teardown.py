"""Clean-up: delete what the kit created so nothing keeps billing — and nothing else.

A resource is the kit's when it carries the tag ``kfsm-lab:created-by = kfsm-lab`` (SageMaker, S3,
IAM), read from the service itself — never from what the state folder remembers: a lost or damaged
remembered-bucket file hides no bucket. ``run_id`` narrows SageMaker resources to one run (tag
``kfsm-lab:run-id``). The CloudWatch log streams of the kit's jobs and the log group of each kit
endpoint go with them. The bucket (every kit bucket of this setup's pipeline user in the region)
and the IAM user/role are opt-in. ``dry_run`` lists what would go and changes nothing; a second run
finds nothing left and says so. A resource that vanishes while clean-up looks at it (another
process deleting it) is simply gone, not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from . import aws
from .data import split_s3_uri
from .errors import ConfigurationError
from .names import RESOURCE_PREFIX
from .provision.results import CREATED_BY_KEY, CREATED_BY_VALUE, PIPELINE_USER_KEY

if TYPE_CHECKING:
    from .config import Settings

RUN_TAG = "kfsm-lab:run-id"
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"
ENDPOINT_LOG_GROUP = "/aws/sagemaker/Endpoints"
_GONE = ("ValidationException", "ResourceNotFound", "ResourceNotFoundException", "NoSuchEntity", "NoSuchBucket",
         "NoSuchTagSet", "404")
_DENIED = ("AccessDenied", "AccessDeniedException")


@dataclass
class Item:
    kind: str
    name: str
    action: str
    detail: str = ""


@dataclass
class CleanupReport:
    dry_run: bool
    items: list[Item] = field(default_factory=list)

    @property
    def nothing_left(self) -> bool:
        return not self.items

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "nothing_left": self.nothing_left,
                "items": [asdict(i) for i in self.items]}

    def _repr_html_(self) -> str:
        import html

        from .display import table, title_of, what
        from .i18n import resolve, t

        lang = resolve(None, lab=True)
        title = "Clean-up" + (" (dry run)" if self.dry_run else "")
        if not self.items:
            return f"<b>{html.escape(title_of(title, lang))}</b>: {html.escape(t(lang, 'cleanup.nothing_left'))}"
        return table(["action", "kind", "name", "detail"],
                     [(i.action, what(i.kind, lang), i.name, i.detail) for i in self.items], title, status_col=0,
                     lang=lang)

    def text(self, lang: str | None = None) -> str:
        from .display import pad, what, word
        from .i18n import t

        if not self.items:
            return t(lang, "cleanup.nothing_left")
        return "\n".join(f"{pad(word(i.action, lang), 13)} {pad(what(i.kind, lang), 20)} {i.name}  {i.detail}".rstrip()
                         for i in self.items)


def _gone(exc: BaseException) -> bool:
    """The resource does not exist (any more): another process may have deleted it meanwhile."""
    code = aws.error_code(exc)
    if code in ("ResourceNotFound", "ResourceNotFoundException", "NoSuchEntity", "NoSuchBucket", "404"):
        return True
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")).lower()
    return code == "ValidationException" and any(w in message for w in ("not found", "could not find",
                                                                         "does not exist"))


def _tags(sm: Any, arn: str) -> dict[str, str] | None:
    """The resource's tags; None when it vanished meanwhile."""
    try:
        return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn).get("Tags", [])}
    except Exception as exc:
        if _gone(exc):
            return None
        raise


def _mine(tags: dict[str, str] | None, run_id: str | None) -> bool:
    return bool(tags) and tags.get(CREATED_BY_KEY) == CREATED_BY_VALUE and (  # type: ignore[union-attr]
        run_id is None or tags.get(RUN_TAG) == run_id)  # type: ignore[union-attr]


def _kit_made(fetch_tags: Callable[[], list[dict[str, str]]]) -> bool:
    """True when the tags ``fetch_tags()`` returns mark a kit resource; False when it does not exist."""
    try:
        tags = {t["Key"]: t["Value"] for t in fetch_tags()}
    except Exception as exc:
        if aws.error_code(exc) in ("NoSuchEntity", "NoSuchBucket", "NoSuchTagSet", "404"):
            return False
        raise
    return tags.get(CREATED_BY_KEY) == CREATED_BY_VALUE


def _paged(sm: Any, op: str, key: str, **kw: Any) -> Iterator[dict[str, Any]]:
    for page in sm.get_paginator(op).paginate(**kw):
        yield from page.get(key, [])


class _Cleaner:
    def __init__(self, settings: Settings, dry_run: bool) -> None:
        sess = aws.session(settings)
        self.settings = settings
        self.sm = aws.client(settings, "sagemaker", sess)
        self.s3 = aws.client(settings, "s3", sess)
        self.iam = aws.client(settings, "iam", sess)
        self.logs = aws.client(settings, "logs", sess)
        self.report = CleanupReport(dry_run)

    def act(self, kind: str, name: str, verb: str, fn: Callable[[], Any], detail: str = "") -> None:
        if self.report.dry_run:
            self.report.items.append(Item(kind, name, f"would {verb}", detail))
            return
        try:
            fn()
        except Exception as exc:
            if aws.error_code(exc) in _GONE[:5]:
                return  # already gone (e.g. deleted by someone else meanwhile): nothing to report
            raise aws.translate(exc, f"{verb} {kind} {name}") from exc
        self.report.items.append(Item(kind, name, "stopped" if verb == "stop" else "deleted", detail))

    # -- SageMaker ------------------------------------------------------------------------
    def sagemaker(self, run_id: str | None) -> None:
        sm = self.sm
        outputs: list[str] = []
        streams: list[tuple[str, str]] = []
        for job in _paged(sm, "list_training_jobs", "TrainingJobSummaries", NameContains=RESOURCE_PREFIX):
            d = self._describe(sm.describe_training_job, TrainingJobName=job["TrainingJobName"])
            if d is None or not _mine(_tags(sm, d["TrainingJobArn"]), run_id):
                continue
            streams.append((TRAINING_LOG_GROUP, f"{d['TrainingJobName']}/"))
            if d["TrainingJobStatus"] == "InProgress":
                self.act("training job", d["TrainingJobName"], "stop",
                         lambda n=d["TrainingJobName"]: sm.stop_training_job(TrainingJobName=n))
            base = d.get("OutputDataConfig", {}).get("S3OutputPath")
            if base:
                outputs.append(f"{base.rstrip('/')}/{d['TrainingJobName']}/")
        for job in _paged(sm, "list_transform_jobs", "TransformJobSummaries", NameContains=RESOURCE_PREFIX):
            d = self._describe(sm.describe_transform_job, TransformJobName=job["TransformJobName"])
            if d is None or not _mine(_tags(sm, d["TransformJobArn"]), run_id):
                continue
            streams.append((TRANSFORM_LOG_GROUP, f"{d['TransformJobName']}/"))
            if d["TransformJobStatus"] == "InProgress":
                self.act("transform job", d["TransformJobName"], "stop",
                         lambda n=d["TransformJobName"]: sm.stop_transform_job(TransformJobName=n))
            out = d.get("TransformOutput", {}).get("S3OutputPath")
            if out:
                outputs.append(out.rstrip("/") + "/")
        endpoints = []
        for ep in _paged(sm, "list_endpoints", "Endpoints", NameContains=RESOURCE_PREFIX):
            if _mine(_tags(sm, ep["EndpointArn"]), run_id):
                endpoints.append(ep["EndpointName"])
                self.act("endpoint", ep["EndpointName"], "delete",
                         lambda n=ep["EndpointName"]: sm.delete_endpoint(EndpointName=n),
                         ep.get("EndpointStatus", ""))
        for cfg in _paged(sm, "list_endpoint_configs", "EndpointConfigs", NameContains=RESOURCE_PREFIX):
            if _mine(_tags(sm, cfg["EndpointConfigArn"]), run_id):
                self.act("endpoint config", cfg["EndpointConfigName"], "delete",
                         lambda n=cfg["EndpointConfigName"]: sm.delete_endpoint_config(EndpointConfigName=n))
        for model in _paged(sm, "list_models", "Models", NameContains=RESOURCE_PREFIX):
            if _mine(_tags(sm, model["ModelArn"]), run_id):
                self.act("model", model["ModelName"], "delete",
                         lambda n=model["ModelName"]: sm.delete_model(ModelName=n))
        for uri in outputs:
            self.s3_prefix(uri)
        for group, prefix in streams:
            self.log_streams(group, prefix)
        for name in endpoints:
            self.log_group(f"{ENDPOINT_LOG_GROUP}/{name}")

    @staticmethod
    def _describe(fn: Callable[..., dict[str, Any]], **kw: Any) -> dict[str, Any] | None:
        try:
            return fn(**kw)
        except Exception as exc:
            if _gone(exc):
                return None
            raise

    # -- CloudWatch Logs ----------------------------------------------------------------------
    def _logs_call(self, what: str, fn: Callable[[], Any]) -> Any:
        """``fn()``; None when the group is gone or logs permissions are missing (noted in the report)."""
        try:
            return fn()
        except Exception as exc:
            if _gone(exc):
                return None
            if aws.error_code(exc) in _DENIED:
                self.report.items.append(Item("log streams", what, "not deleted",
                                              "missing permission logs:DescribeLogStreams/DeleteLogStream"))
                return None
            raise aws.translate(exc, f"clean up logs {what}", service="logs") from exc

    def log_streams(self, group: str, prefix: str) -> None:
        """The streams of one kit job (``<job>/…``) in a shared SageMaker log group."""
        def names() -> list[str]:
            out: list[str] = []
            for page in self.logs.get_paginator("describe_log_streams").paginate(logGroupName=group,
                                                                                  logStreamNamePrefix=prefix):
                out += [s["logStreamName"] for s in page.get("logStreams", [])]
            return out

        found = self._logs_call(f"{group}:{prefix}*", names)
        if not found:
            return

        def drop() -> None:
            for stream in found:
                try:
                    self.logs.delete_log_stream(logGroupName=group, logStreamName=stream)
                except Exception as exc:
                    if not _gone(exc):
                        raise

        self.act("log streams", f"{group}:{prefix}*", "delete", drop, f"{len(found)} streams")

    def log_group(self, group: str) -> None:
        """The log group of one kit endpoint (``/aws/sagemaker/Endpoints/<name>``)."""
        groups = self._logs_call(group, lambda: [g["logGroupName"] for g in self.logs.describe_log_groups(
            logGroupNamePrefix=group).get("logGroups", []) if g["logGroupName"] == group])
        if groups:
            self.act("log group", group, "delete", lambda: self.logs.delete_log_group(logGroupName=group))

    # -- S3 -------------------------------------------------------------------------------
    def s3_prefix(self, uri: str) -> None:
        bucket, prefix = split_s3_uri(uri)
        keys = self._keys(bucket, prefix)
        if keys:
            self.act("s3 objects", uri, "delete", lambda: self._delete_keys(bucket, keys), f"{len(keys)} objects")

    def _keys(self, bucket: str, prefix: str) -> list[str]:
        keys: list[str] = []
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys += [o["Key"] for o in page.get("Contents", [])]
        except Exception as exc:
            if aws.error_code(exc) == "NoSuchBucket":
                return []
            raise
        return keys

    def _delete_keys(self, bucket: str, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})

    def kit_buckets(self) -> list[str]:
        """The kit's buckets of this setup, found by their tags on S3: in the settings' region, tagged
        ``kfsm-lab:created-by`` and made for this pipeline user — plus the configured bucket if it carries
        the kit's tag (buckets made before the pipeline-user tag existed)."""
        from .provision.bucket import configured_bucket

        found: list[str] = []
        named = configured_bucket(self.settings)
        for b in self.s3.list_buckets().get("Buckets", []):
            name = b["Name"]
            tags = self._bucket_tags(name)
            if tags is None or tags.get(CREATED_BY_KEY) != CREATED_BY_VALUE:
                continue
            owner = tags.get(PIPELINE_USER_KEY)
            if owner == self.settings.iam_user or (owner is None and name == named):
                if self._bucket_region(name) == self.settings.region:
                    found.append(name)
        return found

    def _bucket_tags(self, bucket: str) -> dict[str, str] | None:
        try:
            return {t["Key"]: t["Value"] for t in self.s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])}
        except Exception as exc:
            if aws.error_code(exc) in ("NoSuchTagSet", "NoSuchBucket", "AccessDenied", "404"):
                return None  # untagged, gone, or not ours to read: never ours to delete
            raise

    def _bucket_region(self, bucket: str) -> str | None:
        try:
            return self.s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        except Exception as exc:
            if aws.error_code(exc) in ("NoSuchBucket", "AccessDenied", "404"):
                return None
            raise

    def bucket(self) -> None:
        for bucket in self.kit_buckets():
            def drop(bucket: str = bucket) -> None:
                self._delete_keys(bucket, self._keys(bucket, ""))
                self.s3.delete_bucket(Bucket=bucket)

            self.act("bucket", bucket, "delete", drop, "with all its objects")

    # -- IAM ------------------------------------------------------------------------------
    def iam_user(self) -> None:
        from .provision import secret_store

        iam, name = self.iam, self.settings.iam_user
        if not _kit_made(lambda: iam.list_user_tags(UserName=name)["Tags"]):
            return

        def drop() -> None:
            for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
            for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
                iam.detach_user_policy(UserName=name, PolicyArn=p["PolicyArn"])
            for p in iam.list_user_policies(UserName=name)["PolicyNames"]:
                iam.delete_user_policy(UserName=name, PolicyName=p)
            iam.delete_user(UserName=name)
            secret_store.forget(self.settings)

        self.act("iam user", name, "delete", drop, "with its access keys and policies")

    def iam_role(self) -> None:
        iam, name = self.iam, self.settings.role_name
        if not _kit_made(lambda: iam.list_role_tags(RoleName=name)["Tags"]):
            return

        def drop() -> None:
            for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=p)
            iam.delete_role(RoleName=name)

        self.act("iam role", name, "delete", drop)

    def worker_policy(self, worker_role: str) -> None:
        from .provision.iam import WORKER_POLICY_NAME

        try:
            self.iam.get_role_policy(RoleName=worker_role, PolicyName=WORKER_POLICY_NAME)
        except Exception as exc:
            if aws.error_code(exc) == "NoSuchEntity":
                return
            raise
        self.act("inline policy", f"{worker_role}/{WORKER_POLICY_NAME}", "delete",
                 lambda: self.iam.delete_role_policy(RoleName=worker_role, PolicyName=WORKER_POLICY_NAME))

    def k8s_secret(self) -> None:
        from kubernetes.client.rest import ApiException

        from .provision.k8s_secret import core_api

        s = self.settings
        try:
            api = core_api()
            sec = api.read_namespaced_secret(s.secret_name, s.namespace)
        except (ConfigurationError, ApiException):
            return
        if (sec.metadata.labels or {}).get(CREATED_BY_KEY.replace(":", ".")) != CREATED_BY_VALUE:
            return
        self.act("k8s secret", f"{s.namespace}/{s.secret_name}", "delete",
                 lambda: api.delete_namespaced_secret(s.secret_name, s.namespace))


def cleanup(settings: Settings, run_id: str | None = None, all_runs: bool = False, include_bucket: bool = False,
            include_iam: bool = False, worker_role: str | None = None, dry_run: bool = False) -> CleanupReport:
    """Delete (or, with ``dry_run``, list) the kit's resources; see the module docstring."""
    if not run_id and not all_runs:
        raise ConfigurationError("say which run to clean up", "pass run_id=RUN_ID (--run) or all_runs=True (--all)")
    if run_id:
        from .validation import run_name

        run_id = run_name(run_id, "run_id")
    c = _Cleaner(settings, dry_run)
    c.sagemaker(None if all_runs else run_id)
    if include_bucket:
        c.bucket()
    if include_iam:
        c.iam_user()
        c.iam_role()
        if worker_role:
            c.worker_policy(worker_role)
        if settings.target == "aws":
            c.k8s_secret()
    return c.report
