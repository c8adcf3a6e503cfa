using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Neurite.Playground;

/// <summary>
/// What every Playground session shares, whatever it trains: it reads commands from its WebSocket, trains in the
/// background while playing at the chosen pace ("play", "pause", "pace", "step"), holds one of the server's trainer
/// slots (<see cref="TrainerGate"/>) for every epoch it trains — a single step included — and sends snapshots at most
/// every <see cref="SnapshotInterval"/>. The training stops when the socket closes.
/// </summary>
internal abstract class PacedSession
{
    /// <summary>The fastest speed the page may ask for short of "as fast as the engine goes".</summary>
    public const double MaxEpochsPerSecond = 100_000;

    /// <summary>A run further behind its speed than this starts counting again from now.</summary>
    private static readonly TimeSpan MaxLag = TimeSpan.FromMilliseconds(100);

    private readonly WebSocket _socket;
    private readonly SessionInbox _inbox;
    private readonly TrainerGate _trainers;
    private TrainerGate.Ticket? _ticket;
    private double? _epochsPerSecond; // null: as fast as the engine goes
    private int _stopAt; // 0: never
    private Task<bool>? _commandWait;
    private long _due; // Stopwatch timestamp at which the next epoch may start
    private bool _playing;
    private int _steps; // single epochs asked for and not yet run (each STEP click is one)

    /// <summary>A session on an accepted socket, training at <paramref name="epochsPerSecond"/> until the page chooses (null: as fast as possible).</summary>
    protected PacedSession(WebSocket socket, SessionLimits limits, TrainerGate trainers, double? epochsPerSecond)
    {
        _socket = socket;
        _inbox = new SessionInbox(socket, limits);
        _trainers = trainers;
        _epochsPerSecond = epochsPerSecond;
    }

    /// <summary>Snapshots are sent at most this often while playing.</summary>
    protected virtual TimeSpan SnapshotInterval => TimeSpan.FromMilliseconds(100);

    /// <summary>Whether the page has asked for continuous training (holding a trainer slot or waiting for one).</summary>
    public bool IsPlaying => _playing;

    /// <summary>The training time of the current run (only while an epoch runs).</summary>
    protected Stopwatch TrainingTime { get; } = new();

    /// <summary>Epochs trained so far by the current run.</summary>
    protected abstract int Epoch { get; }

    /// <summary>Trains one epoch (on one core, as the caller arranges).</summary>
    protected abstract void RunEpoch();

    /// <summary>Everything the page needs after connecting or a reset: ends with a status and a snapshot.</summary>
    protected abstract Task SendStateAsync(CancellationToken cancellation);

    /// <summary>The run's state now, as the page draws it.</summary>
    protected abstract JsonObject Snapshot();

    /// <summary>Runs a command other than play, pause, pace and step; throws <see cref="PlaygroundValidationException"/> for an unknown one.</summary>
    protected abstract Task ExecuteAsync(string type, JsonObject command, CancellationToken cancellation);

