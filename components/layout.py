"""The page frame every page shares: navigation, notices, controls beside figures."""
from functools import lru_cache
from pathlib import Path

import dash
from dash import dcc, html
from dash.development.base_component import Component

from components.text import fill


def navbar():
    """Links to every page meant for the menu, in registry order, and the look toggles
    (assets/gradlab.js flips the `present`/`dark` URL flags)."""
    return html.Nav(className="navbar", children=[
        dcc.Link("GradLab", href=dash.get_relative_path("/"), className="brand"),
        *[dcc.Link(page["name"], href=page["relative_path"], className="nav-link")
          for page in dash.page_registry.values()
          if page["path"] != "/" and not page.get("hidden_from_menu")],
        html.Span(className="look-toggles", children=[
            html.Button("Presenter", className="look-toggle", title="Large type for projectors",
                        **{"data-look-toggle": "present"}),
            html.Button("Dark", className="look-toggle", title="Dark theme",
                        **{"data-look-toggle": "dark"}),
        ]),
    ])


def notice_list(notices, kind: str = "warning"):
    """Messages for the reader (replaced inputs, overflow); nothing when there are none."""
    if not notices:
        return None
    return html.Ul(className=f"notice notice-{kind}", children=[html.Li(n) for n in notices])


@lru_cache(maxsize=64)
def _prose(path: Path) -> str:
    return path.read_text(encoding="utf-8")  # the files do not change under a running server


def markdown_file(path: Path, values: dict | None = None, **kwargs):
    """Render a page's prose and equations (MathJax bundled with Dash: works offline), with
    each {{name}} filled from `values` (numbers come from the engine, never typed)."""
    return dcc.Markdown(fill(_prose(path), values or {}), mathjax=True, **kwargs)


def graph(graph_id: str, height: int = 380):
    """A figure with its "embed" button: assets/gradlab.js fills in the link and the
    <iframe> snippet for the page's current state when the button is pressed."""
    return html.Div(className="figure-box", children=[
        dcc.Graph(id=graph_id, className="figure", style={"height": f"{height}px"},
                  config={"displaylogo": False, "toImageButtonOptions": {"scale": 2},
                          "modeBarButtonsToRemove": ["select2d", "lasso2d", "zoomIn2d",
                                                     "zoomOut2d", "autoScale2d", "pan2d"]}),
        html.Button("embed", className="embed-button", title="Embed or share this figure",
                    **{"data-embed-figure": graph_id}),
        html.Div(className="embed-box", hidden=True, children=[
            html.Label("Link to this figure in this state"),
            html.Div(className="embed-row", children=[
                html.Textarea(className="embed-link", readOnly=True, rows=1),
                html.Button("copy", **{"data-copy": "1"})]),
            html.Label("Embed in a course page"),
            html.Div(className="embed-row", children=[
                html.Textarea(className="embed-snippet", readOnly=True, rows=3),
                html.Button("copy", **{"data-copy": "1"})]),
        ]),
    ])


def walk(component):
    """Every Dash component below `component` (itself included), depth first."""
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(reversed(node))
        elif isinstance(node, Component):
            yield node
            stack.append(getattr(node, "children", None))


def page_frame(title: str, intro, url_notices, controls, figures, status_id: str,
               query_id: str, below=None):
    """Title and intro, the URL's notices, controls on the left, figures on the right.

    `status_id` is the box the page's callback fills (regime badge, overflow, notices);
    `query_id` a Store holding the canonical query string, mirrored into the address bar.
    """
    return html.Div(className="page", children=[
        html.H1(title),
        intro,
        html.Div(notice_list(url_notices), className="url-notices"),
        html.Div(className="workspace", children=[
            controls,
            html.Div(className="figures", children=[
                html.Div(id=status_id, className="status", role="status"),
                *figures,
            ]),
        ]),
        below,
        dcc.Store(id=query_id),
    ])


def mirror_query_to_url(query_id: str) -> None:
    """Copy the page's canonical query string into the address bar (history.replaceState:
    no navigation, no page re-render, no history entry per slider step)."""
    dash.clientside_callback(
        dash.ClientsideFunction(namespace="gradlab", function_name="mirrorQuery"),
        dash.Input(query_id, "data"),
    )
