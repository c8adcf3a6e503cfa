using Neurite.Data;
using Neurite.Tensors;

namespace Neurite.Tests.Data;

/// <summary>The sequence generators: Keras's addition task and the sine-series forecast.</summary>
public sealed class SyntheticSequenceTests
{
    private static string Decode(ReadOnlySpan<float> ids) => string.Concat(ids.ToArray().Select(id => Synthetic.AdditionVocabulary[(int)id]));

    [Fact]
    public void Addition_questions_are_reversed_sums_and_test_questions_are_never_training_ones()
    {
        var data = DataSources.Load("addition:n=400,test=200,digits=3,seed=4");
        var (train, test) = (data.Train, data.Test!);
        Assert.Equal([400, 7], train.Features.Shape.ToArray());
        Assert.Equal([400, 4], train.Targets.Shape.ToArray());
        Assert.Equal(Synthetic.AdditionVocabulary, train.Vocabulary);
        Assert.Equal(Synthetic.AdditionVocabulary, train.ClassNames);
        var pairs = new HashSet<(int, int)>();
        var lengths = new HashSet<int>();
        foreach (var set in new[] { train, test })
        {
            for (int i = 0; i < set.Count; i++)
            {
                string question = Decode(set.Features.Data.Slice(i * 7, 7));
                string answer = Decode(set.Targets.Data.Slice(i * 4, 4));
                // Reversed, the question reads "a+b" padded with spaces on the right; the answer is the sum padded likewise.
                string forward = new([.. question.Reverse()]);
                Assert.Matches(@"^\d{1,3}\+\d{1,3} *$", forward);
                var parts = forward.TrimEnd().Split('+');
                int a = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), b = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal((a + b).ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(4), answer);
                Assert.True(pairs.Add((Math.Min(a, b), Math.Max(a, b))), $"{forward} is asked twice");
                lengths.Add(parts[0].Length);
            }
        }
        Assert.Equal([1, 2, 3], lengths.Order());
        Assert.Equal(train.Features.ToArray(), DataSources.Load("addition:n=400,digits=3,seed=4").Train.Features.ToArray());
    }

    [Fact]
    public void Addition_refuses_more_than_half_of_the_questions_there_are_and_takes_no_noise()
    {
        // One digit: 10·11/2 = 55 distinct questions.
        Assert.Equal(7, DataSources.Load("addition:n=20,test=7,digits=1").Test!.Count);
        var e = Assert.Throws<ArgumentException>(() => DataSources.Load("addition:n=20,test=8,digits=1"));
        Assert.Equal("data source \"addition:n=20,test=8,digits=1\": Addition: 28 distinct questions of up to 1 digits are more than half of the 55 there are; ask for fewer or use more digits.", e.Message);
        e = Assert.Throws<ArgumentException>(() => DataSources.Load("addition:noise=0.1"));
        Assert.Equal("data source \"addition:noise=0.1\": unknown parameter \"noise\"; addition takes n, seed, test, digits.", e.Message);
    }

    [Fact]
    public void A_sine_series_target_is_the_waves_next_value()
    {
        var data = Synthetic.SineSeries(50, 12, 0f, new Generator(3));
        Assert.Equal([50, 12, 1], data.Features.Shape.ToArray());
        Assert.Equal([50, 1], data.Targets.Shape.ToArray());
        Assert.Equal(TaskKind.Regression, data.Task);
        for (int i = 0; i < 50; i++)
        {
            var x = data.Features.Data.Slice(i * 12, 12).ToArray().Select(v => (double)v).Append(data.Targets.Data[i]).ToArray();
            // A sampled sinusoid satisfies x[t + 1] + x[t − 1] = 2 cos ω · x[t]: take 2 cos ω from the steps where x[t] is largest.
            int peak = Enumerable.Range(1, 10).MaxBy(t => Math.Abs(x[t]));
            double twoCos = (x[peak + 1] + x[peak - 1]) / x[peak];
            Assert.InRange(twoCos, 2 * Math.Cos(2 * Math.PI / 8) - 1e-4, 2 * Math.Cos(2 * Math.PI / 40) + 1e-4);
            Assert.Equal(twoCos * x[11] - x[10], x[12], 3);
            Assert.All(x, v => Assert.InRange(v, -1, 1));
        }
        var noisy = DataSources.Load("sine-series:n=20,seq=5,noise=0.3,seed=3").Train;
        Assert.Equal([20, 5, 1], noisy.Features.Shape.ToArray());
        Assert.NotEqual(Synthetic.SineSeries(20, 5, 0f, new Generator(3)).Features.ToArray(), noisy.Features.ToArray());
    }
}
