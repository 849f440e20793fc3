"""/embed/<figure>?<the page's parameters>&controls=0|1: one figure, no navigation chrome.

<figure> is the figure's component id on its page (e.g. `chain-gradients`, `rnn-heatmap`):
the "embed" button beside every figure builds this URL for the current state. The page's
own layout is rendered, so its callback, validation and URL handling apply unchanged;
everything but the chosen figure (and, with controls=1, the control panel) is hidden by
CSS and the figure fills the iframe.
"""
from functools import lru_cache

import dash
from dash import dcc, html, register_page

from components.layout import notice_list, walk

register_page(__name__, path_template="/embed/<figure>", name="Embed", title="GradLab figure",
              hidden_from_menu=True)


@lru_cache(maxsize=1)
def figure_owners() -> dict[str, dict]:
    """Figure id → the page that draws it, from every page's default layout."""
    owners = {}
    for page in dash.page_registry.values():
        if page.get("hidden_from_menu") or not callable(page["layout"]):
            continue
        for component in walk(page["layout"]()):
            if isinstance(component, dcc.Graph) and isinstance(component.id, str):
                owners.setdefault(component.id, page)
    return owners


def layout(figure=None, controls="0", **query):
    # A repeated query key arrives as a list (and a `figure` key in the query overrides the
    # path's): only a single name can name a figure.
    page = figure_owners().get(figure) if isinstance(figure, str) else None
    if page is None:
        known = ", ".join(sorted(figure_owners()))
        return html.Div(className="page", children=[notice_list(
            [f"There is no figure called {str(figure)[:40]!r}. Figures: {known}."])])
    frame = page["layout"](**query)
    for component in walk(frame):
        if "figure-box" in (getattr(component, "className", None) or "").split():
            shown = any(isinstance(c, dcc.Graph) and c.id == figure for c in walk(component))
            component.className += " embed-target" if shown else " embed-hidden"
    with_controls = controls == "1"
    return html.Div(frame, className="embed" + (" embed-with-controls" if with_controls else ""))
