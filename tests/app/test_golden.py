"""Users see what they saw before a refactor: every state of tests/app/golden.py (the README's
URLs, defaults, tour states, presets, edges, looks) reproduces the recorded figures, prose,
controls and canonical query (tests/app/golden_figures.json)."""
import json

import pytest

from tests.app.golden import GOLDEN, STATES, snapshot

RECORDED = json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_every_state_is_recorded():
    assert sorted(RECORDED) == sorted(f"{path}?{query}" for path, query in STATES)


@pytest.mark.parametrize("path,query", STATES, ids=[f"{p}?{q}" for p, q in STATES])
def test_state_reproduces_its_figures(client, path, query):
    expected = RECORDED[f"{path}?{query}"]
    shot = snapshot(client, path, query)
    for part in ("controls", "url_notices", "status", "query"):
        assert shot[part] == expected[part], part
    assert shot["figures"].keys() == expected["figures"].keys()
    for graph, figure in expected["figures"].items():
        assert shot["figures"][graph] == figure, graph
