using System.Globalization;
using System.Text;

namespace Neurite.Tensors;

public partial class Tensor
{
    private const int SummarizeAbove = 1000; // elements: torch's print threshold
    private const int EdgeItems = 3;         // entries kept at each end of a summarized axis
    private const int LineWidth = 80;
    private const string Prefix = "tensor(";

    /// <summary>
    /// Prints as PyTorch's str(tensor) does (torch/_tensor_str.py): whole numbers as <c>1.</c>,
    /// otherwise four decimals, scientific notation when magnitudes span more than 10³ or reach
    /// 10⁸ (or fall below 10⁻⁴), columns aligned, rows wrapped at 80 characters, and only the first
    /// and last three entries of each axis when there are more than 1000 elements.
    /// </summary>
    public override string ToString()
    {
        bool summarize = Count > SummarizeAbove;
        var shown = new List<float>();
        CollectShown(0, 0, summarize, shown);
        var format = new ElementFormat(shown);
        var builder = new StringBuilder(Prefix);
        if (Rank == 0)
        {
            builder.Append(format.Format(_data[_offset]));
        }
        else if (Count == 0 && Rank > 1)
        {
            builder.Append("[], size=(").AppendJoin(", ", _shape).Append(')');
        }
        else
        {
            AppendAxis(builder, 0, 0, format, summarize, Prefix.Length);
        }
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

    private int StrideOf(int axis)
    {
        int stride = 1;
        for (int a = axis + 1; a < Rank; a++)
        {
            stride *= _shape[a];
        }
        return stride;
    }

    /// <summary>The indices printed along an axis: all of them, or the first and last three.</summary>
    private IEnumerable<int> ShownIndices(int axis, bool summarize)
    {
        int size = _shape[axis];
        return summarize && size > 2 * EdgeItems
            ? Enumerable.Range(0, EdgeItems).Concat(Enumerable.Range(size - EdgeItems, EdgeItems))
            : Enumerable.Range(0, size);
    }

    /// <summary>The values that will be printed (torch's get_summarized_data), which set the format.</summary>
    private void CollectShown(int axis, int offset, bool summarize, List<float> shown)
    {
        if (axis == Rank)
        {
            shown.Add(_data[_offset + offset]);
            return;
        }
        foreach (int i in ShownIndices(axis, summarize))
        {
            CollectShown(axis + 1, offset + i * StrideOf(axis), summarize, shown);
        }
    }

    private void AppendAxis(StringBuilder builder, int axis, int offset, ElementFormat format, bool summarize, int indent)
    {
        int size = _shape[axis], stride = StrideOf(axis);
        bool elide = summarize && size > 2 * EdgeItems;
        var parts = new List<string>();
        foreach (int i in ShownIndices(axis, summarize))
        {
            if (elide && i == size - EdgeItems)
            {
                parts.Add(axis == Rank - 1 ? " ..." : "...");
            }
            if (axis == Rank - 1)
            {
                parts.Add(format.Format(_data[_offset + offset + i]));
            }
            else
            {
                var inner = new StringBuilder();
                AppendAxis(inner, axis + 1, offset + i * stride, format, summarize, indent + 1);
                parts.Add(inner.ToString());
            }
        }
        builder.Append('[');
        if (axis == Rank - 1)
        {
            // A vector wraps its entries to lines that fit within the line width.
            int perLine = Math.Max(1, (LineWidth - indent) / (format.Width + 2));
            var lines = parts.Chunk(perLine).Select(line => string.Join(", ", line));
            builder.AppendJoin(",\n" + new string(' ', indent + 1), lines);
        }
        else
        {
            builder.AppendJoin("," + new string('\n', Rank - 1 - axis) + new string(' ', indent + 1), parts);
        }
        builder.Append(']');
    }

    /// <summary>torch's _Formatter for floating tensors: one notation and one width for all elements.</summary>
    private sealed class ElementFormat
    {
        private readonly bool _integral;
        private readonly bool _scientific;

        public ElementFormat(List<float> values)
        {
            var nonZeroFinite = values.Where(v => float.IsFinite(v) && v != 0).ToArray();
            _integral = true;
            Width = 1;
            if (nonZeroFinite.Length == 0)
            {
                return;
            }
            double maxAbs = nonZeroFinite.Max(v => Math.Abs((double)v));
            double minAbs = nonZeroFinite.Min(v => Math.Abs((double)v));
            _integral = nonZeroFinite.All(v => v == MathF.Ceiling(v));
            _scientific = maxAbs / minAbs > 1000 || maxAbs > 1e8 || (!_integral && minAbs < 1e-4);
            Width = nonZeroFinite.Max(v => Format(v).Length);
        }

        public int Width { get; }

        public string Format(float value)
        {
            string text = !float.IsFinite(value)
                ? float.IsNaN(value) ? "nan" : value > 0 ? "inf" : "-inf"
                : _scientific ? ((double)value).ToString("0.0000e+00", CultureInfo.InvariantCulture)
                : _integral ? ((double)value).ToString("0", CultureInfo.InvariantCulture) + "."
                : ((double)value).ToString("0.0000", CultureInfo.InvariantCulture);
            return text.PadLeft(Width);
        }
    }
}
