"""Predictions against a real pipeline run on the local cloud, and the errors a user can meet."""

import uuid

import numpy as np
import pytest

from kfsm_lab import aws
from kfsm_lab.config import load_settings
from kfsm_lab.errors import AwsAccessError, KfsmError, ValidationError
from kfsm_lab.predictions import predict
from kfsm_lab.predictions.invoke import predict_rows, workshop_call

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deployed(local_cloud):
    from kfsm_lab.pipeline import start_run
    from kfsm_lab.provision import setup_all

    tag = uuid.uuid4().hex[:8]
    settings = load_settings(target="local", iam_user=f"pu-{tag}", role_name=f"pr-{tag}", bucket=f"kfsm-pred-{tag}")
    settings = setup_all(settings).settings
    run = start_run(settings).wait(timeout=180, raise_on_failure=True)
    return settings, run


def test_predict_reports_held_out_accuracy(deployed):
    settings, run = deployed
    report = predict(settings, run_id=run.run_id)
    assert report.mapping_source.startswith("batch-transform output")
    ev = report.evaluation
    assert ev.n == 500 and ev.mapped_on == 1000
    assert ev.confusion.sum() <= 500 and ev.confusion.shape == (10, 10)
    assert 0.0 <= report.accuracy <= 1.0
    assert report.accuracy == pytest.approx(np.trace(ev.confusion) / 500)
    raw = report.workshop_response
    assert set(raw["predictions"][0]) == {"closest_cluster", "distance_to_cluster"}
    assert isinstance(raw["predictions"][0]["closest_cluster"], float)
    assert report.centers is not None and report.centers.shape == (10, 784)
    figs = report.figures(30)
    assert set(figs) == {"digits", "confusion", "centroids"}
    digits, centroids = figs["digits"].axes[0], figs["centroids"].axes[0]  # every tile in one axes
    assert (len(digits.patches), len(digits.texts)) == (30, 30)  # a framed, titled tile per digit
    assert (len(centroids.patches), len(centroids.texts)) == (10, 10)
    shown = report.test_y[report.sample(30)]
    assert len(set(shown.tolist())) >= 5, "the grid shows a mix of digits"


def test_latest_run_is_found(deployed):
    settings, _ = deployed
    assert predict(settings).run_id  # newest InService kit endpoint


def test_unknown_run_id(deployed):
    settings, _ = deployed
    with pytest.raises(KfsmError, match="has no endpoint") as ei:
        predict(settings, run_id="no-such-run")
    assert "run id" in ei.value.hint


def test_missing_endpoint(deployed):
    settings, _ = deployed
    runtime = aws.client(settings, "sagemaker-runtime")
    with pytest.raises(AwsAccessError, match="does not exist") as ei:
        workshop_call(runtime, "kfsm-nothing-endpoint", np.zeros(784))
    assert "pipeline" in ei.value.hint


def test_wrong_width_payload(deployed):
    settings, run = deployed
    runtime = aws.client(settings, "sagemaker-runtime")
    with pytest.raises(ValidationError, match="rows have 783 values but the model expects feature_dim=784"):
        predict_rows(runtime, run.outputs["endpoint_name"], np.zeros((2, 783)))
    # and what the endpoint itself says when a bad row gets through: a clear error, not a stack trace
    with pytest.raises(AwsAccessError) as ei:
        workshop_call(runtime, run.outputs["endpoint_name"], np.zeros(783))
    assert "784" in str(ei.value)


def test_endpoint_not_yet_in_service(separate_cloud):
    """A slow-paced local cloud keeps a new endpoint Creating for a while: the error says to wait."""
    with separate_cloud(pace=3.0):
        from kfsm_lab.provision import setup_all

        settings = setup_all(load_settings(target="local")).settings
        sm = aws.client(settings, "sagemaker")
        runtime = aws.client(settings, "sagemaker-runtime")
        s3 = aws.client(settings, "s3")
        # a model needs an artifact; train one quickly (the pace only slows status changes)
        from kfsm_lab.data import S3Layout
        from kfsm_lab.images import kmeans_image

        lay = S3Layout(settings.bucket)
        sm.create_training_job(
            TrainingJobName="kfsm-slow-train", RoleArn=settings.role_arn,
            AlgorithmSpecification={"TrainingImage": kmeans_image(settings.region), "TrainingInputMode": "File"},
            HyperParameters={"k": "10", "feature_dim": "784", "mini_batch_size": "500"},
            InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": lay.dataset_uri, "S3DataDistributionType": "FullyReplicated"}}}],
            OutputDataConfig={"S3OutputPath": lay.model_uri("slow")},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            StoppingCondition={"MaxRuntimeInSeconds": 600})
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName="kfsm-slow-train",
                                                               WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        art = sm.describe_training_job(TrainingJobName="kfsm-slow-train")["ModelArtifacts"]["S3ModelArtifacts"]
        sm.create_model(ModelName="kfsm-slow-model", ExecutionRoleArn=settings.role_arn,
                        PrimaryContainer={"Image": kmeans_image(settings.region), "ModelDataUrl": art})
        sm.create_endpoint_config(EndpointConfigName="kfsm-slow-epconfig", ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": "kfsm-slow-model", "InstanceType": "ml.t2.medium",
            "InitialInstanceCount": 1}])
        sm.create_endpoint(EndpointName="kfsm-slow-endpoint", EndpointConfigName="kfsm-slow-epconfig")
        assert sm.describe_endpoint(EndpointName="kfsm-slow-endpoint")["EndpointStatus"] == "Creating"
        with pytest.raises(AwsAccessError, match="not InService yet") as ei:
            workshop_call(runtime, "kfsm-slow-endpoint", np.zeros(784))
        assert "wait" in ei.value.hint
        assert s3 is not None
