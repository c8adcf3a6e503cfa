using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// Convolution and pooling over any number of spatial axes (Conv, ConvTranspose, MaxPool, AveragePool,
/// GlobalAveragePool, GlobalMaxPool), and Pad. 1-D and 2-D convolutions, and 2-D pools of the geometry torch.nn's
/// have, run on Neurite's kernels; any other geometry (3-D, one-sided padding, dilated or ceil-mode pools,
/// count_include_pad 0) picks each window's elements with an IndexSelect, so that the gradient flows back to them,
/// and reduces or multiplies them. A transposed convolution is the convolution, by the flipped kernel, of its input
/// spread out with stride − 1 zeros between elements.
/// </summary>
internal static partial class OnnxOperators
{
    private static IEnumerable<OnnxOperator> Convolution() =>
    [
        new("Conv", Conv, ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"]),
        new("ConvTranspose", ConvTranspose, ["auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides"]),
        new("MaxPool", MaxPool, ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]),
        new("AveragePool", AveragePool, ["auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"]),
        new("GlobalAveragePool", node => One(OnnxValue.Of(Ops.Mean(SpatialInput(node), SpatialAxes(node), keepDims: true))), []),
        new("GlobalMaxPool", node => One(OnnxValue.Of(Ops.Max(SpatialInput(node), SpatialAxes(node), keepDims: true))), []),
        new("Pad", Pad, ["mode", "pads", "paddings", "value"], StaticInputs: [1, 2]),
    ];

    /// <summary>
    /// How a window walks the spatial axes of [N, C, spatial…]: kernel, strides, dilations, the padding before and
    /// after each axis, and the output's spatial sizes.
    /// </summary>
    private sealed record SpatialWindow(int[] Input, int[] Kernel, int[] Strides, int[] Dilations, int[] Before, int[] After, int[] Output)
    {
        public int Rank => Input.Length;

        public int InputCount => Count(Input);

        public int KernelCount => Count(Kernel);

        public int OutputCount => Count(Output);

        /// <summary>
        /// The geometry of Neurite's 2-D pooling kernels when they compute this window exactly: two axes, no
        /// dilation, the same padding on both sides of an axis (at most half the kernel), and their output sizes.
        /// </summary>
        public Pool2dGeometry? Pool2d()
        {
            if (Rank != 2 || Dilations.Any(d => d != 1) || !Before.SequenceEqual(After) || 2 * Before[0] > Kernel[0] || 2 * Before[1] > Kernel[1])
            {
                return null;
            }
            var geometry = new Pool2dGeometry(Kernel[0], Kernel[1], Strides[0], Strides[1], Before[0], Before[1]);
            return geometry.OutputSize(Input[0], Input[1]) == (Output[0], Output[1]) ? geometry : null;
        }

        /// <summary>
        /// For each output position and kernel offset (in that order, row-major), the flat spatial index of the input
        /// element the window covers there, or −1 where it covers padding.
        /// </summary>
        public int[] Sources()
        {
            var sources = new int[OutputCount * KernelCount];
            var (o, k) = (new int[Rank], new int[Rank]);
            int next = 0;
            for (int output = 0; output < OutputCount; output++)
            {
                Unravel(output, Output, o);
                for (int offset = 0; offset < KernelCount; offset++)
                {
                    Unravel(offset, Kernel, k);
                    int flat = 0;
                    for (int a = 0; a < Rank && flat >= 0; a++)
                    {
                        long at = (long)o[a] * Strides[a] - Before[a] + (long)k[a] * Dilations[a];
                        flat = at >= 0 && at < Input[a] ? flat * Input[a] + (int)at : -1;
                    }
                    sources[next++] = flat;
                }
            }
            return sources;
        }

        /// <summary>
        /// How many of each window's positions lie in the input (or, with <paramref name="withPadding"/>, in the
        /// input and its padding: a ceil-mode window may reach past both), as average pooling divides.
        /// </summary>
        public float[] Counts(bool withPadding)
        {
            var counts = new float[OutputCount];
            var o = new int[Rank];
            for (int output = 0; output < OutputCount; output++)
            {
                Unravel(output, Output, o);
                long count = 1;
                for (int a = 0; a < Rank; a++)
                {
                    long start = (long)o[a] * Strides[a] - Before[a];
                    var (low, high) = withPadding ? (-Before[a], (long)Input[a] + After[a]) : (0, Input[a]);
                    count *= Math.Max(0, Math.Min(start + Kernel[a], high) - Math.Max(start, low));
                }
                counts[output] = count;
            }
            return counts;
        }
    }

