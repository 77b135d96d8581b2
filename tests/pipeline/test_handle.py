"""The run handle's reading of the Kubeflow Pipelines API's JSON."""

from __future__ import annotations

import datetime

from kfsm_lab.pipeline.handle import _epoch


def test_api_times_read_as_epoch_seconds_and_unset_ones_as_none():
    assert _epoch("2026-12-03T10:00:01.250Z") == datetime.datetime(2026, 12, 3, 10, 0, 1, 250000,
                                                                   tzinfo=datetime.timezone.utc).timestamp()
    assert _epoch("2026-12-03T19:00:00+09:00") == _epoch("2026-12-03T10:00:00Z")
    assert _epoch("1970-01-01T00:00:00Z") is None  # how the API writes "not yet"
    assert _epoch(None) is None and _epoch("") is None and _epoch("soon") is None
    assert _epoch(1764756000.5) == 1764756000.5
