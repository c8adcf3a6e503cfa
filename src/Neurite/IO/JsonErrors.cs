using System.Text.Json;

namespace Neurite.IO;

/// <summary>JSON syntax errors as one line, for the messages that name the file they are in.</summary>
internal static class JsonErrors
{
    /// <summary>
    /// The parser's reason and where (1-based line and byte). The parser's own message quotes the text at fault,
    /// which may span lines; this keeps its first line and drops its 0-based position.
    /// </summary>
    public static string Describe(JsonException e)
    {
        string reason = e.Message.Split('\n')[0].TrimEnd();
        int position = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (position >= 0)
        {
            reason = reason[..position];
        }
        return e.LineNumber is { } line ? $"{reason} (line {line + 1}, byte {e.BytePositionInLine + 1})" : reason;
    }
}
