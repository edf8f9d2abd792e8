"""Shared helpers for the dashboard's browser tests and the browser benchmark."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How many pixels of the deck.gl canvas are drawn (not background). The drawing buffer is not
# preserved between frames, so redraw and read it back in the same task.
CANVAS_DRAWN_PIXELS_JS = """
const deck = window.fluxMap && window.fluxMap.deck();
if (!deck || !deck.animationLoop || !deck.animationLoop.gl) return -1;
const gl = deck.animationLoop.gl;
deck.redraw(true);
const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
const px = new Uint8Array(w * h * 4);
gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
let n = 0;
for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) n++; }
return n;
"""

# Every deck.gl layer has its data (URL layers fetched and parsed).
LAYERS_LOADED_JS = """
const deck = window.fluxMap && window.fluxMap.deck();
if (!deck || !deck.layerManager) return false;
const layers = deck.layerManager.getLayers().filter(l => !l.parent);
return layers.length > 0 && layers.every(l => l.isLoaded);
"""

# Pixel position of a longitude/latitude on the map canvas (for clicks).
PROJECT_JS = """
const deck = window.fluxMap && window.fluxMap.deck();
const vp = deck && deck.getViewports()[0];
if (!vp) return null;
return vp.project([arguments[0], arguments[1]]);
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
