"""Log training runs and exported models to MLflow, when a server is set.

Everything here is a no-op unless MLFLOW_TRACKING_URI is set, and mlflow is
imported only then, so training works without it. The run is shaped the way
Petal reads it: parameters, a dataset fingerprint tag, per-epoch metrics, and
an ONNX-flavor model folder (an MLmodel file, the .onnx and labels.txt)
registered under a model name. Petal's MLflow tests seed their server with
these same functions.
"""

import os
import tempfile
from pathlib import Path

DEFAULT_EXPERIMENT = "petal-flowers102"
DEFAULT_REGISTERED_MODEL = "petal-flowers102"
MODEL_ARTIFACT_PATH = "model"
FINGERPRINT_TAG = "dataset_fingerprint"

MLMODEL_TEMPLATE = """\
artifact_path: {artifact_path}
flavors:
  onnx:
    code: null
    data: {model_file}
    onnx_version: {onnx_version}
  python_function:
    data: {model_file}
    loader_module: mlflow.onnx
model_uuid: {uuid}
run_id: {run_id}
"""


def enabled() -> bool:
    """Return whether a tracking server is set."""
    return bool(os.environ.get("MLFLOW_TRACKING_URI"))


def start_run(params: dict, fingerprint: str, run_name: str | None = None):
    """Start a run in MLFLOW_EXPERIMENT_NAME with params and the fingerprint tag.

    Return the run id, or None when no tracking server is set.
    """
    if not enabled():
        return None
    import mlflow

    mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT)
    run = mlflow.start_run(run_name=run_name)
    mlflow.log_params({key: str(value) for key, value in params.items()})
    mlflow.set_tag(FINGERPRINT_TAG, fingerprint)
    return run.info.run_id


def log_epoch(metrics: dict, epoch: int) -> None:
    """Log one epoch's metrics at step `epoch`; the "epoch" key itself is skipped."""
    if not enabled():
        return
    import mlflow

    values = {k: float(v) for k, v in metrics.items() if k != "epoch"}
    mlflow.log_metrics(values, step=epoch)


def end_run(final_metrics: dict) -> None:
    """Log the final metrics and close the active run."""
    if not enabled():
        return
    import mlflow

    mlflow.log_metrics({k: float(v) for k, v in final_metrics.items()})
    mlflow.end_run()


def log_onnx_model(run_id: str, onnx_path: Path, labels: list[str],
                   registered_name: str | None = DEFAULT_REGISTERED_MODEL,
                   alias: str | None = None, onnx_version: str = "unknown"):
    """Log an ONNX-flavor model folder to `run_id` and register it.

    The folder contains the .onnx file, labels.txt (one label per line) and an
    MLmodel file written here, so logging needs neither the onnx package nor
    PyTorch. Return the registered version, or None when not registered.
    """
    if not enabled():
        return None
    import uuid

    import mlflow
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    with tempfile.TemporaryDirectory() as folder:
        model_dir = Path(folder) / MODEL_ARTIFACT_PATH
        model_dir.mkdir()
        model_file = "model.onnx"
        (model_dir / model_file).write_bytes(Path(onnx_path).read_bytes())
        (model_dir / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
        (model_dir / "MLmodel").write_text(MLMODEL_TEMPLATE.format(
            artifact_path=MODEL_ARTIFACT_PATH, model_file=model_file,
            onnx_version=onnx_version, uuid=uuid.uuid4().hex, run_id=run_id,
        ), encoding="utf-8")
        client.log_artifacts(run_id, str(model_dir), MODEL_ARTIFACT_PATH)
    if not registered_name:
        return None
    version = mlflow.register_model(f"runs:/{run_id}/{MODEL_ARTIFACT_PATH}", registered_name)
    if alias:
        client.set_registered_model_alias(registered_name, alias, version.version)
    return version.version
