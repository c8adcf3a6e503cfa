using Neurite.Kernels;
using Neurite.Serialization;
using Neurite.Tests.Kernels;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>The same seed gives the same weights, bit for bit, whether the kernels run on one thread or two.</summary>
[Collection(GlobalSettingsCollection.Name)]
public sealed class ThreadDeterminismTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-threads-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Wide enough that GEMM, the element-wise kernels, the batch gather and Adam's step split between threads.</summary>
    private const string Spec = """
        {"input": [2], "layers": [{"type": "linear", "out": 512}, {"type": "relu"}, {"type": "dropout", "p": 0.1},
          {"type": "linear", "out": 512}, {"type": "gelu"}, {"type": "batch_norm"}, {"type": "linear", "out": 3}],
         "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.001}, "batch_size": 256, "epochs": 2, "seed": 4,
         "data": {"source": "spirals:n=1024,classes=3"}}
        """;

    [Fact]
    public void One_and_two_threads_train_to_the_same_bits()
    {
        int previous = Parallelism.MaxThreads;
        try
        {
            var weights = new[] { 1, 2 }.Select(threads =>
            {
                Parallelism.MaxThreads = threads;
                var run = TrainingRun.Create(ModelSpec.Parse(Spec), new RunOptions(ModelPath: Path.Combine(_directory, $"threads{threads}.safetensors")));
                run.Execute();
                return run.Trainer.Model.StateDict().ToDictionary(entry => entry.Key, entry => entry.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray());
            }).ToArray();
            foreach (var (name, bits) in weights[0])
            {
                Assert.True(bits.SequenceEqual(weights[1][name]), $"{name} differs between one and two threads");
            }
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }
}
