"""PyTorch code for the setup on screen: for a state of /chain, /matrix, /rnn or /train, one
self-contained script (numpy and torch only) that rebuilds the page's exact configuration (the
engine's seeds, streams and constructions, written out) and prints what the page's main figure
plots, one number a line, `name[index] = value` (repr: round-trips a float64).

    script(page, values, notices=()) -> str

`values` are the page's validated parameter values (its ParamSet.parse; for /train with `kind`).
Text only, no engine computation: the route (app/code_route.py) answers a click in microseconds.
A script holds only the branches its state uses (one σ, one construction, the ticked cells), so
it reads as teaching code; tests/components/test_torch_code.py runs scripts against the pages.
Constants come from the engine (LEAKY_SLOPE, RESIDUAL_ALPHA, …), so the two cannot drift.
/train's script (its own model, data and training loop) is components/torch_code_train.py.
"""
from __future__ import annotations

from engine.activations import LEAKY_SLOPE
from engine.cells import ATTENTION_BLOCK, ATTENTION_VALUE_SCALE, RESIDUAL_ALPHA

PAGES = ("chain", "matrix", "rnn", "train")
SIGMA = {"identity": "h", "sigmoid": "torch.sigmoid(h)", "tanh": "torch.tanh(h)",
         "relu": "torch.relu(h)",
         "leaky_relu": f"torch.nn.functional.leaky_relu(h, {LEAKY_SLOPE!r})"}


ADDRESS = "{address}"  # where the docstring names the page's state


def script(page: str, values: dict, notices=(), address: str | None = None) -> str:
    """The script for `page` in the state `values`; `notices` (what parsing the request replaced)
    become comments at the top; `address` is the page's own canonical URL of that state (the
    caller has the page's ParamSet.query: app/code_route.py). ValueError for a page without a
    script."""
    if page not in PAGES:
        raise ValueError(f"no script for page {page!r}; choose one of {PAGES}")
    # printable characters only: a line break inside a notice (it quotes the raw input) would
    # end the comment and put the rest of the input into the script as code
    safe = ["".join(c if c.isprintable() else repr(c)[1:-1] for c in str(n)) for n in notices]
    head = "".join(["# GradLab replaced parts of the request; the script uses what it chose:\n"]
                   + [f"#   {n}\n" for n in safe] if safe else [])
    return head + BUILDERS[page](dict(values)).replace(ADDRESS, address or f"/{page}", 1)


def header(page: str, what: str, prints, imports=("numpy as np", "torch")) -> str:
    needs = " and ".join(m.split()[0] for m in imports)
    return "\n".join([
        f'"""GradLab /{page} in PyTorch: {what}.', "",
        "Reproduces the GradLab page", f"    {ADDRESS}",
        "(same seeds, same construction) and prints what its main figure plots, one number a",
        "line, `name[index] = value`, in full precision:", "",
        *[f"    {p}" for p in prints], "", f"Needs only {needs}: python gradlab_{page}.py", '"""',
        *[f"import {m}" for m in imports], "",
        "# GradLab computes on one thread: a sum split over threads may round differently.",
        "torch.set_num_threads(1)", "", ""])


def constants(rows) -> str:
    """NAME = value  # meaning, aligned: the state on the page, the one place to change it."""
    code = [f"{name} = {value!r}" for name, value, _ in rows]
    width = max(len(c) for c in code) + 2
    return "".join(f"{c:<{width}}# {why}\n" for c, (_, _, why) in zip(code, rows)) + "\n\n"


# σ in numpy, written as engine.activations.sigma writes it, for the forward passes the pages
# run in numpy (/matrix, the /rnn anatomy): the scripts' trajectories are then the pages' own
SIGMA_NP = {"identity": "h", "tanh": "np.tanh(h)", "relu": "np.where(h > 0, h, 0.0 * h)",
            "leaky_relu": f"np.where(h > 0, h, {LEAKY_SLOPE!r} * h)",
            "sigmoid": "np.where(h >= 0, 1.0 / (1.0 + z), z / (1.0 + z))"}
CHAOS = """\
# Why the forward pass runs in numpy, as on the page: for some settings (a large or non-normal
# W with a saturating σ) the map is chaotic, and two implementations whose sums round differently
# in the last bit follow visibly different paths after a few dozen steps. The rounding errors are
# amplified by the same products of Jacobians the page is about; both paths are "right", but only
# the page's own reproduces its figure. Autograd then backpropagates along that recorded path.
"""
RELU_NAN = """\
# Not exactly the page where the forward pass overflows: at a NaN pre-activation torch's relu
# backward takes the slope 0, the page's σ' is NaN (to keep the overflow visible), so from that
# layer back the page shows NaN where this script prints numbers.


"""


