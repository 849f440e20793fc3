"""Live sessions without a browser: the HTTP answers, the tokens, the bounds, the store.
(The lead and a follower in two browsers: tests/browser/test_live.py.)"""
import hashlib
import json
import re
import time

import pytest

from app import settings
from app.live import sessions

SID = re.compile(r"[a-z2-9]{8}")


@pytest.fixture(params=["disk", "redis"])
def live(request, tmp_path, monkeypatch):
    """A store of live sessions of this test's own, on disk or in (an emptied) Redis."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    monkeypatch.setattr(settings, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(settings, "LIVE_REDIS_URL", url)
    monkeypatch.setattr(sessions, "_STORE", None)
    store = sessions.live_store()
    store.clear()
    yield store
    store.clear()
    sessions._STORE = None


def start(client, path="/chain", query="?w=1.2&n=40", addr="127.0.0.1"):
    answer = client.post("/live", json={"path": path, "query": query},
                         environ_base={"REMOTE_ADDR": addr})
    return answer


def session(client, **kwargs) -> dict:
    answer = start(client, **kwargs)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def publish(client, sid, token, path="/chain", query="?w=1.5&n=40"):
    return client.post(f"/live/{sid}/state", json={"token": token, "path": path, "query": query})


def test_post_live_answers_the_links_and_the_lecturers_state(client, live):
    body = session(client, query="?w=1.2&n=40&present=1")
    assert SID.fullmatch(body["id"])
    assert body["follow_url"] == f"http://localhost/live/{body['id']}"
    assert body["lead_url"] == f"{body['follow_url']}/lead#{body['token']}"
    assert body["qr_url"] == f"/live/{body['id']}/qr.svg"
    state = body["state"]
    # the look travels apart from the page's own parameters; the controls are the page's own
    assert state["look"] == {"dark": False, "present": True}
    assert state["query"] == "w=1.2&n=40" and state["href"] == "/chain?w=1.2&n=40&present=1"
    assert state["controls"] == {"chain-w": 1.2, "chain-b": 0.0, "chain-x": 1.0, "chain-n": 40,
                                 "chain-act": "identity"}
    assert body["expires"] == pytest.approx(time.time() + settings.LIVE_TTL_S, abs=5)


def test_tokens_are_unguessable_and_only_their_digest_is_stored(client, live):
    bodies = [session(client) for _ in range(3)]
    tokens = [b["token"] for b in bodies]
    assert len(set(tokens)) == 3 and len({b["id"] for b in bodies}) == 3
    for token in tokens:  # secrets.token_urlsafe(24): 192 random bits
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token) and len(token) * 6 >= 128
    stored = json.dumps([live.get(f"session:{b['id']}") for b in bodies])
    assert not any(t in stored for t in tokens)
    assert hashlib.sha256(tokens[0].encode()).hexdigest() in stored


def test_only_the_lead_token_drives(client, live):
    mine, other = session(client), session(client)
    sid = mine["id"]
    for token in (None, "", mine["id"], mine["follow_url"], other["token"], mine["token"][:-1],
                  mine["token"] + "x", 12345, ["list"]):
        answer = publish(client, sid, token)
        assert answer.status_code == 403, token
        assert "lead" in answer.get_json()["error"]
    assert client.get(f"/live/{sid}/state").get_json()["version"] == 1  # nothing changed
    assert client.post(f"/live/{sid}/lead", json={"token": other["token"]}).status_code == 403
    assert client.post(f"/live/{sid}/end", json={"token": mine["id"]}).status_code == 403

    answer = publish(client, sid, mine["token"])
    assert answer.status_code == 200 and answer.get_json() == {"version": 2}
    state = client.get(f"/live/{sid}/state").get_json()
    assert state["version"] == 2 and state["href"] == "/chain?w=1.5&n=40"
    assert state["controls"]["chain-w"] == 1.5
    # the same place again is no new version (a reload, a second lead tab)
    assert publish(client, sid, mine["token"]).get_json() == {"version": 2}
    assert client.post(f"/live/{sid}/lead", json={"token": mine["token"]}).get_json() == state


def test_a_post_without_the_lead_token_costs_no_page_layout(client, live, monkeypatch):
    """Building a state renders the page's layout: only the lead may make the server do it."""
    from app.live import states
    sid, built = session(client)["id"], []
    monkeypatch.setattr(states, "lead_state", lambda *a: built.append(a))
    for sent in ("not the token", None):
        assert publish(client, sid, sent).status_code == 403
    assert publish(client, "zzzzzzzz", "x").status_code == 404
    assert built == []


