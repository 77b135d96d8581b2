"""The garbage collector in the kit's own processes: the local cloud, a run's runner and zygote, fit workers.

Their start imports moto, kfp and boto3 and builds large tables (IAM's managed policies, botocore's
models): hundreds of thousands of objects that live as long as the process. CPython's collector scans
them all again each time its oldest generation fills: in a cold start's flow the local cloud spent
0.55 s in it (four full collections of ~0.1 s each), a runner 0.17 s. So, as Python's documentation
advises for a process that forks: the collector is held while the process starts, then what it made
is frozen (moved to the permanent generation, which no collection scans, and whose pages forks keep
sharing) and collection resumes for what comes after. Never used in a user's own process.
"""

from __future__ import annotations

import gc


def hold() -> None:
    """At a kit process's start: no collection while it imports and builds what it keeps."""
    gc.disable()


def settle() -> None:
    """Once started (before a fork, or once warm): freeze what exists, then collect as usual."""
    gc.freeze()
    gc.enable()


def stats() -> dict[str, object]:
    """For the local cloud's ``/_kfsm/stats``: whether it collects again, what it froze, collections so far."""
    return {"collecting": gc.isenabled(), "frozen_objects": gc.get_freeze_count(),
            "collections": [g["collections"] for g in gc.get_stats()]}
