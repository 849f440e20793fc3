"""axe-core in the page under test: the WCAG 2.1 A and AA rules, as the issue's audit ran them.

axe-core 4.11.0 is pinned in tests/browser/axe/package-lock.json and installed there by
.ci/install (npm ci); the PyPI wrapper bundles a 2018 axe-core 3.x, too old to trust."""
import json
from pathlib import Path

from dash.testing.wait import until

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""

SETTLED = """
const graphs = document.querySelectorAll('.dash-graph').length;
const plots = document.querySelectorAll('.js-plotly-plot').length;
return document.readyState === 'complete' && !!document.querySelector('#react-entry-point main')
  && plots >= graphs && !document.querySelector('[data-dash-is-loading="true"]')
  && !document.querySelector('._dash-loading');
"""


def settle(driver, timeout: float = 20) -> None:
    """Until the page has rendered its figures and no callback is in flight."""
    until(lambda: driver.execute_script(SETTLED), timeout=timeout)


def violations(driver) -> list[dict]:
    """axe's WCAG 2.1 A/AA violations on the page as it is now (axe injected if needed)."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    return driver.execute_async_script(RUN, WCAG_21_AA)


def report(found: dict[str, list[dict]]) -> str:
    """Violations by page, readable in a test failure."""
    return json.dumps({page: [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                               "nodes": v["nodes"][:3]} for v in vs]
                       for page, vs in found.items() if vs}, indent=1, ensure_ascii=False)
