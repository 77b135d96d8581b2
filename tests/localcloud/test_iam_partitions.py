"""AWS's managed policies: the aws partition has them from the start, every other one once it is used."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from localcloud_helpers import TRUST, unique

from kfsm_lab.localcloud import iam_partitions

CHECK = """
from moto.iam.models import iam_backends
from kfsm_lab.localcloud import iam_partitions

account = "210987654321"
deferred = iam_partitions.defer_other_partitions(account)
assert {"aws-cn", "aws-us-gov"} <= set(deferred) and "aws" not in deferred, deferred
cn = iam_backends[account]["aws-cn"]
assert cn.managed_policies == {}
assert iam_partitions.ensure_policies(account, "us-west-2") is False  # aws: nothing deferred
assert iam_partitions.ensure_policies(account, "cn-north-1") is True
assert "arn:aws-cn:iam::aws:policy/AmazonS3FullAccess" in cn.managed_policies
assert iam_partitions.ensure_policies(account, "cn-northwest-1") is False  # once per partition
assert iam_backends[account]["aws-us-gov"].managed_policies == {}  # the others still wait
assert iam_partitions.defer_other_partitions(account) == []  # built already: left as they are
print("ok")
"""


def test_other_partitions_are_built_without_policies_and_get_them_when_used():
    # moto in a process of its own, with the switch on as in the local cloud (importing it here would
    # register its botocore hooks in every later client of this test process)
    env = {**os.environ, iam_partitions.POLICIES_ENV: "true"}
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize(("region", "partition", "policy"), [
    ("us-west-2", "aws", "AmazonSageMakerFullAccess"),
    ("cn-north-1", "aws-cn", "AmazonS3FullAccess"),
    ("us-gov-west-1", "aws-us-gov", "AmazonSageMakerFullAccess"),
])
def test_a_role_gets_a_managed_policy_in_each_partition(local_cloud, region, partition, policy):
    iam = local_cloud.client("iam", region)
    name = unique("partition-role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    arn = f"arn:{partition}:iam::aws:policy/{policy}"
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == policy
