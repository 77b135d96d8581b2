"""kfsm_lab: the "Kubeflow Pipelines with Amazon SageMaker" MNIST exercise, on AWS or offline.

The public API is small and imported lazily, so ``import kfsm_lab`` stays fast::

    import kfsm_lab
    settings = kfsm_lab.load_settings(target="local")
"""

from __future__ import annotations

import importlib
from typing import Any

from . import deferred_imports
from ._version import __version__

deferred_imports.install()  # before kfp is imported anywhere in this process (see the module)

_LAZY = {
    "load_settings": "kfsm_lab.config",
    "Settings": "kfsm_lab.config",
    "KfsmError": "kfsm_lab.errors",
    "local_cloud": "kfsm_lab.lab",
    "setup": "kfsm_lab.lab",
    "doctor": "kfsm_lab.lab",
    "predict": "kfsm_lab.lab",
    "cleanup": "kfsm_lab.lab",
    "watch": "kfsm_lab.lab",
    "show_figures": "kfsm_lab.lab",
    "record_summary": "kfsm_lab.lab",
    "panel": "kfsm_lab.lab",
    "set_lang": "kfsm_lab.i18n",
    "compile_pipeline": "kfsm_lab.lab",
    "CompiledPipeline": "kfsm_lab.lab",
    "new_run_id": "kfsm_lab.names",
    "start_run": "kfsm_lab.pipeline",
    "attach": "kfsm_lab.pipeline",
    "list_runs": "kfsm_lab.pipeline",
    "open_run": "kfsm_lab.runpage",
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


# -- Jupyter entry points (the server module is imported only when Jupyter loads the extension) --
def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "kfsm-lab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "kfsm_lab"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from .server import load_jupyter_server_extension

    load_jupyter_server_extension(server_app)
