#!/usr/bin/python3
"""Writes pca.json: principal component analysis computed by numpy, for Neurite's Pca.

Run by hand with Debian's numpy (python3-numpy), from the repository root:

    /usr/bin/python3 tests/reference/gen_pca.py

Each case holds samples x [N, D] (correlated: standard normals times a random mixing matrix, plus an offset) and, in
float64 from numpy.linalg.eigh of the covariance (N - 1 denominator, as scikit-learn's PCA): the mean, the leading k
axes as rows (each axis's sign fixed so that its largest-magnitude coordinate is positive), the explained variance and
its ratio, and the transform of the samples. D = 8 takes Neurite's direct path, D = 70 its subspace iteration.
"""

import numpy as np

from gen_reference import number, write

SEED = 20241201


def t(x):
    """An array as JSON: its shape and its values as float32, row-major."""
    x = np.asarray(x, dtype=np.float32)
    return {"shape": list(x.shape), "data": [number(v) for v in x.reshape(-1).tolist()]}


def pca_case(name, rng, n, d, k):
    mixing = rng.standard_normal((d, d)) * np.linspace(2.0, 0.2, d)[:, None]
    x = (rng.standard_normal((n, d)) @ mixing + rng.standard_normal(d) * 3).astype(np.float32)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=0)
    centred = x64 - mean
    covariance = centred.T @ centred / (n - 1)
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:k]
    axes = vectors[:, order].T
    for row in axes:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    return {
        "name": name,
        "components": k,
        "x": t(x),
        "mean": t(mean),
        "axes": t(axes),
        "explained_variance": values[order].tolist(),
        "explained_variance_ratio": (values[order] / np.trace(covariance)).tolist(),
        "transform": t(centred @ axes.T),
    }


def main():
    rng = np.random.default_rng(SEED)
    write("pca.json", {
        "numpy_version": np.__version__,
        "seed": SEED,
        "cases": [pca_case("direct_d8_k3", rng, 100, 8, 3), pca_case("subspace_d70_k2", rng, 90, 70, 2)],
    })


if __name__ == "__main__":
    main()
