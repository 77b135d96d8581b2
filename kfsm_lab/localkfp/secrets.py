"""The local stand-in for Kubernetes secrets: what a task's ``use_secret_as_env`` reads.

On a cluster, ``kfsm-lab setup`` puts the pipeline user's keys in the secret ``aws-secret`` and
kfp-kubernetes maps it into each step's environment. Locally the same setup writes the same secret
here (one 0600 file per secret in a 0700 folder), and the local runner maps it the same way.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..state import read_json, state_dir, write_json

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")  # a Kubernetes object name


class SecretNotFound(LookupError):
    """No local secret of that name (or it lacks a key)."""


def secrets_dir() -> Path:
    folder = state_dir() / "secrets" / "kubernetes"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


def _path(name: str) -> Path:
    if not _NAME.match(name or ""):
        raise ValueError(f"{name!r} is not a Kubernetes secret name (lowercase letters, digits, '-' and '.')")
    return secrets_dir() / f"{name}.json"


def put(name: str, data: dict[str, str]) -> Path:
    """Create or replace the secret ``name`` with ``data`` (key → value)."""
    path = _path(name)
    write_json(path, {"name": name, "data": dict(data)}, private=True)
    return path


def get(name: str) -> dict[str, str]:
    rec = read_json(_path(name))
    if not isinstance(rec, dict) or not isinstance(rec.get("data"), dict):
        raise SecretNotFound(f"secret {name!r} not found in the local secret store ({secrets_dir()}); "
                             "run `kfsm-lab setup iam` to create it")
    return {str(k): str(v) for k, v in rec["data"].items()}


def delete(name: str) -> bool:
    path = _path(name)
    if path.exists():
        path.unlink()
        return True
    return False


def env_for(mappings: list) -> dict[str, str]:
    """The environment variables for a task's ``secretAsEnv`` mappings (:class:`.spec.SecretEnv`)."""
    env: dict[str, str] = {}
    for m in mappings:
        data = get(m.secret)
        for key, var in m.key_to_env.items():
            if key not in data:
                raise SecretNotFound(f"secret {m.secret!r} has no key {key!r} (it has: {', '.join(sorted(data))})")
            env[var] = data[key]
    return env
