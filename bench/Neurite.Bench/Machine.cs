namespace Neurite.Bench;

/// <summary>
/// The machine's load, printed before and after each side of a comparison: on a shared machine a figure measured while
/// something else ran is worth little, and only ratios from one run, under the same load, count.
/// </summary>
internal static class Machine
{
    /// <summary>The 1-, 5- and 15-minute load averages from /proc/loadavg, or "unknown" where there is none.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>Runs <paramref name="side"/>, printing the load average before and after it to standard error.</summary>
    public static T Measured<T>(string command, string side, Func<T> run)
    {
        Console.Error.WriteLine($"{command}: {side}… (load before: {LoadAverage()})");
        var result = run();
        Console.Error.WriteLine($"{command}: {side} done (load after: {LoadAverage()})");
        return result;
    }
}
