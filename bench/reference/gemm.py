"""numpy (OpenBLAS) SGEMM timings, the reference for `bench/run.sh gemm`.

Reads a JSON list of cases {"m", "n", "k", "variant": "NN"|"NT"|"TN", "reps", "min_seconds"} from argv[1] and
prints JSON {"numpy", "blas", "results": [{"m", "n", "k", "variant", "gflops": [one per repetition]}]}. The caller sets
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before this process starts: OpenBLAS reads them when numpy loads it.
"""
import json
import sys
import time

import numpy as np


def blas_library():
    """The BLAS shared library numpy has loaded, from this process's memory map."""
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(names)) or "unknown"


def run_case(m, n, k, variant, reps, min_seconds):
    rng = np.random.default_rng(42)
    a = rng.uniform(-1, 1, (k, m) if variant == "TN" else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if variant == "NT" else (k, n)).astype(np.float32)
    c = np.empty((m, n), dtype=np.float32)
    # Transposed views: numpy hands them to sgemm with a trans flag, without copying.
    x = a.T if variant == "TN" else a
    y = b.T if variant == "NT" else b
    flops = 2.0 * m * n * k

    # Warm-up, then size the inner loop so one repetition lasts about min_seconds.
    iterations = 1
    while True:
        start = time.perf_counter()
        for _ in range(iterations):
            np.matmul(x, y, out=c)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
        iterations *= 2

    gflops = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(iterations):
            np.matmul(x, y, out=c)
        gflops.append(flops * iterations / (time.perf_counter() - start) / 1e9)
    return gflops


def main():
    cases = json.loads(sys.argv[1])
    results = [dict(m=case["m"], n=case["n"], k=case["k"], variant=case["variant"],
                    gflops=run_case(case["m"], case["n"], case["k"], case["variant"], case["reps"], case["min_seconds"]))
               for case in cases]
    print(json.dumps({"numpy": np.__version__, "blas": blas_library(), "results": results}))


if __name__ == "__main__":
    main()
