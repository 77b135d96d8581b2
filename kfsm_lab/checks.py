"""``doctor``: one check per thing that goes wrong in the workshop, each with the fix.

Checks never raise: a failure is a row with what is wrong and what to do. ``ok`` is False when any
check failed; skipped checks (not applicable to the target, or not answerable) do not fail the run.
"""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import KfsmError

if TYPE_CHECKING:
    from .config import Settings

Status = Literal["pass", "fail", "warn", "skip"]


@dataclass
class Check:
    name: str
    status: Status
    detail: str = ""
    fix: str = ""


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}

    def _repr_html_(self) -> str:
        from .display import table

        return table(["check", "result", "detail", "fix"],
                     [(c.name, c.status, c.detail, c.fix if c.status in ("fail", "warn") else "")
                      for c in self.checks], "Doctor", status_col=1)

    def raise_for_failures(self) -> None:
        """Stop a headless run at the first failed check, with its fix as the hint."""
        from .errors import ConfigurationError

        for c in self.checks:
            if c.status == "fail":
                raise ConfigurationError(f"doctor: {c.name}: {c.detail}", c.fix or None)

    def text(self, lang: str | None = None) -> str:
        from .i18n import t

        marks = {s: t(lang, f"mark.{s}") for s in ("pass", "fail", "warn", "skip")}
        m = max(len(v) for v in marks.values())
        w = max((len(c.name) for c in self.checks), default=10)
        lines = []
        for c in self.checks:
            lines.append(f"{marks[c.status]:<{m}}  {c.name:<{w}}  {c.detail}")
            if c.fix and c.status in ("fail", "warn"):
                lines.append(f"{'':<{m}}  {'':<{w}}  {t(lang, 'cli.fix', fix=c.fix)}")
        return "\n".join(lines)


class _Ctx:
    """Clients and facts shared by the checks, made once."""

    def __init__(self, settings: Settings) -> None:
        from . import aws

        self.settings = settings
        self.session = aws.session(settings)
        self._clients: dict[str, Any] = {}
        self.caller_arn: str | None = None
        self.role_arn: str | None = settings.role_arn

    def client(self, service: str) -> Any:
        from . import aws

        if service not in self._clients:
            self._clients[service] = aws.client(self.settings, service, self.session)
        return self._clients[service]


def _fail_from(exc: BaseException, name: str) -> Check:
    from . import aws

    err = aws.translate(exc) if not isinstance(exc, KfsmError) else exc
    if isinstance(err, KfsmError):
        return Check(name, "fail", err.message, err.hint or "")
    return Check(name, "fail", f"{type(exc).__name__}: {exc}", "")


SETUP_AGAIN = "`kfsm-lab setup all` (then run the pipeline again)"


def check_local_cloud(settings: Settings) -> Check:
    """Is the local cloud up, and are the kit's resources on it? Never starts one (a check changes nothing)."""
    if settings.target != "local":
        return Check("local cloud", "skip", "not used on the aws target")
    from .localcloud import status
    from .localcloud.restarts import check as restarted

    info = status()
    lost = restarted()  # the kit's resources were made on a cloud instance that is gone
    if info is None:
        detail = "not running" + ("; the resources the kit made on it are gone" if lost is not None else "")
        return Check("local cloud", "fail", detail, "`kfsm-lab local start`, then " + SETUP_AGAIN
                     if lost is not None else "`kfsm-lab local start`")
    if lost is not None:
        return Check("local cloud", "fail", lost.message, SETUP_AGAIN)
    return Check("local cloud", "pass", f"{info.endpoint_url} (pid {info.pid})")


def check_credentials(ctx: _Ctx) -> Check:
    ident = ctx.client("sts").get_caller_identity()
    ctx.caller_arn = ident["Arn"]
    return Check("credentials", "pass", f"{ident['Arn']} (account {ident['Account']})")


def check_region(ctx: _Ctx) -> Check:
    from .images import kmeans_image

    return Check("region", "pass", f"{ctx.settings.region}; k-means image {kmeans_image(ctx.settings.region)}")


def check_role(ctx: _Ctx) -> Check:
    from .provision import iam as iam_steps
    from .validation import role_name_of

    name = role_name_of(ctx.role_arn) if ctx.role_arn else ctx.settings.role_name
    iam = ctx.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except Exception as exc:
        from .aws import error_code

        if error_code(exc) == "NoSuchEntity":
            return Check("execution role", "fail", f"role {name} does not exist",
                         f"`kfsm-lab setup iam` (creates {ctx.settings.role_name})")
        raise
    ctx.role_arn = role["Arn"]
    if not iam_steps.trusts_sagemaker(role):
        return Check("execution role", "fail", f"{role['Arn']} does not trust sagemaker.amazonaws.com",
                     "add SageMaker to the role's trust policy (`aws iam update-assume-role-policy`)")
    attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    missing = [p for p in (iam_steps.SAGEMAKER_FULL, iam_steps.S3_FULL) if p not in attached]
    if missing:
        return Check("execution role", "fail", f"{role['Arn']} lacks {', '.join(missing)}",
                     "`kfsm-lab setup iam` (attaches them)")
    return Check("execution role", "pass", f"{role['Arn']} (trusts SageMaker; SageMaker + S3 full access)")


