namespace Neurite.Playground;

/// <summary>
/// The server's trainer slots: at most <see cref="Slots"/> sessions train at once, the others wait in line, first come
/// first served. A session takes a <see cref="Ticket"/> when it starts playing and returns it when it pauses or ends.
/// </summary>
internal sealed class TrainerGate
{
    private readonly object _lock = new();
    private readonly LinkedList<Ticket> _line = new();
    private int _busy;

    public TrainerGate(int slots) => Slots = slots;

    /// <summary>How many sessions may train at once.</summary>
    public int Slots { get; }

    /// <summary>Sessions holding a slot now.</summary>
    public int Busy
    {
        get
        {
            lock (_lock)
            {
                return _busy;
            }
        }
    }

    /// <summary>A place in line, or a slot once <see cref="Granted"/> completes.</summary>
    public sealed class Ticket
    {
        private readonly TaskCompletionSource _granted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal LinkedListNode<Ticket>? Node { get; set; }

        /// <summary>Completes when the ticket holds a slot.</summary>
        public Task Granted => _granted.Task;

        internal void Grant() => _granted.TrySetResult();
    }

    /// <summary>A ticket: holding a slot at once if one is free, else last in line.</summary>
    public Ticket Enter()
    {
        var ticket = new Ticket();
        lock (_lock)
        {
            if (_busy < Slots)
            {
                _busy++;
                ticket.Grant();
            }
            else
            {
                ticket.Node = _line.AddLast(ticket);
            }
        }
        return ticket;
    }

    /// <summary>1 for the first in line, 2 for the next…; 0 once the ticket holds a slot or has left.</summary>
    public int PositionOf(Ticket ticket)
    {
        lock (_lock)
        {
            int position = 1;
            for (var node = _line.First; node is not null; node = node.Next, position++)
            {
                if (node.Value == ticket)
                {
                    return position;
                }
            }
            return 0;
        }
    }

    /// <summary>Gives the ticket's slot to the first in line (or frees it), or takes the ticket out of line.</summary>
    public void Leave(Ticket ticket)
    {
        lock (_lock)
        {
            if (ticket.Node is { } node)
            {
                _line.Remove(node);
                ticket.Node = null;
            }
            else if (ticket.Granted.IsCompleted)
            {
                if (_line.First is { } first)
                {
                    _line.RemoveFirst();
                    first.Value.Node = null;
                    first.Value.Grant();
                }
                else
                {
                    _busy--;
                }
            }
        }
    }
}
