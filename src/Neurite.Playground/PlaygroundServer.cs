using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Neurite.Data;

namespace Neurite.Playground;

/// <summary>Where the Playground listens.</summary>
public sealed record PlaygroundOptions
{
    /// <summary>The address to bind; loopback unless told otherwise, since the page can drive training.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks a free one (see <see cref="PlaygroundHandle.Url"/>).</summary>
    public int Port { get; init; } = 5050;

    /// <summary>The most sessions (WebSocket connections) open at once; another is refused with 503 and a message.</summary>
    public int MaxSessions { get; init; } = 64;

    /// <summary>
    /// The most sessions training at once (each on at most one core); a session that plays beyond it waits in line,
    /// and its page says so. Defaults to the number of processors.
    /// </summary>
    public int MaxTrainers { get; init; } = Environment.ProcessorCount;

    /// <summary>What each session accepts from its page.</summary>
    public SessionLimits SessionLimits { get; init; } = new();

    /// <summary>Where the CNN view reads Fashion-MNIST (Debian's dataset-fashion-mnist by default).</summary>
    public string FashionMnistDirectory { get; init; } = Idx.FashionMnistDirectory;
}

/// <summary>A running Playground server.</summary>
public sealed class PlaygroundHandle : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<PacedSession, byte> _sessions;
    private readonly TrainerGate _trainers;

    internal PlaygroundHandle(WebApplication app, string url, ConcurrentDictionary<PacedSession, byte> sessions, TrainerGate trainers)
    {
        _app = app;
        Url = url;
        _sessions = sessions;
        _trainers = trainers;
    }

    /// <summary>The address the page is served at, e.g. http://127.0.0.1:5050/.</summary>
    public string Url { get; }

    /// <summary>Open browser sessions (WebSocket connections).</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Sessions playing now: training, or waiting in line for a trainer.</summary>
    public int PlayingCount => _sessions.Keys.Count(s => s.IsPlaying);

    /// <summary>Sessions holding a trainer slot now (at most <see cref="PlaygroundOptions.MaxTrainers"/>).</summary>
    public int TrainingCount => _trainers.Busy;

    /// <summary>Completes when the server has stopped.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    /// <summary>Stops listening, ends every session's training and releases the port.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync();
    }

    /// <summary>Same as <see cref="StopAsync"/>, then disposes the host.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// The Neurite Playground: serves the page (embedded in this assembly) and one training session
/// per WebSocket at /ws. Use <see cref="StartAsync"/>, then open <see cref="PlaygroundHandle.Url"/>.
/// </summary>
public static class PlaygroundServer
{
    private static readonly Dictionary<string, string> ContentTypes = new()
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>The most characters a pasted network may have.</summary>
    private const int PastedTextLimit = 20_000;

