"""Use the client's wait for a starting local cloud to load what its next steps need.

A cold local cloud takes about a second to answer; the process that started it only sleeps
meanwhile. The next steps of every flow that starts one (``setup``, a run, the notebook) use the
cloud's keys in one boto3 session (:func:`.lifecycle.local_session`: made here, ~50 ms), create
clients for S3, IAM, STS, SageMaker and Logs (botocore parses each service's JSON model on first use:
~0.2 s for S3 and SageMaker), read the bundled sample (0.15-0.45 s), draw the upload's progress bar
(tqdm), import kfp for ``kfp.Client`` (~0.2 s, :mod:`kfsm_lab.deferred_imports`) and build the kit's
components for the pipeline (~0.1 s).
A daemon thread does that while the cloud starts: the clients are thrown away (no request is made, they
are unsigned), but the session, the process's shared botocore data loader
(:func:`kfsm_lab.aws.botocore_session`), the module imports, the components (built once per process),
the sample (read once per process) and its upload's encoding (for the next setup) stay. Nothing here can
fail the start. ``ensure_running`` returns once this is done (it is more work than the cloud's start):
left to run beside setup's first calls, its imports held this process's GIL while their answers waited
for it (measured again with kfp.Client's imports alone left to run beside setup: the cold flow to the first
prediction 2.69 -> 2.80 s, median of 8 alternated runs).
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .keys import RootKeys

SERVICES = ("s3", "iam", "sts", "sagemaker", "sagemaker-runtime", "logs")
# in the order they are needed: the upload's progress bar, then what kfp.Client() (the run's submission) imports
MODULES = ("tqdm.auto", "kfp.client")
# the packaged pipeline's steps (kfsm_lab.pipeline.definition)
COMPONENTS = ("sagemaker_train_op", "sagemaker_model_op", "sagemaker_deploy_op", "sagemaker_batch_transform_op")


def _load(region: str, keys: RootKeys) -> None:
    try:
        from botocore import UNSIGNED
        from botocore.config import Config

        from .lifecycle import local_session

        session = local_session(keys.access_key_id, keys.secret_access_key, region)
        unsigned = Config(signature_version=UNSIGNED)
        for service in SERVICES:
            session.client(service, endpoint_url="http://127.0.0.1:9", config=unsigned)
        from ..provision.data_upload import encode_sample_ahead

        encode_sample_ahead()  # what setup uploads, next (a setup given other data does not wait for it)
        for module in MODULES:
            importlib.import_module(module)
        from .. import components

        for name in COMPONENTS:
            getattr(components, name)
    except Exception:  # noqa: BLE001, S110 - only a head start
        pass


def start(region: str, keys: RootKeys) -> threading.Thread:
    thread = threading.Thread(target=_load, args=(region, keys), daemon=True, name="kfsm-prewarm")
    thread.start()
    return thread
