using System.Diagnostics;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Bench;

/// <summary>
/// `mlp-profile`: where a training step of the Fashion-MNIST MLP goes — the median time of each phase (loader,
/// forward, loss, backward, optimizer step), bytes allocated and collections per step. Allocation counts do not
/// depend on machine load, so this guides work on a busy machine. Options: --threads 1 --steps 400 --optimizer adam|sgd.
/// </summary>
internal static class MlpProfile
{
    private const int WarmupSteps = 2000;

    public static int Run(string[] args)
    {
        int threads = 1, steps = 400;
        string optimizerName = "adam";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--steps": steps = int.Parse(args[++i]); break;
                case "--optimizer": optimizerName = args[++i]; break;
                default:
                    Console.Error.WriteLine($"mlp-profile: unknown option {args[i]}");
                    return 2;
            }
        }
        Parallelism.MaxThreads = threads;
        var data = Idx.LoadFashionMnist();
        var train = MinMaxScale.Fit(data.Train, perFeature: false).Apply(data.Train);
        double rssLoaded = MlpWorker.PeakRssMegabytes();
        var rng = new Generator(1);
        var model = new Sequential(
            new Flatten(),
            new Linear(784, 256, rng: rng), new ReLU(),
            new Linear(256, 128, rng: rng), new ReLU(),
            new Linear(128, 10, rng: rng));
        Optimizer optimizer = optimizerName == "sgd"
            ? new SGD(model.Parameters(), new SGDOptions(Lr: 0.01, Momentum: 0.9))
            : new Adam(model.Parameters(), new AdamOptions(Lr: 1e-3));
        var loader = new DataLoader(train, 128, shuffle: true, seed: 7);

        string[] phases = ["loader", "forward", "loss", "backward", "step"];
        var times = phases.Select(_ => new List<double>()).ToArray();
        long allocated = 0;
        int[] collections = new int[3];
        double gcShare = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            // Pass 0 warms up (buffers, and the JIT, which needs well over a few hundred steps to move every hot method
            // to optimized code: with 600 steps of warm-up, the loss phase still measured 50 µs instead of 7); pass 1 measures.
            bool measure = pass == 1;
            int passSteps = measure ? steps : WarmupSteps;
            long bytesBefore = GC.GetTotalAllocatedBytes(precise: true);
            var pauseBefore = GC.GetTotalPauseDuration();
            long passStart = Stopwatch.GetTimestamp();
            int[] countsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            int done = 0;
            while (done < passSteps)
            {
                using var batches = loader.GetEnumerator();
                while (done < passSteps)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    if (!batches.MoveNext())
                    {
                        break;
                    }
                    var (inputs, targets) = batches.Current;
                    long t1 = Stopwatch.GetTimestamp();
                    optimizer.ZeroGrad();
                    var outputs = model.Call(inputs);
                    long t2 = Stopwatch.GetTimestamp();
                    var loss = Losses.CrossEntropy(outputs, targets);
                    long t3 = Stopwatch.GetTimestamp();
                    loss.Backward();
                    long t4 = Stopwatch.GetTimestamp();
                    optimizer.Step();
                    long t5 = Stopwatch.GetTimestamp();
                    if (measure)
                    {
                        long[] stamps = [t0, t1, t2, t3, t4, t5];
                        for (int p = 0; p < phases.Length; p++)
                        {
                            times[p].Add(Stopwatch.GetElapsedTime(stamps[p], stamps[p + 1]).TotalMicroseconds);
                        }
                    }
                    done++;
                }
            }
            allocated = GC.GetTotalAllocatedBytes(precise: true) - bytesBefore;
            gcShare = (GC.GetTotalPauseDuration() - pauseBefore) / Stopwatch.GetElapsedTime(passStart);
            for (int g = 0; g < 3; g++)
            {
                collections[g] = GC.CollectionCount(g) - countsBefore[g];
            }
        }

        Console.WriteLine($"{optimizerName}, {threads} thread(s), {steps} steps of batch 128; median µs per step by phase:");
        double total = 0;
        for (int p = 0; p < phases.Length; p++)
        {
            var sorted = times[p].Order().ToArray();
            double median = sorted[sorted.Length / 2];
            total += median;
            Console.WriteLine($"  {phases[p],-9} {median,8:F1}");
        }
        Console.WriteLine($"  {"sum",-9} {total,8:F1}  ({128 / total * 1e6:F0} samples/s)");
        Console.WriteLine($"allocated {allocated / (double)steps / 1024:F1} KiB per step; collections gen0 {collections[0]}, gen1 {collections[1]}, gen2 {collections[2]} in {steps} steps, {100 * gcShare:F1}% of the time in GC pauses");
        Console.WriteLine($"peak RSS {rssLoaded:F0} MB after loading the data, {MlpWorker.PeakRssMegabytes():F0} MB after training");
        return 0;
    }
}
