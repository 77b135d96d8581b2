"""The installed package ships the prebuilt lab extension and enables its server extension.

The same checks the extension template's CI makes: both ``list`` commands report kfsm_lab as
enabled and OK in the environment the tests run in (``.ci/run`` installs it non-editable).
"""

from __future__ import annotations

import re
import subprocess
import sys

import kfsm_lab

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, timeout=120,
                          check=True)
    return ANSI.sub("", done.stdout + done.stderr)


def test_labextension_is_installed_prebuilt_and_ok():
    out = _jupyter("labextension", "list")
    assert re.search(rf"kfsm-lab v{re.escape(kfsm_lab.__version__)}\s+enabled\s+OK", out), out


def test_server_extension_is_enabled_and_ok():
    out = _jupyter("server", "extension", "list")
    assert re.search(r"kfsm_lab\s+enabled", out), out
    assert re.search(rf"kfsm_lab {re.escape(kfsm_lab.__version__)}\s+OK", out), out


def test_entry_points_are_light():
    """``import kfsm_lab`` must not pull in the server (Jupyter imports it only when loading)."""
    heavy = ("tornado", "jupyter_server", "boto3", "kfsm_lab.server")
    code = ("import sys, kfsm_lab\n"
            "kfsm_lab._jupyter_labextension_paths(); kfsm_lab._jupyter_server_extension_points()\n"
            f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
