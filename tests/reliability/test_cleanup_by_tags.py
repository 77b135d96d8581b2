"""Clean-up finds the kit's resources by their tags on the service, not by what the state folder
remembers: with the remembered-bucket file deleted or garbage, the old kit bucket (and the log streams
and groups of the kit's jobs and endpoints) still go; setup finds the old bucket again instead of
making a second one."""

from __future__ import annotations

import pytest
from rel_helpers import tag

from kfsm_lab.config import load_settings

pytestmark = pytest.mark.slow


def _logs(info) -> dict[str, list[str]]:
    logs = info.client("logs")
    out = {}
    for g in logs.describe_log_groups()["logGroups"]:
        name = g["logGroupName"]
        out[name] = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=name)["logStreams"]]
    return out


@pytest.mark.parametrize("damage", ["deleted", "garbage", "a list"])
def test_a_forgotten_bucket_name_hides_nothing_from_cleanup(separate_cloud, damage):
    from kfsm_lab.pipeline import start_run
    from kfsm_lab.provision import setup_all
    from kfsm_lab.provision.bucket import _memory
    from kfsm_lab.teardown import cleanup

    with separate_cloud(pace=0.0) as info:
        t = tag()
        settings = load_settings(target="local", region="us-west-2", iam_user=f"rel-user-{t}",
                                 role_name=f"rel-role-{t}")  # bucket: generated and remembered
        done = setup_all(settings).settings
        old_bucket = done.bucket
        run = start_run(done, run_id=f"reltag-{t}").wait(timeout=240, interval=0.2)
        assert run.state == "succeeded", run.error
        logs = _logs(info)
        job_streams = [s for s in logs.get("/aws/sagemaker/TrainingJobs", []) if s.startswith(f"kfsm-reltag-{t}")]
        assert job_streams and f"/aws/sagemaker/Endpoints/kfsm-reltag-{t}-endpoint" in logs
        # a foreign bucket, tagged like the kit's but for another pipeline user, and an untagged one, stay
        s3 = info.client("s3")
        for name, tags in ((f"kfsm-other-{t}", [{"Key": "kfsm-lab:created-by", "Value": "kfsm-lab"},
                                                {"Key": "kfsm-lab:pipeline-user", "Value": "someone-else"}]),
                           (f"users-own-{t}", None)):
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
            if tags:
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})

        memory = _memory(settings)
        if damage == "deleted":
            memory.unlink()
        else:
            memory.write_text("{not json" if damage == "garbage" else '["a", "list"]')
        assert setup_all(settings).settings.bucket == old_bucket  # found again by its tags, not a new one
        assert len([b for b in s3.list_buckets()["Buckets"] if b["Name"].endswith("-kubeflow-pipeline-data")]) == 1

        memory.unlink()
        report = cleanup(settings, all_runs=True, include_bucket=True, include_iam=True)
        gone = {(i.kind, i.name) for i in report.items}
        assert ("bucket", old_bucket) in gone
        assert any(k == "log streams" and n.startswith("/aws/sagemaker/TrainingJobs:") for k, n in gone)
        assert ("log group", f"/aws/sagemaker/Endpoints/kfsm-reltag-{t}-endpoint") in gone
        buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert old_bucket not in buckets and {f"kfsm-other-{t}", f"users-own-{t}"} <= buckets
        after = _logs(info)
        assert not [s for s in after.get("/aws/sagemaker/TrainingJobs", []) if s.startswith(f"kfsm-reltag-{t}")]
        assert not [s for s in after.get("/aws/sagemaker/TransformJobs", []) if s.startswith(f"kfsm-reltag-{t}")]
        assert f"/aws/sagemaker/Endpoints/kfsm-reltag-{t}-endpoint" not in after
        again = cleanup(settings, all_runs=True, include_bucket=True, include_iam=True)
        assert again.nothing_left, again.text()


def test_cleanup_while_another_process_deletes_the_same_things(separate_cloud):
    """Two clean-ups at once (two `kfsm-lab run` ending together): what vanished meanwhile is not an error."""
    import threading

    from rel_helpers import fresh_settings

    from kfsm_lab.pipeline import start_run
    from kfsm_lab.provision import setup_all
    from kfsm_lab.teardown import cleanup

    with separate_cloud(pace=0.0):
        settings = setup_all(fresh_settings()).settings
        for i in range(2):
            assert start_run(settings, run_id=f"relrace-{tag()}-{i}").wait(timeout=240, interval=0.2).state \
                == "succeeded"
        errors: list[BaseException] = []

        def clean() -> None:
            try:
                cleanup(settings, all_runs=True)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=clean) for _ in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert errors == []
        assert cleanup(settings, all_runs=True).nothing_left
