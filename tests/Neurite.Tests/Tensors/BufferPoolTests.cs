using System.Runtime.CompilerServices;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Tests.Tensors;

/// <summary>
/// BufferPool lends large tensors their arrays and takes back those of tensors that became unreachable: the next tensor
/// of the size reuses memory already paged in, and no array that a tensor or a view can still read is ever reused.
/// </summary>
public class BufferPoolTests
{
    // Above the pool's 64 KiB minimum.
    private static readonly int[] Shape = [64, 1024];

    [Fact]
    public void An_unreachable_tensors_array_is_lent_again_after_a_sweep()
    {
        var array = LendAndDrop();
        GC.Collect();
        BufferPool.Sweep();
        var next = BufferPool.Lend(Shape, "test");
        Assert.Same(array, next.Storage);
    }

    [Fact]
    public async Task A_full_pool_makes_room_by_dropping_the_length_used_longest_ago()
    {
        // On a thread of its own, whose pool holds at most 60,000 floats: two arrays of 20,000 (an evaluation's
        // batch, say), then one of 30,000 (a training step's), which must be kept for the next rent of its length.
        var (stale, kept) = await Task.Factory.StartNew(() =>
        {
            BufferPool.Capacity = 60_000;
            float[] a = BufferPool.Rent(20_000), b = BufferPool.Rent(20_000), c = BufferPool.Rent(30_000);
            BufferPool.Return(a);
            BufferPool.Return(b);
            BufferPool.Return(c);
            float[] first = BufferPool.Rent(20_000), second = BufferPool.Rent(20_000);
            return (Stale: new[] { first, second }.Count(array => ReferenceEquals(array, a) || ReferenceEquals(array, b)),
                Kept: ReferenceEquals(BufferPool.Rent(30_000), c));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(kept);
        // One of the two 20,000-float arrays was dropped to make room (40,000 + 30,000 > 60,000), the other kept.
        Assert.Equal(1, stale);
    }

    [Fact]
    public void A_reachable_tensors_array_is_never_lent_again()
    {
        var kept = BufferPool.Lend(Shape, "test");
        kept.Data.Fill(3f);
        GC.Collect();
        BufferPool.Sweep();
        var next = BufferPool.Lend(Shape, "test");
        next.Data.Fill(-1f);
        Assert.NotSame(kept.Storage, next.Storage);
        Assert.All(kept.ToArray(), value => Assert.Equal(3f, value));
    }

    [Fact]
    public void A_view_keeps_its_base_tensors_array_from_being_lent_again()
    {
        var view = ViewOfDropped();
        GC.Collect();
        BufferPool.Sweep();
        var next = BufferPool.Lend(Shape, "test");
        next.Data.Fill(-1f);
        Assert.False(view.SharesStorage(next));
        Assert.All(view.ToArray(), value => Assert.Equal(5f, value));
    }

    [Fact]
    public void A_module_call_reuses_the_arrays_of_the_last_calls_results()
    {
        var model = new Linear(256, 512, rng: new Generator(1));
        var x = Tensor.Normal([128, 256], 0f, 1f, new Generator(2));
        using var _ = Graph.NoGrad();
        var arrays = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < 1000; i++)
        {
            arrays.Add(model.Call(x).Storage);
        }
        // Each result is 256 KiB. After 16 MiB lent (64 results) a sweep asks for a collection and takes back the
        // arrays of the results dropped since, so at most two rounds of 64 arrays go round instead of 1000 new ones.
        Assert.InRange(arrays.Count, 1, 128);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float[] LendAndDrop()
    {
        var tensor = BufferPool.Lend(Shape, "test");
        return tensor.Storage;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor ViewOfDropped()
    {
        var tensor = BufferPool.Lend(Shape, "test");
        tensor.Data.Fill(5f);
        return Ops.Reshape(tensor, [1024, 64]);
    }
}
