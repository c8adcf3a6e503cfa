"""Prints which BLAS and kernels PyTorch and numpy really run on, and refuses a reference BLAS.

Run by bench/run.sh before any comparison. Exit status 3 when a reference (netlib) BLAS is loaded: ratios against it
would flatter Neurite by a factor of 20 or more (Debian's python3-torch pulls in libblas3 unless libopenblas0-pthread
is installed).
"""
import os
import sys

import numpy as np
import torch

# Run one product on each side so that every lazily loaded BLAS library is mapped.
a = np.ones((64, 64), dtype=np.float32)
a @ a
t = torch.ones(64, 64)
t @ t


def loaded_blas_libraries():
    """The BLAS-like shared objects mapped into this process, with symlinks resolved."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if any(key in name for key in ("blas", "lapack", "mkl", "dnnl")):
                found.add(os.path.realpath(path))
    return sorted(found)


libraries = loaded_blas_libraries()
config = torch.__config__.show()
print(f"torch {torch.__version__}, numpy {np.__version__}, torch threads {torch.get_num_threads()}")
for line in config.splitlines():
    line = line.strip()
    if "CPU capability" in line or "oneDNN" in line or "MKL-DNN" in line:
        print(f"  torch: {line.lstrip('- ')}")
    elif line.startswith("- Build settings"):
        settings = dict(item.split("=", 1) for item in line.split(": ", 1)[1].split(", ") if "=" in item)
        print("  torch build: " + ", ".join(f"{key}={settings.get(key, '?')}" for key in ("BLAS_INFO", "LAPACK_INFO", "USE_MKLDNN", "USE_OPENMP")))
for library in libraries:
    print(f"  loaded: {library}")

# Debian's reference BLAS lives under .../blas/ (libblas.so.3 from the libblas3 package); OpenBLAS under .../openblas*/.
reference = [lib for lib in libraries if "/blas/" in lib and "openblas" not in lib]
if reference or not any("openblas" in lib for lib in libraries):
    print(
        "bench: PyTorch/numpy run on the reference BLAS "
        f"({', '.join(reference) or 'no OpenBLAS loaded'}); install libopenblas0-pthread "
        "(bench/run.sh does so as root) — refusing to print ratios against it.",
        file=sys.stderr,
    )
    sys.exit(3)
