"""The kit's local Kubeflow Pipelines: the v2beta1 REST API that ``kfp.Client`` speaks, on 127.0.0.1.

It is the local cloud's stand-in for a cluster's Kubeflow, as the local cloud is for AWS: served by
the local cloud process on a port of its own (``KF_PIPELINES_ENDPOINT``), it stores experiments and
runs under ``<state_dir>/kfp/`` and executes each submitted pipeline spec — whatever it is — in a
detached runner process with ``kfp.local``'s machinery (:mod:`.runner`).

Modules: :mod:`.model` (records and KFP's states), :mod:`.store` (files), :mod:`.spec` (what a spec
needs to run here), :mod:`.api` (the WSGI app), :mod:`.runner` and :mod:`.tasks` (execution),
:mod:`.secrets` (the local stand-in for Kubernetes secrets).
"""
