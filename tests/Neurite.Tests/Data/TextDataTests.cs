using System.Text;
using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>The text:PATH,seq=N source: vocabulary, windows, the held-out end, and the errors for bad files.</summary>
public sealed class TextDataTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-text-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private static int[] Ints(Tensor t) => [.. t.ToArray().Select(v => (int)v)];

    [Fact]
    public void Windows_are_non_overlapping_and_targets_are_shifted_by_one()
    {
        // 21 characters; the vocabulary sorted by code point: "\n" ' ' a b c d.
        string path = Write("abc.txt", "abcd abcd\nabcd abcd\nd");
        var data = DataSources.Load($"text:{path},seq=4,test=0");
        Assert.Null(data.Test);
        var train = data.Train;
        Assert.Equal(["\n", " ", "a", "b", "c", "d"], train.Vocabulary);
        Assert.Equal(train.Vocabulary, train.ClassNames);
        // ⌊(21 − 1)/4⌋ = 5 windows: characters 0–3, 4–7, …, 16–19, each target one further.
        Assert.Equal([5, 4], train.Features.Shape.ToArray());
        Assert.Equal([5, 4], train.Targets.Shape.ToArray());
        Assert.Equal([2, 3, 4, 5], Ints(train.Features)[..4]); // "abcd"
        Assert.Equal([3, 4, 5, 1], Ints(train.Targets)[..4]);  // "bcd "
        Assert.Equal([3, 4, 5, 0], Ints(train.Features)[16..]); // characters 16–19, "bcd\n"
        Assert.Equal([4, 5, 0, 5], Ints(train.Targets)[16..]);  // characters 17–20, "cd\nd"
    }

    [Fact]
    public void The_last_tenth_is_held_out_and_shares_the_whole_texts_vocabulary()
    {
        // 100 characters; the z only in the last ten.
        string path = Write("tail.txt", new string('a', 45) + new string('b', 45) + "zzzzzzzzzz");
        var data = TextData.Read(path, 3);
        Assert.Equal(["a", "b", "z"], data.Train.Vocabulary);
        Assert.Equal(29, data.Train.Count); // ⌊(90 − 1)/3⌋
        Assert.Equal(3, data.Test!.Count);  // ⌊(10 − 1)/3⌋
        Assert.All(Ints(data.Test.Features), id => Assert.Equal(2, id));
        Assert.DoesNotContain(2, Ints(data.Train.Features));
        Assert.DoesNotContain(2, Ints(data.Train.Targets));
    }

    [Fact]
    public void Characters_are_unicode_scalar_values_and_a_models_vocabulary_maps_a_new_text()
    {
        // é is one UTF-16 unit, 𝄞 (U+1D11E) two: each is one character.
        string path = Write("music.txt", "é𝄞é𝄞a");
        var train = TextData.Read(path, 2, 0).Train;
        Assert.Equal(["a", "é", "𝄞"], train.Vocabulary);
        Assert.Equal([1, 2, 1, 2], Ints(train.Features));

        string other = Write("other.txt", "aaaaé");
        var mapped = DataSources.Load($"text:{other},seq=2,test=0", new DataSourceOptions { Vocabulary = train.Vocabulary }).Train;
        Assert.Equal([0, 0, 0, 0], Ints(mapped.Features));
        Assert.Equal([0, 0, 0, 1], Ints(mapped.Targets));

        string unknown = Write("unknown.txt", "aa\u0007b");
        var e = Assert.Throws<InvalidDataException>(() => TextData.Read(unknown, 2, 0, train.Vocabulary));
        Assert.Equal($"{unknown}: the character U+0007 at position 2 is not in the model's vocabulary of 3 characters.", e.Message);
    }

    [Fact]
    public void The_vocabulary_is_found_without_loading_the_samples()
    {
        string path = Write("v.txt", "hello, world");
        Assert.Equal([" ", ",", "d", "e", "h", "l", "o", "r", "w"], DataSources.VocabularyOf($"text:{path},seq=4"));
        Assert.Equal(Synthetic.AdditionVocabulary, DataSources.VocabularyOf("addition:n=10"));
        Assert.Null(DataSources.VocabularyOf("spirals"));
        Assert.Null(DataSources.VocabularyOf("data.csv"));
    }

    [Fact]
    public void A_path_may_hold_commas()
    {
        string path = Write("a,b.txt", "abababababab");
        Assert.Equal(5, DataSources.Load($"text:{path},seq=2,test=0").Train.Count);
    }

    [Fact]
    public void Missing_empty_non_utf8_and_short_files_are_one_line_errors_naming_the_file()
    {
        string missing = Path.Combine(_directory, "missing.txt");
        var notFound = Assert.Throws<FileNotFoundException>(() => DataSources.Load($"text:{missing},seq=4"));
        Assert.Equal($"{missing}: no such file.", notFound.Message);

        string empty = Write("empty.txt", "");
        Assert.Equal($"{empty}: the file is empty; expected UTF-8 text.",
            Assert.Throws<InvalidDataException>(() => DataSources.Load($"text:{empty},seq=4")).Message);

        string latin1 = Path.Combine(_directory, "latin1.txt");
        File.WriteAllBytes(latin1, [(byte)'c', (byte)'a', (byte)'f', 0xE9]);
        Assert.Equal($"{latin1}: not UTF-8 text (an invalid byte at offset 3).",
            Assert.Throws<InvalidDataException>(() => DataSources.Load($"text:{latin1},seq=2")).Message);

        string shortText = Write("short.txt", "abcdefghijklmnopqrst");
        Assert.Equal($"{shortText}: the held-out last 10 % has 2 characters, fewer than one window of seq + 1 = 5; use a longer text or a smaller seq.",
            Assert.Throws<InvalidDataException>(() => DataSources.Load($"text:{shortText},seq=4")).Message);
        Assert.Equal($"{shortText}: the text has 20 characters, fewer than one window of seq + 1 = 33; use a longer text or a smaller seq.",
            Assert.Throws<InvalidDataException>(() => DataSources.Load($"text:{shortText},seq=32,test=0")).Message);
    }

    [Theory]
    [InlineData("text:x.txt", "data source \"text:x.txt\": missing seq=N, the characters per sample (e.g. text:x.txt,seq=64).")]
    [InlineData("text:x.txt,seq=0", "data source \"text:x.txt,seq=0\": seq must be an integer >= 1; got \"0\".")]
    [InlineData("text:x.txt,seq=8,test=1", "data source \"text:x.txt,seq=8,test=1\": test is the share of the text held out, in [0, 1); got 1.")]
    [InlineData("text:x.txt,seq=8,n=5", "data source \"text:x.txt,seq=8,n=5\": unknown parameter \"n\"; text takes seq, test.")]
    [InlineData("text:,seq=8", "data source \"text:,seq=8\": expected text:PATH,seq=N (a UTF-8 text file and the window length).")]
    public void Bad_text_sources_are_named(string source, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => DataSources.Load(source)).Message);
}
