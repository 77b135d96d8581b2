"""The kit's names in one place: pipeline and step names, SageMaker resource kinds, run ids, tags.

Resource names and tag keys are defined by the in-pod runtime (:mod:`kfsm_lab.components.runtime`),
which a cluster pod runs without kfsm_lab; this module reads them from there, so the steps, the run
handle, clean-up and setup can never disagree. Every SageMaker name is a pure function of the run id,
so a re-run with the same id finds (and adopts) what the first run made and a new id never collides.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass

from .components.runtime import kfsm_name_prefix, kfsm_resource_name, kfsm_tag_keys
from .validation import run_name as _validate_run_name

PIPELINE_NAME = "mnist-classification-pipeline"

# Task names of the workshop's steps (kfp names a task after its component).
STEP_TUNE = "sagemaker-hyperparameter-tuning"
STEP_TRAIN = "sagemaker-training-job"
STEP_MODEL = "sagemaker-create-model"
STEP_TRANSFORM = "sagemaker-batch-transformation"
STEP_DEPLOY = "sagemaker-deploy-model"
STEPS: tuple[str, ...] = (STEP_TRAIN, STEP_MODEL, STEP_TRANSFORM, STEP_DEPLOY)

# The SageMaker resource each of the kit's components makes (by component name, so a task renamed
# with set_display_name is still recognised).
KIND_OF_COMPONENT: dict[str, str] = {STEP_TUNE: "tuning_job", STEP_TRAIN: "training_job", STEP_MODEL: "model",
                                     STEP_TRANSFORM: "transform_job", STEP_DEPLOY: "endpoint"}

_KEYS = kfsm_tag_keys()
TAG_RUN_ID = _KEYS["run_id"]
TAG_CREATED_BY = _KEYS["created_by"]
TAG_STEP = _KEYS["step"]
CREATED_BY = _KEYS["created_by_value"]
#: The start of every SageMaker name the kit makes (a filter for listings; never proof of ownership: tags are).
RESOURCE_PREFIX = kfsm_name_prefix()


def is_kit_tagged(tags: list[dict[str, str]] | dict[str, str] | None) -> bool:
    """True when a resource's tags say the kit made it."""
    if isinstance(tags, dict):
        return tags.get(TAG_CREATED_BY) == CREATED_BY
    return any(t.get("Key") == TAG_CREATED_BY and t.get("Value") == CREATED_BY for t in tags or [])


def new_run_id() -> str:
    """A fresh, sortable run id: ``YYMMDD-HHMMSS-xxxx`` (UTC, 4 random hex digits)."""
    return time.strftime("%y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def check_run_id(run_id: str) -> str:
    """Validate a user-given run id (1-40 of a-z, A-Z, 0-9, '-')."""
    return _validate_run_name(run_id, "run_id")


def resource_name(run_id: str, kind: str) -> str:
    """The SageMaker name of ``kind`` (training_job, model, endpoint_config, endpoint, transform_job,
    tuning_job) for ``run_id``."""
    return kfsm_resource_name(check_run_id(run_id), kind)


@dataclass(frozen=True)
class ResourceNames:
    """The SageMaker names of one run; each within the service's length limit."""

    training_job: str
    model: str
    endpoint_config: str
    endpoint: str
    transform_job: str
    tuning_job: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def resource_names(run_id: str) -> ResourceNames:
    """Every name of a run: ``kfsm-<run_id>-train`` and so on."""
    return ResourceNames(**{kind: resource_name(run_id, kind) for kind in ResourceNames.__dataclass_fields__})