def check_pass_role(ctx: _Ctx) -> Check:
    if ctx.settings.target == "local":
        return Check("can pass role", "skip", "the local cloud does not enforce iam:PassRole")
    if not (ctx.caller_arn and ctx.role_arn):
        return Check("can pass role", "skip", "needs the caller and the role")
    caller = ctx.caller_arn
    if ":assumed-role/" in caller:  # simulate against the role behind the session
        part, rest = caller.split(":assumed-role/", 1)
        caller = part.replace(":sts:", ":iam:") + ":role/" + rest.split("/", 1)[0]
    try:
        res = ctx.client("iam").simulate_principal_policy(
            PolicySourceArn=caller, ActionNames=["iam:PassRole"], ResourceArns=[ctx.role_arn])
    except Exception as exc:  # noqa: BLE001 - not being allowed to simulate is itself an answer
        return Check("can pass role", "warn", f"could not simulate iam:PassRole ({type(exc).__name__})",
                     "ask an admin whether your identity may pass the execution role")
    decision = res["EvaluationResults"][0]["EvalDecision"]
    if decision != "allowed":
        return Check("can pass role", "fail", f"{caller} may not pass {ctx.role_arn} ({decision})",
                     "allow iam:PassRole on the execution role for your identity")
    return Check("can pass role", "pass", f"{caller} may pass the role")


def check_bucket(ctx: _Ctx) -> Check:
    from .data import S3Layout
    from .provision.bucket import resolve_bucket

    bucket = resolve_bucket(ctx.settings)
    s3 = ctx.client("s3")
    try:
        loc = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    except Exception as exc:
        from .aws import error_code

        if error_code(exc) in ("NoSuchBucket", "404"):
            return Check("bucket and data", "fail", f"s3://{bucket} does not exist", "`kfsm-lab setup all`")
        raise
    if loc != ctx.settings.region:
        return Check("bucket and data", "fail", f"s3://{bucket} is in {loc}, not {ctx.settings.region}",
                     f"set region {loc} or use another bucket")
    lay = S3Layout(bucket, ctx.settings.s3_prefix)
    missing = []
    for key in (lay.train_key, lay.valid_key):
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except Exception:  # noqa: BLE001 - any failure means the object is not usable
            missing.append(key)
    if missing:
        return Check("bucket and data", "fail", f"s3://{bucket} lacks {', '.join(missing)}",
                     "`kfsm-lab setup data`")
    return Check("bucket and data", "pass", f"s3://{bucket} ({loc}) holds data and valid_data.csv")


def check_secret(ctx: _Ctx) -> Check:
    from .provision import secret_store

    if ctx.settings.target == "local":
        path = secret_store.path_for(ctx.settings)
        if not path.exists():
            return Check("pipeline secret", "fail", "no pipeline key in the local secret store",
                         "`kfsm-lab setup iam`")
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            return Check("pipeline secret", "fail", f"{path} has mode {oct(mode)} (readable by others)",
                         f"chmod 600 {path}")
        return Check("pipeline secret", "pass", f"local secret store {path.name} (mode 0600)")
    from .provision.k8s_secret import KEYS, core_api

    try:
        api = core_api()
    except KfsmError as exc:
        return Check("pipeline secret", "skip", f"no cluster reachable: {exc.message}", exc.hint or "")
    from kubernetes.client.rest import ApiException

    try:
        sec = api.read_namespaced_secret(ctx.settings.secret_name, ctx.settings.namespace)
    except ApiException as exc:
        return Check("pipeline secret", "fail",
                     f"secret {ctx.settings.namespace}/{ctx.settings.secret_name}: HTTP {exc.status}",
                     "`kfsm-lab setup iam --target aws`")
    absent = [k for k in KEYS if k not in (sec.data or {})]
    if absent:
        return Check("pipeline secret", "fail", f"secret lacks {', '.join(absent)}",
                     "`kfsm-lab setup iam --target aws`")
    return Check("pipeline secret", "pass", f"{ctx.settings.namespace}/{ctx.settings.secret_name}")


