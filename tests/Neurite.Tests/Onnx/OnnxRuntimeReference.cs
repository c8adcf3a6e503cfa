using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Neurite.Tensors;
using Tensor = Neurite.Tensors.Tensor;

namespace Neurite.Tests.Onnx;

/// <summary>ONNX Runtime (the Microsoft.ML.OnnxRuntime package, in the tests only) as the reference executor of exported files.</summary>
internal static class OnnxRuntimeReference
{
    /// <summary>Runs the model's bytes on inputs by name (float, or whole-number floats for an int64 input such as ids); returns its first output.</summary>
    public static Tensor Run(byte[] model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(input => session.InputMetadata[input.Key].ElementType == typeof(long)
            ? NamedOnnxValue.CreateFromTensor(input.Key, new DenseTensor<long>(input.Value.ToArray().Select(v => (long)v).ToArray(), input.Value.Shape.ToArray()))
            : NamedOnnxValue.CreateFromTensor(input.Key, new DenseTensor<float>(input.Value.ToArray(), input.Value.Shape.ToArray()))).ToList();
        using var results = session.Run(values);
        var output = results[0].AsTensor<float>();
        return Tensor.From(output.ToArray(), [.. output.Dimensions.ToArray()]);
    }

    /// <summary>
    /// Requires the same shape and |ort − neurite| ≤ 1e-6 + 1e-4·|neurite| everywhere (NaN where Neurite has NaN, the
    /// same infinity where it has one): relative 1e-4, with an absolute floor for values that cancel to near 0.
    /// </summary>
    public static void AssertClose(Tensor neurite, Tensor ort, string what)
    {
        Assert.True(neurite.Shape.SequenceEqual(ort.Shape), $"{what}: ONNX Runtime gives shape {Shapes.Format(ort.Shape)}, Neurite {Shapes.Format(neurite.Shape)}");
        var n = neurite.Data;
        var o = ort.Data;
        for (int i = 0; i < n.Length; i++)
        {
            bool ok = float.IsNaN(n[i]) ? float.IsNaN(o[i]) : n[i] == o[i] || Math.Abs((double)o[i] - n[i]) <= 1e-6 + 1e-4 * Math.Abs((double)n[i]);
            Assert.True(ok, $"{what}: element {i} is {o[i].ToString("R", CultureInfo.InvariantCulture)} in ONNX Runtime, {n[i].ToString("R", CultureInfo.InvariantCulture)} in Neurite");
        }
    }
}
