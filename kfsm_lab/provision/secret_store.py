"""The local secret store: the pipeline user's access key, in one 0600 file per target.

The kit keeps the key it created here (never in settings, notebooks or logs). On the local target
the local pipeline run reads it; on aws it is only the record of which key the kit made, so a re-run
can reuse or rotate it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigurationError
from ..state import read_model, state_dir, write_json

if TYPE_CHECKING:
    from ..config import Settings


def path_for(settings: Settings) -> Path:
    folder = state_dir() / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder / f"pipeline-keys-{settings.target}-{settings.iam_user}.json"


class StoredKey(BaseModel):
    """Local secret store file."""

    model_config = ConfigDict(extra="ignore")

    user: str = ""
    access_key_id: str = Field(min_length=16, max_length=128)
    secret_access_key: str = Field(min_length=16, max_length=256, repr=False)


def load(settings: Settings) -> dict[str, Any] | None:
    """The stored key as a dict, or None (missing, or bad: set aside; setup then makes a new key)."""
    rec = read_model(path_for(settings), StoredKey, "local secret store file",
                     "Re-run `kfsm-lab setup iam`: it replaces the kit's key it has no secret for (never two keys).")
    return rec.model_dump() if rec is not None else None


def save(settings: Settings, access_key_id: str, secret_access_key: str) -> Path:
    path = path_for(settings)
    write_json(path, StoredKey(user=settings.iam_user, access_key_id=access_key_id,
                               secret_access_key=secret_access_key), private=True,
               what="the pipeline user's key (local secret store)")
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