def sigma_code(act, numpy: bool = False) -> str:
    if act is None:  # an LSTM or GRU has its own nonlinearities
        return ""
    code = f"def sigma(h):\n    return {SIGMA[act]}  # σ = {act}\n\n\n"
    if numpy and act in ("relu", "leaky_relu"):
        code += RELU_NAN
    if numpy:
        z = "    z = np.exp(-np.abs(h))  # never overflows\n" if act == "sigmoid" else ""
        code += f"def sigma_np(h):  # the same σ in numpy\n{z}    return {SIGMA_NP[act]}\n\n\n"
    return code


SHOW = '''def show(name, values, start=0):
    for i, v in enumerate(values, start):
        print(f"{name}[{i}] = {float(v)!r}")


'''
SPECTRAL = '''def spectral_norm(M):
    """‖M‖₂, the largest singular value. An SVD cannot take inf/NaN; as on the page, a matrix
    holding inf (and no NaN) has norm inf, one holding NaN has NaN."""
    if bool(torch.isfinite(M).all()):
        return torch.linalg.matrix_norm(M, ord=2).item()
    return float("nan") if bool(torch.isnan(M).any()) else float("inf")


'''


# ---------------------------------------------------------------------------------- /chain

def _chain(v: dict) -> str:
    return (header("chain", "the gradient ∂a_n/∂w_l per layer",
                   ["grad_w[l] = ∂a_n/∂w_l, l = 1..n   (figure 'Gradient ∂a_n/∂w_l per layer')"],
                   ("torch",))
            + constants([("W", float(v["w"]), "weight w, the same in every layer"),
                         ("B", float(v["b"]), "bias b, the same in every layer"),
                         ("X", float(v["x"]), "input x = a_0"), ("N", int(v["n"]), "depth n")])
            + sigma_code(v["act"]) + SHOW + '''\
# One leaf tensor per layer (all holding w), so autograd gives ∂a_n/∂w_l for each layer l.
w = torch.full((N,), W, dtype=torch.float64, requires_grad=True)
b = torch.full((N,), B, dtype=torch.float64, requires_grad=True)
a = torch.tensor(X, dtype=torch.float64)
for l in range(N):             # a_l = σ(w_l·a_{l−1} + b_l): one factor w·σ'(h_l) per layer
    a = sigma(w[l] * a + b[l])
a.backward()                   # a is a_n: backpropagate from the output
# ∂a_n/∂w_l = a_{l−1}·σ'(h_l)·∏_{j>l} w·σ'(h_j); for σ = identity, a_{l−1}·w^(n−l)
show("grad_w", w.grad, start=1)
''')


# --------------------------------------------------------------------------------- /matrix

