"""The parameters of /train: both models' URL/control parameters (one ParamSet each), their
validation, and the engine config they make.

URL parameters (all optional; a bad value gets a notice and the nearest valid value). `kind`
chooses the model; the other parameters are those of that model (the rest are ignored):

    kind    ff (feed-forward) | rnn (recurrent)                               default ff

  kind=ff (two spirals or 2-D regression):
    task    spirals | regression                                              default spirals
    depth   hidden layers, whole number 1–50                                  default 10
    width   units per layer, whole number 2–128                               default 32
    act     sigmoid | tanh | relu                                             default tanh
    init    zeros | small_normal | large_normal | xavier | he | orthogonal    default xavier
    norm    none | batch | layer                                              default none
    res     residual connections: off | on                                    default off

  kind=rnn (Pascanu's long-term-dependency tasks):
    task    temporal_order | adding                                           default temporal_order
    T       sequence length, whole number 10–200                              default 50
    cell    rnn | lstm | gru                                                  default rnn
    hidden  hidden units, whole number 16–128                                 default 32
    act     identity | sigmoid | tanh | relu (vanilla cell only)              default tanh
    rinit   recurrent init: orthogonal | normal | identity                    default orthogonal
    gain    recurrent gain (≈ spectral radius at init), 0–3                   default 1
    alpha   weight α of Pascanu's regulariser Ω, 0–10 (0 = off)                default 0

  both (defaults ff / rnn):
    opt     sgd | adam                                                        default sgd
    lr      learning rate, 0–10                                               default 0.05 / 0.01
    mom     momentum (SGD), 0–0.99                                            default 0.9 / 0
    clip    gradient clipping: none | norm | value                            default none
    tau     clipping threshold τ, 0.0001–10000                                default 1
    steps   training steps, whole number 1–5000                               default 500
    batch   batch size, whole number 1–256                                    default 64 / 32
    seed    whole number 0–9999                                               default 0

e.g. /train?kind=ff&task=spirals&depth=30&width=32&act=sigmoid&init=small_normal&norm=none&res=off
     &opt=sgd&lr=0.005&mom=0.9&clip=none&tau=1&steps=1000&batch=64&seed=0   (the vanishing preset)

  lesson links (as on every page): lock= and hide=, comma lists of any of these names (kind
  included); a pinned name keeps the link's value in both models' panels (TrainPins).
"""
import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

from components.params import NO_PINS, Choice, Number, ParamSet, Pins, pin_names
from components.text import fill
from engine.activations import ACTIVATIONS
from engine.training import (CELLS, CLIPS, FF_TASKS, INITS, NORMS, OPTIMIZERS, PRESETS,
                             REC_INITS, RNN_TASKS, SMALL_STD, FFConfig, RNNConfig,
                             config_from_dict)

FF, RNN = FFConfig(), RNNConfig()  # the engine's defaults are the page's defaults


SMALL_NORMAL = f"small normal N(0, {SMALL_STD:g}²)"


def training_params(defaults) -> tuple:
    """The optimiser and run parameters both models share (their defaults differ). Numbers are
    slid and sent on release (each is a new run's setting, not a live view); the learning rate,
    τ and α are typed: they span decades."""
    return (
        Choice("opt", "optimiser", defaults.optimizer, OPTIMIZERS, engine="optimizer"),
        Number("lr", "learning rate", defaults.lr, 0.0, 10.0, widget="box"),
        Number("mom", "momentum (SGD only)", defaults.momentum, 0.0, 0.99, 0.01,
               engine="momentum", live=False),
        Choice("clip", "gradient clipping", defaults.clip, CLIPS,
               labels={"none": "none", "norm": "norm: g ← g·min(1, τ/‖g‖)",
                       "value": "value: gᵢ ← clamp(gᵢ, −τ, τ)"}),
        Number("tau", "clipping threshold τ", defaults.clip_threshold, 1e-4, 1e4,
               engine="clip_threshold", widget="box"),
        Number("steps", "training steps", defaults.steps, 1, 5000, integer=True, live=False),
        Number("batch", "batch size", defaults.batch_size, 1, 256, integer=True,
               engine="batch_size", live=False),
        Number("seed", "seed", defaults.seed, 0, 9999, integer=True, live=False),
    )


KIND = Choice("kind", "model", "ff", ("ff", "rnn"),
              labels={"ff": "feed-forward (deep MLP)", "rnn": "recurrent (RNN / LSTM / GRU)"})
