"""The command line's own words (``kfsm-lab --lang ja`` or a Japanese locale)."""

from __future__ import annotations

EN: dict[str, str] = {
    "cli.error": "error: {message}",
    "cli.hint": "  what to do: {hint}",
    "cli.aborted": "aborted",
    "cli.local_cloud": "local cloud: {url}",
    "cli.local_cloud_pace": "local cloud: {url} (was running with pace {running:g} s; now {asked:g} s for the "
                            "jobs of this run and after)",
    "cli.running": "running {name} on target {target} → {output}/",
    "cli.run_step": "  {name:<32} {state:<10} {seconds}",
    "cli.accuracy": "held-out accuracy: {accuracy}",
    "cli.wall": "wall time: {seconds:.1f} s",
    "cli.notebook": "notebook:  {path}",
    "cli.summary": "summary:   {path}",
    "cli.progress_event": "  [{elapsed:5.1f} s] {what}",
    "cli.progress_run": "pipeline run {run_id}: {state}",
    "cli.progress_step": "{step}: {state}{detail}",
    "cli.stopped_cloud": "stopped the local cloud this command started (--keep-local-cloud keeps it)",
    "cli.cloud_still_used": "the local cloud keeps running: still used by {users}",
    "cli.remembered": "(remembered from setup)",
    "cli.not_set": "(not set: `kfsm-lab setup all` creates it)",
    "cli.cleanup_which": "say which runs to clean up",
    "cli.cleanup_which_hint": "`kfsm-lab cleanup --all` deletes every run's resources; "
                              "`kfsm-lab cleanup --all --dry-run` lists what would go",
    "cli.cleanup_which_run": "; the newest run alone: {command}",
    "cli.cleanup_both": "give --run RUN_ID or --all, not both",
    "cli.doctor_skipped": "needs the local cloud (see the first check)",
    "mark.pass": "PASS", "mark.fail": "FAIL", "mark.warn": "WARN", "mark.skip": "skip",
    "cli.fix": "fix: {fix}",
}

JA: dict[str, str] = {
    "cli.error": "エラー: {message}",
    "cli.hint": "  対処法: {hint}",
    "cli.aborted": "中断しました",
    "cli.local_cloud": "ローカルクラウド: {url}",
    "cli.local_cloud_pace": "ローカルクラウド: {url}（ペース {running:g} 秒で動作中でした。この実行以降のジョブは {asked:g} 秒です）",
    "cli.running": "{name} を実行先 {target} で実行します → {output}/",
    "cli.run_step": "  {name:<32} {state:<10} {seconds}",
    "cli.accuracy": "テスト精度: {accuracy}",
    "cli.wall": "所要時間: {seconds:.1f} 秒",
    "cli.notebook": "ノートブック: {path}",
    "cli.summary": "要約:         {path}",
    "cli.progress_event": "  [{elapsed:5.1f} 秒] {what}",
    "cli.progress_run": "パイプライン実行 {run_id}: {state}",
    "cli.progress_step": "{step}: {state}{detail}",
    "cli.stopped_cloud": "このコマンドが起動したローカルクラウドを停止しました（--keep-local-cloud で残せます）",
    "cli.cloud_still_used": "ローカルクラウドは動作を続けます。まだ使用中です: {users}",
    "cli.remembered": "（セットアップで記憶した値）",
    "cli.not_set": "（未設定: `kfsm-lab setup all` が作成します）",
    "cli.cleanup_which": "どの実行をクリーンアップするか指定してください",
    "cli.cleanup_which_hint": "`kfsm-lab cleanup --all` ですべての実行のリソースを削除します。"
                              "`kfsm-lab cleanup --all --dry-run` で削除対象を一覧できます",
    "cli.cleanup_which_run": "。最新の実行だけなら {command}",
    "cli.cleanup_both": "--run RUN_ID と --all はどちらか一方だけ指定してください",
    "cli.doctor_skipped": "ローカルクラウドが必要です（最初の確認項目を参照）",
    "mark.pass": "合格", "mark.fail": "不合格", "mark.warn": "注意", "mark.skip": "対象外",
    "cli.fix": "対処法: {fix}",
}
