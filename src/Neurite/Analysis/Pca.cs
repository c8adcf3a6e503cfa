using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Analysis;

/// <summary>
/// Principal component analysis: the directions of greatest variance of a set of samples, found from their covariance
/// matrix, which one GEMM computes. As scikit-learn's PCA: the axes are the unit eigenvectors of the covariance
/// (÷ N − 1) with the largest eigenvalues, the explained variance is those eigenvalues, and a transform centres the
/// samples and projects them onto the axes. Each axis's sign is fixed so that its largest-magnitude coordinate is
/// positive (an eigenvector's sign is arbitrary).
/// </summary>
/// <remarks>
/// Up to <see cref="DirectLimit"/> features the covariance is diagonalized whole (cyclic Jacobi rotations). Above it, the
/// leading axes come from subspace iteration on the covariance (Golub &amp; Van Loan, §8.2.4): a block of
/// k + 10 orthonormal vectors is multiplied by the covariance (a GEMM) and re-orthonormalized until the Rayleigh–Ritz
/// eigenvalues of the block settle, and the block's own small eigenproblem is then solved by Jacobi rotations.
/// </remarks>
public sealed class Pca
{
    /// <summary>The most features whose covariance is diagonalized whole; larger ones use subspace iteration.</summary>
    public const int DirectLimit = 64;

    private Pca(Tensor mean, Tensor components, double[] variance, double totalVariance)
    {
        Mean = mean;
        Components = components;
        ExplainedVariance = variance;
        ExplainedVarianceRatio = [.. variance.Select(v => totalVariance > 0 ? v / totalVariance : 0)];
    }

    /// <summary>The mean of each feature over the fitted samples, [D].</summary>
    public Tensor Mean { get; }

    /// <summary>The principal axes, one unit vector per row, by decreasing variance: [k, D] (scikit-learn's components_).</summary>
    public Tensor Components { get; }

    /// <summary>The variance of the samples along each axis (the covariance's eigenvalues, with the N − 1 denominator).</summary>
    public IReadOnlyList<double> ExplainedVariance { get; }

    /// <summary>Each axis's share of the total variance (the sum of all features' variances).</summary>
    public IReadOnlyList<double> ExplainedVarianceRatio { get; }

