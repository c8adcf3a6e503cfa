using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// Multi-head attention (Vaswani et al., 2017, §3.2.2), as torch.nn.MultiheadAttention(embed_dim, num_heads, dropout,
/// batch_first=True): query [N, Tq, D] attends over key and value [N, Tk, D] and gives [N, Tq, D]; <see cref="Forward(Tensor)"/>
/// is self-attention, query = key = value = x.
/// </summary>
/// <remarks>
/// <para>Parameters under PyTorch's names: in_proj_weight [3·D, D] (the query, key and value projections stacked, in
/// that order), in_proj_bias [3·D], out_proj.weight [D, D] and out_proj.bias [D]. Initialized as PyTorch does:
/// out_proj as a Linear (U(−1/√D, 1/√D)) with its bias then zeroed, in_proj_weight Xavier-uniform, in_proj_bias 0.</para>
/// <para>Each head takes D/heads features; scores are scaled by 1/√(D/heads). Dropout (in training) zeroes attention
/// weights. <see cref="Causal"/> limits query step i to key steps j ≤ i, as PyTorch's attn_mask =
/// generate_square_subsequent_mask(T) does; a key-padding mask is an argument of <see cref="Forward(Tensor, Tensor?)"/>.
/// A query whose keys are all masked gets an output of out_proj.bias (its attention weights are 0; see
/// <see cref="Ops.ScaledDotProductAttention"/>), where PyTorch 1.13 gives NaN.</para>
/// </remarks>
public sealed class MultiheadAttention : Module
{
    private readonly Generator _rng;

