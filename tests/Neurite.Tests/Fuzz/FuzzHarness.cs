using System.Globalization;
using System.Security.Cryptography;

namespace Neurite.Tests.Fuzz;

/// <summary>
/// A reader under fuzzing: the folder of its corpus under tests/fuzz, how to read a file, which exceptions are clean
/// refusals, and how much it may allocate for an input of a given size.
/// </summary>
/// <param name="Name">The corpus folder, tests/fuzz/NAME; failures are saved to tests/fuzz/NAME/crashes.</param>
/// <param name="Read">Reads the file at the path as a user's command would; throws on a file it refuses.</param>
/// <param name="Refusals">Exception types that are clean refusals: their message is one line naming the file.</param>
/// <param name="Unnamed">Clean refusals that need not name the file (a valid file that does not fit other input).</param>
/// <param name="BytesPerInputByte">With <paramref name="BaseBytes"/>, the most a read may allocate: base + this × file size.</param>
/// <param name="BaseBytes">See <paramref name="BytesPerInputByte"/>.</param>
/// <param name="Structured">A format-aware mutation, tried for half the inputs (a header re-framed with its length, say).</param>
internal sealed record FuzzTarget(
    string Name, Action<string> Read, Type[] Refusals, long BytesPerInputByte, long BaseBytes,
    Func<byte[], Mutator, byte[]>? Structured = null, Type[]? Unnamed = null);

/// <summary>What reading one input did.</summary>
internal sealed record FuzzOutcome(bool Accepted, string? Refusal, string? Failure);

/// <summary>
/// Mutates a reader's committed corpus (tests/fuzz/NAME) and checks every outcome: a valid result, or a clean
/// one-line refusal naming the file; never another exception, a hang, or an allocation out of proportion to the
/// file. A failing input is saved to tests/fuzz/NAME/crashes, where the reproducer test replays it.
/// </summary>
/// <remarks>
/// The normal test run uses a small fixed number of iterations and fixed seeds. NEURITE_FUZZ_SCALE=K runs K times as
/// many (a longer run on demand), NEURITE_FUZZ_SEED=S varies the seeds.
/// </remarks>
internal static class FuzzHarness
{
    /// <summary>A read that takes this long is taken for a hang (a sanity bound, far above any real read here).</summary>
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(20);

    public static int Scale => int.TryParse(Environment.GetEnvironmentVariable("NEURITE_FUZZ_SCALE"), CultureInfo.InvariantCulture, out int k) && k > 0 ? k : 1;

    public static int BaseSeed => int.TryParse(Environment.GetEnvironmentVariable("NEURITE_FUZZ_SEED"), CultureInfo.InvariantCulture, out int s) ? s : 0;

    public static string CorpusDirectory(string name) => Path.Combine(ReadmeTests.RepositoryRoot(), "tests", "fuzz", name);