def test_the_poll_is_a_304_until_the_lead_moves(client, live):
    body = session(client)
    sid = body["id"]
    first = client.get(f"/live/{sid}/state")
    assert first.status_code == 200 and first.headers["ETag"] == f'"{sid}.1"'
    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=1"
    again = client.get(f"/live/{sid}/state", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    publish(client, sid, body["token"])
    moved = client.get(f"/live/{sid}/state", headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200 and moved.headers["ETag"] == f'"{sid}.2"'
    assert moved.get_json()["query"] == "w=1.5&n=40"


def test_the_follow_link_opens_the_leads_page_and_says_follow_in_the_fragment(client, live):
    body = session(client, query="?w=1.2&n=40&dark=1")
    answer = client.get(f"/live/{body['id']}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/chain?w=1.2&n=40&dark=1#live={body['id']}"
    assert client.get(f"/live/{body['id'].upper()}").status_code == 303  # typed in capitals
    lead = client.get(f"/live/{body['id']}/lead")  # the token stays in the fragment: not sent
    assert lead.status_code == 200
    page = lead.get_data(as_text=True)
    assert f'data-live-claim="{body["id"]}"' in page and '<html lang="en"' in page
    assert 'src="/assets/live.js"' in page


def test_followers_go_only_to_gradlab_pages(client, live):
    body = session(client)
    for path, query in (("/embed/chain-gradients", ""), ("/live/abc", ""), ("/nowhere", ""),
                        ("http://evil.example/chain", ""), ("//evil.example/chain", ""),
                        ("/chain/../code", ""), (None, ""), ("/chain", None),
                        ("/chain", "?" + "w=1&" * 2000)):
        answer = publish(client, body["id"], body["token"], path, query)
        assert answer.status_code == 400, path
    assert client.get(f"/live/{body['id']}/state").get_json()["version"] == 1
    # the tour and /train have no controls to move: their followers navigate
    publish(client, body["id"], body["token"], "/tour", "?step=3&present=1")
    state = client.get(f"/live/{body['id']}/state").get_json()
    assert state["controls"] is None and state["href"] == "/tour?step=3&present=1"
    # a lecturer who goes live from elsewhere starts the session on the home page
    assert session(client, path="/embed/chain-w", query="")["state"]["href"] == "/"


def test_bad_ids_get_a_clear_page_and_never_a_500(client, live):
    for sid in ("abcdefgh", "ABCDEFGH", "abc", "a" * 300, "%C3%A9t%C3%A9", "..", "0o1l2345",
                "abcdefg%00", "<script>"):
        page = client.get(f"/live/{sid}")
        assert page.status_code == 404, sid
        text = page.get_data(as_text=True)
        assert "does not exist or has expired" in text and '<a href="/">' in text
        assert "<script>" not in text
        assert client.get(f"/live/{sid}/lead").status_code == 404
        for tail in ("/state", "/qr.svg"):
            answer = client.get(f"/live/{sid}{tail}")
            assert answer.status_code == 404 and "error" in answer.get_json()
        for tail, body in (("/state", {"token": "x", "path": "/chain"}), ("/lead", {}),
                           ("/end", {"token": "x"}), ("/state", [1, 2]), ("/lead", "text")):
            answer = client.post(f"/live/{sid}{tail}", json=body)
            assert answer.status_code in (403, 404, 415), (sid, tail, answer.status_code)
    assert client.post("/live", data="path=/chain").status_code == 415  # a cross-site form


def test_sessions_expire(client, live, monkeypatch):
    monkeypatch.setattr(settings, "LIVE_TTL_S", 1)
    body = session(client)
    sid = body["id"]
    assert client.get(f"/live/{sid}/state").status_code == 200
    time.sleep(1.3)
    assert client.get(f"/live/{sid}/state").status_code == 404
    assert client.get(f"/live/{sid}").status_code == 404
    assert publish(client, sid, body["token"]).status_code == 404
    assert client.post(f"/live/{sid}/lead", json={"token": body["token"]}).status_code == 404


def test_the_number_of_sessions_is_bounded(client, live, monkeypatch):
    monkeypatch.setattr(settings, "LIVE_MAX_SESSIONS", 2)
    first = session(client, addr="10.0.0.1")
    session(client, addr="10.0.0.2")
    full = start(client, addr="10.0.0.3")
    assert full.status_code == 503 and "limit" in full.get_json()["error"]
    assert int(full.headers["Retry-After"]) > 0
    assert client.post(f"/live/{first['id']}/end", json={"token": first["token"]}).status_code == 204
    assert client.get(f"/live/{first['id']}/state").status_code == 404  # followers are told
    assert start(client, addr="10.0.0.3").status_code == 201


def test_one_client_starts_few_sessions_an_hour(client, live, monkeypatch):
    monkeypatch.setattr(settings, "LIVE_SESSIONS_PER_CLIENT", 2)
    for _ in range(2):
        session(client, addr="10.0.0.7")
    refused = start(client, addr="10.0.0.7")
    assert refused.status_code == 429 and "last hour" in refused.get_json()["error"]
    assert int(refused.headers["Retry-After"]) > 3000
    assert start(client, addr="10.0.0.8").status_code == 201  # another laptop


def test_the_lead_publishes_at_most_its_rate(client, live, monkeypatch):
    monkeypatch.setattr(settings, "LIVE_UPDATES_PER_S", 3)
    body = session(client)
    codes = [publish(client, body["id"], body["token"], query=f"?w={1 + i / 100}").status_code
             for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = publish(client, body["id"], body["token"], query="?w=1.9")
    assert 1 <= int(refused.headers["Retry-After"]) <= 1
    time.sleep(1.05)
    assert publish(client, body["id"], body["token"], query="?w=1.9").status_code == 200
    assert client.get(f"/live/{body['id']}/state").get_json()["version"] == 5


def test_the_qr_code_is_the_follow_link(client, live):
    from app.live.routes import qr_svg
    body = session(client)
    answer = client.get(f"/live/{body['id']}/qr.svg")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    svg = answer.get_data(as_text=True)
    assert svg == qr_svg(body["follow_url"]) and 'viewBox="0 0 ' in svg and "width=" not in svg
    # few, large modules (version ≤ 3: 29 + a quiet zone of 4 on each side) at error
    # correction M or better: what a phone reads off a projector from the back row
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    assert side <= 29 + 8
    import segno
    assert segno.make(body["follow_url"], error="m").designator[-1] in "MQH"


def test_every_process_and_machine_sees_the_same_session(client, live):
    """A fresh handle on the store (another worker, or a machine sharing the Redis) reads the
    state the lead published through this one."""
    from app.runs.store import DiskStore, RedisStore
    body = session(client)
    publish(client, body["id"], body["token"])
    other = (RedisStore(settings.LIVE_REDIS_URL, prefix="gradlab:live:") if settings.LIVE_REDIS_URL
             else DiskStore(f"{settings.CACHE_DIR}/live"))
    assert json.loads(other.get_text(f"state:{body['id']}"))["version"] == 2
    sessions._STORE = None  # as after a fork
    assert sessions.state_text(body["id"]) == other.get_text(f"state:{body['id']}")


def test_a_lead_under_a_url_prefix_sends_followers_under_it(client):
    from app.live.states import lead_state
    state = lead_state("/gradlab/chain", "?w=1.1&dark=1&controls=1", "/gradlab/")
    assert state["href"] == "/gradlab/chain?w=1.1&dark=1" and state["path"] == "/chain"
    assert state["look"] == {"dark": True, "present": False}
    assert lead_state("/chain", "?w=1.1", "/gradlab/") is None  # outside the app
    assert lead_state("/gradlab/", "", "/gradlab/")["href"] == "/gradlab/"
