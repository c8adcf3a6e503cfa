using System.Globalization;
using System.Text;
using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>
/// Character-level language-model data from a UTF-8 text (the <c>text:PATH,seq=N</c> source): each sample is N
/// character ids and its target the same window shifted by one character, one class per step.
/// </summary>
/// <remarks>
/// <para>The vocabulary is the text's distinct characters (Unicode scalar values, so a character outside the Basic
/// Multilingual Plane is one character), sorted by code point: id k is the k-th smallest. It is taken over the whole
/// file, held-out part included, and saved with the model (<c>neurite.vocabulary</c>), so that a model reads and
/// writes the same ids later. Line breaks are characters like any other ("\r\n" is two).</para>
/// <para>The last <c>test</c> fraction of the characters (10 % by default) is held out as the test set; the rest is
/// the training set. Each part is cut into non-overlapping windows, as PyTorch's character-RNN examples do: window k
/// reads characters kN … kN + N − 1 and its targets are characters kN + 1 … kN + N, so a part of L characters gives
/// ⌊(L − 1)/N⌋ samples (the remainder at its end is not used). The loader's shuffling then draws the windows in a new
/// order every epoch.</para>
/// </remarks>
public static class TextData
{
    /// <summary>The share of the text held out as the test set unless the source says otherwise.</summary>
    public const double DefaultTestFraction = 0.1;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads <paramref name="path"/> into training windows of <paramref name="steps"/> characters and, when
    /// <paramref name="testFraction"/> &gt; 0, test windows from the text's end. With <paramref name="vocabulary"/>
    /// (a model's), characters map onto it and one outside it is an error; without, the text's own is used.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not UTF-8, too short for one window per part, or holds a character outside <paramref name="vocabulary"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> &lt; 1 or <paramref name="testFraction"/> not in [0, 1).</exception>
    public static LoadedData Read(string path, int steps, double testFraction = DefaultTestFraction, IReadOnlyList<string>? vocabulary = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(testFraction >= 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), $"TextData: the test fraction must be in [0, 1); got {testFraction}.");
        }
        var codePoints = CodePoints(ReadText(path));
        vocabulary ??= Vocabulary(codePoints);
        var ids = Encode(codePoints, vocabulary, path);
        int testLength = (int)Math.Round(ids.Length * testFraction);
        int trainLength = ids.Length - testLength;
        var train = Windows(ids.AsSpan(0, trainLength), steps, vocabulary, path, testFraction > 0 ? "the training part" : "the text");
        var test = testFraction > 0 ? Windows(ids.AsSpan(trainLength), steps, vocabulary, path, string.Create(CultureInfo.InvariantCulture, $"the held-out last {testFraction * 100:0.##} %")) : null;
        return new LoadedData(train, test);
    }

    /// <summary>The vocabulary of the text in <paramref name="path"/>: its distinct characters sorted by code point.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or not UTF-8.</exception>
    public static IReadOnlyList<string> VocabularyOf(string path) => Vocabulary(CodePoints(ReadText(path)));

    /// <summary>The characters of <paramref name="text"/>, each a Unicode scalar value as a string (one or two UTF-16 units).</summary>
    public static string[] Characters(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var characters = new List<string>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            characters.Add(rune.ToString());
        }
        return [.. characters];
    }

    /// <summary>A character as messages show it: quoted, control characters escaped ("\n", U+0007).</summary>
    public static string Show(string character)
    {
        ArgumentNullException.ThrowIfNull(character);
        return character switch
        {
            "\n" => "\"\\n\"",
            "\r" => "\"\\r\"",
            "\t" => "\"\\t\"",
            _ when character.Length == 1 && char.IsControl(character[0]) => $"U+{(int)character[0]:X4}",
            _ => $"\"{character}\"",
        };
    }

    /// <summary>The code point of each character (Unicode scalar value) of the text: 4 bytes a character, where strings would take some 30.</summary>
    private static int[] CodePoints(string text)
    {
        var codePoints = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            codePoints.Add(rune.Value);
        }
        return [.. codePoints];
    }

    private static string[] Vocabulary(int[] codePoints) =>
        [.. codePoints.Distinct().Order().Select(codePoint => new Rune(codePoint).ToString())];

    /// <summary>The id of each character in <paramref name="vocabulary"/>; one outside it is an error naming <paramref name="source"/> and its position (0-based).</summary>
    private static int[] Encode(int[] codePoints, IReadOnlyList<string> vocabulary, string source)
    {
        var index = new Dictionary<int, int>(vocabulary.Count);
        for (int i = 0; i < vocabulary.Count; i++)
        {
            if (Rune.DecodeFromUtf16(vocabulary[i], out var rune, out int length) == System.Buffers.OperationStatus.Done && length == vocabulary[i].Length)
            {
                index.TryAdd(rune.Value, i);
            }
        }
        var ids = new int[codePoints.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if (!index.TryGetValue(codePoints[i], out ids[i]))
            {
                throw new InvalidDataException(
                    $"{source}: the character {Show(new Rune(codePoints[i]).ToString())} at position {i} is not in the model's vocabulary of {vocabulary.Count} characters.");
            }
        }
        return ids;
    }

    private static string ReadText(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        var bytes = File.ReadAllBytes(path);
        string text;
        try
        {
            text = Strict.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not UTF-8 text (an invalid byte at offset {e.Index}).", e);
        }
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }
        if (text.Length == 0)
        {
            throw new InvalidDataException($"{path}: the file is empty; expected UTF-8 text.");
        }
        return text;
    }

    private static Dataset Windows(ReadOnlySpan<int> ids, int steps, IReadOnlyList<string> vocabulary, string path, string part)
    {
        int count = (ids.Length - 1) / steps;
        if (count < 1)
        {
            throw new InvalidDataException(
                $"{path}: {part} has {ids.Length} characters, fewer than one window of seq + 1 = {steps + 1}; use a longer text or a smaller seq.");
        }
        var features = new float[count * steps];
        var targets = new float[count * steps];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = ids[i];
            targets[i] = ids[i + 1];
        }
        return new Dataset(new Tensor(features, [count, steps]), new Tensor(targets, [count, steps]), TaskKind.Classification,
            vocabulary, vocabulary: vocabulary);
    }
}
