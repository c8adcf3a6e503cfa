namespace Neurite.IO;

/// <summary>Text from a file, as an error message quotes it: on one line whatever the file holds.</summary>
internal static class OneLine
{
    /// <summary><paramref name="text"/> with control characters (line breaks, tabs, NUL) escaped as JSON writes them.</summary>
    public static string Escape(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : text;
}