    /// <summary>Runs until the socket closes or <paramref name="cancellation"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        var receiving = _inbox.ReceiveAsync(cancellation);
        var reader = _inbox.Commands;
        try
        {
            await SendStateAsync(cancellation);
            var lastSnapshot = Stopwatch.StartNew();
            int lastPosition = 0;
            while (!cancellation.IsCancellationRequested)
            {
                if (_ticket is null)
                {
                    // Paused: nothing runs until the page sends a command.
                    if (!await CommandArrives(reader, cancellation))
                    {
                        break;
                    }
                }
                while (reader.TryRead(out var command))
                {
                    await HandleAsync(command, cancellation);
                }
                if (reader.Completion.IsCompleted)
                {
                    break;
                }
                if (_ticket is null)
                {
                    continue;
                }
                if (!_ticket.Granted.IsCompleted)
                {
                    // Every trainer is busy: wait in line for one (or for a command, such as pause), saying where.
                    int position = _trainers.PositionOf(_ticket);
                    if (position != lastPosition)
                    {
                        lastPosition = position;
                        await SendAsync(Status(), cancellation);
                    }
                    await Task.WhenAny(_ticket.Granted, CommandArrives(reader, cancellation), Task.Delay(250, cancellation));
                    if (_ticket?.Granted.IsCompleted == true)
                    {
                        lastPosition = 0;
                        _due = Stopwatch.GetTimestamp();
                        await SendAsync(Status(), cancellation);
                    }
                    continue;
                }
                if (_steps == 0 && Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _due) is { TotalMilliseconds: > 0.5 } early)
                {
                    // Ahead of the chosen speed: wait for the next epoch's time, or for a command.
                    await Task.WhenAny(CommandArrives(reader, cancellation), Task.Delay(early, cancellation));
                    continue;
                }
                try
                {
                    TrainingTime.Start();
                    // One core per session, whatever the kernels could split between threads.
                    using var oneCore = Kernels.Parallelism.LimitThisThread(1);
                    RunEpoch();
                }
                catch (Exception e) when (e is not (OperationCanceledException or WebSocketException))
                {
                    await ReportFailureAsync("training", e, cancellation);
                    continue;
                }
                finally
                {
                    TrainingTime.Stop();
                }
                Schedule();
                if (_steps > 0 && --_steps > 0)
                {
                    // More steps asked for: the slot is kept for them.
                    await SendSnapshotAsync(cancellation);
                    lastSnapshot.Restart();
                    continue;
                }
                if (!_playing || Epoch == _stopAt)
                {
                    Pause();
                    await SendAsync(Status(), cancellation);
                    await SendSnapshotAsync(cancellation);
                    lastSnapshot.Restart();
                    continue;
                }
                if (lastSnapshot.Elapsed >= SnapshotInterval)
                {
                    await SendSnapshotAsync(cancellation);
                    lastSnapshot.Restart();
                }
                await Task.Yield();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The tab went away or the server is stopping: the training ends with it.
        }
        finally
        {
            Pause();
        }
        await receiving;
    }

    /// <summary>
    /// Completes when a command can be read (true) or none ever will (false). One wait is kept until it completes, so
    /// that waiting between paced epochs does not leave a waiter behind in the channel per epoch.
    /// </summary>
    private Task<bool> CommandArrives(ChannelReader<JsonObject> reader, CancellationToken cancellation)
    {
        if (_commandWait is null || _commandWait.IsCompleted)
        {
            _commandWait = reader.WaitToReadAsync(cancellation).AsTask();
        }
        return _commandWait;
    }

    /// <summary>When the next epoch is due at the chosen speed; a run that fell behind (a slow epoch) does not race to catch up.</summary>
    private void Schedule()
    {
        long now = Stopwatch.GetTimestamp();
        if (_epochsPerSecond is not { } rate)
        {
            _due = now;
            return;
        }
        _due += (long)(Stopwatch.Frequency / rate);
        if (Stopwatch.GetElapsedTime(_due, now) > MaxLag)
        {
            _due = now;
        }
    }

    private void Play()
    {
        if (_playing)
        {
            return;
        }
        _steps = 0;
        _playing = true;
        _ticket ??= _trainers.Enter();
        _due = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// One epoch, under the same cap as playing: it takes a trainer slot (or a place in line, which the status reports)
    /// and gives it back once the epoch has run.
    /// </summary>
    private void Step()
    {
        _playing = false;
        _steps++;
        _ticket ??= _trainers.Enter();
    }

    /// <summary>Stops training (a pending step included) and gives the trainer slot (or the place in line) back.</summary>
    protected void Pause()
    {
        _playing = false;
        _steps = 0;
        if (_ticket is not null)
        {
            _trainers.Leave(_ticket);
            _ticket = null;
        }
    }

    private async Task HandleAsync(JsonObject command, CancellationToken cancellation)
    {
        try
        {
            string type = command["type"] is JsonValue v && v.TryGetValue(out string? s) ? s : "";
            switch (type)
            {
                case "play":
                    Play();
                    await SendAsync(Status(), cancellation);
                    break;
                case "pause":
                    Pause();
                    await SendAsync(Status(), cancellation);
                    await SendSnapshotAsync(cancellation);
                    break;
                case "pace":
                    SetPace(command);
                    await SendAsync(Status(), cancellation);
                    break;
                case "step":
                    Step();
                    await SendAsync(Status(), cancellation);
                    break;
                case SessionInbox.Refused:
                    throw new PlaygroundValidationException((string)command["message"]!);
                default:
                    await ExecuteAsync(type, command, cancellation);
                    break;
            }
        }
        catch (PlaygroundValidationException e)
        {
            // The page shows the message and keeps the state the server still has.
            await SendAsync(new JsonObject { ["type"] = "error", ["message"] = e.Message }, cancellation);
            await OnRefusedAsync(cancellation);
        }
        catch (Exception e) when (e is not (OperationCanceledException or WebSocketException))
        {
            await ReportFailureAsync($"'{command["type"]}'", e, cancellation);
        }
    }

    /// <summary>After a refused command: what the page needs to show the state the server kept.</summary>
    protected virtual Task OnRefusedAsync(CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>
    /// A failure of the server itself: pause and say so on the page rather than drop the
    /// connection, which would only make the page reconnect into the same failure.
    /// </summary>
    protected async Task ReportFailureAsync(string what, Exception e, CancellationToken cancellation)
    {
        Pause();
        await SendAsync(new JsonObject { ["type"] = "error", ["message"] = $"the server failed on {what}: {e.Message}" }, cancellation);
        await SendAsync(Status(), cancellation);
    }

    /// <summary>
    /// The speed ("epochsPerSecond": a number, or null for as fast as the engine goes) and the epoch to stop at
    /// ("stopAt": 0 or null for never); a field left out keeps its value.
    /// </summary>
    private void SetPace(JsonObject command)
    {
        if (command.ContainsKey("epochsPerSecond"))
        {
            if (command["epochsPerSecond"] is null)
            {
                _epochsPerSecond = null;
            }
            else
            {
                double rate = NumberField(command, "epochsPerSecond");
                if (rate is <= 0 or > MaxEpochsPerSecond)
                {
                    throw new PlaygroundValidationException(
                        $"pace: epochsPerSecond must be > 0 and <= {MaxEpochsPerSecond:0}, or null for as fast as possible; got {rate}");
                }
                _epochsPerSecond = rate;
            }
            _due = Stopwatch.GetTimestamp();
        }
        if (command.ContainsKey("stopAt"))
        {
            int stopAt = command["stopAt"] is null ? 0 : IntField(command, "stopAt", int.MaxValue);
            _stopAt = stopAt >= 0 ? stopAt : throw new PlaygroundValidationException($"pace: stopAt must be an epoch >= 0 (0: never); got {stopAt}");
        }
    }

    /// <summary>An integer field of a command, from −<paramref name="largest"/> to <paramref name="largest"/>.</summary>
    protected static int IntField(JsonObject command, string name, int largest = 1000)
    {
        double value = NumberField(command, name);
        if (value != Math.Floor(value) || Math.Abs(value) > largest)
        {
            throw new PlaygroundValidationException($"{command["type"]}: {name} must be an integer; got {value}");
        }
        return (int)value;
    }

    /// <summary>A finite number field of a command.</summary>
    protected static double NumberField(JsonObject command, string name)
    {
        if (command[name] is JsonValue v && PlaygroundConfig.AsDouble(v) is { } d && double.IsFinite(d))
        {
            return d;
        }
        throw new PlaygroundValidationException($"{command["type"]}: {name} must be a finite number; got {command[name]?.ToJsonString() ?? "nothing"}");
    }

    /// <summary>
    /// Whether the session plays, which trainer-line position it (or its pending step) waits at (0: training or
    /// paused), the pace and the clock.
    /// </summary>
    protected JsonObject Status() => new()
    {
        ["type"] = "status",
        ["playing"] = _playing,
        ["stepping"] = _steps > 0,
        ["epoch"] = Epoch,
        ["elapsed"] = TrainingTime.Elapsed.TotalSeconds,
        ["queued"] = _ticket is null ? 0 : _trainers.PositionOf(_ticket),
        ["trainers"] = _trainers.Slots,
        ["epochsPerSecond"] = _epochsPerSecond,
        ["stopAt"] = _stopAt,
    };

    /// <summary>Sends the run's snapshot now.</summary>
    protected Task SendSnapshotAsync(CancellationToken cancellation) => SendAsync(Snapshot(), cancellation);

    /// <summary>Sends one message to the page, if it is still there.</summary>
    protected async Task SendAsync(JsonObject message, CancellationToken cancellation)
    {
        if (_socket.State != WebSocketState.Open)
        {
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellation);
    }
}
