"""Load, bounded and loopback only: 50 concurrent clients invoke one local endpoint for 10 s, and 4
training jobs run at once. Asserts no errors and every request answered; prints the figures (p50,
p99, throughput) — timing goals themselves live in benchmarks/."""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from botocore.config import Config
from rel_helpers import stats, tag

from kfsm_lab import aws
from kfsm_lab.data import S3Layout, load_sample, to_csv
from kfsm_lab.images import kmeans_image

pytestmark = [pytest.mark.load, pytest.mark.slow]

CLIENTS = 50
SECONDS = 10.0
MAX_PER_CLIENT = 2_000  # a second bound: the loop ends on count even if the clock misbehaves
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=1,
                  connect_timeout=10, read_timeout=30)


def test_fifty_clients_for_ten_seconds_all_answered(local_cloud, ready, finished_run):
    endpoint = finished_run.outputs["endpoint_name"]
    assert local_cloud.host == "127.0.0.1"
    rows = load_sample().test.X[:CLIENTS]
    session = aws.session(ready)
    clients = [session.client("sagemaker-runtime", endpoint_url=local_cloud.endpoint_url, config=NO_RETRY)
               for _ in range(CLIENTS)]  # one connection each: 50 concurrent clients, no retries to hide errors
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []
    sent = [0] * CLIENTS
    start = threading.Barrier(CLIENTS)
    before = stats(local_cloud).get("sagemaker-runtime.InvokeEndpoint", 0)

    def client_loop(i: int) -> None:
        body = to_csv(rows[i:i + 1])
        start.wait()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline and sent[i] < MAX_PER_CLIENT:
            t0 = time.perf_counter()
            sent[i] += 1
            try:
                resp = clients[i].invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
                preds = json.loads(resp["Body"].read())["predictions"]
                if len(preds) != 1 or not 0 <= preds[0]["closest_cluster"] < ready.k:
                    errors.append(f"client {i}: bad answer {preds}")
            except Exception as exc:
                errors.append(f"client {i}: {type(exc).__name__}: {exc}")
                continue
            latencies[i].append(time.perf_counter() - t0)

    t0 = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client_loop, range(CLIENTS)))
    wall = time.monotonic() - t0
    total = sum(sent)
    answered = sum(len(x) for x in latencies)
    flat = sorted(v for x in latencies for v in x)
    p50 = statistics.median(flat)
    p99 = flat[min(len(flat) - 1, int(0.99 * len(flat)))]
    counted = stats(local_cloud).get("sagemaker-runtime.InvokeEndpoint", 0) - before
    print(f"\nload: {CLIENTS} clients x {SECONDS:.0f} s: {total} requests, {answered} answered, "
          f"{len(errors)} errors, {answered / wall:.0f} req/s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {flat[-1] * 1000:.1f} ms; the cloud counted {counted}")
    assert errors == []
    assert answered == total and counted == total  # no request lost on either side
    assert all(s > 0 for s in sent)  # every client got its turn
    assert wall < SECONDS + 30  # bounded: it stopped by itself


def test_four_training_jobs_at_once(local_cloud, ready):
    sm = aws.client(ready, "sagemaker")
    lay = S3Layout(ready.bucket, ready.s3_prefix)
    image = kmeans_image(ready.region)
    names = [f"rel-load-{tag()}-{i}" for i in range(4)]

    def train(name: str) -> float:
        t0 = time.perf_counter()
        sm.create_training_job(
            TrainingJobName=name, RoleArn=ready.role_arn,
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            HyperParameters={"k": "10", "feature_dim": "784", "mini_batch_size": "5000"},
            InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": lay.dataset_uri, "S3DataDistributionType": "FullyReplicated"}},
                "ContentType": "application/x-recordio-protobuf"}],
            OutputDataConfig={"S3OutputPath": lay.model_uri()},
            ResourceConfig={"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
            StoppingCondition={"MaxRuntimeInSeconds": 600})
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name,
                                                                WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        seconds = list(pool.map(train, names))
    wall = time.perf_counter() - t0
    descs = [sm.describe_training_job(TrainingJobName=n) for n in names]
    print(f"\n4 training jobs at once: wall {wall:.1f} s, each {', '.join(f'{s:.1f}' for s in seconds)} s")
    assert [d["TrainingJobStatus"] for d in descs] == ["Completed"] * 4, [d.get("FailureReason") for d in descs]
    msd = [next(m["Value"] for m in d["FinalMetricDataList"] if m["MetricName"] == "train:msd") for d in descs]
    assert all(np.isfinite(msd)) and min(msd) > 0
    assert len({d["ModelArtifacts"]["S3ModelArtifacts"] for d in descs}) == 4  # no job wrote over another's model
