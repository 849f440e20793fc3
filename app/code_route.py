"""GET code/<page>.py?<the page's query>: the PyTorch script that reproduces the state on screen
(components/torch_code.py), for /chain, /matrix, /rnn and /train.

    200  text/plain; charset=utf-8, Content-Disposition: inline; filename=gradlab_<page>.py
         the query parsed by the page's own ParamSet, as its layout parses the URL: anything
         bad gets the nearest valid value (the defaults, for garbage), and the notices are
         comments at the top of the script
    404  a short text for a page without a script

A plain GET outside Dash's callbacks: the answer is text formatting of validated values (no
engine computation, a few hundred µs), so a hall clicking "code" costs nothing.
"""
from flask import Response, request

from components import torch_code

TEXT = "text/plain; charset=utf-8"
NOT_FOUND = f"No code for that page; there is code for /{', /'.join(torch_code.PAGES)}.\n"


def parse(page: str, args: dict) -> tuple[dict, list[str]]:
    """(validated values, notices) of a raw query, as the page's layout parses its URL."""
    if page == "train":
        from app.pages.train.params import parse as train_parse
        kind, values, notices = train_parse(args.get("kind", "ff"), args)  # as its layout
        return {"kind": kind, **values}, notices
    from app.pages import chain, matrix, rnn  # loaded already: Dash registered them
    return {"chain": chain, "matrix": matrix, "rnn": rnn}[page].PARAMS.parse(args)


def address(page: str, values: dict) -> str:
    """The page's own canonical URL of validated values (what its address bar shows)."""
    if page == "train":
        from app.pages.train.params import query
        return "/train" + query(values["kind"], {k: v for k, v in values.items() if k != "kind"})
    from app.pages import chain, matrix, rnn
    return f"/{page}" + {"chain": chain, "matrix": matrix, "rnn": rnn}[page].PARAMS.query(values)


def register(server, routes_prefix: str) -> None:
    def code(page):
        if page not in torch_code.PAGES:
            return Response(NOT_FOUND, status=404, content_type=TEXT)
        # first value of each key, as the page router gives a page's layout its query
        values, notices = parse(page, request.args.to_dict(flat=True))
        return Response(torch_code.script(page, values, notices, address(page, values)),
                        content_type=TEXT,
                        headers={"Content-Disposition": f"inline; filename=gradlab_{page}.py"})

    server.add_url_rule(f"{routes_prefix}code/<page>.py", "code_script", code, methods=["GET"])
