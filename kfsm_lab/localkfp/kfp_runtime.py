"""Import kfp in the kit's own processes as a Kubeflow runtime does: without its API client.

``import kfp`` runs ``from kfp.client import Client``, which imports kfp_server_api and the kubernetes
package: ~1,000 modules and ~0.3 s of CPU that only ``kfp.Client`` needs. KFP's own executor runs with
``_KFP_RUNTIME=true`` (see the command ``kfp.dsl.component_factory`` writes), which makes ``kfp/__init__``
skip it. The local cloud and a run's runner (and the zygote forked from it) never make a ``kfp.Client``:
they import kfp's package with that switch. A runner then imports ``kfp.components`` and ``kfp.dsl`` without
it (with it on, ``kfp.dsl``'s own ``__init__`` leaves out what ``kfp.local`` needs, and ``kfp.components``
fails on a circular import); the cloud, which only reads specs, imports neither. Never in a user's process:
there ``kfp.Client`` must be what ``import kfp`` gives.
"""

from __future__ import annotations

import sys

from ..environ import variable

RUNTIME_ENV = "_KFP_RUNTIME"


def import_without_client() -> bool:
    """Import kfp without ``kfp.client``; False (and nothing done) when this process has kfp already."""
    if not import_package_only():
        return False
    import kfp.components  # what kfp/__init__ imports otherwise, in its order
    import kfp.dsl  # noqa: F401

    return True


def import_package_only() -> bool:
    """kfp's package alone (its pipeline-spec protos and ``kfp.local``'s helpers import on top of it), without
    ``kfp.client`` and without ``kfp.dsl``: what reading a submitted spec needs. The local cloud reads specs
    and runs none (its runners do): ``kfp.dsl`` and ``kfp.components`` were 0.13 s of its 0.2 s kfp import,
    at its start beside the starting client's load-ahead. False (nothing done) when kfp is there already."""
    if "kfp" in sys.modules:
        return False
    with variable(RUNTIME_ENV, "true"):
        import kfp  # noqa: F401 - its __init__ alone
    return True
