using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Neurite.Playground;
using Xunit.Abstractions;

namespace Neurite.Tests.Playground;

/// <summary>Tests that measure the whole process (its memory, the server's answers under load) run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}

/// <summary>
/// The Playground under a bounded load on loopback: 50 sessions open, 10 of them playing as fast as they may under a cap of
/// 4 trainers (the other 6 wait in line and are told so), while others send commands too large, too fast and malformed.
/// The server keeps answering the page and its API (the 99th percentile of GET / and /api/activations is reported), memory grows by a bounded amount per session, what is over the limits gets a
/// message, and a session over the cap is refused.
/// </summary>
[Collection(AloneCollection.Name)]
public class PlaygroundLoadTests(ITestOutputHelper output)
{
    private const int Sessions = 50, Playing = 10, Trainers = 4, Requests = 200;

    /// <summary>A client whose messages are read as they come (as a page does), keeping the errors it was sent.</summary>
    private sealed class Tab : IAsyncDisposable
    {
        private readonly Task _reading;

        private Tab(RawPlaygroundClient client)
        {
            Client = client;
            _reading = Task.Run(async () =>
            {
                try
                {
                    while (await Client.ReceiveAsync() is { } message)
                    {
                        Interlocked.Increment(ref _received);
                        if ((string?)message["type"] == "error")
                        {
                            Errors.Enqueue((string)message["message"]!);
                        }
                        if ((string?)message["type"] == "status" && (int)message["queued"]! > 0)
                        {
                            Volatile.Write(ref _queued, true);
                        }
                    }
                }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
                {
                    // The server closed the connection, or DisposeAsync disposed the socket under a pending read.
                }
            });
        }

        private int _received;
        private bool _queued;

        /// <summary>Whether the server told this tab it waits in line for a trainer.</summary>
        public bool WasQueued => Volatile.Read(ref _queued);

        public RawPlaygroundClient Client { get; }

        public int Received => Volatile.Read(ref _received);

        public ConcurrentQueue<string> Errors { get; } = new();

        public static async Task<Tab> OpenAsync(PlaygroundHandle server) => new(await RawPlaygroundClient.ConnectAsync(server));

        public async Task WaitForAsync(Func<Tab, bool> condition, string what)
        {
            for (int i = 0; i < 600 && !condition(this); i++)
            {
                await Task.Delay(50);
            }
            Assert.True(condition(this), what);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await _reading;
        }
    }

