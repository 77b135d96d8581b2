"""A plain kfp.Client script, as someone would write it with no kfsm_lab import (run by test_plain_client.py).

Usage: python plain_client.py PIPELINE_YAML
"""

import sys

import kfp
from kfp import dsl


@dsl.component(base_image="python:3.11")
def hello(name: str) -> str:
    print(f"hello {name}")
    return f"hello {name}"


@dsl.pipeline(name="hello-pipeline")
def hello_pipeline(name: str = "workshop"):
    hello(name=name)


def main(package: str) -> None:
    client = kfp.Client()  # KF_PIPELINES_ENDPOINT from `kfsm-lab local env`
    experiment = client.create_experiment("plain-client")
    run = client.create_run_from_pipeline_package(package, arguments={}, experiment_id=experiment.experiment_id)
    result = client.wait_for_run_completion(run.run_id, timeout=300, sleep_duration=1)
    tasks = sorted((t.display_name, t.state) for t in result.run_details.task_details)
    print("packaged:", result.state, tasks)
    assert result.state == "SUCCEEDED", result.error
    assert len(tasks) == 4 and all(state == "SUCCEEDED" for _, state in tasks), tasks
    own = client.create_run_from_pipeline_func(hello_pipeline, arguments={"name": "kfp"},
                                               experiment_name="plain-client")
    mine = client.wait_for_run_completion(own.run_id, timeout=120, sleep_duration=0.5)
    print("own:", mine.state, [(t.display_name, t.state) for t in mine.run_details.task_details])
    assert mine.state == "SUCCEEDED", mine.error
    print("run ids:", run.run_id, own.run_id)


if __name__ == "__main__":
    main(sys.argv[1])
