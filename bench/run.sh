#!/usr/bin/env bash
# Runs one benchmark command in a Release build: `bench/run.sh all` (everything in BENCHMARKS.md), `bench/run.sh mlp`,
# `bench/run.sh models` (the CNN and sequence workloads), `bench/run.sh onnxruntime` (inference against ONNX Runtime),
# `bench/run.sh process` (`neurite train` as a whole process against a PyTorch script),
# `bench/run.sh gemm [--sizes 512,1024] [--threads 1,2] ...`,
# `bench/run.sh callgrind` (instructions per MLP step, inference and 64³ SGEMM, counted by valgrind: load-independent),
# `bench/run.sh mpi [--quick]` (data-parallel training under mpirun -np 2; not part of `all`; needs Open MPI).
# Comparisons need PyTorch and numpy on OpenBLAS: as root, this installs what is missing (libopenblas0-pthread
# explicitly: without it Debian's python3-torch runs on the reference BLAS; and Fashion-MNIST, which the MLP and
# whole-process workloads train on), then prints which BLAS and kernels they use and refuses to run against a
# reference BLAS.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs the Debian packages given that are missing (as root; otherwise says what to install and exits).
# $1 names the command for the message, $2 what to suggest besides installing ("" for nothing).
install_missing() {
    local command=$1 alternative=$2
    shift 2
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "bench: $command needs ${missing[*]}; install them (apt-get install -y ${missing[*]})${alternative}" >&2
        exit 1
    fi
    echo "bench: installing ${missing[*]}…" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
}

case "${1:-}" in
all | callgrind) install_missing "$1" "" valgrind ;;
mpi) install_missing mpi "" openmpi-bin dataset-fashion-mnist ;;
esac

case "${1:-}" in
all | mlp | gemm | models | process)
    if [[ " $* " != *" --no-reference "* ]]; then
        install_missing "$1" " or pass --no-reference" python3-torch python3-numpy libopenblas0-pthread dataset-fashion-mnist
        env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/reference/blas_check.py
        echo
    fi
    ;;
esac

exec dotnet run -c Release --project bench/Neurite.Bench -- "$@"
