"""Reading what the browser really plotted, and driving controls like a person."""
import numpy as np
from selenium.webdriver.common.keys import Keys

PLOTTED = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
if (!gd || !gd._fullData) return null;
return gd._fullData.map(t => ({
  name: t.name,
  x: t.x ? Array.from(t.x) : [],
  y: t.y ? Array.from(t.y) : [],
  customdata: t.customdata ? Array.from(t.customdata) : [],
}));
"""


def plotted(duo, graph_id: str) -> dict[str, dict]:
    """Traces of a rendered graph as plotly.js holds them, by name, as numpy arrays."""
    traces = duo.driver.execute_script(PLOTTED, f"#{graph_id}") or []
    return {t["name"]: {k: np.array(v, dtype=float) if k != "name" else v
                        for k, v in t.items()} for t in traces}


def close_to(expected, field: str = "y", rtol: float = 1e-12):
    """A predicate for wait_for_plotted: the trace's `field` equals `expected` (the engine's
    values) to rtol, elementwise."""
    expected = np.asarray(expected, dtype=float)
    return lambda trace: len(trace[field]) == len(expected) and np.allclose(
        trace[field], expected, rtol=rtol, atol=0)


def wait_for_plotted(duo, graph_id: str, name: str, predicate, timeout: float = 10):
    """Wait until the named trace satisfies predicate(trace); return the trace."""
    result = {}

    def ready():
        trace = plotted(duo, graph_id).get(name)
        if trace is not None and predicate(trace):
            result["trace"] = trace
            return True
        return False

    duo.wait_for_element(f"#{graph_id} .js-plotly-plot", timeout=timeout)
    from dash.testing.wait import until
    until(ready, timeout=timeout)
    return result["trace"]


def nudge_slider(duo, slider_id: str, presses: int = 1, key=Keys.ARROW_RIGHT):
    """Focus a slider's handle and press an arrow key, as a keyboard user would."""
    handle = duo.find_element(f"#{slider_id} [role='slider']")
    handle.click()
    for _ in range(presses):
        handle.send_keys(key)


def browser_errors(duo) -> list:
    return [entry for entry in duo.get_logs() or [] if entry.get("level") == "SEVERE"]
