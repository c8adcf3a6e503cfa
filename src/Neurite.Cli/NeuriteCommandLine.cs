using System.CommandLine;
using Neurite.Cli.Commands;

namespace Neurite.Cli;

/// <summary>
/// The <c>neurite</c> command line: parses with System.CommandLine, runs the command, and turns
/// any failure into one line on stderr (never a stack trace) and a non-zero exit code.
/// </summary>
public static class NeuriteCommandLine
{
    /// <summary>Runs <c>neurite ARGS</c>, writing to the given writers; the exit code: 0 on success, 1 on an error, 2 on a usage error.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false, CancellationToken cancellation = default)
    {
        var console = new Terminal(output, error, interactive, cancellation);
        var root = new RootCommand("Neurite: train, evaluate and run neural networks described by a JSON spec.")
        {
            TrainCommand.Build(console),
            EvalCommand.Build(console),
            PredictCommand.Build(console),
            SummaryCommand.Build(console),
            GenerateCommand.Build(console),
            ExportCommand.Build(console),
            EncodeCommand.Build(console),
            SampleCommand.Build(console),
            ScoreCommand.Build(console),
            PlaygroundCommand.Build(console),
            XorCommand.Build(console),
        };
        root.HelpName = "neurite";
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"neurite: {parseError.Message}");
            }
            error.WriteLine("Run 'neurite --help' (or 'neurite COMMAND --help') for usage.");
            return 2;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            error.WriteLine($"neurite: {Describe(e)}");
            return 1;
        }
    }

    /// <summary>
    /// A failure in one line: the first line of the message, which names the file, field or shape at fault. Expected
    /// failures (a malformed file, a bad option) say what and where; the type name marks anything else as a bug.
    /// </summary>
    internal static string Describe(Exception e)
    {
        string message = e.Message.Split('\n')[0].TrimEnd();
        if (e is ArgumentException { ParamName: { } name })
        {
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        }
        return e is ArgumentException or FormatException or IOException or InvalidDataException or InvalidOperationException
            or NotSupportedException or UnauthorizedAccessException
            ? message
            : $"unexpected {e.GetType().Name}: {message}";
    }
}
