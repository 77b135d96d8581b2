"""kfsm_lab: the "Kubeflow Pipelines with Amazon SageMaker" MNIST exercise, on AWS or offline.

The public API is small and imported lazily, so ``import kfsm_lab`` stays fast::

    import kfsm_lab
    settings = kfsm_lab.load_settings(target="local")
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

_LAZY = {
    "load_settings": "kfsm_lab.config",
    "Settings": "kfsm_lab.config",
    "KfsmError": "kfsm_lab.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kfsm_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