def _matrix(v: dict) -> str:
    d, rot = int(v["d"]), float(v["rot"])
    spectrum = ('''\
# λ₁ becomes the conjugate pair λ₁e^{±iθ}; the other slots cycle through the rest.
pair = EIG[0] * np.exp(1j * np.deg2rad(ROT) * np.array([1, -1]))
rest = np.array(EIG[1:] if len(EIG) > 1 else EIG)
lam = np.concatenate([pair, np.resize(rest, D - 2)]).astype(np.complex128)''' if rot and d >= 2
                else '''\
# The chosen eigenvalues, repeated to fill the d slots (1.05, 0.9 in d = 3 give
# 1.05, 0.9, 1.05).
lam = np.resize(np.array(EIG), D).astype(np.complex128)''')
    return (header("matrix", "the gradient norms per layer of a matrix chain",
                   ["grad_W[l] = ‖∂a_n/∂W_l‖_F, l = 1..n", "grad_a[l] = ‖∂a_n/∂a_l‖₂,  l = 0..n",
                    "(the two lines of the figure '‖∂a_n/∂W_l‖_F and ‖∂a_n/∂a_l‖₂ per layer')"])
            + constants([("EIG", tuple(float(x) for x in v["eig"]), "chosen eigenvalues λ"),
                         ("D", d, "dimension d"),
                         ("ROT", rot, "angle θ in degrees of the complex pair λ₁e^{±iθ}"),
                         ("KAPPA", float(v["kappa"]), "non-normality κ: cond(V) = 10^κ"),
                         ("N", int(v["n"]), "depth n"),
                         ("SEED", int(v["seed"]), "seed of V and of the input a_0")])
            + sigma_code(v["act"], numpy=True) + SHOW + SPECTRAL + spectrum + '''

# W = V·blocks·V⁻¹: a real block diagonal with these eigenvalues (a 2×2 rotation-scaling block
# [[a, −c], [c, a]] per pair a ± ic, pairs first), in a seeded basis V.
real = np.abs(lam.imag) < 1e-12
blocks, i = np.zeros((D, D)), 0
for z in lam[lam.imag >= 1e-12]:
    blocks[i:i + 2, i:i + 2] = [[z.real, -z.imag], [z.imag, z.real]]
    i += 2
for r in lam[real].real:
    blocks[i, i] = r
    i += 1
# V = Q₁·diag(s)·Q₂, s from 1 down to 10^−κ: κ = 0 is orthogonal (W normal); larger κ makes the
# eigenvectors nearly parallel, so ‖a_l‖ can grow for a while even when every |λ| < 1.
rng = np.random.default_rng(SEED)
q1, _ = np.linalg.qr(rng.standard_normal((D, D)))
q2, _ = np.linalg.qr(rng.standard_normal((D, D)))
s = np.logspace(0.0, -KAPPA, D) if D > 1 else np.ones(1)
V = q1 @ np.diag(s) @ q2
W = V @ blocks @ np.linalg.inv(V)
x = np.random.default_rng([SEED, 1]).standard_normal(D)  # a_0: its own stream, unit length
x = x / np.linalg.norm(x)

# The forward pass a_l = σ(W a_(l−1)), b = 0 (an overflow is a result, inf/NaN, not an error).
np.seterr(all="ignore")
''' + CHAOS + '''acts = [x]
for l in range(N):
    acts.append(sigma_np(W @ acts[-1]))

# Backpropagation from the output: J = ∂a_n/∂a_l, one row per output unit. Autograd gives each
# layer's vector-Jacobian products (all d rows at once) at the layer's recorded input a_(l−1).
Wt, J = torch.as_tensor(W), torch.eye(D, dtype=torch.float64)
grad_W, grad_a = [], [spectral_norm(J)]
for l in range(N, 0, -1):
    a_prev = torch.tensor(acts[l - 1], requires_grad=True)
    h = Wt @ a_prev                     # the pre-activation h_l
    dh, J = torch.autograd.grad(sigma(h), (h, a_prev), grad_outputs=J, is_grads_batched=True)
    # ∂a_n/∂W_l[k, i, j] = ∂a_n/∂h_l[k, i]·a_(l−1)[j] is rank one: its Frobenius norm is
    # ‖∂a_n/∂h_l‖_F·‖a_(l−1)‖, computed as the page does, with plain sums of squares (numpy's
    # norm, torch's vector_norm): inf once an entry passes ~1e154, digits lost below ~1e−154.
    grad_W.append(torch.linalg.vector_norm(dh).item() * np.linalg.norm(acts[l - 1]))
    grad_a.append(spectral_norm(J))
show("grad_W", grad_W[::-1], start=1)
show("grad_a", grad_a[::-1])
''')


# ------------------------------------------------------------------------------------ /rnn

