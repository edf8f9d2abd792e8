/* Flux Operations Center: small browser helpers (no bundle; Dash loads every .js in assets/).
 *
 * dash-deck 0.0.1 does not report deck.gl's view state (only click/hover/drag picking info, with
 * no zoom or bounds). The map needs it for level of detail, viewport asset loading and the URL, so
 * after the operator pans or zooms (debounced) this reads the deck's current viewport and writes
 * it into the `map-view` store with dash_clientside.set_props. No polling, no interval.
 */
(function () {
  "use strict";
  var MAP_ID = "map-deck";
  var VIEW_STORE = "map-view";
  var DEBOUNCE_MS = 250;
  var timer = null;
  var last = null;

  function deckInstance() {
    var el = document.getElementById(MAP_ID);
    if (!el) return null;
    var canvas = el.tagName === "CANVAS" ? el : el.querySelector("canvas");
    if (!canvas) return null;
    // The React DeckGL component that owns the canvas keeps its Deck as `this.deck`.
    var key = Object.keys(canvas).find(function (k) { return k.indexOf("__reactFiber$") === 0; });
    var fiber = key ? canvas[key] : null;
    while (fiber) {
      var node = fiber.stateNode;
      if (node && node.deck && typeof node.deck.getViewports === "function") return node.deck;
      fiber = fiber.return;
    }
    return null;
  }

  function round(v, d) { var f = Math.pow(10, d); return Math.round(v * f) / f; }

  function currentView() {
    var deck = deckInstance();
    if (!deck) return null;
    var vp = deck.getViewports()[0];
    if (!vp || !vp.width) return null;
    var nw = vp.unproject([0, 0]);
    var se = vp.unproject([vp.width, vp.height]);
    return {
      longitude: round(vp.longitude, 5),
      latitude: round(vp.latitude, 5),
      zoom: round(vp.zoom, 2),
      bbox: [round(nw[0], 5), round(se[1], 5), round(se[0], 5), round(nw[1], 5)],
    };
  }

  function report() {
    timer = null;
    var view = currentView();
    if (!view || !window.dash_clientside || !window.dash_clientside.set_props) return;
    var key = JSON.stringify(view);
    if (key === last) return;
    last = key;
    window.dash_clientside.set_props(VIEW_STORE, { data: view });
  }

  function schedule(event) {
    if (event && event.target && event.target.closest && !event.target.closest("#" + MAP_ID + ", .flux-map")) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(report, DEBOUNCE_MS);
  }

  ["wheel", "pointerup", "mouseup", "touchend", "dblclick", "keyup"].forEach(function (type) {
    document.addEventListener(type, schedule, { capture: true, passive: true });
  });

  // For the browser tests and the benchmark: the deck and the current view.
  window.fluxMap = { deck: deckInstance, view: currentView };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.flux = {
    // Show the active view's pane, hide the others (panes stay mounted).
    showPane: function (active) {
      return ["operations", "weather", "analytics", "reliability"].map(function (v) { return v !== active; });  // layouts/root.py VIEWS
    },
    // Keep the URL in step with what the operator sees, without a page load or a server call.
    writeUrl: function (view, tab, selection) {
      var params = new URLSearchParams(window.location.search);
      if (tab) params.set("view", tab);
      if (view) {
        params.set("lon", view.longitude);
        params.set("lat", view.latitude);
        params.set("z", view.zoom);
      }
      if (selection && selection.kind && selection.id) params.set("sel", selection.kind + ":" + selection.id);
      else params.delete("sel");
      var search = "?" + params.toString();
      if (search !== window.location.search) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
      }
      return search;
    }
  };
})();
