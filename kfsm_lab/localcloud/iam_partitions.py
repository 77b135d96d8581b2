"""AWS's managed IAM policies, given to a partition only when a request is made in one of its regions.

moto keeps an IAM backend per partition (aws, aws-cn, aws-us-gov, the iso ones, ...) and looks the
access key of every S3 request up in all of them (``get_account_id_from``), building each one on
first use; with AWS's managed policies loaded (the workshop attaches two of them) each build parses
and copies 1,582 policies, ~0.25 s and ~4 MB. The first S3 request of a fresh local cloud took 1.2 s
building partitions no one used. So, before the cloud serves, every partition but ``aws`` is built
without them, and such a partition gets them on the first request signed for one of its regions
(``cn-north-1``, ``us-gov-west-1``, ...): every partition still has them when it is used.
"""

from __future__ import annotations

import threading

from ..environ import variable

POLICIES_ENV = "MOTO_IAM_LOAD_MANAGED_POLICIES"
DEFERRED = "_kfsm_managed_policies_deferred"  # set on a backend built without them
_lock = threading.Lock()


def defer_other_partitions(account_id: str, keep: str = "aws") -> list[str]:
    """Build ``account_id``'s IAM backends of every partition but ``keep`` without the managed policies.

    Partitions already there (restored from the saved state) are left as they are. Call it before the
    cloud serves: it sets moto's switch for the length of the builds. Returns the partitions deferred.
    """
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    account = iam_backends[account_id]
    deferred = []
    with variable(POLICIES_ENV, "false"):
        for partition in PARTITION_NAMES:
            if partition != keep and partition not in account.keys():
                setattr(account[partition], DEFERRED, True)
                deferred.append(partition)
    return deferred


def ensure_policies(account_id: str, region: str | None) -> bool:
    """Give the partition of ``region`` its managed policies if they were deferred; True when it did now."""
    if not region:
        return False
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    partition = get_partition(region)
    if partition == "aws":  # never deferred: the common case costs one prefix match
        return False
    account = iam_backends[account_id]
    backend = account[partition] if partition in account.keys() else None
    if backend is None or not getattr(backend, DEFERRED, False):
        return False
    with _lock:
        if not getattr(backend, DEFERRED, False):
            return False
        policies = backend._init_aws_policies()  # moto's own loader (the switch is on in the cloud)
        backend.aws_managed_policies = policies
        backend.managed_policies.update({p.arn: p for p in policies})  # with any made in it meanwhile
        setattr(backend, DEFERRED, False)
    return True


__all__ = ["defer_other_partitions", "ensure_policies"]