    /// <summary>Starts the server and returns once it listens.</summary>
    /// <exception cref="ArgumentException">The host is not an IP address or the port is out of range.</exception>
    /// <exception cref="IOException">The address cannot be bound (the port is taken, say); the message says so in one line.</exception>
    public static async Task<PlaygroundHandle> StartAsync(PlaygroundOptions options, CancellationToken cancellation = default)
    {
        if (!IPAddress.TryParse(options.Host, out var address))
        {
            throw new ArgumentException($"playground: host must be an IP address such as 127.0.0.1; got '{options.Host}'", nameof(options));
        }
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"playground: port must be from 0 to 65535; got {options.Port}", nameof(options));
        }
        var limits = options.SessionLimits;
        if (options.MaxSessions < 1 || options.MaxTrainers < 1 || limits.MaxMessageBytes < 1024 || limits.MaxWaiting < 1 || limits.Burst < 1 || !(limits.CommandsPerSecond > 0))
        {
            throw new ArgumentException($"playground: limits must be positive (MaxSessions {options.MaxSessions}, MaxTrainers {options.MaxTrainers}, {limits})", nameof(options));
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(address, options.Port));
        var app = builder.Build();
        var sessions = new ConcurrentDictionary<PacedSession, byte>();
        var open = new StrongBox<int>();
        var trainers = new TrainerGate(options.MaxTrainers);
        var stopping = app.Lifetime.ApplicationStopping;

        // One session per socket: the network view's at /ws, the CNN view's at /ws/cnn.
        async Task Serve(HttpContext context, Func<WebSocket, PacedSession> start)
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("the Playground's session endpoint takes a WebSocket");
                return;
            }
            // Browsers let any web site open a WebSocket to 127.0.0.1; only this server's own page may.
            string? origin = context.Request.Headers.Origin;
            if (origin is not null && (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || from.Authority != context.Request.Host.Value))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            // Each session holds a network and its data; a bound on their number keeps the server's memory bounded.
            if (Interlocked.Increment(ref open.Value) > options.MaxSessions)
            {
                Interlocked.Decrement(ref open.Value);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync($"the Playground has {options.MaxSessions} sessions open, its most; close a tab and reload");
                return;
            }
            try
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
                var session = start(socket);
                sessions[session] = 0;
                try
                {
                    await session.RunAsync(both.Token);
                }
                finally
                {
                    sessions.TryRemove(session, out _);
                }
            }
            finally
            {
                Interlocked.Decrement(ref open.Value);
            }
        }

        app.UseWebSockets();
        app.Map("/ws/cnn", async context =>
        {
            CnnData data;
            try
            {
                data = CnnData.Load(options.FashionMnistDirectory);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
            {
                // The page shows why: the message on the socket, which then closes.
                string message = $"the CNN view needs Fashion-MNIST: {e.Message}";
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    await context.Response.WriteAsync(message);
                    return;
                }
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var bytes = System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "error", ["message"] = message }.ToJsonString());
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, stopping);
                await socket.CloseAsync(WebSocketCloseStatus.InternalServerError, "no data", stopping);
                return;
            }
            await Serve(context, socket => new CnnSession(socket, options.SessionLimits, trainers, data));
        });
        app.Map("/ws", context => Serve(context, socket => new PlaygroundSession(socket, options.SessionLimits, trainers)));
        app.MapGet("/api/perceptron", (HttpRequest request) => Lab(() => PlaygroundLab.Perceptron(
            Text(request, "gate", "and"), Number(request, "learningRate", 1), (int)Number(request, "epochs", 20))));
        app.MapGet("/api/approximate", (HttpRequest request) => Lab(() => PlaygroundLab.Approximate(
            Text(request, "function", "sin"), (int)Number(request, "units", 8), (int)Number(request, "epochs", 1000), (int)Number(request, "seed", 1))));
        app.MapGet("/api/activations", () => Lab(PlaygroundLab.Activations));
        app.MapGet("/api/preview", (HttpRequest request) => Lab(() => PlaygroundLab.Preview(
            Text(request, "dataset", "circles"), (int)Number(request, "classes", 3))));
        // A network pasted with any number of inputs (PastedNetwork's format) and its forward pass.
        app.MapPost("/api/forward", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var buffer = new char[PastedTextLimit + 1];
            int read = await reader.ReadBlockAsync(buffer, 0, buffer.Length);
            return read > PastedTextLimit
                ? Lab(() => throw new PlaygroundValidationException($"a pasted network is at most {PastedTextLimit} characters"))
                : Lab(() => PastedNetwork.Parse(new string(buffer, 0, read)).Forward());
        });
        app.MapGet("/{**path}", (string? path) => StaticFile(string.IsNullOrEmpty(path) ? "index.html" : path));

        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new IOException($"playground: cannot listen on {options.Host}:{options.Port} ({e.Message}); is another program using that port? Try --port", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new PlaygroundHandle(app, bound.TrimEnd('/') + "/", sessions, trainers);
    }

    /// <summary>Runs a lesson; a refused parameter becomes 400 with {"error": message}.</summary>
    private static IResult Lab(Func<JsonObject> lesson)
    {
        try
        {
            return Results.Text(lesson().ToJsonString(), "application/json");
        }
        catch (PlaygroundValidationException e)
        {
            return Results.Text(new JsonObject { ["error"] = e.Message }.ToJsonString(), "application/json", statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static string Text(HttpRequest request, string name, string fallback) =>
        request.Query.TryGetValue(name, out var value) ? value.ToString() : fallback;

    private static double Number(HttpRequest request, string name, double fallback)
    {
        if (!request.Query.TryGetValue(name, out var value))
        {
            return fallback;
        }
        if (double.TryParse(value.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number))
        {
            return Math.Round(number) == number || name == "learningRate" ? number : throw new PlaygroundValidationException($"{name}: must be a whole number; got {value}");
        }
        throw new PlaygroundValidationException($"{name}: must be a number; got '{value}'");
    }

    private static IResult StaticFile(string path)
    {
        var assembly = typeof(PlaygroundServer).Assembly;
        if (path.Contains("..", StringComparison.Ordinal) || !ContentTypes.TryGetValue(Path.GetExtension(path), out var type)
            || assembly.GetManifestResourceStream("wwwroot/" + path) is not { } stream)
        {
            return Results.NotFound();
        }
        return Results.Stream(stream, type);
    }
}
