"""A live session's life in the shared store.

A session is an id (short: it is read off a projector and typed) and a lead token (secret:
whoever holds it drives every follower). The store keeps only a digest of the token, so a
leaked store (a backup, a shared Redis) cannot drive anything.

    session:<id>   {"token": sha256 of the lead token, "created", "expires", "recent": [...]}
    state:<id>     the state followers read, as JSON text: {"version", "href", "path",
                   "query", "look", "controls", "expires"} (served as it is stored)
    index          {id: expires} of every session: the bound on how many exist
    client:<addr>  creation times of one client address in the last hour

Why the id may be short: it only lets someone *watch* a lecture whose link is on the screen
anyway; 32⁸ ≈ 10¹² ids against at most GRADLAB_LIVE_MAX_SESSIONS live ones makes guessing one
hopeless, and nothing about a session can be changed without its token (≥ 128 bits).

Every entry expires with its session (GRADLAB_LIVE_TTL_S after creation), so an abandoned
session costs nothing after that. Compound updates take the live store's own lock (not the
training runs': the two never wait for each other).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets

from app import settings
from app.runs.store import DiskStore, RedisStore, now

ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l, o, 0, 1: nothing to misread
ID_LENGTH = 8
SESSION_ID = re.compile(f"[{ID_ALPHABET}]{{{ID_LENGTH}}}")
TOKEN_BYTES = 24  # 192 bits, urlsafe: 32 characters
CLIENT_WINDOW_S = 3600.0  # GRADLAB_LIVE_SESSIONS_PER_CLIENT counts creations in this window


class LiveError(Exception):
    """A refusal the client is told about: an HTTP status and a sentence."""

    status = 400

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


class NoSession(LiveError):
    status = 404


class NotLead(LiveError):
    status = 403


class TooFast(LiveError):
    status = 429


class Full(LiveError):
    status = 503


_STORE = None


def live_store():
    """This process's handle on the live sessions' store (lazily, and again after a fork)."""
    global _STORE
    if _STORE is None or _STORE[0] != os.getpid():
        store = (RedisStore(settings.LIVE_REDIS_URL, prefix="gradlab:live:")
                 if settings.LIVE_REDIS_URL
                 else DiskStore(os.path.join(settings.CACHE_DIR, "live")))
        _STORE = (os.getpid(), store)
    return _STORE[1]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _is_lead(session: dict, token) -> bool:
    if not isinstance(token, str) or not token or len(token) > 200:
        return False
    # constant time: how much of a guess was right must not show in the answer's timing
    return hmac.compare_digest(token_digest(token), session.get("token", ""))


def _state_text(state: dict, version: int, expires: float) -> str:
    return json.dumps({"version": version, **state, "expires": round(expires)},
                      separators=(",", ":"), allow_nan=False)


def create(state: dict, client: str) -> tuple[str, str, float]:
    """A new session starting at `state` (states.lead_state), created by `client`:
    (id, lead token, expiry time). Refuses when GRADLAB_LIVE_MAX_SESSIONS are live or the
    client created GRADLAB_LIVE_SESSIONS_PER_CLIENT in the last hour."""
    store = live_store()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    t = now()
    with store.lock():
        recent = [c for c in store.get(f"client:{client}") or [] if c > t - CLIENT_WINDOW_S]
        if len(recent) >= settings.LIVE_SESSIONS_PER_CLIENT:
            wait = recent[0] + CLIENT_WINDOW_S - t
            raise TooFast(f"You have started {len(recent)} live sessions in the last hour, the "
                          f"most one computer may; try again in {max(1, round(wait / 60))} "
                          f"minutes, or keep using the session you have.", retry_after=wait)
        index = {sid: e for sid, e in (store.get("index") or {}).items() if e > t}
        if len(index) >= settings.LIVE_MAX_SESSIONS:
            raise Full(f"The server already runs {len(index)} live sessions, its limit; "
                       f"try again later.", retry_after=60)
        sid = _fresh_id(index)
        expires = t + settings.LIVE_TTL_S
        ttl = settings.LIVE_TTL_S
        store.set(f"session:{sid}", {"token": token_digest(token), "created": t,
                                     "expires": expires, "recent": []}, expire=ttl)
        store.set_text(f"state:{sid}", _state_text(state, 1, expires), expire=ttl)
        index[sid] = expires
        store.set("index", index, expire=ttl)
        store.set(f"client:{client}", recent + [t], expire=CLIENT_WINDOW_S)
    return sid, token, expires


def _fresh_id(taken) -> str:
    while True:  # a clash is a one-in-10¹⁰ event: draw again
        sid = "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
        if sid not in taken:
            return sid


def state_text(sid: str) -> str | None:
    """The state followers read, as stored (one store read: the poll's whole cost), or None
    for an id that is not a live session (malformed, never created, ended or expired)."""
    if not isinstance(sid, str) or not SESSION_ID.fullmatch(sid):
        return None
    return live_store().get_text(f"state:{sid}")


def _session(store, sid: str) -> dict:
    session = store.get(f"session:{sid}") if SESSION_ID.fullmatch(sid or "") else None
    if session is None or session["expires"] <= now():
        raise NoSession("This live session does not exist: it has ended or expired.")
    return session


def check_lead(sid: str, token) -> None:
    """NoSession or NotLead unless `token` leads the live session `sid`."""
    if not _is_lead(_session(live_store(), sid), token):
        raise NotLead("This lead link is not valid for this session.")


def claim(sid: str, token) -> dict:
    """The current state, if `token` leads `sid` (a lead link opened in another tab)."""
    check_lead(sid, token)
    return json.loads(state_text(sid) or "null")


def publish(sid: str, token, state: dict) -> int:
    """Make `state` the session's state if `token` leads it; its version (unchanged when the
    state is the one already published). At most GRADLAB_LIVE_UPDATES_PER_S a second."""
    store = live_store()
    with store.lock():
        session = _session(store, sid)
        if not _is_lead(session, token):
            raise NotLead("Only the lead tab of a live session can change what its "
                          "followers see.")
        t = now()
        recent = [r for r in session["recent"] if r > t - 1.0]
        if len(recent) >= settings.LIVE_UPDATES_PER_S:
            raise TooFast("Too many updates: the lead's changes are sent at most "
                          f"{settings.LIVE_UPDATES_PER_S} a second.",
                          retry_after=recent[0] + 1.0 - t)
        current = json.loads(store.get_text(f"state:{sid}") or "null") or {"version": 0}
        ttl = session["expires"] - t
        session["recent"] = recent + [t]
        store.set(f"session:{sid}", session, expire=ttl)
        if all(current.get(k) == v for k, v in state.items()):
            return current["version"]  # the same place again (a reload, a second watcher)
        version = current["version"] + 1
        store.set_text(f"state:{sid}", _state_text(state, version, session["expires"]),
                       expire=ttl)
    return version


def end(sid: str, token) -> None:
    """The lead ends the session: followers' next poll finds nothing and they are told."""
    store = live_store()
    with store.lock():
        session = _session(store, sid)
        if not _is_lead(session, token):
            raise NotLead("Only the lead tab of a live session can end it.")
        store.delete(f"state:{sid}")
        store.delete(f"session:{sid}")
        index = store.get("index") or {}
        index.pop(sid, None)
        store.set("index", index, expire=settings.LIVE_TTL_S)
