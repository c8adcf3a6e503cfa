using System.CommandLine;
using Neurite.Playground;

namespace Neurite.Cli.Commands;

/// <summary><c>neurite playground [--port N] [--host 127.0.0.1] [--trainers N]</c>: serves the Neurite Playground until Ctrl+C.</summary>
internal static class PlaygroundCommand
{
    public static Command Build(Terminal console)
    {
        var defaults = new PlaygroundOptions();
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => defaults.Port };
        var host = new Option<string>("--host") { Description = "address to bind; the default serves this machine only", DefaultValueFactory = _ => defaults.Host };
        var trainers = new Option<int>("--trainers")
        {
            Description = "most tabs training at once, each on one core; more wait in line (default: the number of processors)",
            DefaultValueFactory = _ => defaults.MaxTrainers,
        };
        var command = new Command("playground", "serve the Neurite Playground: watch a network learn in the browser") { port, host, trainers };
        command.SetAction(async (parse, cancellation) =>
        {
            int portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535)
            {
                throw new ArgumentException($"--port: expected 0 to 65535, got {portValue}");
            }
            int trainersValue = parse.GetValue(trainers);
            if (trainersValue < 1)
            {
                throw new ArgumentException($"--trainers: expected 1 or more, got {trainersValue}");
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, console.Cancellation);
            await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Host = parse.GetRequiredValue(host), Port = portValue, MaxTrainers = trainersValue }, stop.Token);
            console.Out.WriteLine($"Neurite Playground: open {server.Url} (Ctrl+C stops it)");
            try
            {
                await server.WaitForShutdownAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop serving.
            }
            return 0;
        });
        return command;
    }
}
