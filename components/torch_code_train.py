"""/train's PyTorch script (components/torch_code.py has the others and the interface): the same
model, initialisation, data streams, optimiser, clipping and Ω as engine.training's Run, written
out for one configuration, trained for its steps, printing the loss and gradient norms per step.
Run is float32 on torch's own kernels like the script, so the numbers agree to the bit."""
from __future__ import annotations

from components.torch_code import constants, header, sigma_code
from engine import tasks
from engine.training import LARGE_STD, LSTM_FORGET_BIAS, SMALL_STD, FFConfig, RNNConfig

# /train's URL names → the engine config's, and what each is (app/pages/train/params.py; a
# test holds the mapping equal to the page's engine_config)
TRAIN_NAMES = {"act": "activation", "res": "residual", "opt": "optimizer", "mom": "momentum",
               "tau": "clip_threshold", "batch": "batch_size", "T": "seq_len",
               "rinit": "rec_init", "gain": "rec_gain", "alpha": "omega_alpha"}
MEANING = {"task": "the task", "depth": "hidden layers", "width": "units per layer",
           "activation": "σ", "init": "weight initialisation", "norm": "normalisation",
           "residual": "skip connections, layers 2…L", "optimizer": "sgd | adam",
           "lr": "learning rate", "momentum": "SGD momentum", "clip": "gradient clipping",
           "clip_threshold": "clipping threshold τ", "steps": "training steps",
           "batch_size": "minibatch size", "seed": "seed of the weights and the data",
           "seq_len": "sequence length T", "cell": "rnn | lstm | gru", "hidden": "hidden units H",
           "rec_init": "recurrent initialisation (× gain)", "rec_gain": "recurrent gain",
           "omega_alpha": "weight α of Pascanu's Ω (0 = off)"}


def train_config(values: dict):
    """The engine config (FFConfig / RNNConfig) of /train's page values, `kind` included: the
    run the page starts (its evaluation and histogram schedules do not change the training)."""
    d = {TRAIN_NAMES.get(k, k): val for k, val in values.items() if k != "kind"}
    if values["kind"] == "ff":
        return FFConfig(**{**d, "residual": d["residual"] == "on"})
    return RNNConfig(**d)


FF_DATA = {
    "spirals": f'''\
# Two spirals: class c, radius t ~ U(0.05, 1), angle 2π·{tasks.TURNS!r}·t + cπ, plus noise.
y = np.arange(N_TRAIN) % 2
data_rng.shuffle(y)
t = data_rng.uniform(0.05, 1.0, size=N_TRAIN)
theta = 2.0 * np.pi * {tasks.TURNS!r} * t + np.pi * y
x = np.stack([t * np.cos(theta), t * np.sin(theta)], axis=1)
x = x + NOISE * data_rng.standard_normal(x.shape)
x_train, y_train = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.int64))
N_OUT = 2''',
    "regression": '''# y = sin(2x₁)·cos(2x₂) + noise, x ~ U(−1, 1)².
x = data_rng.uniform(-1.0, 1.0, size=(N_TRAIN, 2))
y = np.sin(2.0 * x[:, 0]) * np.cos(2.0 * x[:, 1]) + NOISE * data_rng.standard_normal(N_TRAIN)
x_train, y_train = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
N_OUT = 1''',
}
RNN_DATA = {
    "temporal_order": f'''def batch():
    """Temporal order: distractors c..f; A or B at p₀ ∈ [T/10, 2T/10) and p₁ ∈ [T/2, T/2 + T/10);
    class v₀ + 2·v₁ (0 = AA, 1 = BA, 2 = AB, 3 = BB); one-hot inputs. Fresh every step."""
    w = SEQ_LEN // 10
    p0 = data_rng.integers(w, 2 * w, size=BATCH_SIZE)
    p1 = data_rng.integers(SEQ_LEN // 2, SEQ_LEN // 2 + w, size=BATCH_SIZE)
    v0 = data_rng.integers(0, 2, size=BATCH_SIZE)
    v1 = data_rng.integers(0, 2, size=BATCH_SIZE)
    symbols = data_rng.integers(2, {tasks.N_SYMBOLS}, size=(BATCH_SIZE, SEQ_LEN))
    rows = np.arange(BATCH_SIZE)
    symbols[rows, p0], symbols[rows, p1] = v0, v1
    inputs = np.zeros((BATCH_SIZE, SEQ_LEN, {tasks.N_SYMBOLS}), dtype=np.float32)
    inputs[rows[:, None], np.arange(SEQ_LEN)[None, :], symbols] = 1.0
    return torch.from_numpy(inputs), torch.from_numpy((v0 + 2 * v1).astype(np.int64))


N_IN, N_OUT = {tasks.N_SYMBOLS}, 4''',
    "adding": '''def batch():
    """Adding: values u_t ~ U(0, 1) and a marker channel with two ones; the target is the two
    marked values' sum (or mean). Windows [0, T/2), [T/2, T) ("halves") or [0, T/10), [T/10, T/2)."""
    (a0, b0), (a1, b1) = (((0, SEQ_LEN // 2), (SEQ_LEN // 2, SEQ_LEN)) if PLACEMENT == "halves"
                          else ((0, SEQ_LEN // 10), (SEQ_LEN // 10, SEQ_LEN // 2)))
    p0 = data_rng.integers(a0, b0, size=BATCH_SIZE)
    p1 = data_rng.integers(a1, b1, size=BATCH_SIZE)
    values = data_rng.uniform(0.0, 1.0, size=(BATCH_SIZE, SEQ_LEN)).astype(np.float32)
    rows = np.arange(BATCH_SIZE)
    markers = np.zeros((BATCH_SIZE, SEQ_LEN), dtype=np.float32)
    markers[rows, p0] = markers[rows, p1] = 1.0
    y = values[rows, p0] + values[rows, p1]
    y = y / 2.0 if TARGET == "mean" else y
    return (torch.from_numpy(np.stack([values, markers], axis=2)),
            torch.from_numpy(y.astype(np.float32)))


N_IN, N_OUT = 2, 1''',
}
FF_INIT = {"zeros": "lin.weight.zero_()",
           "orthogonal": "torch.nn.init.orthogonal_(lin.weight, generator=gen)",
           "small_normal": f"lin.weight.normal_(0.0, {SMALL_STD!r}, generator=gen)",
           "large_normal": f"lin.weight.normal_(0.0, {LARGE_STD!r}, generator=gen)",
           "xavier": "lin.weight.normal_(0.0, np.sqrt(2.0 / (fan_in + fan_out)), generator=gen)",
           "he": "lin.weight.normal_(0.0, np.sqrt(2.0 / fan_in), generator=gen)"}
