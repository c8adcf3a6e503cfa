using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// The sinusoidal positional encoding of "Attention Is All You Need" (Vaswani et al., 2017, §3.5), added to x [N, T, D]:
/// PE[pos, 2i] = sin(pos / 10000^(2i/D)) and PE[pos, 2i + 1] = cos(pos / 10000^(2i/D)), sin and cos interleaved,
/// positions from 0; x is not scaled by √D.
/// </summary>
/// <remarks>
/// The table [maxLen, D] is computed (in double, then rounded) and is no state-dict entry, as a buffer registered with
/// persistent=False in PyTorch. D must be even.
/// </remarks>
public sealed class SinusoidalPositionalEncoding : Module
{
    private readonly Tensor _table;

    /// <exception cref="ArgumentException">dModel is odd or below 2, or maxLen is below 1.</exception>
    public SinusoidalPositionalEncoding(int dModel, int maxLen = 512)
    {
        if (dModel < 2 || dModel % 2 != 0 || maxLen < 1)
        {
            throw new ArgumentException(
                $"SinusoidalPositionalEncoding: dModel must be even and >= 2 (sin and cos alternate) and maxLen >= 1; got {dModel} and {maxLen}.");
        }
        _table = Tensor.From(Table(dModel, maxLen), [maxLen, dModel]);
    }

    /// <summary>The table's first <paramref name="positions"/> rows, [positions, dModel] row by row.</summary>
    internal static float[] Table(int dModel, int positions)
    {
        var table = new float[positions * dModel];
        for (int pos = 0; pos < positions; pos++)
        {
            for (int i = 0; i < dModel; i += 2)
            {
                double angle = pos / Math.Pow(10000, (double)i / dModel);
                table[pos * dModel + i] = (float)Math.Sin(angle);
                table[pos * dModel + i + 1] = (float)Math.Cos(angle);
            }
        }
        return table;
    }

    public int DModel => _table.Shape[1];

    public int MaxLen => _table.Shape[0];

    /// <summary>x + PE[:T].</summary>
    /// <exception cref="ArgumentException">x is not [N, T, D], or T &gt; maxLen.</exception>
    public override Tensor Forward(Tensor x) => Ops.Add(x, Ops.Narrow(_table, 0, 0, PositionalEncodings.Steps(x, DModel, MaxLen, Describe())));

    public override string Describe() => $"SinusoidalPositionalEncoding({DModel}, max_len={MaxLen})";
}

/// <summary>
/// A learned positional encoding: x [N, T, D] + the first T rows of <see cref="Weight"/> [maxLen, D], which is an
/// nn.Embedding(max_len, D) looked up at positions 0 … T − 1 and initialized as one, N(0, 1).
/// </summary>
public sealed class LearnedPositionalEncoding : Module
{
    /// <exception cref="ArgumentException">dModel or maxLen is below 1.</exception>
    public LearnedPositionalEncoding(int dModel, int maxLen = 512, Generator? rng = null)
    {
        if (dModel < 1 || maxLen < 1)
        {
            throw new ArgumentException($"LearnedPositionalEncoding: dModel and maxLen must be >= 1; got {dModel} and {maxLen}.");
        }
        Weight = Register("weight", Tensor.Normal([maxLen, dModel], 0f, 1f, rng ?? Generator.Default));
    }

    public Parameter Weight { get; }   // [maxLen, D]

    public int DModel => Weight.Shape[1];

    public int MaxLen => Weight.Shape[0];

    /// <summary>x + weight[:T].</summary>
    /// <exception cref="ArgumentException">x is not [N, T, D], or T &gt; maxLen.</exception>
    public override Tensor Forward(Tensor x) => Ops.Add(x, Ops.Narrow(Weight, 0, 0, PositionalEncodings.Steps(x, DModel, MaxLen, Describe())));

    public override string Describe() => $"LearnedPositionalEncoding({DModel}, max_len={MaxLen})";
}

internal static class PositionalEncodings
{
    /// <summary>The steps T of x [N, T, D], checked against D and the table's maxLen.</summary>
    public static int Steps(Tensor x, int dModel, int maxLen, string module)
    {
        if (x.Rank != 3 || x.Shape[2] != dModel || x.Shape[1] < 1)
        {
            throw new ArgumentException($"{module}: expected input [batch, steps, {dModel}] with at least one step, got {Shapes.Format(x.Shape)}.");
        }
        if (x.Shape[1] > maxLen)
        {
            throw new ArgumentException($"{module}: a sequence of {x.Shape[1]} steps is longer than max_len {maxLen} (input {Shapes.Format(x.Shape)}).");
        }
        return x.Shape[1];
    }
}
