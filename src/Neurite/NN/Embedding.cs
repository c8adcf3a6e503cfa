using System.Globalization;
using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// A lookup table of learned vectors, as torch.nn.Embedding: ids of any shape [*] → [*, dim], row i of
/// <see cref="Weight"/> for id i. Weight [num, dim] ~ N(0, 1), as PyTorch initializes it.
/// </summary>
/// <remarks>
/// A model's input is a float tensor, so <see cref="Forward(Tensor)"/> takes ids as whole-number floats (a spec's
/// <c>embedding</c> input, CSV cells such as "3"); <see cref="Forward(IntTensor)"/> takes them as integers.
/// </remarks>
public sealed class Embedding : Module
{
    public Parameter Weight { get; }   // [num, dim]

    public Embedding(int numEmbeddings, int embeddingDim, Generator? rng = null)
    {
        if (numEmbeddings < 1 || embeddingDim < 1)
        {
            throw new ArgumentException($"Embedding: num and dim must be >= 1; got {numEmbeddings} and {embeddingDim}.");
        }
        Weight = Register("weight", Tensor.Normal([numEmbeddings, embeddingDim], 0f, 1f, rng ?? Generator.Default));
    }

    public int NumEmbeddings => Weight.Shape[0];

    public int EmbeddingDim => Weight.Shape[1];

    /// <summary>The rows of <see cref="Weight"/> at the ids, which are whole numbers in [0, num) held as floats.</summary>
    /// <exception cref="ArgumentException">An id is not a whole number, is negative or is ≥ num; the message names it and its position.</exception>
    public override Tensor Forward(Tensor ids)
    {
        var values = ids.Data;
        var rows = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0 && v < NumEmbeddings) || v != MathF.Floor(v))
            {
                throw new ArgumentException(
                    $"{Describe()}: id {v.ToString(CultureInfo.InvariantCulture)} at position {Shapes.FormatPosition(ids.Shape, i)} is {Problem(v)}.");
            }
            rows[i] = (int)v;
        }
        return Ops.Embedding(Weight, IntTensor.From(rows, ids.Shape));
    }

    /// <summary>The rows of <see cref="Weight"/> at the ids, which are in [0, num).</summary>
    /// <exception cref="ArgumentException">An id is negative or ≥ num; the message names it and its position.</exception>
    public Tensor Forward(IntTensor ids)
    {
        var values = ids.Data;
        for (int i = 0; i < values.Length; i++)
        {
            if ((uint)values[i] >= (uint)NumEmbeddings)
            {
                throw new ArgumentException(
                    $"{Describe()}: id {values[i]} at position {Shapes.FormatPosition(ids.Shape, i)} is {Problem(values[i])}.");
            }
        }
        return Ops.Embedding(Weight, ids);
    }

    private string Problem(float id) =>
        float.IsNaN(id) || id != MathF.Floor(id) ? "not a whole number"
        : id < 0 ? "negative"
        : $"out of range for {NumEmbeddings} embeddings (ids 0 to {NumEmbeddings - 1})";

    public override string Describe() => $"Embedding({NumEmbeddings}, {EmbeddingDim})";
}