def kfp_health(host: str, timeout: float = 5.0) -> dict[str, Any]:
    """``GET /apis/v2beta1/healthz``; raises KfsmError for unreachable hosts and v1-only backends."""
    from .errors import ConfigurationError

    base = host.rstrip("/")
    try:
        with urllib.request.urlopen(f"{base}/apis/v2beta1/healthz", timeout=timeout) as r:  # noqa: S310
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ConfigurationError(f"{base} is a Kubeflow Pipelines 1.x backend (no v2beta1 API)",
                                     "kfsm-lab needs KFP ≥ 2.0: upgrade Kubeflow Pipelines") from exc
        if exc.code in (401, 403):
            raise ConfigurationError(f"{base} denied access (HTTP {exc.code}: RBAC)",
                                     "in multi-user Kubeflow add the PodDefault 'access-ml-pipeline' to your "
                                     "notebook server, or pass a token/cookies") from exc
        raise ConfigurationError(f"{base} answered HTTP {exc.code}", "check kfp_host") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ConfigurationError(f"Kubeflow Pipelines at {base} is unreachable ({exc})",
                                 "check kfp_host (e.g. http://ml-pipeline-ui.kubeflow:80) and the network") from exc


def check_kfp(ctx: _Ctx) -> Check:
    if ctx.settings.target == "local":
        import kfp

        return Check("kubeflow pipelines", "pass", f"kfp.local (kfp {kfp.__version__}, no cluster needed)")
    host = ctx.settings.kfp_host or os.environ.get("KF_PIPELINES_ENDPOINT")
    if not host:
        return Check("kubeflow pipelines", "fail", "no KFP host configured",
                     "set kfp_host / KFSM_KFP_HOST (in-cluster: http://ml-pipeline.kubeflow:8888)")
    info = kfp_health(host)
    tag = str(info.get("tag_name", "") or "")
    major = tag.lstrip("v").split(".")[0]
    if major.isdigit() and int(major) < 2:
        return Check("kubeflow pipelines", "fail", f"{host} runs KFP {tag}", "upgrade to Kubeflow Pipelines 2.x")
    return Check("kubeflow pipelines", "pass", f"{host} (KFP {tag or '2.x'}, multi_user={info.get('multi_user')})")


def check_quota(ctx: _Ctx) -> Check:
    if ctx.settings.target == "local":
        return Check("instance quota", "skip", "no quotas on the local cloud")
    itype = ctx.settings.training_instance_type
    want = f"{itype} for training job usage"
    try:
        sq = ctx.client("service-quotas")
        for page in sq.get_paginator("list_service_quotas").paginate(ServiceCode="sagemaker"):
            for q in page["Quotas"]:
                if q["QuotaName"] == want:
                    if q["Value"] < ctx.settings.training_instance_count:
                        return Check("instance quota", "fail", f"{want} is {q['Value']:.0f}",
                                     "request an increase in Service Quotas or pick another instance type")
                    return Check("instance quota", "pass", f"{want}: {q['Value']:.0f}")
    except Exception as exc:  # noqa: BLE001 - Service Quotas is optional information
        return Check("instance quota", "skip", f"Service Quotas did not answer ({type(exc).__name__})")
    return Check("instance quota", "skip", f"no quota named {want!r}")


def check_widgets(ctx: _Ctx | None) -> Check:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ipw, jlw = version("ipywidgets"), version("jupyterlab_widgets")
    except PackageNotFoundError as exc:
        return Check("widgets", "fail", f"{exc.name} is not installed", "pip install 'ipywidgets>=8'")
    if int(ipw.split(".")[0]) < 8:
        return Check("widgets", "fail", f"ipywidgets {ipw} is too old", "pip install 'ipywidgets>=8'")
    return Check("widgets", "pass", f"ipywidgets {ipw}, jupyterlab_widgets {jlw}")


CHECKS: list[tuple[str, Callable[[_Ctx], Check]]] = [
    ("credentials", check_credentials), ("region", check_region),
    ("execution role", check_role), ("can pass role", check_pass_role), ("bucket and data", check_bucket),
    ("pipeline secret", check_secret), ("kubeflow pipelines", check_kfp), ("instance quota", check_quota),
    ("widgets", check_widgets),
]


NEEDS_CLOUD = "needs the local cloud (see the first check)"


def run_doctor(settings: Settings) -> DoctorReport:
    """Every check, each with its fix. On the local target a stopped or restarted cloud is one failure
    (the first row) and the checks that need it are skipped, so the same cause is reported once."""
    report = DoctorReport()
    cloud = check_local_cloud(settings)
    report.checks.append(cloud)
    if cloud.status == "fail":
        for name, fn in CHECKS:
            report.checks.append(fn(None) if name == "widgets" else Check(name, "skip", NEEDS_CLOUD))
        return report
    try:
        ctx = _Ctx(settings)
    except Exception as exc:  # noqa: BLE001
        report.checks.append(_fail_from(exc, "session"))
        return report
    for name, fn in CHECKS:
        if name != "credentials" and any(c.name == "credentials" and c.status == "fail" for c in report.checks) \
                and name in ("execution role", "can pass role", "bucket and data", "instance quota"):
            report.checks.append(Check(name, "skip", "needs working credentials"))
            continue
        try:
            report.checks.append(fn(ctx))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a row with its fix
            report.checks.append(_fail_from(exc, name))
    return report
