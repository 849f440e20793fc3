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
    return html.Nav(className="navbar", **{"aria-label": "GradLab pages"}, children=[
        # first in the tab order: past the menu and the controls, to the figures (or to the
        # page's content where it has no figures: assets/gradlab.js)
        html.A("Skip to figures", href="#figures", className="skip-link"),
        dcc.Link("GradLab", href=dash.get_relative_path("/"), className="brand"),
        *[dcc.Link(page["name"], href=page["relative_path"], className="nav-link")
          for page in dash.page_registry.values()
          if page["path"] != "/" and not page.get("hidden_from_menu")],
        html.Span(className="look-toggles", children=[
            # a live session: this tab leads, students follow (assets/live.js, app/live)
            html.Button("Go live", className="look-toggle live-go", type="button",
                        title="Start a live session: students follow this tab",
                        **{"data-live-go": "1", "aria-haspopup": "dialog"}),
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


def summary_id(graph_id: str) -> str:
    """The id of a figure's text alternative (filled by the page's callback)."""
    return f"{graph_id}-summary"


def csv_ids(graph_id: str) -> tuple[dict, dict]:
    """The pattern-matching ids of a figure's CSV button and its dcc.Download (one clientside
    callback serves every figure: app/figure_tools.py)."""
    return ({"type": "figure-csv-button", "figure": graph_id},
            {"type": "figure-csv", "figure": graph_id})


def graph(graph_id: str, height: int = 380):
    """A figure with what a reader can take from it: a sentence saying what it shows now (its
    text alternative, for screen readers and for everyone), its numbers as a table ("data"),
    a CSV file of exactly the plotted numbers, an SVG for slides, and the "embed" link.
    assets/gradlab.js builds the table, the CSV and the embed snippet from the figure as the
    browser holds it, when a button is pressed."""
    button, download = csv_ids(graph_id)
    return html.Div(className="figure-box", role="figure",
                    **{"aria-describedby": summary_id(graph_id)}, children=[
        dcc.Graph(id=graph_id, className="figure", style={"height": f"{height}px"},
                  config={"displaylogo": False, "toImageButtonOptions": {"scale": 2},
                          "modeBarButtonsToRemove": ["select2d", "lasso2d", "zoomIn2d",
                                                     "zoomOut2d", "autoScale2d", "pan2d"]}),
        html.P(id=summary_id(graph_id), className="figure-summary"),
        html.Div(className="figure-tools", children=[
            html.Button("data", className="figure-tool", title="Show this figure's numbers as a table",
                        **{"data-table-figure": graph_id, "aria-expanded": "false",
                           "aria-controls": f"{graph_id}-table"}),
            html.Button("CSV", id=button, className="figure-tool",
                        title="Download exactly the plotted numbers as CSV"),
            dcc.Download(id=download),
            html.Button("SVG", className="figure-tool", title="Download this figure as SVG (for slides)",
                        **{"data-svg-figure": graph_id}),
            html.Button("embed", className="figure-tool embed-button",
                        title="Embed or share this figure", **{"data-embed-figure": graph_id,
                                                               "aria-expanded": "false"}),
        ]),
        # it scrolls: focusable, so the keyboard can scroll it too (WCAG 2.1.1)
        html.Div(id=f"{graph_id}-table", className="figure-table", hidden=True, tabIndex="0",
                 role="region", **{"aria-label": "the figure's numbers"}),
        html.Div(className="embed-box", hidden=True, children=[
            html.Label("Link to this figure in this state", htmlFor=f"{graph_id}-embed-link"),
            html.Div(className="embed-row", children=[
                html.Textarea(id=f"{graph_id}-embed-link", className="embed-link", readOnly=True,
                              rows=1),
                html.Button("copy", **{"data-copy": "1"})]),
            html.Label("Embed in a course page", htmlFor=f"{graph_id}-embed-snippet"),
            html.Div(className="embed-row", children=[
                html.Textarea(id=f"{graph_id}-embed-snippet", className="embed-snippet",
                              readOnly=True, rows=3),
                html.Button("copy", **{"data-copy": "1"})]),
            # show controls, lock or hide each parameter: checkboxes assets/gradlab.js builds
            # from the page's controls on opening (the link and snippet follow them)
            html.Div(className="embed-options"),
        ]),
    ])


def code_export(page: str):
    """"PyTorch code": one self-contained script (torch and numpy) that rebuilds the setup on
    screen and prints what the main figure plots. assets/gradlab.js fetches it for the page's
    current query from app/code_route.py when the button is pressed."""
    box = f"{page}-code"
    return html.Div(className="code-export", children=[
        html.Button("PyTorch code for this setup", className="code-button",
                    **{"data-code-page": page, "aria-expanded": "false", "aria-controls": box}),
        html.Div(id=box, className="code-box", hidden=True, children=[
            html.Label("A script that rebuilds this exact setup and prints the main figure's "
                       "numbers (torch and numpy only)", htmlFor=f"{box}-text"),
            html.Textarea(id=f"{box}-text", className="code-text", readOnly=True, rows=14,
                          spellCheck="false"),
            html.Div(className="embed-row", children=[
                html.Button("copy", **{"data-copy": "1"}),
                html.A("download .py", className="code-download", href="#",
                       download=f"gradlab_{page}.py")]),
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
            # the skip link's target; the status is not a live region: it changes on every
            # slider step (the page's one live region, in the shell, speaks once it settles)
            html.Div(id="figures", className="figures", tabIndex="-1", children=[
                html.Div(id=status_id, className="status"),
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
