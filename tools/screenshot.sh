#!/usr/bin/env bash
# Regenerates docs/screenshot.png: the real Petal window, under a virtual
# X server, with validation photos classified by the bundled model.
#
#   bash tools/screenshot.sh            # writes docs/screenshot.png
#   bash tools/screenshot.sh out.png    # writes elsewhere
#
# Needs Xvfb and Mesa's OpenGL; the script installs them on Debian when
# they are missing. PETAL_DATASET points at the Oxford 102 folder.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/docs/screenshot.png}"
dataset="$(realpath "${PETAL_DATASET:-$root/../shared/datasets/oxford102}")"

if ! command -v xvfb-run >/dev/null; then
    echo "installing Xvfb and Mesa (needs root)" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        xvfb xauth libgl1 libegl1 libgl1-mesa-dri
fi

# The first validation photo of a spread of species, plus one whole class.
photos=("$dataset/valid/1")
for class in 2 3 5 11 17 23 46 51 73 77; do
    first="$(find "$dataset/valid/$class" -type f | sort | head -n 1)"
    photos+=("$first")
done

cd "$root"
cargo build --release --locked
mkdir -p "$(dirname "$out")"
# Software rendering keeps the picture the same on every machine.
LIBGL_ALWAYS_SOFTWARE=1 xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
    ./target/release/petal --screenshot "$out" "${photos[@]}"
echo "wrote $out"
