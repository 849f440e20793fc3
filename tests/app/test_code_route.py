"""GET code/<page>.py (app/code_route.py) through the Flask test client: the script as text for
good queries, the defaults plus a comment listing the notices for garbage (fuzzed), a short 404
for a page without a script, and no engine computation on the way."""
import ast
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.code_route import address, parse
from components.torch_code import PAGES, script

GOOD = {
    "chain": ["", "w=0.9&b=0&x=1&n=30&act=identity", "w=2&b=2&x=2&n=200&act=relu&dark=1"],
    "matrix": ["eig=1.05,0.9,0.5&n=40&act=tanh&seed=0", "eig=1.2,0.8&d=4&rot=30&nn=1.5&n=100"],
    "rnn": ["act=tanh&d=32&T=100&init=spectral&rho=1.1&seed=0&cells=rnn,lstm",
            "init=orthogonal&cells=&present=1", "cells=attention,gru&inputs=zero&h0=zero"],
    "train": ["kind=ff&task=spirals&depth=30&act=sigmoid&init=small_normal&steps=1000",
              "kind=rnn&task=adding&cell=lstm&T=15&hidden=16&clip=norm&alpha=0.5", ""],
}
GOOD_CASES = [(page, q) for page in PAGES for q in GOOD[page]]
HEAD = "# GradLab replaced parts of the request; the script uses what it chose:\n"


def get(client, page: str, q: str):
    return client.get(f"/code/{page}.py" + (f"?{q}" if q else ""))


def is_script(response, page: str) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == f"inline; filename=gradlab_{page}.py"
    text = response.get_data(as_text=True)
    ast.parse(text)  # valid Python, whatever came in
    return text


@pytest.mark.parametrize("page,q", GOOD_CASES, ids=[f"{p}?{q}" for p, q in GOOD_CASES])
def test_a_good_query_gets_its_script(client, page, q):
    text = is_script(get(client, page, q), page)
    values, notices = parse(page, dict(parse_qsl(q, keep_blank_values=True)))
    assert notices == [] and not text.startswith("#")
    assert text == script(page, values, address=address(page, values))  # ParamSet, then text


def test_the_route_computes_nothing(client):
    """Text formatting only: no page view is computed or even looked up (the result cache of
    every page's view counts both), whatever the page."""
    from app.cache import RESULTS
    before = dict(RESULTS.stats)
    for page, q in GOOD_CASES:
        is_script(get(client, page, q), page)
    assert RESULTS.stats == before


def test_garbage_gets_the_defaults_and_says_so(client):
    for page in PAGES:
        keys = {"chain": "w b x n act", "matrix": "eig d rot kappa n act seed",
                "rnn": "act d T init rho seed inputs h0 cells",
                "train": "task depth width act init norm res opt lr mom clip tau steps batch seed"}
        garbage = {k: "x\n\x00%\u2028" for k in keys[page].split()}
        text = is_script(get(client, page, urlencode(garbage)), page)
        assert text.startswith(HEAD)
        head, _, body = text.partition('"""')
        # one comment line per replaced value, every line of the head a comment
        assert head.count("\n") == 1 + len(garbage) and all(line.startswith("#")
                                                               for line in head.splitlines())
        defaults, _ = parse(page, {})
        assert '"""' + body == script(page, defaults, address=address(page, defaults))


QUERY_KEYS = st.sampled_from(["w", "b", "x", "n", "act", "eig", "d", "rot", "kappa", "nn", "seed",
                              "T", "init", "rho", "inputs", "h0", "cells", "kind", "task", "depth",
                              "width", "norm", "res", "opt", "lr", "mom", "clip", "tau", "steps",
                              "batch", "cell", "hidden", "rinit", "gain", "alpha", "dark", "zz"])
RAW = st.one_of(
    st.text(max_size=60), st.text(alphabet="0123456789.,-+eE", max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-1e400", "9" * 400, "", " ", ",", ",,",
                     "rnn,lstm,rnn", "rnn,bogus", "tanh", "softmax", "ff", "rnn", "\n", "\"\"\"",
                     "'''", "\\", "#", "%", "\r\nimport os", "\x00", "\u2028", "a" * 1000]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES),
       pairs=st.lists(st.tuples(QUERY_KEYS, RAW), max_size=8))
def test_any_query_gets_a_valid_script(client, page, pairs):
    """Random queries (repeated keys, non-numbers, control characters, huge or non-finite
    numbers, quotes that would end a docstring): always a 200 script that parses, its notices
    as comments above the docstring, the rest the script for the values the page would use."""
    response = client.get(f"/code/{page}.py?" + urlencode(pairs))
    text = is_script(response, page)
    first = {}
    for k, v in pairs:
        first.setdefault(k, v)
    values, notices = parse(page, first)
    assert text == script(page, values, notices, address(page, values))
    head, _, _ = text.partition('"""')
    assert all(line.startswith("#") for line in head.splitlines())
    tree = ast.parse(text)
    assert ast.get_docstring(tree).startswith(f"GradLab /{page} in PyTorch")
    assert {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
            for a in n.names} <= {"numpy", "torch"}


@pytest.mark.parametrize("page", ["dynamics", "cliff", "tour", "home", "embed", "CHAIN",
                                  "chain.py", "%00", "chain%0A", "a" * 300, "..", "runs"])
def test_a_page_without_a_script_is_a_short_404(client, page):
    response = client.get(f"/code/{page}.py?w=1")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    assert len(text) < 120 and "/chain" in text and page not in text.split("there is")[0][7:]
