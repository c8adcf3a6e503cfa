#!/usr/bin/python3
"""Writes the PyTorch fixtures that tests/Neurite.Tests/Optim/ compares against.

Run by hand with Debian's PyTorch (python3-torch 1.13), from the repository root:

    /usr/bin/python3 tests/reference/gen_optim.py

CI never runs this script: the JSON files it writes (tests/reference/optim_*.json) are checked in.

Every float32 value is written as float(x), its exact widening to a double, so that the C# side
(parse as double, narrow to float) reads exactly the bits PyTorch used. Learning rates are Python
floats (doubles) in PyTorch, and are written as such.

Optimizers: three parameters, p0 [4, 5], p1 [3] and p2 [2, 2]. The loss is
L = sum((p0*x0 - t0)^2) + sum((p1*x1 - t1)^2); p2 takes no part, so its grad stays None and every
optimizer must skip it. Each step is zero_grad, backward, step; the fixture records the parameter
values after every step. The C# test computes the same gradients with Ops and Backward: they are
element-wise, 2*(p*x - t)*x, so both sides round them identically.
"""

import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240917
STEPS = 8


def values(x):
    return [float(v) for v in x.detach().to(torch.float32).reshape(-1).tolist()]


def to_json(value, indent=0):
    """JSON with one line per list of scalars, which keeps the files small and their diffs readable."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + to_json(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


def write(name, cases):
    payload = {"torch_version": torch.__version__, "seed": SEED, "cases": cases}
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        f.write(to_json(payload) + "\n")
    print("wrote", path)


# ---- Optimizers ------------------------------------------------------------------------------

SHAPES = [[4, 5], [3], [2, 2]]
# Keys of param_groups that are hyperparameters Neurite has (maximize, foreach, ... are left out).
KEYS = ["lr", "momentum", "dampening", "weight_decay", "nesterov", "betas", "eps", "amsgrad",
        "alpha", "centered", "lr_decay", "initial_accumulator_value"]


def problem():
    g = torch.Generator().manual_seed(SEED)
    params = [torch.randn(s, generator=g) for s in SHAPES]
    xs = [torch.randn(s, generator=g) for s in SHAPES[:2]]
    ts = [torch.randn(s, generator=g) for s in SHAPES[:2]]
    return params, xs, ts


def optimizer_case(name, make, groups=None, **options):
    """groups: None for one group of all parameters, else [(indices, overrides), ...]."""
    init, xs, ts = problem()
    params = [torch.nn.Parameter(p.clone()) for p in init]
    if groups is None:
        groups = [([0, 1, 2], {})]
    opt = make([dict(params=[params[i] for i in idx], **over) for idx, over in groups],
               foreach=False, **options)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = sum(((p * x - t) ** 2).sum() for p, x, t in zip(params, xs, ts))
        loss.backward()
        opt.step()
        steps.append([values(p) for p in params])
    assert params[2].grad is None and torch.equal(params[2], init[2])
    return {
        "name": name,
        "shapes": SHAPES,
        "init": [values(p) for p in init],
        "x": [values(x) for x in xs],
        "t": [values(t) for t in ts],
        "groups": [
            {"params": idx, "options": {k: group[k] for k in KEYS if k in group}}
            for (idx, _), group in zip(groups, opt.param_groups)
        ],
        "steps": steps,
    }


def optimizers():
    sgd, adam, adamw, rmsprop, adagrad = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW,
                                          torch.optim.RMSprop, torch.optim.Adagrad)
    two_groups = [([0, 2], {}), ([1], {"lr": 0.03})]
    write("optim_sgd.json", [
        optimizer_case("plain", sgd, lr=0.05),
        optimizer_case("momentum", sgd, lr=0.05, momentum=0.9),
        optimizer_case("dampening", sgd, lr=0.05, momentum=0.9, dampening=0.3),
        optimizer_case("nesterov", sgd, lr=0.05, momentum=0.8, nesterov=True),
        optimizer_case("weight_decay", sgd, lr=0.05, weight_decay=0.1),
        optimizer_case("everything", sgd, lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.02),
        optimizer_case("groups", sgd, groups=[([0, 2], {}), ([1], {"lr": 0.01, "momentum": 0.5})],
                       lr=0.05, momentum=0.9),
    ])
    write("optim_adam.json", [
        optimizer_case("default", adam, lr=0.01),
        optimizer_case("weight_decay", adam, lr=0.01, weight_decay=0.1),
        optimizer_case("amsgrad", adam, lr=0.01, amsgrad=True),
        optimizer_case("betas_eps", adam, lr=0.02, betas=(0.8, 0.95), eps=1e-3),
        optimizer_case("amsgrad_weight_decay", adam, lr=0.01, amsgrad=True, weight_decay=0.05),
        optimizer_case("groups", adam, groups=[([0, 2], {}), ([1], {"lr": 0.03, "amsgrad": True})], lr=0.01),
    ])
    write("optim_adamw.json", [
        optimizer_case("default", adamw, lr=0.01),
        optimizer_case("weight_decay", adamw, lr=0.01, weight_decay=0.3),
        optimizer_case("amsgrad", adamw, lr=0.01, amsgrad=True, weight_decay=0.1),
        optimizer_case("groups", adamw, groups=[([0, 2], {}), ([1], {"lr": 0.03, "weight_decay": 0.0})],
                       lr=0.01, weight_decay=0.2),
    ])
    write("optim_rmsprop.json", [
        optimizer_case("default", rmsprop, lr=0.01),
        optimizer_case("alpha", rmsprop, lr=0.01, alpha=0.9, eps=1e-4),
        optimizer_case("momentum", rmsprop, lr=0.01, momentum=0.9),
        optimizer_case("centered", rmsprop, lr=0.01, centered=True),
        optimizer_case("weight_decay", rmsprop, lr=0.01, weight_decay=0.1),
        optimizer_case("everything", rmsprop, lr=0.01, alpha=0.95, momentum=0.8, centered=True, weight_decay=0.05),
        optimizer_case("groups", rmsprop, groups=two_groups, lr=0.01, momentum=0.5),
    ])
    write("optim_adagrad.json", [
        optimizer_case("default", adagrad, lr=0.1),
        optimizer_case("lr_decay", adagrad, lr=0.1, lr_decay=0.05),
        optimizer_case("weight_decay", adagrad, lr=0.1, weight_decay=0.1),
        optimizer_case("initial_accumulator", adagrad, lr=0.1, initial_accumulator_value=0.5, eps=1e-3),
        optimizer_case("groups", adagrad, groups=two_groups, lr=0.1, lr_decay=0.01),
    ])


# ---- Learning-rate schedules -----------------------------------------------------------------

BASE_LRS = [0.1, 0.05]


def schedule_case(name, steps, make, **description):
    """The lr and momentum of each group after construction (step 0) and after each of `steps` scheduler steps."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in BASE_LRS]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, BASE_LRS)], lr=1.0, momentum=0.9)
    scheduler = make(opt)
    lrs = [[g["lr"] for g in opt.param_groups]]
    momenta = [[g["momentum"] for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        momenta.append([g["momentum"] for g in opt.param_groups])
    return {"name": name, "base_lrs": BASE_LRS, "schedule": description, "lrs": lrs, "momenta": momenta}


def warmup(start_factor, warmup_steps, inner):
    """Neurite's Warmup: LinearLR for the warmup steps, then the inner schedule from its step 0."""
    def make(opt):
        linear = torch.optim.lr_scheduler.LinearLR(opt, start_factor=start_factor, total_iters=warmup_steps)
        return torch.optim.lr_scheduler.SequentialLR(opt, [linear, inner(opt)], milestones=[warmup_steps])
    return make


def one_cycle(**options):
    def make(opt):
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=BASE_LRS, **options)
    return make


def schedules():
    lr = torch.optim.lr_scheduler
    write("optim_schedules.json", [
        schedule_case("step", 40, lambda o: lr.StepLR(o, step_size=7, gamma=0.5),
                      type="step", step_size=7, gamma=0.5),
        schedule_case("multi_step", 40, lambda o: lr.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
                      type="multi_step", milestones=[5, 12, 12, 30], gamma=0.3),
        schedule_case("exponential", 50, lambda o: lr.ExponentialLR(o, gamma=0.93),
                      type="exponential", gamma=0.93),
        schedule_case("cosine", 60, lambda o: lr.CosineAnnealingLR(o, T_max=20, eta_min=0.001),
                      type="cosine", t_max=20, eta_min=0.001),
        schedule_case("warm_restarts", 80, lambda o: lr.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.0005),
                      type="warm_restarts", t_0=5, t_mult=2, eta_min=0.0005),
        schedule_case("warm_restarts_constant_period", 40, lambda o: lr.CosineAnnealingWarmRestarts(o, T_0=7),
                      type="warm_restarts", t_0=7, t_mult=1, eta_min=0.0),
        schedule_case("warmup_cosine", 50, warmup(0.1, 5, lambda o: lr.CosineAnnealingLR(o, T_max=30)),
                      type="warmup", start_factor=0.1, warmup_steps=5,
                      inner={"type": "cosine", "t_max": 30, "eta_min": 0.0}),
        schedule_case("warmup_step", 40, warmup(0.25, 8, lambda o: lr.StepLR(o, step_size=10, gamma=0.5)),
                      type="warmup", start_factor=0.25, warmup_steps=8,
                      inner={"type": "step", "step_size": 10, "gamma": 0.5}),
        schedule_case("one_cycle_cos", 49, one_cycle(total_steps=50),
                      type="one_cycle", total_steps=50, pct_start=0.3, anneal_strategy="cos",
                      div_factor=25.0, final_div_factor=1e4, three_phase=False),
        schedule_case("one_cycle_linear", 49, one_cycle(total_steps=50, anneal_strategy="linear"),
                      type="one_cycle", total_steps=50, pct_start=0.3, anneal_strategy="linear",
                      div_factor=25.0, final_div_factor=1e4, three_phase=False),
        schedule_case("one_cycle_three_phase", 59, one_cycle(total_steps=60, three_phase=True),
                      type="one_cycle", total_steps=60, pct_start=0.3, anneal_strategy="cos",
                      div_factor=25.0, final_div_factor=1e4, three_phase=True),
        schedule_case("one_cycle_three_phase_linear", 39,
                      one_cycle(total_steps=40, pct_start=0.25, anneal_strategy="linear", div_factor=10.0,
                                final_div_factor=100.0, three_phase=True),
                      type="one_cycle", total_steps=40, pct_start=0.25, anneal_strategy="linear",
                      div_factor=10.0, final_div_factor=100.0, three_phase=True),
        schedule_case("one_cycle_momentum_range", 49, one_cycle(total_steps=50, base_momentum=0.6, max_momentum=0.8),
                      type="one_cycle", total_steps=50, pct_start=0.3, anneal_strategy="cos",
                      div_factor=25.0, final_div_factor=1e4, three_phase=False, base_momentum=0.6, max_momentum=0.8),
        schedule_case("one_cycle_fixed_momentum", 49, one_cycle(total_steps=50, cycle_momentum=False),
                      type="one_cycle", total_steps=50, pct_start=0.3, anneal_strategy="cos",
                      div_factor=25.0, final_div_factor=1e4, three_phase=False, cycle_momentum=False),
    ])


