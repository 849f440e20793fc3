"""The reader's look (dark, presenter) for the callback being served.

The look is a pair of URL flags of the page, `dark=1` and `present=1`, which the viewer owns
(assets/gradlab.js keeps them across navigation). A callback's request carries the page's URL
as its Referer (same-origin requests keep the full URL under our referrer policy), so the look
needs no callback input and works inside iframes, where cookies and local storage may be
blocked. It is read here, once per callback; figures are built without it and take it last
(components.theme.with_look), so one cached figure serves every look.
"""
from urllib.parse import parse_qs, urlsplit

from components.theme import LOOK_FLAGS, Look


def requested_look() -> Look:
    """The look of the page that sent the current request (the default look outside one)."""
    from flask import has_request_context, request
    if not has_request_context():
        return Look()
    try:
        flags = parse_qs(urlsplit(request.referrer or "").query)
    except ValueError:  # the Referer is the client's to forge, e.g. "http://[" (bad IPv6)
        return Look()
    return Look(*(flags.get(name) == ["1"] for name in LOOK_FLAGS))
