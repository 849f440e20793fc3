"""The README's quick start is what CI runs: keep them the same text."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_ci_runs_exactly_the_readme_test_command():
    run_app, run_tests = quickstart_commands()
    ci_last = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_last == run_tests
    assert run_app.endswith("python -m app")


def test_requirements_pin_torch_cpu_version():
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().split()
