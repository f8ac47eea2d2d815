"""Write docs/benchmarks.md from the JSON lines run.sh collected.

Usage: python report.py RESULTS.jsonl --small PHOTO --large PHOTO
           --petal BINARY [--torch-python PYTHON] --out docs/benchmarks.md

Every figure is a median of repeated runs, shown with the fastest and
slowest run and as a ratio to the Python pipeline it is compared with.
The hand-written findings in tools/bench/findings.md are appended.
"""

import argparse
import datetime
import json
import platform
import re
import statistics
import subprocess
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]

NAMES = {
    "petal": "Petal",
    "petal-full-decode": "Petal, every JPEG decoded at full scale",
    "petal-ort": "Petal, onnxruntime engine",
    "plain-1": "Pillow + onnxruntime, 1 thread (plain)",
    "draft-1": "Pillow `draft` + onnxruntime, 1 thread (careful)",
    "plain-2": "Pillow + onnxruntime, 2 threads (plain)",
    "draft-2": "Pillow `draft` + onnxruntime, 2 threads (careful)",
    "torch-1": "Pillow + PyTorch eager, 1 thread",
    "torch-2": "Pillow + PyTorch eager, 2 threads",
    "ort": "onnxruntime session",
    "ort-1": "onnxruntime, 1 thread",
    "ort-2": "onnxruntime, 2 threads",
    "torch": "PyTorch model and weights",
}


def read_results(path: Path) -> dict:
    results = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if "label" in record:
            results[record["label"]] = record
    return results


def median(record) -> float:
    return statistics.median(record["samples_ms"])


def spread(record) -> str:
    samples = record["samples_ms"]
    return f"{min(samples):.1f}–{max(samples):.1f}"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×"


def time_table(results, labels, base_label, base_name) -> list[str]:
    base = results.get(base_label)
    lines = [
        f"| pipeline | median ms | fastest–slowest | runs | ratio to {base_name} |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label in labels:
        record = results.get(label)
        if record is None:
            continue
        key = label.split(" ")[-1]
        shown = ratio(median(record), median(base)) if base else "n/a"
        lines.append(
            f"| {NAMES.get(key, key)} | {median(record):.1f} | {spread(record)} "
            f"| {len(record['samples_ms'])} | {shown} |"
        )
    return lines


def folder_table(results) -> list[str]:
    base = results.get("folder plain-2")
    lines = [
        "| pipeline | photos/s (median run) | ratio to plain, 2 threads | peak memory MiB "
        "| memory ratio | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ["petal", "petal-ort", "plain-2", "draft-2", "torch-2"]:
        record = results.get(f"folder {key}")
        if record is None:
            continue
        rate = record["photos"] / (median(record) / 1000.0)
        base_rate = base["photos"] / (median(base) / 1000.0) if base else None
        memory = (record.get("peak_rss_kib") or 0) / 1024.0
        base_memory = (base.get("peak_rss_kib") or 0) / 1024.0 if base else 0
        lines.append(
            f"| {NAMES[key]} | {rate:.1f} | {ratio(rate, base_rate) if base_rate else 'n/a'} "
            f"| {memory:.0f} | {ratio(memory, base_memory) if base_memory else 'n/a'} "
            f"| {len(record['samples_ms'])} |"
        )
    return lines


def command_output(args) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def torch_weights_note(weights: str) -> str:
    if weights == "trained":
        return "with the weights of its checkpoint."
    return ("with untrained weights, as its checkpoint is not in the\n"
            "  repository; the arithmetic, and so the time, is the same as trained.")


def machine(torch_python: str) -> list[str]:
    lscpu = command_output(["lscpu"])
    model = re.search(r"Model name:\s*(.+)", lscpu)
    meminfo = Path("/proc/meminfo").read_text()
    total_kib = int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1))
    os_release = Path("/etc/os-release").read_text()
    os_name = re.search(r'PRETTY_NAME="?([^"\n]+)', os_release)
    lock = (REPO_ROOT / "Cargo.lock").read_text()
    tract = re.search(r'name = "tract-onnx"\nversion = "([^"]+)"', lock)
    import numpy
    import onnxruntime
    import PIL

    torch_version = "not measured"
    if torch_python:
        torch_version = command_output(
            [torch_python, "-c", "import torch; print(torch.__version__)"]
        )
    flags = re.search(r"Flags:\s*(.+)", lscpu)
    simd = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni") if flags and f in flags.group(1).split()]
    return [
        f"- CPU: {model.group(1) if model else 'unknown'}, "
        f"{command_output(['nproc'])} cores visible ({', '.join(simd)})",
        f"- Memory: {total_kib / 1024 / 1024:.0f} GiB",
        f"- OS: {os_name.group(1) if os_name else 'unknown'}, kernel {platform.release()}",
        f"- Rust: {command_output(['rustc', '--version'])}, tract-onnx {tract.group(1) if tract else '?'}, "
        "release profile of Cargo.toml",
        f"- Python {platform.python_version()}: onnxruntime {onnxruntime.__version__}, "
        f"Pillow {PIL.__version__}, NumPy {numpy.__version__}, PyTorch {torch_version}",
    ]


