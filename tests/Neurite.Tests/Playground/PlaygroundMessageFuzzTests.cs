using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Neurite.Playground;
using Neurite.Tests.Fuzz;
using Xunit.Abstractions;

namespace Neurite.Tests.Playground;

/// <summary>A WebSocket client that sends any bytes, as text when they are UTF-8 and as binary otherwise.</summary>
internal sealed class RawPlaygroundClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _buffer = new byte[1 << 16];

    public static async Task<RawPlaygroundClient> ConnectAsync(PlaygroundHandle server)
    {
        var client = new RawPlaygroundClient();
        await client._socket.ConnectAsync(new Uri(server.Url.Replace("http://", "ws://") + "ws"), Timeout());
        return client;
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    public WebSocketState State => _socket.State;

    public Task SendAsync(byte[] message) =>
        _socket.SendAsync(message, Utf8.IsValid(message) ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, Timeout());

    public Task SendAsync(string message) => SendAsync(Encoding.UTF8.GetBytes(message));

    /// <summary>The next message, or null when the server closed the socket.</summary>
    public async Task<JsonObject?> ReceiveAsync()
    {
        using var message = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(_buffer.AsMemory(), Timeout());
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            message.Write(_buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonNode.Parse(message.ToArray())!.AsObject();
    }

    /// <summary>
    /// Sends <paramref name="message"/>, a pause (so that a play command does not go on streaming) and an unknown
    /// command named <paramref name="marker"/>, and reads every message until the server's refusal of the marker:
    /// what the server said about the message. Null when the server dropped the connection.
    /// </summary>
    public async Task<List<JsonObject>?> SendAndDrainAsync(byte[] message, string marker)
    {
        var messages = new List<JsonObject>();
        try
        {
            await SendAsync(message);
            await SendAsync("""{"type":"pause"}""");
            await SendAsync($$"""{"type":"{{marker}}"}""");
            while (await ReceiveAsync() is { } reply)
            {
                if ((string?)reply["type"] == "error" && ((string?)reply["message"])?.Contains($"'{marker}'", StringComparison.Ordinal) == true)
                {
                    return messages;
                }
                messages.Add(reply);
            }
        }
        catch (WebSocketException)
        {
            // The server dropped the connection.
        }
        return null;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The Playground's WebSocket messages under mutation: every command of tests/fuzz/websocket, mutated as JSON trees
/// and as bytes, sent to a real server on loopback. Each gets results or an error message; the server never fails on
/// one (its "the server failed on …" message) and never drops the connection. Failing messages are saved to
/// tests/fuzz/websocket/crashes and replayed by <see cref="Committed_messages_are_answered_cleanly"/>.
/// </summary>
public class PlaygroundMessageFuzzTests(ITestOutputHelper output)
{
    private const string Name = "websocket";

    /// <summary>No rate limit: the test waits for each answer, and a dropped marker would leave it waiting (the limits have their own test).</summary>
    private static readonly PlaygroundOptions Unlimited = new() { Port = 0, SessionLimits = new SessionLimits { CommandsPerSecond = 1e9, Burst = int.MaxValue } };

    [Fact]
    public async Task Mutated_commands_get_an_answer_or_an_error_and_the_session_goes_on()
    {
        var corpus = FuzzHarness.Corpus(Name).Select(File.ReadAllBytes).ToArray();
        var mutator = new Mutator(FuzzHarness.BaseSeed * 7919 + 17);
        await using var server = await PlaygroundServer.StartAsync(Unlimited);
        await using var client = await RawPlaygroundClient.ConnectAsync(server);
        var failures = new List<string>();
        int total = 150 * FuzzHarness.Scale, errors = 0;
        for (int i = 0; i < total && failures.Count < 5; i++)
        {
            var seed = corpus[mutator.Next(corpus.Length)];
            var message = mutator.Next(2) == 0 ? mutator.MutateJson(seed) : mutator.Mutate(seed, corpus[mutator.Next(corpus.Length)]);
            var replies = await client.SendAndDrainAsync(message, $"sentinel-{i}");
            string? failure = Judge(replies);
            if (failure is not null)
            {
                failures.Add($"{FuzzHarness.Save(Name, message, "message.json")}: {failure}");
                if (replies is null)
                {
                    break;
                }
            }
            errors += replies?.Count(reply => (string?)reply["type"] == "error") ?? 0;
        }
        Assert.True(failures.Count == 0, $"{failures.Count} message(s) failed (saved as reproducers):\n{string.Join("\n", failures)}");
        output.WriteLine($"{Name}: {total} mutated commands, {errors} refused with an error message, the session open throughout");
    }

    [Fact]
    public async Task Committed_messages_are_answered_cleanly()
    {
        await using var server = await PlaygroundServer.StartAsync(Unlimited);
        await using var client = await RawPlaygroundClient.ConnectAsync(server);
        foreach (string path in FuzzHarness.Corpus(Name))
        {
            string? failure = Judge(await client.SendAndDrainAsync(await File.ReadAllBytesAsync(path), "sentinel"));
            Assert.True(failure is null, $"{Path.GetRelativePath(FuzzHarness.CorpusDirectory(Name), path)}: {failure}");
        }
    }

    /// <summary>Null when the replies to a command are clean; else what went wrong.</summary>
    private static string? Judge(List<JsonObject>? replies)
    {
        if (replies is null)
        {
            return "the server closed the connection";
        }
        var failed = replies.FirstOrDefault(reply => ((string?)reply["message"])?.StartsWith("the server failed on", StringComparison.Ordinal) == true);
        return failed is null ? null : (string?)failed["message"];
    }
}