    /// <summary>The committed inputs of a reader: its seeds, then the reproducers of failures found before.</summary>
    public static string[] Corpus(string name)
    {
        string directory = CorpusDirectory(name);
        string crashes = Path.Combine(directory, "crashes");
        string[] reproducers = Directory.Exists(crashes) ? Directory.GetFiles(crashes) : [];
        return [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal), .. reproducers.Order(StringComparer.Ordinal)];
    }

    /// <summary>Runs <paramref name="iterations"/> × <see cref="Scale"/> mutated inputs; returns a summary line, or fails with the inputs that failed.</summary>
    public static string Run(FuzzTarget target, int iterations)
    {
        var corpus = Corpus(target.Name).Select(path => (Path: path, Bytes: File.ReadAllBytes(path))).ToArray();
        Assert.NotEmpty(corpus);
        using var scratch = new Scratch();
        // A seed per reader that is the same in every process (string.GetHashCode is randomized per process).
        var mutator = new Mutator(BaseSeed * 7919 + target.Name.Sum(c => c) % 1000);
        int accepted = 0, refused = 0;
        var failures = new List<string>();
        var refusals = new Dictionary<string, int>(StringComparer.Ordinal);
        int total = iterations * Scale;
        for (int i = 0; i < total && failures.Count < 5; i++)
        {
            var (seedPath, seedBytes) = corpus[mutator.Next(corpus.Length)];
            var other = corpus[mutator.Next(corpus.Length)].Bytes;
            var input = target.Structured is not null && mutator.Next(2) == 0 ? target.Structured(seedBytes, mutator) : mutator.Mutate(seedBytes, other);
            var outcome = Check(target, input, scratch.PathFor(seedPath));
            if (outcome.Failure is { } failure)
            {
                failures.Add($"{Save(target.Name, input, seedPath)}: {failure}");
            }
            else if (outcome.Accepted)
            {
                accepted++;
            }
            else
            {
                refused++;
                string kind = Kind(outcome.Refusal!, path: scratch.PathFor(seedPath));
                refusals[kind] = refusals.GetValueOrDefault(kind) + 1;
            }
        }
        Assert.True(failures.Count == 0, $"{target.Name}: {failures.Count} input(s) failed (saved as reproducers):\n{string.Join("\n", failures)}");
        var common = refusals.OrderByDescending(r => r.Value).Take(8).Select(r => $"  {r.Value,6}  {r.Key}");
        return $"{target.Name}: {total} mutated inputs, {accepted} read, {refused} refused cleanly; the commonest refusals:\n{string.Join("\n", common)}";
    }

    /// <summary>A refusal without the file's path and with its numbers and quoted text blanked, to count refusals by kind.</summary>
    private static string Kind(string message, string path)
    {
        string text = message.Replace(path, "FILE", StringComparison.Ordinal);
        text = System.Text.RegularExpressions.Regex.Replace(text, "\"[^\"]*\"|'[^']*'", "\"…\"");
        text = System.Text.RegularExpressions.Regex.Replace(text, "-?[0-9][0-9.eE+-]*", "N");
        return text.Length > 120 ? text[..120] + "…" : text;
    }

    /// <summary>Reads one input written to <paramref name="path"/> and judges the outcome.</summary>
    public static FuzzOutcome Check(FuzzTarget target, byte[] input, string path)
    {
        File.WriteAllBytes(path, input);
        long allowed = target.BaseBytes + target.BytesPerInputByte * input.Length;
        long allocated = 0;
        Exception? thrown = null;
        var read = Task.Factory.StartNew(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                target.Read(path);
            }
            catch (Exception e)
            {
                thrown = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!read.Wait(HangBound))
        {
            return new(false, null, $"no answer after {HangBound.TotalSeconds} s (a hang)");
        }
        if (allocated > allowed)
        {
            return new(false, null, $"allocated {allocated:N0} bytes for a {input.Length:N0}-byte file (at most {allowed:N0})");
        }
        if (thrown is null)
        {
            return new(true, null, null);
        }
        string message = thrown.Message;
        bool refusal = target.Refusals.Any(type => type.IsInstanceOfType(thrown));
        bool unnamed = target.Unnamed?.Any(type => type.IsInstanceOfType(thrown)) == true;
        if (!refusal && !unnamed)
        {
            return new(false, null, $"{thrown.GetType().Name}: {FirstLine(message)}\n{thrown.StackTrace}");
        }
        if (message.Contains('\n', StringComparison.Ordinal))
        {
            return new(false, null, $"a message of several lines: {message}");
        }
        if (refusal && !message.Contains(Path.GetFileName(path), StringComparison.Ordinal))
        {
            return new(false, null, $"a message that does not name the file: {message}");
        }
        return new(false, message, null);
    }

    private static string FirstLine(string message) => message.Split('\n')[0];

    /// <summary>Saves a failing input beside the corpus, named by its hash; returns the path.</summary>
    public static string Save(string name, byte[] input, string seedPath)
    {
        string directory = Path.Combine(CorpusDirectory(name), "crashes");
        Directory.CreateDirectory(directory);
        string hash = Convert.ToHexStringLower(SHA256.HashData(input))[..16];
        string path = Path.Combine(directory, hash + Extension(seedPath));
        File.WriteAllBytes(path, input);
        return Path.GetRelativePath(ReadmeTests.RepositoryRoot(), path);
    }

    /// <summary>The seed's extension, double ones (.ckpt.safetensors) included, so that the reproducer reads as its seed did.</summary>
    private static string Extension(string path)
    {
        string file = Path.GetFileName(path);
        int dot = file.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? "" : file[dot..];
    }

    /// <summary>A temporary folder for the inputs, named like their seeds.</summary>
    private sealed class Scratch : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("neurite-fuzz-").FullName;

        public string PathFor(string seedPath) => Path.Combine(_directory, "input" + Extension(seedPath));

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Every committed input of every reader, for the reproducer test: (reader, file name under its folder).</summary>
    public static TheoryData<string, string> CommittedInputs(params string[] names)
    {
        var data = new TheoryData<string, string>();
        foreach (string name in names)
        {
            foreach (string path in Corpus(name))
            {
                data.Add(name, Path.GetRelativePath(CorpusDirectory(name), path));
            }
        }
        return data;
    }

    /// <summary>Replays one committed input (a corpus seed or a reproducer).</summary>
    public static FuzzOutcome Replay(FuzzTarget target, string relativePath)
    {
        string source = Path.Combine(CorpusDirectory(target.Name), relativePath);
        using var scratch = new Scratch();
        return Check(target, File.ReadAllBytes(source), scratch.PathFor(source));
    }
}
