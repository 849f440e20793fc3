"""What the virtual students do: the pages they open from a preset link and the slider
values they move to. Runs in the main environment: it builds the requests a browser would
send through the app's own Flask test client (so the server under test, and its caches, see
none of it), checks that each answers 200, and hands them to the locustfile (which runs in
.venv-load/ without Dash) as JSON.

A lecture hall follows the lecturer: everyone opens the same few links and drags the same
slider to the same handful of values, so many users ask the same question. Each slider here
takes a small set of values; a user's state is the preset plus every move so far.
"""
import copy

from tests.dash_client import payload, post
from tests.dash_client import router_body

# page URL (as on the lecturer's slide), weight (share of users), the first input of the
# page's callback, and the sliders users move with the values they move them to
PAGES = [
    ("/chain?w=0.9&n=50", 3, "chain-w",
     {"chain-w": [0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5], "chain-n": [10, 30, 50, 100, 200]}),
    ("/matrix?eig=1.05,0.9,0.5&n=40&act=tanh", 2, "matrix-k",
     {"matrix-kappa": [0.0, 0.5, 1.0, 2.0], "matrix-n": [20, 40, 80], "matrix-rot": [0, 30, 60]}),
    ("/rnn?act=tanh&d=32&T=100&rho=1.1", 2, "rnn-act",
     {"rnn-rho": [0.5, 0.9, 1.0, 1.1, 1.5], "rnn-T": [50, 100, 200]}),
    ("/dynamics?w=5&b=-2.5&sweep=b&lo=-3.5&hi=-1.5", 2, "dynamics-w",
     {"dynamics-b": [-3.5, -3.0, -2.5, -2.0, -1.5], "dynamics-w": [3.0, 5.0, 8.0]}),
    ("/cliff?w0=4.6&b0=-2.365&lr=0.1&clip=1", 2, "cliff-w0",
     {"cliff-clip": [0.1, 0.5, 1.0, 2.0, 5.0], "cliff-lr": [0.01, 0.05, 0.1, 0.5]}),
    # training runs are background jobs (a process each): users only open the page here
    ("/train?kind=ff", 1, "train-kind", {}),
]


# The explorer hall (--explore): every student drags sliders to values of their own, so no
# two ask the same question and nothing comes from a cache. A move picks a fresh value in the
# slider's range (floats to 4 decimals, integers whole); slider → (low, high, integer).
EXPLORE = {
    "/chain": {"chain-w": (0.0, 2.0, False), "chain-b": (-2.0, 2.0, False),
               "chain-x": (-2.0, 2.0, False), "chain-n": (1, 200, True)},
    "/matrix": {"matrix-kappa": (0.0, 3.0, False), "matrix-n": (1, 200, True),
                "matrix-rot": (0, 90, True), "matrix-seed": (0, 999, True)},
    "/rnn": {"rnn-rho": (0.1, 2.0, False), "rnn-T": (10, 200, True), "rnn-seed": (0, 999, True)},
    "/dynamics": {"dynamics-b": (-4.0, 0.0, False), "dynamics-w": (1.0, 10.0, False),
                  "dynamics-x0": (-1.0, 1.0, False)},
    "/cliff": {"cliff-w0": (1.0, 8.0, False), "cliff-b0": (-5.0, 0.0, False),
               "cliff-clip": (0.05, 5.0, False), "cliff-lr": (0.01, 1.0, False)},
}


def component_values(tree) -> dict:
    """id → value of every component in a layout JSON tree that has both."""
    found, stack = {}, [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and isinstance(props.get("id"), str) and "value" in props:
                found[props["id"]] = props["value"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def build(client) -> list[dict]:
    """The requests of every page in PAGES as the browser sends them, each checked through
    `client` (the app's Flask test client): the page router's render of the preset URL, the
    page callback's initial call with the values that render holds, and every slider move."""
    client.get("/")  # Dash's first-request setup
    deps = client.get("/_dash-dependencies").get_json()
    scenarios = []
    for url, weight, first_input, sliders in PAGES:
        pathname, _, query = url.partition("?")
        router = router_body(pathname, "?" + query if query else "")
        router["changedPropIds"] = []  # the initial call on page load: nothing was changed
        status, rendered, _ = post(client, router)
        if status != 200:
            raise RuntimeError(f"{url}: the page router answered {status}")
        spec = next(d for d in deps if d["inputs"] and d["inputs"][0]["id"] == first_input
                    and not d.get("clientside_function") and not d.get("background"))
        callback = payload(spec, component_values(rendered))
        callback["changedPropIds"] = []
        ids = [i["id"] for i in callback["inputs"]]
        explore = EXPLORE.get(pathname, {})
        if missing := [s for s in [*sliders, *explore] if s not in ids]:
            raise RuntimeError(f"{url}: the page callback has no input {missing}")
        bodies = [callback]
        for slider, choices in sliders.items():
            bodies += [move(callback, slider, value) for value in choices]
        for slider, (low, high, _) in explore.items():
            bodies += [move(callback, slider, value) for value in (low, high)]
        for body in bodies:
            status, answer, _ = post(client, body)
            if status != 200:
                raise RuntimeError(f"{url}: {body['changedPropIds']} answered {status}: "
                                   f"{str(answer)[:300]}")
        scenarios.append({"url": url, "page": pathname, "weight": weight, "router": router,
                          "callback": callback, "sliders": sliders,
                          "explore": {k: list(v) for k, v in explore.items()}})
    return scenarios


def move(body: dict, slider: str, value) -> dict:
    """`body` with one slider moved: what the browser sends when the user releases it. The
    locustfile does the same to a user's current state."""
    moved = copy.deepcopy(body)
    for item in moved["inputs"]:
        if item["id"] == slider:
            item["value"] = value
    moved["changedPropIds"] = [f"{slider}.value"]
    return moved
