"""The package version, read from the installed metadata (whose one source is labextension/package.json)."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _read() -> str:
    try:
        return version("kfsm_lab")
    except PackageNotFoundError:  # a source tree that was never installed
        package_json = Path(__file__).resolve().parent.parent / "labextension" / "package.json"
        return str(json.loads(package_json.read_text())["version"])


__version__ = _read()
