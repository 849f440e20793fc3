"""Properties every page must have, checked over the page registry so new pages are covered.
(Any query string and any callback payload, for every page: tests/app/test_fuzz.py.)"""
import dash
import pytest

from components.layout import walk


def all_pages():
    import app.main  # noqa: F401  registers the pages
    return [p for p in dash.page_registry.values()]


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p["path"])
def test_component_ids_are_unique(page):
    # Dash with debug off does not report duplicates: a graph and a slider sharing an id
    # silently break the slider.
    from app import dash_app
    layout = page["layout"]() if callable(page["layout"]) else page["layout"]
    ids = [str(c.id) for c in walk([dash_app.layout(), layout])
           if getattr(c, "id", None) is not None]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
