"""The workshop's own shell commands, verbatim, through the AWS CLI pointed at the local cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from localcloud_helpers import unique

AWS = str(Path(sys.executable).with_name("aws"))
TRUST = ('{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Service": '
         '"sagemaker.amazonaws.com" }, "Action": "sts:AssumeRole" } ] }')
INVOKE_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sagemaker:InvokeEndpoint"],
                                                         "Resource": "*"}]}


def _aws(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run([AWS, *args], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, f"aws {' '.join(args)}\n{proc.stderr}"
    return proc.stdout


def test_workshop_commands(local_cloud, tmp_path, local_client):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(local_cloud.env(), AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    user, role, node_role = unique("sagemakeruser"), unique("eksworkshop-sagemaker-kfp-role"), unique("node-role")
    bucket = unique("kfsm-cli") + "-kubeflow-pipeline-data"

    _aws(["iam", "create-user", "--user-name", user], env)
    _aws(["iam", "attach-user-policy", "--user-name", user,
          "--policy-arn", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"], env)
    (tmp_path / "create_output.json").write_text(_aws(["iam", "create-access-key", "--user-name", user], env))
    key = json.loads((tmp_path / "create_output.json").read_text())["AccessKey"]
    assert key["UserName"] == user and key["AccessKeyId"] and key["SecretAccessKey"]

    _aws(["iam", "create-role", "--role-name", role, "--assume-role-policy-document", TRUST], env)
    _aws(["iam", "attach-role-policy", "--role-name", role,
          "--policy-arn", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"], env)
    _aws(["iam", "attach-role-policy", "--role-name", role,
          "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3FullAccess"], env)
    arn = _aws(["iam", "get-role", "--role-name", role, "--output", "text", "--query", "Role.Arn"], env).strip()
    assert arn == f"arn:aws:iam::{local_cloud.account_id}:role/{role}"

    _aws(["iam", "create-role", "--role-name", node_role, "--assume-role-policy-document",
          TRUST.replace("sagemaker", "ec2")], env)
    (tmp_path / "sagemaker-invoke.json").write_text(json.dumps(INVOKE_POLICY))
    _aws(["iam", "put-role-policy", "--role-name", node_role, "--policy-name", "sagemaker-invoke-for-worker",
          "--policy-document", f"file://{tmp_path / 'sagemaker-invoke.json'}"], env)

    _aws(["s3", "mb", f"s3://{bucket}", "--region", local_cloud.region], env)
    (tmp_path / "valid_data.csv").write_text("0,0.5,1\n")
    _aws(["s3", "cp", str(tmp_path / "valid_data.csv"), f"s3://{bucket}/mnist_kmeans_example/input/"], env)
    _aws(["s3", "cp", f"s3://{bucket}/mnist_kmeans_example/input/valid_data.csv",
          f"s3://{bucket}/mnist_kmeans_example/copy/valid_data.csv"], env)

    iam = local_client("iam")
    attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert attached == {"AmazonSageMakerFullAccess", "AmazonS3FullAccess"}
    assert iam.list_role_policies(RoleName=node_role)["PolicyNames"] == ["sagemaker-invoke-for-worker"]
    body = local_client("s3").get_object(Bucket=bucket, Key="mnist_kmeans_example/copy/valid_data.csv")["Body"]
    assert body.read() == b"0,0.5,1\n"
    # The role made by the CLI is one SageMaker accepts.
    sm_list = _aws(["sagemaker", "list-training-jobs", "--max-results", "5"], env)
    assert "TrainingJobSummaries" in sm_list
