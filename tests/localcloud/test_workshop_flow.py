"""The workshop's SageMaker flow by hand with boto3: train → model → endpoint → predict, batch transform."""

from __future__ import annotations

import io
import json
import re
import tarfile

import numpy as np
from localcloud_helpers import FAST, training_request, unique

from kfsm_lab.data import S3Layout, read_dense_tensor, to_csv
from kfsm_lab.data.ndarray import load_ndarrays


def _majority_accuracy(clusters: np.ndarray, labels: np.ndarray) -> float:
    """Map each cluster to its most frequent digit, then score (the workshop's evaluation)."""
    mapping = {c: np.bincount(labels[clusters == c], minlength=10).argmax() for c in np.unique(clusters)}
    return float(np.mean([mapping[c] == y for c, y in zip(clusters, labels, strict=True)]))


def test_training_job_writes_a_real_kmeans_model(trained, s3, local_client):
    assert trained["TrainingJobStatus"] == "Completed"
    assert trained["SecondaryStatus"] == "Completed"
    assert [t["Status"] for t in trained["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert trained["BillableTimeInSeconds"] >= 1
    assert trained["TrainingEndTime"] >= trained["TrainingStartTime"] >= trained["CreationTime"]
    metrics = {m["MetricName"]: m["Value"] for m in trained["FinalMetricDataList"]}
    assert set(metrics) == {"train:msd", "test:msd"}  # eval_metrics defaults to ["msd"]
    assert 10 < metrics["train:msd"] < 60 and 10 < metrics["test:msd"] < 60

    uri = trained["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri.endswith(f"/{trained['TrainingJobName']}/output/model.tar.gz")
    bucket, key = uri[5:].split("/", 1)
    blob = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        assert tar.getnames() == ["model_algo-1"]
        raw = tar.extractfile("model_algo-1").read()
    (centroids,) = load_ndarrays(raw)
    assert centroids.shape == (10, 784) and centroids.dtype == np.float32
    assert 0.0 <= centroids.min() and centroids.max() <= 1.0  # means of pixels in [0, 1]

    logs = local_client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                        logStreamNamePrefix=trained["TrainingJobName"] + "/algo-1-")["logStreams"]
    assert len(streams) == 1
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                 logStreamName=streams[0]["logStreamName"])["events"]
    text = "\n".join(e["message"] for e in events)
    assert "train msd" in text and "Model saved to" in text


def test_endpoint_predicts_like_the_workshop(smr, endpoint_name, sample, sm):
    desc = sm.describe_endpoint(EndpointName=endpoint_name)
    assert desc["EndpointStatus"] == "InService"
    assert desc["ProductionVariants"][0]["VariantName"] == "mnist-kmeans-sample"
    row = to_csv(sample.valid.X[30:31])
    resp = smr.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv", Body=row)
    assert resp["ContentType"] == "application/json"
    body = json.loads(resp["Body"].read())
    (pred,) = body["predictions"]
    assert set(pred) == {"closest_cluster", "distance_to_cluster"}
    assert isinstance(pred["closest_cluster"], float) and pred["closest_cluster"].is_integer()
    assert 0 <= pred["closest_cluster"] < 10 and 0 < pred["distance_to_cluster"] < 30


def test_held_out_accuracy_through_the_endpoint(smr, endpoint_name, sample):
    """k=10 on the 3,500 bundled digits; clusters mapped to digits by majority vote on validation."""
    resp = smr.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv", Body=to_csv(sample.valid.X))
    preds = json.loads(resp["Body"].read())["predictions"]
    assert len(preds) == len(sample.valid)
    clusters = np.array([p["closest_cluster"] for p in preds], dtype=int)
    assert len(np.unique(clusters)) == 10
    assert _majority_accuracy(clusters, sample.valid.y) >= 0.55


def test_invocation_formats_agree(smr, endpoint_name, sample):
    X = sample.valid.X[:3]
    ref = json.loads(smr.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv",
                                         Body=to_csv(X))["Body"].read())["predictions"]
    bodies = {
        "application/json": json.dumps({"instances": [{"features": r.tolist()} for r in X]}),
        "application/jsonlines": "\n".join(json.dumps({"features": r.tolist()}) for r in X),
    }
    for ctype, body in bodies.items():
        got = json.loads(smr.invoke_endpoint(EndpointName=endpoint_name, ContentType=ctype,
                                             Body=body)["Body"].read())["predictions"]
        assert [p["closest_cluster"] for p in got] == [p["closest_cluster"] for p in ref]
    nested = {"instances": [{"data": {"features": {"values": r.tolist()}}} for r in X]}
    got = json.loads(smr.invoke_endpoint(EndpointName=endpoint_name, ContentType="application/json",
                                         Body=json.dumps(nested))["Body"].read())["predictions"]
    assert [p["closest_cluster"] for p in got] == [p["closest_cluster"] for p in ref]

    from kfsm_lab.data import write_dense_tensor

    rio = smr.invoke_endpoint(EndpointName=endpoint_name, ContentType="application/x-recordio-protobuf",
                              Body=write_dense_tensor(X), Accept="text/csv")
    assert rio["ContentType"] == "text/csv"
    lines = rio["Body"].read().decode().strip().split("\n")
    assert [float(ln.split(",")[0]) for ln in lines] == [p["closest_cluster"] for p in ref]
    assert np.allclose([float(ln.split(",")[1]) for ln in lines], [p["distance_to_cluster"] for p in ref], atol=1e-4)

    jl = smr.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv", Body=to_csv(X),
                             Accept="application/jsonlines")["Body"].read().decode().strip().split("\n")
    assert [json.loads(ln)["closest_cluster"] for ln in jl] == [p["closest_cluster"] for p in ref]

    out = smr.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv", Body=to_csv(X),
                              Accept="application/x-recordio-protobuf")
    from kfsm_lab.data import recordio

    labels = []
    for payload in recordio.iter_frames(out["Body"].read()):
        _, _ = payload, None
        labels.append(bytes(payload))
    assert len(labels) == 3 and all(b"closest_cluster" in p and b"distance_to_cluster" in p for p in labels)


