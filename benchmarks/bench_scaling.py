"""How training and batch transform grow with the number of digits: 1k, 5k and 60k rows.

The bundled sample has 5,000 real digits; 1k is its first 1,000, 5k all of it, and 60k is the sample
resampled twelve times with small pixel shifts (each copy rolled by −1, 0 or +1 pixel on each axis,
edges zero-filled), so the larger set is not 12 identical copies. Training runs through the local
cloud's SageMaker API on RecordIO-protobuf (as the exercise uploads it), with the kit's
hyperparameters; batch transform on CSV with ``SplitType=Line`` (as the exercise's batch input).
Times are create → final status, polled every 50 ms (at pace 0 the local cloud answers a create once
the job is done, so the client here waits up to 600 s for that answer and never retries it).
Goal: close to linear in rows, i.e. the per-row cost at 60k about the same as at 1k (growth ÷ 60 ≈ 1).

    .venv/bin/python benchmarks/bench_scaling.py
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, local_cloud

SIZES = (1_000, 5_000, 60_000)
GOAL_PER_ROW = 1.5  # per-row cost at 60k over per-row cost at 1k; ≤ 1.5 counts as close to linear


def shifted_resample(X: np.ndarray, n: int, seed: int = 7) -> np.ndarray:
    """``n`` rows drawn from ``X``, each image rolled by up to one pixel per axis (edges zero-filled)."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(X), n)
    shifts = rng.integers(-1, 2, size=(n, 2))
    imgs = X[pick].reshape(n, 28, 28)
    out = np.zeros_like(imgs)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            if not sel.any():
                continue
            rolled = np.roll(imgs[sel], (dy, dx), axis=(1, 2))
            if dy:
                rolled[:, 0 if dy > 0 else -1, :] = 0
            if dx:
                rolled[:, :, 0 if dx > 0 else -1] = 0
            out[sel] = rolled
    return out.reshape(n, 784)


def fast_csv(X: np.ndarray) -> bytes:
    """The same text as ``kfsm_lab.data.to_csv`` for pixel values k/255, built from a lookup table.

    ``np.savetxt`` formats 47 million numbers one by one (about 30 s for 60k rows here); the sample's
    pixels take only 256 values, so each is formatted once. Checked against ``to_csv`` on 1k rows.
    """
    levels = np.rint(X * 255).astype(np.uint8)
    table = np.array([f"{float(np.float32(v / 255)):g}" for v in range(256)], dtype=object)
    return "\n".join(",".join(row) for row in table[levels]).encode()


def _wait(describe, key: str, done: tuple[str, ...], timeout: float = 300.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = describe()
        if d[key] in done:
            return d
        time.sleep(0.05)
    raise TimeoutError(f"still {d[key]} after {timeout:g} s")


def run(section: Section | None = None) -> Section:
    section = section or Section("Scaling with rows (training, batch transform)")
    from kfsm_lab.config import load_settings
    from kfsm_lab.data import S3Layout, load_sample, to_csv, write_dense_tensor
    from kfsm_lab.images import kmeans_image

    s = load_settings(target="local")
    hp = {"k": str(s.k), "feature_dim": str(s.feature_dim), "mini_batch_size": str(s.mini_batch_size),
          "init_method": s.init_method}
    sample = load_sample()
    base = np.concatenate([sample.train.X, sample.valid.X, sample.test.X])
    check = base[:1000]
    if fast_csv(check).decode() != to_csv(check):
        raise RuntimeError("fast_csv differs from to_csv: the transform input would not be the kit's CSV")
    sets = {1_000: base[:1_000], 5_000: base[:5_000], 60_000: shifted_resample(base, 60_000)}
    times: dict[int, tuple[float, float]] = {}
    with local_cloud(pace=0) as info:
        from botocore.config import Config

        # one attempt, long read timeout: a create answered late must not be retried into ResourceInUse
        patient = Config(read_timeout=600, retries={"total_max_attempts": 1})
        sm, s3, iam = (info.client(x, config=patient) for x in ("sagemaker", "s3", "iam"))
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
        role = iam.create_role(RoleName="scale-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        image = kmeans_image(info.region)
        for n, X in sets.items():
            lay = S3Layout(f"scale-{n}-" + uuid.uuid4().hex[:6])
            s3.create_bucket(Bucket=lay.bucket, CreateBucketConfiguration={"LocationConstraint": info.region})
            s3.put_object(Bucket=lay.bucket, Key=lay.train_key, Body=write_dense_tensor(X))
            s3.put_object(Bucket=lay.bucket, Key=lay.valid_key, Body=fast_csv(X))
            name = f"scale-{n}"
            t0 = time.perf_counter()
            t_create = time.perf_counter()
            sm.create_training_job(
                TrainingJobName=name, RoleArn=role, HyperParameters=hp,
                AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
                InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": lay.dataset_uri}}}],
                OutputDataConfig={"S3OutputPath": lay.model_uri()},
                ResourceConfig={"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
                StoppingCondition={"MaxRuntimeInSeconds": 1800})
            create_s = time.perf_counter() - t_create
            d = _wait(lambda name=name: sm.describe_training_job(TrainingJobName=name), "TrainingJobStatus",
                      ("Completed", "Failed", "Stopped"))
            train_s = time.perf_counter() - t0
            if d["TrainingJobStatus"] != "Completed":
                raise RuntimeError(f"training on {n} rows: {d.get('FailureReason')}")
            sm.create_model(ModelName=name, PrimaryContainer={
                "Image": image, "ModelDataUrl": d["ModelArtifacts"]["S3ModelArtifacts"]})
            t0 = time.perf_counter()
            sm.create_transform_job(
                TransformJobName=name, ModelName=name, BatchStrategy="MultiRecord", MaxPayloadInMB=6,
                TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                "S3Uri": lay.batch_input_uri}},
                                "ContentType": "text/csv", "SplitType": "Line"},
                TransformOutput={"S3OutputPath": lay.output_uri(name), "AssembleWith": "Line"},
                TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
            d = _wait(lambda name=name: sm.describe_transform_job(TransformJobName=name), "TransformJobStatus",
                      ("Completed", "Failed", "Stopped"))
            transform_s = time.perf_counter() - t0
            if d["TransformJobStatus"] != "Completed":
                raise RuntimeError(f"batch transform of {n} rows: {d.get('FailureReason')}")
            times[n] = (train_s, transform_s)
            section.add(f"{n:>6} rows: training / batch transform", f"{train_s:.2f} s / {transform_s:.2f} s")
            if create_s > 1.0:
                section.note(f"{n} rows: CreateTrainingJob answered after {create_s:.1f} s (a create should return "
                             "at once, as on AWS)")
    small, big = SIZES[0], SIZES[-1]
    rows = big / small
    for i, label in enumerate(("training", "batch transform")):
        growth = times[big][i] / times[small][i]
        per_row = growth / rows
        section.add(f"{label} growth {small // 1000}k → {big // 1000}k rows (×{rows:g} rows)",
                    f"×{growth:.1f} (per row ×{per_row:.2f})", f"per row ≤ ×{GOAL_PER_ROW:g}", per_row <= GOAL_PER_ROW)
    section.note("60k rows = the 5,000-digit sample resampled with ±1-pixel shifts (not real extra digits); "
                 "training input RecordIO-protobuf, transform input CSV; times are create → final status")
    return section


if __name__ == "__main__":
    run()
