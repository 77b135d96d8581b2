"""Local cloud figures: start time, idle memory, k-means training, invocation latency vs a moto call.

Run: ``.venv/bin/python benchmarks/bench_localcloud.py [--calls 300]``. Uses a private state folder,
so a running local cloud of yours is not touched. Goals: start < 2 s, idle RSS < 250 MB,
training on the bundled sample < 2 s, one-row invocation p50 < 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid

from _common import pct, rss_mb, timed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    os.environ["KFSM_STATE_DIR"] = tempfile.mkdtemp(prefix="kfsm-bench-")

    from kfsm_lab.data import S3Layout, load_sample, to_csv, write_dense_tensor
    from kfsm_lab.images import kmeans_image
    from kfsm_lab.localcloud import ensure_running, kmeans, stop

    t0 = time.perf_counter()
    info = ensure_running(pace=0)
    start_s = time.perf_counter() - t0
    time.sleep(0.5)
    idle = rss_mb(info.pid)
    print(f"start (cold, until health answers)    {start_s:8.2f} s   goal < 2 s")
    print(f"idle RSS                              {idle:8.1f} MB  goal < 250 MB")
    try:
        sample = load_sample()
        params = kmeans.parse_hyperparameters({"k": "10", "feature_dim": "784"})
        t = time.perf_counter()
        kmeans.fit(sample.train.X, params)
        fit_s = time.perf_counter() - t
        print(f"k-means fit, 3500 x 784, k=10 (in process) {fit_s:5.3f} s   goal < 2 s")
        p500 = kmeans.parse_hyperparameters({"k": "10", "feature_dim": "784", "mini_batch_size": "500"})
        t = time.perf_counter()
        kmeans.fit(sample.train.X, p500)
        print(f"  same with mini_batch_size=500       {time.perf_counter() - t:8.3f} s")

        region = info.region
        sm, s3, iam, smr, sts = (info.client(s) for s in ("sagemaker", "s3", "iam", "sagemaker-runtime", "sts"))
        t = time.perf_counter()
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
        role = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        print(f"first IAM call (managed policies load) {time.perf_counter() - t:7.2f} s")
        print(f"RSS after first IAM call              {rss_mb(info.pid):8.1f} MB")
        lay = S3Layout("bench-" + uuid.uuid4().hex[:8])
        s3.create_bucket(Bucket=lay.bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_object(Bucket=lay.bucket, Key=lay.train_key, Body=write_dense_tensor(sample.train.X))
        image = kmeans_image(region)
        t = time.perf_counter()
        sm.create_training_job(
            TrainingJobName="bench-train", RoleArn=role, HyperParameters={"k": "10", "feature_dim": "784"},
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": lay.dataset_uri}}}],
            OutputDataConfig={"S3OutputPath": lay.model_uri()},
            ResourceConfig={"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
            StoppingCondition={"MaxRuntimeInSeconds": 600})
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="bench-train",
                                                                 WaiterConfig={"Delay": 0.1, "MaxAttempts": 3000})
        desc = sm.describe_training_job(TrainingJobName="bench-train")
        print(f"training job through the API (pace 0) {time.perf_counter() - t:8.2f} s   "
              f"status {desc['TrainingJobStatus']}")
        sm.create_model(ModelName="bench-model", PrimaryContainer={
            "Image": image, "ModelDataUrl": desc["ModelArtifacts"]["S3ModelArtifacts"]})
        sm.create_endpoint_config(EndpointConfigName="bench-cfg", ProductionVariants=[{
            "VariantName": "v", "ModelName": "bench-model", "InitialInstanceCount": 1,
            "InstanceType": "ml.t2.medium"}])
        sm.create_endpoint(EndpointName="bench-ep", EndpointConfigName="bench-cfg")
        sm.get_waiter("endpoint_in_service").wait(EndpointName="bench-ep",
                                                  WaiterConfig={"Delay": 0.1, "MaxAttempts": 600})
        row = to_csv(sample.valid.X[30:31])

        def invoke() -> None:
            smr.invoke_endpoint(EndpointName="bench-ep", ContentType="text/csv", Body=row)["Body"].read()

        for fn in (invoke, lambda: sts.get_caller_identity(), lambda: s3.head_bucket(Bucket=lay.bucket)):
            timed(fn, 20)  # warm connections
        inv = timed(invoke, args.calls)
        base_sts = timed(lambda: sts.get_caller_identity(), args.calls)
        base_s3 = timed(lambda: s3.head_bucket(Bucket=lay.bucket), args.calls)
        p50 = statistics.median(inv)
        print(f"invoke_endpoint, 1 row, boto3         p50 {p50:6.2f} ms  p95 {pct(inv, 95):6.2f} ms   "
              f"goal p50 < 5 ms ({args.calls} calls)")
        for name, base in (("sts get_caller_identity (moto)", base_sts), ("s3 head_bucket (moto)", base_s3)):
            b50 = statistics.median(base)
            print(f"{name:<37} p50 {b50:6.2f} ms  p95 {pct(base, 95):6.2f} ms   invoke/baseline {p50 / b50:4.2f}x")
        print(f"RSS at the end                        {rss_mb(info.pid):8.1f} MB")
    finally:
        stop()


if __name__ == "__main__":
    main()
