"""Layouts: pure functions that build Dash components. No I/O, no callbacks."""
