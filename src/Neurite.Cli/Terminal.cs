using Spectre.Console;

namespace Neurite.Cli;

/// <summary>
/// Where a command writes: plain text writers for results and errors, and a Spectre.Console
/// surface for tables and the progress bar (live only on an interactive terminal).
/// </summary>
internal sealed class Terminal
{
    public Terminal(TextWriter output, TextWriter error, bool interactive, CancellationToken cancellation)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
        Cancellation = cancellation;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            Ansi.Profile.Width = 120;
        }
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public IAnsiConsole Ansi { get; }

    /// <summary>Whether stdout is a terminal, where a live progress bar can redraw itself.</summary>
    public bool Interactive { get; }

    /// <summary>Fires on Ctrl+C: training stops after the current step and the last checkpoint stays.</summary>
    public CancellationToken Cancellation { get; }
}
