using System.Diagnostics;
using System.Security.Cryptography;

namespace Neurite.Tests.Packaging;

/// <summary>
/// The packages as a .NET developer meets them: packed from the repository into a folder feed, then a console
/// project outside the solution and the <c>neurite</c> tool installed from that feed alone, as the README shows.
/// </summary>
public sealed class PackageTests(PackageTests.Feed feed) : IClassFixture<PackageTests.Feed>, IDisposable
{
    private const string Version = "0.2.0";
    private static readonly string[] Packed = ["src/Neurite", "src/Neurite.Playground", "src/Neurite.Cli"];

    private readonly string _work = Directory.CreateTempSubdirectory("neurite-packages-").FullName;
    private static string Root => ReadmeTests.RepositoryRoot();

    /// <summary>The three packages, packed once for the class into a folder feed.</summary>
    public sealed class Feed : IDisposable
    {
        public string Folder { get; } = Pack(Directory.CreateTempSubdirectory("neurite-feed-").FullName);

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    /// <summary>The consumer program of the README's "Using the packages" section, whole.</summary>
    private const string XorProgram = """
        using Neurite.Autograd;
        using Neurite.NN;
        using Neurite.Optim;
        using Neurite.Tensors;

        var rng = new Generator(seed: 1);
        var model = new Sequential(new Linear(2, 8, rng: rng), new Tanh(), new Linear(8, 1, rng: rng));
        var x = Tensor.From([[0f, 0f], [0f, 1f], [1f, 0f], [1f, 1f]]);
        var y = Tensor.From([[0f], [1f], [1f], [0f]]);
        var optimizer = new Adam(model.Parameters(), new AdamOptions(0.05));
        for (int step = 0; step < 500; step++)
        {
            optimizer.ZeroGrad();
            Losses.BinaryCrossEntropyWithLogits(model.Call(x), y).Backward();
            optimizer.Step();
        }
        using (Graph.NoGrad())
        {
            Console.WriteLine(Ops.Sigmoid(model.Call(x)));
        }
        """;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void A_console_project_outside_the_solution_trains_xor_from_the_packed_library()
    {
        string app = Path.Combine(_work, "xor-app");
        Run(_work, "dotnet", "new", "console", "--output", app, "--no-restore");
        File.WriteAllText(Path.Combine(app, "Program.cs"), XorProgram);
        // The README's step adds the feed to the user's sources; here the sources are exactly the feed and this
        // machine's cache, so the test runs offline.
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="neurite" value="{feed.Folder}" />
                <add key="cache" value="{GlobalPackages()}" />
              </packageSources>
            </configuration>
            """);
        Run(app, "dotnet", "add", "package", "Neurite", "--version", Version);
        string printed = Run(app, "dotnet", "run", "--configuration", "Release");

        // tensor([[p0], [p1], [p2], [p3]]): XOR's truth table after rounding.
        var probabilities = System.Text.RegularExpressions.Regex.Matches(printed, @"\d\.\d+(e-?\d+)?").Select(m => double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(probabilities.Length == 4, $"expected four probabilities, the program printed: {printed}");
        Assert.Equal([0, 1, 1, 0], probabilities.Select(p => p > 0.5 ? 1 : 0));
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        Assert.Contains(XorProgram.Replace("\r\n", "\n"), readme.Replace("\r\n", "\n"));
    }

    [Fact]
    public void The_neurite_tool_installs_from_the_feed_and_trains_the_main_example()
    {
        string tools = Path.Combine(_work, "tools");
        Run(_work, "dotnet", "tool", "install", "--tool-path", tools, "Neurite.Cli", "--version", Version, "--add-source", feed.Folder);
        string model = Path.Combine(_work, "run", "spirals.safetensors");
        string printed = Run(_work, Path.Combine(tools, "neurite"), "train", Path.Combine(Root, "examples", "spirals.json"), "--epochs", "3", "--out", model);

        Assert.True(File.Exists(model), $"no model file at {model}; neurite printed: {printed}");
        Assert.Contains("spirals.safetensors", printed);
    }

    [Fact]
    public void Packing_twice_gives_the_same_bytes()
    {
        string first = feed.Folder;
        string second = Pack(Path.Combine(_work, "again"));
        foreach (string package in Directory.GetFiles(first, "*.nupkg"))
        {
            string again = Path.Combine(second, Path.GetFileName(package));
            Assert.True(File.Exists(again), $"{Path.GetFileName(package)} missing from the second pack");
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(package)), SHA256.HashData(File.ReadAllBytes(again)));
        }
        Assert.Equal(["Neurite.0.2.0.nupkg", "Neurite.Cli.0.2.0.nupkg", "Neurite.Playground.0.2.0.nupkg"],
            Directory.GetFiles(first, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>Packs the three packages into <paramref name="folder"/>, with this machine's NuGet cache.</summary>
    private static string Pack(string folder)
    {
        foreach (string project in Packed)
        {
            Execute(Root, null, "dotnet", "pack", Path.Combine(Root, project), "--configuration", "Release", "--output", folder, "--nologo");
        }
        return folder;
    }

    /// <summary>
    /// This machine's NuGet cache as a second source, for the library's own dependency (System.Numerics.Tensors),
    /// which the solution's restore put there; the consumer restores into a cache of its own (see <see cref="Run"/>),
    /// so a package packed by an earlier run under the same version is never taken from a cache.
    /// </summary>
    private static string GlobalPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Runs a command with a NuGet cache of the test's own (see <see cref="GlobalPackages"/>).</summary>
    private string Run(string directory, string program, params string[] args) =>
        Execute(directory, Path.Combine(_work, "nuget-cache"), program, args);

    /// <summary>Runs a command to its end, failing the test with its output if it fails; returns its stdout.</summary>
    private static string Execute(string directory, string? nugetCache, string program, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (nugetCache is not null)
        {
            info.Environment["NUGET_PACKAGES"] = nugetCache;
        }
        // The test host's MSBuild settings would leak into the child builds.
        foreach (string variable in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "DOTNET_HOST_PATH" })
        {
            info.Environment.Remove(variable);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited with {process.ExitCode}:\n{output.Result}\n{error.Result}");
        return output.Result;
    }
}
