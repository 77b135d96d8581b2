"""Which runs a panel follows: only those of its region and bucket, told from what the run itself says."""

from kfsm_lab.widgets.snapshot import _in_scope


def test_a_run_that_failed_at_its_first_task_is_scoped_by_its_parameters():
    # no task has outputs yet: the parameters still name the bucket and region the run works in
    run = {"steps": [{"inputs": {}, "outputs": {}}],
           "parameters": {"region": "eu-west-1", "dataset_path": "s3://someone-else/mnist_kmeans_example/data"}}
    assert not _in_scope(run, "eu-west-1", "my-bucket")
    assert _in_scope(run, "eu-west-1", "someone-else")
    assert not _in_scope(run, "us-west-2", None)


def test_task_outputs_name_the_bucket():
    run = {"steps": [{"inputs": {"region": "eu-west-1"}, "outputs": {"model_artifact_url": "s3://b1/model.tar.gz"}}]}
    assert _in_scope(run, "eu-west-1", "b1") and not _in_scope(run, "eu-west-1", "b2")


def test_a_run_that_names_no_bucket_is_anyones():
    # e.g. the notebook's own trivial pipeline: nothing says it belongs elsewhere
    assert _in_scope({"steps": [{"inputs": {"n": 3}, "outputs": {}}]}, "eu-west-1", "my-bucket")
