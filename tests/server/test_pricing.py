"""The cost guard's estimate: sums what the table knows, says what it does not, never guesses."""

from __future__ import annotations

import pytest

from kfsm_lab import pricing


def test_estimate_sums_instances_and_counts():
    est = pricing.estimate([("ml.t2.medium", 1), ("ml.m5.large", 2)], "us-east-1")
    assert est["hourly_usd"] == pytest.approx(0.056 + 2 * 0.115)
    assert est["complete"] is True and est["unpriced_instance_types"] == []
    assert est["is_estimate"] and est["source"] == pricing.SOURCE and est["as_of"] == pricing.AS_OF


def test_unknown_type_or_region_is_reported_not_guessed():
    est = pricing.estimate([("ml.t2.medium", 1), ("ml.r7i.48xlarge", 1), (None, 1)], "us-west-2")
    assert est["hourly_usd"] == pytest.approx(0.056)
    assert est["complete"] is False
    assert est["unpriced_instance_types"] == ["ml.r7i.48xlarge", "unknown"]
    assert pricing.hourly_price("ml.t2.medium", "ap-south-2") is None


def test_nothing_running_costs_nothing():
    est = pricing.estimate([], "us-west-2")
    assert est["hourly_usd"] == 0 and est["complete"] is True


def test_table_covers_the_kits_default_instance_types():
    from kfsm_lab.config import Settings

    defaults = Settings()
    for region in ("us-east-1", "us-west-2"):
        for itype in (defaults.endpoint_instance_type, defaults.transform_instance_type,
                      defaults.training_instance_type):
            assert pricing.hourly_price(itype, region) is not None, (itype, region)