    /// <summary>Fits <paramref name="components"/> axes to the samples <paramref name="x"/> [N, D] (N ≥ 2).</summary>
    /// <exception cref="ArgumentException">x is not [N, D] with N ≥ 2, or components is not in 1 … D.</exception>
    public static Pca Fit(Tensor x, int components)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2 || x.Shape[0] < 2)
        {
            throw new ArgumentException($"Pca.Fit: expected samples [N, D] with N ≥ 2, got {Shapes.Format(x.Shape)}.", nameof(x));
        }
        int n = x.Shape[0], d = x.Shape[1];
        if (components < 1 || components > d)
        {
            throw new ArgumentException($"Pca.Fit: components must be 1 … {d} (the features), got {components}.", nameof(components));
        }
        using var _ = Graph.NoGrad();
        var mean = ColumnMeans(x);
        var centred = Ops.Sub(x, mean);
        var covariance = Ops.Mul(Ops.MatMul(centred, centred, transposeA: true), 1f / (n - 1)); // Xcᵀ·Xc / (N − 1), [D, D]
        var c = covariance.Data;
        double total = 0;
        for (int i = 0; i < d; i++)
        {
            total += c[i * d + i];
        }
        var (values, axes) = d <= DirectLimit ? Direct(covariance, d) : Subspace(covariance, d, components);
        var rows = new float[components * d];
        for (int k = 0; k < components; k++)
        {
            var axis = axes[k];
            int largest = 0;
            for (int j = 1; j < d; j++)
            {
                if (Math.Abs(axis[j]) > Math.Abs(axis[largest]))
                {
                    largest = j;
                }
            }
            double sign = axis[largest] < 0 ? -1 : 1;
            for (int j = 0; j < d; j++)
            {
                rows[k * d + j] = (float)(sign * axis[j]);
            }
        }
        return new Pca(mean, Tensor.From(rows, [components, d]), values[..components], total);
    }

    /// <summary>The samples [N, D] centred and projected onto the axes: [N, k].</summary>
    /// <exception cref="ArgumentException">x is not [N, D] with the fitted D.</exception>
    public Tensor Transform(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2 || x.Shape[1] != Mean.Shape[0])
        {
            throw new ArgumentException($"Pca.Transform: expected samples [N, {Mean.Shape[0]}], got {Shapes.Format(x.Shape)}.", nameof(x));
        }
        using var _ = Graph.NoGrad();
        return Ops.MatMul(Ops.Sub(x, Mean), Components, transposeB: true);
    }

    private static Tensor ColumnMeans(Tensor x)
    {
        int n = x.Shape[0], d = x.Shape[1];
        var sums = new double[d];
        var data = x.Data;
        for (int i = 0; i < n; i++)
        {
            var row = data.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                sums[j] += row[j];
            }
        }
        return Tensor.From([.. sums.Select(s => (float)(s / n))], [d]);
    }

    /// <summary>Every eigenpair of the covariance, by decreasing eigenvalue.</summary>
    private static (double[] Values, double[][] Axes) Direct(Tensor covariance, int d)
    {
        var a = new double[d, d];
        var c = covariance.Data;
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                a[i, j] = 0.5 * (c[i * d + j] + c[j * d + i]);
            }
        }
        var (values, vectors) = SymmetricEigen.Decompose(a);
        return (values, [.. Enumerable.Range(0, d).Select(k => Enumerable.Range(0, d).Select(j => vectors[j, k]).ToArray())]);
    }

    /// <summary>The leading eigenpairs of a large covariance by subspace iteration with Rayleigh–Ritz (see the remarks).</summary>
    private static (double[] Values, double[][] Axes) Subspace(Tensor covariance, int d, int components)
    {
        int q = Math.Min(d, components + 10);
        var block = new float[q * d];
        new Generator(0x5EED).FillNormal(block, 0, 1);
        Orthonormalize(block, q, d);
        double[] previous = new double[components];
        double[] values = [];
        double[,] small = new double[q, q];
        for (int iteration = 1; ; iteration++)
        {
            var basis = Tensor.From(block, [q, d]);
            var product = Ops.MatMul(basis, covariance); // [q, D]: each basis vector times C (C is symmetric)
            if (iteration % 10 == 0)
            {
                // Rayleigh–Ritz: the q × q matrix Q·C·Qᵀ, whose eigenvalues approach C's leading ones.
                var projected = Ops.MatMul(product, basis, transposeB: true).Data;
                for (int i = 0; i < q; i++)
                {
                    for (int j = 0; j < q; j++)
                    {
                        small[i, j] = 0.5 * (projected[i * q + j] + projected[j * q + i]);
                    }
                }
                double[,] vectors;
                (values, vectors) = SymmetricEigen.Decompose(small);
                bool settled = true;
                for (int k = 0; k < components; k++)
                {
                    settled &= Math.Abs(values[k] - previous[k]) <= 1e-9 * Math.Abs(values[0]);
                    previous[k] = values[k];
                }
                if (settled || iteration >= 2000)
                {
                    var axes = new double[components][];
                    for (int k = 0; k < components; k++)
                    {
                        axes[k] = new double[d];
                        for (int i = 0; i < q; i++)
                        {
                            for (int j = 0; j < d; j++)
                            {
                                axes[k][j] += vectors[i, k] * block[i * d + j];
                            }
                        }
                        double norm = Math.Sqrt(axes[k].Sum(v => v * v));
                        for (int j = 0; j < d; j++)
                        {
                            axes[k][j] /= norm;
                        }
                    }
                    return (values, axes);
                }
            }
            product.Data.CopyTo(block);
            Orthonormalize(block, q, d);
        }
    }

    /// <summary>Modified Gram–Schmidt on the rows of a [rows, d] block, in double precision.</summary>
    private static void Orthonormalize(float[] block, int rows, int d)
    {
        var v = new double[rows][];
        for (int i = 0; i < rows; i++)
        {
            v[i] = new double[d];
            for (int j = 0; j < d; j++)
            {
                v[i][j] = block[i * d + j];
            }
            for (int k = 0; k < i; k++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++)
                {
                    dot += v[i][j] * v[k][j];
                }
                for (int j = 0; j < d; j++)
                {
                    v[i][j] -= dot * v[k][j];
                }
            }
            double norm = Math.Sqrt(v[i].Sum(x => x * x));
            for (int j = 0; j < d; j++)
            {
                v[i][j] /= norm;
                block[i * d + j] = (float)v[i][j];
            }
        }
    }
}

/// <summary>The eigenvalues and eigenvectors of a real symmetric matrix by cyclic Jacobi rotations (Golub &amp; Van Loan, §8.5).</summary>
internal static class SymmetricEigen
{
    /// <summary>The eigenvalues by decreasing value, and the unit eigenvectors as the columns of a matrix, in the same order.</summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            v[i, i] = 1;
        }
        double scale = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                scale += a[i, j] * a[i, j];
            }
        }
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    off += a[p, q] * a[p, q];
                }
            }
            if (off <= 1e-30 * scale)
            {
                break;
            }
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    if (a[p, q] == 0)
                    {
                        continue;
                    }
                    // The rotation J(p, q, φ) with A' = Jᵀ·A·J and A'[p, q] = 0: cot 2φ = θ, t = tan φ the smaller root of t² + 2θt − 1 = 0.
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        (a[k, p], a[k, q]) = (c * a[k, p] - s * a[k, q], s * a[k, p] + c * a[k, q]);
                    }
                    for (int k = 0; k < n; k++)
                    {
                        (a[p, k], a[q, k]) = (c * a[p, k] - s * a[q, k], s * a[p, k] + c * a[q, k]);
                    }
                    for (int k = 0; k < n; k++)
                    {
                        (v[k, p], v[k, q]) = (c * v[k, p] - s * v[k, q], s * v[k, p] + c * v[k, q]);
                    }
                }
            }
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => a[i, i]).ToArray();
        var values = order.Select(i => a[i, i]).ToArray();
        var vectors = new double[n, n];
        for (int k = 0; k < n; k++)
        {
            for (int j = 0; j < n; j++)
            {
                vectors[j, k] = v[j, order[k]];
            }
        }
        return (values, vectors);
    }
}