def plateau_case(name, metrics, **options):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in BASE_LRS]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, BASE_LRS)], lr=1.0)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
    lrs = []
    for m in metrics:
        opt.step()
        scheduler.step(m)
        lrs.append([g["lr"] for g in opt.param_groups])
    return {"name": name, "base_lrs": BASE_LRS, "options": options, "metrics": metrics, "lrs": lrs}


def plateaus():
    g = torch.Generator().manual_seed(SEED)
    # A loss that falls, stalls, falls a little (less than a 1e-2 relative threshold), and stalls again.
    falling = [1.0 / (1 + 0.3 * i) for i in range(8)]
    stalls = [falling[-1] * (1 + 0.01 * float(v)) for v in torch.rand(10, generator=g)]
    creeping = [stalls[-1] * (1 - 0.004 * i) for i in range(1, 10)]
    noise = [creeping[-1] * (1 + 0.05 * float(v)) for v in torch.rand(13, generator=g)]
    loss = falling + stalls + creeping + noise
    accuracy = [0.5 + 0.4 * (1 - math.exp(-0.3 * i)) + 0.02 * float(v)
                for i, v in enumerate(torch.rand(40, generator=g))]
    write("optim_plateau.json", [
        plateau_case("min_rel", loss, mode="min", factor=0.5, patience=2),
        plateau_case("min_rel_threshold_cooldown", loss, mode="min", factor=0.3, patience=1,
                     threshold=1e-2, cooldown=3),
        plateau_case("min_abs_min_lr", loss, mode="min", factor=0.5, patience=0, threshold=0.001,
                     threshold_mode="abs", min_lr=[0.01, 0.02]),
        plateau_case("max_abs", accuracy, mode="max", factor=0.2, patience=1, threshold=0.01,
                     threshold_mode="abs", cooldown=1),
        plateau_case("max_rel_eps", accuracy, mode="max", factor=0.9, patience=0, min_lr=0.0,
                     eps=0.004),
    ])


