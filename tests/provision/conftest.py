import pytest

from kfsm_lab.config import load_settings


@pytest.fixture()
def fresh_settings(local_cloud, tmp_path, monkeypatch):
    """Local-target settings with names of their own, so tests do not share IAM users or buckets."""
    import uuid

    tag = uuid.uuid4().hex[:8]
    return load_settings(target="local", region="us-west-2", iam_user=f"user-{tag}", role_name=f"role-{tag}",
                         bucket=f"kfsm-test-{tag}")
