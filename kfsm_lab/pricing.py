"""A small on-demand price table for SageMaker real-time endpoints, for the cost guard's estimate.

Why a table and not the AWS Price List API: the API needs extra permissions and network, and the
estimate must also work offline. The figures are list prices (USD per instance-hour, Linux,
on-demand real-time inference) for the instance types the exercise and its readers commonly use;
anything else is reported as "no price data" rather than guessed. Always shown as an estimate with
:data:`SOURCE` and :data:`AS_OF`.
"""

from __future__ import annotations

from typing import Any

SOURCE = "Amazon SageMaker pricing page, real-time inference, on-demand (https://aws.amazon.com/sagemaker/pricing/)"
AS_OF = "2025-01"
CURRENCY = "USD"

# us-east-1 and us-west-2 list the same prices for these types.
_COMMON = {
    "ml.t2.medium": 0.056,
    "ml.t2.large": 0.111,
    "ml.t2.xlarge": 0.223,
    "ml.t2.2xlarge": 0.445,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.m4.xlarge": 0.28,
    "ml.m4.2xlarge": 0.56,
    "ml.c5.large": 0.102,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.g4dn.xlarge": 0.736,
    "ml.p3.2xlarge": 3.825,
}

HOURLY_USD: dict[str, dict[str, float]] = {"us-east-1": dict(_COMMON), "us-west-2": dict(_COMMON)}


def hourly_price(instance_type: str | None, region: str) -> float | None:
    """USD per instance-hour for ``instance_type`` in ``region``, or None when the table has no figure."""
    if not instance_type:
        return None
    return HOURLY_USD.get(region, {}).get(instance_type)


def estimate(items: list[tuple[str | None, int]], region: str) -> dict[str, Any]:
    """Hourly estimate for (instance type, instance count) pairs.

    ``hourly_usd`` sums what is known; ``complete`` is False when some type had no price, so the
    caller can say "at least".
    """
    total = 0.0
    missing: list[str] = []
    for instance_type, count in items:
        price = hourly_price(instance_type, region)
        if price is None:
            missing.append(instance_type or "unknown")
        else:
            total += price * max(count, 0)
    return {
        "hourly_usd": round(total, 4),
        "complete": not missing,
        "unpriced_instance_types": sorted(set(missing)),
        "currency": CURRENCY,
        "source": SOURCE,
        "as_of": AS_OF,
        "region": region,
        "is_estimate": True,
    }
