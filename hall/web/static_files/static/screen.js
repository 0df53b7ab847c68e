/* The hall's big screen: /ws/screen, read only. Each call large and blinking, the recent
 * calls, waiting per service, the notice ticker and a clock. Calls queue for the big box:
 * each stays there at least `min_call_display_s` (the hub's), a recall is shown again; when
 * the hub says `speak`, a chime (chime.js) and then the announcement's text spoken with the
 * browser's speech synthesis go with each call as it is shown.
 * The hub writes every text and names every window: the page shows and speaks the
 * announcement's `text` and `window_name`, and each board call's `text` and `window_name`,
 * exactly as given; in English the big box shows its own sentence around the ticket and the
 * window's name (the hub's sentence is Chinese), and the voice still speaks the hub's. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var BLINK_MS = 10000;
  var RECENT_MAX = 8;
  var PENDING_MAX = 20; // calls waiting for the big box (more: the oldest are only listed)

  var state = {
    hallName: "",
    board: { calls: [], waiting: {} },
    services: [],
    notice: "",
    speak: false,
    minDisplayMs: 5000
  };
  var latest = null; // {ticket, window, windowName, text}: the hub's call, as given
  var pending = []; // announced calls waiting for the big box, oldest first
  var holdTimer = null; // set while the shown call has not had its minimum time yet
  var blinkTimer = null;
  var spoken = [];
  var shown = []; // {ticket, window, repeat, at}: each call as it came to the big box
  var sounds = []; // "chime" and "speak", in the order they were started
  var clock = new H.Clock(H.$("clock"));
  var soundButton = H.$("sound-btn");

  new H.LiveSocket("/ws/screen", H.withBanner({
    onmessage: function (message) {
      if (message.type === "screen") {
        onScreen(message);
      } else if (message.type === "announce") {
        onAnnounce(message);
      }
    }
  }));

  function onScreen(message) {
    state.hallName = (message.hall && message.hall.name) || state.hallName;
    H.setZone(message.hall && message.hall.timezone); // the hall's clock, not the computer's
    state.board = message.board || { calls: [], waiting: {} };
    state.services = message.services || [];
    state.notice = message.notice || "";
    state.speak = message.speak === true;
    if (typeof message.min_call_display_s === "number" && message.min_call_display_s >= 0) {
      state.minDisplayMs = message.min_call_display_s * 1000;
    }
    if (message.now) {
      clock.sync(message.now);
    }
    /* The board is never behind the announcements (the hub sends the screen first): a call
     * made while this screen was away, or before it connected, is shown quietly, unless the
     * big box is busy with announced calls (those come next, in turn). */
    var first = (state.board.calls || [])[0];
    var idle = !holdTimer && !pending.length;
    if (idle && first && (!latest || first.ticket !== latest.ticket || first.window !== latest.window)) {
      latest = call(first.ticket, first.window, first.window_name, first.text);
      renderCall(false);
    } else if (!first && !latest) {
      renderCall(false);
    }
    renderHeader();
    renderRecent();
    renderWaiting();
    renderTicker();
  }

  function onAnnounce(a) {
    var next = call(a.ticket, a.window, a.window_name, a.text);
    next.repeat = Boolean(a.repeat);
    pending.push(next);
    if (pending.length > PENDING_MAX) {
      pending.shift(); // still on the recent list; only its turn in the big box is lost
    }
    showNext();
  }

  /* The next queued call into the big box, once the shown one has had its time. */
  function showNext() {
    if (holdTimer || !pending.length) {
      return;
    }
    latest = pending.shift();
    shown.push({ ticket: latest.ticket, window: latest.window, repeat: latest.repeat, at: Date.now() });
    renderCall(true);
    renderRecent();
    if (state.speak && latest.text) {
      announce(latest.text);
    }
    if (state.minDisplayMs > 0) {
      holdTimer = window.setTimeout(function () {
        holdTimer = null;
        showNext();
      }, state.minDisplayMs);
    } else {
      showNext();
    }
  }

  function call(ticket, windowId, windowName, text) {
    var name = windowName || String(windowId || "");
    return { ticket: ticket, window: windowId, windowName: name, text: text || ticket + " " + name };
  }

  /* `text` with its first `ticket` and the `name` after it marked: one span each. */
  function marked(text, ticket, name) {
    var parts = [];
    var rest = text;
    var at = ticket ? rest.indexOf(ticket) : -1;
    if (at >= 0) {
      parts.push(rest.slice(0, at), el("span", { class: "ticket", text: ticket }));
      rest = rest.slice(at + ticket.length);
    }
    at = name ? rest.indexOf(name) : -1;
    if (at < 0) {
      parts.push(rest);
      return [parts];
    }
    /* Two lines: up to the window's name, then the name and what follows it. */
    parts.push(rest.slice(0, at));
    return [parts, [el("span", { class: "window", text: name }), rest.slice(at + name.length)]];
  }

  function renderHeader() {
    if (state.hallName) {
      var name = H.$("hall-name");
      name.removeAttribute("data-i18n");
      name.textContent = state.hallName;
      document.title = t("screen.title") + " · " + state.hallName;
    }
  }

  function renderCall(blink) {
    var box = H.clear(H.$("call-now"));
    if (!latest) {
      box.appendChild(el("div", { class: "idle", text: t("screen.no_call") }));
      box.classList.remove("blink");
      return;
    }
    /* The hub's text, e.g. 请A001号到 / 综合窗口办理, with the number and the name marked;
     * the hub writes Chinese, so English is built from the call's ticket and window name. */
    var text = window.I18N.lang === "en"
      ? t("screen.call", { ticket: latest.ticket, window: latest.windowName })
      : latest.text;
    marked(text, latest.ticket, latest.windowName).forEach(function (parts) {
      box.appendChild(
        el(
          "div",
          { class: "line" },
          parts.filter(function (part) {
            return part !== "";
          })
        )
      );
    });
    box.setAttribute("data-ticket", latest.ticket);
    box.setAttribute("data-window", latest.window);
    if (blink) {
      box.classList.remove("blink");
      void box.offsetWidth; // restart the animation
      box.classList.add("blink");
      window.clearTimeout(blinkTimer);
      blinkTimer = window.setTimeout(function () {
        box.classList.remove("blink");
      }, BLINK_MS);
    }
  }

  function renderRecent() {
    var list = H.clear(H.$("recent"));
    /* Every call but the one in the big box (wherever it is on the board by now). */
    var calls = (state.board.calls || []).filter(function (c) {
      return !(latest && c.ticket === latest.ticket && c.window === latest.window);
    });
    if (!calls.length) {
      list.appendChild(el("li", { class: "none" }, [el("span", { text: t("screen.recent.none") })]));
      return;
    }
    calls.slice(0, RECENT_MAX).forEach(function (c) {
      list.appendChild(
        el("li", null, [
          el("span", { class: "t", text: c.ticket }),
          el("span", { class: "w", text: c.window_name || c.window })
        ])
      );
    });
  }

  function renderWaiting() {
    var list = H.clear(H.$("waiting"));
    state.services.forEach(function (s) {
      var accepting = s.accepting !== undefined ? s.accepting : s.open;
      var waiting = s.waiting !== undefined ? s.waiting : (state.board.waiting || {})[s.code] || 0;
      list.appendChild(
        el("li", { class: accepting ? (s.full ? "full" : "") : "closed", "data-service": s.code }, [
          el("span", { class: "code", text: s.code }),
          el("span", { class: "name", text: H.serviceName(s) }),
          el("span", {
            class: "count num",
            text: accepting ? t("screen.waiting_n", { n: waiting }) : t("screen.svc_closed")
          }),
          el("span", {
            class: "eta",
            text: [
              accepting && s.full ? t("screen.svc_full") : "",
              accepting && waiting
                ? s.eta_s === null && s.eta_reason
                  ? H.fmtEta(null, s.eta_reason)
                  : t("screen.eta", { t: H.fmtWait(s.eta_s) })
                : ""
            ].filter(Boolean).join(" · ") || "\u00a0"
          })
        ])
      );
    });
  }

  var tickerText = "";
  function renderTicker() {
    var text = state.notice || t("screen.default_notice");
    if (text === tickerText) {
      return;
    }
    tickerText = text;
    var run = H.$("ticker-text");
    run.textContent = text;
    /* About 160 px a second, whatever the length. */
    var distance = window.innerWidth + run.offsetWidth;
    run.style.animationDuration = Math.max(10, distance / 160) + "s";
    run.style.animationName = "none";
    void run.offsetWidth;
    run.style.animationName = "";
  }

  /* ---- speech --------------------------------------------------------------------------- */
  function chineseVoice() {
    var synth = window.speechSynthesis;
    var voices = synth && synth.getVoices ? synth.getVoices() : [];
    for (var i = 0; i < voices.length; i++) {
      var lang = (voices[i].lang || "").replace("_", "-").toLowerCase();
      if (lang === "zh-cn") {
        return voices[i];
      }
    }
    for (i = 0; i < voices.length; i++) {
      if ((voices[i].lang || "").toLowerCase().indexOf("zh") === 0) {
        return voices[i];
      }
    }
    return null;
  }

  /* The chime, then the voice: never both at once. */
  var soundChain = Promise.resolve();
  function announce(text) {
    soundChain = soundChain.then(function () {
      sounds.push("chime");
      return window.HallChime.play("call").then(function (played) {
        if (!played && !window.HallChime.ready()) {
          soundButton.hidden = false; // the browser wants a touch first
        }
        sounds.push("speak");
        speak(text);
      });
    });
  }

  function speak(text) {
    spoken.push(text);
    var synth = window.speechSynthesis;
    if (!synth || typeof window.SpeechSynthesisUtterance !== "function") {
      return;
    }
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    utterance.rate = 0.9;
    var voice = chineseVoice();
    if (voice) {
      utterance.voice = voice;
    }
    utterance.onerror = function (event) {
      /* Browsers refuse to speak before a person has touched the page. */
      if (event && event.error === "not-allowed") {
        soundButton.hidden = false;
      }
    };
    synth.speak(utterance); // the browser queues them: one at a time, never overlapping
  }

  /* Any touch or key lets the page make sound (browsers ask for one). */
  function unlockSound() {
    window.HallChime.unlock();
  }
  document.addEventListener("click", unlockSound);
  document.addEventListener("keydown", unlockSound);

  soundButton.addEventListener("click", function () {
    soundButton.hidden = true;
    var synth = window.speechSynthesis;
    if (synth && typeof window.SpeechSynthesisUtterance === "function") {
      synth.speak(new window.SpeechSynthesisUtterance(""));
    }
  });

  document.addEventListener("langchange", function () {
    tickerText = "";
    renderCall(false);
    renderRecent();
    renderWaiting();
    renderTicker();
  });

  renderCall(false);
  renderRecent();
  renderTicker();

  window.hallScreen = {
    spoken: spoken,
    shown: shown,
    sounds: sounds,
    minDisplayMs: function () {
      return state.minDisplayMs;
    },
    chimeReady: function () {
      return window.HallChime.ready();
    },
    latest: function () {
      return latest;
    }
  };
})();
