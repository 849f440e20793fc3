"""The HTTP side of live sessions (assets/live.js is the other end).

    POST live                 {path, query} → 201 {id, follow_url, lead_url, token, qr_url,
                              expires, state}: a new session at the lecturer's location
    GET  live/<id>            the follow link: 303 to the lead's current page (#live=<id>
                              tells that page's live.js to follow), or a notice page (404)
    GET  live/<id>/lead       the lead link (its token after #, never sent in a URL, so never
                              in a log): a page whose live.js claims the lead
    POST live/<id>/lead       {token} → the current state, 403 for a wrong token
    GET  live/<id>/state      what followers poll: the state JSON with an ETag; 304 when
                              If-None-Match is the current one; 404 when the session is gone
    POST live/<id>/state      {token, path, query}: the lead publishes (403, 404, 429)
    POST live/<id>/end        {token}: the lead ends the session
    GET  live/<id>/qr.svg     the follow link as a QR code (segno, SVG, made here)

Refusals are JSON {"error": sentence} with their status; nothing raises to a 500.
"""
from __future__ import annotations

import functools
import html
import io
import json

from flask import Response, request

from app import settings
from app.clients import client_address
from app.live import sessions, states

JSON = "application/json"


def _error(status: int, message: str, retry_after: float | None = None) -> Response:
    headers = {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, round(retry_after)))
    return Response(json.dumps({"error": message}), status=status, mimetype=JSON,
                    headers=headers)


def _refused(error: sessions.LiveError) -> Response:
    return _error(error.status, error.message, error.retry_after)


