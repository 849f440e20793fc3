"""app/cache.py: identical validated parameters are computed once per worker (bounded LRU,
single flight), and shared across workers through a real Redis when one is configured."""
import threading
import time

import pytest

from app.cache import RESULTS, ResultCache, portable
from tests.dash_client import callback_spec, figure_traces, page_controls, payload, post
from tests.deploy.conftest import free_port

CHAIN = page_controls("/chain", act="tanh")


class Counter:
    def __init__(self, value="v"):
        self.calls, self.value = 0, value

    def __call__(self):
        self.calls += 1
        return self.value


def test_lru_keeps_at_most_size_entries_and_evicts_the_least_recently_used():
    cache, a, b, c = ResultCache(2), Counter("a"), Counter("b"), Counter("c")
    assert cache.get_or_compute("a", a) == "a"
    assert cache.get_or_compute("b", b) == "b"
    assert cache.get_or_compute("a", a) == "a"      # hit: a is now the most recent
    assert cache.get_or_compute("c", c) == "c"      # evicts b
    assert cache.get_or_compute("a", a) == "a"
    assert cache.get_or_compute("b", b) == "b"      # recomputed
    assert (a.calls, b.calls, c.calls) == (1, 2, 1)
    assert cache.stats["hits"] == 2 and cache.stats["misses"] == 4


def test_size_zero_turns_caching_off():
    cache, a = ResultCache(0), Counter()
    for _ in range(3):
        cache.get_or_compute("a", a)
    assert a.calls == 3


def test_concurrent_requests_for_one_key_compute_it_once():
    cache, started, release = ResultCache(8), threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return "figure"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", slow)))
               for _ in range(20)]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    time.sleep(0.2)  # the other 19 are now waiting on the first
    release.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1 and results == ["figure"] * 20
    assert cache.stats["waits"] == 19


def test_a_failed_computation_reaches_every_waiter_and_is_not_cached():
    cache = ResultCache(8)

    def broken():
        raise ValueError("engine failed")

    with pytest.raises(ValueError):
        cache.get_or_compute("k", broken)
    assert cache.get_or_compute("k", Counter("ok")) == "ok"


def test_identical_callbacks_run_the_engine_once_and_answer_identically(client, monkeypatch):
    from app.pages import chain
    calls = []
    real = chain.scalar_chain_autograd
    monkeypatch.setattr(chain, "scalar_chain_autograd",
                        lambda **k: calls.append(k) or real(**k))
    RESULTS.clear()
    body = payload(callback_spec(client, "chain-w"), CHAIN)
    first, second = post(client, body), post(client, body)
    assert first[0] == second[0] == 200 and first[1] == second[1]
    assert calls == [dict(w=0.9, b=0.0, x=1.0, n=30, activation="tanh")]
    post(client, payload(callback_spec(client, "chain-w"), {**CHAIN, "chain-w": 0.91}))
    assert len(calls) == 2  # new parameters: computed


def test_a_bad_value_and_its_replacement_share_the_entry_but_not_the_notice(client):
    """The cache key is the validated value: w = 7 is shown as w = 2 (with a notice), and
    the figures are those of w = 2."""
    spec = callback_spec(client, "chain-w")
    _, clamped, _ = post(client, payload(spec, {**CHAIN, "chain-w": 7}))
    _, valid, _ = post(client, payload(spec, {**CHAIN, "chain-w": 2.0}))
    for graph in ("chain-activations", "chain-gradients"):
        for t1, t2 in zip(figure_traces(clamped, graph), figure_traces(valid, graph)):
            assert repr(t1["y"]) == repr(t2["y"])
    assert "w = 7 is outside" in str(clamped["response"]["chain-status"])
    assert "outside" not in str(valid["response"]["chain-status"])


