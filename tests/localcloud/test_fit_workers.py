"""k-means fits in worker processes: the same model as on the cloud's thread, stoppable midway,
and a worker that dies does not fail the job; a tuning job's trials really fit in workers."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from localcloud_helpers import training_request, unique
from test_tuning import _wait_tuning, tuning_request

from kfsm_lab.localcloud import kmeans
from kfsm_lab.localcloud.sagemaker.jobs import JobRunner
from kfsm_lab.localcloud.sagemaker.workers import FitWorkers, WorkerDied

PARAMS = {"k": "10", "feature_dim": "784", "mini_batch_size": "500", "init_method": "kmeans++"}


@pytest.fixture(scope="module")
def workers():
    w = FitWorkers()
    yield w
    w.close()


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _same_log(a: list[str], b: list[str]) -> None:
    """The same lines, numbers within 1e-6 of each other.

    A worker fits with one BLAS thread, the cloud's thread with BLAS's default; on some CPUs (AMD EPYC's
    OpenBLAS kernels, for one) their sums differ in the last digits (a cost of 20571.6157 against 20571.6191),
    as two SageMaker instance types do.
    """
    assert [_NUMBER.sub("#", line) for line in a] == [_NUMBER.sub("#", line) for line in b]
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose([float(n) for n in _NUMBER.findall(x)], [float(n) for n in _NUMBER.findall(y)],
                                   rtol=1e-6)


def test_a_worker_fits_the_same_model_as_the_cloud_thread(workers, sample):
    params = kmeans.parse_hyperparameters(PARAMS)
    here = kmeans.fit(sample.train.X, params)
    steps: list[tuple[str, int]] = []
    away = workers.fit(sample.train.X, params, on_step=lambda stage, step, _: steps.append((stage, step)))
    np.testing.assert_allclose(away.centroids, here.centroids, rtol=1e-5, atol=1e-6)
    _same_log(away.log, here.log)
    assert ("epoch", 1) in steps  # the job's guard sees every step, as on its own thread


def test_a_stop_midway_ends_the_fit_and_the_worker_serves_the_next(workers, sample):
    params = kmeans.parse_hyperparameters({**PARAMS, "epochs": "5"})

    class Stop(Exception):
        pass

    def stop_at_second_epoch(stage: str, step: int, _: float) -> None:
        if stage == "epoch" and step == 2:
            raise Stop

    with pytest.raises(Stop):
        workers.fit(sample.train.X, params, on_step=stop_at_second_epoch)
    again = workers.fit(sample.train.X, kmeans.parse_hyperparameters(PARAMS))
    assert again.centroids.shape == (10, 784)


def test_a_bad_hyperparameter_is_the_algorithms_error_from_the_worker(workers, sample):
    params = kmeans.parse_hyperparameters({**PARAMS, "feature_dim": "10"})
    with pytest.raises(kmeans.AlgorithmClientError, match="feature"):
        workers.fit(sample.train.X, params)


def test_a_worker_that_dies_says_so_and_the_runner_fits_on_its_own_thread(sample):
    runner = JobRunner()
    params = kmeans.parse_hyperparameters(PARAMS)
    killed: list[int] = []

    def kill_the_worker(stage: str, step: int, _: float) -> None:
        if not killed:
            w = runner._workers._all[0]
            killed.append(w.proc.pid)
            os.kill(w.proc.pid, signal.SIGKILL)
            w.proc.wait(5)

    with pytest.raises(WorkerDied, match="worker process ended"):
        runner._workers.fit(sample.train.X, params, on_step=kill_the_worker)
    killed.clear()
    result = runner._fit_away(sample.train.X, params, kill_the_worker)  # dies again: fitted here instead
    assert result.centroids.shape == (10, 784) and killed
    runner._workers.close()


def _fit_workers_of(pid: int) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and "sagemaker.workers" in cmd:
            out.append(int(proc.name))
    return out


def test_tuning_trials_fit_in_worker_processes_of_the_cloud(sm, role_arn, image, layout, local_cloud):
    name = unique("kfsm-hpo-workers")[:32]
    sm.create_hyper_parameter_tuning_job(**tuning_request(name, role_arn, image, layout, jobs=2, parallel=2))
    deadline = time.monotonic() + 30
    while not _fit_workers_of(local_cloud.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _fit_workers_of(local_cloud.pid), "no fit worker process under the local cloud"
    assert _wait_tuning(sm, name)["HyperParameterTuningJobStatus"] == "Completed"


def test_a_changed_channel_object_is_read_again(sm, s3, local_client, role_arn, image, layout, sample):
    """Decoded channels are reused by ETag: the same key with new content must train on the new content."""
    from kfsm_lab.data import write_dense_tensor
    from kfsm_lab.localcloud.sagemaker.jobs import TRAINING_LOG_GROUP

    logs = local_client("logs")
    key = f"{layout.prefix}/changing/train"
    uri = f"s3://{layout.bucket}/{layout.prefix}/changing"
    channel = [{"ChannelName": "train", "ContentType": "application/x-recordio-protobuf",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}]
    for rows in (300, 300, 200):
        s3.put_object(Bucket=layout.bucket, Key=key, Body=write_dense_tensor(sample.train.X[:rows]))
        job = unique("kfsm-changing")
        sm.create_training_job(**training_request(job, role_arn, image, layout, channels=channel))
        sm.get_waiter("training_job_completed_or_stopped").wait(
            TrainingJobName=job, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
        assert sm.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "Completed"
        stream = logs.describe_log_streams(logGroupName=TRAINING_LOG_GROUP, logStreamNamePrefix=f"{job}/")[
            "logStreams"][0]["logStreamName"]
        text = "\n".join(e["message"] for e in logs.get_log_events(
            logGroupName=TRAINING_LOG_GROUP, logStreamName=stream, startFromHead=True)["events"])
        assert f"Train channel: {rows} records" in text, text
