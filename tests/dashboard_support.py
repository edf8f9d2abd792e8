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


# -- the map's initial load as the operator sees it (bench/bench_browser.py and the browser tests)
# Installed with Page.addScriptToEvaluateOnNewDocument, before any page script: timestamps every
# WebGL draw call (WebGL 1 and 2, and ANGLE_instanced_arrays' instanced draws) and the next
# animation frame after it (a draw call returns at once; its frame is on screen only once the GPU
# work, shader compilation in SwiftShader included, is done and the browser can start another
# frame), long tasks, and the Dash requests, noting which callback answers replace the deck spec
# (map-deck.data) and which layer URLs the layout's own deck asks for.
DRAW_PROBE_JS = r"""
(() => {
  if (window.__fluxLoad) return;
  const F = window.__fluxLoad = {draws: [], frames: [], longtasks: [], dash: [], layerUrls: null, deckReplacements: []};
  const now = () => performance.now();
  let framePending = false;
  const frameDone = () => { framePending = false; F.frames.push(now()); };
  const wrap = (proto, name) => {
    const orig = proto && proto[name];
    if (typeof orig !== 'function') return;
    proto[name] = function () {
      const r = orig.apply(this, arguments);
      F.draws.push(now());
      if (!framePending) { framePending = true; requestAnimationFrame(frameDone); }
      return r;
    };
  };
  const DRAWS = ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements'];
  for (const C of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) if (C) DRAWS.forEach(n => wrap(C.prototype, n));
  if (window.ANGLEInstancedArrays) ['drawArraysInstancedANGLE', 'drawElementsInstancedANGLE'].forEach(n => wrap(ANGLEInstancedArrays.prototype, n));
  try {
    new PerformanceObserver(l => l.getEntries().forEach(e => F.longtasks.push([e.startTime, e.duration])))
      .observe({type: 'longtask', buffered: true});
  } catch (e) { F.longtasks = null; }
  const findDeck = (node) => {
    if (!node || typeof node !== 'object') return null;
    if (node.props && node.props.id === 'map-deck') return node.props.data;
    for (const k in node) { const d = findDeck(node[k]); if (d) return d; }
    return null;
  };
  const visibleUrls = (spec) => (spec && spec.layers || [])
    .filter(l => typeof l.data === 'string' && l.visible !== false)
    .map(l => new URL(l.data, location.href).href.split('#')[0]);
  const origFetch = window.fetch;
  window.fetch = function (input) {
    const url = typeof input === 'string' ? input : (input && input.url) || String(input);
    const p = origFetch.apply(this, arguments);
    if (url.includes('/_dash-layout') || url.includes('/_dash-update-component')) {
      const rec = {url: url.includes('/_dash-layout') ? 'layout' : 'callback', start: now(), end: null};
      F.dash.push(rec);
      p.then(r => r.clone().text()).then(text => {
        rec.end = now();
        let body = null;
        try { body = JSON.parse(text); } catch (e) { return; }
        if (rec.url === 'layout') { F.layerUrls = visibleUrls(findDeck(body)); return; }
        const out = body && body.response && body.response['map-deck'];
        if (out && 'data' in out) F.deckReplacements.push(rec.end);
      }).catch(() => { rec.end = now(); });
    }
    return p;
  };
})();
"""

# What the page has done so far: the probe's records plus the layer data requests' timings.
DRAW_PROBE_STATE_JS = r"""
const F = window.__fluxLoad;
if (!F) return null;
const res = performance.getEntriesByType('resource').map(e => ({
  url: e.name.split('#')[0], start: e.startTime, end: e.responseEnd, bytes: e.transferSize, body: e.decodedBodySize,
}));
return {
  now: performance.now(), draws: F.draws, frames: F.frames, longtasks: F.longtasks, dash: F.dash, layerUrls: F.layerUrls,
  deckReplacements: F.deckReplacements, resources: res,
  viewport: [innerWidth, innerHeight, devicePixelRatio],
};
"""


def initial_load_done(state: dict | None, quiet_ms: float) -> dict | None:
    """The initial load's figures once it is over, else None.

    Over means: the layout has arrived and every layer URL its deck asks for has been fetched;
    no Dash request is in flight; at least one draw came after the last layer data arrived; and
    then nothing (no draw, no request) for ``quiet_ms``. The last draw of the initial load is the
    last draw before that quiet spell; ``last_frame_ms``, the headline, is the animation frame
    after it, when the operator sees every layer drawn.
    """
    if not state or state.get("layerUrls") is None:
        return None
    draws, resources = state["draws"], state["resources"]
    wanted = set(state["layerUrls"])
    layer_ends = {}
    for r in resources:
        if r["url"] in wanted and r["end"] > 0:
            layer_ends[r["url"]] = max(layer_ends.get(r["url"], 0), r["end"])
    if set(layer_ends) != wanted or any(d["end"] is None for d in state["dash"]):
        return None
    data_in = max(layer_ends.values(), default=0.0)
    if not draws or draws[-1] <= data_in:
        return None
    frame = next((f for f in state["frames"] if f >= draws[-1]), None)
    if frame is None:
        return None
    busy_until = max([frame, data_in] + [d["end"] for d in state["dash"]] + [r["end"] for r in resources])
    if state["now"] - busy_until < quiet_ms:
        return None
    long_tasks = state["longtasks"] or []
    first = draws[0]
    at_first = [d for s, d in long_tasks if s <= first <= s + d]
    scripts = [r for r in resources if r["url"].split("?")[0].endswith(".js")]
    return {
        "first_draw_ms": round(first, 1),
        "last_frame_ms": round(frame, 1),
        "last_draw_call_ms": round(draws[-1], 1),
        "draw_calls": len(draws),
        "layer_data_in_ms": round(data_in, 1),
        "layer_requests": {u.rsplit("/", 1)[-1]: round(t, 1) for u, t in sorted(layer_ends.items())},
        "layout_received_ms": next((round(d["end"], 1) for d in state["dash"] if d["url"] == "layout"), None),
        "deck_replacements": len(state["deckReplacements"]),
        "long_tasks": len(long_tasks),
        "long_task_ms_total": round(sum(d for _s, d in long_tasks), 1),
        "long_task_at_first_draw_ms": round(at_first[0], 1) if at_first else 0.0,
        "script_wire_kb": round(sum(r["bytes"] for r in scripts) / 1024, 1),
        "script_kb": round(sum(r["body"] for r in scripts) / 1024, 1),
        "viewport": state["viewport"],
    }


def wait_initial_load(driver, quiet_ms: float = 1000.0, timeout_s: float = 60.0) -> dict:
    """Poll the page (which carries DRAW_PROBE_JS) until its initial load is over; its figures."""
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script(DRAW_PROBE_STATE_JS)
        done = initial_load_done(state, quiet_ms)
        if done is not None:
            return done
        time.sleep(0.1)
    raise AssertionError(f"the map's initial load did not finish within {timeout_s} s (last: {state!r})"[:2000])
