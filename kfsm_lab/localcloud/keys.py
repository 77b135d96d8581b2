"""The local cloud's own keys: its root access key and the admin token, one 0600 file per state folder.

Made at random the first time a cloud starts in a state folder and kept there (``localcloud-keys.json``,
0600 inside the 0700 folder), so only the user who owns the folder — the kit's own processes, the
shell after ``eval "$(kfsm-lab local env)"`` — can sign requests to the cloud or call its admin
routes. They unlock nothing but this local cloud; a reset of its state keeps them.
"""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..state import file_lock, read_model, state_dir, write_json
from .constants import KEYS_FILE_NAME

_ID_CHARS = string.ascii_uppercase + string.digits
_ADMIN_TOKEN_BYTES = 32


class RootKeys(BaseModel):
    """Local cloud keys file."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_key_id: str = Field(pattern=r"^AKIA[A-Z0-9]{16}$")
    secret_access_key: str = Field(min_length=40, max_length=128)
    admin_token: str = Field(min_length=32, max_length=128)

    def __repr__(self) -> str:  # never the secrets, not even in a traceback
        return f"RootKeys(access_key_id={self.access_key_id!r}, ...)"

    __str__ = __repr__


def generate() -> RootKeys:
    """Fresh random keys (shaped like AWS's: a 20-character AKIA… id, a 40-character secret)."""
    alphabet = string.ascii_letters + string.digits + "+/"
    return RootKeys(access_key_id="AKIA" + "".join(secrets.choice(_ID_CHARS) for _ in range(16)),
                    secret_access_key="".join(secrets.choice(alphabet) for _ in range(40)),
                    admin_token=secrets.token_urlsafe(_ADMIN_TOKEN_BYTES))


def keys_file(folder: Path | None = None) -> Path:
    return (folder or state_dir()) / KEYS_FILE_NAME


def load(folder: Path | None = None) -> RootKeys | None:
    """The keys of this state folder, or None when none were made yet (or the file was bad)."""
    return read_model(keys_file(folder), RootKeys, "local cloud keys file",
                      "New keys are made at the next start; a running local cloud must be restarted "
                      "(`kfsm-lab local stop`, then any command) to use them.")


def load_or_create(folder: Path | None = None) -> RootKeys:
    """The keys of this state folder, made (0600) on first use; safe when several processes race."""
    path = keys_file(folder)
    keys = load(folder)
    if keys is not None:
        return keys
    with file_lock(path.with_name(path.name + ".lock")):
        keys = load(folder)
        if keys is None:
            keys = generate()
            write_json(path, keys, private=True, durable=True, what="the local cloud keys")
    return keys
