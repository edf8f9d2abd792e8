/* Grid Intelligence chat: streams POST /api/agent/stream into the panel.
 *
 * Text deltas go straight into the DOM as they arrive (a Dash callback round trip per token
 * would be too slow). Result tables go to a dcc.Store via dash_clientside.set_props, and Dash
 * renders them with dash-ag-grid; finished turns go to the history store, which Dash renders.
 * Charts are Vega-Lite specs drawn by vega-embed, vendored under /vendor/vega/ and loaded on
 * first use (kept out of assets/ because Dash loads every script there on every page).
 */
(function () {
  "use strict";

  var IDS = {
    live: "chat-live", liveResult: "chat-live-result", history: "chat-history", transcript: "chat-transcript",
    input: "chat-input", send: "chat-send", stop: "chat-stop", newChat: "chat-new"
  };
  var state = { busy: false, controller: null, threadId: null, parentMessageId: null, turns: [] };
  var vegaReady = null;

  function prefix() {
    var cfg = document.getElementById("_dash-config");
    try { return (cfg && JSON.parse(cfg.textContent).requests_pathname_prefix) || "/"; } catch (e) { return "/"; }
  }

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) { window.dash_clientside.set_props(id, props); }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // -- charts -------------------------------------------------------------------------------
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src; s.async = false;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }

  function ensureVega() {
    if (!vegaReady) {
      var base = prefix() + "vendor/vega/";
      vegaReady = loadScript(base + "vega.min.js")
        .then(function () { return loadScript(base + "vega-lite.min.js"); })
        .then(function () { return loadScript(base + "vega-embed.min.js"); });
    }
    return vegaReady;
  }

  function embedChart(node, specText) {
    node.setAttribute("data-embedded", "1");
    var spec;
    try { spec = typeof specText === "string" ? JSON.parse(specText) : specText; } catch (e) {
      node.textContent = "The chart could not be read."; node.classList.add("chat-error"); return;
    }
    ensureVega().then(function () {
      return window.vegaEmbed(node, spec, { actions: false, renderer: "svg", theme: "dark" });
    }).catch(function (err) {
      node.textContent = "Chart unavailable: " + err.message; node.classList.add("chat-error");
    });
  }

  // Finished turns are rendered by Dash with data-spec: draw their charts as they appear.
  new MutationObserver(function () {
    var pending = document.querySelectorAll(".chat-chart[data-spec]:not([data-embedded])");
    for (var i = 0; i < pending.length; i++) { embedChart(pending[i], pending[i].getAttribute("data-spec")); }
  }).observe(document.documentElement, { childList: true, subtree: true });

  // -- SSE ----------------------------------------------------------------------------------
  function SSEParser(onEvent) {
    this.buf = ""; this.name = ""; this.data = []; this.onEvent = onEvent;
  }
  SSEParser.prototype.feed = function (text) {
    this.buf += text;
    for (;;) {
      var m = /\r\n|\n|\r(?!$)/.exec(this.buf);
      if (!m) { return; }
      var line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === "") {
        if (this.data.length || this.name) { this.onEvent(this.name || "message", this.data.join("\n")); }
        this.name = ""; this.data = [];
      } else if (line.charAt(0) !== ":") {
        var idx = line.indexOf(":");
        var field = idx < 0 ? line : line.slice(0, idx);
        var value = idx < 0 ? "" : line.slice(idx + 1).replace(/^ /, "");
        if (field === "event") { this.name = value; } else if (field === "data") { this.data.push(value); }
      }
    }
  };

  function tableFrom(data) {
    var rs = data.result_set || {};
    var cols = ((rs.resultSetMetaData || {}).rowType || []).map(function (c) { return c.name; });
    var rows = (rs.data || []).map(function (r) {
      var o = {}; cols.forEach(function (c, i) { o[c] = r[i]; }); return o;
    });
    return { title: data.title || "", columns: cols, rows: rows };
  }

  function sqlFrom(data) {
    var parts = data.content || [];
    for (var i = 0; i < parts.length; i++) {
      var j = parts[i].json;
      if (j && j.sql) {
        var params = j.params && Object.keys(j.params).length ? "\n-- parameters: " + JSON.stringify(j.params) : "";
        return j.sql + params;
      }
    }
    return null;
  }

  // -- one turn -----------------------------------------------------------------------------
  function buildLive(question) {
    // The panel may sit in a closed offcanvas: a detached node keeps the stream's state.
    var live = document.getElementById(IDS.live) || el("div");
    live.innerHTML = "";
    var user = el("div", "chat-msg user");
    user.appendChild(el("div", "chat-role", "You"));
    user.appendChild(el("div", "chat-text", question));
    var bot = el("div", "chat-msg assistant streaming");
    bot.appendChild(el("div", "chat-role", "Grid assistant"));
    var ui = {
      status: el("div", "chat-status", "Thinking…"),
      text: el("div", "chat-text chat-answer"),
      error: el("div", "chat-error"),
      sql: el("details", "chat-sql-details"),
      chart: el("div", "chat-chart"),
      suggestions: el("div", "chat-suggestions inline")
    };
    ui.error.setAttribute("role", "alert"); ui.error.hidden = true; ui.sql.hidden = true;
    ui.sql.appendChild(el("summary", "", "SQL")); ui.sqlPre = el("pre", "chat-sql"); ui.sql.appendChild(ui.sqlPre);
    [ui.status, ui.text, ui.error, ui.sql, ui.chart, ui.suggestions].forEach(function (n) { bot.appendChild(n); });
    live.appendChild(user); live.appendChild(bot);
    return ui;
  }

  function scrollDown() {
    var live = document.getElementById(IDS.live);
    if (live && live.scrollIntoView) { live.scrollIntoView({ block: "end" }); }
  }

  function handle(name, raw, turn, ui) {
    var data;
    try { data = raw ? JSON.parse(raw) : {}; } catch (e) { return; }
    switch (name) {
      case "response.status":
        ui.status.textContent = data.message || data.status || ""; break;
      case "response.thinking.delta":
        ui.status.textContent = "Thinking…"; break;
      case "response.tool_use":
        ui.status.textContent = "Running " + (data.name || "a tool") + "…"; break;
      case "response.tool_result.analyst.delta":
        if (data.delta && data.delta.sql) { turn.sql = data.delta.sql; ui.sqlPre.textContent = turn.sql; ui.sql.hidden = false; }
        break;
      case "response.tool_result":
        var sql = sqlFrom(data);
        if (sql) { turn.sql = sql; ui.sqlPre.textContent = sql; ui.sql.hidden = false; }
        break;
      case "response.table":
        turn.table = tableFrom(data); setProps(IDS.liveResult, { data: turn.table }); break;
      case "response.chart":
        if (data.chart_spec) { turn.chart_spec = data.chart_spec; embedChart(ui.chart, data.chart_spec); }
        break;
      case "response.text.delta":
        ui.status.textContent = "Answering…";
        turn.text += data.text || "";
        ui.text.appendChild(document.createTextNode(data.text || ""));
        scrollDown(); break;
      case "response.text":
        if (!turn.text && data.text) { turn.text = data.text; ui.text.textContent = data.text; }
        break;
      case "metadata":
        if (data.message_id !== undefined && data.role !== "user") { state.parentMessageId = data.message_id; }
        break;
      case "error":
        turn.error = data.message || "The assistant failed.";
        ui.error.textContent = turn.error; ui.error.hidden = false; break;
      case "response":
        if (data.suggestions && data.suggestions.length) { turn.suggestions = data.suggestions; }
        break;
      default: break;  // unknown events are ignored, as the protocol asks
    }
  }

  function setBusy(busy) {
    state.busy = busy;
    var send = document.getElementById(IDS.send), stop = document.getElementById(IDS.stop);
    if (send) { send.disabled = busy; }
    if (stop) { stop.hidden = !busy; }
  }

  function finish(turn) {
    state.turns.push(turn);
    var count = state.turns.length;
    setProps(IDS.history, { data: state.turns.slice() });
    // Keep the streamed turn on screen until Dash has rendered it in the transcript.
    var tries = 0;
    var timer = setInterval(function () {
      var t = document.getElementById(IDS.transcript);
      if ((t && t.children.length >= count) || ++tries > 100) {
        clearInterval(timer);
        var live = document.getElementById(IDS.live);
        if (!state.busy && live) {
          live.innerHTML = "";
          setProps(IDS.liveResult, { data: null });
        }
      }
    }, 30);
  }

  async function ask(question) {
    question = (question || "").trim();
    if (!question || state.busy) { return; }
    setBusy(true);
    setProps(IDS.input, { value: "" });
    setProps(IDS.liveResult, { data: null });
    var turn = { question: question, text: "", sql: null, table: null, chart_spec: null, error: null,
                 suggestions: null, stopped: false };
    var ui = buildLive(question);
    var controller = new AbortController();
    state.controller = controller;
    var body = { query: question };
    if (state.threadId !== null) { body.thread_id = state.threadId; body.parent_message_id = state.parentMessageId || 0; }
    try {
      var resp = await fetch(prefix() + "api/agent/stream", {
        method: "POST", signal: controller.signal,
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
        body: JSON.stringify(body)
      });
      if (!resp.ok) {
        var msg = "The assistant is unavailable (HTTP " + resp.status + ").";
        try { msg = (await resp.json()).message || msg; } catch (e) { /* not JSON */ }
        throw new Error(msg);
      }
      var tid = resp.headers.get("X-Flux-Thread-Id");
      if (tid) { state.threadId = /^\d+$/.test(tid) ? Number(tid) : tid; }
      var reader = resp.body.getReader();
      var decoder = new TextDecoder();
      var parser = new SSEParser(function (name, raw) { handle(name, raw, turn, ui); });
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) { break; }
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
    } catch (err) {
      if (err && err.name === "AbortError") { turn.stopped = true; } else {
        turn.error = (err && err.message) || "The assistant failed.";
        ui.error.textContent = turn.error; ui.error.hidden = false;
      }
    } finally {
      state.controller = null;
      ui.status.textContent = turn.stopped ? "Stopped." : "";
      setBusy(false);
      finish(turn);
    }
  }

  function stop() { if (state.controller) { state.controller.abort(); } }

  function newChat() {
    stop();
    state.threadId = null; state.parentMessageId = null; state.turns = [];
    setProps(IDS.history, { data: [] });
    setProps(IDS.liveResult, { data: null });
    var live = document.getElementById(IDS.live);
    if (live) { live.innerHTML = ""; }
  }

  document.addEventListener("click", function (ev) {
    var target = ev.target.closest ? ev.target.closest("button") : null;
    if (!target) { return; }
    if (target.id === IDS.send) {
      var input = document.getElementById(IDS.input);
      ask(input ? input.value : "");
    } else if (target.id === IDS.stop) {
      stop();
    } else if (target.id === IDS.newChat) {
      newChat();
    } else if (target.classList.contains("chat-suggestion")) {
      ask(target.getAttribute("data-question"));
    }
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.target && ev.target.id === IDS.input && ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      ask(ev.target.value);
    }
  });

  window.fluxChat = { ask: ask, stop: stop, newChat: newChat, state: state };
})();