REC_INIT = {"orthogonal": "torch.nn.init.orthogonal_(block, generator=gen)",
            "normal": "block.normal_(0.0, 1.0 / np.sqrt(HIDDEN), generator=gen)",
            "identity": "block.copy_(torch.eye(HIDDEN))"}
NORM = {"batch": "torch.nn.BatchNorm1d(WIDTH, track_running_stats=False)",  # batch statistics
        "layer": "torch.nn.LayerNorm(WIDTH)"}
CORE = {"rnn": '''self.W_in = torch.nn.Parameter(torch.zeros(HIDDEN, N_IN))
        self.W_rec = torch.nn.Parameter(torch.zeros(HIDDEN, HIDDEN))
        self.b = torch.nn.Parameter(torch.zeros(HIDDEN))''',
        "lstm": "self.core = torch.nn.LSTMCell(N_IN, HIDDEN)",
        "gru": "self.core = torch.nn.GRUCell(N_IN, HIDDEN)"}
STEP = {"rnn": "(h,) = state\n        return (sigma(u @ self.W_in.T + h @ self.W_rec.T + self.b),)",
        "lstm": "return tuple(self.core(u, state))", "gru": "return (self.core(u, state[0]),)"}
ROLES = {"rnn": "net.W_in, net.W_rec, [net.b]",
         "lstm": "net.core.weight_ih, net.core.weight_hh, [net.core.bias_ih, net.core.bias_hh]"}


def _ff_model(c) -> str:
    norm = c.norm != "none"
    norms = f"\n        self.norms = torch.nn.ModuleList({NORM[c.norm]} for _ in range(DEPTH))" \
        if norm else ""
    return FF_DATA[c.task] + f'''


def batch():  # a minibatch drawn from the fixed training set, by the same stream
    idx = torch.from_numpy(data_rng.integers(0, N_TRAIN, size=BATCH_SIZE))
    return x_train[idx], y_train[idx]


class Net(torch.nn.Module):
    """x → [Linear{' → norm' * norm} → σ{' (+ skip from layer 2)' * c.residual}] × DEPTH → Linear"""

    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(2 if l == 0 else WIDTH, WIDTH) for l in range(DEPTH)){norms}
        self.out = torch.nn.Linear(WIDTH, N_OUT)

    def forward(self, x):
        h = x
        for l, lin in enumerate(self.layers):
            a = sigma({"self.norms[l](lin(h))" if norm else "lin(h)"})
            h = {"h + a if l > 0 else a" if c.residual else "a"}
        return self.out(h)


net = Net()
with torch.no_grad():  # every Linear from the seeded generator, in order; biases 0
    for lin in [*net.layers, net.out]:
        fan_out, fan_in = lin.weight.shape
        {FF_INIT[c.init]}
        lin.bias.zero_()
groups = [(f"layer {{l + 1}}", [lin.weight]) for l, lin in enumerate(net.layers)]
groups.append(("output", [net.out.weight]))'''


