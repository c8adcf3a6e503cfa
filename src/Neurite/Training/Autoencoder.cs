using Neurite.Analysis;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>A 2-D view of held-out data beside PCA's, and how well k nearest neighbours classify in each.</summary>
/// <param name="Codes">The held-out samples' codes [N, d].</param>
/// <param name="Projection">The held-out samples projected on the training data's first d principal axes [N, d].</param>
/// <param name="Classes">The held-out samples' classes.</param>
/// <param name="CodeAccuracy">k-NN accuracy on the held-out codes, the neighbours being the training samples' codes.</param>
/// <param name="PcaAccuracy">k-NN accuracy on the held-out projections, the neighbours being the training samples' projections.</param>
/// <param name="ExplainedVarianceRatio">The share of the training data's variance along each principal axis.</param>
/// <param name="K">How many neighbours voted.</param>
public sealed record CodeComparison(
    Tensor Codes, Tensor Projection, int[] Classes, double CodeAccuracy, double PcaAccuracy, IReadOnlyList<double> ExplainedVarianceRatio, int K);

/// <summary>
/// An autoencoder built from a spec with <c>autoencoder</c> (<see cref="AutoencoderSpec"/>): encodes inputs to codes,
/// decodes codes to outputs, and for a variational one samples new outputs from codes drawn from the prior N(0, I) and
/// draws the latent manifold of a 2-D code. Everything runs in evaluation mode without recording a graph.
/// </summary>
public sealed class Autoencoder
{
    private readonly GraphModule _model;
    private readonly string _output;

    private Autoencoder(ModelSpec spec, GraphModule model)
    {
        Spec = spec;
        _model = model;
        Code = spec.Autoencoder!.Code;
        _output = spec.Graph!.Output;
        CodeShape = spec.NodeShape(Code);
        IsVariational = spec.NodeLayer(Code) is GaussianSampleSpec;
        var input = spec.Input.ToArray();
        ImageShape = input.Length switch
        {
            3 when input[0] is 1 or 3 => input,
            2 => [1, input[0], input[1]],
            1 when (int)Math.Round(Math.Sqrt(input[0])) is var side && side * side == input[0] => [1, side, side],
            _ => null,
        };
    }

    /// <summary>The autoencoder of a model built from <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">The spec has no <c>autoencoder</c>, or the module is not the spec's graph.</exception>
    public static Autoencoder From(ModelSpec spec, Module model, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string what = source ?? "the model";
        if (spec.Autoencoder is null)
        {
            throw new ArgumentException($"{what} is not an autoencoder: its spec has no \"autoencoder\": {{\"code\": NODE}}");
        }
        return model is GraphModule graph
            ? new Autoencoder(spec, graph)
            : throw new ArgumentException($"{what}: an autoencoder is a graph module, got {model?.GetType().Name}");
    }

    public ModelSpec Spec { get; }

    /// <summary>The code node's name.</summary>
    public string Code { get; }

    /// <summary>The shape of one sample's code.</summary>
    public int[] CodeShape { get; }

    /// <summary>Whether the code node is a <c>gaussian_sample</c> (a VAE), so that codes drawn from N(0, I) decode to samples.</summary>
    public bool IsVariational { get; }

    /// <summary>The [C, H, W] shape of one output as an image (from the spec's input: [C, H, W], [H, W], or a square [H·W]), or null.</summary>
    public int[]? ImageShape { get; }

    /// <summary>
    /// The codes of <paramref name="inputs"/> [N, …] (as many values per sample as the spec's input): the code node's value
    /// in evaluation mode, which for a VAE is the mean μ. [N, …code shape].
    /// </summary>
    public Tensor Encode(Tensor inputs, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Batched(Ops.Reshape(inputs, [inputs.Shape[0], .. Spec.Input]), batchSize,
            batch => _model.Run(new Dictionary<string, Tensor> { [_model.InputNames[0]] = batch }, Code));
    }

    /// <summary>
    /// The outputs for <paramref name="codes"/> [N, …code shape], as values of the data: the sigmoid of the logits of a
    /// model trained with bce_with_logits, the outputs themselves otherwise. [N, …output shape].
    /// </summary>
    public Tensor Decode(Tensor codes, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var decoded = Batched(codes, batchSize, batch => _model.Run(new Dictionary<string, Tensor> { [Code] = batch }, _output));
        return Spec.Loss?.Type == "bce_with_logits" ? Ops.Sigmoid(decoded) : decoded;
    }

    /// <summary>The decoded codes of <paramref name="count"/> draws from N(0, I) (a VAE's prior), from <paramref name="rng"/>.</summary>
    /// <exception cref="InvalidOperationException">The model is not variational.</exception>
    public Tensor Sample(int count, Generator rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(rng);
        if (!IsVariational)
        {
            throw new InvalidOperationException($"sampling needs a variational autoencoder, whose code node is a gaussian_sample; node \"{Code}\" is a {Spec.NodeLayer(Code)?.Type}");
        }
        return Decode(Tensor.Normal([count, .. CodeShape], 0, 1, rng));
    }

