"""Export a trained checkpoint to ONNX with its description in metadata.

When the run was tracked in MLflow (its summary.json has mlflow_run_id) and
MLFLOW_TRACKING_URI is set, the model and its labels are logged to that run
as an ONNX-flavor folder and registered (see tracking.py).

Usage: python tools/train/export.py --run tools/train/runs/lite0 \
           --out models/petal-flowers102-lite0.onnx
"""

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch

from efficientnet_lite_pytorch import EfficientNet

import common
import tracking

MODEL_VERSION = "1.0.0"


def load_trained(run: Path, num_classes: int) -> torch.nn.Module:
    model = EfficientNet.from_name("efficientnet-lite0", num_classes=num_classes)
    model.load_state_dict(torch.load(run / "best.pt", map_location="cpu"))
    return model.eval()


def metadata(ids, names, fingerprint):
    return {
        "model_name": common.MODEL_NAME,
        "model_version": MODEL_VERSION,
        "labels": json.dumps(names),
        "class_ids": json.dumps(ids),
        "input_layout": "NCHW",
        "input_size": json.dumps([common.CROP, common.CROP]),
        "resize": f"shorter_side:{common.RESIZE_SHORTER}",
        "crop": "center",
        "interpolation": "bilinear",
        "mean": json.dumps(list(common.MEAN)),
        "std": json.dumps(list(common.STD)),
        "output_kind": "logits",
        "output_name": "logits",
        "dataset_fingerprint": fingerprint,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("tools/train/runs/lite0"))
    parser.add_argument("--out", type=Path, default=Path("models/petal-flowers102-lite0.onnx"))
    args = parser.parse_args()

    root = common.dataset_root()
    ids = common.class_ids(root / "train")
    names = common.class_names(root, ids)
    model = load_trained(args.run, len(ids))

    dummy = torch.zeros(1, 3, common.CROP, common.CROP)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        dummy,
        str(args.out),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    proto = onnx.load(str(args.out))
    del proto.metadata_props[:]
    for key, value in metadata(ids, names, common.dataset_fingerprint(root)).items():
        proto.metadata_props.add(key=key, value=value)
    proto.doc_string = "EfficientNet-Lite0 fine-tuned on Oxford 102 flowers; see docs/model-card.md"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(args.out))

    x = torch.randn(2, 3, common.CROP, common.CROP)
    with torch.no_grad():
        expected = model(x).numpy()
    session = onnxruntime.InferenceSession(str(args.out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": x.numpy()})[0]
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes); "
          f"max |torch - onnxruntime| = {np.abs(expected - got).max():.2e}")

    summary_path = args.run / "summary.json"
    run_id = json.loads(summary_path.read_text()).get("mlflow_run_id") if summary_path.exists() else None
    if run_id and tracking.enabled():
        version = tracking.log_onnx_model(run_id, args.out, names, onnx_version=onnx.__version__)
        print(f"logged the model to MLflow run {run_id}, registered as version {version}")


if __name__ == "__main__":
    main()