# ---- Gradient clipping -----------------------------------------------------------------------

def clip_case(name, max_norm, norm_type):
    g = torch.Generator().manual_seed(SEED + 1)
    grads = [torch.randn(s, generator=g) for s in SHAPES]
    params = [torch.nn.Parameter(torch.zeros(s)) for s in SHAPES + [[2]]]
    for p, gr in zip(params, grads):
        p.grad = gr.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    return {"name": name, "max_norm": max_norm, "norm_type": "inf" if norm_type == math.inf else norm_type,
            "shapes": SHAPES, "grads": [values(x) for x in grads], "total_norm": float(total),
            "clipped": [values(p.grad) for p in params[:3]]}


def clipping():
    g = torch.Generator().manual_seed(SEED + 2)
    grads = [torch.randn(s, generator=g) for s in SHAPES]
    params = [torch.nn.Parameter(torch.zeros(s)) for s in SHAPES]
    for p, gr in zip(params, grads):
        p.grad = gr.clone()
    torch.nn.utils.clip_grad_value_(params, 0.5)
    value_case = {"name": "value", "clip_value": 0.5, "shapes": SHAPES, "grads": [values(x) for x in grads],
                  "clipped": [values(p.grad) for p in params]}
    write("optim_clip.json", [
        clip_case("l2_clips", 1.0, 2.0),
        clip_case("l2_no_clip", 100.0, 2.0),
        clip_case("l1_clips", 2.0, 1.0),
        clip_case("inf_clips", 0.5, math.inf),
        clip_case("p3_clips", 1.5, 3.0),
        value_case,
    ])


if __name__ == "__main__":
    optimizers()
    schedules()
    plateaus()
    clipping()
