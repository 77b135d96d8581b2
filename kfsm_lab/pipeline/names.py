"""Run ids and the SageMaker resource names derived from them.

Every name the pipeline creates is a pure function of the run id, so a re-run with the same id
finds (and adopts) what the first run made, a new id never collides, and the run handle, the
monitor and clean-up can find the resources without asking the pipeline.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import asdict, dataclass

from ..validation import run_name as _validate_run_name

STEP_TRAIN = "sagemaker-training-job"
STEP_MODEL = "sagemaker-create-model"
STEP_TRANSFORM = "sagemaker-batch-transformation"
STEP_DEPLOY = "sagemaker-deploy-model"
STEPS: tuple[str, ...] = (STEP_TRAIN, STEP_MODEL, STEP_TRANSFORM, STEP_DEPLOY)

PIPELINE_NAME = "mnist-classification-pipeline"
TAG_RUN_ID = "kfsm-lab:run-id"
TAG_CREATED_BY = "kfsm-lab:created-by"
TAG_STEP = "kfsm-lab:step"
CREATED_BY = "kfsm-lab"

_SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def new_run_id() -> str:
    """A fresh, sortable run id: ``YYMMDD-HHMMSS-xxxx`` (UTC, 4 random hex digits)."""
    return time.strftime("%y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def check_run_id(run_id: str) -> str:
    """Validate a user-given run id (1-40 of a-z, A-Z, 0-9, '-')."""
    return _validate_run_name(run_id, "run_id")


@dataclass(frozen=True)
class ResourceNames:
    """The SageMaker names of one run; each ≤ 63 characters of ``[a-zA-Z0-9-]``."""

    training_job: str
    model: str
    endpoint_config: str
    endpoint: str
    transform_job: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def resource_names(run_id: str) -> ResourceNames:
    """Names for ``run_id``: ``kfsm-<run_id>-train`` and so on."""
    base = f"kfsm-{check_run_id(run_id)}"
    names = ResourceNames(training_job=f"{base}-train", model=f"{base}-model",
                          endpoint_config=f"{base}-epconfig", endpoint=f"{base}-endpoint",
                          transform_job=f"{base}-transform")
    for name in names.as_dict().values():
        assert _SAGEMAKER_NAME.match(name), name  # guaranteed by check_run_id's 40-char limit
    return names
