using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

/// <summary>A WebSocket client speaking the page's protocol, for tests without a browser.</summary>
internal sealed class PlaygroundClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();

    /// <summary>Connects to the network view's session (<c>ws</c>) or another at <paramref name="path"/> (<c>ws/cnn</c>).</summary>
    public static async Task<PlaygroundClient> ConnectAsync(PlaygroundHandle server, string path = "ws")
    {
        var client = new PlaygroundClient();
        await client._socket.ConnectAsync(new Uri(server.Url.Replace("http://", "ws://") + path), Timeout());
        return client;
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public WebSocketState State => _socket.State;

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, Timeout());

    public async Task<JsonObject> ReceiveAsync()
    {
        var buffer = new byte[1 << 20];
        using var message = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(), Timeout());
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonNode.Parse(message.ToArray())!.AsObject();
    }

    /// <summary>Reads messages until one of <paramref name="type"/> that satisfies <paramref name="match"/>.</summary>
    public async Task<JsonObject> ReceiveAsync(string type, Func<JsonObject, bool>? match = null)
    {
        while (true)
        {
            var message = await ReceiveAsync();
            if ((string?)message["type"] == type && (match is null || match(message)))
            {
                return message;
            }
        }
    }

    public Task CloseAsync() => _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Timeout());

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