def test_csv_training_channel(sm, role_arn, image, layout, sample):
    name = unique("kfsm-train-csv")
    channels = [{"ChannelName": "train", "ContentType": "text/csv",
                 "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                 "S3Uri": f"s3://{layout.bucket}/{layout.prefix}/csv/"}}}]
    sm.create_training_job(**training_request(name, role_arn, image, layout,
                                              {"k": "10", "feature_dim": "784", "mini_batch_size": "500",
                                               "epochs": "2", "init_method": "kmeans++",
                                               "extra_center_factor": "4"}, channels))
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig=FAST)
    desc = sm.describe_training_job(TrainingJobName=name)
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert {m["MetricName"] for m in desc["FinalMetricDataList"]} == {"train:msd"}


def _json_documents(text: str) -> list:
    """Every JSON value in ``text``, one after another (answers concatenated with AssembleWith=None)."""
    decoder, docs, pos = json.JSONDecoder(), [], 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos < len(text):
            doc, pos = decoder.raw_decode(text, pos)
            docs.append(doc)
    return docs


def test_batch_transform_without_accept_answers_json_per_mini_batch(sm, model_name, layout, s3, sample, local_client):
    """No Accept: the k-means container's default, application/json, one answer per MultiRecord mini-batch."""
    name = unique("kfsm-transform")
    out = layout.output_uri(name)
    sm.create_transform_job(
        TransformJobName=name, ModelName=model_name, BatchStrategy="MultiRecord", MaxPayloadInMB=1,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": layout.batch_input_uri}},
                        "ContentType": "text/csv", "CompressionType": "None", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": out},
        TransformResources={"InstanceCount": 1, "InstanceType": "ml.m5.large"})
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig=FAST)
    desc = sm.describe_transform_job(TransformJobName=name)
    assert desc["TransformJobStatus"] == "Completed", desc.get("FailureReason")
    key = f"{layout.output_prefix}/{name}/valid_data.csv.out"
    docs = _json_documents(s3.get_object(Bucket=layout.bucket, Key=key)["Body"].read().decode())
    rows_bytes = len(s3.get_object(Bucket=layout.bucket, Key=layout.valid_key)["Body"].read())
    assert len(docs) == -(-rows_bytes // (1024 * 1024)) or len(docs) == -(-rows_bytes // (1024 * 1024)) + 1
    preds = [p for d in docs for p in d["predictions"]]
    assert len(preds) == len(sample.valid)
    assert set(preds[0]) == {"closest_cluster", "distance_to_cluster"}
    logs = local_client("logs")
    streams = [s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=f"{name}/")["logStreams"]]
    (host,) = [s for s in streams if not s.endswith("/data-log")]
    assert re.fullmatch(rf"{name}/i-[0-9a-f]{{17}}-\d{{10}}", host) and f"{host}/data-log" in streams
    data_log = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TransformJobs",
                                                          logStreamName=f"{host}/data-log")["events"]]
    assert "BatchStrategy=MULTI_RECORD" in data_log[0] and "1000 records" in data_log[-1]


def test_batch_transform_honours_accept_and_assemble(sm, model_name, layout, s3, sample):
    name = unique("kfsm-transform-csv")
    out = layout.output_uri(name)
    sm.create_transform_job(
        TransformJobName=name, ModelName=model_name, BatchStrategy="SingleRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": layout.batch_input_uri}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": out, "Accept": "application/json", "AssembleWith": "Line"},
        TransformResources={"InstanceCount": 1, "InstanceType": "ml.m5.large"})
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig=FAST)
    key = f"{layout.output_prefix}/{name}/valid_data.csv.out"
    lines = s3.get_object(Bucket=layout.bucket, Key=key)["Body"].read().decode().splitlines()
    assert len(lines) == len(sample.valid)
    assert len(json.loads(lines[0])["predictions"]) == 1


