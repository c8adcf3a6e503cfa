using Neurite.Kernels;

namespace Neurite.Autograd;

/// <summary>
/// Where a slice lies in a row-major tensor viewed as [Outer, Size, Inner]: in each of the Outer blocks, the
/// Length runs of Inner elements at positions From, From + Step, … of the Size positions of the sliced axis.
/// A class, so that the nodes of all other ops carry no more than a null reference for it.
/// </summary>
internal sealed record SliceRegion(int Outer, int Size, int Inner, int From, int Length, int Step)
{
    /// <summary>Whether the slice is one run of consecutive elements, which a view can share instead of copying.</summary>
    public bool IsContiguous => Length == 0 || ((Step == 1 || Length == 1) && (Outer == 1 || Length == Size));

    /// <summary>The flat position of the slice's first element (of its run, when <see cref="IsContiguous"/>).</summary>
    public int Offset => Outer == 1 ? From * Inner : 0;

    /// <summary>destination = the slice of <paramref name="x"/>, row-major.</summary>
    public void CopyFrom(ReadOnlySpan<float> x, Span<float> destination) =>
        Strided.CopyRuns(x, Outer, Size, Inner, From, Length, Step, destination);

    /// <summary>The slice of <paramref name="destination"/> += <paramref name="g"/> (g row-major, of the slice's shape).</summary>
    public void AddInto(Span<float> destination, ReadOnlySpan<float> g) =>
        Strided.AddRuns(g, Outer, Size, Inner, From, Length, Step, destination);
}
