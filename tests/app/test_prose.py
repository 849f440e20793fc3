"""No number that depends on the state on screen is typed into the pages' prose by hand.

The prose files (app/pages/*.md: intros, equations, the tour) may write the mathematics
(exponents, ¼, small integers) and cite a paper; every other number is a {{placeholder}} that
the page fills from the engine (components.text.fill). A typed "0.9⁴⁹ ≈ 0.006", "at w = 5
they sit at b ≈ −2.6556" or "T = 50" fails here.
"""
import re
from pathlib import Path

import pytest

from app.pages import tour
from components.text import PLACEHOLDER

PAGES = Path(__file__).resolve().parents[2] / "app" / "pages"
MATHEMATICS = {"0", "1", "2", "3", "4", "10"}  # exponents, ¼, log₁₀, "3-D", small counts
CITATIONS = {"2013", "6"}  # Pascanu, Mikolov & Bengio (ICML 2013), Fig. 6
TOKEN = re.compile(r"(?<![\w\\])\d+(?:\.\d+)?")


def typed_numbers(text: str) -> set[str]:
    text = PLACEHOLDER.sub("", text)
    text = re.sub(r"^#+ \d+ ·", "", text, flags=re.M)  # the tour's step headings
    return set(TOKEN.findall(text))


@pytest.mark.parametrize("path", sorted(PAGES.glob("*.md")), ids=lambda p: p.name)
def test_prose_types_no_state_dependent_number(path):
    assert typed_numbers(path.read_text(encoding="utf-8")) <= MATHEMATICS | CITATIONS


def test_the_guard_catches_a_typed_number():
    assert typed_numbers("about $0.9^{49} \\approx 0.006$ times") == {"0.9", "49", "0.006"}
    assert typed_numbers("they sit at $b \\approx -2.6556$, {{fold}}") == {"2.6556"}


def test_every_tour_placeholder_is_filled():
    for n in range(1, len(tour.STEPS) + 1):
        assert not PLACEHOLDER.search(tour.step_text(n))
