"""The kit's SageMaker endpoints on the configured target: list them with a cost estimate, delete one.

Plain synchronous boto3 on purpose: the handlers run these in a worker thread. An endpoint belongs
to the kit when it carries the tag ``kfsm-lab:created-by=kfsm-lab`` — a name that starts with
``kfsm-`` is not enough (anyone can pick it); anything else is neither listed nor deletable from here,
and a delete of it is refused with the reason.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .. import pricing
from ..aws import error_code, translate
from ..names import CREATED_BY, RESOURCE_PREFIX, TAG_CREATED_BY, is_kit_tagged
from .errors import ForbiddenError, NotFoundError

#: Endpoints without the name prefix whose tags are checked, at most (one ListTags call each).
MAX_TAG_LOOKUPS = 100
#: Statuses of endpoints that no longer run instances (not counted as live).
NOT_BILLING = ("Deleting", "Failed")


def _tags(sm: Any, arn: str) -> list[dict[str, str]]:
    return sm.list_tags(ResourceArn=arn).get("Tags", [])


def _not_found(exc: BaseException) -> bool:
    code = error_code(exc)
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")).lower()
    return code in ("ResourceNotFound", "ValidationException") and ("could not find" in message
                                                                     or "not found" in message)


def _age_seconds(created: datetime | None, now: datetime) -> float | None:
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return max(0.0, (now - created).total_seconds())


def _describe(sm: Any, summary: dict[str, Any], region: str, now: datetime) -> dict[str, Any] | None:
    """One endpoint as the panel shows it; None when it vanished meanwhile."""
    name = summary["EndpointName"]
    try:
        ep = sm.describe_endpoint(EndpointName=name)
    except Exception as exc:
        if _not_found(exc):
            return None
        raise
    config_name = ep.get("EndpointConfigName")
    variants: list[dict[str, Any]] = []
    try:
        cfg = sm.describe_endpoint_config(EndpointConfigName=config_name) if config_name else {}
        variants = cfg.get("ProductionVariants", [])
    except Exception as exc:
        if not _not_found(exc):
            raise
    live = {v.get("VariantName"): v for v in ep.get("ProductionVariants", [])}
    instances = []
    for v in variants:
        count = live.get(v.get("VariantName"), {}).get("CurrentInstanceCount", v.get("InitialInstanceCount", 1))
        instances.append((v.get("InstanceType"), int(count or 0)))
    types = sorted({t for t, _ in instances if t})
    created = ep.get("CreationTime")
    cost = pricing.estimate(instances, region)
    return {
        "name": name,
        "arn": ep.get("EndpointArn"),
        "status": ep.get("EndpointStatus"),
        "endpoint_config": config_name,
        "instance_type": ", ".join(types) or None,
        "instance_count": sum(c for _, c in instances),
        "created_at": created.isoformat() if isinstance(created, datetime) else None,
        "age_seconds": _age_seconds(created if isinstance(created, datetime) else None, now),
        "instances": [{"instance_type": t, "count": c} for t, c in instances],
        "hourly_usd": cost["hourly_usd"] if cost["complete"] else None,
        "failure_reason": ep.get("FailureReason"),
    }


def is_kit_endpoint(sm: Any, name: str, arn: str | None = None) -> bool:
    """True when ``name`` carries the kit's tag (the tag the kit's deploy step puts on it)."""
    if arn is None:
        arn = sm.describe_endpoint(EndpointName=name)["EndpointArn"]
    return is_kit_tagged(_tags(sm, arn))


def list_kit_endpoints(sm: Any, region: str, target: str) -> dict[str, Any]:
    """The kit's endpoints that exist on this target, each with status, type, age, and a total estimate."""
    now = datetime.now(timezone.utc)
    try:
        summaries: list[dict[str, Any]] = []
        for page in sm.get_paginator("list_endpoints").paginate():
            summaries.extend(page.get("Endpoints", []))
        ours: list[dict[str, Any]] = []
        lookups = 0
        # kit-named endpoints first, so the tag lookups (one call each) are spent where the kit's are
        summaries.sort(key=lambda s: not s["EndpointName"].startswith(RESOURCE_PREFIX))
        for s in summaries:
            if lookups < MAX_TAG_LOOKUPS:
                lookups += 1
                if is_kit_tagged(_tags(sm, s["EndpointArn"])):
                    ours.append(s)
        described = [d for d in (_describe(sm, s, region, now) for s in ours) if d is not None]
    except Exception as exc:
        raise translate(exc, "listing SageMaker endpoints") from exc
    described.sort(key=lambda d: d.get("created_at") or "", reverse=True)
    live = [d for d in described if d["status"] not in NOT_BILLING]
    cost = pricing.estimate([(i["instance_type"], i["count"]) for d in live for i in d["instances"]], region)
    if target == "local":
        cost["note"] = ("Endpoints on the local cloud cost nothing; the figure is what the same "
                        "instances would cost on AWS.")
    return {
        "target": target,
        "region": region,
        "count": len(live),
        "endpoints": described,
        "cost": cost,
        "scanned": len(summaries),
    }


def delete_kit_endpoint(sm: Any, name: str) -> dict[str, Any]:
    """Delete endpoint ``name`` and then its endpoint config; refuses endpoints the kit did not create."""
    try:
        try:
            ep = sm.describe_endpoint(EndpointName=name)
        except Exception as exc:
            if _not_found(exc):
                raise NotFoundError(f"endpoint {name!r} does not exist",
                                    "refresh the list: it may have been deleted already") from None
            raise
        if not is_kit_endpoint(sm, name, ep.get("EndpointArn")):
            raise ForbiddenError(f"endpoint {name!r} does not carry the kit's tag {TAG_CREATED_BY}={CREATED_BY}, "
                                 "so it was not made by kfsm_lab and is not deleted here (a name starting with "
                                 f"{RESOURCE_PREFIX!r} is not enough)",
                                 "delete it in the SageMaker console or with "
                                 f"`aws sagemaker delete-endpoint --endpoint-name {name}`")
        config_name = ep.get("EndpointConfigName")
        sm.delete_endpoint(EndpointName=name)
        config_deleted = False
        if config_name:
            try:
                sm.delete_endpoint_config(EndpointConfigName=config_name)
                config_deleted = True
            except Exception as exc:
                if not _not_found(exc):
                    raise
    except (NotFoundError, ForbiddenError):
        raise
    except Exception as exc:
        raise translate(exc, f"deleting endpoint {name}") from exc
    return {"deleted": name, "endpoint_config": config_name, "endpoint_config_deleted": config_deleted}
