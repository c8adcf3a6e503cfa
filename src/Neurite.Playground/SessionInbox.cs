using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using System.Threading.Channels;

namespace Neurite.Playground;

/// <summary>What one Playground session accepts from its WebSocket; beyond it, a command is refused with a message.</summary>
public sealed record SessionLimits
{
    /// <summary>The longest command, in bytes (a CSV file of <see cref="CustomData.MaxPoints"/> points fits).</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>Commands received and not yet handled; more are dropped, so a fast sender cannot fill memory.</summary>
    public int MaxWaiting { get; init; } = 8;

    /// <summary>The sustained rate of commands (a token bucket of <see cref="Burst"/> tokens refilled at this rate).</summary>
    public double CommandsPerSecond { get; init; } = 60;

    /// <summary>Commands accepted at once before the rate applies (a drag of a weight sends many).</summary>
    public int Burst { get; init; } = 120;
}

/// <summary>
/// The incoming side of a session's WebSocket: reads messages within <see cref="SessionLimits"/> and queues each as a
/// command object. A message that is too large, not UTF-8 JSON text, or over the rate or the queue's room becomes a
/// "refused" command with the reason, which the session reports to the page; the session itself goes on.
/// </summary>
internal sealed class SessionInbox
{
    /// <summary>The type of the command that stands for a refused message; its "message" says why.</summary>
    public const string Refused = "refused";

    private readonly WebSocket _socket;
    private readonly SessionLimits _limits;
    private readonly Channel<JsonObject> _commands;
    private double _tokens;
    private long _lastRefill = Stopwatch.GetTimestamp();
    private bool _dropping;

    public SessionInbox(WebSocket socket, SessionLimits limits)
    {
        _socket = socket;
        _limits = limits;
        _tokens = limits.Burst;
        // One slot more than the limit, for the notice that commands are being dropped.
        _commands = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(limits.MaxWaiting + 1) { SingleReader = true, SingleWriter = true });
    }

    /// <summary>The commands, in the order received; completes when the socket closes.</summary>
    public ChannelReader<JsonObject> Commands => _commands.Reader;

    /// <summary>Reads messages until the socket closes or <paramref name="cancellation"/> fires.</summary>
    public async Task ReceiveAsync(CancellationToken cancellation)
    {
        var buffer = new byte[_limits.MaxMessageBytes];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                int length = 0;
                bool tooBig = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        // Read the rest and drop it: the page gets a message, the session goes on.
                        tooBig = true;
                        length = 0;
                    }
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), cancellation);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellation);
                    return;
                }
                Enqueue(tooBig
                    ? Refusal($"a command is at most {_limits.MaxMessageBytes / 1024} KiB; this one was larger (a CSV file of {CustomData.MaxPoints} points fits)")
                    : Parse(buffer.AsSpan(0, length), result.MessageType));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // A tab closed without a close handshake: same as a close.
        }
        finally
        {
            _commands.Writer.TryComplete();
        }
    }

    /// <summary>Queues a command if the rate and the queue allow; else drops it, telling the page once per run of drops.</summary>
    private void Enqueue(JsonObject command)
    {
        long now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(_limits.Burst, _tokens + Stopwatch.GetElapsedTime(_lastRefill, now).TotalSeconds * _limits.CommandsPerSecond);
        _lastRefill = now;
        if (_tokens >= 1 && _commands.Reader.Count < _limits.MaxWaiting && _commands.Writer.TryWrite(command))
        {
            _tokens--;
            _dropping = false;
            return;
        }
        if (!_dropping)
        {
            _dropping = true;
            _commands.Writer.TryWrite(Refusal(
                $"too many commands: at most {_limits.CommandsPerSecond:0.#} a second ({_limits.Burst} at once) and {_limits.MaxWaiting} waiting; the ones over are dropped"));
        }
    }

    /// <summary>
    /// A command object, or a refusal saying why the message is not one. It is checked whole here, so that reading the
    /// command later cannot fail on what no .NET object holds (a name given twice, an escaped lone surrogate).
    /// </summary>
    private static JsonObject Parse(ReadOnlySpan<byte> message, WebSocketMessageType type)
    {
        const string NotJson = "a command must be a JSON object";
        if (type != WebSocketMessageType.Text || !Utf8.IsValid(message))
        {
            return Refusal($"{NotJson}, sent as UTF-8 text");
        }
        try
        {
            using var document = JsonDocument.Parse(message.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Refusal(NotJson);
            }
            return Check(document.RootElement) is { } problem ? Refusal($"{NotJson} {problem}") : JsonObject.Create(document.RootElement.Clone())!;
        }
        catch (JsonException)
        {
            return Refusal(NotJson);
        }
    }

    /// <summary>
    /// What makes a parsed command unreadable, or null: a field named twice (a JSON object holds a name once), or a name
    /// or string holding an escaped lone surrogate (reading it throws InvalidOperationException).
    /// </summary>
    private static string? Check(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var names = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var property in element.EnumerateObject())
                    {
                        if (!names.Add(property.Name))
                        {
                            return $"that names each field once (\"{property.Name}\" is twice)";
                        }
                        if (Check(property.Value) is { } problem)
                        {
                            return problem;
                        }
                    }
                    return null;
                case JsonValueKind.Array:
                    return element.EnumerateArray().Select(Check).FirstOrDefault(problem => problem is not null);
                case JsonValueKind.String:
                    element.GetString();
                    return null;
                default:
                    return null;
            }
        }
        catch (InvalidOperationException)
        {
            return "whose strings are valid Unicode";
        }
    }

    private static JsonObject Refusal(string message) => new() { ["type"] = Refused, ["message"] = message };
}
