"""Every word the panel and the controller show, in English and Japanese.

One flat dict per language with the same keys (a test checks keys and ``{placeholders}`` match), so
adding a string in one language and forgetting the other fails in CI, not in front of a workshop.
Technical identifiers (ARNs, bucket names, step names, command lines) are never translated.
"""

from __future__ import annotations

from typing import Any

LANGS: tuple[str, ...] = ("en", "ja")

_ROLE_EXAMPLE = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"

EN: dict[str, str] = {
    "title": "Kubeflow Pipelines + Amazon SageMaker: MNIST k-means",
    # fields
    "field.target": "Target",
    "field.region": "Region",
    "field.role_arn": "Execution role ARN",
    "field.bucket": "S3 bucket",
    "target.local": "local (embedded cloud, offline)",
    "target.aws": "aws (your account)",
    "placeholder.role_arn": "empty: Set up creates eksworkshop-sagemaker-kfp-role",
    "placeholder.bucket": "empty: Set up picks a name and remembers it",
    "help.role_arn": "The role SageMaker assumes to train and host the model — not your own identity.",
    # actions
    "action.check": "Check setup",
    "action.setup": "Set up",
    "action.run_pipeline": "Run pipeline",
    "action.predict": "Predict",
    "action.cleanup": "Clean up",
    "action.cancel": "Stop run",
    "tooltip.check": "Ask the account what works and what is missing (changes nothing)",
    "tooltip.setup": "Create the IAM user, execution role, secret, bucket and data (safe to re-run)",
    "tooltip.run_pipeline": "Train, create the model, batch-transform and deploy the endpoint",
    "tooltip.predict": "Ask the endpoint about held-out digits and draw what it says",
    "tooltip.cleanup": "Delete what the kit created so nothing keeps billing",
    "tooltip.cancel": "Stop the pipeline run and its SageMaker jobs",
    "cleanup.include_bucket": "also the bucket",
    "cleanup.include_iam": "also the IAM user and role",
    # status line
    "status.ready": "Ready. Press Set up (fields may stay empty: setup fills them in).",
    "status.fix_fields": "Fix the highlighted field before going on.",
    "status.busy": "{action}: working…",
    "status.check_ok": "Check setup: all {count} checks passed or do not apply.",
    "status.check_failed": "Check setup: {failed} of {count} checks failed — see the fixes below.",
    "status.setup_done": "Set up done ({changed} changed): role {role_arn}, bucket {bucket}.",
    "status.run_started": "Pipeline run {run_id} started.",
    "status.run_progress": "Pipeline run {run_id}: {done} of {total} steps done; now {step} ({detail}).",
    "status.run_waiting": "Pipeline run {run_id}: {state}.",
    "status.run_succeeded": "Pipeline run {run_id} succeeded: endpoint {endpoint} is in service.",
    "status.run_failed": "Pipeline run {run_id} ended {state}.",
    "status.predict_done": "Predictions from {endpoint}: held-out accuracy {accuracy}.",
    "status.cleanup_done": "Clean up: {count} resources deleted or stopped.",
    "status.cleanup_nothing": "Clean up: none of the kit's resources are left.",
    "status.failed": "{action} failed: {message}",
    # why an action is unavailable
    "why.busy": "{action} is still running; wait for it to finish.",
    "why.fields_invalid": "a field is not valid: {message}",
    "why.needs_setup": "run Set up first (for the current target, region, role and bucket).",
    "why.needs_run": "run the pipeline to success first.",
    "why.nothing_created": "nothing has been created yet.",
    "why.no_active_run": "no pipeline run is going.",
    "why.unknown_action": "there is no action {action!r}.",
    # validation messages shown under a field
    "invalid.role_arn": "{reason}",
    "invalid.bucket": "{reason}",
    "invalid.region": "{reason}",
    "invalid.target": "{reason}",
    "invalid.hint": "Hint: {hint}",
    "invalid.unknown_field": "{name!r} is not a field of the panel.",
    # errors and results
    "error.title": "{action} failed",
    "error.hint": "What to do",
    "error.unexpected_hint": "This is a bug in kfsm-lab: please report it with the traceback below.",
    "error.traceback": "Traceback",
    "result.run_steps": "{done} of {total} steps",
    "progress.description": "Steps",
}

