using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>Whether Kaiming initialization preserves the variance of the forward or the backward pass.</summary>
public enum FanMode
{
    /// <summary>Preserve the variance of activations in the forward pass (the default).</summary>
    FanIn,

    /// <summary>Preserve the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>
/// Weight initializers with torch.nn.init's definitions. Each fills a tensor in place (as the
/// trailing-underscore functions of torch.nn.init) and returns it; the random ones draw from the
/// given generator, or <see cref="Generator.Default"/>.
/// </summary>
/// <remarks>
/// Fans of a weight [out, in, k…]: fan_in = in·Πk, fan_out = out·Πk. As in PyTorch, the
/// fan-based initializers refuse tensors of fewer than 2 axes.
/// </remarks>
public static class Init
{
    /// <summary>
    /// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear,
    /// identity and sigmoid; 5/3 for tanh; √2 for ReLU; √(2 / (1 + slope²)) for leaky ReLU (slope
    /// 0.01 unless given); 3/4 for SELU.
    /// </summary>
    public static float CalculateGain(string nonlinearity, float? parameter = null) => nonlinearity switch
    {
        "linear" or "identity" or "sigmoid" or "conv1d" or "conv2d" or "conv3d" => 1f,
        "tanh" => 5f / 3f,
        "relu" => MathF.Sqrt(2f),
        "leaky_relu" => MathF.Sqrt(2f / (1f + MathF.Pow(parameter ?? 0.01f, 2))),
        "selu" => 3f / 4f,
        _ => throw new ArgumentException($"CalculateGain: unsupported nonlinearity '{nonlinearity}'.", nameof(nonlinearity)),
    };

    /// <summary>(fan_in, fan_out) of a weight tensor of rank ≥ 2.</summary>
    public static (int FanIn, int FanOut) Fans(Tensor weight)
    {
        if (weight.Rank < 2)
        {
            throw new ArgumentException($"Init: fan in and fan out need a tensor of at least 2 axes; got {Shapes.Format(weight.Shape)}.");
        }
        int receptive = 1;
        for (int axis = 2; axis < weight.Rank; axis++)
        {
            receptive *= weight.Shape[axis];
        }
        return (weight.Shape[1] * receptive, weight.Shape[0] * receptive);
    }

    /// <summary>Fills with <paramref name="value"/>.</summary>
    public static Tensor Constant(Tensor tensor, float value)
    {
        tensor.Data.Fill(value);
        return tensor;
    }

    /// <summary>Fills with 0.</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0f);

    /// <summary>Fills with 1.</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1f);

    /// <summary>Fills with U(low, high).</summary>
    public static Tensor Uniform(Tensor tensor, float low = 0f, float high = 1f, Generator? rng = null)
    {
        (rng ?? Generator.Default).FillUniform(tensor.Data, low, high);
        return tensor;
    }

    /// <summary>Fills with N(mean, std²).</summary>
    public static Tensor Normal(Tensor tensor, float mean = 0f, float std = 1f, Generator? rng = null)
    {
        (rng ?? Generator.Default).FillNormal(tensor.Data, mean, std);
        return tensor;
    }

    /// <summary>Xavier/Glorot uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010).</summary>
    public static Tensor XavierUniform(Tensor tensor, float gain = 1f, Generator? rng = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        float bound = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        return Uniform(tensor, -bound, bound, rng);
    }

    /// <summary>Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Tensor tensor, float gain = 1f, Generator? rng = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return Normal(tensor, 0f, gain * MathF.Sqrt(2f / (fanIn + fanOut)), rng);
    }

    /// <summary>
    /// He/Kaiming uniform: U(−b, b) with b = gain·√(3 / fan), gain = CalculateGain(nonlinearity, a)
    /// (He et al., 2015). Defaults as torch: a = 0, fan_in, leaky_relu.
    /// </summary>
    public static Tensor KaimingUniform(Tensor tensor, float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? rng = null)
    {
        float bound = CalculateGain(nonlinearity, a) * MathF.Sqrt(3f / Fan(tensor, mode));
        return Uniform(tensor, -bound, bound, rng);
    }

    /// <summary>He/Kaiming normal: N(0, σ²) with σ = gain / √fan.</summary>
    public static Tensor KaimingNormal(Tensor tensor, float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? rng = null) =>
        Normal(tensor, 0f, CalculateGain(nonlinearity, a) / MathF.Sqrt(Fan(tensor, mode)), rng);

    /// <summary>LeCun normal: N(0, 1 / fan_in) (LeCun et al., 1998), i.e. Kaiming normal with gain 1.</summary>
    public static Tensor LecunNormal(Tensor tensor, Generator? rng = null) =>
        Normal(tensor, 0f, 1f / MathF.Sqrt(Fans(tensor).FanIn), rng);

    private static int Fan(Tensor tensor, FanMode mode)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return mode == FanMode.FanIn ? fanIn : fanOut;
    }

    /// <summary>
    /// A (semi-)orthogonal matrix times <paramref name="gain"/> (Saxe et al., 2013), as
    /// torch.nn.init.orthogonal_: the tensor viewed as [rows, Π other axes] gets orthonormal rows
    /// or columns, whichever are fewer, from the QR decomposition of a normal matrix with the signs
    /// of R's diagonal folded into Q so that the result is uniformly distributed.
    /// </summary>
    public static Tensor Orthogonal(Tensor tensor, float gain = 1f, Generator? rng = null)
    {
        if (tensor.Rank < 2)
        {
            throw new ArgumentException($"Orthogonal: needs a tensor of at least 2 axes; got {Shapes.Format(tensor.Shape)}.");
        }
        rng ??= Generator.Default;
        int rows = tensor.Shape[0], cols = tensor.Count / Math.Max(rows, 1);
        // Work on a tall matrix [m, n], m ≥ n, stored column by column; transpose back if needed.
        bool transposed = rows < cols;
        int m = Math.Max(rows, cols), n = Math.Min(rows, cols);
        var q = new double[n][];
        for (int j = 0; j < n; j++)
        {
            q[j] = new double[m];
            for (int i = 0; i < m; i++)
            {
                q[j][i] = rng.NextNormal();
            }
        }
        // Modified Gram–Schmidt, which is Q of QR; R's diagonal is the norm before normalizing and
        // is positive here, so the sign correction of torch is already applied.
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < m; i++)
                {
                    dot += q[k][i] * q[j][i];
                }
                for (int i = 0; i < m; i++)
                {
                    q[j][i] -= dot * q[k][i];
                }
            }
            double norm = Math.Sqrt(q[j].Sum(v => v * v));
            for (int i = 0; i < m; i++)
            {
                q[j][i] /= norm;
            }
        }
        var data = tensor.Data;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                data[r * cols + c] = (float)(gain * (transposed ? q[r][c] : q[c][r]));
            }
        }
        return tensor;
    }
}
