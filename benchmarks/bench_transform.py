"""Batch transform throughput: rows/s for 1k, 60k and 600k rows against the same work done in one process.

Input is the exercise's batch input: CSV, ``SplitType=Line``, ``MultiRecord`` mini-batches of
``MaxPayloadInMB=6``, ``AssembleWith=Line``, JSON answers. 60k rows is the 5,000-digit sample
resampled with ±1-pixel shifts (as ``bench_scaling``); 600k rows is ten such objects under one prefix.
The transform time is create → Completed through the local cloud's API at pace 0 (polled every
50 ms). The floor is the same parse + assign + answer in this process, with the same parser, on the
same bytes (no HTTP, no S3). Goal: the 60k-row transform within 2× of its floor (the median of 5
pairs, transform and floor alternated; 1k and 600k rows are one run each).

    .venv/bin/python benchmarks/bench_transform.py [--sizes 1000,60000,600000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, cloud_pid, deploy_endpoint, local_cloud, paired, peak_above_rest_mb, watched
from bench_scaling import fast_csv, shifted_resample

GOAL = 2.0
OBJECT_ROWS = 60_000  # larger inputs are split into objects of this many rows


def _floor(bodies: list[bytes], centroids: np.ndarray, max_bytes: int) -> float:
    """Seconds for parse + assign + JSON answer of every mini-batch, in this process."""
    import pandas  # noqa: F401 - the parser of large bodies: its import is not part of the floor's work

    from kfsm_lab.localcloud import runtime
    from kfsm_lab.localcloud.sagemaker.jobs import _line_chunks

    t0 = time.perf_counter()
    for body in bodies:
        parts = []
        for chunk in _line_chunks(body, max_bytes):
            X = runtime.parse_request(chunk, "text/csv", centroids.shape[1])
            idx, dist = runtime.predict(X, centroids)
            parts.append(runtime.render(idx, dist, runtime.JSON))
            parts.append(b"\n")
        b"".join(parts)
    return time.perf_counter() - t0


def _wait(sm, name: str, timeout: float = 1800) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = sm.describe_transform_job(TransformJobName=name)
        if d["TransformJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        time.sleep(0.05)
    raise TimeoutError(f"transform {name} still running after {timeout} s")


def run(sizes: tuple[int, ...] = (1_000, 60_000, 600_000), section: Section | None = None) -> Section:
    section = section or Section("Batch transform throughput (CSV, MultiRecord 6 MB, JSON answers)")
    from kfsm_lab.data import load_sample
    from kfsm_lab.localcloud.sagemaker.jobs import centroids_from_tarball

    sample = load_sample()
    base = np.concatenate([sample.train.X, sample.valid.X, sample.test.X])
    ratios: dict[int, float] = {}
    with watched(section), local_cloud(pace=0) as info:
        endpoint, _ = deploy_endpoint(info, "tput")
        sm, s3 = info.client("sagemaker"), info.client("s3")
        model = f"{endpoint.removesuffix('-ep')}-model"
        url = sm.describe_model(ModelName=model)["PrimaryContainer"]["ModelDataUrl"]
        bucket, key = url[5:].split("/", 1)
        centroids = centroids_from_tarball(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        one = fast_csv(shifted_resample(base, OBJECT_ROWS))
        for n in sizes:
            if n <= OBJECT_ROWS:
                lines = one.split(b"\n", n)
                bodies = [b"\n".join(lines[:n])]
            else:
                bodies = [one] * (n // OBJECT_ROWS)
            prefix = f"tput-{n}-{uuid.uuid4().hex[:6]}"
            for i, body in enumerate(bodies):
                s3.put_object(Bucket=bucket, Key=f"{prefix}/in/part-{i:03d}.csv", Body=body)

            def transform(prefix: str = prefix, n: int = n, bodies: list[bytes] = bodies) -> dict:
                job = f"{prefix}-{uuid.uuid4().hex[:4]}"
                t0 = time.perf_counter()
                sm.create_transform_job(
                    TransformJobName=job, ModelName=model, BatchStrategy="MultiRecord", MaxPayloadInMB=6,
                    TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                    "S3Uri": f"s3://{bucket}/{prefix}/in/"}},
                                    "ContentType": "text/csv", "SplitType": "Line"},
                    TransformOutput={"S3OutputPath": f"s3://{bucket}/{prefix}/out-{job}",
                                     "Accept": "application/json", "AssembleWith": "Line"},
                    TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
                d = _wait(sm, job)
                took = time.perf_counter() - t0
                if d["TransformJobStatus"] != "Completed":
                    raise RuntimeError(f"transform of {n} rows: {d.get('FailureReason')}")
                for i in range(len(bodies)):
                    s3.delete_object(Bucket=bucket, Key=f"{prefix}/out-{job}/part-{i:03d}.csv.out")
                return {"wall": took}

            def floor(bodies: list[bytes] = bodies) -> dict:
                return {"wall": _floor(bodies, centroids, 6 * 1024 * 1024)}

            headline = n == 60_000
            if headline:  # the goal's figure: HEADLINE_PAIRS pairs, transform and floor alternated
                pair, kits, floors = paired(transform, floor)
                took, low = statistics.median(k["wall"] for k in kits), statistics.median(f["wall"] for f in floors)
                ratio, note = pair.median, pair.text()
            else:
                took, low = transform()["wall"], floor()["wall"]
                ratio, note = took / low, "one run"
            ratios[n] = ratio
            mb = sum(len(b) for b in bodies) / 1e6
            section.add(f"{n:>7} rows ({mb:,.0f} MB CSV): transform / floor",
                        f"{n / took:,.0f} / {n / low:,.0f} rows/s",
                        f"×{ratio:.2f}" + (f" (goal ≤ {GOAL:g})" if headline else ""),
                        ratio <= GOAL if headline else None, note=note)
            pid = cloud_pid()
            if headline and pid is not None:  # what the cloud holds beyond its resting size while it transforms
                extra = peak_above_rest_mb(pid, transform)
                section.add(f"{n:>7} rows: the cloud's peak memory above its rest during a transform",
                            f"{extra:,.0f} MB", note=f"one run; the object is {mb:,.0f} MB")
            for i in range(len(bodies)):
                s3.delete_object(Bucket=bucket, Key=f"{prefix}/in/part-{i:03d}.csv")
    return section


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,60000,600000")
    args = ap.parse_args()
    run(tuple(int(x) for x in args.sizes.split(",")))
