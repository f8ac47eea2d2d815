"""Time the Python pipelines Petal is compared with, one measure per process.

Each run prints one JSON line with the samples in milliseconds, in the
schema `petal bench` uses, so tools/bench/report.py reads both alike.

Pipelines:
  plain  Pillow as most users write it: open, EXIF transpose, convert, a
         bilinear resize of the full decoded photo, crop, normalise, then
         onnxruntime. This is tools/train/common.py's evaluation transform.
  draft  the same, after Image.draft() so libjpeg decodes a large JPEG at a
         reduced DCT scale (still at least the resize length per side).
  torch  the plain preprocessing, then the training tool's PyTorch model
         (EfficientNet-Lite0 from efficientnet_lite_pytorch, run eagerly).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools" / "train"))
import common  # noqa: E402  (the training tool's evaluation transform)

TOP_K = 5


def open_upright(path: Path, draft: bool) -> Image.Image:
    image = Image.open(path)
    if draft:
        # Pillow picks the largest DCT reduction that keeps both sides at
        # least this long; only JPEGs are affected.
        image.draft("RGB", (common.RESIZE_SHORTER, common.RESIZE_SHORTER))
    image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def input_tensor(path: Path, draft: bool) -> np.ndarray:
    image = common.resize_shorter(open_upright(path, draft), common.RESIZE_SHORTER)
    image = common.center_crop(image, common.CROP)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = (pixels - np.array(common.MEAN, np.float32)) / np.array(common.STD, np.float32)
    return pixels.transpose(2, 0, 1)[None].copy()


def top_k(logits: np.ndarray) -> list[tuple[int, float]]:
    shifted = np.exp(logits - logits.max())
    probabilities = shifted / shifted.sum()
    best = np.argsort(-probabilities)[:TOP_K]
    return [(int(i), float(probabilities[i])) for i in best]


class OrtEngine:
    def __init__(self, model: Path, threads: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self.session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    def run(self, tensor: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: tensor})[0][0]


class TorchEngine:
    def __init__(self, checkpoint: Path, threads: int):
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        torch.set_num_threads(threads)
        # Allowed only once per process; the load measure builds several engines.
        if torch.get_num_interop_threads() != 1:
            torch.set_num_interop_threads(1)
        self.torch = torch
        model = EfficientNet.from_name("efficientnet-lite0", num_classes=102)
        model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
        self.model = model.eval()

    def run(self, tensor: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(tensor))[0].numpy()


def save_untrained(path: Path):
    """Writes the training tool's model with freshly initialised weights,
    for timing PyTorch where the trained checkpoint is not at hand."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    torch.manual_seed(0)
    model = EfficientNet.from_name("efficientnet-lite0", num_classes=102)
    torch.save(model.state_dict(), path)


def load_engine(args):
    if args.pipeline == "torch":
        return TorchEngine(args.checkpoint, args.threads)
    return OrtEngine(args.model, args.threads)


def millis(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def peak_rss_kib():
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(args) -> dict:
    draft = args.pipeline == "draft"
    samples = []
    photos = 1
    if args.measure == "load":
        for _ in range(args.repeats):
            started = time.perf_counter()
            load_engine(args)
            samples.append(millis(started))
        return {"samples_ms": samples, "photos": photos}

    engine = load_engine(args)
    if args.measure == "photo":
        for round_ in range(args.repeats + 1):
            started = time.perf_counter()
            top_k(engine.run(input_tensor(args.path, draft)))
            if round_ > 0:
                samples.append(millis(started))
    elif args.measure == "raw":
        tensor = input_tensor(args.path, draft=False)
        for round_ in range(args.repeats + 1):
            started = time.perf_counter()
            engine.run(tensor)
            if round_ > 0:
                samples.append(millis(started))
    elif args.measure == "folder":
        paths = sorted(p for p in args.path.rglob("*") if p.is_file())
        photos = len(paths)
        for _ in range(args.repeats):
            started = time.perf_counter()
            for path in paths:
                top_k(engine.run(input_tensor(path, draft)))
            samples.append(millis(started))
    return {"samples_ms": samples, "photos": photos}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pipeline", choices=["plain", "draft", "torch"])
    parser.add_argument("--measure", choices=["load", "photo", "raw", "folder"])
    parser.add_argument("--threads", type=int, default=1, help="inference threads")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs after a warm-up")
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "petal-flowers102-lite0.onnx")
    parser.add_argument("--checkpoint", type=Path, help="PyTorch state dict for --pipeline torch")
    parser.add_argument("path", type=Path, nargs="?", help="photo, or folder for --measure folder")
    parser.add_argument("--save-untrained", type=Path, metavar="FILE",
                        help="write the PyTorch model's untrained weights to FILE and exit")
    args = parser.parse_args()
    if args.save_untrained:
        save_untrained(args.save_untrained)
        return
    if args.pipeline is None or args.measure is None:
        parser.error("--pipeline and --measure are required")
    if args.pipeline == "torch" and args.checkpoint is None:
        parser.error("--pipeline torch needs --checkpoint")
    if args.measure != "load" and args.path is None:
        parser.error(f"--measure {args.measure} needs a PATH")

    result = measure(args)
    result.update(
        engine=args.pipeline,
        measure=args.measure,
        threads=args.threads,
        peak_rss_kib=peak_rss_kib(),
        cpus=sorted(os.sched_getaffinity(0)),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
