"""Pieces shared by the training, export and reference tools.

The evaluation preprocessing defined here is the contract that Petal's Rust
pipeline reproduces. It decodes, applies EXIF orientation and composites
transparency over white. Then it resizes the shorter side to RESIZE_SHORTER
with a bilinear (triangle) filter, crops the centre CROP x CROP, scales to
[0, 1] and normalises with MEAN and STD.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

MODEL_NAME = "petal-flowers102-efficientnet-lite0"
RESIZE_SHORTER = 256
CROP = 224
MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)

REPO_ROOT = Path(__file__).resolve().parents[2]


def dataset_root() -> Path:
    """Return the Oxford 102 folder, overridable with PETAL_DATASET."""
    default = REPO_ROOT.parent / "shared" / "datasets" / "oxford102"
    return Path(os.environ.get("PETAL_DATASET", default))


def class_ids(split_dir: Path) -> list[str]:
    """Return the class folder names in output order.

    Folders are named "1".."102". They are ordered as numbers, so output
    index i is class id i + 1; a plain string sort would put "10" after "1".
    """
    ids = [p.name for p in split_dir.iterdir() if p.is_dir()]
    return sorted(ids, key=int)


def class_names(root: Path, ids: list[str]) -> list[str]:
    with open(root / "cat_to_name.json", encoding="utf-8") as f:
        names = json.load(f)
    return [names[i] for i in ids]


def list_samples(split_dir: Path, ids: list[str]) -> list[tuple[Path, int]]:
    samples = []
    for index, class_id in enumerate(ids):
        for path in sorted((split_dir / class_id).iterdir()):
            if path.is_file():
                samples.append((path, index))
    return samples


def open_rgb(path: Path) -> Image.Image:
    """Open a photo upright, as RGB, with transparency composited over white."""
    image = Image.open(path)
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


def resize_shorter(image: Image.Image, shorter: int) -> Image.Image:
    """Resize so the shorter side is `shorter`, rounding the longer side."""
    width, height = image.size
    scale = shorter / min(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if width <= height:
        size = (shorter, size[1])
    else:
        size = (size[0], shorter)
    return image.resize(size, Image.BILINEAR)


def center_crop(image: Image.Image, crop: int) -> Image.Image:
    width, height = image.size
    left = (width - crop) // 2
    top = (height - crop) // 2
    return image.crop((left, top, left + crop, top + crop))


def eval_tensor(path: Path) -> np.ndarray:
    """Return the 1x3xCROPxCROP float32 input for one photo."""
    image = center_crop(resize_shorter(open_rgb(path), RESIZE_SHORTER), CROP)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    pixels = (pixels - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return pixels.transpose(2, 0, 1)[None].copy()


def dataset_fingerprint(root: Path) -> str:
    """Hash the relative paths and sizes of every training and validation file."""
    digest = hashlib.sha256()
    for split in ("train", "valid"):
        for path in sorted((root / split).rglob("*")):
            if path.is_file():
                rel = path.relative_to(root).as_posix()
                digest.update(f"{rel}\t{path.stat().st_size}\n".encode())
    return "sha256:" + digest.hexdigest()
