"""Properties every page must have, checked over the page registry so new pages are covered.
(Any query string and any callback payload, for every page: tests/app/test_fuzz.py.)

Pages are opened through Dash's page router (tests/dash_client.route), the callback the
browser makes on arriving at a URL: its answer is the page's real layout. A GET of the path
would not do: Dash serves the same index shell for every path, whatever the page's layout does.
"""
import dash
import pytest

from components.layout import walk
from tests.dash_client import finite_count, page_figures, route


def all_pages():
    import app.main  # noqa: F401  registers the pages
    return [p for p in dash.page_registry.values()]


# What each page must show: its title (the H1) and the graphs it draws, in order. Written out
# here, not read from the pages, so that a layout that loses its title or a graph fails.
PAGES = {
    "/": ("GradLab", ()),
    "/tour": (None, ()),  # no H1: each step's title is its markdown heading (test_lecture.py)
    "/chain": ("Scalar chain: a product of n factors",
               ("chain-activations", "chain-backprop", "chain-gradients")),
    "/matrix": ("Matrix chain: eigenvalues decide",
                ("matrix-norms", "matrix-gradients", "matrix-components", "matrix-plane")),
    "/rnn": ("RNN through time: the same matrix at every step",
             ("rnn-norms", "rnn-heatmap", "rnn-flow", "rnn-singular", "rnn-modes")),
    "/dynamics": ("One-unit dynamics: fixed points, folds and a gradient spike",
                  ("dynamics-trajectories", "dynamics-cobweb", "dynamics-final",
                   "dynamics-gradient", "dynamics-bifurcation")),
    "/cliff": ("The gradient cliff: clip the step, not the direction",
               ("cliff-surface", "cliff-stepsizes", "cliff-clipping", "cliff-loss")),
    "/train": ("Train and diagnose: vanishing or exploding?",
               ("train-loss", "train-metric", "train-heatmap", "train-grads", "train-weights",
                "train-hist")),
}
NOT_FOUND = "404 - Page not found"  # Dash's own 404 content (the app has no not_found_404 page)


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p["path"])
def test_component_ids_are_unique(page):
    # Dash with debug off does not report duplicates: a graph and a slider sharing an id
    # silently break the slider.
    from app import dash_app
    layout = page["layout"]() if callable(page["layout"]) else page["layout"]
    ids = [str(c.id) for c in walk([dash_app.layout(), layout])
           if getattr(c, "id", None) is not None]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_every_registered_page_is_expected_here():
    paths = {p["path"] for p in all_pages() if not p.get("path_template")}
    assert paths == set(PAGES), "a page was added or removed: say here what it must show"
    templates = {p["path_template"] for p in all_pages() if p.get("path_template")}
    assert templates == {"/embed/<figure>"}  # every figure of it: tests/app/test_lecture.py


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_its_layout_through_the_router(client, path):
    heading, graphs = PAGES[path]
    registered = next(p for p in all_pages() if p["path"] == path)
    page = route(client, path)
    assert page.title == registered["title"]  # the router found this page, not the 404
    assert NOT_FOUND not in page.text()
    assert page.headings() == ([heading] if heading else [])
    assert page.graphs() == list(graphs)
    if path == "/":  # the home page links to every page of the menu
        hrefs = {c["props"].get("href") for c in page.of_type("Link")}
        menu = {p["relative_path"] for p in all_pages()
                if p["path"] != "/" and not p.get("hidden_from_menu")}
        assert menu <= hrefs and len(menu) >= 7
    if path == "/tour":
        assert page.find("tour-count")["children"] == "step 1 of 10"


def test_an_unknown_path_renders_the_404_page(client):
    page = route(client, "/nowhere")
    assert page.headings() == [NOT_FOUND] and page.graphs() == []
    assert page.title == "GradLab"


def test_a_bad_query_renders_the_page_with_a_notice_and_the_nearest_valid_value(client):
    page = route(client, "/chain", "?w=abc")
    assert page.headings() == [PAGES["/chain"][0]] and page.graphs() == list(PAGES["/chain"][1])
    assert page.url_notices() == ["w = abc is not a number; using 0.9."]
    assert page.controls()["chain-w"] == 0.9


# ---------------------------------------------------------------- every figure has data

# Figures that, by design, show a note instead of data in some states (components/figures.py
# add_note): at the page's defaults {page: {graph: the note}}; STATES opens each page also in
# a state where those figures do plot data.
NOTE_ONLY = {("/rnn", ""): {"rnn-modes": "Eigen-components need a linear RNN"}}
STATES = [("/chain", ""), ("/matrix", ""), ("/rnn", ""), ("/rnn", "?act=identity"),
          ("/dynamics", ""), ("/cliff", "")]
# /train is not here: its figures are empty until a run is started (test_train_page.py checks
# a finished run's figures).


def notes(layout: dict) -> str:
    return " ".join(str(a.get("text", "")) for a in layout.get("annotations") or [])


@pytest.mark.parametrize("path,search", STATES, ids=[p + s for p, s in STATES])
def test_every_figure_of_every_parameter_page_plots_finite_data(client, path, search):
    """The page as the browser opens it (the router's layout, then the page's callbacks with
    that layout's control values): every graph gets a figure, and every figure has a trace
    with at least one finite plotted value (or, where the page means it, its note)."""
    page = route(client, path, search)
    assert page.graphs() == list(PAGES[path][1])
    figures = page_figures(client, page)
    assert sorted(figures) == sorted(page.graphs()), "a graph gets no figure when the page loads"
    empty = {}
    for graph, figure in figures.items():
        counts = [finite_count(t) for t in figure["traces"]]
        if max(counts, default=0) > 0:
            continue
        note = NOTE_ONLY.get((path, search), {}).get(graph)
        if note and note in notes(figure["layout"]):
            continue
        empty[graph] = (len(counts), notes(figure["layout"])[:100])
    assert empty == {}, "figures without a finite plotted value: {graph: (traces, note)}"
