using System.Globalization;
using Neurite.Tensors;

namespace Neurite.Data;

public static partial class Synthetic
{
    /// <summary>The vocabulary of <see cref="Addition"/>: space, "+" and the digits, sorted by code point (id 0 is the space).</summary>
    public static IReadOnlyList<string> AdditionVocabulary { get; } = [" ", "+", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>
    /// Keras's addition_rnn task: questions "a+b" and answers "a+b"'s sum as character ids of
    /// <see cref="AdditionVocabulary"/>. Each of a and b has a length drawn uniformly from 1 … <paramref name="digits"/> and
    /// random digits; a question whose unordered pair {a, b} is in <paramref name="seen"/> is drawn again, and each new one
    /// is added to it (pass one set to two calls for a test set disjoint from the training set). The question is padded
    /// with spaces to 2·digits + 1 characters and reversed, as Keras's REVERSE; the answer is padded with spaces on the right
    /// to digits + 1. Shapes [N, 2·digits + 1] and [N, digits + 1] (one class per step).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">digits is not in 1 … 9, or the set would need more than half of the
    /// distinct questions (10ᵈ·(10ᵈ + 1)/2) of that many digits.</exception>
    public static Dataset Addition(int count, int digits, Generator rng, ISet<(int, int)>? seen = null)
    {
        Check(count, 0, nameof(Addition));
        if (digits is < 1 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), $"Addition: digits must be in 1 … 9; got {digits}.");
        }
        seen ??= new HashSet<(int, int)>();
        long numbers = (long)Math.Pow(10, digits), questions = numbers * (numbers + 1) / 2;
        if (seen.Count + (long)count > questions / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(count),
                $"Addition: {seen.Count + (long)count} distinct questions of up to {digits} digits are more than half of the {questions} there are; ask for fewer or use more digits.");
        }
        int questionLength = 2 * digits + 1, answerLength = digits + 1;
        var x = new float[count * questionLength];
        var y = new float[count * answerLength];
        for (int i = 0; i < count; i++)
        {
            int a, b;
            do
            {
                (a, b) = (Number(digits, rng), Number(digits, rng));
            }
            while (!seen.Add((Math.Min(a, b), Math.Max(a, b))));
            string question = string.Create(CultureInfo.InvariantCulture, $"{a}+{b}").PadRight(questionLength);
            string answer = (a + b).ToString(CultureInfo.InvariantCulture).PadRight(answerLength);
            for (int t = 0; t < questionLength; t++)
            {
                x[i * questionLength + t] = AdditionId(question[questionLength - 1 - t]);
            }
            for (int t = 0; t < answerLength; t++)
            {
                y[i * answerLength + t] = AdditionId(answer[t]);
            }
        }
        return new Dataset(new Tensor(x, [count, questionLength]), new Tensor(y, [count, answerLength]), TaskKind.Classification,
            AdditionVocabulary, vocabulary: AdditionVocabulary);
    }

    /// <summary>
    /// Forecasting a noisy sine wave: each sample is a wave A·sin(2πft + φ) with A ~ U(0.5, 1), a period 1/f ~ U(8, 40)
    /// steps and φ ~ U(0, 2π), observed at t = 0 … steps − 1 with Gaussian noise σ = <paramref name="noise"/> added to
    /// each value; the target is the next observation, at t = steps (its noise included). Shapes [N, steps, 1] and [N, 1].
    /// </summary>
    public static Dataset SineSeries(int count, int steps, float noise, Generator rng)
    {
        Check(count, noise, nameof(SineSeries));
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var x = new float[count * steps];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            double amplitude = 0.5 + 0.5 * rng.NextDouble(), period = 8 + 32 * rng.NextDouble(), phase = 2 * Math.PI * rng.NextDouble();
            for (int t = 0; t <= steps; t++)
            {
                float value = (float)(amplitude * Math.Sin(2 * Math.PI * t / period + phase) + noise * rng.NextNormal());
                if (t < steps)
                {
                    x[i * steps + t] = value;
                }
                else
                {
                    y[i] = value;
                }
            }
        }
        return new Dataset(new Tensor(x, [count, steps, 1]), new Tensor(y, [count, 1]), TaskKind.Regression);
    }

    /// <summary>A number of 1 … digits digits (the count drawn uniformly), each digit uniform, as Keras's addition_rnn draws them.</summary>
    private static int Number(int digits, Generator rng)
    {
        int length = 1 + rng.NextInt(digits), value = 0;
        for (int d = 0; d < length; d++)
        {
            value = value * 10 + rng.NextInt(10);
        }
        return value;
    }

    private static int AdditionId(char c) => c switch
    {
        ' ' => 0,
        '+' => 1,
        _ => c - '0' + 2,
    };
}