TASK_LABELS = {"spirals": "two spirals (classes)", "regression": "2-D regression",
               "temporal_order": "temporal order (4 classes)", "adding": "adding problem"}
PARAMS = {
    "ff": ParamSet((
        Choice("task", "task", FF.task, FF_TASKS, labels=TASK_LABELS),
        Number("depth", "hidden layers", FF.depth, 1, 50, integer=True, live=False),
        Number("width", "units per layer", FF.width, 2, 128, integer=True, live=False),
        Choice("act", "activation σ", FF.activation, ("sigmoid", "tanh", "relu"),
               engine="activation"),
        Choice("init", "weight initialisation", FF.init, INITS,
               labels={"zeros": "zeros", "small_normal": SMALL_NORMAL,
                       "large_normal": "large normal N(0, 1)", "xavier": "Xavier (Glorot)",
                       "he": "He (Kaiming)", "orthogonal": "orthogonal"}),
        Choice("norm", "normalisation", FF.norm, NORMS),
        Choice("res", "residual connections", "off", ("off", "on"), engine="residual",
               labels={"off": "off", "on": "on: h ← h + σ(N(Wh + b)), layers 2…L"}),
        *training_params(FF),
    )),
    "rnn": ParamSet((
        Choice("task", "task", RNN.task, RNN_TASKS, labels=TASK_LABELS),
        Number("T", "sequence length T", RNN.seq_len, 10, 200, integer=True, engine="seq_len",
               live=False),
        Choice("cell", "cell", RNN.cell, CELLS),
        Number("hidden", "hidden units", RNN.hidden, 16, 128, integer=True, live=False),
        Choice("act", "activation σ (vanilla cell only)", RNN.activation, ACTIVATIONS,
               engine="activation"),
        Choice("rinit", "recurrent initialisation", RNN.rec_init, REC_INITS, engine="rec_init",
               labels={"orthogonal": "orthogonal × gain", "normal": "normal N(0, 1/H) × gain",
                       "identity": "identity × gain"}),
        Number("gain", "recurrent gain (≈ spectral radius)", RNN.rec_gain, 0.0, 3.0, 0.01,
               engine="rec_gain", live=False),
        Number("alpha", "Ω weight α (0 = off)", RNN.omega_alpha, 0.0, 10.0, engine="omega_alpha",
               widget="box"),
        *training_params(RNN),
    )),
}
EVALUATIONS, HISTOGRAMS = 50, 16  # per run, about: eval_every and hist_every follow steps
# Each preset's story; its numbers are the preset's own ({{field}} of its engine config). The
# outcomes were measured (bench/bench_presets.py); "NaN at step 1" is also a test.
STORY_TEMPLATES = {
    "vanishing": "{{depth}}-layer sigmoid, small init: does not train",
    "he_relu": "the same {{depth}} layers with ReLU and He init: trains",
    "exploding_rnn": "ReLU RNN, recurrent gain {{rec_gain}}: NaN at step 1",
    "exploding_rnn_clipped": "the same RNN with the gradient norm clipped to {{clip_threshold}}: "
                             "trains",
    "temporal_order_sgd": "temporal order, T = {{seq_len}}, plain SGD: stays at chance",
    "temporal_order_clip_omega": "the same with clipping + Ω: learns it",
    "temporal_order_lstm": "an LSTM with clipping: learns it in fewer steps",
}
STORIES = {name: fill(text, PRESETS[name].to_dict()) for name, text in STORY_TEMPLATES.items()}


def parse(kind, raw) -> tuple[str, dict, list[str]]:
    """(kind, valid values of that model's parameters, notices) from untrusted input."""
    kind, notice = KIND.parse(kind)
    values, notices = PARAMS[kind].parse(raw)
    return kind, values, ([notice] if notice else []) + notices


# ---------------------------------------------------------------- lesson links

KINDS = ParamSet((KIND,))
PIN_NAMES = ("kind", *dict.fromkeys(name for params in PARAMS.values() for name in params.names))
PARTS = {"kind": KINDS, **PARAMS}  # each pinned name is enforced where its values are parsed