def floor_checks(results, engine: str) -> list[tuple[str, str, bool] | None]:
    """Check the three floors for one of Petal's engines ("petal" or
    "petal-ort"): (measured, met) per floor, or None where a measure is
    missing."""

    def med(label):
        record = results.get(label)
        return median(record) if record else None

    checks = []
    petal, plain, draft = (
        med(f"photo large {engine}"),
        med("photo large plain-1"),
        med("photo large draft-1"),
    )
    if petal and plain and draft:
        met = petal <= 0.5 * plain and petal <= draft
        checks.append((f"{ratio(petal, plain)} plain, {ratio(petal, draft)} careful", met))
    else:
        checks.append(None)
    folder, base = results.get(f"folder {engine}"), results.get("folder plain-2")
    if folder and base:
        speedup = median(base) / median(folder) * folder["photos"] / base["photos"]
        checks.append((f"{speedup:.2f}×", speedup >= 1.2))
    else:
        checks.append(None)
    raw, ort = med(f"raw {engine}"), med("raw ort-1")
    checks.append((ratio(raw, ort), raw <= 1.5 * ort) if raw and ort else None)
    return checks


def floors(results, skipped: dict) -> list[str]:
    targets = [
        ("12 MP JPEG end to end", "≤ 0.5× plain, ≤ 1× careful"),
        ("folder throughput, 2 cores", "≥ 1.2× plain, 2 threads"),
        ("raw inference", "≤ 1.5× onnxruntime, 1 thread"),
    ]
    lines = [
        "| floor | target | Petal (tract) | met | Petal, onnxruntime engine | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    tract, ort = floor_checks(results, "petal"), floor_checks(results, "petal-ort")
    for (name, target), a, b in zip(targets, tract, ort):
        cells = []
        for check in (a, b):
            if check is None:
                cells += ["not measured", ""]
            else:
                cells += [check[0], "yes" if check[1] else "no"]
        lines.append(f"| {name} | {target} | {' | '.join(cells)} |")
    if "petal-ort" in skipped:
        lines += [
            "",
            "The onnxruntime engine was not measured because its library did not load: "
            f"{skipped['petal-ort']}",
        ]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--small", type=Path, required=True)
    parser.add_argument("--large", type=Path, required=True)
    parser.add_argument("--petal", required=True)
    parser.add_argument("--torch-python", default="")
    parser.add_argument("--torch-weights", choices=["trained", "untrained"], default="trained")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    results = read_results(args.results)
    records = [json.loads(line) for line in args.results.read_text().splitlines()]
    busy = [r for r in records if r.get("note") == "busy"]
    skipped = {r["skipped"]: r["why"] for r in records if "skipped" in r}

    small_size = "x".join(map(str, Image.open(args.small).size))
    large_bytes = args.large.stat().st_size / 1e6
    photo_keys = ["petal", "petal-full-decode", "petal-ort", "plain-1", "draft-1", "plain-2", "draft-2", "torch-1"]
    out = [
        "# Benchmarks",
        "",
        "Petal against the pipelines a user would otherwise write, on the same photos",
        "and the same bundled model (`models/petal-flowers102-lite0.onnx`). Generated by",
        "`bash tools/bench/run.sh` on "
        f"{datetime.date.today().isoformat()}; rerun it to refresh every number below.",
        "",
        "## Machine",
        "",
        *machine(args.torch_python),
        "",
        "## Method",
        "",
        "- Each measure runs in a fresh process, pinned with `taskset`: one core",
        "  (CPU 0) for the single-photo and raw-inference measures with 1 thread,",
        "  both cores for the 2-thread and folder measures. onnxruntime gets",
        "  `intra_op_num_threads` 1 or 2 and sequential execution; PyTorch gets",
        "  `torch.set_num_threads`. Petal runs one photo on one thread, and a folder",
        "  on 2 worker threads, each decoding and running the model for its photo.",
        "- Petal is timed with each engine: tract, built in (the rows named plain",
        "  \"Petal\"), and ONNX Runtime through the `ort` crate (`--engine onnxruntime`),",
        "  which loads the library of the same onnxruntime package the Python rows use,",
        "  with one intra-op thread per photo and all graph optimisations.",
        "- Before each group of measures the script waits until the one-minute load",
        "  average is below 0.6."
        + (f" It gave up waiting {len(busy)} times (load {', '.join(b['loadavg'] for b in busy)}),"
           " so those numbers may be slow." if busy else ""),
        "- Per-photo measures do one untimed warm-up run, then the timed runs. The",
        "  tables show the median, the fastest and slowest run, and the ratio of",
        "  medians to the Python pipeline named in the header.",
        f"- Photos: the dataset photo `{args.small.name}` ({small_size}), and a phone-sized",
        f"  JPEG made from it: 4000x3000, quality 90, {large_bytes:.1f} MB",
        "  (`tools/bench/make_photo.py`, written to a temporary folder). The folder is",
        f"  the validation split, {results.get('folder petal', {}).get('photos', '?')} photos.",
        "- End to end is open, decode, EXIF orientation, resize, crop, normalise,",
        "  inference, softmax and top 5. The plain Python pipeline is the training",
        "  tool's evaluation transform (`tools/train/common.py`); the careful one adds",
        "  `Image.draft(\"RGB\", (256, 256))`, so libjpeg decodes large JPEGs at a reduced",
        "  DCT scale. PyTorch rows run the training tool's own model, eagerly under",
        "  `torch.inference_mode()`, " + torch_weights_note(args.torch_weights),
        "- Model load is from nothing to a model that can predict: for Petal, parsing,",
        "  optimising and test-running the compiled-in ONNX file; for onnxruntime,",
        "  creating the session; for PyTorch, building the model and loading its",
        "  weights. Python's import time is not counted.",
        "- Peak memory is the process's `VmHWM` after the folder runs.",
        "- App start is measured under Xvfb (`tools/bench/app_start.py`): from just",
        "  before `petal` is executed to the end of the layout of its first frame, and",
        "  of its first frame with the bundled model loaded (the app prints these times",
        "  when `PETAL_BENCH_FIRST_FRAME` is set). Rendering is Mesa's software OpenGL.",
        "",
        "## Results",
        "",
        "### Floors",
        "",
        *floors(results, skipped),
        "",
        "### Model load",
        "",
        *time_table(results, ["load petal", "load petal-ort", "load ort", "load torch"], "load ort",
                    "onnxruntime"),
        "",
        f"### One dataset photo end to end ({small_size})",
        "",
        *time_table(results, [f"photo small {k}" for k in photo_keys], "photo small plain-1",
                    "plain, 1 thread"),
        "",
        "### One 12-megapixel JPEG end to end (4000x3000)",
        "",
        *time_table(results, [f"photo large {k}" for k in photo_keys], "photo large plain-1",
                    "plain, 1 thread"),
        "",
        "### Raw inference of one preprocessed tensor",
        "",
        *time_table(results, ["raw petal", "raw petal-ort", "raw ort-1", "raw ort-2", "raw torch-1"],
                    "raw ort-1",
                    "onnxruntime, 1 thread"),
        "",
        "### Validation folder on 2 cores",
        "",
        *folder_table(results),
        "",
    ]
    app = results.get("app petal")
    if app:
        load = results.get("load petal")
        first = statistics.median(app["first_frame_ms"])
        ready = median(app)
        out += [
            "### App start to first frame",
            "",
            "| moment | median ms | runs | ratio to Petal's model load |",
            "| --- | ---: | ---: | ---: |",
            f"| first frame | {first:.0f} | {len(app['first_frame_ms'])} "
            f"| {ratio(first, median(load)) if load else 'n/a'} |",
            f"| first frame with the model ready | {ready:.0f} | {len(app['samples_ms'])} "
            f"| {ratio(ready, median(load)) if load else 'n/a'} |",
            "",
        ]
    accuracy = results.get("accuracy 12mp")
    if accuracy:
        out += [
            "### Accuracy of reduced-scale decoding",
            "",
            f"Top-1 on {accuracy['photos']} 12-megapixel versions of validation photos (the first",
            "of each class, made as above), as Petal decodes them by default and with",
            "`--full-decode` (`tools/bench/dct_accuracy.py`):",
            "",
            "| decoding | top-1 |",
            "| --- | ---: |",
            f"| reduced DCT scale (default) | {accuracy['reduced_top1'] * 100:.1f}% |",
            f"| full scale | {accuracy['full_top1'] * 100:.1f}% |",
            "",
            f"{accuracy['changed']} of {accuracy['photos']} photos got a different top-1 answer.",
            "",
        ]
    findings = REPO_ROOT / "tools" / "bench" / "findings.md"
    if findings.exists():
        out += [findings.read_text().rstrip(), ""]
    args.out.write_text("\n".join(out))


if __name__ == "__main__":
    main()