JA: dict[str, str] = {
    "title": "Kubeflow Pipelines + Amazon SageMaker: MNIST k-means",
    "field.target": "実行先",
    "field.region": "リージョン",
    "field.role_arn": "実行ロール ARN",
    "field.bucket": "S3 バケット",
    "target.local": "local（組み込みクラウド、オフライン）",
    "target.aws": "aws（ご自身のアカウント）",
    "placeholder.role_arn": "空欄可: セットアップが eksworkshop-sagemaker-kfp-role を作成します",
    "placeholder.bucket": "空欄可: セットアップが名前を決めて記憶します",
    "help.role_arn": "SageMaker が学習とホスティングのために引き受けるロールです（ご自身の ID ではありません）。",
    "action.check": "設定を確認",
    "action.setup": "セットアップ",
    "action.run_pipeline": "パイプライン実行",
    "action.predict": "推論",
    "action.cleanup": "クリーンアップ",
    "action.cancel": "実行を停止",
    "tooltip.check": "アカウントで何が使えて何が足りないかを確認します（何も変更しません）",
    "tooltip.setup": "IAM ユーザー、実行ロール、シークレット、バケット、データを作成します（再実行しても安全）",
    "tooltip.run_pipeline": "学習、モデル作成、バッチ変換、エンドポイントのデプロイを行います",
    "tooltip.predict": "未学習の数字をエンドポイントに問い合わせ、結果を図にします",
    "tooltip.cleanup": "課金が続かないよう、キットが作成したものを削除します",
    "tooltip.cancel": "パイプラインの実行と SageMaker ジョブを停止します",
    "cleanup.include_bucket": "バケットも削除",
    "cleanup.include_iam": "IAM ユーザーとロールも削除",
    "status.ready": "準備完了。セットアップを押してください（空欄はセットアップが埋めます）。",
    "status.fix_fields": "先に強調表示された項目を修正してください。",
    "status.busy": "{action}: 処理中…",
    "status.check_ok": "設定を確認: {count} 項目すべて合格、または対象外です。",
    "status.check_failed": "設定を確認: {count} 項目中 {failed} 項目が不合格です。下の対処法をご覧ください。",
    "status.setup_done": "セットアップ完了（変更 {changed} 件）: ロール {role_arn}、バケット {bucket}。",
    "status.run_started": "パイプライン実行 {run_id} を開始しました。",
    "status.run_progress": "パイプライン実行 {run_id}: {total} ステップ中 {done} 完了、実行中 {step}（{detail}）。",
    "status.run_waiting": "パイプライン実行 {run_id}: {state}。",
    "status.run_succeeded": "パイプライン実行 {run_id} が成功しました: エンドポイント {endpoint} が稼働中です。",
    "status.run_failed": "パイプライン実行 {run_id} は {state} で終了しました。",
    "status.predict_done": "{endpoint} による推論: テスト精度 {accuracy}。",
    "status.cleanup_done": "クリーンアップ: {count} 件のリソースを削除または停止しました。",
    "status.cleanup_nothing": "クリーンアップ: キットのリソースは残っていません。",
    "status.failed": "「{action}」に失敗しました: {message}",
    "why.busy": "「{action}」を実行中です。終わるまでお待ちください。",
    "why.fields_invalid": "入力に誤りがあります: {message}",
    "why.needs_setup": "先にセットアップを実行してください（現在の実行先、リージョン、ロール、バケットで）。",
    "why.needs_run": "先にパイプラインを成功させてください。",
    "why.nothing_created": "まだ何も作成されていません。",
    "why.no_active_run": "実行中のパイプラインはありません。",
    "why.unknown_action": "{action!r} という操作はありません。",
    "invalid.role_arn": "実行ロール ARN が正しくありません（{reason}）。例: " + _ROLE_EXAMPLE,
    "invalid.bucket": "S3 バケット名が正しくありません（{reason}）。3〜63 文字の英小文字・数字・「.」「-」で、"
                      "先頭と末尾は英数字です。",
    "invalid.region": "リージョンが正しくありません（{reason}）。例: us-west-2",
    "invalid.target": "実行先は local または aws です（{reason}）。",
    "invalid.hint": "ヒント: {hint}",
    "invalid.unknown_field": "{name!r} はパネルの項目ではありません。",
    "error.title": "「{action}」に失敗しました",
    "error.hint": "対処法",
    "error.unexpected_hint": "kfsm-lab の不具合です。下のトレースバックを添えてご報告ください。",
    "error.traceback": "トレースバック",
    "result.run_steps": "{total} ステップ中 {done}",
    "progress.description": "ステップ",
}

MESSAGES: dict[str, dict[str, str]] = {"en": EN, "ja": JA}


def check_lang(lang: str) -> str:
    """The language code, or the kit's ValidationError naming the supported ones."""
    if lang not in MESSAGES:
        from ..errors import ValidationError

        raise ValidationError("lang", lang, f"{lang!r} is not a supported language", "use 'en' or 'ja'")
    return lang


def t(lang: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in (English if a key is missing)."""
    text = MESSAGES.get(lang, EN).get(key) or EN[key]
    return text.format(**values) if values else text
