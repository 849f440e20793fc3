"""/train as a folder: a big page's pieces, one idea each.

    params.py   the URL/control parameters of both models, their validation, the engine config
    ids.py      every component id of the page, spelled once
    view.py     what a run looks like to its viewer: progress, status, banners (pure)
    page.py     the page: its layout and its callbacks (Start, Stop and polling, histograms)

Dash imports page.py (it holds register_page); this file must not import it.
"""
