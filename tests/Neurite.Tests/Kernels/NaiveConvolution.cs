using Neurite.Kernels;

namespace Neurite.Tests.Kernels;

/// <summary>
/// Direct-loop references for convolutions and pools, in double, straight from the definitions: forward output and,
/// for an upstream gradient dy, the gradients of Σ y ⊙ dy with respect to x, the weight and the bias.
/// </summary>
internal static class NaiveConvolution
{
    public sealed record Result(double[] Y, double[] Dx, double[] Dw, double[] Db);

    /// <summary>
    /// conv2d: y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q]·x[n, g·Cg + c, i·sh − top + p·dh, j·sw − left + q·dw];
    /// dy is [n, o, outH, outW] (null: forward only).
    /// </summary>
    public static Result Conv2d(float[] x, int[] xShape, float[] w, int[] wShape, float[]? b, Conv2dGeometry g, float[]? dy)
    {
        int n = xShape[0], c = xShape[1], h = xShape[2], wd = xShape[3];
        int o = wShape[0], cg = wShape[1], kh = wShape[2], kw = wShape[3];
        var (oh, ow) = g.OutputSize(h, wd, kh, kw);
        int og = o / g.Groups;
        var r = new Result(new double[n * o * oh * ow], new double[x.Length], new double[w.Length], new double[o]);
        for (int s = 0; s < n; s++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                int group = oc / og;
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = ((s * o + oc) * oh + i) * ow + j;
                        double up = dy is null ? 0 : dy[yi];
                        double sum = b is null ? 0 : b[oc];
                        r.Db[oc] += up;
                        for (int ic = 0; ic < cg; ic++)
                        {
                            for (int p = 0; p < kh; p++)
                            {
                                int ih = i * g.StrideH - g.PadTop + p * g.DilationH;
                                for (int q = 0; q < kw; q++)
                                {
                                    int iw = j * g.StrideW - g.PadLeft + q * g.DilationW;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd)
                                    {
                                        continue;
                                    }
                                    int xi = ((s * c + group * cg + ic) * h + ih) * wd + iw;
                                    int wi = ((oc * cg + ic) * kh + p) * kw + q;
                                    sum += (double)w[wi] * x[xi];
                                    r.Dx[xi] += up * w[wi];
                                    r.Dw[wi] += up * x[xi];
                                }
                            }
                        }
                        r.Y[yi] = sum;
                    }
                }
            }
        }
        return r;
    }

    /// <summary>
    /// conv_transpose2d: x[n, g·Cg + c, i, j]·w[g·Cg + c, o, p, q] is added into
    /// y[n, g·Og + o, i·sh − padH + p·dh, j·sw − padW + q·dw] where that lies in the output; plus b.
    /// </summary>
    public static Result ConvTranspose2d(float[] x, int[] xShape, float[] w, int[] wShape, float[]? b, ConvTranspose2dGeometry g, float[]? dy)
    {
        int n = xShape[0], c = xShape[1], h = xShape[2], wd = xShape[3];
        int og = wShape[1], kh = wShape[2], kw = wShape[3], o = og * g.Groups, cg = c / g.Groups;
        var (oh, ow) = g.OutputSize(h, wd, kh, kw);
        var r = new Result(new double[n * o * oh * ow], new double[x.Length], new double[w.Length], new double[o]);
        for (int s = 0; s < n; s++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int i = 0; i < oh * ow; i++)
                {
                    int yi = (s * o + oc) * oh * ow + i;
                    r.Y[yi] = b is null ? 0 : b[oc];
                    r.Db[oc] += dy is null ? 0 : dy[yi];
                }
            }
            for (int ic = 0; ic < c; ic++)
            {
                int group = ic / cg;
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < wd; j++)
                    {
                        int xi = ((s * c + ic) * h + i) * wd + j;
                        for (int oc = 0; oc < og; oc++)
                        {
                            for (int p = 0; p < kh; p++)
                            {
                                int yh = i * g.StrideH - g.PadH + p * g.DilationH;
                                for (int q = 0; q < kw; q++)
                                {
                                    int yw = j * g.StrideW - g.PadW + q * g.DilationW;
                                    if (yh < 0 || yh >= oh || yw < 0 || yw >= ow)
                                    {
                                        continue;
                                    }
                                    int yi = ((s * o + group * og + oc) * oh + yh) * ow + yw;
                                    int wi = ((ic * og + oc) * kh + p) * kw + q;
                                    double up = dy is null ? 0 : dy[yi];
                                    r.Y[yi] += (double)x[xi] * w[wi];
                                    r.Dx[xi] += up * w[wi];
                                    r.Dw[wi] += up * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return r;
    }

    /// <summary>max_pool2d (padding is −∞, first maximum wins) and avg_pool2d (sum / kernel area): y and dx.</summary>
    public static (double[] Y, double[] Dx) Pool2d(bool max, float[] x, int[] xShape, Pool2dGeometry g, float[] dy)
    {
        int planes = xShape[0] * xShape[1], h = xShape[2], w = xShape[3];
        var (oh, ow) = g.OutputSize(h, w);
        var y = new double[planes * oh * ow];
        var dx = new double[x.Length];
        for (int pl = 0; pl < planes; pl++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    int yi = (pl * oh + i) * ow + j;
                    double best = double.NegativeInfinity, sum = 0;
                    int arg = -1;
                    for (int p = 0; p < g.KernelH; p++)
                    {
                        for (int q = 0; q < g.KernelW; q++)
                        {
                            int ih = i * g.StrideH - g.PadH + p, iw = j * g.StrideW - g.PadW + q;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                            {
                                continue;
                            }
                            int xi = (pl * h + ih) * w + iw;
                            sum += x[xi];
                            if (x[xi] > best)
                            {
                                (best, arg) = (x[xi], xi);
                            }
                        }
                    }
                    if (max)
                    {
                        y[yi] = best;
                        dx[arg] += dy[yi];
                        continue;
                    }
                    int area = g.KernelH * g.KernelW;
                    y[yi] = sum / area;
                    for (int p = 0; p < g.KernelH; p++)
                    {
                        for (int q = 0; q < g.KernelW; q++)
                        {
                            int ih = i * g.StrideH - g.PadH + p, iw = j * g.StrideW - g.PadW + q;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                            {
                                dx[(pl * h + ih) * w + iw] += dy[yi] / area;
                            }
                        }
                    }
                }
            }
        }
        return (y, dx);
    }

    /// <summary>adaptive_avg_pool2d: bin (i, j) covers rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1 and the same columns.</summary>
    public static (double[] Y, double[] Dx) AdaptiveAvgPool2d(float[] x, int[] xShape, int oh, int ow, float[] dy)
    {
        int planes = xShape[0] * xShape[1], h = xShape[2], w = xShape[3];
        var y = new double[planes * oh * ow];
        var dx = new double[x.Length];
        for (int pl = 0; pl < planes; pl++)
        {
            for (int i = 0; i < oh; i++)
            {
                int h0 = (int)Math.Floor((double)i * h / oh), h1 = (int)Math.Ceiling((double)(i + 1) * h / oh);
                for (int j = 0; j < ow; j++)
                {
                    int w0 = (int)Math.Floor((double)j * w / ow), w1 = (int)Math.Ceiling((double)(j + 1) * w / ow);
                    int yi = (pl * oh + i) * ow + j, area = (h1 - h0) * (w1 - w0);
                    for (int ih = h0; ih < h1; ih++)
                    {
                        for (int iw = w0; iw < w1; iw++)
                        {
                            y[yi] += x[(pl * h + ih) * w + iw] / (double)area;
                            dx[(pl * h + ih) * w + iw] += dy[yi] / area;
                        }
                    }
                }
            }
        }
        return (y, dx);
    }
}
