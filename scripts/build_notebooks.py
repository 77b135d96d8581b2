"""Write the bundled notebooks (English and Japanese) from one list of cells.

The code cells are shared, so the two editions cannot drift apart; only the explanations differ.
Run: python scripts/build_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent / "notebooks"

PARAMETERS = '''\
#: params
target = "local"          #: target
region = "us-west-2"      #: region
role_arn = ""             #: role_arn
bucket = ""               #: bucket
run_name = ""             #: run_name
kfp_host = ""             #: kfp_host
namespace = "kubeflow"    #: namespace
pace = 0.0                #: pace
tune = False              #: tune
lang = "{lang}"               #: lang
cleanup_at_end = True     #: cleanup_at_end
n_digits = 30             #: n_digits'''

SETTINGS = '''\
%matplotlib inline
import kfsm_lab as kl

kl.set_lang(lang)
#: validate
settings = kl.load_settings(target=target, region=region, role_arn=role_arn or None, bucket=bucket or None,
                            run_name=run_name or None, kfp_host=kfp_host or None, namespace=namespace, pace=pace)
if settings.target == "local":
    kl.local_cloud(pace=settings.pace)   #: local_cloud
kl.panel(settings, lang=lang, pipeline="mnist_classification")   #: panel'''

SETUP = '''\
report = kl.setup(settings)          #: setup_rerun
settings = report.settings           #: setup_filled
report'''

DOCTOR = '''\
checks = kl.doctor(settings)
display(checks)
checks.raise_for_failures()          #: doctor_stop'''

SDK = '''\
#: sdk_1
#: sdk_2
import kfp
from kfp import dsl

kfp.__version__'''

COMPONENTS = '''\
#: comp_1
#: comp_2
from kfsm_lab.components import (sagemaker_batch_transform_op, sagemaker_deploy_op, sagemaker_hpo_op,
                                 sagemaker_model_op, sagemaker_train_op, use_aws_secret)
from kfsm_lab.images import kmeans_image

S3_BUCKET = settings.bucket
S3_PIPELINE_PATH = f"s3://{S3_BUCKET}/mnist_kmeans_example"
SAGEMAKER_ROLE_ARN = settings.role_arn
SAGEMAKER_ROLE_ARN, S3_PIPELINE_PATH'''

PIPELINE = '''\
#: pipe_1
@dsl.pipeline(name="mnist-classification-pipeline",
              description="MNIST Classification using KMEANS in SageMaker")
def mnist_classification(region: str = settings.region,
                         image: str = kmeans_image(settings.region),
                         dataset_path: str = S3_PIPELINE_PATH + "/data",
                         test_dataset_path: str = S3_PIPELINE_PATH + "/test_data",
                         instance_type: str = settings.training_instance_type,
                         instance_count: int = settings.training_instance_count,
                         volume_size: int = settings.volume_size_gb,
                         model_output_path: str = S3_PIPELINE_PATH + "/model",
                         batch_transform_input: str = S3_PIPELINE_PATH + "/input",
                         batch_transform_output: str = S3_PIPELINE_PATH + "/output",
                         role_arn: str = SAGEMAKER_ROLE_ARN,
                         run_id: str = "",          #: pipe_run_id
                         k: int = settings.k,
                         feature_dim: int = settings.feature_dim,
                         mini_batch_size: int = settings.mini_batch_size):
    best = {}
    if tune:                   #: pipe_tune
        tuning = sagemaker_hpo_op(region=region, image=image, dataset_path=dataset_path,
                                  test_dataset_path=test_dataset_path, model_artifact_path=model_output_path,
                                  role=role_arn, run_id=run_id, instance_type=instance_type)
        use_aws_secret(tuning)
        best = {"hyperparameters": tuning.outputs["best_hyperparameters"]}   #: pipe_best
    training = sagemaker_train_op(region=region, image=image, instance_type=instance_type,
                                  instance_count=instance_count, volume_size=volume_size,
                                  dataset_path=dataset_path, model_artifact_path=model_output_path,
                                  role=role_arn, run_id=run_id, k=k, feature_dim=feature_dim,
                                  mini_batch_size=mini_batch_size, **best)
    create_model = sagemaker_model_op(region=region, image=training.outputs["training_image"],
                                      model_artifact_url=training.outputs["model_artifact_url"],
                                      role=role_arn, run_id=run_id)
    prediction = sagemaker_deploy_op(region=region, model_name=create_model.output, run_id=run_id)
    batch_transform = sagemaker_batch_transform_op(region=region, model_name=create_model.output,
                                                   input_location=batch_transform_input,
                                                   output_location=batch_transform_output, run_id=run_id)
    for step in (training, create_model, prediction, batch_transform):
        use_aws_secret(step)   #: pipe_secret'''

COMPILE = '''\
#: compile_1
kfp.compiler.Compiler().compile(mnist_classification, "mnist-classification-pipeline.yaml")
kl.CompiledPipeline("mnist-classification-pipeline.yaml")   #: compile_table'''

SUBMIT = '''\
#: submit_1
client = kfp.Client(host=settings.kfp_host or None)
experiment = client.create_experiment(name=settings.experiment)
RUN_ID = settings.run_name or kl.new_run_id()   #: submit_run_id
my_run = client.create_run_from_pipeline_package("mnist-classification-pipeline.yaml",
                                                 arguments={"run_id": RUN_ID},
                                                 run_name=f"mnist-classification-{RUN_ID}",
                                                 experiment_id=experiment.experiment_id)'''

WATCH = '''\
run = kl.attach(my_run.run_id, settings)   #: watch_attach
kl.watch(run);                             #: watch_figure'''

WORKSHOP_CALL = '''\
pred = kl.predict(settings, run_id=run.run_id)
#: predict_call
print(pred.workshop_response)
print()
print(pred.text())'''

FIGURES = '''\
kl.show_figures(pred, n=n_digits)'''

CLEANUP = '''\
cleaned = kl.cleanup(settings, run_id=run.run_id) if cleanup_at_end else None   #: cleanup_only_kit
cleaned'''

SUMMARY = '''\
kl.record_summary(settings, run, pred, cleaned);'''

# The code cells' comments, in each edition's language: `#: key` in a cell becomes `# <comment>`.
COMMENTS = {
    "en": {
        "params": 'Parameters: papermill and `kfsm-lab run -p name=value` replace these. Empty strings mean "let the kit choose".',
        "target": '"local": embedded local cloud (no AWS account needed); "aws": your AWS account + Kubeflow',
        "region": "AWS region; must offer SageMaker (the k-means image is picked for it)",
        "role_arn": "SageMaker execution role ARN; empty: setup creates/reuses eksworkshop-sagemaker-kfp-role",
        "bucket": "S3 bucket; empty: a generated <random>-kubeflow-pipeline-data name, remembered for you",
        "run_name": "run id that every SageMaker name derives from; empty: a new one; re-use one to adopt",
        "kfp_host": "aws target: Kubeflow Pipelines API, e.g. http://ml-pipeline.kubeflow:8888",
        "namespace": "aws target: Kubernetes namespace of the aws-secret secret",
        "pace": "local target: least seconds a job or endpoint takes, spread over its status steps: 0 is instant, 1-2 lets you watch the progress in a demo",
        "tune": "True: start with the later workshop's tuning step (9 k-means trials, 2 at a time); training uses the best",
        "lang": 'language of the panel, tables, reports and figures: "en" or "ja"',
        "cleanup_at_end": "delete the endpoint, model and run outputs at the end (an idle endpoint keeps billing)",
        "n_digits": "how many test digits to draw with their predictions",
        "validate": "Validates every value first: a bad role ARN, bucket or region stops here with what a valid one looks like.",
        "local_cloud": "the local cloud, and kfp.Client() pointed at its Kubeflow Pipelines API",
        "panel": "the control panel in JupyterLab (never in a headless run); Run runs the pipeline of step 3",
        "setup_rerun": "safe to re-run: every step says created / already there / updated",
        "setup_filled": "now with role_arn and bucket filled in",
        "doctor_stop": "stop here, with the fix, if anything the pipeline needs is missing",
        "sdk_1": "Step 1: the Kubeflow Pipelines SDK (kfp 2). On the local target kfp.Client() talks to the kit's own",
        "sdk_2": "Kubeflow Pipelines API (KF_PIPELINES_ENDPOINT, set above); on aws to your cluster's.",
        "comp_1": "Step 2: the SageMaker components. They ship with the kit (the workshop's URLs no longer exist) and use",
        "comp_2": "only boto3 inside, so a pod on the cluster runs them as they are.",
        "pipe_1": "Step 3: the pipeline. Edit it freely: add a step, change a parameter, wire outputs differently.",
        "pipe_run_id": "every SageMaker name derives from it; empty: the run's own id",
        "pipe_tune": "a Python if: the tuning step is in the graph only when tune is on",
        "pipe_best": "the tuning job's best hyperparameters go to training",
        "pipe_secret": "the workshop's .apply(use_aws_secret('aws-secret', 'AWS_ACCESS_KEY_ID', ...))",
        "compile_1": "Step 4: compile. The YAML is what you could also upload in the Kubeflow Pipelines UI.",
        "compile_table": "its tasks and what each runs after",
        "submit_1": "Step 5: an experiment and a run; kfp.Client shows the experiment and run links.",
        "submit_run_id": "re-use a run id to pick up what a run left (it adopts)",
        "watch_attach": "follows the run through the same Kubeflow Pipelines API",
        "watch_figure": "redraws the progress figure until the run ends; stops here if a step fails",
        "predict_call": "The workshop's call, invoke_endpoint(ContentType='text/csv', Body=<one digit>), answers:",
        "cleanup_only_kit": "only what the kit created",
    },
    "ja": {
        "params": "パラメーター: papermill と `kfsm-lab run -p 名前=値` がこの値を置き換えます。空文字列は「キットに任せる」の意味です。",
        "target": '"local": 組み込みのローカルクラウド (AWS アカウント不要)、"aws": あなたの AWS アカウントと Kubeflow',
        "region": "AWS リージョン。SageMaker が使えること (k-means のイメージはリージョンから選びます)",
        "role_arn": "SageMaker 実行ロールの ARN。空ならセットアップが eksworkshop-sagemaker-kfp-role を作成・再利用します",
        "bucket": "S3 バケット。空なら <ランダム>-kubeflow-pipeline-data という名前を生成し、覚えておきます",
        "run_name": "SageMaker の名前の元になる実行 ID。空なら新しく作ります。同じ ID で再実行すると引き継ぎます",
        "kfp_host": "aws ターゲット: Kubeflow Pipelines API (例: http://ml-pipeline.kubeflow:8888)",
        "namespace": "aws ターゲット: シークレット aws-secret の Kubernetes 名前空間",
        "pace": "local ターゲット: ジョブやエンドポイントが完了までにかける最短の秒数 (各状態に分けて使います)。0 は即時、デモでは 1-2 で進み具合が見えます",
        "tune": "True: 後のワークショップと同じチューニングステップから始めます (k-means の試行 9 回、同時に 2 つ)。学習は最良の値を使います",
        "lang": 'パネル、表、レポート、図の言語: "en" または "ja"',
        "cleanup_at_end": "最後にエンドポイント、モデル、実行の出力を削除します (使っていないエンドポイントにも課金が続きます)",
        "n_digits": "予測と一緒に描くテスト用の数字の数",
        "validate": "最初にすべての値を検証します。ロール ARN、バケット、リージョンが間違っていれば、正しい形を示してここで止まります。",
        "local_cloud": "ローカルクラウドを起動し、kfp.Client() がその Kubeflow Pipelines API を使うようにします",
        "panel": "コントロールパネル (JupyterLab のみ。ヘッドレス実行では出ません)。Run はステップ 3 のパイプラインを実行します",
        "setup_rerun": "何度実行しても安全: 各ステップが 作成 / 既存 / 更新 を示します",
        "setup_filled": "role_arn と bucket が入った設定",
        "doctor_stop": "パイプラインに必要なものが欠けていれば、直し方を示してここで止まります",
        "sdk_1": "ステップ 1: Kubeflow Pipelines SDK (kfp 2)。local ターゲットでは kfp.Client() はキット自身の",
        "sdk_2": "Kubeflow Pipelines API (上で設定した KF_PIPELINES_ENDPOINT) と、aws ではクラスターのものと話します。",
        "comp_1": "ステップ 2: SageMaker コンポーネント。キットに同梱されており (ワークショップの URL はもうありません)、",
        "comp_2": "中では boto3 だけを使うので、クラスターの Pod でもそのまま動きます。",
        "pipe_1": "ステップ 3: パイプライン。自由に編集できます: ステップを足す、パラメーターを変える、出力のつなぎ方を変える。",
        "pipe_run_id": "SageMaker の名前はすべてここから決まります。空なら実行自身の ID",
        "pipe_tune": "Python の if です。tune が True のときだけチューニングステップがグラフに入ります",
        "pipe_best": "チューニングジョブの最良のハイパーパラメーターを学習に渡します",
        "pipe_secret": "ワークショップの .apply(use_aws_secret('aws-secret', 'AWS_ACCESS_KEY_ID', ...)) にあたります",
        "compile_1": "ステップ 4: コンパイル。この YAML は Kubeflow Pipelines の UI にアップロードすることもできます。",
        "compile_table": "タスクと、それぞれが何の後に動くか",
        "submit_1": "ステップ 5: 実験と実行。kfp.Client が実験と実行のリンクを表示します。",
        "submit_run_id": "同じ実行 ID を使えば、前の実行が残したものを引き継ぎます",
        "watch_attach": "同じ Kubeflow Pipelines API を通して実行を追います",
        "watch_figure": "実行が終わるまで進捗の図を描き直します。ステップが失敗すればここで止まります",
        "predict_call": "ワークショップと同じ呼び出し invoke_endpoint(ContentType='text/csv', Body=<数字 1 つ>) の応答:",
        "cleanup_only_kit": "キットが作ったものだけです",
    },
}


def code(template: str, lang: str) -> str:
    """A code cell in ``lang``: each ``#: key`` becomes that comment, ``{lang}`` the edition's language."""
    import re

    text = template.replace('"{lang}"', f'"{lang}"')
    return re.sub(r"#: (\w+)", lambda m: "# " + COMMENTS[lang][m.group(1)], text)


