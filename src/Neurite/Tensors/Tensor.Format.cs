using System.Globalization;
using System.Text;

namespace Neurite.Tensors;

public sealed partial class Tensor
{
    private const int SummarizeAbove = 1000; // elements; as torch's print threshold
    private const int EdgeItems = 3;

    /// <summary>
    /// Prints as PyTorch does: <c>tensor([[ 1.5000, -2.0000], [ 0.2500,  4.0000]], requires_grad=True)</c>,
    /// rows on their own lines, columns aligned, whole numbers as <c>1.</c>, very large or small
    /// magnitudes in scientific notation, and only the first and last three entries of each axis
    /// when the tensor has more than 1000 elements.
    /// </summary>
    public override string ToString()
    {
        var builder = new StringBuilder("tensor(");
        bool summarize = Count > SummarizeAbove;
        var format = ChooseFormat(summarize);
        int width = 0;
        foreach (float v in ShownValues(summarize))
        {
            width = Math.Max(width, format(v).Length);
        }
        AppendAxis(builder, 0, 0, format, width, summarize, indent: "tensor(".Length);
        if (GradFn is not null)
        {
            builder.Append(", grad_fn=<").Append(GradFn).Append('>');
        }
        else if (RequiresGrad)
        {
            builder.Append(", requires_grad=True");
        }
        return builder.Append(')').ToString();
    }

    private IEnumerable<float> ShownValues(bool summarize)
    {
        if (!summarize)
        {
            return _data;
        }
        // A bounded sample is enough to choose a width: the head and tail of the flat data.
        return _data.Take(EdgeItems * 64).Concat(_data.Skip(Math.Max(0, Count - EdgeItems * 64)));
    }

    private Func<float, string> ChooseFormat(bool summarize)
    {
        var finite = ShownValues(summarize).Where(float.IsFinite).Select(MathF.Abs).ToArray();
        if (finite.Length == 0)
        {
            return FormatSpecial;
        }
        bool integral = ShownValues(summarize).Where(float.IsFinite).All(v => v == MathF.Round(v));
        float max = finite.Max();
        float minNonZero = finite.Where(v => v > 0).DefaultIfEmpty(0).Min();
        bool scientific = max >= 1e8f || (minNonZero > 0 && (minNonZero < 1e-4f || max / minNonZero > 1000f && !integral));
        if (integral && !scientific)
        {
            return v => float.IsFinite(v) ? v.ToString("0", CultureInfo.InvariantCulture) + "." : FormatSpecial(v);
        }
        if (scientific)
        {
            return v => float.IsFinite(v) ? v.ToString("0.0000e+00", CultureInfo.InvariantCulture) : FormatSpecial(v);
        }
        return v => float.IsFinite(v) ? v.ToString("0.0000", CultureInfo.InvariantCulture) : FormatSpecial(v);
    }

    private static string FormatSpecial(float v) =>
        float.IsNaN(v) ? "nan" : float.IsPositiveInfinity(v) ? "inf" : float.IsNegativeInfinity(v) ? "-inf" : v.ToString(CultureInfo.InvariantCulture);

    private void AppendAxis(StringBuilder builder, int axis, int offset, Func<float, string> format, int width, bool summarize, int indent)
    {
        if (Rank == 0)
        {
            builder.Append(format(_data[0]));
            return;
        }
        int size = _shape[axis];
        int stride = 1;
        for (int a = axis + 1; a < Rank; a++)
        {
            stride *= _shape[a];
        }
        builder.Append('[');
        bool elide = summarize && size > 2 * EdgeItems;
        for (int i = 0; i < size; i++)
        {
            if (elide && i == EdgeItems)
            {
                builder.Append(axis == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + axis + 1));
                i = size - EdgeItems - 1;
                continue;
            }
            if (axis == Rank - 1)
            {
                builder.Append(format(_data[offset + i]).PadLeft(width));
            }
            else
            {
                AppendAxis(builder, axis + 1, offset + i * stride, format, width, summarize, indent);
            }
            if (i < size - 1)
            {
                builder.Append(axis == Rank - 1 ? ", " : "," + new string('\n', Rank - 1 - axis) + new string(' ', indent + axis + 1));
            }
        }
        builder.Append(']');
    }
}
