"""The workshop's SageMaker steps as Kubeflow Pipelines 2 components, for a pipeline you write yourself.

>>> from kfp import dsl
>>> from kfsm_lab.components import sagemaker_train_op, sagemaker_model_op, use_aws_secret
>>> @dsl.pipeline(name="mnist-classification-pipeline")
... def mnist_classification(region: str = "us-west-2", ...):
...     training = sagemaker_train_op(region=region, image=image, ...)
...     use_aws_secret(training)                  # the pod reads its AWS keys from the secret aws-secret

=============================  ==========================================================================
``sagemaker_train_op``         training job (k-means); outputs ``model_artifact_url``, ``job_name``, ``training_image``
``sagemaker_model_op``         SageMaker model from the trained artifact; output: the model name
``sagemaker_deploy_op``        endpoint config + endpoint, waits for InService; output: the endpoint name
``sagemaker_batch_transform_op``  batch transform job; output: the output location (``<key>.out`` files)
``use_aws_secret``             the workshop's ``use_aws_secret('aws-secret', …)``: the pod's AWS keys
=============================  ==========================================================================

Each component's body uses only boto3 (a cluster pod has no kfsm_lab): it names its SageMaker
resource after the run id (the ``run_id`` input, else the Kubeflow run's own id), adopts what a
re-run finds, tags what it creates for clean-up, and stops its job when the run is terminated.
The components pip-install boto3 in a plain ``python:3.11`` image on a cluster; the kit's local
Kubeflow Pipelines skips an install whose packages are already there.
"""

from __future__ import annotations

import functools
from typing import Any

BASE_IMAGE = "python:3.11"
PACKAGES = ["boto3>=1.34,<2"]
SECRET_NAME = "aws-secret"  # noqa: S105 - the Kubernetes secret's name, not a secret
SECRET_KEYS = {"AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY"}

# public name -> body function name in .bodies
_OPS = {"sagemaker_train_op": "sagemaker_training_job", "sagemaker_model_op": "sagemaker_create_model",
        "sagemaker_deploy_op": "sagemaker_deploy_model",
        "sagemaker_batch_transform_op": "sagemaker_batch_transformation"}

__all__ = [*_OPS, "BASE_IMAGE", "SECRET_NAME", "use_aws_secret"]


class SageMakerOp:
    """A kit component: call it in a pipeline like any kfp component.

    It passes the Kubeflow run's id to the step (``kfp_run_uuid``), so a run without ``run_id``
    still names its resources uniquely. Every other attribute is the kfp component's.
    """

    def __init__(self, component: Any) -> None:
        self.component = component
        functools.update_wrapper(self, component.python_func, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from kfp import dsl

        kwargs.setdefault("kfp_run_uuid", dsl.PIPELINE_JOB_ID_PLACEHOLDER)
        return self.component(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.component, name)

    def __repr__(self) -> str:
        return f"SageMakerOp({self.component.name})"


def _build(body_name: str) -> SageMakerOp:
    from kfp import dsl

    from . import bodies, runtime

    helpers = [getattr(runtime, n) for n in dir(runtime) if n.startswith("kfsm_")]
    func = getattr(bodies, body_name)
    component = dsl.component(func, base_image=BASE_IMAGE, packages_to_install=list(PACKAGES),
                              additional_funcs=helpers)
    return SageMakerOp(component)


@functools.cache
def _op(public_name: str) -> SageMakerOp:
    return _build(_OPS[public_name])


def use_aws_secret(task: Any, secret_name: str = SECRET_NAME) -> Any:
    """Give a task the AWS keys of the Kubernetes secret ``secret_name`` (``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``), as the workshop's ``.apply(use_aws_secret(...))`` did; returns the task.

    On a cluster this is kfp-kubernetes' ``use_secret_as_env``; the kit's local Kubeflow Pipelines
    reads the same platform config from the local secret store that ``kfsm-lab setup`` fills.
    The step also never comes from kfp's cache: a SageMaker step must really run.
    """
    from kfp import kubernetes

    task.set_caching_options(False)
    return kubernetes.use_secret_as_env(task, secret_name=secret_name, secret_key_to_env=dict(SECRET_KEYS))


def __getattr__(name: str) -> Any:
    if name in _OPS:
        value = _op(name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kfsm_lab.components' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
