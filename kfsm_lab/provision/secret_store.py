"""The local secret store: the pipeline user's access key, in one 0600 file per target.

The kit keeps the key it created here (never in settings, notebooks or logs). On the local target
the local pipeline run reads it; on aws it is only the record of which key the kit made, so a re-run
can reuse or rotate it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..state import read_json, state_dir, write_json

if TYPE_CHECKING:
    from ..config import Settings


def path_for(settings: Settings) -> Path:
    folder = state_dir() / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder / f"pipeline-keys-{settings.target}-{settings.iam_user}.json"


def load(settings: Settings) -> dict[str, Any] | None:
    return read_json(path_for(settings))


def save(settings: Settings, access_key_id: str, secret_access_key: str) -> Path:
    path = path_for(settings)
    write_json(path, {"user": settings.iam_user, "access_key_id": access_key_id,
                      "secret_access_key": secret_access_key}, private=True)
    return path


def forget(settings: Settings) -> bool:
    path = path_for(settings)
    if path.exists():
        path.unlink()
        return True
    return False


def pipeline_credentials(settings: Settings) -> dict[str, str]:
    """The env the pipeline steps use on the local target; raises with a hint when setup has not run."""
    rec = load(settings)
    if not rec or not rec.get("access_key_id") or not rec.get("secret_access_key"):
        raise ConfigurationError("the pipeline user's access key is not in the local secret store",
                                 "run `kfsm-lab setup iam` (or `kfsm-lab setup all`) first")
    return {"AWS_ACCESS_KEY_ID": rec["access_key_id"], "AWS_SECRET_ACCESS_KEY": rec["secret_access_key"]}
