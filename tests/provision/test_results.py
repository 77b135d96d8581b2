"""Setup's report as the CLI prints it: in the kit's language, columns aligned whatever the script."""

from kfsm_lab.display import columns
from kfsm_lab.provision.results import SetupReport, StepResult


def test_japanese_report_names_steps_and_statuses_in_japanese_and_keepscolumns():
    report = SetupReport([StepResult("iam user", "created", "sagemakeruser"),
                          StepResult("data: train", "already there", "s3://b/mnist_kmeans_example/data")])
    lines = report.text("ja").splitlines()
    assert lines[0].startswith("IAM ユーザー") and "作成" in lines[0]
    assert lines[1].startswith("データ: train")  # the channel is a name: kept
    starts = {columns(line[:line.index(detail)]) for line, detail in
              zip(lines, ("sagemakeruser", "s3://"), strict=True)}
    assert starts == {44}  # details start in the same terminal column


def test_english_report_is_unchanged():
    line = StepResult("bucket", "created", "s3://b (us-west-2)").line("en")
    assert line == f"{'bucket':<28} {'created':<14} s3://b (us-west-2)"
