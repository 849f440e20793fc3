"""The one callback of every parameter page (components.page.ParameterPage).

    controls ──read──▶ raw values ──ParamSet.parse──▶ valid values + notices
             ──view (cached, the engine and the figure builders)──▶ figures + explanations
             ──the reader's look──▶ figures, status area, canonical query (→ address bar),
                                    controls the page moved for the user

Every input is untrusted (anyone can POST any JSON to /_dash-update-component): `read` and
`parse` turn anything into valid values and say what they replaced; nothing raises.

A lesson link's pins (lock=, hide=: components.params.Pins) come back from the page's Store
with every call: a pinned parameter takes the link's value whatever its control sends, no reset
moves it, and the canonical query keeps lock= and hide=. A hidden parameter's control is not on
the page, so the controls are optional inputs; the Store is an input too, so the callback
fires at load even when every control is hidden.
"""
from typing import Callable

from dash import Input, Output, Patch, callback, ctx, no_update

from app.cache import cached
from app.look import requested_look
from components.controls import with_lock_cue
from components.layout import mirror_query_to_url, notice_list, summary_id
from components.page import Figure, PageView, ParameterPage
from components.theme import with_look

PINS = "_pins"  # the callback's input name for the page's pins Store


def serve(page: ParameterPage) -> Callable:
    """Decorate a page's `view(**values) -> PageView`: registers the page's callback around it
    and gives back the cached view (what the callback calls: one computation per distinct
    state and worker)."""
    return lambda view: _register(page, view)


def _register(page: ParameterPage, view: Callable[..., PageView]) -> Callable[..., PageView]:
    controls = page.controls()
    movable = page.movable()
    refreshed = [out for c in controls for out in c.outputs(page)]
    inputs = {name: Input(*spec, allow_optional=True)
              for c in controls for name, spec in c.inputs(page).items()}
    inputs[PINS] = Input(page.pins_id, "data")
    sent_by = [{spec[0] for spec in c.inputs(page).values()} for c in controls]  # component ids
    by_control_id = {page.control_id(name): name for name in page.params.names}
    compute = cached(view)

    @callback(
        *[Output(page.figure_id(f.name), "figure") for f in page.figures],
        *[Output(summary_id(page.figure_id(f.name)), "children") for f in page.figures],
        Output(page.status_id, "children"), Output(page.query_id, "data"),
        *[Output(page.control_id(name), "value") for name in movable],
        *[Output(*out) for out in refreshed],
        inputs=inputs,
    )
    def update(**sent):
        pins = page.params.read_pins(sent.pop(PINS, None))
        trigger = ctx.triggered_id if isinstance(ctx.triggered_id, str) else None  # ids are text
        raw, notices, moved, by_trigger = {}, [], set(), set()
        for c, ids in zip(controls, sent_by):
            values, said = c.read(page, sent, trigger)
            raw.update(values)
            notices += said
            moved |= set(values) & set(c.moves())
            if trigger in ids:
                by_trigger |= set(values)
        moved_by = by_control_id.get(trigger)
        reset = page.resets.get(moved_by) if moved_by not in pins else None  # a pinned one did not move
        reset_names = [name for name in reset.params if name not in pins] if reset else []
        for name in reset_names:  # e.g. a new construction starts from its own default scale
            raw.pop(name, None)
        moved |= set(reset_names)
        values, said, restored = page.params.parse_pinned(raw, pins, revert=by_trigger)
        moved |= restored
        notices += said
        if reset_names and reset.notice:
            notices.append(reset.notice(values))
        drawn = compute(**values)
        look = requested_look()
        figures = [_sent(page, f, drawn.figures[f.name], trigger, look) for f in page.figures]
        return [
            *figures,
            # a figure's sentence goes with it: not sent when the figure is not
            *[no_update if fig is no_update else drawn.summaries.get(f.name, "")
              for f, fig in zip(page.figures, figures)],
            [*drawn.explained, notice_list(notices), notice_list(drawn.overflow, kind="overflow")],
            page.params.query(values, pins),
            # only what the page changed for the user moves; the rest stays under their hand
            *[values[name] if name in moved else no_update for name in movable],
            *[v for c in controls for v in _refreshed(page, c, values, pins)],
        ]

    mirror_query_to_url(page.query_id)
    return compute


def _refreshed(page: ParameterPage, c, values: dict, pins) -> list:
    """A control's refreshed outputs; a locked one's stay locked (disabled, its label cued)."""
    out = c.refresh(page, values)
    if not any(name in pins for name in c.shows(page)):
        return out
    return [True if prop == "disabled" else
            with_lock_cue(v) if prop == "children" and str(out_id).endswith("-label") else v
            for (out_id, prop), v in zip(c.outputs(page), out)]


def _sent(page: ParameterPage, f: Figure, figure: dict, trigger, look):
    """The figure in the reader's look; nothing, when the control that moved is one it ignores;
    or, when only traces after its fixed ones can have changed, a Patch of those: the fixed
    ones (most of the bytes) are in the browser already."""
    if trigger is not None and trigger in {page.control_id(name) for name in f.ignores}:
        return no_update
    redrawn = {page.control_id(name) for name in f.redrawn_by}
    if f.fixed_traces and trigger is not None and trigger not in redrawn:
        patch = Patch()
        for i, trace in enumerate(figure["data"][f.fixed_traces:], start=f.fixed_traces):
            patch["data"][i] = trace
        return patch
    return with_look(figure, look)