RNN_W = {
    "spectral": "W = RHO * G / np.max(np.abs(np.linalg.eigvals(G)))  # spectral radius ρ(W) = ρ",
    "singular": "W = RHO * G / np.linalg.norm(G, 2)  # largest singular value ‖W‖₂ = ρ",
    "orthogonal": "W = RHO * haar(G)  # every singular value ρ",
    "identity": "W = RHO * np.eye(D)  # the IRNN construction (G is not used for it)",
}
CELL_CODE = {
    "rnn": '''def step_rnn(h, c, t):  # the vanilla RNN: h = σ(W h + W_x x)
    return sigma(torch.addmv(drive[t - 1], Wt, h)), c''',
    "irnn": '''def step_irnn(h, c, t):  # IRNN (Le et al. 2015): h = relu(I h + W_x x)
    return torch.relu(h + drive[t - 1]), c''',
    "orthogonal": '''Q = torch.as_tensor(haar(G))  # the same G as W's stream gives, at scale 1


def step_orthogonal(h, c, t):  # h = tanh(Q h + W_x x), Q orthogonal
    return torch.tanh(torch.addmv(drive[t - 1], Q, h)), c''',
    "residual": f'''\
ALPHA = {RESIDUAL_ALPHA!r}  # a fraction of the update: ∂h_t/∂h_(t−1) = I + α·diag(f')W stays near I


def step_residual(h, c, t):  # h = h + α·tanh(W h + W_x x)
    return h + ALPHA * torch.tanh(torch.addmv(drive[t - 1], Wt, h)), c''',
    "layernorm": '''\
def step_layernorm(h, c, t):  # h = tanh(LN(W h + W_x x)), LayerNorm without affine
    return torch.tanh(torch.nn.functional.layer_norm(torch.addmv(drive[t - 1], Wt, h), (D,))), c''',
    "lstm": '''\
# torch's own nn.LSTM init, seeded; its equations written out with its weights (gates i, f, g, o)
torch.manual_seed(SEED)
lstm = torch.nn.LSTM(D, D, dtype=torch.float64)
W_hh_lstm = lstm.weight_hh_l0.detach()
x_gates_lstm = (torch.as_tensor(xs) @ lstm.weight_ih_l0.detach().T + lstm.bias_ih_l0.detach()
                + lstm.bias_hh_l0.detach())


def step_lstm(h, c, t):  # the state carries the cell c (c_0 = 0); ∂L/∂h_k holds c_k fixed
    gates = torch.addmv(x_gates_lstm[t - 1], W_hh_lstm, h)
    s = torch.sigmoid(gates)
    c = s[D:2 * D] * c + s[:D] * torch.tanh(gates[2 * D:3 * D])
    return s[3 * D:] * torch.tanh(c), c''',
    "gru": '''\
# torch's own nn.GRU init, seeded; its equations written out with its weights (gates r, z, n)
torch.manual_seed(SEED)
gru = torch.nn.GRU(D, D, dtype=torch.float64)
W_hh_gru, b_hh_gru = gru.weight_hh_l0.detach(), gru.bias_hh_l0.detach()
x_gates_gru = torch.as_tensor(xs) @ gru.weight_ih_l0.detach().T + gru.bias_ih_l0.detach()


def step_gru(h, c, t):
    xg, hg = x_gates_gru[t - 1], torch.addmv(b_hh_gru, W_hh_gru, h)
    rz = torch.sigmoid(xg[:2 * D] + hg[:2 * D])
    r, z = rz[:D], rz[D:]
    n = torch.tanh(xg[2 * D:] + r * hg[2 * D:])
    return n + z * (h - n), c''',
    "attention": f'''\
# One head of causal attention over every earlier state, on top of the vanilla tanh update:
#   c_t = tanh(W h_(t−1) + W_x x_t),  h_t = c_t + Σ_(k<t) α_(t,k) W_V h_k,
#   α_(t,·) = softmax_k((W_Q c_t)·(W_K h_k)/√d);  W_Q, W_K ~ N(0, 1/d), W_V = β·Q orthogonal.
BETA = {ATTENTION_VALUE_SCALE!r}
BLOCK = {ATTENTION_BLOCK!r}  # the memory grows in blocks, as on the page (else Σ_t t·d floats)
W_Q = attention_stream.standard_normal((D, D)) / np.sqrt(D)
W_K = attention_stream.standard_normal((D, D)) / np.sqrt(D)
W_V = BETA * haar(attention_stream.standard_normal((D, D)) / np.sqrt(D))
M, Vt = torch.as_tensor(W_K.T @ W_Q / np.sqrt(D)), torch.as_tensor(W_V)  # score = h_k·(M c_t)


def step_attention(h, memory, t):  # the state is the memory h_0 … h_(t−1): whole blocks and a tail
    blocks, tail = memory
    tail = torch.cat((tail, h[None]))
    if len(tail) == BLOCK:  # whole blocks are shared by later steps' graphs; the tail is per step
        blocks, tail = torch.cat((blocks, tail)), tail[:0]
    c = torch.tanh(torch.addmv(drive[t - 1], Wt, h))
    q = M @ c
    alpha = torch.softmax(torch.cat((blocks @ q, tail @ q)), dim=0)
    n = len(blocks)
    return c + Vt @ (alpha[:n] @ blocks + alpha[n:] @ tail), (blocks, tail)''',
}