    /// <exception cref="ArgumentException">A size is below 1, embedDim is not a multiple of numHeads, or dropout is outside [0, 1).</exception>
    public MultiheadAttention(int embedDim, int numHeads, float dropout = 0f, bool causal = false, Generator? rng = null)
    {
        if (embedDim < 1 || numHeads < 1 || embedDim % numHeads != 0)
        {
            throw new ArgumentException(
                $"MultiheadAttention: embedDim and numHeads must be >= 1 and numHeads must divide embedDim; got {embedDim} and {numHeads}.");
        }
        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentException($"MultiheadAttention: dropout must be in [0, 1); got {dropout}.", nameof(dropout));
        }
        rng ??= Generator.Default;
        (NumHeads, Dropout, Causal) = (numHeads, dropout, causal);
        // PyTorch's order of draws: out_proj is built first, then in_proj_weight is drawn and both biases are zeroed.
        var outProj = new Linear(embedDim, embedDim, rng: rng);
        InProjWeight = Register("in_proj_weight", Init.XavierUniform(Tensor.Empty([3 * embedDim, embedDim]), rng: rng));
        InProjBias = Register("in_proj_bias", Tensor.Zeros([3 * embedDim]));
        OutProj = RegisterModule("out_proj", outProj);
        Init.Zeros(outProj.Bias!);
        _rng = RegisterGenerator(rng);
    }

    public Parameter InProjWeight { get; }   // [3·D, D]

    public Parameter InProjBias { get; }     // [3·D]

    public Linear OutProj { get; }

    public int EmbedDim => OutProj.InFeatures;

    public int NumHeads { get; }

    /// <summary>The features of one head, D / heads.</summary>
    public int HeadDim => EmbedDim / NumHeads;

    /// <summary>The probability of zeroing an attention weight in training.</summary>
    public float Dropout { get; }

    /// <summary>Whether query step i attends to key steps j ≤ i only.</summary>
    public bool Causal { get; }

    /// <summary>Self-attention: x [N, T, D] attends over itself.</summary>
    /// <exception cref="ArgumentException">x is not [N, T, D] with T ≥ 1.</exception>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>
    /// Self-attention of x [N, T, D] that ignores the keys where <paramref name="keyPaddingMask"/> [N, T] is 1 (PyTorch's
    /// bool key_padding_mask, True = padding): a batch of sequences of different lengths, padded to T.
    /// </summary>
    /// <exception cref="ArgumentException">x is not [N, T, D] with T ≥ 1, or the mask is not [N, T] of 0 and 1.</exception>
    public Tensor Forward(Tensor x, Tensor? keyPaddingMask)
    {
        Check(x, "x");
        // One GEMM projects queries, keys and values; attention reads them from its output in place.
        var qkv = Ops.Linear(x, InProjWeight, InProjBias);
        var heads = Ops.SelfAttention(qkv, NumHeads, Causal, keyPaddingMask, IsTraining ? Dropout : 0f, _rng);
        return Ops.Linear(heads, OutProj.Weight, OutProj.Bias);
    }

    /// <summary>
    /// query [N, Tq, D] attends over key and value [N, Tk, D], ignoring the keys where <paramref name="keyPaddingMask"/>
    /// [N, Tk] is 1; as PyTorch's forward(query, key, value, key_padding_mask, need_weights=False).
    /// </summary>
    /// <exception cref="ArgumentException">The inputs are not [N, T, D] with matching N and Tk, or the mask is not [N, Tk] of 0 and 1.</exception>
    public Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null)
    {
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            return Forward(query, keyPaddingMask);
        }
        Check(query, "query");
        Check(key, "key");
        Check(value, "value");
        int d = EmbedDim;
        // The rows of in_proj_weight and in_proj_bias for queries, keys and values, as views.
        Tensor Project(Tensor input, int block) =>
            Ops.Linear(input, Ops.Narrow(InProjWeight, 0, block * d, d), Ops.Narrow(InProjBias, 0, block * d, d));
        var heads = Ops.ScaledDotProductAttention(Project(query, 0), Project(key, 1), Project(value, 2), NumHeads, Causal,
            keyPaddingMask, IsTraining ? Dropout : 0f, _rng);
        return Ops.Linear(heads, OutProj.Weight, OutProj.Bias);
    }

    private void Check(Tensor x, string what)
    {
        if (x.Rank != 3 || x.Shape[2] != EmbedDim || x.Shape[1] < 1)
        {
            throw new ArgumentException($"{Describe()}: expected {what} [batch, steps, {EmbedDim}] with at least one step, got {Shapes.Format(x.Shape)}.");
        }
    }

    /// <summary>
    /// A key-padding mask for sequences of the given lengths padded to <paramref name="steps"/>: [N, steps], 1 at
    /// steps t ≥ lengths[n] (ignored), 0 before.
    /// </summary>
    /// <exception cref="ArgumentException">A length is negative or longer than steps.</exception>
    public static Tensor KeyPaddingMask(ReadOnlySpan<int> lengths, int steps)
    {
        var mask = Tensor.Zeros([lengths.Length, steps]);
        for (int n = 0; n < lengths.Length; n++)
        {
            if (lengths[n] < 0 || lengths[n] > steps)
            {
                throw new ArgumentException($"KeyPaddingMask: length {lengths[n]} of sequence {n} is not in [0, {steps}].", nameof(lengths));
            }
            mask.Data.Slice(n * steps + lengths[n], steps - lengths[n]).Fill(1f);
        }
        return mask;
    }

    public override string Describe() =>
        $"MultiheadAttention(embed_dim={EmbedDim}, num_heads={NumHeads}, dropout={Dropout}, batch_first=True{(Causal ? ", causal=True" : "")})";
}

/// <summary>
/// One Transformer encoder layer (Vaswani et al., 2017, §3.1), as torch.nn.TransformerEncoderLayer(d_model, nhead,
/// dim_feedforward, dropout, activation, layer_norm_eps, batch_first=True, norm_first): [N, T, D] → [N, T, D].
/// Post-norm (the default): x = norm1(x + sa(x)), x = norm2(x + ff(x)); with <see cref="NormFirst"/>:
/// x = x + sa(norm1(x)), x = x + ff(norm2(x)); sa(x) = dropout1(self_attn(x)) and
/// ff(x) = dropout2(linear2(dropout(activation(linear1(x))))).
/// </summary>
/// <remarks>
/// Children under PyTorch's names: self_attn (<see cref="MultiheadAttention"/>), linear1 [ff, D], dropout, linear2
/// [D, ff], norm1, norm2 (<see cref="LayerNorm"/>), dropout1, dropout2; every weight initialized as PyTorch's
/// modules do. The activation is relu or gelu (exact, with erf). <see cref="Causal"/> stands for PyTorch's
/// src_mask = generate_square_subsequent_mask(T); a key-padding mask is an argument of
/// <see cref="Forward(Tensor, Tensor?)"/>.
/// </remarks>
public sealed class TransformerEncoderLayer : Module
{
    private readonly Func<Tensor, Tensor> _activation;

