"""``c.KfsmLab.*``: the server extension's settings, as Jupyter users expect to set them.

Kit settings (target, region, ...) map one to one onto :func:`kfsm_lab.config.load_settings`
overrides; a trait left unset falls through to ``KFSM_*`` env and then the kit default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from traitlets import Float, Unicode
from traitlets.config import Configurable

#: trait name -> load_settings keyword
KIT_SETTINGS = ("target", "region", "role_arn", "bucket", "kfp_host", "namespace")


class KfsmLab(Configurable):
    """Settings of the kfsm_lab server extension (``--KfsmLab.target=aws`` or ``c.KfsmLab.target``)."""

    target = Unicode(None, allow_none=True, config=True,
                     help="Where endpoints and runs live: 'local' (embedded local cloud) or 'aws'. "
                          "Unset: KFSM_TARGET, else 'local'.")
    region = Unicode(None, allow_none=True, config=True,
                     help="AWS region of the endpoints and runs. Unset: KFSM_REGION, else us-west-2.")
    role_arn = Unicode(None, allow_none=True, config=True, help="SageMaker execution role ARN.")
    bucket = Unicode(None, allow_none=True, config=True, help="S3 bucket of the exercise.")
    kfp_host = Unicode(None, allow_none=True, config=True, help="Kubeflow Pipelines API host (aws target).")
    namespace = Unicode(None, allow_none=True, config=True,
                        help="Kubernetes namespace of the aws-secret secret.")
    notebooks_dir = Unicode(None, allow_none=True, config=True,
                            help="Folder holding the bundled notebooks that the launcher card copies. "
                                 "Unset: the notebooks installed with kfsm_lab.")
    cache_seconds = Float(10.0, config=True,
                          help="How long an endpoint listing is reused before AWS is asked again, so many "
                               "open browser tabs polling the status bar cost one list call.")

    def overrides(self) -> dict[str, Any]:
        """The kit settings that were set here, as load_settings keywords."""
        return {name: getattr(self, name) for name in KIT_SETTINGS if getattr(self, name)}

    def load(self):
        """The kit Settings for these overrides (raises the kit's ValidationError when bad)."""
        from ..config import load_settings

        return load_settings(**self.overrides())

    def notebooks_path(self) -> Path | None:
        """The configured notebooks folder, or None to use the bundled one."""
        return Path(self.notebooks_dir).expanduser() if self.notebooks_dir else None
