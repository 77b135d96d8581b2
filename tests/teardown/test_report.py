"""Clean-up's report in the kit's language: what was done and to what, columns aligned."""

from kfsm_lab.display import columns
from kfsm_lab.teardown import CleanupReport, Item


def test_japanese_report_words_actions_and_kinds_and_keepscolumns():
    report = CleanupReport(False, [Item("training job", "kfsm-r-train", "stopped"),
                                   Item("endpoint", "kfsm-r-endpoint", "deleted")])
    lines = report.text("ja").splitlines()
    assert lines[0].startswith("停止") and "トレーニングジョブ" in lines[0]
    assert lines[1].startswith("削除") and "エンドポイント" in lines[1]
    assert {columns(line[:line.index("kfsm-")]) for line in lines} == {35}  # names start in one column


def test_nothing_left_is_said_in_either_language():
    assert CleanupReport(True).text("en") == "nothing to clean up: none of the kit's resources are left"
    assert "ありません" in CleanupReport(True).text("ja")
    assert "クリーンアップ" in CleanupReport(False)._repr_html_() or "Clean-up" in CleanupReport(False)._repr_html_()
