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
    input: "chat-input", send: "chat-send", stop: "chat-stop", newChat: "chat-new", threads: "chat-threads",
    report: "chat-feedback-report"
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

  // Finished turns are rendered by Dash with data-spec: draw their charts as they appear. The
  // thread list fills itself once the panel is on the page.
  new MutationObserver(function () {
    var pending = document.querySelectorAll(".chat-chart[data-spec]:not([data-embedded])");
    for (var i = 0; i < pending.length; i++) { embedChart(pending[i], pending[i].getAttribute("data-spec")); }
    var list = document.getElementById(IDS.threads);
    if (list && !list.hasAttribute("data-loaded")) { list.setAttribute("data-loaded", "1"); loadThreads(); }
  }).observe(document.documentElement, { childList: true, subtree: true });

  // -- JSON calls -----------------------------------------------------------------------------
  async function callJSON(method, path, body) {
    var opts = { method: method, headers: { "Accept": "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    var resp = await fetch(prefix() + path, opts);
    var data = null;
    try { data = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) { throw new Error((data && data.message) || ("HTTP " + resp.status)); }
    return data;
  }

  // -- threads --------------------------------------------------------------------------------
  async function loadThreads() {
    var list = document.getElementById(IDS.threads);
    if (!list) { return; }
    var threads;
    try { threads = await callJSON("GET", "api/agent/threads?limit=20"); } catch (err) {
      list.innerHTML = ""; list.appendChild(el("div", "chat-error", "Recent chats unavailable: " + err.message)); return;
    }
    list.innerHTML = "";
    if (!threads.length) { list.appendChild(el("div", "chat-thread-empty", "No earlier chats.")); return; }
    threads.forEach(function (t) {
      var b = el("button", "chat-thread", t.title + (t.questions > 1 ? " (" + t.questions + " questions)" : ""));
      b.type = "button"; b.setAttribute("role", "listitem");
      b.setAttribute("data-thread-id", t.thread_id); b.title = "Last active " + t.last_message_at;
      if (String(state.threadId) === String(t.thread_id)) { b.classList.add("current"); }
      list.appendChild(b);
    });
  }

  function idValue(v) { return /^\d+$/.test(String(v)) ? Number(v) : v; }

  async function openThread(threadId) {
    if (state.busy) { return; }
    var thread;
    try { thread = await callJSON("GET", "api/agent/threads/" + encodeURIComponent(threadId)); } catch (err) {
      var list = document.getElementById(IDS.threads);
      if (list) { list.appendChild(el("div", "chat-error", "Could not open the chat: " + err.message)); }
      return;
    }
    var turns = [], turn = null;
    thread.messages.forEach(function (m) {
      if (m.role === "user") {
        turn = { question: m.text, text: "", thread_id: idValue(thread.thread_id), message_id: null,
                 request_id: m.request_id, tools: [] };
        turns.push(turn);
      } else if (turn) {
        turn.text = m.text; turn.message_id = m.message_id; turn.request_id = m.request_id || turn.request_id;
      }
    });
    state.threadId = idValue(thread.thread_id);
    state.parentMessageId = thread.parent_message_id || 0;
    state.turns = turns;
    setProps(IDS.history, { data: turns.slice() });
    setProps(IDS.liveResult, { data: null });
    var live = document.getElementById(IDS.live);
    if (live) { live.innerHTML = ""; }
    loadThreads();
  }

  // -- the ratings report (for analysts): drawn each time it is opened -------------------------
  async function loadReport() {
    var box = document.getElementById(IDS.report);
    if (!box) { return; }
    box.textContent = "Loading…";
    var r;
    try { r = await callJSON("GET", "api/agent/feedback/report?days=30&limit=20"); } catch (err) {
      box.textContent = ""; box.appendChild(el("div", "chat-error", "Ratings unavailable: " + err.message)); return;
    }
    box.innerHTML = "";
    var t = r.totals;
    var share = t.positive_share === null ? "" : " (" + Math.round(t.positive_share * 100) + "% helpful)";
    box.appendChild(el("div", "chat-report-totals",
      "Last " + r.days + " days: " + t.up + " helpful, " + t.down + " not helpful" + share + "."));
    var list = el("ul", "chat-report-list");
    r.recent.forEach(function (f) {
      var li = el("li", "chat-report-item " + (f.positive ? "up" : "down"));
      li.appendChild(el("div", "chat-report-q", (f.positive ? "\uD83D\uDC4D " : "\uD83D\uDC4E ") + (f.question || "(question not kept)")));
      if (f.comment) { li.appendChild(el("div", "chat-report-comment", "\u201C" + f.comment + "\u201D")); }
      li.appendChild(el("div", "chat-report-meta", (f.operator || "local") + ", " + f.created_at.slice(0, 16).replace("T", " ")
        + (f.cortex === "failed" ? " (not sent to Cortex)" : "")));
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  // <details> toggle does not bubble: listen in the capture phase
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (d && d.open && d.querySelector && d.querySelector("#" + IDS.report)) { loadReport(); }
  }, true);

  // -- feedback -------------------------------------------------------------------------------
  async function rate(button) {
    var index = Number(button.getAttribute("data-turn"));
    var turn = state.turns[index];
    if (!turn || !turn.message_id) { return; }
    var row = button.closest(".chat-feedback");
    var box = row ? row.querySelector("input") : null;
    var comment = box ? box.value.trim() : "";
    var body = { thread_id: turn.thread_id, message_id: turn.message_id, rating: button.getAttribute("data-rating") };
    if (comment) { body.comment = comment; }
    if (turn.request_id) { body.request_id = turn.request_id; }
    button.disabled = true;
    try {
      await callJSON("POST", "api/agent/feedback", body);
      turn.rating = body.rating; turn.feedback_error = null;
    } catch (err) {
      turn.feedback_error = "Feedback not saved: " + err.message;
    }
    button.disabled = false;
    setProps(IDS.history, { data: state.turns.slice() });
  }

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
      tools: el("details", "chat-tools-details"),
      chart: el("div", "chat-chart"),
      suggestions: el("div", "chat-suggestions inline")
    };
    ui.error.setAttribute("role", "alert"); ui.error.hidden = true; ui.sql.hidden = true;
    ui.sql.appendChild(el("summary", "", "SQL")); ui.sqlPre = el("pre", "chat-sql"); ui.sql.appendChild(ui.sqlPre);
    ui.tools.hidden = true; ui.toolsSummary = el("summary", "", "Tool calls"); ui.tools.appendChild(ui.toolsSummary);
    ui.toolList = el("ul", "chat-tool-list"); ui.tools.appendChild(ui.toolList);
    [ui.status, ui.text, ui.error, ui.sql, ui.tools, ui.chart, ui.suggestions].forEach(function (n) { bot.appendChild(n); });
    live.appendChild(user); live.appendChild(bot);
    return ui;
  }

  function scrollDown() {
    var live = document.getElementById(IDS.live);
    if (live && live.scrollIntoView) { live.scrollIntoView({ block: "end" }); }
  }

  function toolOf(turn, id) {
    for (var i = 0; i < turn.tools.length; i++) { if (turn.tools[i].id === id) { return turn.tools[i]; } }
    return null;
  }

  function drawTools(turn, ui) {
    ui.toolList.innerHTML = "";
    turn.tools.forEach(function (t) {
      var li = el("li", "chat-tool");
      li.appendChild(el("div", "chat-tool-name", (t.name || "tool") + " (" + (t.type || "?") + ")" + (t.status ? ": " + t.status : "")));
      if (t.input) { li.appendChild(el("pre", "chat-sql chat-tool-input", t.input)); }
      if (t.sql) { li.appendChild(el("pre", "chat-sql", t.sql)); }
      ui.toolList.appendChild(li);
    });
    ui.toolsSummary.textContent = "Tool calls (" + turn.tools.length + ")";
    ui.tools.hidden = !turn.tools.length;
  }

  function handle(name, raw, turn, ui) {
    var data;
    try { data = raw ? JSON.parse(raw) : {}; } catch (e) { return; }
    var tool;
    switch (name) {
      case "request_id":
        turn.request_id = data.request_id || null;
        if (data.thread_id !== undefined && data.thread_id !== null) { state.threadId = data.thread_id; turn.thread_id = data.thread_id; }
        break;
      case "response.status":
        ui.status.textContent = data.message || data.status || ""; break;
      case "response.thinking.delta":
        ui.status.textContent = "Thinking…"; break;
      case "response.tool_use":
        ui.status.textContent = "Running " + (data.name || "a tool") + "…";
        turn.tools.push({ id: data.tool_use_id, name: data.name, type: data.type, status: null, sql: null,
                          input: data.input ? JSON.stringify(data.input, null, 1) : null });
        drawTools(turn, ui); break;
      case "response.tool_result.analyst.delta":
        if (data.delta && data.delta.sql) {
          turn.sql = data.delta.sql; ui.sqlPre.textContent = turn.sql; ui.sql.hidden = false;
          tool = toolOf(turn, data.tool_use_id);
          if (tool) { tool.sql = data.delta.sql; drawTools(turn, ui); }
        }
        break;
      case "response.tool_result":
        var sql = sqlFrom(data);
        if (sql) { turn.sql = sql; ui.sqlPre.textContent = sql; ui.sql.hidden = false; }
        tool = toolOf(turn, data.tool_use_id);
        if (tool) { tool.status = data.status || null; tool.sql = sql || tool.sql; drawTools(turn, ui); }
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
        if (data.message_id !== undefined && data.role !== "user") {
          // the answer's id: the next question continues from it, and feedback names it
          state.parentMessageId = data.message_id; turn.message_id = data.message_id;
          if (data.thread_id !== undefined && data.thread_id !== null) { turn.thread_id = data.thread_id; }
        }
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
                 suggestions: null, stopped: false, tools: [], thread_id: state.threadId, message_id: null,
                 request_id: null, rating: null };
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
      if (tid) { state.threadId = idValue(tid); turn.thread_id = state.threadId; }
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
      loadThreads();
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
    loadThreads();
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
    } else if (target.classList.contains("chat-rate")) {
      rate(target);
    } else if (target.classList.contains("chat-thread")) {
      openThread(target.getAttribute("data-thread-id"));
    }
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.target && ev.target.id === IDS.input && ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      ask(ev.target.value);
    }
  });

  window.fluxChat = { ask: ask, stop: stop, newChat: newChat, openThread: openThread, loadThreads: loadThreads,
                     loadReport: loadReport, state: state };
})();