    private static int Count(int[] sizes) => sizes.Aggregate(1, (product, size) => product * size);

    /// <summary>The coordinates of a row-major flat index into an array of <paramref name="sizes"/>.</summary>
    private static void Unravel(int flat, int[] sizes, int[] coordinates)
    {
        for (int a = sizes.Length - 1; a >= 0; a--)
        {
            coordinates[a] = flat % sizes[a];
            flat /= sizes[a];
        }
    }

    /// <summary>Input 0, which must be [N, C, spatial…] with at least one spatial axis.</summary>
    private static OnnxValue Spatial(OnnxNodeContext node)
    {
        var value = node.Input(0);
        return value.Rank >= 3 ? value : throw node.Error($"input 0 is {value.Describe()}; {node.Node.OpType} takes [N, C, spatial…] with at least one spatial axis");
    }

    /// <summary>Input 0 as float32 [N, C, spatial…].</summary>
    private static Tensor SpatialInput(OnnxNodeContext node) => Spatial(node).Float ?? node.Float(0);

    private static int[] SpatialAxes(OnnxNodeContext node) => [.. Enumerable.Range(2, node.Input(0).Rank - 2)];

    /// <summary>A per-axis attribute (strides, dilations, output_padding), one positive (or, from <paramref name="min"/> 0, non-negative) size per spatial axis.</summary>
    private static int[] PerAxis(OnnxNodeContext node, string name, int rank, int fallback, int min = 1)
    {
        var values = node.Ints(name);
        if (values is null)
        {
            return Enumerable.Repeat(fallback, rank).ToArray();
        }
        if (values.Count != rank)
        {
            throw node.Error($"{name} has {values.Count} values; the input has {rank} spatial axes");
        }
        return values.All(v => v >= min && v <= int.MaxValue)
            ? [.. values.Select(v => (int)v)]
            : throw node.Error($"{name} [{string.Join(", ", values)}] must be {(min == 1 ? "positive" : "non-negative")}");
    }

    /// <summary>The kernel_shape attribute, or <paramref name="weights"/>' kernel, which it must then equal.</summary>
    private static int[] KernelShape(OnnxNodeContext node, int rank, int[]? weights = null)
    {
        if (!node.Has("kernel_shape"))
        {
            return weights ?? throw node.Error("kernel_shape is missing");
        }
        var kernel = PerAxis(node, "kernel_shape", rank, 1);
        return weights is null || kernel.SequenceEqual(weights)
            ? kernel
            : throw node.Error($"kernel_shape [{string.Join(", ", kernel)}] differs from the weight's kernel [{string.Join(", ", weights)}]");
    }

    /// <summary>
    /// The window over the spatial axes of <paramref name="shape"/> ([N, C, spatial…]): strides, dilations and the padding (pads, or
    /// auto_pad), and the output size per axis, ⌊(in + pads − d·(k − 1) − 1)/stride⌋ + 1, or rounded up in
    /// <paramref name="ceil"/> mode, where, as in PyTorch and ONNX Runtime, the last window must start inside the
    /// input or the padding before it. A <paramref name="pool"/>'s padding must be narrower than its kernel.
    /// </summary>
    private static SpatialWindow Window(OnnxNodeContext node, int[] shape, int[] kernel, bool ceil, bool pool = true)
    {
        int[] input = shape[2..];
        int rank = input.Length;
        int[] strides = PerAxis(node, "strides", rank, 1), dilations = PerAxis(node, "dilations", rank, 1);
        var (before, after) = Padding(node, input, kernel, strides, dilations);
        var output = new int[rank];
        for (int a = 0; a < rank; a++)
        {
            // As ONNX Runtime requires of pools: padding narrower than the kernel, so that no window lies wholly in it.
            long extent = (long)dilations[a] * (kernel[a] - 1) + 1;
            if (pool && (before[a] >= extent || after[a] >= extent))
            {
                throw node.Error($"pads [{string.Join(", ", before.Concat(after))}] are not narrower than the kernel's span {extent} on spatial axis {a}, so some windows would see only padding");
            }
            long span = (long)input[a] + before[a] + after[a] - (long)dilations[a] * (kernel[a] - 1) - 1;
            if (span < 0 || kernel[a] < 1)
            {
                throw node.Error($"the kernel [{string.Join(", ", kernel)}] (dilations [{string.Join(", ", dilations)}]) does not fit the input's spatial sizes [{string.Join(", ", input)}] padded by [{string.Join(", ", before.Concat(after))}]");
            }
            long size = (ceil ? (span + strides[a] - 1) / strides[a] : span / strides[a]) + 1;
            if (ceil && (size - 1) * strides[a] >= input[a] + before[a])
            {
                size--;
            }
            output[a] = Size(node, size, "output size");
        }
        CheckWindows(node, shape[0] * shape[1], output, kernel);
        return new(input, kernel, strides, dilations, before, after, output);
    }

