import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.params import Choice, ChoiceList, Number, NumberList, ParamSet

W = Number("w", "weight", 0.9, 0.0, 2.0)
N = Number("n", "depth", 30, 1, 200, integer=True)
ACT = Choice("act", "activation", "identity", ("identity", "tanh"))
EIG = NumberList("eig", "eigenvalues", (1.05, 0.9), -2.0, 2.0, 8)
CELLS = ChoiceList("cells", "cells", ("rnn", "lstm"), ("rnn", "lstm", "gru"))
PARAMS = ParamSet((W, N, ACT, EIG))
ALL = ParamSet((W, N, ACT, EIG, CELLS))


@pytest.mark.parametrize("raw,value", [("0.5", 0.5), (1.25, 1.25), ("  2 ", 2.0), (0, 0.0)])
def test_valid_numbers_pass_silently(raw, value):
    assert W.parse(raw) == (value, None)


@pytest.mark.parametrize("raw,value", [
    ("5", 2.0), (-1e308, 0.0), ("inf", 2.0), ("-inf", 0.0), (1e308, 2.0), (10**400, 0.9),
    ("abc", 0.9), ("nan", 0.9), (None, 0.9), ([1, 2], 0.9), ({"a": 1}, 0.9), (True, 0.9),
    ("1" * 500, 0.9), (float("nan"), 0.9),
])
def test_bad_numbers_fall_back_with_a_notice(raw, value):
    parsed, notice = W.parse(raw)
    assert parsed == value and notice and notice.startswith("w = ")
    assert len(notice) < 200


@pytest.mark.parametrize("raw,value", [("30", 30), ("1e9", 200), ("12.6", 13), ("-4", 1), (7.0, 7)])
def test_integers_round_and_clamp(raw, value):
    parsed, notice = N.parse(raw)
    assert parsed == value and isinstance(parsed, int)
    assert (notice is None) == (raw in ("30", 7.0))


def test_choices():
    assert ACT.parse("tanh") == ("tanh", None)
    for raw in ("TANH", "", None, 3, ["tanh"]):
        value, notice = ACT.parse(raw)
        assert value == "identity" and "not one of identity, tanh" in notice


@pytest.mark.parametrize("raw,value,noticed", [
    ("1.05,0.9,0.5", (1.05, 0.9, 0.5), False),
    ([0.3], (0.3,), False),
    ("3,0.5", (2.0, 0.5), True),
    ("a,b", (1.05, 0.9), True),
    ("", (1.05, 0.9), True),
    (",".join(["0.5"] * 9), (1.05, 0.9), True),
    ([None, 1.0], (1.05, 0.9), True),
    ({"x": 1}, (1.05, 0.9), True),
])
def test_number_lists(raw, value, noticed):
    parsed, notice = EIG.parse(raw)
    assert parsed == value and (notice is not None) == noticed


def test_param_set_parse_and_query_round_trip():
    values, notices = PARAMS.parse({"w": "1.5", "n": "500", "unknown": "x", "eig": "0.5,-1"})
    assert values == {"w": 1.5, "n": 200, "act": "identity", "eig": (0.5, -1.0)}
    assert notices == ["n = 500 is outside 1–200; using 200."]
    query = PARAMS.query(values)
    assert query == "?w=1.5&n=200&act=identity&eig=0.5%2C-1"
    from urllib.parse import parse_qsl
    assert PARAMS.parse(dict(parse_qsl(query[1:])))[0] == values


def test_param_set_survives_anything():
    for raw in (None, [], "x", 5, {"w": {"nested": [1, {"deep": None}]}}):
        values, _ = PARAMS.parse(raw)
        assert values["w"] == 0.9 and not math.isnan(values["w"])


def _nested(depth: int, leaf=None):
    node = [] if leaf is None else leaf
    for _ in range(depth):
        node = [node]
    return node


def _check(values: dict, notices: list):
    assert 0.0 <= values["w"] <= 2.0 and not math.isnan(values["w"])
    assert isinstance(values["n"], int) and 1 <= values["n"] <= 200
    assert values["act"] in ACT.options
    assert 1 <= len(values["eig"]) <= 8 and all(-2.0 <= v <= 2.0 for v in values["eig"])
    assert set(values["cells"]) <= set(CELLS.options)
    for notice in notices:  # a notice quotes at most 40 characters of what it got
        assert isinstance(notice, str) and len(notice) < 200, notice


PATHOLOGICAL = {
    "nested 5000": _nested(5000), "nested past the recursion limit":
    _nested(sys.getrecursionlimit() + 10, {"a": 1}), "long list": [list(range(10))] * 10_000,
    "10**5000": 10**5000, "-10**5000": -(10**5000), "1 MB string": "x" * 1_000_000,
    "long strings": ["x" * 100_000] * 3, "long key": {"k" * 100_000: 1},
}


@pytest.mark.parametrize("raw", PATHOLOGICAL.values(), ids=PATHOLOGICAL)
def test_parse_of_pathological_values_answers_with_short_notices(raw):
    """What a JSON body can carry (nesting to the parser's limit, huge lists and strings) or a
    Python caller can pass (an int past the 4300-digit str limit): notices, not exceptions."""
    values, notices = ALL.parse({p.name: raw for p in ALL})
    _check(values, notices)
    assert len(notices) == len(ALL.params)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["nan", "inf", "-inf", "1e999", "1e308", "0x1", " 5 ", "rnn,lstm", "1,2"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=5),
    max_leaves=20)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(raw=st.dictionaries(st.sampled_from(ALL.names + ["unknown", ""]), json_values)
       | json_values)
def test_parse_never_raises_and_always_answers_valid_values(raw):
    values, notices = ALL.parse(raw)
    _check(values, notices)
