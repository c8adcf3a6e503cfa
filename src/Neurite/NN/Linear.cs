using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>y = x·Wᵀ + b. Input (*, in) → output (*, out).</summary>
/// <remarks>W, b ~ U(−1/√in, 1/√in), as torch.nn.Linear (Kaiming-uniform with a = √5 for W).</remarks>
public sealed class Linear : Module
{
    public Parameter Weight { get; }   // [out, in]
    public Parameter? Bias { get; }    // [out]

    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? rng = null)
    {
        if (inFeatures < 1 || outFeatures < 1)
        {
            throw new ArgumentException($"Linear: in and out features must be >= 1; got {inFeatures} and {outFeatures}.");
        }
        rng ??= Generator.Default;
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = Register("weight", Tensor.Uniform([outFeatures, inFeatures], -bound, bound, rng));
        Bias = bias ? Register("bias", Tensor.Uniform([outFeatures], -bound, bound, rng)) : null;
    }

    public int InFeatures => Weight.Shape[1];

    public int OutFeatures => Weight.Shape[0];

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 0 || x.Shape[^1] != InFeatures)
        {
            throw new ArgumentException($"{Describe()}: expected input [*, {InFeatures}], got {Shapes.Format(x.Shape)}.");
        }
        return Ops.Linear(x, Weight, Bias);
    }

    public override string Describe() => $"Linear({InFeatures} => {OutFeatures}{(Bias is null ? ", bias=false" : "")})";
}
