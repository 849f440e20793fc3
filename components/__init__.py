"""Dash building blocks: control panels, page frames and pure figure builders.

Figure builders are pure functions `engine result -> go.Figure`, testable without a browser.
"""
