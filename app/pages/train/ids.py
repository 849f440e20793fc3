"""Every component id of /train, spelled once."""
from components.controls import control_id

PAGE = "train"
GRAPHS = {name: f"{PAGE}-{name}" for name in ("loss", "metric", "heatmap", "grads", "weights",
                                              "hist")}
STATUS, QUERY = f"{PAGE}-status", f"{PAGE}-query"
PINS = f"{PAGE}-pins"  # a lesson link's lock= and hide= (params.TrainPins.store)
START, STOP = f"{PAGE}-start", f"{PAGE}-stop"
PROGRESS, PROGRESS_TEXT, RUN_STATUS = f"{PAGE}-progress", f"{PAGE}-progress-text", f"{PAGE}-run"
RUN_INFO = f"{PAGE}-run-info"  # queued / shared / replayed: who else this run serves
SLIDER, TAB = f"{PAGE}-hist-step", f"{PAGE}-tab"
SHOWN = f"{PAGE}-shown"  # the finished run whose histograms the step slider browses
TEMPLATE = f"{PAGE}-template"  # the page's look, for figures the browser fetches itself
RUN, POLL = f"{PAGE}-run-ref", f"{PAGE}-poll"  # the tab's run {id, version}; its poll timer
BANNER, FAILED, VERDICT = f"{PAGE}-banner", f"{PAGE}-failed", f"{PAGE}-verdict"
KIND = control_id(PAGE, "kind")


def panel(kind: str) -> str:
    return f"{PAGE}-{kind}-panel"


def control(kind: str, name: str) -> str:
    """A model's control: train-ff-depth, train-rnn-T, …"""
    return control_id(f"{PAGE}-{kind}", name)
