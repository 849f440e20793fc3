"""What a lead's address bar means to its followers.

Every GradLab page keeps its state in its URL (the parameter pages mirror their canonical
query into the address bar; the tour's step and the look flags are in it too), so the lead tab
sends only its location. Here that location becomes a session state:

    path      the page (a page of the menu or home: never /embed, /live or anything else)
    query     the page's own parameters, as the lead's URL has them
    look      {"dark", "present"}: the viewer flags the follower takes over (a new look is a
              reload on the follower's side: figures take their template when built)
    href      where a follower goes: the prefix, the path, the query and the look
    controls  {component id: value} the page shows for that query — for the parameter pages
              only (their controls are the whole state); a follower already on that page moves
              the one control that differs instead of rendering the page again. None elsewhere
              (the tour, /train, home): a follower navigates.

The query is not validated here: the follower's page validates it as it validates any URL.
"""
from __future__ import annotations

import json
import logging
import sys
from urllib.parse import parse_qs, parse_qsl, urlencode

from components.theme import LOOK_FLAGS

log = logging.getLogger(__name__)
VIEWER_FLAGS = (*LOOK_FLAGS, "controls")  # "controls" belongs to an embed, not to a page
MAX_LOCATION = 2048  # far beyond any GradLab URL (the longest preset is ~200 characters)


def followable_pages() -> dict[str, dict]:
    """path → page registry entry of every page a lead may take its followers to."""
    import dash
    return {p["path"]: p for p in dash.page_registry.values()
            if not p.get("path_template") and (p["path"] == "/" or not p.get("hidden_from_menu"))}


def lead_state(pathname, search, prefix: str) -> dict | None:
    """The session state for a lead at `pathname` + `search` (as the browser's location has
    them, the URL prefix included), or None if that is not a page followers can be sent to."""
    if not isinstance(pathname, str) or not isinstance(search, str):
        return None
    if len(pathname) + len(search) > MAX_LOCATION or not pathname.startswith(prefix):
        return None
    path = "/" + pathname[len(prefix):].strip("/")
    page = followable_pages().get(path)
    if page is None:
        return None
    pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True)[:64]
    look = {flag: any(k == flag and v == "1" for k, v in pairs) for flag in LOOK_FLAGS}
    own = [(k, v) for k, v in pairs if k not in VIEWER_FLAGS]
    query = urlencode(own, safe=",:")
    shown = own + [(flag, "1") for flag in LOOK_FLAGS if look[flag]]
    href = prefix + path.lstrip("/") + ("?" + urlencode(shown, safe=",:") if shown else "")
    return {"path": path, "query": query, "look": look, "href": href,
            "controls": page_controls(page, query)}


def page_controls(page: dict, query: str) -> dict | None:
    """{control id: value} of a parameter page's layout for `query` (what its controls would
    show if the page were opened at that URL), or None for other pages."""
    from components.layout import walk
    from components.page import ParameterPage
    module = sys.modules.get(page["module"])
    if not isinstance(getattr(module, "PAGE", None), ParameterPage):
        return None
    # the query as Dash's router hands it to a layout: one value a string, repeats a list
    raw = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(query, keep_blank_values=True).items()}
    try:
        layout = page["layout"](**raw)
        controls = {c.id: c.value for c in walk(layout)
                    if isinstance(getattr(c, "id", None), str) and hasattr(c, "value")}
        return json.loads(json.dumps(controls, allow_nan=False))
    except (TypeError, ValueError):  # a layout that cannot say: followers navigate instead
        log.exception("live: no control values for %s?%s", page["path"], query[:200])
        return None