    /// <exception cref="ArgumentException">A size is below 1, dModel is not a multiple of nHead, dropout is outside [0, 1), or the activation is not relu or gelu.</exception>
    public TransformerEncoderLayer(int dModel, int nHead, int dimFeedforward = 2048, float dropout = 0.1f, string activation = "relu",
        float layerNormEps = 1e-5f, bool normFirst = false, bool causal = false, Generator? rng = null)
    {
        if (dimFeedforward < 1)
        {
            throw new ArgumentException($"TransformerEncoderLayer: dimFeedforward must be >= 1; got {dimFeedforward}.", nameof(dimFeedforward));
        }
        _activation = activation switch
        {
            "relu" => Ops.Relu,
            "gelu" => Ops.Gelu,
            _ => throw new ArgumentException($"TransformerEncoderLayer: activation must be relu or gelu; got \"{activation}\".", nameof(activation)),
        };
        rng ??= Generator.Default;
        (Activation, NormFirst) = (activation, normFirst);
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nHead, dropout, causal, rng));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, rng: rng));
        Dropout = RegisterModule("dropout", new Dropout(dropout, rng));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, rng: rng));
        Norm1 = RegisterModule("norm1", new LayerNorm(dModel, layerNormEps));
        Norm2 = RegisterModule("norm2", new LayerNorm(dModel, layerNormEps));
        Dropout1 = RegisterModule("dropout1", new Dropout(dropout, rng));
        Dropout2 = RegisterModule("dropout2", new Dropout(dropout, rng));
    }

    public MultiheadAttention SelfAttn { get; }

    public Linear Linear1 { get; }

    public Dropout Dropout { get; }

    public Linear Linear2 { get; }

    public LayerNorm Norm1 { get; }

    public LayerNorm Norm2 { get; }

    public Dropout Dropout1 { get; }

    public Dropout Dropout2 { get; }

    /// <summary>"relu" or "gelu".</summary>
    public string Activation { get; }

    /// <summary>Whether the layer normalizes before each block (pre-norm) rather than after each residual sum.</summary>
    public bool NormFirst { get; }

    /// <summary>Whether step i attends to steps j ≤ i only.</summary>
    public bool Causal => SelfAttn.Causal;

    /// <exception cref="ArgumentException">src is not [N, T, D] with T ≥ 1.</exception>
    public override Tensor Forward(Tensor src) => Forward(src, null);

    /// <summary>The layer on src [N, T, D], its attention ignoring the keys where <paramref name="srcKeyPaddingMask"/> [N, T] is 1.</summary>
    /// <exception cref="ArgumentException">src is not [N, T, D] with T ≥ 1, or the mask is not [N, T] of 0 and 1.</exception>
    public Tensor Forward(Tensor src, Tensor? srcKeyPaddingMask)
    {
        var x = src;
        if (NormFirst)
        {
            x = Ops.Add(x, SelfAttentionBlock(Norm1.Call(x), srcKeyPaddingMask));
            return Ops.Add(x, FeedForwardBlock(Norm2.Call(x)));
        }
        x = Norm1.Call(Ops.Add(x, SelfAttentionBlock(x, srcKeyPaddingMask)));
        return Norm2.Call(Ops.Add(x, FeedForwardBlock(x)));
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? keyPaddingMask) => Dropout1.Call(SelfAttn.Forward(x, keyPaddingMask));

    private Tensor FeedForwardBlock(Tensor x) => Dropout2.Call(Linear2.Call(Dropout.Call(_activation(Linear1.Call(x)))));

    public override string Describe() =>
        $"TransformerEncoderLayer(d_model={SelfAttn.EmbedDim}, nhead={SelfAttn.NumHeads}, dim_feedforward={Linear1.OutFeatures}, dropout={Dropout.P}, " +
        $"activation={Activation}, norm_first={(NormFirst ? "True" : "False")}{(Causal ? ", causal=True" : "")})";
}