def test_one_computation_serves_every_look(client, monkeypatch):
    """Figures are cached without a look and take the reader's last: a hall in presenter
    mode and the students' laptops share one computation."""
    from app.pages import chain
    calls = []
    real = chain.scalar_chain_autograd
    monkeypatch.setattr(chain, "scalar_chain_autograd",
                        lambda **k: calls.append(k) or real(**k))
    RESULTS.clear()
    spec = callback_spec(client, "chain-w")
    body = payload(spec, CHAIN)
    light = post(client, body)[1]
    response = client.post("/_dash-update-component", json=body,
                           headers={"Referer": "http://localhost/chain?dark=1"})
    dark = response.get_json()
    assert len(calls) == 1
    template = dark["response"]["chain-activations"]["figure"]["layout"]["template"]
    assert template["layout"]["paper_bgcolor"] == "#14181f"
    assert light["response"]["chain-activations"]["figure"]["layout"]["template"]["layout"][
        "paper_bgcolor"] == "white"


# ------------------------------------------------------------------ shared cache (Redis)

def shared_cache(url: str, monkeypatch):
    from app import cache, settings
    monkeypatch.setattr(settings, "CACHE_REDIS_URL", url)
    return cache._shared_cache()


def test_workers_share_results_through_redis(redis_url, monkeypatch, client):
    """Two ResultCaches on one Redis stand for two workers (or machines): what one computed,
    the other reads, figures (base64 typed arrays) and Dash components intact."""
    from app.pages import chain
    shared = shared_cache(redis_url, monkeypatch)
    shared.clear()
    worker_a, worker_b = ResultCache(8, shared), ResultCache(8, shared)
    calls = []

    def compute():  # what @cached hands the cache: the page's view, figures as plotly JSON
        calls.append(1)
        return portable(chain.view.__wrapped__(w=0.9, b=0.0, x=1.0, n=30, act="tanh"))

    value = worker_a.get_or_compute("chain", compute)  # no request: a view needs none
    again = worker_b.get_or_compute("chain", Counter("not used"))
    assert len(calls) == 1
    assert worker_b.stats["shared_hits"] == 1 and worker_b.stats["misses"] == 0
    assert again.figures == value.figures  # typed arrays and all
    assert repr(again.explained) == repr(value.explained)  # the regime badge (Dash components)


def answered(call, timeout: float = 30):
    """call()'s result, computed in a thread; fails if it never returns (a hang guard: the
    deadline is generous, how fast it returns is for bench/, not for a test)."""
    result, error = [], []

    def run():
        try:
            result.append(call())
        except BaseException as e:  # noqa: BLE001  re-raised in the test's thread
            error.append(e)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if error:
        raise error[0]
    assert result, f"no answer within {timeout} s: the request hangs on the shared cache"
    return result[0]


@pytest.fixture
def silent_redis():
    """A TCP port that accepts connections and never answers (a Redis that hangs)."""
    import socket
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshakes; nobody ever replies
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.mark.parametrize("where", ["refused", "silent"])
def test_an_unreachable_redis_is_a_local_computation_not_an_error(monkeypatch, request, where):
    url = (f"redis://127.0.0.1:{free_port()}/0" if where == "refused"
           else request.getfixturevalue("silent_redis"))
    cache, compute = ResultCache(8, shared_cache(url, monkeypatch)), Counter("computed locally")
    assert answered(lambda: cache.get_or_compute("k", compute)) == "computed locally"
    assert compute.calls == 1 and cache.stats["shared_errors"] == 2  # get and set both failed
    assert cache.get_or_compute("k", compute) == "computed locally"  # now from the local LRU
    assert compute.calls == 1


def test_a_forged_referer_gets_the_default_look_not_an_error(client):
    body = payload(callback_spec(client, "chain-w"), CHAIN)
    response = client.post("/_dash-update-component", json=body, headers={"Referer": "http://["})
    assert response.status_code == 200
    layout = response.get_json()["response"]["chain-activations"]["figure"]["layout"]
    assert layout["template"]["layout"]["paper_bgcolor"] == "white"
