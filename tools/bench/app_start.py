"""Time Petal's window from process start to its first frames under Xvfb.

Usage: python app_start.py [--repeats N] PETAL_BINARY

Each run starts `xvfb-run PETAL_BINARY` with PETAL_BENCH_FIRST_FRAME set, so
the app prints the Unix time of its first frame and of its first frame with
the bundled model loaded, then closes. The start time is taken just before
the app's process is started, after Xvfb is up (xvfb-run starts Xvfb first,
which is not counted: a user's display is already running).
"""

import argparse
import json
import os
import subprocess
import tempfile
import time


def one_run(petal: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as home:
        # A fresh HOME so no saved window state from a user run is read.
        env = dict(os.environ, PETAL_BENCH_FIRST_FRAME="1", HOME=home)
        # The wrapper takes the start time inside the Xvfb session, just
        # before it executes Petal.
        wrapper = 'echo start_unix_us "$(date +%s%6N)"; exec "$0"'
        output = subprocess.run(
            ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "sh", "-c", wrapper, petal],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    stamps = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].endswith("_unix_us"):
            stamps.setdefault(parts[0], int(parts[1]))
    start = stamps["start_unix_us"]
    first = (stamps["first_frame_unix_us"] - start) / 1000.0
    ready = (stamps["model_ready_frame_unix_us"] - start) / 1000.0
    return first, ready


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("petal")
    args = parser.parse_args()
    first, ready = [], []
    for _ in range(args.repeats):
        a, b = one_run(args.petal)
        first.append(a)
        ready.append(b)
        time.sleep(0.5)
    print(json.dumps({
        "engine": "petal-app",
        "measure": "app",
        "samples_ms": ready,
        "first_frame_ms": first,
        "photos": 0,
    }))


if __name__ == "__main__":
    main()
