using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.Distributed;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Bench;

/// <summary>
/// `mpi [--quick] [--steps-mlp N] [--steps-cnn N] [--buckets 25,0.1,0.02] [--out FILE]`: data-parallel training (issue 16)
/// on Fashion-MNIST. For the MLP (784-256-128-10) and the CNN of examples/fashion-mnist-cnn.json, Adam at a global
/// batch of 128: one process on 2 threads, then `mpirun -np 2` ranks on 1 thread at batch 64 each, once per bucket size
/// (and for the CNN once more with synchronized batch norm). Each run is `mpi-worker` in processes of its own, training
/// through <see cref="Trainer"/> and <see cref="DataParallel"/> as `neurite train --distributed` does: samples/s, the
/// all-reduces' time in flight and exposed after backward per step, the buckets, and all-reduce times of 4 B and of
/// the whole gradient. Then a projection to 8 and 64 ranks at 10 and 100 Gbit/s from the measured compute time per
/// step (ring all-reduce model, printed with its assumptions). Writes bench/results/mpi.json.
/// </summary>
internal static class MpiBench
{
    private const int GlobalBatch = 128;
    private const int WarmupSteps = 5;

    /// <summary>Latency of one message hop between two hosts, for the projection (TCP over a switched Ethernet).</summary>
    private const double HopSeconds = 20e-6;

    private static readonly Dictionary<string, string> Specs = new()
    {
        ["mlp"] = """
            {"input": [784], "layers": [{"type": "linear", "out": 256}, {"type": "relu"}, {"type": "linear", "out": 128}, {"type": "relu"},
                                       {"type": "linear", "out": 10}]}
            """,
    };

