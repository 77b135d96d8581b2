"""The compiled pipeline: deterministic, loadable, the workshop's graph, secrets as env on a cluster."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from kfsm_lab.config import load_settings
from kfsm_lab.errors import ValidationError
from kfsm_lab.names import STEPS, new_run_id, resource_names
from kfsm_lab.pipeline import compile_pipeline

ROLE = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path / "state"))
    return load_settings(bucket="kfsm-test-bucket", role_arn=ROLE)


def _docs(path):
    return list(yaml.safe_load_all(path.read_text()))


def test_same_settings_same_bytes_and_loadable(settings, tmp_path):
    from kfp import components

    a = compile_pipeline(tmp_path / "a.yaml", settings)
    b = compile_pipeline(tmp_path / "b.yaml", settings)
    assert a.read_bytes() == b.read_bytes()
    other = compile_pipeline(tmp_path / "c.yaml", settings.replace(k=7))
    assert other.read_bytes() != a.read_bytes()
    loaded = components.load_component_from_file(str(a))
    assert loaded.name == "mnist-classification-pipeline"


def test_graph_parameters_and_secret(settings, tmp_path):
    spec, platform = _docs(compile_pipeline(tmp_path / "p.yaml", settings))
    tasks = spec["root"]["dag"]["tasks"]
    assert sorted(tasks) == sorted(STEPS)
    deps = {name: sorted(t.get("dependentTasks", [])) for name, t in tasks.items()}
    assert deps == {"sagemaker-training-job": [], "sagemaker-create-model": ["sagemaker-training-job"],
                    "sagemaker-batch-transformation": ["sagemaker-create-model"],
                    "sagemaker-deploy-model": ["sagemaker-create-model"]}
    params = spec["root"]["inputDefinitions"]["parameters"]
    for name in ("region", "image", "instance_type", "instance_count", "volume_size", "dataset_path",
                 "model_output_path", "batch_transform_input", "batch_transform_output", "role_arn", "run_id",
                 "k", "feature_dim", "mini_batch_size", "init_method", "endpoint_instance_type",
                 "transform_instance_type"):
        assert name in params, name
    assert params["dataset_path"]["defaultValue"] == "s3://kfsm-test-bucket/mnist_kmeans_example/data"
    assert params["role_arn"]["defaultValue"] == ROLE
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert len(executors) == 4
    for ex in executors.values():
        (secret,) = ex["secretAsEnv"]
        assert secret["secretName"] == "aws-secret"
        assert {k["envVar"] for k in secret["keyToEnv"]} == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    container = spec["deploymentSpec"]["executors"]["exec-sagemaker-training-job"]["container"]
    assert "boto3" in container["command"][2] and "kfp==" in container["command"][2]
    assert "import kfsm_lab" not in container["command"][-1] and "from kfsm_lab" not in container["command"][-1]
    assert all(not t.get("cachingOptions", {}).get("enableCache") for t in tasks.values())


def test_any_pipeline_compiles_and_packaged_defaults_come_from_setup(tmp_path, monkeypatch):
    """`kfsm-lab pipeline compile` with no arguments uses the bucket and role that setup makes."""
    from .user_pipelines import mine

    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path / "state"))
    spec = _docs(compile_pipeline(tmp_path / "mine.yaml", pipeline=mine))[0]
    assert list(spec["root"]["dag"]["tasks"]) == ["hello"]
    r = subprocess.run([sys.executable, "-m", "kfsm_lab", "pipeline", "compile", "-o", str(tmp_path / "d.yaml")],
                       capture_output=True, text=True, env={**__import__("os").environ})
    assert r.returncode == 0, r.stderr
    params = _docs(tmp_path / "d.yaml")[0]["root"]["inputDefinitions"]["parameters"]
    assert params["role_arn"]["defaultValue"] == ROLE
    assert params["dataset_path"]["defaultValue"].endswith("-kubeflow-pipeline-data/mnist_kmeans_example/data")


def test_yaml_suffix_required(settings, tmp_path):
    with pytest.raises(ValidationError, match="yaml"):
        compile_pipeline(tmp_path / "p.zip", settings)


def test_cli_compile(tmp_path, monkeypatch):
    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "cli.yaml"
    r = subprocess.run([sys.executable, "-m", "kfsm_lab", "pipeline", "compile", "-o", str(out),
                        "--bucket", "kfsm-test-bucket", "--role-arn", ROLE], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == compile_pipeline(tmp_path / "api.yaml", load_settings(
        bucket="kfsm-test-bucket", role_arn=ROLE)).read_bytes()


def test_resource_names_fit_sagemaker_rules():
    longest = resource_names("a" * 40)
    assert max(len(n) for n in longest.as_dict().values()) <= 63
    names = resource_names("r-1")
    assert names.training_job == "kfsm-r-1-train" and names.endpoint == "kfsm-r-1-endpoint"
    assert len(set(names.as_dict().values())) == 6
    assert len(resource_names("a" * 40).tuning_job) <= 32  # the service's limit for tuning jobs
    rid = new_run_id()
    assert resource_names(rid).model.startswith(f"kfsm-{rid}")
    with pytest.raises(ValidationError):
        resource_names("bad_id!")


def test_libyaml_writer_gives_kfps_documents(settings, tmp_path):
    """The kit's compile emits through libyaml; what it writes loads to exactly what kfp's own writer gives."""
    from kfp import compiler
    from kfp.compiler import pipeline_spec_builder

    from kfsm_lab.pipeline.compile import _LibyamlEmitting
    from kfsm_lab.pipeline.definition import build_pipeline

    ours = compile_pipeline(tmp_path / "ours.yaml", settings)
    assert isinstance(pipeline_spec_builder.yaml, _LibyamlEmitting)
    assert pipeline_spec_builder.yaml.safe_load is yaml.safe_load  # the rest of PyYAML is untouched
    kfps = tmp_path / "kfps.yaml"
    saved, pipeline_spec_builder.yaml = pipeline_spec_builder.yaml, yaml
    try:
        compiler.Compiler().compile(pipeline_func=build_pipeline(settings), package_path=str(kfps))
    finally:
        pipeline_spec_builder.yaml = saved
    assert _docs(ours) == _docs(kfps)
    assert ours.read_text().startswith("# PIPELINE DEFINITION")  # kfp's header comments are kept