def _rnn_model(c) -> str:
    forget = (f"\n    net.core.bias_ih[HIDDEN:2 * HIDDEN] = {LSTM_FORGET_BIAS!r}  # forget gate: "
              "remember by default" if c.cell == "lstm" else "")
    return RNN_DATA[c.task] + f'''


class Net(torch.nn.Module):
    """x_t = F(x_(t−1), u_t) with x_0 = 0, ŷ = readout(h_T); F = {c.cell}."""

    def __init__(self):
        super().__init__()
        {CORE[c.cell]}
        self.readout = torch.nn.Linear(HIDDEN, N_OUT)

    def cell_step(self, u, state):  # a state is a tuple: (h,), or (h, c) for the LSTM
        {STEP[c.cell]}

    def forward(self, inputs):
        z = torch.zeros(inputs.shape[0], HIDDEN)
        state, states = {"(z, z.clone())" if c.cell == "lstm" else "(z,)"}, []
        for t in range(inputs.shape[1]):
            state = self.cell_step(inputs[:, t], state)
            states.append(state)
        return self.readout(state[0]), states


net = Net()
W_in, W_rec, biases = {ROLES.get(c.cell, ROLES["lstm"])}
with torch.no_grad():  # W_in ~ N(0, 1/n_in); each H×H block of W_rec = gain·init; readout N(0, 1/H)
    W_in.normal_(0.0, 1.0 / np.sqrt(W_in.shape[1]), generator=gen)
    for k in range(W_rec.shape[0] // HIDDEN):  # blocks: 1 (rnn), 4 (lstm: i, f, g, o), 3 (gru: r, z, n)
        block = W_rec[k * HIDDEN:(k + 1) * HIDDEN]
        {REC_INIT[c.rec_init]}
        block.mul_(REC_GAIN)
    for bias in biases:
        bias.zero_(){forget}
    net.readout.weight.normal_(0.0, 1.0 / np.sqrt(HIDDEN), generator=gen)
    net.readout.bias.zero_()
groups = [("W_in", [W_in]), ("W_rec", [W_rec]), ("bias", biases), ("W_out", [net.readout.weight])]'''


OMEGA = '''


def omega(x, states, state_grads):
    """Pascanu et al. (2013), eq. 9: Ω = (1/B) Σ_k (‖g_(k+1)·∂x_(k+1)/∂x_k‖ / ‖g_(k+1)‖ − 1)²,
    g and x_k held constant (the one-step map re-run on detached states, all T steps as one
    batch), so Ω is differentiable in the cell's weights only."""
    B, T_, _ = x.shape
    z = torch.zeros(B, HIDDEN)
    prev = [(z, z.clone()) if len(states[0]) == 2 else (z,)] + [tuple(s) for s in states[:-1]]
    x_prev = tuple(torch.cat([p[i].detach() for p in prev]).requires_grad_(True)
                   for i in range(len(prev[0])))
    x_next = net.cell_step(x.transpose(0, 1).reshape(T_ * B, -1), x_prev)
    g = [torch.cat([sg[i].detach() for sg in state_grads]) for i in range(len(x_prev))]
    g_norm = torch.sqrt(sum((gi * gi).sum(dim=1) for gi in g))
    ok = torch.isfinite(g_norm) & (g_norm > 0)  # a zero or non-finite g has no direction: 0
    scale = torch.where(ok, 1.0 / torch.where(ok, g_norm, torch.ones_like(g_norm)),
                        torch.zeros_like(g_norm))
    vjp = torch.autograd.grad(x_next, x_prev, grad_outputs=[gi * scale[:, None] for gi in g],
                              create_graph=True)
    v_norm = torch.sqrt(sum((v * v).sum(dim=1) for v in vjp) + 1e-30)
    return torch.where(ok, (v_norm - 1.0) ** 2, torch.zeros_like(v_norm)).sum() / B'''