    public static int Run(string[] args)
    {
        bool quick = false;
        int? stepsMlp = null, stepsCnn = null;
        double[]? buckets = null;
        string output = Path.Combine(GemmBench.BenchDirectory(), "results", "mpi.json");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--steps-mlp": stepsMlp = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps-cnn": stepsCnn = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--buckets": buckets = [.. args[++i].Split(',').Select(b => double.Parse(b, CultureInfo.InvariantCulture))]; break;
                case "--out": output = args[++i]; break;
                case "--no-reference": break; // nothing to compare against: all rows are Neurite's
                default:
                    Console.Error.WriteLine($"mpi: unknown option {args[i]}");
                    return 2;
            }
        }
        // One weight tensor holds most of each gradient (the MLP's first layer, the CNN's first linear layer): 25 MiB
        // is one bucket for either net, 0.1 MiB splits off the layers backward reaches first, 0.02 MiB the convolutions too.
        buckets ??= quick ? [25, 0.1] : [25, 0.1, 0.02];
        var steps = new Dictionary<string, int> { ["mlp"] = stepsMlp ?? (quick ? 30 : 400), ["cnn"] = stepsCnn ?? (quick ? 4 : 60) };

        var rows = new JsonArray();
        foreach (var (model, count) in steps)
        {
            string s = count.ToString(CultureInfo.InvariantCulture);
            rows.Add(Row(model, "1 process × 2 threads", 1, 25, false,
                () => Comparison.RunSelf(["mpi-worker", "--model", model, "--threads", "2", "--batch", "128", "--steps", s])));
            foreach (double bucket in buckets)
            {
                rows.Add(Row(model, $"2 ranks × 1 thread, bucket {bucket} MiB", 2, bucket, false, () => Mpirun(model, s, bucket, false)));
            }
            if (model == "cnn")
            {
                rows.Add(Row(model, "2 ranks × 1 thread, sync batch norm", 2, buckets[0], true, () => Mpirun(model, s, buckets[0], true)));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Data-parallel training, Fashion-MNIST, Adam, global batch {GlobalBatch}; {Environment.ProcessorCount} cores, load {Machine.LoadAverage()}");
        Console.WriteLine($"{"model",-5} {"run",-42} {"samples/s",10} {"ms/step",8} {"comm ms",8} {"exposed",8} {"comm %",7} {"exp. %",7}  buckets (KiB)");
        foreach (var row in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(string)row!["model"]!,-5} {(string)row["run"]!,-42} {(double)row["samples_per_s"]!,10:F0} {(double)row["step_ms"]!,8:F2} {(double?)row["comm_ms_per_step"],8:F2} {(double?)row["exposed_ms_per_step"],8:F2} {(double?)row["comm_share_percent"],7:F1} {(double?)row["exposed_share_percent"],7:F1}  {row["bucket_kib"]?.ToJsonString() ?? ""}"));
        }

        var projection = Projection(rows);
        var json = new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("o"),
            ["processors"] = Environment.ProcessorCount,
            ["load_average_after"] = Machine.LoadAverage(),
            ["global_batch"] = GlobalBatch,
            ["steps"] = JsonSerializer.SerializeToNode(steps),
            ["quick"] = quick,
            ["results"] = rows,
            ["projection"] = projection,
        };
        Comparison.WriteAtomically(output, json);
        Console.WriteLine();
        Console.WriteLine($"Results written to {Path.GetFullPath(output)}");
        return 0;
    }

    private static JsonObject Row(string model, string run, int ranks, double bucketMegabytes, bool syncBatchNorm, Func<JsonNode> measure)
    {
        var result = Machine.Measured("mpi", $"{model}, {run}", measure).AsObject();
        double stepSeconds = (double)result["seconds"]! / (double)result["steps"]!;
        var row = new JsonObject
        {
            ["model"] = model,
            ["run"] = run,
            ["ranks"] = ranks,
            ["sync_batch_norm"] = syncBatchNorm,
            ["bucket_mb"] = ranks > 1 ? bucketMegabytes : null,
            ["samples_per_s"] = Math.Round(GlobalBatch / stepSeconds, 1),
            ["step_ms"] = Math.Round(stepSeconds * 1000, 3),
            ["gradient_bytes"] = (long)result["gradient_bytes"]!,
            ["batch_norm_channels"] = (long)result["batch_norm_channels"]!,
        };
        if (ranks > 1)
        {
            double comm = (double)result["comm_seconds"]! / (double)result["steps"]!, exposed = (double)result["exposed_seconds"]! / (double)result["steps"]!;
            row["comm_ms_per_step"] = Math.Round(comm * 1000, 3);
            row["exposed_ms_per_step"] = Math.Round(exposed * 1000, 3);
            row["comm_share_percent"] = Math.Round(100 * comm / stepSeconds, 2);
            row["exposed_share_percent"] = Math.Round(100 * exposed / stepSeconds, 2);
            row["compute_ms_per_step"] = Math.Round((stepSeconds - exposed) * 1000, 3);
            row["bucket_kib"] = new JsonArray([.. result["bucket_bytes"]!.AsArray().Select(b => (JsonNode)Math.Round((long)b! / 1024.0, 1))]);
            row["allreduce_4b_us"] = result["allreduce_4b_us"]!.DeepClone();
            row["allreduce_gradient_ms"] = result["allreduce_gradient_ms"]!.DeepClone();
        }
        return row;
    }

    private static JsonNode Mpirun(string model, string steps, double bucket, bool syncBatchNorm)
    {
        var info = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, UseShellExecute = false };
        string self = Environment.ProcessPath!;
        string[] program = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [self, typeof(MpiBench).Assembly.Location] : [self];
        foreach (string arg in (string[])["--allow-run-as-root", "--oversubscribe", "-np", "2", "-x", "TERM=dumb", .. program,
            "mpi-worker", "--model", model, "--threads", "1", "--batch", "64", "--steps", steps, "--bucket-mb", bucket.ToString(CultureInfo.InvariantCulture),
            .. syncBatchNorm ? (string[])["--sync-batch-norm"] : []])
        {
            info.ArgumentList.Add(arg);
        }
        return Comparison.RunJson(info, $"mpirun -np 2 mpi-worker --model {model}");
    }

    /// <summary>
    /// Weak scaling, each rank at the measured per-rank batch and compute time per step (the 2-rank run with the
    /// largest bucket: its step minus its exposed communication), the gradient in buckets as measured. A ring
    /// all-reduce of b bytes over N ranks takes 2(N − 1) hops of latency α and moves 2(N − 1)/N · b over each link
    /// of bandwidth β: T = Σ over buckets of [2(N − 1)·α + 2(N − 1)/N · b / β]. The step takes between
    /// max(compute, T) (all overlapped with backward) and compute + T (none). Synchronized batch norm adds S, per layer
    /// and step an all-reduce of N·(2C + 1) doubles in forward (the gather of every rank's moments) and one of 2C
    /// doubles in backward, which the step waits for: between max(compute, T) + S and compute + T + S.
    /// </summary>
    private static JsonObject Projection(JsonArray rows)
    {
        var projection = new JsonObject
        {
            ["model"] = "ring all-reduce: per bucket 2(N-1)*alpha + 2(N-1)/N * bytes / bandwidth; step between max(compute, gradients) + sync_bn and compute + gradients + sync_bn; sync_bn per layer: all-reduce of N(2C+1) and of 2C doubles",
            ["alpha_us"] = HopSeconds * 1e6,
            ["per_rank_batch"] = GlobalBatch / 2,
        };
        var cases = new JsonArray();
        Console.WriteLine();
        Console.WriteLine($"Projection (weak scaling, {GlobalBatch / 2} samples per rank per step, compute per step as measured on 2 ranks; ring all-reduce,");
        Console.WriteLine($"per bucket 2(N−1)·α + 2(N−1)/N · bytes / bandwidth, α = {HopSeconds * 1e6:0} µs a hop; step between max(compute, gradients) + sync bn's all-reduces and their sum):");
        Console.WriteLine($"{"model",-5} {"sync bn",7} {"ranks",5} {"Gbit/s",6} {"comm ms",8} {"step ms",16} {"samples/s",20} {"efficiency",14}");
        foreach (var row in rows.Select(r => r!.AsObject()).Where(r => (int)r["ranks"]! == 2)
                     .GroupBy(r => ((string)r["model"]!, (bool)r["sync_batch_norm"]!)).Select(g => g.MaxBy(r => (double)r["bucket_mb"]!)!))
        {
            double compute = (double)row["compute_ms_per_step"]! / 1000;
            var bucketBytes = row["bucket_kib"]!.AsArray().Select(b => (double)b! * 1024).ToArray();
            long channels = (long)row["batch_norm_channels"]!;
            int layers = (bool)row["sync_batch_norm"]! ? BatchNormLayers((string)row["model"]!) : 0;
            foreach (int ranks in new[] { 8, 64 })
            {
                foreach (double gigabits in new[] { 10.0, 100.0 })
                {
                    double bandwidth = gigabits * 1e9 / 8;
                    double hops = 2.0 * (ranks - 1);
                    double gradients = bucketBytes.Sum(bytes => hops * HopSeconds + hops / ranks * bytes / bandwidth);
                    // Synchronized batch norm, per layer: forward's gather, an all-reduce of N·(2C + 1) doubles, and
                    // backward's all-reduce of 2C doubles; the layers' C sum to `channels`. Neither overlaps: the
                    // step waits for each before going on.
                    double statistics = layers == 0 ? 0
                        : 2 * layers * hops * HopSeconds + hops / ranks * ((double)ranks * (2 * channels + layers) + 2 * channels) * sizeof(double) / bandwidth;
                    double comm = gradients + statistics;
                    double best = Math.Max(compute, gradients) + statistics, worst = compute + comm;
                    int samples = ranks * GlobalBatch / 2;
                    cases.Add(new JsonObject
                    {
                        ["model"] = (string)row["model"]!,
                        ["sync_batch_norm"] = layers > 0,
                        ["ranks"] = ranks,
                        ["gbit_per_s"] = gigabits,
                        ["compute_ms"] = Math.Round(compute * 1000, 3),
                        ["comm_ms"] = Math.Round(comm * 1000, 3),
                        ["step_ms_overlapped"] = Math.Round(best * 1000, 3),
                        ["step_ms_serial"] = Math.Round(worst * 1000, 3),
                        ["samples_per_s_overlapped"] = Math.Round(samples / best, 0),
                        ["samples_per_s_serial"] = Math.Round(samples / worst, 0),
                        ["efficiency_overlapped"] = Math.Round(compute / best, 3),
                        ["efficiency_serial"] = Math.Round(compute / worst, 3),
                    });
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{(string)row["model"]!,-5} {(layers > 0 ? "yes" : "no"),7} {ranks,5} {gigabits,6:0} {comm * 1000,8:F2} {best * 1000,7:F1} – {worst * 1000,6:F1} {samples / worst,9:F0} – {samples / best,8:F0} {compute / worst,6:P0} – {compute / best,5:P0}"));
                }
            }
        }
        projection["cases"] = cases;
        return projection;
    }

    private static int BatchNormLayers(string model) => Spec(model).Layers.Count(layer => layer is BatchNormSpec);

    private static ModelSpec Spec(string model) => model == "cnn"
        ? ModelSpec.Parse(File.ReadAllText(Path.Combine(GemmBench.BenchDirectory(), "..", "examples", "fashion-mnist-cnn.json")))
        : ModelSpec.Parse(Specs[model]);

    /// <summary>
    /// `mpi-worker --model mlp|cnn --threads T --batch B --steps S [--bucket-mb X] [--sync-batch-norm]`: under mpirun, one
    /// rank of a data-parallel run at batch B per rank; alone, one process at batch B. Trains WarmupSteps untimed steps,
    /// then S timed ones, on the first (WarmupSteps + S)·global batch Fashion-MNIST training images (pixels scaled to
    /// [0, 1], no augmentation); rank 0 prints one JSON object.
    /// </summary>
    public static int Worker(string[] args)
    {
        string model = "mlp";
        int threads = 1, batch = 64, steps = 20;
        double bucketMegabytes = 25;
        bool syncBatchNorm = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch": batch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--bucket-mb": bucketMegabytes = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sync-batch-norm": syncBatchNorm = true; break;
                default:
                    Console.Error.WriteLine($"mpi-worker: unknown option {args[i]}");
                    return 2;
            }
        }
        Parallelism.MaxThreads = threads;
        using var mpi = MpiCommunicator.LaunchedByMpirun ? new MpiCommunicator() : null;
        var communicator = mpi is { Size: > 1 } ? mpi : null;
        int ranks = communicator?.Size ?? 1;

        var spec = Spec(model);
        var module = spec.Build(new Generator(1));
        var dataParallel = communicator is null ? null : new DataParallel(module, communicator, (int)Math.Round(bucketMegabytes * (1 << 20)));
        if (communicator is not null && syncBatchNorm)
        {
            BatchNorm.ConvertSyncBatchNorm(module, communicator);
        }
        var trainer = new Trainer(module, Objective.FromName("cross_entropy"), new Adam(module.Parameters()))
        {
            InputShape = spec.Input,
            Callbacks = dataParallel is null ? [] : [dataParallel],
            Communicator = communicator,
        };
        var (warmup, timed) = LoadData(batch * ranks, steps);
        var shard = communicator is null ? (Shard?)null : new Shard(communicator.Rank, ranks);
        trainer.Fit(new DataLoader(warmup, batch * ranks, shuffle: true, seed: 1, shard: shard), null, 1);
        var (exposedBefore, commBefore) = (dataParallel?.ExposedCommunicationSeconds ?? 0, dataParallel?.CommunicationSeconds ?? 0);
        long start = Stopwatch.GetTimestamp();
        trainer.Fit(new DataLoader(timed, batch * ranks, shuffle: true, seed: 2, shard: shard), null, epochs: 2); // two in all: one more
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var result = new JsonObject
        {
            ["model"] = model,
            ["ranks"] = ranks,
            ["threads"] = threads,
            ["steps"] = steps,
            ["seconds"] = seconds,
            ["gradient_bytes"] = module.Parameters().Sum(p => (long)p.Count) * sizeof(float),
            ["batch_norm_channels"] = module.Modules().OfType<BatchNorm>().Sum(layer => (long)layer.NumFeatures),
        };
        if (dataParallel is not null)
        {
            result["comm_seconds"] = dataParallel.CommunicationSeconds - commBefore;
            result["exposed_seconds"] = dataParallel.ExposedCommunicationSeconds - exposedBefore;
            result["bucket_bytes"] = new JsonArray([.. dataParallel.BucketLengths.Select(length => (JsonNode)(length * sizeof(float)))]);
            result["allreduce_4b_us"] = AllReduceSeconds(communicator!, 1, 200) * 1e6;
            result["allreduce_gradient_ms"] = AllReduceSeconds(communicator!, dataParallel.BucketLengths.Sum(), 20) * 1e3;
        }
        if (communicator is not { Rank: > 0 })
        {
            Console.WriteLine(result.ToJsonString());
        }
        return 0;
    }

    /// <summary>The median time of a blocking all-reduce of <paramref name="floats"/> floats over the ranks.</summary>
    private static double AllReduceSeconds(ICommunicator communicator, int floats, int reps)
    {
        var values = new float[floats];
        var times = new double[reps];
        communicator.AllReduceSum(values);
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            communicator.AllReduceSum(values);
            times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return times[reps / 2];
    }

    /// <summary>The first (WarmupSteps + steps) global batches of Fashion-MNIST's training set, pixels scaled to [0, 1]: the warm-up's and the timed part.</summary>
    private static (Dataset Warmup, Dataset Timed) LoadData(int globalBatch, int steps)
    {
        var data = Idx.LoadFashionMnist();
        var scale = MinMaxScale.Fit(data.Train, perFeature: false);
        var train = scale.Apply(data.Train);
        int warmup = WarmupSteps * globalBatch, timed = steps * globalBatch;
        if (warmup + timed > train.Count)
        {
            throw new ArgumentException($"mpi-worker: {steps} steps of {globalBatch} need more than the {train.Count} training images");
        }
        return (train.Subset([.. Enumerable.Range(0, warmup)]), train.Subset([.. Enumerable.Range(warmup, timed)]));
    }
}
