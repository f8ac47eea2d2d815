"""Seed a fresh MLflow tracking server for Petal's MLflow tests.

Usage:
    mlflow_seed.py bulk DATABASE_URI MANIFEST_JSON
    mlflow_seed.py server MANIFEST_JSON   (with MLFLOW_TRACKING_URI set)

The bulk step writes thousands of runs and metric values through the MLflow
client straight into the server's SQLite database before the server starts,
because the same calls over HTTP take minutes on two cores. The server step
then logs, through the running server, a training run with artifacts, a
registered model and an alias. It needs PETAL_MODEL (the ONNX model to log)
and PETAL_DATASET (for the label names), and uses tools/train/tracking.py,
the code the training tool uses, so the tests read a run of the shape
training produces. Each step adds the ids the tests look up to MANIFEST_JSON.
"""

import json
import math
import os
import sys
from pathlib import Path

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools" / "train"))
import tracking  # noqa: E402

MANY_RUNS = 1200
HISTORY_POINTS = 30000
# MLflow accepts at most 1000 metrics per log_batch call.
BATCH = 1000
BASE_TIME_MS = 1_714_560_000_000


def seed_many_runs(client: MlflowClient) -> tuple[str, list[str]]:
    """Create MANY_RUNS finished runs whose start times increase with their index."""
    experiment_id = create_experiment(client, "petal-many-runs")

    def create(index: int) -> str:
        start = BASE_TIME_MS + index * 1000
        run = client.create_run(experiment_id, start_time=start, run_name=f"run-{index:04d}")
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric("accuracy", index / MANY_RUNS, start, 0)],
            params=[Param("index", str(index)), Param("lr", "0.01")],
            tags=[RunTag("petal.seed", "many")],
        )
        client.set_terminated(run_id, "FINISHED", end_time=start + 60_000)
        return run_id

    return experiment_id, [create(index) for index in range(MANY_RUNS)]


def create_experiment(client: MlflowClient, name: str) -> str:
    """Create an experiment whose artifacts the server's proxy will serve."""
    return client.create_experiment(name, artifact_location=f"mlflow-artifacts:/{name}")


def seed_history(client: MlflowClient, experiment_id: str) -> str:
    """Create a run whose "loss" metric has HISTORY_POINTS steps; loss at step s is 1/(s+1)."""
    run_id = client.create_run(experiment_id, run_name="long-history").info.run_id
    points = [Metric("loss", 1.0 / (s + 1), BASE_TIME_MS + s, s) for s in range(HISTORY_POINTS)]
    for start in range(0, HISTORY_POINTS, BATCH):
        client.log_batch(run_id, metrics=points[start : start + BATCH])
    client.set_terminated(run_id)
    return run_id


def seed_special_values(client: MlflowClient, experiment_id: str) -> str:
    """Create a run with NaN and infinite metric values."""
    run_id = client.create_run(experiment_id, run_name="special-values").info.run_id
    values = {"nan_metric": math.nan, "pos_inf": math.inf, "neg_inf": -math.inf, "plain": 0.5}
    metrics = [Metric(key, value, BASE_TIME_MS, 0) for key, value in values.items()]
    client.log_batch(run_id, metrics=metrics)
    client.set_terminated(run_id)
    return run_id


def seed_training_run(client: MlflowClient) -> dict:
    """Log a run as tools/train does, with the model logged, registered and aliased."""
    model = Path(os.environ["PETAL_MODEL"])
    dataset = Path(os.environ["PETAL_DATASET"])
    with open(dataset / "cat_to_name.json", encoding="utf-8") as f:
        names = json.load(f)
    labels = [names[key] for key in sorted(names, key=int)]
    os.environ["MLFLOW_EXPERIMENT_NAME"] = tracking.DEFAULT_EXPERIMENT
    run_id = tracking.start_run({"epochs": 2, "lr": 0.012}, "sha256:seed", run_name="lite0")
    for epoch, (loss, top1) in enumerate([(1.9, 0.61), (0.8, 0.93)], start=1):
        tracking.log_epoch({"epoch": epoch, "train_loss": loss, "val_loss": loss + 0.1,
                            "train_top1": top1, "val_top1": top1 - 0.02}, epoch)
    tracking.end_run({"best_val_top1": 0.91})
    client.log_artifact(run_id, str(model), "onnx")
    version = tracking.log_onnx_model(run_id, model, labels, alias="champion")
    return {
        "training_run": run_id,
        "onnx_file": f"onnx/{model.name}",
        "registered_model": tracking.DEFAULT_REGISTERED_MODEL,
        "version": version,
        "alias": "champion",
    }


def seed_bulk(database_uri: str) -> dict:
    """Write the large experiments straight into the database."""
    client = MlflowClient(tracking_uri=database_uri)
    deleted = create_experiment(client, "petal-deleted")
    client.delete_experiment(deleted)
    experiment_id, run_ids = seed_many_runs(client)
    other = create_experiment(client, "petal-metrics")
    s3_experiment = client.create_experiment(
        "petal-s3-artifacts", artifact_location="s3://petal-artifacts/mlflow"
    )
    s3_run = client.create_run(s3_experiment, run_name="model-in-s3").info
    client.set_terminated(s3_run.run_id)
    return {
        "s3_run": s3_run.run_id,
        "s3_artifact_uri": s3_run.artifact_uri,
        "many_runs_experiment": "petal-many-runs",
        "many_runs_experiment_id": experiment_id,
        "many_run_ids": run_ids,
        "history_run": seed_history(client, other),
        "history_points": HISTORY_POINTS,
        "special_run": seed_special_values(client, other),
        "deleted_experiment": "petal-deleted",
    }


def main() -> None:
    step = sys.argv[1]
    manifest_path = Path(sys.argv[-1])
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    if step == "bulk":
        manifest.update(seed_bulk(sys.argv[2]))
    elif step == "server":
        manifest.update(seed_training_run(MlflowClient()))
    else:
        sys.exit(f"unknown step {step!r}; use bulk or server")
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
