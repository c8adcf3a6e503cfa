using System.Diagnostics;
using Neurite.Serialization;
using Xunit.Abstractions;

namespace Neurite.Tests.Cli;

/// <summary>
/// <c>neurite train</c>, the built command as a child process, killed with SIGKILL at random moments: while it starts,
/// trains, writes a checkpoint, the history, the report or the model. Every file left is a complete one, the previous
/// or the new, and resuming from what is left ends with the weights of an uninterrupted run, bit for bit.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-kill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Adam's moments, dropout, shuffling and a cosine schedule carry state across a resume; 34k parameters make each checkpoint about 400 kB.</summary>
    private const string Spec = """
        {"input": [2], "layers": [{"type": "linear", "out": 128}, {"type": "relu"}, {"type": "dropout", "p": 0.2},
          {"type": "linear", "out": 128}, {"type": "relu"}, {"type": "linear", "out": 2}],
         "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.005}, "schedule": {"type": "cosine", "t_max": 24},
         "batch_size": 32, "epochs": 24, "seed": 9, "data": {"source": "moons:n=1280,test=100", "validation_split": 0.2}}
        """;

    private const int Kills = 24;

    [Fact]
    public async Task Killed_at_random_moments_it_leaves_complete_files_and_resumes_to_the_uninterrupted_weights()
    {
        File.WriteAllText(PathOf("spec.json"), Spec);
        Directory.CreateDirectory(PathOf("straight"));
        Directory.CreateDirectory(PathOf("killed"));
        var clock = Stopwatch.StartNew();
        var (code, _, error) = CliProcess.Run(_directory, "train", "spec.json", "--out", Path.Combine("straight", "model.safetensors"), "--json");
        Assert.True(code == 0, error);
        var duration = clock.Elapsed;
        var expected = SafeTensors.Load(PathOf("straight/model.safetensors")).Tensors;

        // A complete model from an earlier run sits where the killed runs write theirs.
        string model = PathOf("killed/model.safetensors"), last = PathOf("killed/model.last.ckpt.safetensors"), best = PathOf("killed/model.best.ckpt.safetensors");
        Assert.Equal(0, CliProcess.Run(_directory, "train", "spec.json", "--epochs", "1", "--seed", "1", "--out", model, "--json").Code);
        foreach (string file in new[] { last, best, PathOf("killed/model.history.csv") })
        {
            File.Delete(file);
        }
        var previous = File.ReadAllBytes(model);

        var random = new Random(20261201);
        int epoch = 0, finished = 0, midWrite = 0;
        for (int kill = 0; kill < Kills; kill++)
        {
            string[] args = ["train", "spec.json", "--out", Path.Combine("killed", "model.safetensors"), "--json", .. File.Exists(last) ? ["--resume", last] : Array.Empty<string>()];
            using var process = CliProcess.Start(_directory, args);
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            // Up to 80 % of a whole run: the runs creep forward through the epochs, and the late ones through the final writes.
            if (process.WaitForExit(TimeSpan.FromSeconds(duration.TotalSeconds * 0.8 * random.NextDouble())))
            {
                Assert.True(process.ExitCode == 0, await stderr);
                finished++;
            }
            else
            {
                process.Kill(); // SIGKILL: no handler runs, no file is closed
                await process.WaitForExitAsync();
            }
            await Task.WhenAll(stdout, stderr);

            // The model file is the previous complete one or the new complete one.
            var bytes = File.ReadAllBytes(model);
            if (!bytes.AsSpan().SequenceEqual(previous))
            {
                AssertSameWeights(expected, SafeTensors.Load(model).Tensors, $"kill {kill}: the model file");
            }
            // Checkpoints are whole and never go back in time.
            if (File.Exists(last))
            {
                int saved = (int)Checkpoint.Load(last).Training["epoch"]!;
                Assert.True(saved >= epoch, $"kill {kill}: the last checkpoint went from epoch {epoch} back to {saved}");
                epoch = saved;
            }
            if (File.Exists(best))
            {
                Checkpoint.Load(best);
            }
            if (File.Exists(PathOf("killed/model.history.csv")))
            {
                var lines = File.ReadAllLines(PathOf("killed/model.history.csv"));
                int columns = lines[0].Split(',').Length;
                Assert.All(lines, line => Assert.Equal(columns, line.Split(',').Length));
            }
            if (File.Exists(PathOf("killed/model.report.html")))
            {
                Assert.EndsWith("</html>", File.ReadAllText(PathOf("killed/model.report.html")).TrimEnd());
            }
        }

        midWrite = Directory.GetFiles(PathOf("killed"), ".*.tmp").Length;

        // Resuming from whatever the kills left ends where the uninterrupted run did.
        var resumed = CliProcess.Run(_directory, ["train", "spec.json", "--out", Path.Combine("killed", "model.safetensors"), "--json", .. File.Exists(last) ? ["--resume", last] : Array.Empty<string>()]);
        Assert.True(resumed.Code == 0, resumed.Error);
        AssertSameWeights(expected, SafeTensors.Load(model).Tensors, "after the last resume");
        output.WriteLine($"{Kills} runs started: {Kills - finished} killed (the last checkpoint reached epoch {epoch} of 24), {finished} finished first; "
            + $"{midWrite} temporary file(s) left by kills during a write, never read; one uninterrupted run took {duration.TotalSeconds:0.0} s");
    }

    private static void AssertSameWeights(IReadOnlyDictionary<string, Neurite.Tensors.Tensor> expected, IReadOnlyDictionary<string, Neurite.Tensors.Tensor> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            Assert.True(tensor.ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(actual[name].ToArray().Select(BitConverter.SingleToInt32Bits)),
                $"{what}: {name} differs from the uninterrupted run's");
        }
    }
}
