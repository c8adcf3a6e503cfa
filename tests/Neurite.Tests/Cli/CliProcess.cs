using System.Diagnostics;

namespace Neurite.Tests.Cli;

/// <summary>The built <c>neurite</c> (Neurite.Cli.dll, copied beside the tests) run as a child process, as a user runs it.</summary>
internal static class CliProcess
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "Neurite.Cli.dll");

    /// <summary>A started <c>neurite ARGS</c> in <paramref name="directory"/>, its output redirected.</summary>
    public static Process Start(string directory, params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {Dll}");
    }

    /// <summary>Runs <c>neurite ARGS</c> in <paramref name="directory"/> to the end: its exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Error) Run(string directory, params string[] args)
    {
        using var process = Start(directory, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"neurite {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
