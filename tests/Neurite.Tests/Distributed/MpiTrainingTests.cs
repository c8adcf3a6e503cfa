using System.Diagnostics;
using Neurite.Serialization;

namespace Neurite.Tests.Distributed;

/// <summary>The tests that start mpirun run one after the other (two mpiruns at once share Open MPI's session files).</summary>
[CollectionDefinition(Name)]
public sealed class MpirunCollection
{
    public const string Name = "mpirun";
}

/// <summary>
/// <c>mpirun -np 2 neurite train --distributed</c> on loopback, as a user runs it (Open MPI from Debian's
/// <c>openmpi-bin</c>, which test.sh installs): the same model as one process, and failures that end every rank.
/// </summary>
[Collection(MpirunCollection.Name)]
public sealed class MpiTrainingTests : IDisposable
{
    private const string Spec = """
        {"input": [2], "layers": [{"type": "linear", "out": 16}, {"type": "tanh"}, {"type": "linear", "out": 16}, {"type": "relu"},
                                  {"type": "linear", "out": 3}],
         "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}, "epochs": 3, "seed": 5,
         "data": {"source": "spirals:n=405,classes=3,test=100"}}
        """;

    private readonly string _work = Directory.CreateTempSubdirectory("neurite-mpi-").FullName;

    public MpiTrainingTests() => File.WriteAllText(Path.Combine(_work, "spec.json"), Spec);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "Neurite.Cli.dll");

    [Fact]
    public void Two_ranks_at_batch_8_train_the_model_one_process_trains_at_batch_16()
    {
        // 405 samples: 25 global batches of 16 and a last one of 5, split 2 and 3 between the ranks.
        var one = Neurite(["train", "spec.json", "--batch-size", "16", "--out", "one/m.safetensors"]);
        Assert.True(one.Code == 0, one.Error);
        var ranks = Mpirun(2, ["train", "spec.json", "--distributed", "--batch-size", "8", "--out", "ddp/m.safetensors"]);
        Assert.True(ranks.Code == 0, ranks.Output + ranks.Error);
        // Tiny buckets: one all-reduce per parameter tensor, started while backward runs; the same sums.
        var buckets = Mpirun(2, ["train", "spec.json", "--distributed", "--batch-size", "8", "--bucket-mb", "0.0001", "--out", "buckets/m.safetensors"]);
        Assert.True(buckets.Code == 0, buckets.Output + buckets.Error);

        foreach (string run in new[] { "ddp", "buckets" })
        {
            AssertSameWeights(Path.Combine(_work, "one", "m.safetensors"), Path.Combine(_work, run, "m.safetensors"), run);
        }
        // Rank 0 alone wrote and printed: one model file, one table.
        Assert.Single(Directory.GetFiles(Path.Combine(_work, "ddp"), "*.history.csv"));
        Assert.Equal(1, CountOf(ranks.Output, "writing the model"));
    }

    [Fact]
    public void With_synchronized_batch_norm_two_ranks_at_batch_8_train_the_model_one_process_trains_at_batch_16()
    {
        // No bias before the batch norm (it would cancel out): its gradient is rounding noise, which Adam scales to full steps.
        File.WriteAllText(Path.Combine(_work, "bn.json"), Spec.Replace("""{"type": "linear", "out": 16}, {"type": "tanh"}""",
            """{"type": "linear", "out": 16, "bias": false}, {"type": "batch_norm"}, {"type": "tanh"}""", StringComparison.Ordinal));
        var one = Neurite(["train", "bn.json", "--epochs", "1", "--batch-size", "16", "--out", "one/m.safetensors"]);
        Assert.True(one.Code == 0, one.Error);
        var synced = Mpirun(2, ["train", "bn.json", "--epochs", "1", "--distributed", "--sync-batch-norm", "--batch-size", "8", "--out", "synced/m.safetensors"]);
        Assert.True(synced.Code == 0, synced.Output + synced.Error);
        AssertSameWeights(Path.Combine(_work, "one", "m.safetensors"), Path.Combine(_work, "synced", "m.safetensors"), "synced");

        // Each rank normalizing its own 8 samples trains another model: the comparison above can fail.
        var alone = Mpirun(2, ["train", "bn.json", "--epochs", "1", "--distributed", "--batch-size", "8", "--out", "alone/m.safetensors"]);
        Assert.True(alone.Code == 0, alone.Output + alone.Error);
        var differs = Record.Exception(() => AssertSameWeights(Path.Combine(_work, "one", "m.safetensors"), Path.Combine(_work, "alone", "m.safetensors"), "alone"));
        Assert.NotNull(differs);

        // The end of the run and the history say how long the gradients' all-reduces took.
        Assert.Contains("communication over 2 ranks, 26 steps, buckets ", synced.Output);
        string header = File.ReadLines(Directory.GetFiles(Path.Combine(_work, "synced"), "*.history.csv").Single()).First();
        Assert.EndsWith(",comm_seconds,comm_exposed_seconds", header);
    }

    [Fact]
    public void A_time_limit_stops_every_rank_at_the_same_step()
    {
        // Each rank's clock runs out at a different step; a rank that stopped alone would leave the other waiting.
        var result = Run("mpirun", [.. MpirunOptions, "-x", "NEURITE_MPI_TIMEOUT=20", "-np", "2", "dotnet", Cli, "train", "spec.json", "--distributed",
            "--batch-size", "8", "--epochs", "100000", "--time-limit", "2", "--json", "--out", "limit/m.safetensors"], TimeSpan.FromMinutes(2));
        Assert.True(result.Code == 0, result.Output + result.Error);
        Assert.Contains("\"stopped\":\"timelimit\"", result.Output);
        Assert.True(File.Exists(Path.Combine(_work, "limit", "m.safetensors")));
    }

    [Fact]
    public void Bad_input_on_one_rank_ends_every_rank_with_its_message()
    {
        var result = Run("mpirun", [.. MpirunOptions, "-np", "1", "dotnet", Cli, "train", "spec.json", "--distributed",
            ":", "-np", "1", "dotnet", Cli, "train", "spec.json", "--distributed", "--data", "missing.csv"], TimeSpan.FromMinutes(2));
        Assert.NotEqual(0, result.Code);
        Assert.Contains("neurite: rank 1 of 2: ", result.Error);
        Assert.Contains("missing.csv", result.Error);
    }

    [Fact]
    public void A_rank_that_stops_answering_is_noticed_by_the_others_timeout()
    {
        // Rank 1 is suspended (SIGSTOP) while training: rank 0 waits in an all-reduce until NEURITE_MPI_TIMEOUT, then ends the run.
        var (ended, code, printed) = Interrupt("-STOP", ["-x", "NEURITE_MPI_TIMEOUT=3"]);
        Assert.True(ended, $"mpirun did not end within 60 s of a rank being suspended:\n{printed}");
        Assert.NotEqual(0, code);
        Assert.Contains("neurite: rank 0 of 2: the other ranks did not answer within 3 s", printed);
    }

    [Fact]
    public void A_killed_rank_ends_the_run()
    {
        var (ended, code, printed) = Interrupt("-KILL", []);
        Assert.True(ended, $"mpirun did not end within 60 s of a rank being killed:\n{printed}");
        Assert.NotEqual(0, code);
        Assert.False(File.Exists(Path.Combine(_work, "long", "m.safetensors")), "a killed run wrote a model file");
    }

    /// <summary>
    /// Starts a long two-rank run, sends <paramref name="signal"/> to rank 1 once rank 0 has printed its third epoch,
    /// and gives mpirun 60 s to end: whether it ended, its exit code, and everything printed.
    /// </summary>
    private (bool Ended, int Code, string Printed) Interrupt(string signal, string[] options)
    {
        File.WriteAllText(Path.Combine(_work, "long.json"), Spec.Replace("\"epochs\": 3", "\"epochs\": 2000", StringComparison.Ordinal));
        using var mpirun = Start("mpirun", [.. MpirunOptions, .. options, "-np", "2", "dotnet", Cli, "train", "long.json", "--distributed", "--batch-size", "8", "--out", "long/m.safetensors"]);
        var printed = new System.Text.StringBuilder();
        using var training = new ManualResetEventSlim();
        void Collect(string? line)
        {
            lock (printed)
            {
                printed.AppendLine(line);
            }
            if (line is not null && System.Text.RegularExpressions.Regex.IsMatch(line, @"^epoch +3/"))
            {
                training.Set();
            }
        }
        mpirun.OutputDataReceived += (_, e) => Collect(e.Data);
        mpirun.ErrorDataReceived += (_, e) => Collect(e.Data);
        mpirun.BeginOutputReadLine();
        mpirun.BeginErrorReadLine();
        // What was printed is read under the lock: the output handlers may still be appending to it.
        string Printed()
        {
            lock (printed)
            {
                return printed.ToString();
            }
        }
        Assert.True(training.Wait(TimeSpan.FromMinutes(2)), $"rank 0 did not reach epoch 3 within 2 minutes:\n{Printed()}");
        int rank1 = RankProcess(mpirun.Id, rank: 1);
        Process.Start("kill", [signal, rank1.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        bool ended = mpirun.WaitForExit(TimeSpan.FromSeconds(60));
        if (!ended)
        {
            mpirun.Kill(entireProcessTree: true);
            Process.Start("kill", ["-KILL", rank1.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }
        mpirun.WaitForExit();
        return (ended, mpirun.ExitCode, Printed());
    }

    /// <summary>The two model files hold the same tensors, each within 1e-5 of its largest weight.</summary>
    internal static void AssertSameWeights(string expectedFile, string actualFile, string run)
    {
        var expected = ModelFile.Load(expectedFile).Module.StateDict();
        var actual = ModelFile.Load(actualFile).Module.StateDict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, tensor) in expected)
        {
            float[] want = tensor.ToArray(), got = actual[name].ToArray();
            float scale = want.Max(MathF.Abs);
            float worst = want.Zip(got, (a, b) => MathF.Abs(a - b)).Max();
            Assert.True(worst <= 1e-5f * scale, $"{run}: {name} differs by {worst} (largest weight {scale})");
        }
    }

    private static readonly string[] MpirunOptions = ["--allow-run-as-root", "--oversubscribe", "-x", "TERM=dumb"];

    private (int Code, string Output, string Error) Mpirun(int ranks, string[] args) =>
        Run("mpirun", [.. MpirunOptions, "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet", Cli, .. args], TimeSpan.FromMinutes(3));

    private (int Code, string Output, string Error) Neurite(string[] args) => Run("dotnet", [Cli, .. args], TimeSpan.FromMinutes(2));

    private (int Code, string Output, string Error) Run(string program, string[] args, TimeSpan limit)
    {
        using var process = Start(program, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {limit}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private Process Start(string program, string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = _work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed: test.sh installs openmpi-bin ({e.Message})");
        }
    }

    /// <summary>The process id of rank <paramref name="rank"/> among mpirun's children (Open MPI sets OMPI_COMM_WORLD_RANK in each).</summary>
    private static int RankProcess(int mpirun, int rank)
    {
        foreach (string task in Directory.GetDirectories($"/proc/{mpirun}/task"))
        {
            foreach (string child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.ReadAllText($"/proc/{child}/environ").Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                {
                    return int.Parse(child, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        throw new InvalidOperationException($"no process of rank {rank} under mpirun ({mpirun})");
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
