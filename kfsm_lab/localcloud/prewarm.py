"""Use the client's wait for a starting local cloud to load what its next steps need.

A cold local cloud takes about a second to answer; the process that started it only sleeps
meanwhile. The next steps of every flow that starts one (``setup``, a run, the notebook) create
boto3 clients for S3, IAM, STS, SageMaker and Logs (botocore parses each service's JSON model on
first use: ~0.2 s for S3 and SageMaker), import kfp for ``kfp.Client`` (~0.5 s), and ``setup`` reads
the bundled sample (0.15-0.45 s). A daemon thread does that while the cloud starts: the clients are
thrown away (no request is made, they carry no keys), but the process's shared botocore data loader
(:func:`kfsm_lab.aws.botocore_session`), the module imports and the sample (read once per process)
stay. Nothing here can fail the start.
"""

from __future__ import annotations

import threading

SERVICES = ("s3", "iam", "sts", "sagemaker", "sagemaker-runtime", "logs")


def _load(region: str) -> None:
    try:
        from botocore import UNSIGNED
        from botocore.config import Config

        from ..aws import boto3_session

        session, unsigned = boto3_session(region_name=region), Config(signature_version=UNSIGNED)
        for service in SERVICES:
            session.client(service, endpoint_url="http://127.0.0.1:9", config=unsigned)
        from ..data import load_sample

        load_sample()  # what setup uploads, next (a setup given other data does not wait for it)
        import kfp.client  # noqa: F401 - what kfp.Client() (the run's submission) imports
    except Exception:  # noqa: BLE001, S110 - only a head start
        pass


def start(region: str) -> threading.Thread:
    thread = threading.Thread(target=_load, args=(region,), daemon=True, name="kfsm-prewarm")
    thread.start()
    return thread