    [Fact]
    public async Task Fifty_sessions_ten_playing_and_abuse_leave_the_server_answering_within_its_limits()
    {
        var limits = new SessionLimits();
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, MaxSessions = Sessions, MaxTrainers = Trainers });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(server.Url + "api/activations")).StatusCode); // warm

        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        var tabs = new List<Tab>();
        for (int i = 0; i < Sessions; i++)
        {
            tabs.Add(await Tab.OpenAsync(server));
        }
        foreach (var tab in tabs)
        {
            await tab.WaitForAsync(t => t.Received >= 4, "a session sends its state: config, data, status, snapshot");
        }
        Assert.Equal(Sessions, server.SessionCount);
        long perSession = (GC.GetTotalMemory(forceFullCollection: true) - baseline) / Sessions;

        // One more is over the cap.
        using (var extra = new ClientWebSocket())
        {
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => extra.ConnectAsync(new Uri(server.Url.Replace("http://", "ws://") + "ws"), CancellationToken.None));
            Assert.Contains("503", refused.Message);
        }

        foreach (var tab in tabs.Take(Playing))
        {
            // As fast as the engine goes, so that every trainer is busy all the time.
            await tab.Client.SendAsync("""{"type":"pace","epochsPerSecond":null}""");
            await tab.Client.SendAsync("""{"type":"play"}""");
        }
        var (tooBig, tooFast, malformed, binary) = (tabs[Playing], tabs[Playing + 1], tabs[Playing + 2], tabs[Playing + 3]);
        var abuse = Task.Run(async () =>
        {
            await tooBig.Client.SendAsync("{\"type\":\"uploadCsv\",\"text\":\"" + new string('1', 200_000) + "\"}");
            for (int i = 0; i < 300; i++)
            {
                await tooFast.Client.SendAsync("""{"type":"setWeight","layer":0,"to":0,"from":0,"value":0.5}""");
            }
            await malformed.Client.SendAsync(new string('[', 100_000 / 2));
            await malformed.Client.SendAsync("""{"type":"configure","config":{"hidden":[3],"hidden":[4]}}""");
            await binary.Client.SendAsync([0xff, 0xfe, 0x00, 0x7b]);
        });

        // The page and its API while all of that goes on, within the trainer cap throughout.
        var latencies = new List<double>();
        int mostTraining = 0;
        for (int i = 0; i < Requests; i++)
        {
            var clock = Stopwatch.StartNew();
            bool page = i % 2 == 0;
            var response = await http.GetAsync(server.Url + (page ? "" : "api/activations"));
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(page ? "Neurite Playground" : "\"x\"", await response.Content.ReadAsStringAsync());
            mostTraining = Math.Max(mostTraining, server.TrainingCount);
        }
        Assert.Equal(Trainers, mostTraining);
        await abuse;
        Assert.Equal(Playing, server.PlayingCount);
        Assert.Equal(Trainers, server.TrainingCount);
        // Which tabs got the slots depends on the order the server read their commands in: the rest were told they wait.
        await PlaygroundServerTests.WaitUntil(() => tabs.Take(Playing).Count(t => t.WasQueued) == Playing - Trainers, "each session over the trainer cap is told it waits in line");
        long perSessionPlaying = (GC.GetTotalMemory(forceFullCollection: true) - baseline) / Sessions;

        await tooBig.WaitForAsync(t => t.Errors.Any(e => e.StartsWith($"a command is at most {limits.MaxMessageBytes / 1024} KiB", StringComparison.Ordinal)), "the oversized command is refused");
        await tooFast.WaitForAsync(t => t.Errors.Any(e => e.StartsWith("too many commands: at most 60 a second", StringComparison.Ordinal)), "the flood is cut with a message");
        await malformed.WaitForAsync(t => t.Errors.Count(e => e.StartsWith("a command must be a JSON object", StringComparison.Ordinal)) == 2, "malformed commands are refused");
        await binary.WaitForAsync(t => t.Errors.Any(e => e == "a command must be a JSON object, sent as UTF-8 text"), "a binary message is refused");
        Assert.All(tabs, tab => Assert.Equal(WebSocketState.Open, tab.Client.State));
        Assert.DoesNotContain(tabs.SelectMany(tab => tab.Errors), e => e.StartsWith("the server failed", StringComparison.Ordinal));
        // Each session keeps a network of a few hundred weights, its data (at most 2,000 points) and at most
        // MaxWaiting commands of 64 KiB: a few MB at the very most, whatever its page sends.
        Assert.True(Math.Max(perSession, perSessionPlaying) < 8 << 20, $"{perSession:N0} bytes per session open, {perSessionPlaying:N0} while playing");

        latencies.Sort();
        output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"GET / and /api/activations with {Sessions} sessions open, {Playing} playing ({Trainers} trainers), under abuse: median {latencies[Requests / 2]:0.0} ms, "
            + $"99th percentile {latencies[(int)(Requests * 0.99) - 1]:0.0} ms, max {latencies[^1]:0.0} ms ({Requests} requests, {Environment.ProcessorCount} cores); "
            + $"memory {perSession / 1024.0:0} KiB per open session, {perSessionPlaying / 1024.0:0} KiB while {Playing} play"));

        foreach (var tab in tabs)
        {
            await tab.DisposeAsync();
        }
        await PlaygroundServerTests.WaitUntil(() => server.SessionCount == 0, "every session ends with its socket");
    }
}
