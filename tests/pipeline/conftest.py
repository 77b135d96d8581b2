import uuid

import pytest

from kfsm_lab.config import load_settings


@pytest.fixture(scope="module")
def ready(local_cloud):
    """Local settings after the real setup step (role, pipeline user + key, bucket, data), names of their own."""
    from kfsm_lab.provision import setup_all

    tag = uuid.uuid4().hex[:8]
    settings = load_settings(target="local", region="us-west-2", iam_user=f"puser-{tag}", role_name=f"prole-{tag}",
                             bucket=f"kfsm-pipe-{tag}")
    return setup_all(settings).settings
