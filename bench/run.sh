#!/usr/bin/env bash
# Runs one benchmark command in a Release build: `bench/run.sh all` (everything in BENCHMARKS.md), `bench/run.sh mlp`,
# `bench/run.sh gemm [--sizes 512,1024] [--threads 1,2] ...`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project bench/Neurite.Bench -- "$@"
