using Neurite.Data;

namespace Neurite.Tests.Data;

/// <summary>CSV reading: labels, targets, prediction inputs, and an error per kind of bad file.</summary>
public sealed class CsvDataTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-csv-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string text, string name = "data.csv")
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Numeric_features_and_integer_labels_read_as_class_indices()
    {
        var data = CsvData.Read(Write("x1,x2,label\n0.5,-1,1\n2e-1, 3 ,0\n\n1.25,4,2\n"));
        Assert.Equal([3, 2], data.Features.Shape.ToArray());
        Assert.Equal([0.5f, -1f, 0.2f, 3f, 1.25f, 4f], data.Features.ToArray());
        Assert.Equal([1f, 0f, 2f], data.Targets.ToArray());
        Assert.Equal(TaskKind.Classification, data.Task);
        Assert.Equal(["0", "1", "2"], data.ClassNames);
        Assert.Equal(["x1", "x2"], data.FeatureNames!);
    }

    [Fact]
    public void Integer_labels_are_indices_as_they_stand_so_a_missing_class_keeps_the_mapping()
    {
        // Labels 1 and 3: four classes, 0 and 2 without samples; label 3 stays class 3.
        var data = CsvData.Read(Write("a,label\n1,3\n2,1\n"));
        Assert.Equal(4, data.ClassCount);
        Assert.Equal([3f, 1f], data.Targets.ToArray());
    }

    [Fact]
    public void String_labels_map_to_sorted_indices_and_keep_their_names()
    {
        var data = CsvData.Read(Write("label,w\ncat,1\ndog,2\n\"ant, red\",3\ncat,4\n"));
        Assert.Equal(["ant, red", "cat", "dog"], data.ClassNames);
        Assert.Equal([1f, 2f, 0f, 1f], data.Targets.ToArray());
        Assert.Equal(["w"], data.FeatureNames!);
    }

    [Fact]
    public void Given_class_names_map_labels_as_the_training_file_did()
    {
        var data = CsvData.Read(Write("x,label\n1,dog\n2,dog\n"), new CsvOptions { ClassNames = ["cat", "dog"] });
        Assert.Equal([1f, 1f], data.Targets.ToArray());
        Assert.Equal(2, data.ClassCount);
        var e = Assert.Throws<InvalidDataException>(() =>
            CsvData.Read(Write("x,label\n1,dog\n2,eel\n", "eel.csv"), new CsvOptions { ClassNames = ["cat", "dog"] }));
        Assert.EndsWith("eel.csv line 3, column \"label\": \"eel\" is not one of the 2 known classes.", e.Message);
    }

    [Fact]
    public void Fractional_labels_make_a_regression_target_and_the_task_can_be_forced()
    {
        var regression = CsvData.Read(Write("x,y\n1,0.5\n2,-1.5\n"), new CsvOptions { Target = "y" });
        Assert.Equal(TaskKind.Regression, regression.Task);
        Assert.Equal([2, 1], regression.Targets.Shape.ToArray());
        Assert.Equal([0.5f, -1.5f], regression.Targets.ToArray());
        Assert.Equal(0, regression.ClassCount);

        var forced = CsvData.Read(Write("x,label\n1,2\n2,0\n", "int.csv"), new CsvOptions { Task = TaskKind.Regression });
        Assert.Equal(TaskKind.Regression, forced.Task);
        Assert.Equal([2f, 0f], forced.Targets.ToArray());

        var named = CsvData.Read(Write("x,label\n1,0.5\n2,1.5\n", "names.csv"), new CsvOptions { Task = TaskKind.Classification });
        Assert.Equal(["0.5", "1.5"], named.ClassNames);
    }

    [Fact]
    public void A_custom_target_column_leaves_label_as_a_feature()
    {
        var data = CsvData.Read(Write("label,size,kind\n1,2,big\n3,4,small\n"), new CsvOptions { Target = "kind" });
        Assert.Equal(["label", "size"], data.FeatureNames!);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features.ToArray());
        Assert.Equal(["big", "small"], data.ClassNames);
    }

    [Fact]
    public void Prediction_inputs_are_read_by_name_in_the_training_order()
    {
        var x = CsvData.ReadFeatures(Write("id,b,a,label\n7,2,1,x\n8,4,3,y\n"), ["a", "b"]);
        Assert.Equal([2, 2], x.Shape.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f], x.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => CsvData.ReadFeatures(Write("a\n1\n", "in.csv"), ["a", "b"]));
        Assert.EndsWith("in.csv line 1: no column \"b\"; the model needs the columns \"a\", \"b\".", e.Message);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "x1,x2,label\n1,2,0\n\n3,abc,1\n", "line 4, column \"x2\": \"abc\" is not a number." },
        { "x1,x2,label\n1,,0\n", "line 2, column \"x2\": the value is missing." },
        { "x1,x2,label\n1,2,\n", "line 2, column \"label\": the value is missing." },
        { "x1,x2,label\n1,NaN,0\n", "line 2, column \"x2\": \"NaN\" is not a number." },
        { "x1,x2,label\n1,2,0\n1,2\n", "line 3: 2 fields, but the header has 3 columns." },
        { "x1,x2,label\n1,2,0,5\n", "line 2: 4 fields, but the header has 3 columns." },
        { "x1,x2,y\n1,2,0\n", "line 1: no target column \"label\"; the columns are \"x1\", \"x2\", \"y\"." },
        { "x1,x1,label\n1,2,0\n", "line 1: the column name \"x1\" appears twice." },
        { "x1,,label\n1,2,0\n", "line 1: column 2 of the header has no name." },
        { "label\n1\n", "line 1: the target \"label\" is the only column; there are no features." },
        { "x1,label\n\"1,0\n", "line 2, field 1: a quoted field is not closed." },
        { "x1,label\n\"1\"2,0\n", "line 2, field 1: text after a closing quote." },
        { "\n\n", ": the file is empty; expected a header row." },
        { "x1,label\n", ": the file has a header but no data rows." },
        { "x,label\n1,3\n2,250000\n", "line 3, column \"label\": the label 250000 would make 250001 classes (at most 65536); read the target as regression to predict it as a number." },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Every_error_names_the_file_line_and_column(string text, string expected)
    {
        string path = Write(text, "bad.csv");
        var e = Assert.Throws<InvalidDataException>(() => CsvData.Read(path));
        Assert.Equal(path + (expected.StartsWith(':') ? "" : " ") + expected, e.Message);
    }

    [Fact]
    public void A_regression_target_must_be_numeric_and_a_missing_file_is_named()
    {
        string path = Write("x,label\n1,2\n2,cat\n", "mixed.csv");
        var e = Assert.Throws<InvalidDataException>(() => CsvData.Read(path, new CsvOptions { Task = TaskKind.Regression }));
        Assert.Equal($"{path} line 3, column \"label\": \"cat\" is not a number.", e.Message);
        string missing = Path.Combine(_directory, "nope.csv");
        var notFound = Assert.Throws<FileNotFoundException>(() => CsvData.Read(missing));
        Assert.Equal($"{missing}: no such file.", notFound.Message);
    }
}
