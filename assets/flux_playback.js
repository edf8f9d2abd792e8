// Storm playback: keep ?storm=..&frame=.. in the URL, so a link opens the same moment.
(function () {
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.flux_playback = {
    writeUrl: function (frame, storm) {
      var params = new URLSearchParams(window.location.search);
      if (!storm || frame === null || frame === undefined) return window.dash_clientside.no_update;
      params.set("storm", storm);
      params.set("frame", String(frame));
      var search = "?" + params.toString();
      if (search !== window.location.search) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
      }
      return search;
    }
  };
})();
