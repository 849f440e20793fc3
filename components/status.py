"""What a page's status area says: the regime badge, and where values overflowed.

The numbers in these sentences come from the engine result for the state on screen; the
tests in tests/app/test_claims.py hold each sentence against the figure data.
"""
from dash import html


def regime_badge(page: str, regime: str, summary: str):
    """The regime's name as a badge (the word is the cue, the colour repeats it) and the
    sentence that measures it."""
    return html.Div(className="regime", children=[
        html.Span(regime, className=f"badge badge-{regime}", id=f"{page}-regime"),
        html.Span(summary, id=f"{page}-summary"),
    ])


def overflowed(subject: str, where: str = "", explosion: bool = True) -> str:
    """The sentence for values beyond the float64 range: physics, not an error."""
    return (f"{subject} overflowed the float64 range{where}: shown as inf/NaN, not an error."
            + (" This is the explosion itself." if explosion else ""))
