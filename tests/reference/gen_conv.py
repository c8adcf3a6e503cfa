#!/usr/bin/python3
"""Writes conv.json: convolutions and pools computed by PyTorch, forward and backward.

Run by hand with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 tests/reference/gen_conv.py

Cases: conv1d and conv2d (1x1, 3x3, 5x5 and [3, 1] kernels, stride, dilation, groups and depthwise, padding "same"
for odd and even kernels), conv_transpose2d (stride 2, padding, output_padding, groups), max_pool2d and avg_pool2d
(with padding; avg_pool2d with count_include_pad), adaptive_avg_pool2d (sizes that do not divide, such as 7 -> 3).
Same layout as gen_reference.py (tensors as {"shape", "data"}, gradients of sum(out * upstream) for a random
upstream); the op's settings go into "params", each spatial setting as [h, w] (conv1d: one value), "same" as the
string.
"""

import torch
import torch.nn.functional as F

from gen_reference import case, header, write

SEED = 20240611 + 11


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def gen_conv():
    torch.manual_seed(SEED)
    cases = []

    def conv1d(name, n, c, length, o, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
        inputs = {"x": torch.randn(n, c, length), "weight": torch.randn(o, c // groups, k) * 0.5}
        if bias:
            inputs["bias"] = torch.randn(o)
        params = {"op": "conv1d", "stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        cases.append(case(name, inputs, lambda x, weight, bias=None: F.conv1d(x, weight, bias, stride, padding, dilation, groups),
                          params))

    def conv2d(name, n, c, h, w, o, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
        kh, kw = pair(k)
        inputs = {"x": torch.randn(n, c, h, w), "weight": torch.randn(o, c // groups, kh, kw) * 0.5}
        if bias:
            inputs["bias"] = torch.randn(o)
        params = {"op": "conv2d", "stride": pair(stride), "padding": padding if padding == "same" else pair(padding),
                  "dilation": pair(dilation), "groups": groups}
        cases.append(case(name, inputs, lambda x, weight, bias=None: F.conv2d(x, weight, bias, stride, padding, dilation, groups),
                          params))

    def conv_transpose2d(name, n, c, h, w, o, k, stride=1, padding=0, output_padding=0, dilation=1, groups=1, bias=True):
        kh, kw = pair(k)
        inputs = {"x": torch.randn(n, c, h, w), "weight": torch.randn(c, o // groups, kh, kw) * 0.5}
        if bias:
            inputs["bias"] = torch.randn(o)
        params = {"op": "conv_transpose2d", "stride": pair(stride), "padding": pair(padding),
                  "output_padding": pair(output_padding), "dilation": pair(dilation), "groups": groups}
        cases.append(case(name, inputs, lambda x, weight, bias=None: F.conv_transpose2d(
            x, weight, bias, stride, padding, output_padding, groups, dilation), params))

    def pool(name, op, n, c, h, w, kernel, stride=None, padding=0):
        fn = F.max_pool2d if op == "max_pool2d" else F.avg_pool2d
        params = {"op": op, "kernel": pair(kernel), "stride": pair(stride if stride is not None else kernel),
                  "padding": pair(padding)}
        cases.append(case(name, {"x": torch.randn(n, c, h, w)},
                          lambda x: fn(x, kernel, stride, padding), params))

    def adaptive(name, n, c, h, w, out):
        cases.append(case(name, {"x": torch.randn(n, c, h, w)}, lambda x: F.adaptive_avg_pool2d(x, out),
                          {"op": "adaptive_avg_pool2d", "output": pair(out)}))

    conv1d("conv1d_k3_pad1", 2, 3, 9, 4, 3, padding=1)
    conv1d("conv1d_k5_stride2_dilation2", 2, 2, 17, 3, 5, stride=2, padding=2, dilation=2)
    conv1d("conv1d_groups2_no_bias", 3, 4, 8, 6, 3, groups=2, bias=False)
    conv1d("conv1d_same_odd", 2, 3, 7, 2, 3, padding="same")
    conv1d("conv1d_same_even", 2, 3, 7, 2, 4, padding="same")
    conv1d("conv1d_same_even_dilation3", 1, 2, 8, 3, 2, padding="same", dilation=3)

    conv2d("conv2d_3x3_pad1", 2, 3, 7, 6, 4, 3, padding=1)
    conv2d("conv2d_5x5_no_bias", 1, 2, 9, 11, 3, 5, bias=False)
    conv2d("conv2d_1x1", 3, 5, 4, 5, 6, 1)
    conv2d("conv2d_3x1_pad_1_0", 2, 3, 6, 5, 4, (3, 1), padding=(1, 0))
    conv2d("conv2d_stride2_pad1_odd", 2, 3, 9, 7, 5, 3, stride=2, padding=1)
    conv2d("conv2d_stride_2_1_dilation_1_2", 1, 2, 8, 9, 3, (2, 3), stride=(2, 1), padding=(0, 1), dilation=(1, 2))
    conv2d("conv2d_dilation2", 2, 2, 9, 8, 3, 3, padding=2, dilation=2)
    conv2d("conv2d_groups2", 2, 4, 6, 6, 6, 3, padding=1, groups=2)
    conv2d("conv2d_depthwise", 2, 3, 7, 5, 6, 3, padding=1, groups=3)
    conv2d("conv2d_same_odd", 2, 3, 6, 7, 4, 3, padding="same")
    conv2d("conv2d_same_even", 2, 2, 7, 6, 3, 4, padding="same")
    conv2d("conv2d_same_even_2x3_dilation_2_1", 1, 2, 6, 7, 3, (2, 3), padding="same", dilation=(2, 1))

    conv_transpose2d("conv_transpose2d_k3_stride2_pad1_outpad1", 2, 3, 4, 5, 2, 3, stride=2, padding=1, output_padding=1)
    conv_transpose2d("conv_transpose2d_k2_stride2", 2, 4, 3, 3, 3, 2, stride=2)
    conv_transpose2d("conv_transpose2d_k3x2_stride_2_1_pad_1_0_outpad_1_0", 1, 2, 4, 3, 3, (3, 2), stride=(2, 1),
                     padding=(1, 0), output_padding=(1, 0))
    conv_transpose2d("conv_transpose2d_k4_stride2_pad1_no_bias", 2, 3, 3, 4, 2, 4, stride=2, padding=1, bias=False)
    conv_transpose2d("conv_transpose2d_groups2_dilation2", 1, 4, 3, 3, 6, 3, dilation=2, groups=2)

    pool("max_pool2d_k2", "max_pool2d", 2, 3, 6, 7, 2)
    pool("max_pool2d_k3_stride2_pad1", "max_pool2d", 2, 2, 7, 8, 3, 2, 1)
    pool("max_pool2d_k3x2_stride_2_1_pad_1_0", "max_pool2d", 1, 3, 6, 5, (3, 2), (2, 1), (1, 0))
    pool("avg_pool2d_k2", "avg_pool2d", 2, 3, 6, 7, 2)
    pool("avg_pool2d_k3_stride2_pad1", "avg_pool2d", 2, 2, 7, 8, 3, 2, 1)
    pool("avg_pool2d_k3x2_stride_1_2_pad_1_1", "avg_pool2d", 1, 3, 5, 6, (3, 2), (1, 2), (1, 1))

    adaptive("adaptive_avg_pool2d_7_to_3", 2, 3, 7, 7, 3)
    adaptive("adaptive_avg_pool2d_5x6_to_2x4", 2, 2, 5, 6, (2, 4))
    adaptive("adaptive_avg_pool2d_4_to_1", 3, 2, 4, 4, 1)
    adaptive("adaptive_avg_pool2d_3_to_5", 1, 2, 3, 3, 5)
    # output_padding ≥ stride but below the dilation, as PyTorch allows (drawn last: earlier cases keep their values).
    conv_transpose2d("conv_transpose2d_outpad2_stride1_dilation3", 1, 2, 3, 4, 2, 2, output_padding=2, dilation=3)
    write("conv.json", {**header(SEED), "cases": cases})


if __name__ == "__main__":
    gen_conv()
