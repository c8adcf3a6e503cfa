#!/usr/bin/env bash
# Runs every test. Installs what a fresh machine of this kind lacks first.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
    echo "test.sh: the .NET SDK (dotnet) is required and is not on PATH" >&2
    exit 1
fi

# Debian packages the tests read: Fashion-MNIST (the IDX reader's real-data test), Chromium (the
# Playground's browser tests), Open MPI (mpirun -np 2 for distributed training), ONNX's own test data (the ONNX
# reader and conformance tests), python3-onnx (ONNX's checker on exported files) and Pillow (an independent decoder
# of the PNG files Neurite writes). Installed once, as root, when missing.
missing=()
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/mpirun ] || missing+=(openmpi-bin)
[ -d /usr/share/libonnx-testdata/data ] || missing+=(libonnx-testdata)
[ -d /usr/lib/python3/dist-packages/onnx ] || missing+=(python3-onnx)
/usr/bin/python3 -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

dotnet build Neurite.slnx -c Release -warnaserror --nologo -v quiet
log=$(mktemp)
set +e
dotnet test Neurite.slnx -c Release --no-build --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line that any CI reader understands.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed"
exit "$status"
