"""The workshop's IAM steps, idempotent: pipeline user + key, SageMaker execution role, worker policy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..aws import partition_of
from ..errors import ConfigurationError, QuotaError
from . import secret_store
from .calls import call, code_of
from .results import CREATED_BY_KEY, StepResult, kit_tags

if TYPE_CHECKING:
    from ..config import Settings

SAGEMAKER_FULL = "AmazonSageMakerFullAccess"
S3_FULL = "AmazonS3FullAccess"
KEY_TAG = "kfsm-lab:access-key"
S3_POLICY_NAME = "kfsm-lab-s3-access"
WORKER_POLICY_NAME = "sagemaker-invoke-for-worker"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
WORKER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sagemaker:InvokeEndpoint"], "Resource": "*"}],
}


def managed_policy_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def _s3_policy(bucket: str, partition: str) -> dict[str, Any]:
    """What the pipeline steps need in the data bucket (the workshop's batch step 403'd without it)."""
    arn = f"arn:{partition}:s3:::{bucket}"
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": arn},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": f"{arn}/*"},
    ]}


def _exists(iam: Any, op: str, **kw: Any) -> dict | None:
    try:
        return call(iam, op, **kw)
    except Exception as exc:
        if code_of(exc) == "NoSuchEntity":
            return None
        raise


def ensure_user(settings: Settings, iam: Any, bucket: str) -> StepResult:
    """User ``sagemakeruser`` with SageMaker full access and S3 access to the data bucket.

    A user this call creates has no policies yet: they are attached and put without reading them first
    (both calls are idempotent on IAM's side). Only a user that was there already is read.
    """
    name = settings.iam_user
    partition = partition_of(settings.region)
    status = "already there"
    if _exists(iam, "get_user", UserName=name) is None:
        try:
            call(iam, "create_user", f"create IAM user {name}", UserName=name, Tags=kit_tags())
            status = "created"
        except Exception as exc:
            if code_of(exc) != "EntityAlreadyExists":  # else a peer made it a moment ago: the same user
                raise
    made = status == "created"
    attached = set() if made else {
        p["PolicyArn"] for p in call(iam, "list_attached_user_policies", UserName=name)["AttachedPolicies"]}
    want = managed_policy_arn(SAGEMAKER_FULL, partition)
    if want not in attached:
        call(iam, "attach_user_policy", UserName=name, PolicyArn=want)
        status = "updated" if status == "already there" else status
    doc = json.dumps(_s3_policy(bucket, partition), sort_keys=True)
    current = None if made else _exists(iam, "get_user_policy", UserName=name, PolicyName=S3_POLICY_NAME)
    if current is None or _policy_doc(current["PolicyDocument"]) != json.loads(doc):
        call(iam, "put_user_policy", UserName=name, PolicyName=S3_POLICY_NAME, PolicyDocument=doc)
        status = "updated" if status == "already there" else status
    return StepResult("iam user", status, f"{name}: {SAGEMAKER_FULL} + S3 access to {bucket}", name)


def _policy_doc(doc: Any) -> Any:
    return json.loads(unquote(doc)) if isinstance(doc, str) else doc


def _user_tags(iam: Any, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in call(iam, "list_user_tags", UserName=name).get("Tags", [])}


def ensure_access_key(settings: Settings, iam: Any, new_user: bool = False) -> StepResult:
    """One kit-made access key for the user: reused while its secret is in the store, else rotated.

    ``new_user``: the user was made a moment ago by this setup, so it has no keys and no tags to read.
    """
    name = settings.iam_user
    keys = {} if new_user else {
        k["AccessKeyId"]: k for k in call(iam, "list_access_keys", UserName=name)["AccessKeyMetadata"]}
    stored = secret_store.load(settings) or {}
    if stored.get("access_key_id") in keys:
        return StepResult("access key", "already there", f"{name}: key in the local secret store (0600)")
    kit_key = None if new_user else _user_tags(iam, name).get(KEY_TAG)
    rotated = False
    if kit_key and kit_key in keys:
        # The kit made this key but no longer has its secret: replace it instead of piling up keys.
        call(iam, "delete_access_key", UserName=name, AccessKeyId=kit_key)
        del keys[kit_key]
        rotated = True
    if len(keys) >= 2:
        raise QuotaError(f"IAM user {name} already has 2 access keys that the kit did not create",
                         f"delete one you no longer use (`aws iam delete-access-key --user-name {name} "
                         "--access-key-id ...`) and re-run; AWS allows two per user")
    key = call(iam, "create_access_key", f"create access key for {name}", UserName=name)["AccessKey"]
    path = secret_store.save(settings, key["AccessKeyId"], key["SecretAccessKey"])
    call(iam, "tag_user", UserName=name, Tags=[{"Key": KEY_TAG, "Value": key["AccessKeyId"]}])
    return StepResult("access key", "updated" if rotated else "created",
                      f"{name}: {'rotated; ' if rotated else ''}stored in {path.name} (0600)")


def trusts_sagemaker(role: dict[str, Any]) -> bool:
    doc = _policy_doc(role.get("AssumeRolePolicyDocument") or {})
    for st in doc.get("Statement", []):
        if st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        services = (st.get("Principal") or {}).get("Service", [])
        services = [services] if isinstance(services, str) else services
        if "sagemaker.amazonaws.com" in services and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            return True
    return False


def ensure_role(settings: Settings, iam: Any) -> StepResult:
    """Execution role trusted by SageMaker with SageMaker and S3 full access; returns its ARN."""
    name = settings.role_name
    partition = partition_of(settings.region)
    got = _exists(iam, "get_role", RoleName=name)
    status = "already there"
    if got is None:
        try:
            got = call(iam, "create_role", f"create role {name}", RoleName=name,
                       AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
                       Description="SageMaker execution role for the kfsm-lab MNIST pipeline", Tags=kit_tags())
            status = "created"
        except Exception as exc:
            if code_of(exc) != "EntityAlreadyExists":  # else a peer made it a moment ago
                raise
            got = call(iam, "get_role", RoleName=name)
    role = got["Role"]
    if not trusts_sagemaker(role):
        raise ConfigurationError(
            f"role {name} exists but its trust policy does not let sagemaker.amazonaws.com assume it",
            f"add SageMaker to its trust policy (`aws iam update-assume-role-policy --role-name {name} "
            "--policy-document file://trust.json`) or choose another role name (KFSM_ROLE_NAME)")
    attached = set() if status == "created" else {  # a role made just now has none attached
        p["PolicyArn"] for p in call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]}
    for policy in (SAGEMAKER_FULL, S3_FULL):
        arn = managed_policy_arn(policy, partition)
        if arn not in attached:
            call(iam, "attach_role_policy", RoleName=name, PolicyArn=arn)
            status = "updated" if status == "already there" else status
    return StepResult("execution role", status, role["Arn"], role["Arn"])


def ensure_worker_policy(settings: Settings, iam: Any, worker_role: str) -> StepResult:
    """Inline ``sagemaker-invoke-for-worker`` on the worker-node role the user names."""
    current = _exists(iam, "get_role_policy", RoleName=worker_role, PolicyName=WORKER_POLICY_NAME)
    if current is not None and _policy_doc(current["PolicyDocument"]) == WORKER_POLICY:
        return StepResult("worker invoke policy", "already there", f"{worker_role}/{WORKER_POLICY_NAME}")
    if _exists(iam, "get_role", RoleName=worker_role) is None:
        raise ConfigurationError(f"worker-node role {worker_role!r} does not exist",
                                 "give the node group's instance role name (eksctl: `aws iam list-roles "
                                 "| grep NodeInstanceRole`)")
    call(iam, "put_role_policy", RoleName=worker_role, PolicyName=WORKER_POLICY_NAME,
         PolicyDocument=json.dumps(WORKER_POLICY))
    return StepResult("worker invoke policy", "created" if current is None else "updated",
                      f"{worker_role}/{WORKER_POLICY_NAME}")


def is_kit_made(tags: list[dict[str, str]] | None) -> bool:
    return any(t.get("Key") == CREATED_BY_KEY for t in tags or [])
