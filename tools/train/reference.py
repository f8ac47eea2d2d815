"""Write the probabilities that Petal's parity test compares against.

For 20 validation photos spread over the classes, runs the training tool's
evaluation preprocessing and the trained PyTorch model, and checks that
onnxruntime on the exported ONNX file agrees.

Usage: python tools/train/reference.py --run tools/train/runs/lite0 \
           --model models/petal-flowers102-lite0.onnx \
           --out tests/data/reference_probabilities.json
"""

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import onnxruntime
import torch

import common
from export import load_trained

PHOTO_COUNT = 20


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("tools/train/runs/lite0"))
    parser.add_argument("--model", type=Path, default=Path("models/petal-flowers102-lite0.onnx"))
    parser.add_argument("--out", type=Path, default=Path("tests/data/reference_probabilities.json"))
    args = parser.parse_args()

    root = common.dataset_root()
    ids = common.class_ids(root / "valid")
    samples = common.list_samples(root / "valid", ids)
    step = len(samples) // PHOTO_COUNT
    chosen = samples[::step][:PHOTO_COUNT]

    model = load_trained(args.run, len(ids))
    session = onnxruntime.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
    photos = []
    for path, index in chosen:
        x = common.eval_tensor(path)
        with torch.no_grad():
            torch_probs = torch.softmax(model(torch.from_numpy(x)), dim=1)[0].numpy()
        ort_logits = session.run(None, {"image": x})[0][0]
        ort_probs = np.exp(ort_logits - ort_logits.max())
        ort_probs /= ort_probs.sum()
        gap = float(np.abs(torch_probs - ort_probs).max())
        assert gap < 1e-4, f"{path}: torch and onnxruntime differ by {gap}"
        photos.append({
            "path": path.relative_to(root).as_posix(),
            "class_id": ids[index],
            "probabilities": [round(float(p), 7) for p in torch_probs],
        })

    sha256 = hashlib.sha256(args.model.read_bytes()).hexdigest()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"model_sha256": sha256, "photos": photos}, f, indent=1)
    print(f"wrote {len(photos)} reference photos to {args.out}")


if __name__ == "__main__":
    main()
