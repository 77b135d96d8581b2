"""``import kfsm_lab as kl``: every public name stays what it is, whatever submodules got imported."""

import importlib
import pkgutil
import subprocess
import sys

import kfsm_lab


def test_public_names_are_not_shadowed_by_submodules():
    # Importing a submodule sets an attribute of that name on its package (the package's own lazy imports
    # included): in no package may a submodule share a public name.
    clashes = {}
    packages = [m.name for m in pkgutil.walk_packages(kfsm_lab.__path__, "kfsm_lab.") if m.ispkg]
    for pkg in [kfsm_lab, *map(importlib.import_module, packages)]:
        submodules = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
        if shared := submodules & set(getattr(pkg, "__all__", ())):
            clashes[pkg.__name__] = sorted(shared)
    assert not clashes


def test_public_names_resolve_after_every_submodule_is_imported():
    code = ("import pkgutil, importlib, kfsm_lab as kl\n"
            "for m in pkgutil.iter_modules(kl.__path__):\n"
            "    if m.name not in ('server', 'widgets', '__main__'):\n"
            "        importlib.import_module('kfsm_lab.' + m.name)\n"
            "import types\n"
            "bad = [n for n in kl.__all__ if isinstance(getattr(kl, n), types.ModuleType)]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert callable(importlib.import_module("kfsm_lab").predict)