def test_update_endpoint_switches_config_and_delete_completes(sm, smr, model_name, sample):
    cfg1, cfg2 = unique("kfsm-cfg-a"), unique("kfsm-cfg-b")
    for cfg, variant in ((cfg1, "first"), (cfg2, "second")):
        sm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[{
            "VariantName": variant, "ModelName": model_name, "InitialInstanceCount": 1,
            "InstanceType": "ml.t2.medium"}])
    name = unique("kfsm-ep-update")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=cfg1, Tags=[{"Key": "kfsm-lab", "Value": "test"}])
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)
    sm.update_endpoint(EndpointName=name, EndpointConfigName=cfg2)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)
    desc = sm.describe_endpoint(EndpointName=name)
    assert desc["EndpointConfigName"] == cfg2
    resp = smr.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=to_csv(sample.valid.X[:1]))
    assert resp["InvokedProductionVariant"] == "second"
    sm.delete_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig=FAST)
    assert name not in [e["EndpointName"] for e in sm.list_endpoints(MaxResults=100)["Endpoints"]]


def test_tags_lists_and_pagination(sm, model_name, trained):
    arn = sm.describe_model(ModelName=model_name)["ModelArn"]
    assert {"Key": "kfsm-lab", "Value": "test"} in sm.list_tags(ResourceArn=arn)["Tags"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "run", "Value": "r1"}])
    assert {t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == {"kfsm-lab", "run"}
    sm.delete_tags(ResourceArn=arn, TagKeys=["run"])
    assert {t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == {"kfsm-lab"}
    job_arn = trained["TrainingJobArn"]
    assert sm.list_tags(ResourceArn=job_arn)["Tags"] == [{"Key": "kfsm-lab", "Value": "test"}]

    names = [f"{unique('kfsm-page')}" for _ in range(3)]
    image = sm.describe_model(ModelName=model_name)["PrimaryContainer"]
    for n in names:
        sm.create_model(ModelName=n, PrimaryContainer=image)
    pages = list(sm.get_paginator("list_models").paginate(NameContains="kfsm-page",
                                                          PaginationConfig={"PageSize": 2}))
    assert [len(p["Models"]) for p in pages] == [2, 1]
    listed = sm.list_models(NameContains="kfsm-page", SortBy="Name", SortOrder="Ascending")["Models"]
    assert [m["ModelName"] for m in listed] == sorted(names)
    # by name: the session's cloud may hold more than a page of older jobs (the tuning tests' trials), and the
    # list is oldest first
    done = sm.list_training_jobs(StatusEquals="Completed", NameContains=trained["TrainingJobName"])
    assert trained["TrainingJobName"] in [j["TrainingJobName"] for j in done["TrainingJobSummaries"]]
    assert not sm.list_training_jobs(StatusEquals="Failed", NameContains=trained["TrainingJobName"])[
        "TrainingJobSummaries"]
    for n in names:
        sm.delete_model(ModelName=n)
    assert sm.list_models(NameContains="kfsm-page")["Models"] == []


def test_layout_objects_are_readable(layout, s3, sample):
    """The fixture's own data round-trips (guards the rest of this file)."""
    X, y = read_dense_tensor(s3.get_object(Bucket=layout.bucket, Key=layout.train_key)["Body"].read())
    assert X.shape == sample.train.X.shape and y is not None
    assert isinstance(S3Layout(layout.bucket).valid_key, str)


def test_config_and_transform_listing_stop_and_delete(local_cloud, sm, model_name, layout):
    cfg = unique("kfsm-cfg-list")
    sm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[{
        "VariantName": "v", "ModelName": model_name, "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}],
        Tags=[{"Key": "kfsm-lab", "Value": "test"}])
    listed = sm.list_endpoint_configs(NameContains="kfsm-cfg-list")["EndpointConfigs"]
    assert [c["EndpointConfigName"] for c in listed] == [cfg]
    assert sm.describe_endpoint_config(EndpointConfigName=cfg)["ProductionVariants"][0]["InitialVariantWeight"] == 1.0
    sm.delete_endpoint_config(EndpointConfigName=cfg)
    assert sm.list_endpoint_configs(NameContains="kfsm-cfg-list")["EndpointConfigs"] == []

    local_cloud.admin("pace", {"pace": 3})
    try:
        name = unique("kfsm-transform-stop")
        sm.create_transform_job(
            TransformJobName=name, ModelName=model_name,
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                            "S3Uri": layout.batch_input_uri}},
                            "ContentType": "text/csv", "SplitType": "Line"},
            TransformOutput={"S3OutputPath": layout.output_uri(name)},
            TransformResources={"InstanceCount": 1, "InstanceType": "ml.m5.large"})
        running = sm.list_transform_jobs(NameContains=name, StatusEquals="InProgress")["TransformJobSummaries"]
        assert [j["TransformJobName"] for j in running] == [name]
        sm.stop_transform_job(TransformJobName=name)
        sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig=FAST)
        assert sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"] == "Stopped"
    finally:
        local_cloud.admin("pace", {"pace": 0})
