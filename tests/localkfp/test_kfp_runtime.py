"""The kit's own processes import kfp as a Kubeflow runtime does: kfp.local and kfp.dsl, never kfp.client.

Each check is a fresh interpreter's own import trace (``-X importtime``), so what it asserts is what the
process really loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from kfsm_lab.localkfp.kfp_runtime import RUNTIME_ENV


def _order(trace: str) -> list[str]:
    """Module names from a ``-X importtime`` trace, in the order their imports ended."""
    return [line.rsplit("|", 1)[1].strip() for line in trace.splitlines() if line.startswith("import time:")]


def _imported(trace: str) -> set[str]:
    return set(_order(trace))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop(RUNTIME_ENV, None)
    return env


def test_a_runner_process_has_kfp_local_without_the_client_or_kubernetes():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "kfsm_lab.localkfp.runner"],
                         capture_output=True, text=True, timeout=120, env=_env())
    assert out.returncode == 2 and "usage: python -m kfsm_lab.localkfp.runner" in out.stderr  # its whole start ran
    mods = _imported(out.stderr)
    assert {"kfp", "kfp.dsl", "kfp.components", "kfsm_lab.localkfp.tasks", "kfp.pipeline_spec"} <= mods
    assert not {m for m in mods if m.split(".")[0] in ("kubernetes", "kfp_server_api")}
    assert "kfp.client" not in mods


def test_the_switch_is_only_held_while_kfp_itself_imports_and_kfp_local_works():
    code = ("import os, sys\n"
            "from kfsm_lab.localkfp.kfp_runtime import import_without_client, RUNTIME_ENV\n"
            "assert import_without_client() is True\n"
            "assert os.environ[RUNTIME_ENV] == 'false', 'the switch is not given back'\n"
            "from kfp import dsl, local\n"
            "from kfp.local import pipeline_orchestrator, executor_input_utils\n"
            "assert hasattr(dsl, 'pipeline') and hasattr(dsl, 'component')\n"
            "assert import_without_client() is False\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes' or m == 'kfp.client'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**_env(), RUNTIME_ENV: "false"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_process_with_kfp_already_keeps_its_client():
    code = ("import kfp\n"
            "from kfsm_lab.localkfp.kfp_runtime import import_without_client\n"
            "assert import_without_client() is False\n"
            "print(kfp.Client.__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Client"


def test_the_local_cloud_serves_kfp_without_the_client_or_kubernetes(tmp_path):
    """The cloud's whole start (the KFP API's spec checks included) and its warm-up import no kfp.client;
    kfp itself only once it serves."""
    env = {**_env(), "KFSM_STATE_DIR": str(tmp_path)}
    trace = tmp_path / "importtime.txt"  # a file: the trace outgrows a pipe's buffer long before the cloud serves
    with open(trace, "w") as err:
        proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "kfsm_lab.localcloud", "serve", "--port",
                                 "0", "--no-persist"], stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        try:
            line = proc.stdout.readline()
            assert "local cloud serving on" in line, line
            deadline = time.monotonic() + 60  # kfp's spec comes after the warm-up: wait for it, then the spare's start
            while "kfsm_lab.localkfp.spec" not in _imported(trace.read_text()) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1)
        finally:
            proc.terminate()
            proc.communicate(timeout=60)
    mods = _imported(trace.read_text())
    assert {"kfp", "kfp.pipeline_spec", "kfsm_lab.localkfp.spec", "kfsm_lab.localkfp.api", "moto"} <= mods
    # answering needs neither: they are loaded once it serves (its warm-up is imported after its first answer)
    order = _order(trace.read_text())
    first_kfp = min(i for i, m in enumerate(order) if m.split(".")[0] == "kfp")
    assert order.index("kfsm_lab.localcloud.warmup") < first_kfp
    assert not {m for m in mods if m.split(".")[0] in ("kubernetes", "kfp_server_api")}
    assert "kfp.client" not in mods
    assert not {"kfp.dsl", "kfp.components"} & mods  # it reads specs; its runners run them


def test_the_clouds_spec_checks_use_kfps_own_executor_command():
    """The cloud names kfp's executor without importing kfp.dsl: the same values kfp writes into a spec."""
    from kfp.dsl import component_factory

    from kfsm_lab.localkfp import spec

    assert spec.EXECUTOR_MODULE == component_factory.EXECUTOR_MODULE
    assert spec.CONTAINERIZED_PYTHON_COMPONENT_COMMAND == component_factory.CONTAINERIZED_PYTHON_COMPONENT_COMMAND


def test_a_runner_never_inherits_the_switch_from_the_cloud(monkeypatch, tmp_path):
    """The cloud imports kfp on a thread after it serves; a spare started meanwhile must not get the switch."""
    from kfsm_lab.localkfp.api import LocalKfpApp
    from kfsm_lab.localkfp.store import Store

    monkeypatch.setenv(RUNTIME_ENV, "true")
    app = LocalKfpApp("http://127.0.0.1:9", "us-west-2", Store(tmp_path))
    assert RUNTIME_ENV not in app._base_env()
