"""The one callback of every parameter page (components.page.ParameterPage).

    controls ──read──▶ raw values ──ParamSet.parse──▶ valid values + notices
             ──view (cached, the engine and the figure builders)──▶ figures + explanations
             ──the reader's look──▶ figures, status area, canonical query (→ address bar),
                                    controls the page moved for the user

Every input is untrusted (anyone can POST any JSON to /_dash-update-component): `read` and
`parse` turn anything into valid values and say what they replaced; nothing raises.
"""
from typing import Callable

from dash import Input, Output, Patch, callback, ctx, no_update

from app.cache import cached
from app.look import requested_look
from components.layout import mirror_query_to_url, notice_list
from components.page import Figure, PageView, ParameterPage
from components.theme import with_look


def serve(page: ParameterPage) -> Callable:
    """Decorate a page's `view(**values) -> PageView`: registers the page's callback around it
    and gives back the cached view (what the callback calls: one computation per distinct
    state and worker)."""
    return lambda view: _register(page, view)


def _register(page: ParameterPage, view: Callable[..., PageView]) -> Callable[..., PageView]:
    controls = page.controls()
    movable = page.movable()
    refreshed = [out for c in controls for out in c.outputs(page)]
    inputs = {name: Input(*spec) for c in controls for name, spec in c.inputs(page).items()}
    by_control_id = {page.control_id(name): name for name in page.params.names}
    compute = cached(view)

    @callback(
        *[Output(page.figure_id(f.name), "figure") for f in page.figures],
        Output(page.status_id, "children"), Output(page.query_id, "data"),
        *[Output(page.control_id(name), "value") for name in movable],
        *[Output(*out) for out in refreshed],
        inputs=inputs,
    )
    def update(**sent):
        trigger = ctx.triggered_id
        raw, notices, moved = {}, [], set()
        for c in controls:
            values, said = c.read(page, sent, trigger)
            raw.update(values)
            notices += said
            moved |= set(values) & set(c.moves())
        reset = page.resets.get(by_control_id.get(trigger))
        if reset:  # e.g. a new construction starts from its own default scale
            for name in reset.params:
                raw.pop(name, None)
            moved |= set(reset.params)
        values, said = page.params.parse(raw)
        notices += said
        if reset and reset.notice:
            notices.append(reset.notice(values))
        drawn = compute(**values)
        look = requested_look()
        return [
            *[_sent(page, f, drawn.figures[f.name], trigger, look) for f in page.figures],
            [*drawn.explained, notice_list(notices), notice_list(drawn.overflow, kind="overflow")],
            page.params.query(values),
            # only what the page changed for the user moves; the rest stays under their hand
            *[values[name] if name in moved else no_update for name in movable],
            *[v for c in controls for v in c.refresh(page, values)],
        ]

    mirror_query_to_url(page.query_id)
    return compute


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
