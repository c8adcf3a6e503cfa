using Neurite.Kernels;

namespace Neurite.Tests.Kernels;

/// <summary>The per-thread limit of <see cref="Parallelism.LimitThisThread"/>: it applies to its thread only, nests, and ends with its scope.</summary>
[Collection(GlobalSettingsCollection.Name)]
public sealed class ParallelismTests
{
    [Fact]
    public void A_thread_limit_applies_to_its_own_thread_nests_and_ends_with_its_scope()
    {
        int previous = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 4;
            using (Parallelism.LimitThisThread(1))
            {
                Assert.Equal(1, Parallelism.MaxThreads);
                int elsewhere = 0;
                var other = new Thread(() => elsewhere = Parallelism.MaxThreads);
                other.Start();
                other.Join();
                Assert.Equal(4, elsewhere);
                using (Parallelism.LimitThisThread(8))
                {
                    Assert.Equal(4, Parallelism.MaxThreads); // never above the process-wide limit
                }
                Assert.Equal(1, Parallelism.MaxThreads);
            }
            Assert.Equal(4, Parallelism.MaxThreads);
            Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.LimitThisThread(0));
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }
}