GRADS_OMEGA = '''flat = [part for state in states for part in state]  # Ω needs ∂E/∂x_k too
    g = torch.autograd.grad(loss, params + flat, allow_unused=True)
    grads = [torch.zeros_like(p) if gi is None else gi for p, gi in zip(params, g)]
    if np.isfinite(loss.item()):  # Ω regularises the recurrent weights only, like Pascanu's code
        s_g = [torch.zeros_like(x_k) if gi is None else gi for x_k, gi in zip(flat, g[len(params):])]
        n = len(states[0])
        om = omega(x, states, [tuple(s_g[k * n:(k + 1) * n]) for k in range(len(states))])
        print(f"omega[{s}] = {om.item()!r}")  # Ω, unweighted (the loss figure's dotted line)
        (o_grad,) = torch.autograd.grad(OMEGA_ALPHA * om, [W_rec])
        grads = [gi + o_grad if p is W_rec else gi for p, gi in zip(params, grads)]'''
CLIP = {"none": "", "norm": '''
    if total > CLIP_THRESHOLD:  # norm clipping: g ← g·τ/‖g‖ (‖g‖ summed in float64)
        grads = [g * (CLIP_THRESHOLD / total) for g in grads]''', "value": '''
    grads = [g.clamp(-CLIP_THRESHOLD, CLIP_THRESHOLD) for g in grads]  # value clipping'''}


def script(v: dict) -> str:
    """The /train script for page values `v` (kind included)."""
    c = train_config(v)
    rows = [(TRAIN_NAMES.get(k, k).upper(), getattr(c, TRAIN_NAMES.get(k, k)),
             f"{MEANING[TRAIN_NAMES.get(k, k)]} (URL {k})") for k in v if k != "kind"]
    rnn = c.kind == "rnn"
    omega = rnn and c.omega_alpha > 0
    if rnn:
        rows += [("TARGET", c.adding_target, "adding: the target, sum | mean"),
                 ("PLACEMENT", c.adding_placement, "adding: where the two markers go")]
    else:
        rows += [("N_TRAIN", c.n_train, "training set size"), ("NOISE", c.noise, "data noise")]
    loss = ("cross_entropy(out, y)" if c.task in ("spirals", "temporal_order")
            else "mse_loss(out[:, 0], y)")
    return (header("train", f"training the {c.kind} net, step by step",
                   ["loss[s] = E on the training batch of step s, before update s",
                    "    (figure 'Training loss', the run; omega[s] = Ω when α > 0)",
                    "grad_<group>[s] = ‖∂E/∂W‖_F per weight group, grad_all[s] = ‖∂E/∂θ‖,",
                    "    before clipping (figure 'Gradient norm per weight group')"],
                   ("numpy as np", "torch"))
            + constants(rows) + sigma_code(None if rnn and c.cell != "rnn" else c.activation)
            + '''def norm(tensors):  # ‖·‖ over several tensors, summed in float64
    return float(torch.sqrt(sum((t.detach().double() ** 2).sum() for t in tensors)))


gen = torch.Generator().manual_seed(SEED)    # the initial weights
data_rng = np.random.default_rng([SEED, 0])  # the training data (and the minibatches)

''' + (_rnn_model(c) if rnn else _ff_model(c)) + (OMEGA if omega else "") + f'''


params = list(net.parameters())
opt = {"torch.optim.SGD(params, lr=LR, momentum=MOMENTUM)" if c.optimizer == "sgd"
       else "torch.optim.Adam(params, lr=LR)"}
for s in range(STEPS):
    x, y = batch()
    out{", states" if rnn else ""} = net(x)
    loss = torch.nn.functional.{loss}
    {GRADS_OMEGA if omega else "grads = torch.autograd.grad(loss, params)"}
    total = norm(grads)
    print(f"loss[{{s}}] = {{loss.item()!r}}")
    by_id = dict(zip(map(id, params), grads))
    for name, ws in groups:
        print(f"grad_{{name.replace(' ', '_')}}[{{s}}] = {{norm([by_id[id(w)] for w in ws])!r}}")
    print(f"grad_all[{{s}}] = {{total!r}}")
    # overflow is physics: GradLab stops at the first inf/NaN loss, gradient or weight
    if not np.isfinite(loss.item()) or not all(bool(torch.isfinite(g).all()) for g in grads):
        break{CLIP[c.clip]}
    for p, g in zip(params, grads):
        p.grad = g
    opt.step()
    opt.zero_grad(set_to_none=True)
    if not all(bool(torch.isfinite(p).all()) for p in params):
        break
''')
