"""Compare Petal's top-1 accuracy with reduced-scale and full-scale JPEG decoding.

Usage: python dct_accuracy.py --petal BINARY [--per-class N] VALID_FOLDER

Makes 12-megapixel versions (tools/bench/make_photo.py) of the first N
validation photos of each class in a temporary folder, then runs
`petal bench --measure top1` on them twice: as Petal decodes by default
(a reduced DCT scale for photos this large) and with --full-decode. Prints
one JSON line with both accuracies and how many photos changed their answer.
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from make_photo import make_large


def top1(petal: str, folder: Path, full_decode: bool) -> dict:
    command = [petal, "bench", "--measure", "top1", "--jobs", "2", str(folder)]
    if full_decode:
        command.insert(4, "--full-decode")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output)["top1"]


def accuracy(predictions: dict) -> float:
    # Folders are class ids "1".."102"; output index i is class id i + 1.
    right = sum(1 for path, index in predictions.items() if index == int(Path(path).parent.name) - 1)
    return right / len(predictions)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--petal", required=True)
    parser.add_argument("--per-class", type=int, default=1)
    parser.add_argument("valid", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for class_dir in sorted(p for p in args.valid.iterdir() if p.is_dir()):
            (work / class_dir.name).mkdir()
            for source in sorted(class_dir.glob("*.jpg"))[: args.per_class]:
                make_large(source, work / class_dir.name / source.name)
        reduced = top1(args.petal, work, full_decode=False)
        full = top1(args.petal, work, full_decode=True)
    changed = sum(1 for path in reduced if reduced[path] != full[path])
    print(json.dumps({
        "label": "accuracy 12mp",
        "photos": len(reduced),
        "reduced_top1": accuracy(reduced),
        "full_top1": accuracy(full),
        "changed": changed,
    }))


if __name__ == "__main__":
    main()
