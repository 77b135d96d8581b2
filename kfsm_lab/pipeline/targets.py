"""Which Kubeflow Pipelines API a target's runs go through — chosen once, per target.

``local``: the kit's own, served by the local cloud (started if needed to submit; never started
just to read). ``aws``: the cluster's, at ``kfp_host`` with the user's token or cookies.
Everything else about a run — submitting, reading, terminating — is the same code for both.
"""

from __future__ import annotations

import os
from typing import ClassVar

from ..config import Settings
from ..errors import KfsmError
from .kfp_client import KfpConnection


class LocalCloudNotRunning(KfsmError):
    """A read of a local run while no local cloud runs (reading never starts one)."""


class KfpTarget:
    """How to reach a target's Kubeflow Pipelines API."""

    name: ClassVar[str]

    def connect(self, settings: Settings, token: str | None = None, cookies: str | None = None,
                start: bool = True, host: str | None = None) -> KfpConnection:
        raise NotImplementedError

    def run_log_path(self, kfp_run_id: str) -> str | None:
        """Where the run's own log is, when it is a file here (the local runner's), else None."""
        return None

    def task_log_path(self, kfp_run_id: str, task: str) -> str | None:
        """Where a task's log is, when it is a file here (a local task's output), else None."""
        return None


class LocalKfp(KfpTarget):
    name = "local"

    def connect(self, settings: Settings, token: str | None = None, cookies: str | None = None,
                start: bool = True, host: str | None = None) -> KfpConnection:
        from ..localcloud import ensure_running, status

        info = ensure_running() if start else status()
        if info is None:
            raise LocalCloudNotRunning("the local cloud is not running, so its Kubeflow Pipelines cannot be read",
                                       "start it with `kfsm-lab local start`")
        if not info.kfp_endpoint:
            raise KfsmError("the running local cloud serves no Kubeflow Pipelines API (an older version?)",
                            "restart it: `kfsm-lab local stop` then `kfsm-lab local start`")
        os.environ["KF_PIPELINES_ENDPOINT"] = info.kfp_endpoint  # so a plain kfp.Client() in this process finds it
        return KfpConnection(info.kfp_endpoint, namespace="", ui_host=os.environ.get("KF_PIPELINES_UI_ENDPOINT"),
                             local=True)

    def run_log_path(self, kfp_run_id: str) -> str | None:
        from ..localkfp.store import RunFiles, kfp_dir, valid_id

        return str(RunFiles(kfp_dir(), kfp_run_id).runner_log) if valid_id(kfp_run_id) else None

    def task_log_path(self, kfp_run_id: str, task: str) -> str | None:
        from ..localkfp.store import RunFiles, kfp_dir, valid_id, valid_task_name

        if not valid_id(kfp_run_id) or not valid_task_name(task):
            return None
        return str(RunFiles(kfp_dir(), kfp_run_id).task_log(task))


class ClusterKfp(KfpTarget):
    name = "aws"

    def connect(self, settings: Settings, token: str | None = None, cookies: str | None = None,
                start: bool = True, host: str | None = None) -> KfpConnection:
        return KfpConnection(host or settings.kfp_host, settings.namespace, token=token, cookies=cookies)


TARGETS: dict[str, KfpTarget] = {t.name: t for t in (LocalKfp(), ClusterKfp())}


def kfp_target(name: str) -> KfpTarget:
    try:
        return TARGETS[name]
    except KeyError:
        raise KfsmError(f"unknown target {name!r}", "use 'local' or 'aws'") from None
