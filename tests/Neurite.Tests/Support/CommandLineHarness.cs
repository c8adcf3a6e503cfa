using Neurite.Cli;

namespace Neurite.Tests.Support;

/// <summary>Runs the <c>neurite</c> command line in this process and keeps what it printed.</summary>
internal static class CommandLineHarness
{
    /// <summary>The exit code, standard output and standard error of <c>neurite ARGS…</c>.</summary>
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = NeuriteCommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