    /// <summary>
    /// Kingma &amp; Welling's latent manifold (their figure 4): a <paramref name="steps"/> × <paramref name="steps"/> grid
    /// of 2-D codes, evenly spaced probabilities 0.05 … 0.95 in each axis mapped through the standard normal's inverse CDF,
    /// decoded. Row r, column c decodes z = (Φ⁻¹(p_c), Φ⁻¹(p_{steps−1−r})), so z₂ grows upwards. [steps², …output shape].
    /// </summary>
    /// <exception cref="InvalidOperationException">The code does not have two values.</exception>
    public Tensor Manifold(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        if (CodeShape is not [2])
        {
            throw new InvalidOperationException($"the latent manifold needs a 2-D code; node \"{Code}\" gives {Shapes.Format(CodeShape)}");
        }
        var z = new float[steps * steps * 2];
        for (int r = 0; r < steps; r++)
        {
            for (int c = 0; c < steps; c++)
            {
                z[(r * steps + c) * 2] = (float)InverseNormalCdf(0.05 + 0.9 * c / (steps - 1));
                z[(r * steps + c) * 2 + 1] = (float)InverseNormalCdf(0.05 + 0.9 * (steps - 1 - r) / (steps - 1));
            }
        }
        return Decode(Tensor.From(z, [steps * steps, 2]));
    }

    /// <summary>Outputs [N, …] as images [N, C, H, W] (<see cref="ImageShape"/>).</summary>
    /// <exception cref="InvalidOperationException">The outputs are not images.</exception>
    public Tensor AsImages(Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var shape = ImageShape ?? throw new InvalidOperationException($"the model's samples {Shapes.Format([.. Spec.Input])} are not images ([C, H, W], [H, W] or a square [H·W])");
        return Ops.Reshape(outputs, [outputs.Shape[0], .. shape]);
    }

    /// <summary>
    /// The codes of the held-out data beside its projection on the training data's principal axes (as many as the code
    /// has values), and the accuracy of a <paramref name="k"/>-nearest-neighbour classifier in each space: the
    /// training samples are the neighbours, the held-out samples are classified.
    /// </summary>
    /// <exception cref="ArgumentException">The data is not labelled with classes.</exception>
    public CodeComparison CompareWithPca(Dataset train, Dataset heldOut, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (train.Task != TaskKind.Classification || heldOut.Task != TaskKind.Classification)
        {
            throw new ArgumentException("comparing codes needs data labelled with classes");
        }
        int dimensions = CodeShape.Aggregate(1, (a, b) => a * b);
        Tensor Flat(Tensor x) => Ops.Reshape(x, [x.Shape[0], -1]);
        int[] Classes(Dataset data) => [.. data.Targets.Data.ToArray().Select(c => (int)c)];
        var (trainClasses, heldOutClasses) = (Classes(train), Classes(heldOut));

        var trainCodes = Flat(Encode(train.Features));
        var codes = Flat(Encode(heldOut.Features));
        double codeAccuracy = new NearestNeighbors(trainCodes, trainClasses, k).Accuracy(codes, heldOutClasses);

        var pca = Pca.Fit(Flat(train.Features), dimensions);
        var projection = pca.Transform(Flat(heldOut.Features));
        double pcaAccuracy = new NearestNeighbors(pca.Transform(Flat(train.Features)), trainClasses, k).Accuracy(projection, heldOutClasses);
        return new CodeComparison(codes, projection, heldOutClasses, codeAccuracy, pcaAccuracy, pca.ExplainedVarianceRatio, k);
    }

    /// <summary>
    /// Φ⁻¹(p), the standard normal's inverse CDF, for 0 &lt; p &lt; 1: P. J. Acklam's rational approximation, whose
    /// relative error is below 1.2·10⁻⁹.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">p is not in (0, 1).</exception>
    public static double InverseNormalCdf(double p)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "InverseNormalCdf: p must be in (0, 1).");
        }
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        double x;
        if (p < low || p > 1 - low)
        {
            double q = Math.Sqrt(-2 * Math.Log(p < low ? p : 1 - p));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
            x = p < low ? x : -x;
        }
        else
        {
            double q = p - 0.5, r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        return x;
    }

    /// <summary>
    /// <paramref name="run"/> over batches of the inputs, in evaluation mode, without recording a graph, and with every
    /// sampling node deterministic (z = μ) even where a training run asked it to sample in evaluation.
    /// </summary>
    private Tensor Batched(Tensor inputs, int batchSize, Func<Tensor, Tensor> run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        bool wasTraining = _model.IsTraining;
        var samplers = _model.Modules().OfType<GaussianSample>().Where(sampler => sampler.SampleInEval).ToArray();
        _model.Eval();
        foreach (var sampler in samplers)
        {
            sampler.SampleInEval = false;
        }
        try
        {
            using var _ = Graph.NoGrad();
            int n = inputs.Shape[0];
            var parts = new List<Tensor>();
            for (int start = 0; start < n; start += batchSize)
            {
                parts.Add(run(Ops.Slice(inputs, 0, start, Math.Min(n, start + batchSize))));
            }
            return parts.Count == 1 ? parts[0] : Ops.Concat(parts, 0);
        }
        finally
        {
            _model.Train(wasTraining);
            foreach (var sampler in samplers)
            {
                sampler.SampleInEval = true;
            }
        }
    }
}
