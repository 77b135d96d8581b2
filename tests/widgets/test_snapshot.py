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


def test_a_run_of_the_region_that_names_no_bucket_is_followed():
    assert _in_scope({"steps": [{"inputs": {"region": "eu-west-1", "n": 3}, "outputs": {}}]}, "eu-west-1", "b")


def test_a_run_that_names_no_region_is_no_panels():
    # e.g. a one-component pipeline of someone's (no SageMaker step): it would show as every panel's failure
    assert not _in_scope({"steps": [{"inputs": {"seconds": 3}, "outputs": {}}]}, "eu-west-1", "my-bucket")
    assert not _in_scope({"steps": [{"inputs": {"seconds": 3}, "outputs": {}}]}, "eu-west-1", None)


def test_a_listing_row_is_ruled_out_only_by_what_it_says():
    row = {"steps": [{"inputs": {}, "outputs": {}}]}  # the listing has no parameters: look closer
    assert _in_scope(row, "eu-west-1", "b", partial=True) and not _in_scope(row, "eu-west-1", "b")
    other = {"outputs": {"batch_transform_output": "s3://elsewhere/out"}}
    assert not _in_scope(other, "eu-west-1", "b", partial=True)