    /// <summary>Refuses windows whose elements, picked for every plane, would not fit a tensor.</summary>
    private static void CheckWindows(OnnxNodeContext node, int planes, int[] output, int[] kernel)
    {
        node.CheckElements((double)planes * ElementCount(output) * ElementCount(kernel),
            $"the windows of {planes} planes, output [{string.Join(", ", output)}] times kernel [{string.Join(", ", kernel)}],");
    }

    /// <summary>
    /// The padding before and after each spatial axis: the pads attribute (begins, then ends) with auto_pad NOTSET,
    /// none with VALID; with SAME_UPPER or SAME_LOWER what keeps the output at ⌈in/stride⌉, total =
    /// (out − 1)·stride + d·(k − 1) + 1 − in, the odd one after (UPPER) or before (LOWER).
    /// </summary>
    private static (int[] Before, int[] After) Padding(OnnxNodeContext node, int[] input, int[] kernel, int[] strides, int[] dilations)
    {
        int rank = input.Length;
        var (before, after) = (new int[rank], new int[rank]);
        string autoPad = node.String("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                var pads = node.Ints("pads");
                if (pads is null)
                {
                    break;
                }
                if (pads.Count != 2 * rank || pads.Any(p => p is < 0 or > int.MaxValue / 4))
                {
                    throw node.Error($"pads [{string.Join(", ", pads)}] must be {2 * rank} non-negative sizes, the begins then the ends of the {rank} spatial axes");
                }
                for (int a = 0; a < rank; a++)
                {
                    (before[a], after[a]) = ((int)pads[a], (int)pads[a + rank]);
                }
                break;
            case "VALID":
                break;
            case "SAME_UPPER" or "SAME_LOWER":
                for (int a = 0; a < rank; a++)
                {
                    long output = ((long)input[a] + strides[a] - 1) / strides[a];
                    int total = (int)Math.Max(0, (output - 1) * strides[a] + (long)dilations[a] * (kernel[a] - 1) + 1 - input[a]);
                    before[a] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    after[a] = total - before[a];
                }
                break;
            default:
                throw node.Error($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER and VALID");
        }
        return (before, after);
    }

    /// <summary>
    /// Columns of <paramref name="rows"/> [R, S]: [R, map.Length], column j each row's element map[j], or
    /// <paramref name="padding"/> where map[j] is −1. An IndexSelect, so the gradient flows back to the picked elements.
    /// </summary>
    private static Tensor PickColumns(Tensor rows, int[] map, float padding)
    {
        int size = rows.Shape[1];
        var padded = Ops.Concat([rows, Tensor.Full([rows.Shape[0], 1], padding)], 1);
        return Ops.IndexSelect(padded, 1, map.Select(j => j < 0 ? size : j).ToArray());
    }

    /// <summary>The elements under each window of x [N, C, spatial…]: [N·C, outputs, kernel positions], <paramref name="padding"/> outside the input.</summary>
    private static Tensor Windows(Tensor x, SpatialWindow window, float padding)
    {
        int planes = x.Shape[0] * x.Shape[1];
        var picked = PickColumns(Ops.Reshape(x, [planes, window.InputCount]), window.Sources(), padding);
        return Ops.Reshape(picked, [planes, window.OutputCount, window.KernelCount]);
    }

    private static int Group(OnnxNodeContext node)
    {
        long group = node.Int("group", 1);
        return group is >= 1 and <= int.MaxValue ? (int)group : throw node.Error($"group {group} must be positive");
    }

    /// <summary>The optional bias (input 2), which must be [M].</summary>
    private static Tensor? ConvBias(OnnxNodeContext node, int outChannels)
    {
        if (node.Optional(2) is null)
        {
            return null;
        }
        var bias = node.Float(2);
        return bias.Rank == 1 && bias.Shape[0] == outChannels ? bias : throw node.Error($"the bias is {node.Input(2).Describe()}; the output has {outChannels} channels");
    }

    /// <summary>y = x ⋆ W + B: x [N, C, spatial…], W [M, C/group, kernel…], B [M].</summary>
    private static OnnxValue[] Conv(OnnxNodeContext node)
    {
        var x = SpatialInput(node);
        var weight = node.Float(1);
        int groups = Group(node), channels = x.Shape[1];
        if (weight.Rank != x.Rank || channels % groups != 0 || weight.Shape[1] != channels / groups || weight.Shape[0] % groups != 0)
        {
            throw node.Error($"the weight is {node.Input(1).Describe()}; input {node.Input(0).Describe()} with group {groups} needs [M, {channels / Math.Max(groups, 1)}, kernel…] with M a multiple of {groups}");
        }
        var window = Window(node, x.ShapeArray, KernelShape(node, x.Rank - 2, weight.ShapeArray[2..]), ceil: false, pool: false);
        Checked(node, [x.Shape[0], weight.Shape[0], .. window.Output]);
        return One(OnnxValue.Of(Convolve(x, weight, ConvBias(node, weight.Shape[0]), window, groups)));
    }

    /// <summary>
    /// The convolution on Neurite's 1-D and 2-D kernels; on more axes, each group's windows [outputs, C/group·k]
    /// times its weights [M/group, C/group·k]ᵀ.
    /// </summary>
    private static Tensor Convolve(Tensor x, Tensor weight, Tensor? bias, SpatialWindow w, int groups)
    {
        if (w.Rank == 2)
        {
            return Ops.Conv2d(x, weight, bias, new Conv2dGeometry(w.Strides[0], w.Strides[1], w.Before[0], w.Before[1], w.After[0], w.After[1], w.Dilations[0], w.Dilations[1], groups));
        }
        if (w.Rank == 1)
        {
            return Ops.Conv1d(x, weight, bias, w.Strides[0], (w.Before[0], w.After[0]), w.Dilations[0], groups);
        }
        var (n, c, m) = (x.Shape[0], x.Shape[1], weight.Shape[0]);
        int inner = c / groups * w.KernelCount;
        var windows = Ops.Reshape(Windows(x, w, 0f), [n, groups, c / groups, w.OutputCount, w.KernelCount]);
        var columns = Ops.Reshape(Ops.Permute(windows, [0, 1, 3, 2, 4]), [n, groups, w.OutputCount, inner]);
        var product = Ops.MatMul(columns, Ops.Reshape(weight, [groups, m / groups, inner]), transposeB: true);
        var y = Ops.Reshape(Ops.Permute(product, [0, 1, 3, 2]), [n, m, .. w.Output]);
        return bias is null ? y : Ops.Add(y, Ops.Reshape(bias, [m, .. Enumerable.Repeat(1, w.Rank)]));
    }

    /// <summary>
    /// The transposed convolution: x [N, C, spatial…], W [C, M/group, kernel…], B [M]. The full output is
    /// (in − 1)·stride + d·(k − 1) + 1 + output_padding per axis; pads (or auto_pad, or output_shape, which sets the
    /// padding to full − output_shape, the odd one before unless SAME_UPPER, halved rounding down) take rows off its ends. Computed as the
    /// convolution (stride 1, dilation d) of z by the flipped kernel W′[m, c, k′] = W[c, m, k − 1 − k′], where z is x
    /// spread out: z[j] = x[i] where j + pad_before − d·(k − 1) = i·stride, zero elsewhere.
    /// </summary>
    private static OnnxValue[] ConvTranspose(OnnxNodeContext node)
    {
        var x = SpatialInput(node);
        var weight = node.Float(1);
        int groups = Group(node), channels = x.Shape[1], rank = x.Rank - 2;
        if (weight.Rank != x.Rank || weight.Shape[0] != channels || channels % groups != 0)
        {
            throw node.Error($"the weight is {node.Input(1).Describe()}; input {node.Input(0).Describe()} with group {groups} needs [{channels}, M/group, kernel…] and C a multiple of group");
        }
        int outChannels = weight.Shape[1] * groups;
        int[] input = x.ShapeArray[2..], kernel = KernelShape(node, rank, weight.ShapeArray[2..]);
        int[] strides = PerAxis(node, "strides", rank, 1), dilations = PerAxis(node, "dilations", rank, 1);
        int[] outputPadding = PerAxis(node, "output_padding", rank, 0, min: 0);
        var full = new long[rank];
        for (int a = 0; a < rank; a++)
        {
            full[a] = ((long)input[a] - 1) * strides[a] + (long)dilations[a] * (kernel[a] - 1) + 1 + outputPadding[a];
        }
        string autoPad = node.String("auto_pad", "NOTSET");
        var before = new int[rank];
        var output = new int[rank];
        var requested = node.Ints("output_shape");
        if (requested is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            if (requested is not null && requested.Count != rank && requested.Count != rank + 2)
            {
                throw node.Error($"output_shape [{string.Join(", ", requested)}] has {requested.Count} sizes; the input has {rank} spatial axes");
            }
            for (int a = 0; a < rank; a++)
            {
                long size = requested is not null ? requested[requested.Count - rank + a] : (long)input[a] * strides[a];
                output[a] = Size(node, size, "output size");
                long total = full[a] - size, half = (long)Math.Floor(total / 2.0); // negative when output_shape asks for more than the full output
                before[a] = (int)(autoPad == "SAME_UPPER" ? half : total - half);
            }
        }
        else
        {
            var (begins, ends) = autoPad == "VALID" ? (new int[rank], new int[rank]) : Padding(node, input, kernel, strides, dilations);
            for (int a = 0; a < rank; a++)
            {
                before[a] = begins[a];
                output[a] = (int)Math.Max(0, full[a] - begins[a] - ends[a]);
            }
        }
        if (output.Any(size => size < 1))
        {
            throw node.Error($"the output's spatial sizes [{string.Join(", ", output)}] leave nothing; the padding is larger than the full output");
        }
        var spread = new int[rank];
        for (int a = 0; a < rank; a++)
        {
            spread[a] = Size(node, output[a] + (long)dilations[a] * (kernel[a] - 1), "spread size");
        }
        Checked(node, [x.Shape[0], Math.Max(channels, outChannels), .. spread]);
        var z = Spread(x, input, spread, strides, before, dilations, kernel);
        CheckWindows(node, x.Shape[0] * channels, output, kernel);
        var window = new SpatialWindow(spread, kernel, Enumerable.Repeat(1, rank).ToArray(), dilations, new int[rank], new int[rank], output);
        return One(OnnxValue.Of(Convolve(z, FlippedKernel(weight, groups), ConvBias(node, outChannels), window, groups)));
    }

    /// <summary>x [N, C, input…] spread to z [N, C, spread…]: z[j] = x[i] where j + before − d·(k − 1) = i·stride, 0 elsewhere (per axis).</summary>
    private static Tensor Spread(Tensor x, int[] input, int[] spread, int[] strides, int[] before, int[] dilations, int[] kernel)
    {
        int rank = input.Length;
        var map = new int[Count(spread)];
        var j = new int[rank];
        for (int flat = 0; flat < map.Length; flat++)
        {
            Unravel(flat, spread, j);
            int source = 0;
            for (int a = 0; a < rank && source >= 0; a++)
            {
                long t = (long)j[a] + before[a] - (long)dilations[a] * (kernel[a] - 1);
                source = t >= 0 && t % strides[a] == 0 && t / strides[a] < input[a] ? source * input[a] + (int)(t / strides[a]) : -1;
            }
            map[flat] = source;
        }
        int planes = x.Shape[0] * x.Shape[1];
        return Ops.Reshape(PickColumns(Ops.Reshape(x, [planes, Count(input)]), map, 0f), [x.Shape[0], x.Shape[1], .. spread]);
    }

    /// <summary>A transposed convolution's weight [C, M/group, k…] as a convolution's [M, C/group, k…], each kernel flipped along every axis.</summary>
    private static Tensor FlippedKernel(Tensor weight, int groups)
    {
        int channels = weight.Shape[0], perGroup = weight.Shape[1], inPerGroup = channels / groups, kernel = weight.Count / Math.Max(1, channels * perGroup);
        var map = new int[weight.Count];
        int next = 0;
        for (int m = 0; m < perGroup * groups; m++)
        {
            var (group, mm) = (m / perGroup, m % perGroup);
            for (int c = 0; c < inPerGroup; c++)
            {
                for (int k = 0; k < kernel; k++)
                {
                    map[next++] = (((group * inPerGroup) + c) * perGroup + mm) * kernel + (kernel - 1 - k);
                }
            }
        }
        var flipped = Ops.IndexSelect(Ops.Reshape(weight, [weight.Count]), 0, map);
        return Ops.Reshape(flipped, [perGroup * groups, inPerGroup, .. weight.ShapeArray[2..]]);
    }

    /// <summary>
    /// The maximum of each window, the padding counting as −∞ (of float32 or integers). A second output, Indices,
    /// gives where each maximum is (the first, if tied), as a flat index into x: over [N, C, spatial…] in row-major
    /// order, or with storage_order 1 the spatial axes in column-major order.
    /// </summary>
    private static OnnxValue[] MaxPool(OnnxNodeContext node)
    {
        var input = Spatial(node);
        var window = Window(node, input.Shape, KernelShape(node, input.Rank - 2), node.Int("ceil_mode", 0) != 0);
        int[] shape = [input.Shape[0], input.Shape[1], .. window.Output];
        OnnxValue y;
        int[] best;
        if (input.Float is { } x)
        {
            if (node.OutputCount == 1 && window.Pool2d() is { } geometry)
            {
                return One(OnnxValue.Of(Ops.MaxPool2d(x, geometry)));
            }
            var windows = Windows(x, window, float.NegativeInfinity);
            y = OnnxValue.Of(Ops.Reshape(Ops.Max(windows, 2), shape));
            if (node.OutputCount == 1)
            {
                return [y];
            }
            best = Best<float>(windows.Data, window.KernelCount);
        }
        else
        {
            var (ints, sources, planes) = (input.Ints!, window.Sources(), shape[0] * shape[1]);
            var windows = new long[planes * sources.Length];
            for (int plane = 0; plane < planes; plane++)
            {
                for (int j = 0; j < sources.Length; j++)
                {
                    windows[plane * sources.Length + j] = sources[j] < 0 ? long.MinValue : ints[plane * window.InputCount + sources[j]];
                }
            }
            best = Best<long>(windows, window.KernelCount);
            y = OnnxValue.Of(input.Type, [.. best.Select((k, row) => windows[row * window.KernelCount + k])], shape);
        }
        return node.OutputCount == 1 ? [y] : [y, OnnxValue.Of(OnnxDataType.Int64, MaxIndices(best, window, node.Int("storage_order", 0) != 0), shape)];
    }

    /// <summary>For each window (a run of <paramref name="kernel"/> values), the position of its first largest value.</summary>
    private static int[] Best<T>(ReadOnlySpan<T> values, int kernel) where T : System.Numerics.IComparisonOperators<T, T, bool>
    {
        var best = new int[values.Length / kernel];
        for (int row = 0; row < best.Length; row++)
        {
            for (int k = 1; k < kernel; k++)
            {
                if (values[row * kernel + k] > values[row * kernel + best[row]])
                {
                    best[row] = k;
                }
            }
        }
        return best;
    }

    /// <summary>The flat index into x of each window's maximum, the window's position <paramref name="best"/>.</summary>
    private static long[] MaxIndices(int[] best, SpatialWindow window, bool columnMajor)
    {
        var sources = window.Sources();
        var (outputs, kernel) = (window.OutputCount, window.KernelCount);
        var indices = new long[best.Length];
        var at = new int[window.Rank];
        for (int row = 0; row < indices.Length; row++)
        {
            int source = Math.Max(0, sources[row % outputs * kernel + best[row]]);
            if (columnMajor)
            {
                Unravel(source, window.Input, at);
                source = 0;
                for (int a = window.Rank - 1; a >= 0; a--)
                {
                    source = source * window.Input[a] + at[a];
                }
            }
            indices[row] = (long)(row / outputs) * window.InputCount + source;
        }
        return indices;
    }

    /// <summary>
    /// The mean of each window: its sum over the positions in the input (count_include_pad 0, the default) or in
    /// the input and its padding (count_include_pad 1, the padding counting as 0).
    /// </summary>
    private static OnnxValue[] AveragePool(OnnxNodeContext node)
    {
        var x = SpatialInput(node);
        var window = Window(node, x.ShapeArray, KernelShape(node, x.Rank - 2), node.Int("ceil_mode", 0) != 0);
        bool includePad = node.Int("count_include_pad", 0) != 0;
        if (window.Pool2d() is { } geometry && (includePad || geometry is { PadH: 0, PadW: 0 }))
        {
            return One(OnnxValue.Of(Ops.AvgPool2d(x, geometry)));
        }
        var sums = Ops.Sum(Windows(x, window, 0f), 2);
        var counts = Tensor.From(window.Counts(includePad), [window.OutputCount]);
        return One(OnnxValue.Of(Ops.Reshape(Ops.Div(sums, counts), [x.Shape[0], x.Shape[1], .. window.Output])));
    }

    /// <summary>
    /// Pads every axis of a tensor (float32 or integers) by pads (begins, then ends; negative ones crop): with a constant value, the edge values
    /// (edge), or the input mirrored about its first and last elements (reflect).
    /// </summary>
    private static OnnxValue[] Pad(OnnxNodeContext node)
    {
        var input = node.Input(0);
        var pads = (node.Opset >= 11 ? node.Integers(1) : (node.Ints("pads") ?? node.Ints("paddings"))?.ToArray()) ?? throw node.Error("the pads are missing");
        double value = node.Opset >= 11 ? node.Scalar(2) ?? 0 : node.Float("value", 0f);
        string mode = node.String("mode", "constant");
        int rank = input.Rank;
        if (pads.Length != 2 * rank)
        {
            throw node.Error($"pads has {pads.Length} values; input {input.Describe()} needs {2 * rank}, the begins then the ends");
        }
        if (mode is not ("constant" or "reflect" or "edge"))
        {
            throw node.Error($"mode '{mode}' is not one of constant, reflect and edge");
        }
        var shape = new int[rank];
        for (int a = 0; a < rank; a++)
        {
            shape[a] = Size(node, input.Shape[a] + pads[a] + pads[a + rank], "padded size");
            if (mode != "constant" && input.Shape[a] == 0 && shape[a] > 0)
            {
                throw node.Error($"mode {mode} cannot pad axis {a}, which is empty");
            }
        }
        var map = new int[Shapes.CountOf(Checked(node, shape), "Pad")];
        var o = new int[rank];
        for (int flat = 0; flat < map.Length; flat++)
        {
            Unravel(flat, shape, o);
            int source = 0;
            for (int a = 0; a < rank && source >= 0; a++)
            {
                long at = o[a] - pads[a];
                int size = input.Shape[a];
                if (at < 0 || at >= size)
                {
                    at = mode switch
                    {
                        "edge" => Math.Clamp(at, 0, size - 1),
                        "reflect" => Reflect(at, size),
                        _ => -1,
                    };
                }
                source = at < 0 ? -1 : source * size + (int)at;
            }
            map[flat] = source;
        }
        if (input.Float is { } x)
        {
            return One(OnnxValue.Of(Ops.Reshape(PickColumns(Ops.Reshape(x, [1, x.Count]), map, (float)value), shape)));
        }
        var ints = input.Ints!;
        return One(OnnxValue.Of(input.Type, [.. map.Select(j => j < 0 ? Wrap(input.Type, (long)value) : ints[j])], shape));
    }

    /// <summary>An index past either end of an axis of <paramref name="size"/> mirrored back into it about its first and last elements (period 2·(size − 1)).</summary>
    private static long Reflect(long at, int size)
    {
        long period = 2L * (size - 1);
        if (period == 0)
        {
            return 0;
        }
        long t = ((at % period) + period) % period;
        return t >= size ? period - t : t;
    }
}