def _rnn(v: dict) -> str:
    cells = tuple(v["cells"])
    steps = "\n\n\n".join(CELL_CODE[c] for c in ("rnn", *(c for c in cells if c != "rnn")))
    table = "".join(f'    "{c}": (step_{c}, {"(empty, empty)" if c == "attention" else "zero"}),\n'
                    for c in cells)
    return (header("rnn", "backpropagation through time, and the remedies",
                   ["jacobian_norm[l] = ‖∂h_T/∂h_(T−l)‖₂, lag l = 0..T",
                    "    (figure '‖∂h_T/∂h_k‖₂ and its bound', the vanilla RNN)",
                    "flow_<cell>[k] = ‖∂L/∂h_k‖ with L = u·h_T, step k = 0..T",
                    "    (figure 'Remedies', one line per ticked cell)"])
            + constants([("ACT", v["act"], "σ of the vanilla RNN"),
                         ("D", int(v["d"]), "hidden units d (= number of inputs m)"),
                         ("T", int(v["T"]), "sequence length T"),
                         ("INIT", v["init"], "construction of W_h"),
                         ("RHO", float(v["rho"]), "its scale ρ"),
                         ("SEED", int(v["seed"]), "one seed, split into independent streams"),
                         ("INPUTS", v["inputs"], "x_t ~ N(0, 1), or zero"),
                         ("H0", v["h0"], "h_0 ~ N(0, 1/d), or zero"),
                         ("CELLS", cells, "the cells on the remedies figure")])
            + sigma_code(v["act"], numpy=True) + SHOW + SPECTRAL + '''def haar(G):
    """The orthogonal factor of a Gaussian G, with diag(R)'s signs fixed: Haar-distributed."""
    Q, R = np.linalg.qr(G)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


# Independent streams from one seed: changing the construction of W leaves inputs, h_0 and u.
W_stream, inputs_stream, h0_stream, readout_stream, attention_stream = (
    np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(5))
G = W_stream.standard_normal((D, D)) / np.sqrt(D)
W_x = inputs_stream.standard_normal((D, D)) / np.sqrt(D)  # each unit gets an O(1) drive
xs = inputs_stream.standard_normal((T, D))                # row t−1 is x_t
if INPUTS == "zero":
    xs = np.zeros((T, D))
h0 = h0_stream.standard_normal(D) / np.sqrt(D) if H0 == "random" else np.zeros(D)
u = readout_stream.standard_normal(D)
u = torch.as_tensor(u / np.linalg.norm(u))                # the readout, L = u·h_T
drive_np = xs @ W_x.T                                     # W_x x_t for every t, row t−1
drive = torch.as_tensor(drive_np)
zero, empty = torch.zeros(D, dtype=torch.float64), torch.zeros((0, D), dtype=torch.float64)
# W_h, by its construction (G: the first draw of the W stream)
''' + RNN_W[v["init"]] + '''
Wt = torch.as_tensor(W)


''' + steps + '''


def unroll(step, state):
    """h_T, and the zero taps added to h_0 … h_T: ∂(anything)/∂tap_k is ∂(·)/∂h_k."""
    taps = torch.zeros((T + 1, D), dtype=torch.float64, requires_grad=True)
    tap = taps.unbind(0)
    h = torch.as_tensor(h0) + tap[0]
    for t in range(1, T + 1):
        h, state = step(h, state, t)
        h = h + tap[t]
    return h, taps


# ‖∂h_T/∂h_k‖₂ of the vanilla RNN, h_t = σ(W h_(t−1) + W_x x_t); an overflow is inf/NaN, no error.
''' + CHAOS + '''np.seterr(all="ignore")
hidden = [h0]
for t in range(1, T + 1):
    hidden.append(sigma_np(W @ hidden[-1] + drive_np[t - 1]))
# BPTT: ∂h_T/∂h_(t−1) = ∂h_T/∂h_t · ∂h_t/∂h_(t−1), one step back at a time; autograd gives the
# step's vector-Jacobian products (all d rows of P at once) at the recorded state h_(t−1).
P = torch.eye(D, dtype=torch.float64)   # ∂h_T/∂h_T
norms = [spectral_norm(P)]
for t in range(T, 0, -1):
    h_prev = torch.tensor(hidden[t - 1], requires_grad=True)
    (P,) = torch.autograd.grad(sigma(torch.addmv(drive[t - 1], Wt, h_prev)), h_prev,
                               grad_outputs=P, is_grads_batched=True)
    norms.append(spectral_norm(P))  # lag T − (t − 1)
show("jacobian_norm", norms)

# The remedies: ‖∂L/∂h_k‖ with L = u·h_T, every cell on the same inputs, h_0 and u; the page
# runs these forward passes in torch, as here (its cells are written with the same operations).
for name, (step, state) in {
''' + table + '''}.items():
    h_T, taps = unroll(step, state)
    (u @ h_T).backward()
    show(f"flow_{name}", torch.linalg.vector_norm(taps.grad, dim=-1))
''')


def _train(v: dict) -> str:
    from components import torch_code_train  # a module of its own (it imports the helpers here)
    return torch_code_train.script(v)


BUILDERS = {"chain": _chain, "matrix": _matrix, "rnn": _rnn, "train": _train}