TEXT = {
    "en": {
        "title": """# MNIST classification with Kubeflow Pipelines and Amazon SageMaker

This is the "Kubeflow Pipelines with Amazon SageMaker" exercise of the EKS Kubeflow workshop, working today:

1. **Prerequisites**: an IAM user for the pipeline steps, the `aws-secret` secret, a SageMaker execution role, an S3 bucket and the MNIST data.
2. **Build the pipeline**: SageMaker training job → model → batch transform + endpoint, on Kubeflow Pipelines 2.
3. **Submit** it and follow the links; **watch** it run.
4. **Predict**: ask the endpoint about digits it has never seen, and see what k-means learned.
5. **Clean up**, so nothing keeps billing.

With `target = "local"` everything runs on the kit's embedded local cloud: it speaks the AWS protocols and really trains k-means, so no AWS account is needed. With `target = "aws"` the same cells use your AWS account and your cluster's Kubeflow Pipelines.""",
        "params": "## Parameters\n\nThe next cell is tagged `parameters`: papermill (and `kfsm-lab run -p name=value`) replace its values.",
        "settings": "The settings are checked first, so a mistyped value stops the notebook here with what a valid value looks like.",
        "prereq": """## 1. Prerequisites: IAM, secret, bucket and data

One call does the workshop's page of shell commands, in an order where each step has what it needs:

* the bucket (`<random>-kubeflow-pipeline-data`; in us-east-1 without a location constraint);
* the IAM user `sagemakeruser` with `AmazonSageMakerFullAccess` and S3 access to the bucket (the workshop's batch step failed without it), and **one** access key;
* the secret `aws-secret` in namespace `kubeflow` for the pipeline pods (on the local target: a private file only the local run reads);
* the execution role `eksworkshop-sagemaker-kfp-role`, trusted by `sagemaker.amazonaws.com`, with SageMaker and S3 full access;
* the data in the workshop's layout: `mnist_kmeans_example/data` (training digits, RecordIO-protobuf) and `mnist_kmeans_example/input/valid_data.csv` (validation digits, CSV).

Keys are never printed.""",
        "doctor": "The doctor checks everything the pipeline needs and says how to fix what is missing.",
        "build": """## 2. Build the pipeline

As in the workshop: load the Kubeflow Pipelines SDK (step 1), load the SageMaker components (step 2), create the pipeline with your role ARN (step 3), and compile it (step 4).

`mnist-classification-pipeline` has the workshop's graph: `sagemaker-training-job` → `sagemaker-create-model` → {`sagemaker-batch-transformation`, `sagemaker-deploy-model`}. Every SageMaker name derives from the run id, so a re-run adopts what exists instead of colliding. The pipeline is yours to edit: whatever you compile is what runs.""",
        "components": "The components take the workshop's inputs. `use_aws_secret` gives a step the AWS keys of the secret `aws-secret` that setup made (on the local target, the same secret in the kit's local secret store).",
        "pipeline": "The pipeline function: its parameters are the workshop's (region, image, instance type and count, volume size, dataset path, model output path, batch input and output, role ARN) plus the run id and the k-means hyperparameters. With `tune = True` it starts as the later workshop did: a hyperparameter tuning job (Bayesian search over `mini_batch_size`, `extra_center_factor` and `init_method`, objective `test:msd`, 9 trials, 2 at a time) whose best hyperparameters train the model.",
        "submit": "## 3. Submit the run\n\n`kfp.Client()` creates the experiment and the run (step 5), and prints their links. On the aws target the run goes to your cluster's Kubeflow Pipelines; on the local target to the kit's own Kubeflow Pipelines API, which runs it against the local cloud — the same cells either way.",
        "watch": "## 4. Watch it run\n\nOne bar per step on a time axis, coloured by state, with the training job's phases and its metric.",
        "predict": """## 5. Predictions

First the workshop's own call: one test digit as a CSV row, and the raw answer of the k-means endpoint (`closest_cluster`, `distance_to_cluster`).

k-means does not know digit names, so each cluster is named after the digit most of its members are, using the batch-transform answers for the validation digits (labels the model never saw). The score is then measured on the test digits.""",
        "figures": "Test digits with their cluster and digit (mistakes in red), the centroids the model learned (read from `model.tar.gz`), and the confusion matrix.",
        "cleanup": "## 6. Clean up\n\nAn idle endpoint keeps costing money. This deletes the run's endpoint, endpoint config and model and its outputs in S3 — only what the kit created. (`kfsm-lab cleanup --all --include-bucket --include-iam` also removes the bucket, the IAM user and the role.)",
        "summary": "The summary below is what `kfsm-lab run` writes to `summary.json`.",
    },
    "ja": {
        "title": """# Kubeflow Pipelines と Amazon SageMaker による MNIST 分類

EKS Kubeflow ワークショップの「Kubeflow Pipelines with Amazon SageMaker」演習を、現在の環境でそのまま動くようにしたノートブックです。

1. **前提条件**: パイプラインの各ステップが使う IAM ユーザー、シークレット `aws-secret`、SageMaker 実行ロール、S3 バケット、MNIST データ。
2. **パイプラインの構築**: SageMaker トレーニングジョブ → モデル → バッチ変換 + エンドポイント (Kubeflow Pipelines 2)。
3. **実行を送信**し、リンクを開いて**進行状況を見ます**。
4. **推論**: モデルが見たことのない数字をエンドポイントに問い合わせ、k-means が何を学んだかを確認します。
5. **後片付け**: 課金が続かないようにリソースを削除します。

`target = "local"` では、キットに組み込まれたローカルクラウドで全てが動きます。AWS のプロトコルを話し、k-means を実際に学習するので、AWS アカウントは不要です。`target = "aws"` では、同じセルがあなたの AWS アカウントとクラスターの Kubeflow Pipelines を使います。""",
        "params": "## パラメーター\n\n次のセルには `parameters` タグが付いています。papermill (および `kfsm-lab run -p 名前=値`) がこの値を置き換えます。",
        "settings": "最初に設定を検証します。値が間違っていれば、正しい値の形を示してここで止まります。",
        "prereq": """## 1. 前提条件: IAM、シークレット、バケット、データ

ワークショップで手作業で貼り付けていたシェルコマンドを、1 回の呼び出しで実行します (各ステップに必要なものが揃う順番で)。

* バケット (`<ランダム>-kubeflow-pipeline-data`。us-east-1 では LocationConstraint なし)
* IAM ユーザー `sagemakeruser` (`AmazonSageMakerFullAccess` とバケットへの S3 アクセス。ワークショップのバッチ変換ステップはこれがないと失敗しました) と、アクセスキー **1 つ**
* パイプラインの Pod が使うシークレット `aws-secret` (名前空間 `kubeflow`。ローカルでは、ローカル実行だけが読む非公開ファイル)
* 実行ロール `eksworkshop-sagemaker-kfp-role` (`sagemaker.amazonaws.com` を信頼し、SageMaker と S3 のフルアクセスを持つ)
* ワークショップと同じ配置のデータ: `mnist_kmeans_example/data` (学習用の数字、RecordIO-protobuf) と `mnist_kmeans_example/input/valid_data.csv` (検証用の数字、CSV)

キーが表示されることはありません。""",
        "doctor": "ドクターが、パイプラインに必要なものを全て確認し、足りないものの直し方を示します。",
        "build": """## 2. パイプラインの構築

ワークショップと同じ手順です: Kubeflow Pipelines SDK を読み込み (ステップ 1)、SageMaker コンポーネントを読み込み (ステップ 2)、ロール ARN を使ってパイプラインを作り (ステップ 3)、コンパイルします (ステップ 4)。

`mnist-classification-pipeline` はワークショップと同じグラフです: `sagemaker-training-job` → `sagemaker-create-model` → {`sagemaker-batch-transformation`, `sagemaker-deploy-model`}。SageMaker の名前はすべて実行 ID から決まるので、再実行しても衝突せず、既存のジョブを引き継ぎます。パイプラインは自由に編集できます。コンパイルしたものがそのまま実行されます。""",
        "components": "コンポーネントはワークショップと同じ入力を取ります。`use_aws_secret` は、セットアップが作ったシークレット `aws-secret` の AWS キーをステップに渡します (local ターゲットでは、キットのローカルシークレットストアにある同じシークレット)。",
        "pipeline": "パイプライン関数です。パラメーターはワークショップと同じ (リージョン、イメージ、インスタンスタイプと数、ボリュームサイズ、データセットのパス、モデルの出力先、バッチ変換の入力と出力、ロール ARN) に、実行 ID と k-means のハイパーパラメーターを加えたものです。`tune = True` にすると、後のワークショップと同じくハイパーパラメーターのチューニングジョブ (`mini_batch_size`、`extra_center_factor`、`init_method` のベイズ探索、目的 `test:msd`、試行 9 回、同時に 2 つ) から始まり、その最良の値でモデルを学習します。",
        "submit": "## 3. 実行の送信\n\n`kfp.Client()` が実験と実行を作り (ステップ 5)、そのリンクを表示します。aws ターゲットではクラスターの Kubeflow Pipelines に、local ターゲットではキット自身の Kubeflow Pipelines API に送信され、ローカルクラウドに対して実行されます。どちらでも同じセルです。",
        "watch": "## 4. 進行状況\n\nステップごとに時間軸上の棒を状態の色で描き、トレーニングジョブのフェーズと指標も示します。",
        "predict": """## 5. 推論

まずワークショップと同じ呼び出しです: テスト用の数字 1 つを CSV の 1 行として送り、k-means エンドポイントの生の応答 (`closest_cluster`, `distance_to_cluster`) を表示します。

k-means は数字の名前を知らないので、検証用の数字 (モデルが見ていないラベル) に対するバッチ変換の結果を使い、各クラスターをその中で最も多い数字で名付けます。そのうえでテスト用の数字で正解率を測ります。""",
        "figures": "テスト用の数字とそのクラスター・予測した数字 (間違いは赤)、モデルが学んだ重心 (`model.tar.gz` から読み込み)、混同行列です。",
        "cleanup": "## 6. 後片付け\n\n使っていないエンドポイントにも課金が続きます。この実行のエンドポイント、エンドポイント設定、モデル、S3 上の出力を削除します (キットが作ったものだけです)。(`kfsm-lab cleanup --all --include-bucket --include-iam` はバケット、IAM ユーザー、ロールも削除します。)",
        "summary": "下の要約は、`kfsm-lab run` が `summary.json` に書き出す内容です。",
    },
}

