"""Shared helpers for the dashboard's browser tests and the browser benchmark."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The deck.gl canvas has drawn at least one non-background pixel.
CANVAS_DRAWN_JS = """
const c = document.querySelector('#map-deck canvas, canvas#map-deck');
if (!c || !c.width) return false;
const gl = c.getContext('webgl2') || c.getContext('webgl');
if (!gl) return false;
const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
const px = new Uint8Array(w * h * 4);
gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
let n = 0;
for (let i = 3; i < px.length; i += 4 * 7) { if (px[i] > 0) { n++; if (n > 50) return true; } }
return false;
"""


def wait_for(predicate, timeout_s: float = 20.0, interval_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s (last: {last!r})")
