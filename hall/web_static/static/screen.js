/* The hall's big screen: /ws/screen, read only. The newest call large and blinking for 10 s,
 * the recent calls, waiting per service, the notice ticker and a clock; when the hub says
 * `speak`, each announcement's text is spoken with the browser's speech synthesis. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var BLINK_MS = 10000;
  var RECENT_MAX = 8;

  var state = {
    hallName: "",
    board: { calls: [], waiting: {} },
    services: [],
    notice: "",
    speak: false
  };
  var latest = null; // {ticket, window, at}
  var windowNames = {}; // window id -> name, learned from announcements
  var blinkTimer = null;
  var spoken = [];
  var clock = new H.Clock(H.$("clock"));
  var banner = H.$("banner");
  var soundButton = H.$("sound-btn");

  new H.LiveSocket("/ws/screen", {
    onopen: function () {
      H.setBanner(banner, false);
    },
    onclose: function () {
      H.setBanner(banner, true, "common.reconnecting");
    },
    onmessage: function (message) {
      if (message.type === "screen") {
        onScreen(message);
      } else if (message.type === "announce") {
        onAnnounce(message);
      }
    }
  });

  function onScreen(message) {
    state.hallName = (message.hall && message.hall.name) || state.hallName;
    state.board = message.board || { calls: [], waiting: {} };
    state.services = message.services || [];
    state.notice = message.notice || "";
    state.speak = message.speak === true;
    if (message.now) {
      clock.sync(message.now);
    }
    /* The board is never behind the announcements (the hub sends the screen first): a call
     * made while this screen was away, or before it connected, is shown quietly. */
    var first = (state.board.calls || [])[0];
    if (first && (!latest || first.ticket !== latest.ticket || first.window !== latest.window)) {
      latest = { ticket: first.ticket, window: first.window, at: first.at };
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
    if (a.window && a.window_name) {
      windowNames[a.window] = a.window_name;
    }
    latest = { ticket: a.ticket, window: a.window };
    renderCall(true);
    renderRecent();
    if (state.speak && a.text) {
      speak(a.text);
    }
  }

  function windowName(id) {
    return H.windowLabel(id, windowNames[id]);
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
    /* 请 A001 号 / 到 1号窗口 办理 */
    function words(key) {
      var text = t(key);
      return text ? text : null;
    }
    var before = words("screen.call.before");
    var no = words("screen.call.no");
    var to = words("screen.call.to");
    var after = words("screen.call.after");
    box.appendChild(
      el("div", { class: "line" }, [
        before ? before + " " : null,
        el("span", { class: "ticket", text: latest.ticket }),
        no ? " " + no : null
      ])
    );
    box.appendChild(
      el("div", { class: "line" }, [
        to ? to + " " : null,
        el("span", { class: "window", text: windowName(latest.window) }),
        after ? " " + after : null
      ])
    );
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
    var calls = (state.board.calls || []).filter(function (c, i) {
      return !(i === 0 && latest && c.ticket === latest.ticket);
    });
    if (!calls.length) {
      list.appendChild(el("li", { class: "none" }, [el("span", { text: t("screen.recent.none") })]));
      return;
    }
    calls.slice(0, RECENT_MAX).forEach(function (c) {
      list.appendChild(
        el("li", null, [
          el("span", { class: "t", text: c.ticket }),
          el("span", { class: "w", text: windowName(c.window) })
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
        el("li", { class: accepting ? "" : "closed", "data-service": s.code }, [
          el("span", { class: "code", text: s.code }),
          el("span", { class: "name", text: s.name }),
          el("span", {
            class: "count num",
            text: accepting ? t("screen.waiting_n", { n: waiting }) : t("screen.svc_closed")
          }),
          el("span", {
            class: "eta",
            text: accepting && waiting ? t("screen.eta", { t: H.fmtWait(s.eta_s) }) : "\u00a0"
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
    latest: function () {
      return latest;
    }
  };
})();