CELLS = [
    ("md", "title"), ("md", "params"), ("code", PARAMETERS, ["parameters"]), ("md", "settings"),
    ("code", SETTINGS, ["step-settings"]), ("md", "prereq"), ("code", SETUP, ["step-setup"]), ("md", "doctor"),
    ("code", DOCTOR, ["step-doctor"]), ("md", "build"), ("code", SDK, ["step-sdk"]), ("md", "components"),
    ("code", COMPONENTS, ["step-components"]), ("md", "pipeline"), ("code", PIPELINE, ["step-pipeline-code"]),
    ("code", COMPILE, ["step-compile"]), ("md", "submit"), ("code", SUBMIT, ["step-submit"]), ("md", "watch"),
    ("code", WATCH, ["step-pipeline"]), ("md", "predict"),
    ("code", WORKSHOP_CALL, ["step-predict"]), ("md", "figures"), ("code", FIGURES, ["step-figures"]),
    ("md", "cleanup"), ("code", CLEANUP, ["step-cleanup"]), ("md", "summary"), ("code", SUMMARY, ["step-summary"]),
]


def build(lang: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, spec in enumerate(CELLS):
        if spec[0] == "md":
            cell = nbformat.v4.new_markdown_cell(TEXT[lang][spec[1]])
        else:
            cell = nbformat.v4.new_code_cell(code(spec[1], lang))
            cell.metadata["tags"] = list(spec[2])
        cell["id"] = f"kfsm-{i:02d}"
        nb.cells.append(cell)
    return nb


def main() -> None:
    for lang, path in (("en", ROOT / "sagemaker_pipeline.ipynb"), ("ja", ROOT / "ja" / "sagemaker_pipeline.ipynb")):
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build(lang), str(path))
        print("wrote", path)


if __name__ == "__main__":
    main()
