"""Run a command until this script's standard input closes, then stop it.

Usage: supervise.py [--remove FOLDER] COMMAND [ARGS...]

The test harness keeps the write end of the pipe open for as long as the
test process lives, so the server it starts cannot outlive the tests, even
when they are killed. The command runs in its own process group, which is
stopped whole, because `mlflow server` runs its workers as child processes.
With --remove, FOLDER (the server's database and artifacts) is deleted once
the command has stopped.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading

GRACE_SECONDS = 5


def main() -> None:
    args = sys.argv[1:]
    remove = None
    if args[:1] == ["--remove"]:
        remove, args = args[1], args[2:]
    child = subprocess.Popen(args, start_new_session=True)
    closed = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.buffer.read()
        closed.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    while child.poll() is None and not closed.wait(0.2):
        pass
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    status = child.wait()
    if remove:
        shutil.rmtree(remove, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
