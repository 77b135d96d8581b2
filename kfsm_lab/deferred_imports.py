"""Third-party packages whose ``__init__`` runs on the first use of one of its names, not on import.

``import kfp`` imports ``kfp.client``, whose token helper does ``from kubernetes.client import
configuration``: that runs ``kubernetes/__init__.py`` and ``kubernetes/client/__init__.py``, which
import the Kubernetes client's 680 API and model modules (0.24-0.28 s here, a third of a cold client's
load-ahead, and as much again in the runner and the zygote). The kit's flow never uses them: kfp.Client
is given its host, so only ``kubernetes.client.configuration`` is read.

A package listed in :data:`DEFERRED` is imported as an empty package (its ``__path__`` and spec set, so
its submodules import as usual). Its first attribute that is not a submodule (``kubernetes.client.
CoreV1Api``, ``kubernetes.__version__``) runs the real ``__init__`` in that same module object, so
everything that names it works as before, only later: ``kfp.Client()`` without a host (in a cluster)
loads ``kubernetes.config`` and whatever it needs then. Installed by ``import kfsm_lab``, so every process
of the kit (client, local cloud, runner, zygote and its forked steps) has it before kfp is imported; a
package imported before that is left as it is.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from types import ModuleType
from typing import Any

DEFERRED = frozenset({"kubernetes", "kubernetes.client"})


class _DeferredInit(importlib.abc.Loader):
    """Wraps the package's own loader: ``exec_module`` only installs the module ``__getattr__`` below."""

    def __init__(self, real: importlib.abc.Loader) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        init = _InitOnUse(module, self.real)
        module.__dict__["__getattr__"] = init
        module.__dict__["__dir__"] = init.names


class _InitOnUse:
    """The module's ``__getattr__`` (asked only for names its dict lacks) until its ``__init__`` has run."""

    def __init__(self, module: ModuleType, real: importlib.abc.Loader) -> None:
        self.module = module
        self.real = real
        self.lock = threading.RLock()  # reentrant: the init's own ``from . import x`` asks here too
        self.state = "deferred"  # then "running", then "done"

    def __call__(self, name: str) -> Any:
        module = self.module
        if not name.startswith("__"):
            sub = f"{module.__name__}.{name}"
            if sub in sys.modules or importlib.machinery.PathFinder.find_spec(sub, module.__path__) is not None:
                return importlib.import_module(sub)  # what ``from pkg import submodule`` asks for: no init
        self.run_init()
        try:
            return module.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None

    def names(self) -> list[str]:
        """``dir(module)``: every name, so the init runs first."""
        self.run_init()
        return sorted(self.module.__dict__)

    def run_init(self) -> None:
        module = self.module
        with self.lock:  # another thread waits here until the init has run, as it would for an import
            if self.state != "deferred":
                return
            self.state = "running"
            try:
                self.real.exec_module(module)
            finally:
                self.state = "done"
                for hook, ours in (("__getattr__", self), ("__dir__", self.names)):
                    if module.__dict__.get(hook) == ours:
                        del module.__dict__[hook]


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if name not in DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return None  # not there, or not a package: imported as usual
        spec.loader = _DeferredInit(spec.loader)
        return spec


def install() -> None:
    """Defer the packages in :data:`DEFERRED` that are not imported yet (idempotent)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
