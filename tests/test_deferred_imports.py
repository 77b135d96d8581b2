"""The Kubernetes client's init runs on its first real use, not on ``import kfp`` (kfsm_lab.deferred_imports).

Each check runs in a fresh interpreter: what a process imported before is the point.
"""

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _loaded(prefix: str) -> str:
    return f"len([m for m in sys.modules if m == {prefix!r} or m.startswith({prefix + '.'!r})])"


def test_kfp_client_is_imported_without_the_kubernetes_api_modules():
    out = _run(f"""
import sys, kfsm_lab, kfp
from kfp.client import Client
print({_loaded('kubernetes.client.api')}, {_loaded('kubernetes.client.models')},
      'kubernetes.client.configuration' in sys.modules)
""")
    assert out == "0 0 True"  # only the module kfp's token helper reads


def test_every_name_still_resolves_on_first_use():
    out = _run(f"""
import sys, kfsm_lab, kfp.client
import kubernetes
from kubernetes import client, config
assert client.CoreV1Api.__name__ == "CoreV1Api" and client.V1Pod.__module__ == "kubernetes.client.models.v1_pod"
assert callable(config.load_incluster_config) and callable(kubernetes.config.load_kube_config)
from kubernetes.client import *  # noqa: F403
assert V1ObjectMeta(name="x").name == "x"  # noqa: F405
assert "CoreV1Api" in dir(kubernetes.client) and "__getattr__" not in vars(kubernetes.client)
print(kubernetes.__version__ == sys.modules["kubernetes"].__version__, {_loaded('kubernetes.client.models')} > 100)
try:
    kubernetes.client.NoSuchThing
except AttributeError as exc:
    print("AttributeError", "NoSuchThing" in str(exc))
""")
    assert out.splitlines() == ["True True", "AttributeError True"]


def test_threads_that_ask_at_once_all_get_the_initialised_package():
    out = _run("""
import threading, kfsm_lab, kfp.client
import kubernetes.client as k
got, start = [], threading.Barrier(8)
def use():
    start.wait()
    got.append(k.CoreV1Api.__name__ + k.V1Pod.__name__)
threads = [threading.Thread(target=use) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(sorted(set(got)), len(got))
""")
    assert out == "['CoreV1ApiV1Pod'] 8"


@pytest.mark.parametrize("first", ["kubernetes", "kfsm_lab"])
def test_a_package_imported_before_the_kit_is_left_as_it_is(first):
    out = _run(f"""
import sys
import {first}
import kfsm_lab, kubernetes
print("__getattr__" in vars(kubernetes))
""")
    assert out == ("False" if first == "kubernetes" else "True")


def test_an_in_cluster_config_loads_as_in_a_kubeflow_notebook(tmp_path):
    """On the aws target ``kfp.Client()`` without a host loads the pod's service-account config: the deferred
    packages initialise on that path and the loaded configuration is the default one, as without the kit."""
    token, cert = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("a-service-account-token")
    cert.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    out = _run(f"""
import kfsm_lab, kfp.client
import kubernetes
from kubernetes.config.incluster_config import InClusterConfigLoader
env = {{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}}
InClusterConfigLoader({str(token)!r}, {str(cert)!r}, environ=env).load_and_set()
conf = kubernetes.client.Configuration.get_default_copy()
print(conf.host, conf.api_key["authorization"])
""")
    assert out == "https://10.0.0.1:443 bearer a-service-account-token"  # as kubernetes writes it