def _body() -> dict | None:
    """The request's JSON object, or None. Requiring JSON also keeps other sites out: a
    cross-site form cannot send it, and a cross-site fetch of it needs a CORS permission
    this server never gives."""
    if not request.is_json:
        return None
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def public_base(requests_prefix: str) -> str:
    """The address students reach this server at: GRADLAB_PUBLIC_URL, else the request's
    scheme and host (a trusted proxy's X-Forwarded-Proto/-Host when there is one) + prefix."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/") + "/"
    scheme, host = request.scheme, request.host
    if settings.TRUSTED_PROXIES:
        scheme = request.headers.get("X-Forwarded-Proto", scheme).split(",")[0].strip() or scheme
        host = request.headers.get("X-Forwarded-Host", host).split(",")[0].strip() or host
    return f"{scheme}://{host}{requests_prefix}"


@functools.lru_cache(maxsize=settings.LIVE_MAX_SESSIONS)  # a link's code never changes
def qr_svg(url: str) -> str:
    """`url` as a QR code: black on white with the standard 4-module quiet zone, error
    correction M (a projector's glare and a phone at 20 m still read it), no fixed size —
    the page sizes it (viewBox only)."""
    import segno
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", border=4, dark="#000", light="#fff", xmldecl=False, omitsize=True,
        svgclass="live-qr-code", title="QR code of the follow link")
    return out.getvalue().decode()


def notice_page(prefix: str, title: str, message: str, status: int,
                claim: str | None = None) -> Response:
    """A small page of its own (no Dash): what a bad follow or lead link shows, and the lead
    link's page, whose live.js (data-live-claim) takes the lead and moves on."""
    data = (f' data-live-claim="{html.escape(claim)}" data-live-prefix="{html.escape(prefix)}"'
            if claim else "")
    page = f"""<!DOCTYPE html>
<html lang="en"{data}>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · GradLab</title>
<link rel="stylesheet" href="{prefix}assets/style.css">
<link rel="stylesheet" href="{prefix}assets/live.css"></head>
<body><main class="page live-notice">
<h1>{html.escape(title)}</h1>
<p id="live-notice-message" role="status">{html.escape(message)}</p>
<p><a href="{prefix}">Go to the GradLab home page</a></p>
</main>{f'<script src="{prefix}assets/live.js"></script>' if claim else ""}</body></html>"""
    return Response(page, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store"})


GONE = ("This live session does not exist or has expired", "Check the link you were given, "
        "or ask the lecturer for a new one. Everything in GradLab also works on its own.")


def register(server, routes_prefix: str, requests_prefix: str) -> None:
    def follow_url(sid: str) -> str:
        return f"{public_base(requests_prefix)}live/{sid}"

    def create():
        body = _body()
        if body is None:
            return _error(415, "Send a JSON object: {\"path\": ..., \"query\": ...}.")
        state = states.lead_state(body.get("path", requests_prefix), body.get("query", ""),
                                  requests_prefix) or \
            states.lead_state(requests_prefix, "", requests_prefix)  # elsewhere: start at home
        try:
            sid, token, expires = sessions.create(state, client_address())
        except sessions.LiveError as error:
            return _refused(error)
        follow = follow_url(sid)
        return Response(json.dumps({
            "id": sid, "follow_url": follow, "lead_url": f"{follow}/lead#{token}",
            "token": token, "qr_url": f"{requests_prefix}live/{sid}/qr.svg",
            "expires": round(expires), "state": state}), status=201, mimetype=JSON,
            headers={"Cache-Control": "no-store"})

    def follow(sid):
        text = sessions.state_text(sid.lower())
        if text is None:
            return notice_page(requests_prefix, *GONE, status=404)
        # the fragment is the follower's marker for live.js: never sent back to any server
        return Response(status=303, headers={
            "Location": f"{json.loads(text)['href']}#live={sid.lower()}",
            "Cache-Control": "no-store"})

    def lead_page(sid):
        if sessions.state_text(sid.lower()) is None:
            return notice_page(requests_prefix, *GONE, status=404)
        return notice_page(requests_prefix, "Taking the lead…", "Checking the lead link.",
                           status=200, claim=sid.lower())

    def claim(sid):
        body = _body() or {}
        try:
            return Response(json.dumps(sessions.claim(sid, body.get("token"))), mimetype=JSON,
                             headers={"Cache-Control": "no-store"})
        except sessions.LiveError as error:
            return _refused(error)

    def state(sid):
        text = sessions.state_text(sid)
        if text is None:
            return _error(404, "This live session does not exist: it has ended or expired.")
        tag = f"{sid}.{json.loads(text)['version']}"
        # The browser revalidates every poll (max-age=0) and gets a 304 with no body while
        # nothing changed; a shared proxy in front of the hall may answer for a second.
        headers = {"ETag": f'"{tag}"', "Cache-Control": "public, max-age=0, s-maxage=1"}
        if request.if_none_match.contains(tag):
            return Response(status=304, headers=headers)
        return Response(text, mimetype=JSON, headers=headers)

    def publish(sid):
        body = _body()
        if body is None:
            return _error(415, "Send a JSON object: {\"token\": ..., \"path\": ..., "
                               "\"query\": ...}.")
        try:
            # the lead first: building a state renders the page's layout (~1 ms), which no
            # one but the lead may make the server do; and a wrong token must not learn
            # whether its location was valid
            sessions.check_lead(sid, body.get("token"))
            new = states.lead_state(body.get("path"), body.get("query", ""), requests_prefix)
            if new is None:
                return _error(400, "Followers can only be taken to a GradLab page.")
            version = sessions.publish(sid, body.get("token"), new)
        except sessions.LiveError as error:
            return _refused(error)
        return Response(json.dumps({"version": version}), mimetype=JSON,
                        headers={"Cache-Control": "no-store"})

    def end(sid):
        try:
            sessions.end(sid, (_body() or {}).get("token"))
        except sessions.LiveError as error:
            return _refused(error)
        return Response(status=204)

    def qr(sid):
        if sessions.state_text(sid) is None:
            return _error(404, "This live session does not exist: it has ended or expired.")
        return Response(qr_svg(follow_url(sid)), mimetype="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=3600"})

    base = f"{routes_prefix}live"
    for rule, name, view, methods in (
            ("", "create", create, ["POST"]),
            ("/<sid>", "follow", follow, ["GET"]),
            ("/<sid>/lead", "lead_page", lead_page, ["GET"]),
            ("/<sid>/lead", "claim", claim, ["POST"]),
            ("/<sid>/state", "state", state, ["GET"]),
            ("/<sid>/state", "publish", publish, ["POST"]),
            ("/<sid>/end", "end", end, ["POST"]),
            ("/<sid>/qr.svg", "qr", qr, ["GET"])):
        server.add_url_rule(base + rule, f"live_{name}", view, methods=methods)
