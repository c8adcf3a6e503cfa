using System.Text.Json.Nodes;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

/// <summary>The pace of a playing session (speed, a stop at a chosen epoch, the clock) and the server's cap on trainers.</summary>
public class PlaygroundPacingTests
{
    [Fact]
    public async Task Play_stops_at_the_chosen_epoch_and_the_clock_counts_training_time()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        await using var client = await PlaygroundClient.ConnectAsync(server);
        var first = await client.ReceiveAsync("status");
        Assert.Equal(PlaygroundSession.DefaultEpochsPerSecond, (double)first["epochsPerSecond"]!);
        Assert.Equal(0, (double)first["elapsed"]!);
        await client.SendAsync("""{"type":"pace","epochsPerSecond":null,"stopAt":7}""");
        var paced = await client.ReceiveAsync("status", s => (int)s["stopAt"]! == 7);
        Assert.Null(paced["epochsPerSecond"]);
        await client.SendAsync("""{"type":"play"}""");
        var stopped = await client.ReceiveAsync("status", s => !(bool)s["playing"]! && (int)s["epoch"]! > 0);
        Assert.Equal(7, (int)stopped["epoch"]!);
        Assert.True((double)stopped["elapsed"]! > 0);
        Assert.Equal(7, (int)(await client.ReceiveAsync("snapshot"))["epoch"]!);
        Assert.Equal(0, server.PlayingCount);

        // Past the stop, play goes on; a reset starts the clock again.
        await client.SendAsync("""{"type":"play"}""");
        await client.ReceiveAsync("snapshot", s => (int)s["epoch"]! > 8);
        await client.SendAsync("""{"type":"reset"}""");
        var reset = await client.ReceiveAsync("status", s => (int)s["epoch"]! == 0);
        Assert.Equal(0, (double)reset["elapsed"]!);
        Assert.False((bool)reset["playing"]!);
    }

    [Fact]
    public async Task A_bad_pace_is_refused_with_a_message()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0 });
        await using var client = await PlaygroundClient.ConnectAsync(server);
        await client.SendAsync("""{"type":"pace","epochsPerSecond":0}""");
        Assert.Equal("pace: epochsPerSecond must be > 0 and <= 100000, or null for as fast as possible; got 0",
            (string?)(await client.ReceiveAsync("error"))["message"]);
        await client.SendAsync("""{"type":"pace","stopAt":-3}""");
        Assert.Equal("pace: stopAt must be an epoch >= 0 (0: never); got -3", (string?)(await client.ReceiveAsync("error"))["message"]);
        await client.SendAsync("""{"type":"pace","stopAt":2.5}""");
        Assert.Equal("pace: stopAt must be an integer; got 2.5", (string?)(await client.ReceiveAsync("error"))["message"]);
    }

    [Fact]
    public async Task Beyond_the_trainer_cap_a_session_waits_in_line_and_says_so()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, MaxTrainers = 1 });
        await using var first = await PlaygroundClient.ConnectAsync(server);
        await using var second = await PlaygroundClient.ConnectAsync(server);
        await first.SendAsync("""{"type":"play"}""");
        await first.ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 2);
        await second.SendAsync("""{"type":"play"}""");
        var waiting = await second.ReceiveAsync("status", s => (bool)s["playing"]!);
        Assert.Equal(1, (int)waiting["queued"]!);
        Assert.Equal(1, (int)waiting["trainers"]!);
        Assert.Equal(2, server.PlayingCount);
        Assert.Equal(1, server.TrainingCount);
        // Waiting costs no epochs.
        await second.SendAsync("""{"type":"pace","stopAt":0}""");
        Assert.Equal(0, (int)(await second.ReceiveAsync("status"))["epoch"]!);

        await first.SendAsync("""{"type":"pause"}""");
        var started = await second.ReceiveAsync("status", s => (int)s["queued"]! == 0);
        Assert.True((bool)started["playing"]!);
        await second.ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 2);
        Assert.Equal(1, server.TrainingCount);

        // A waiting session that closes leaves the line; a training one frees its slot.
        await first.SendAsync("""{"type":"play"}""");
        Assert.Equal(1, (int)(await first.ReceiveAsync("status", s => (int)s["queued"]! > 0))["queued"]!);
        await second.CloseAsync();
        await first.ReceiveAsync("status", s => (bool)s["playing"]! && (int)s["queued"]! == 0);
        await PlaygroundServerTests.WaitUntil(() => server.TrainingCount == 1 && server.PlayingCount == 1, "the slot passes to the waiting session");
    }

    [Fact]
    public void The_trainer_gate_grants_in_order_and_frees_what_leaves()
    {
        var gate = new TrainerGate(2);
        var a = gate.Enter();
        var b = gate.Enter();
        var c = gate.Enter();
        var d = gate.Enter();
        Assert.True(a.Granted.IsCompleted && b.Granted.IsCompleted);
        Assert.False(c.Granted.IsCompleted);
        Assert.Equal((1, 2), (gate.PositionOf(c), gate.PositionOf(d)));
        gate.Leave(c); // leaves the line without a slot
        Assert.Equal(1, gate.PositionOf(d));
        gate.Leave(a);
        Assert.True(d.Granted.IsCompleted);
        Assert.Equal(2, gate.Busy);
        gate.Leave(b);
        gate.Leave(d);
        Assert.Equal(0, gate.Busy);
        Assert.True(gate.Enter().Granted.IsCompleted);
    }

    [Fact]
    public async Task A_single_step_waits_for_a_trainer_like_play()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, MaxTrainers = 1 });
        await using var first = await PlaygroundClient.ConnectAsync(server);
        await using var second = await PlaygroundClient.ConnectAsync(server);
        await first.SendAsync("""{"type":"play"}""");
        await first.ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 2);
        await second.SendAsync("""{"type":"step"}""");
        var waiting = await second.ReceiveAsync("status", s => (bool)s["stepping"]!);
        Assert.Equal(1, (int)waiting["queued"]!);
        Assert.Equal(0, (int)waiting["epoch"]!);
        Assert.Equal(1, server.TrainingCount);
        // Still in line: no epoch has run past the cap.
        await second.SendAsync("""{"type":"pace","stopAt":0}""");
        Assert.Equal(0, (int)(await second.ReceiveAsync("status"))["epoch"]!);

        await first.SendAsync("""{"type":"pause"}""");
        var stepped = await second.ReceiveAsync("status", s => !(bool)s["stepping"]! && (int)s["epoch"]! > 0);
        Assert.Equal(1, (int)stepped["epoch"]!);
        Assert.False((bool)stepped["playing"]!);
        Assert.Equal(1, (int)(await second.ReceiveAsync("snapshot", s => (int)s["epoch"]! > 0))["epoch"]!);
        await PlaygroundServerTests.WaitUntil(() => server.TrainingCount == 0, "the step gives its slot back");

        // With a free trainer steps run at once, one epoch each, however quickly they come.
        await second.SendAsync("""{"type":"step"}""");
        await second.SendAsync("""{"type":"step"}""");
        // The status between the two steps may already say "not stepping" at epoch 2: wait for the second one's.
        var done = await second.ReceiveAsync("status", s => !(bool)s["stepping"]! && (int)s["epoch"]! > 2);
        Assert.Equal(3, (int)done["epoch"]!);
    }
}