@dataclass(frozen=True)
class TrainPins:
    """/train's lock= and hide=: one Pins per ParamSet (the model's kind, each model's
    parameters) from one pair of lists over all their names. A name both models have (act, lr,
    …) is pinned in both panels, each at its value in the link's layout (the other model's
    panel shows its defaults)."""

    parts: dict = field(default_factory=dict)

    def part(self, name: str) -> Pins:
        return self.parts.get(name, NO_PINS)

    def __bool__(self) -> bool:
        return any(self.parts.values())

    def __contains__(self, name) -> bool:
        return any(name in p for p in self.parts.values())

    def hidden(self, name) -> bool:
        return any(name in p.hide for p in self.parts.values())

    def items(self) -> list[tuple[str, str]]:
        lock = [n for n in PIN_NAMES if any(n in p.lock for p in self.parts.values())]
        hide = [n for n in PIN_NAMES if self.hidden(n)]
        return Pins(tuple(lock), tuple(hide)).items()

    def store(self) -> dict:
        if not self:
            return {}  # never None: see Pins.store
        lock, hide = (dict(self.items()).get(k, "") for k in ("lock", "hide"))
        return {"lock": lock.split(",") if lock else [], "hide": hide.split(",") if hide else [],
                "link": {name: p.store()["link"] if p else None for name, p in self.parts.items()}}


NO_TRAIN_PINS = TrainPins()


def pins(raw: dict, kind: str, values: dict) -> tuple[TrainPins, list[str]]:
    """The link's pins from its query, the kind and model values the layout parsed from it."""
    lock, hide, notices = pin_names(raw, PIN_NAMES)
    links = {"kind": {"kind": kind},
             **{k: values if k == kind else params.defaults() for k, params in PARAMS.items()}}
    return TrainPins({name: Pins(lock, hide, links[name]).only(params.names)
                      for name, params in PARTS.items()}), notices


def read_pins(data) -> TrainPins:
    """The pins the page's Store sends back (untrusted: see ParamSet.read_pins)."""
    if not isinstance(data, dict):
        return NO_TRAIN_PINS
    link = data.get("link") if isinstance(data.get("link"), dict) else {}
    return TrainPins({name: params.read_pins({"lock": data.get("lock"), "hide": data.get("hide"),
                                              "link": link.get(name)})
                      for name, params in PARTS.items()})


def parse_panels(kind, ff, rnn, pinned: TrainPins = NO_TRAIN_PINS) -> tuple[str, dict, list[str]]:
    """parse() for the callbacks, which get both models' controls: the kind picks which; the
    link's pins hold whatever the controls send."""
    kinds, notices, _ = KINDS.parse_pinned({"kind": kind}, pinned.part("kind"))
    kind = kinds["kind"]
    values, said, _ = PARAMS[kind].parse_pinned(ff if kind == "ff" else rnn, pinned.part(kind))
    return kind, values, notices + said


def query(kind: str, values: dict, pinned: TrainPins = NO_TRAIN_PINS) -> str:
    pairs = pinned.items()
    return (f"?kind={kind}&" + PARAMS[kind].query(values)[1:]
            + ("&" + urlencode(pairs) if pairs else ""))


def engine_config(kind: str, values: dict):
    """The engine config of valid page values; raises ValueError if the engine refuses it.
    Evaluation and histogram schedules follow the number of steps (they do not change the
    training itself: evaluation uses a fixed validation set and no randomness)."""
    d = PARAMS[kind].engine_args(values)
    if kind == "ff":
        d["residual"] = d["residual"] == "on"
    steps = values["steps"]
    d.update(kind=kind, eval_every=max(1, math.ceil(steps / EVALUATIONS)),
             hist_every=max(1, math.ceil(steps / HISTOGRAMS)))
    return config_from_dict(d)


def preset_values(name: str) -> tuple[str, dict]:
    """(kind, page values) of an engine preset."""
    config = PRESETS[name].to_dict()
    kind = config["kind"]
    values = {p.name: config[p.engine or p.name] for p in PARAMS[kind]}
    if kind == "ff":
        values["res"] = "on" if values["res"] else "off"
    return kind, values


def preset_query(name: str, pinned: TrainPins = NO_TRAIN_PINS) -> str | None:
    """A preset's link; under a lesson link's pins, with the pinned values kept (None: the
    preset is of the other model, and the link locks the model)."""
    kind, values = preset_values(name)
    if not pinned:
        return query(kind, values)
    if "kind" in pinned.part("kind") and pinned.part("kind").link["kind"] != kind:
        return None
    values, _, _ = PARAMS[kind].parse_pinned(values, pinned.part(kind))
    return query(kind, values, pinned)
