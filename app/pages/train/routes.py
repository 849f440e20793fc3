"""The two plain GETs a tab following a training run makes, outside Dash's callback machinery
(a hall of tabs polls once a second each: these cost a store read, not a callback):

    GET runs/poll?run=<id>&tab=<tab>&have=<version>&seen=<json>
        → 204 when nothing changed since `have`/`seen`, else JSON {"out": [the page's run
          outputs, figures left out], "figures": <URL of the new snapshot's figures> | null}
    GET runs/<id>/figures/<version>.json
        → the run's stored figure JSON, byte for byte, immutable (cacheable by any proxy)

assets/gradlab.js (pollRun) calls them and gives the figures the page's look.
"""
import json
import re

from flask import Response, request

from app.runs import manager

NO_UPDATE = {"__no_update__": True}  # the JS reads it as window.dash_clientside.no_update
RUN_ID = re.compile(r"[0-9a-f]{20}")


def register(server, routes_prefix: str, requests_prefix: str) -> None:
    from app.pages.train import page

    def poll():
        args = request.args
        rid = args.get("run", "")
        if not RUN_ID.fullmatch(rid):
            rid = None
        try:
            have = int(args.get("have", "-1"))
        except ValueError:
            have = -1
        try:
            seen = json.loads(args.get("seen", "null")[:200])
        except ValueError:
            seen = None
        out, version = page.poll_run(rid, args.get("tab", "")[:64], max(-1, min(have, 10**9)),
                                     seen)
        if out is None:
            return Response(status=204)
        from plotly.utils import PlotlyJSONEncoder
        body = {"out": [NO_UPDATE if v is page.no_update else v for v in out],
                "figures": None if version is None else
                f"{requests_prefix}runs/{rid}/figures/{version}.json"}
        return Response(json.dumps(body, cls=PlotlyJSONEncoder), mimetype="application/json",
                        headers={"Cache-Control": "no-store"})

    def figures(rid, version):
        text = manager.figures_text(rid, version) if RUN_ID.fullmatch(rid) else None
        if text is None:
            return Response('{"error": "no such snapshot"}', status=404,
                            mimetype="application/json")
        return Response(text, mimetype="application/json",
                        headers={"Cache-Control": "public, max-age=3600, immutable"})

    server.add_url_rule(f"{routes_prefix}runs/poll", "runs_poll", poll, methods=["GET"])
    server.add_url_rule(f"{routes_prefix}runs/<rid>/figures/<int:version>.json", "runs_figures",
                        figures, methods=["GET"])
