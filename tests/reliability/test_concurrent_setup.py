"""`setup all` is safe to run concurrently: 8 processes on one state folder give one user, one access key,
one role, one bucket — all of them succeed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rel_helpers import tag

pytestmark = pytest.mark.slow


def test_eight_concurrent_setups_make_one_of_each(local_cloud):
    t = tag()
    args = [sys.executable, "-m", "kfsm_lab", "setup", "all", "--target", "local", "--region", "us-west-2",
            "--bucket", f"kfsm-conc-{t}"]
    env = {**os.environ, "KFSM_IAM_USER": f"rel-conc-{t}", "KFSM_ROLE_NAME": f"rel-conc-role-{t}"}
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(8)]
    outs = [p.communicate(timeout=600) for p in procs]
    failed = [(p.returncode, err[-800:]) for p, (_, err) in zip(procs, outs, strict=True) if p.returncode != 0]
    assert failed == []
    iam, s3 = local_cloud.client("iam"), local_cloud.client("s3")
    assert [u["UserName"] for u in iam.list_users()["Users"]].count(f"rel-conc-{t}") == 1
    keys = iam.list_access_keys(UserName=f"rel-conc-{t}")["AccessKeyMetadata"]
    assert len(keys) == 1, keys
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]].count(f"rel-conc-role-{t}") == 1
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]].count(f"kfsm-conc-{t}") == 1
    statuses = [line.split()[2] for out, _ in outs for line in out.splitlines() if line.startswith("access key")]
    assert statuses.count("created") == 1, statuses  # the other seven found it there