public class PlaygroundServerTests
{
    internal static async Task WaitUntil(Func<bool> condition, string what)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task ServesThePageOnLoopbackAndRefusesPlainRequestsToTheSocket()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        Assert.StartsWith("http://127.0.0.1:", server.Url);
        using var http = new HttpClient();
        var page = await http.GetAsync(server.Url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Neurite Playground", await page.Content.ReadAsStringAsync());
        var script = await http.GetAsync(server.Url + "app.js");
        Assert.Equal("text/javascript; charset=utf-8", script.Content.Headers.ContentType!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Url + "nothing.js")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(server.Url + "ws")).StatusCode);
    }

    [Fact]
    public async Task WaitingForShutdownEndsWhenTheServerStops()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        var waiting = server.WaitForShutdownAsync();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        await server.StopAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(server.Url));
    }

    [Fact]
    public async Task OnlyThePlaygroundsOwnPageMayOpenASession()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        var uri = new Uri(server.Url.Replace("http://", "ws://") + "ws");
        using var foreign = new ClientWebSocket();
        foreign.Options.SetRequestHeader("Origin", "http://evil.example");
        await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(uri, CancellationToken.None));
        using var own = new ClientWebSocket();
        own.Options.SetRequestHeader("Origin", server.Url.TrimEnd('/'));
        await own.ConnectAsync(uri, CancellationToken.None);
        Assert.Equal(WebSocketState.Open, own.State);
    }

    [Fact]
    public async Task BadHostsAndPortsAreRefused()
    {
        Assert.Contains("IP address", (await Assert.ThrowsAsync<ArgumentException>(
            () => PlaygroundServer.StartAsync(new PlaygroundOptions { Host = "localhost:80" }))).Message);
        Assert.Contains("port", (await Assert.ThrowsAsync<ArgumentException>(
            () => PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 70000 }))).Message);
    }

    [Fact]
    public async Task ATakenPortIsReportedInOneLine()
    {
        await using var first = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        int port = new Uri(first.Url).Port;
        var e = await Assert.ThrowsAsync<IOException>(() => PlaygroundServer.StartAsync(new PlaygroundOptions { Port = port }));
        Assert.StartsWith($"playground: cannot listen on 127.0.0.1:{port} (", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task ASessionSendsItsStateTrainsWhilePlayingAndStopsWhenTheTabCloses()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        await using var client = await PlaygroundClient.ConnectAsync(server);
        var config = await client.ReceiveAsync("config");
        Assert.Equal("circles", (string?)config["config"]!["dataset"]);
        var data = await client.ReceiveAsync("data");
        Assert.Equal(250, data["train"]!.AsArray().Count);
        var first = await client.ReceiveAsync("snapshot");
        Assert.Equal(0, (int)first["epoch"]!);
        Assert.Equal([2, 4, 2, 1], first["neurons"]!.AsArray().Select(l => l!.AsArray().Count));
        Assert.Equal(32 * 32 * 4, Convert.FromBase64String((string)first["neurons"]![1]![0]!).Length);

        await client.SendAsync("""{"type":"configure","config":{"dataset":"spirals","hidden":[8,8],"learningRate":0.1}}""");
        Assert.Equal("spirals", (string?)(await client.ReceiveAsync("config"))["config"]!["dataset"]);
        await client.SendAsync("""{"type":"step"}""");
        Assert.Equal(1, (int)(await client.ReceiveAsync("snapshot", s => (int)s["epoch"]! > 0))["epoch"]!);

        await client.SendAsync("""{"type":"play"}""");
        var later = await client.ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 5);
        Assert.True((double)later["testLoss"]! > 0);
        // Every epoch since the previous snapshot is in its history, for the charts: consecutive, ending now.
        var epochs = later["history"]!.AsArray().Select(h => (int)h![0]!).ToArray();
        Assert.NotEmpty(epochs);
        Assert.Equal(Enumerable.Range(epochs[0], epochs.Length), epochs);
        Assert.Equal((int)later["epoch"]!, epochs[^1]);
        var newest = later["history"]!.AsArray()[^1]!.AsArray();
        Assert.Equal((double)later["testLoss"]!, (double)newest[2]!);
        Assert.Equal(3, newest[3]!.AsArray().Count); // a gradient norm per Linear layer
        Assert.Equal(1, server.PlayingCount);

        await client.CloseAsync();
        await WaitUntil(() => server.SessionCount == 0 && server.PlayingCount == 0, "the closed tab's session ends");
    }

    [Fact]
    public async Task InvalidCommandsGetAMessageAndTheSessionKeepsItsLastGoodState()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        await using var client = await PlaygroundClient.ConnectAsync(server);
        await client.ReceiveAsync("snapshot");
        await client.SendAsync("""{"type":"configure","config":{"hidden":[3],"learningRate":-1}}""");
        Assert.Equal("learningRate: must be a finite number > 0 and <= 10; got -1", (string?)(await client.ReceiveAsync("error"))["message"]);
        var kept = await client.ReceiveAsync("config");
        Assert.Equal(new JsonArray(4, 2).ToJsonString(), kept["config"]!["hidden"]!.ToJsonString());
        await client.SendAsync("""{"type":"fly"}""");
        Assert.StartsWith("unknown command 'fly'", (string?)(await client.ReceiveAsync("error"))["message"]);
        await client.SendAsync("{\"type\":\"uploadCsv\",\"text\":\"" + new string('1', 100_000) + "\"}");
        Assert.Equal("a command is at most 64 KiB; this one was larger (a CSV file of 2000 points fits)", (string?)(await client.ReceiveAsync("error"))["message"]);
        await client.SendAsync("not json");
        Assert.Equal("a command must be a JSON object", (string?)(await client.ReceiveAsync("error"))["message"]);
        await client.SendAsync("""{"type":"setWeight","layer":0,"to":0,"from":0,"value":"big"}""");
        Assert.Equal("setWeight: value must be a finite number; got \"big\"", (string?)(await client.ReceiveAsync("error"))["message"]);
        await client.SendAsync("""{"type":"setWeight","layer":0,"to":1,"from":0,"value":0.625}""");
        var edited = await client.ReceiveAsync("snapshot");
        Assert.Equal(0.625, (double)edited["weights"]![0]![1]![0]!);
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task ADivergingNetworkKeepsStreamingAndExporting()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        await using var client = await PlaygroundClient.ConnectAsync(server);
        await client.SendAsync("""{"type":"configure","config":{"problem":"regression","dataset":"plane","learningRate":10,"activation":"relu","hidden":[8,8,8,8,8,8],"features":["x1","x2","x1sq","x2sq","x1x2"]}}""");
        await client.ReceiveAsync("config", c => (string?)c["config"]!["dataset"] == "plane");
        await client.SendAsync("""{"type":"play"}""");
        var diverged = await client.ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 5);
        Assert.Null(diverged["testLoss"]); // NaN or infinity is sent as null, never as invalid JSON
        await client.SendAsync("""{"type":"exportModel"}""");
        var model = await client.ReceiveAsync("model");
        Assert.Contains(model["model"]!["state_dict"]!["0.weight"]!["data"]!.AsArray(), v => v is null);
        Assert.Equal(1, server.PlayingCount);
    }

    [Fact]
    public async Task ManyTabsTrainIndependently()
    {
        // A trainer for each tab: a step waits for one like play does, and two tabs play here.
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, MaxTrainers = 3 });
        var clients = new List<PlaygroundClient>();
        for (int i = 0; i < 3; i++)
        {
            clients.Add(await PlaygroundClient.ConnectAsync(server));
        }
        await WaitUntil(() => server.SessionCount == 3, "three sessions");
        await clients[0].SendAsync("""{"type":"play"}""");
        await clients[1].SendAsync("""{"type":"configure","config":{"dataset":"xor"}}""");
        await clients[1].ReceiveAsync("config", c => (string?)c["config"]!["dataset"] == "xor");
        await clients[1].SendAsync("""{"type":"play"}""");
        await clients[0].ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 3);
        await clients[1].ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 3);
        Assert.Equal(2, server.PlayingCount); // the third tab was never played
        // …and its network is its own: one step takes it from epoch 0 to 1.
        await clients[2].SendAsync("""{"type":"step"}""");
        Assert.Equal(1, (int)(await clients[2].ReceiveAsync("snapshot", s => (int)s["epoch"]! > 0))["epoch"]!);
        await clients[0].CloseAsync();
        await WaitUntil(() => server.SessionCount == 2 && server.PlayingCount == 1, "only the closed tab stops");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
        await WaitUntil(() => server.SessionCount == 0, "aborted sockets end their sessions");
    }
}
