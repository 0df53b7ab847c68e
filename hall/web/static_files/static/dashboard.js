/* The manager dashboard: one WebSocket to /ws/dashboard, snapshots rendered whole, a live
 * event log, and the three actions (acknowledge an alarm, close/reopen a service, notice). */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var LOG_MAX = 100;

  var snapshot = null;
  var receivedAt = 0; // Date.now() when the snapshot arrived (paused timers run on from it)
  var events = []; // newest first
  var refs = {}; // ref -> what the action was, for the result message
  var refCounter = 0;
  var clock = new H.Clock(H.$("clock"));
  var banner = H.$("banner");
  var toaster = new H.Toast(H.$("toast"), 6000);

  /* ---- connection ---------------------------------------------------------------------- */
  var leaving = false; // signing out or navigating away: the closed socket is expected
  var socket = new H.LiveSocket("/ws/dashboard", {
    onopen: function () {
      H.setBanner(banner, false);
    },
    onclose: function () {
      if (leaving) {
        return;
      }
      H.setBanner(banner, true, "common.reconnecting");
      checkSession();
    },
    onmessage: function (message) {
      if (message.type === "snapshot" && message.data) {
        snapshot = message.data;
        receivedAt = Date.now();
        render();
      } else if (message.type === "event" && message.event) {
        addEvent(message.event);
      } else if (message.type === "result") {
        onResult(message);
      }
    }
  });

  /* A refused upgrade looks like any other failure from a page: ask whether the session
   * still holds, and go to the sign-in page if it does not. */
  function checkSession() {
    if (!window.fetch) {
      return;
    }
    window
      .fetch("/dashboard", { method: "GET", redirect: "manual", credentials: "same-origin" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 302) {
          window.location.href = "/login";
        }
      })
      .catch(function () {
        /* the hub is down: keep retrying the socket */
      });
  }

  function send(message, what) {
    refCounter += 1;
    var ref = "r" + Date.now().toString(36) + "-" + refCounter;
    message.ref = ref;
    refs[ref] = what;
    if (!socket.send(message)) {
      delete refs[ref];
      toast(t("common.reconnecting"), true);
    }
  }

  function onResult(message) {
    var what = refs[message.ref];
    delete refs[message.ref];
    if (message.ok) {
      toast(what === "notice" ? t("dash.notice.sent") : t("dash.done"), false);
    } else {
      var error = message.error || {};
      var text = error.code === "forbidden" ? t("dash.forbidden") : H.errorText(error);
      if (error.message && text !== error.message && error.code !== "forbidden") {
        text += "（" + error.message + "）";
      }
      toast(t("common.error", { msg: text }), true);
    }
  }

  function toast(text, isError) {
    toaster.show(text, isError);
  }

  /* ---- rendering ----------------------------------------------------------------------- */
  /* Re-rendering replaces the buttons: keep the keyboard focus on the same one. */
  function focusKey() {
    var a = document.activeElement;
    if (!a || a.tagName !== "BUTTON") {
      return null;
    }
    if (a.getAttribute("data-alarm")) {
      return '[data-alarm="' + a.getAttribute("data-alarm") + '"] button';
    }
    if (a.getAttribute("data-service")) {
      return 'button[data-service="' + a.getAttribute("data-service") + '"]';
    }
    return null;
  }

  function render() {
    if (!snapshot) {
      return;
    }
    var focused = focusKey();
    renderAll();
    if (focused) {
      var again = document.querySelector(focused);
      if (again) {
        again.focus();
      }
    }
  }

  function renderAll() {
    var hall = snapshot.hall || {};
    if (hall.name) {
      var name = H.$("hall-name");
      name.removeAttribute("data-i18n");
      name.textContent = hall.name;
      document.title = t("dash.title") + " · " + hall.name;
    }
    H.$("hall-day").textContent = hall.day || "";
    if (hall.timezone) {
      /* Every time on the page in the hall's zone, which the header names once. */
      H.setZone(hall.timezone);
      var zone = H.$("hall-zone");
      zone.textContent = t("dash.zone", { zone: hall.timezone });
      zone.title = t("dash.zone.label", { zone: hall.timezone });
    }
    if (hall.now) {
      clock.sync(hall.now);
    }
    renderKpis(snapshot.kpis || {});
    renderQueues(snapshot.services || []);
    renderWindows(snapshot.windows || []);
    renderDevices(snapshot.devices || []);
    renderHourly((snapshot.kpis || {}).hourly || []);
    renderAlarms(snapshot.alarms || []);
    renderNotice(snapshot.notice || "");
  }

  function setTile(key, value, unit, note) {
    var tile = document.querySelector('[data-kpi="' + key + '"]');
    if (!tile) {
      return;
    }
    var valueNode = H.clear(tile.querySelector(".value"));
    valueNode.appendChild(document.createTextNode(value));
    if (unit) {
      valueNode.appendChild(el("small", { text: unit }));
    }
    tile.querySelector(".note").textContent = note || "\u00a0";
  }

  function isNum(v) {
    return typeof v === "number" && !isNaN(v);
  }

  function renderKpis(k) {
    var dash = t("common.dash");
    setTile("arrivals", isNum(k.arrivals) ? String(k.arrivals) : dash);
    setTile(
      "served",
      isNum(k.served) ? String(k.served) : dash,
      "",
      isNum(k.mean_service_s) ? t("kpi.mean_service", { t: H.fmtDuration(k.mean_service_s) }) : ""
    );
    setTile(
      "no_show_pct",
      isNum(k.no_show_pct) ? k.no_show_pct.toFixed(1) : dash,
      isNum(k.no_show_pct) ? "%" : "",
      isNum(k.no_show) ? t("kpi.no_show_count", { n: k.no_show }) : ""
    );
    setTile("mean_wait", isNum(k.mean_wait_s) ? H.fmtDuration(k.mean_wait_s) : dash);
    setTile("max_wait", isNum(k.max_wait_s) ? H.fmtDuration(k.max_wait_s) : dash);
    setTile(
      "service_level",
      isNum(k.service_level_pct) ? k.service_level_pct.toFixed(1) : dash,
      isNum(k.service_level_pct) ? "%" : ""
    );
    setTile(
      "mean_rating",
      isNum(k.mean_rating) ? k.mean_rating.toFixed(1) : dash,
      isNum(k.mean_rating) ? "/ 5" : "",
      isNum(k.ratings) ? t("kpi.ratings", { n: k.ratings, bad: k.bad_ratings || 0 }) : ""
    );
  }

  function renderQueues(services) {
    var body = H.clear(H.$("queues").tBodies[0]);
    services.forEach(function (s) {
      var accepting = s.accepting !== undefined ? s.accepting : s.open;
      var status;
      if (!accepting) {
        status = el("span", { class: "pill suspended", text: t("dash.svc.closed") });
      } else if (s.full) {
        status = el("span", { class: "pill suspended full", text: t("dash.svc.full") });
      } else if (!s.open) {
        status = el("span", { class: "pill no_window", text: t("dash.svc.no_window") });
      } else {
        status = el("span", { class: "pill open", text: t("dash.svc.open") });
      }
      var action = accepting ? "close" : "reopen";
      var button = el("button", {
        type: "button",
        class: "btn small" + (accepting ? " secondary" : " ok"),
        text: t(accepting ? "dash.svc.close" : "dash.svc.reopen"),
        "aria-label": t(accepting ? "dash.svc.close.label" : "dash.svc.reopen.label", {
          name: H.serviceName(s)
        }),
        "data-service": s.code,
        "data-action": action,
        onclick: function () {
          send({ type: "service", action: action, code: s.code }, "service");
        }
      });
      body.appendChild(
        el("tr", { "data-service": s.code }, [
          el("td", null, [el("span", { class: "code", text: s.code }), H.serviceName(s)]),
          el("td", { class: "n big waiting", text: String(s.waiting) }),
          el("td", { class: "n", text: s.waiting ? H.fmtDuration(s.longest_wait_s) : t("common.dash") }),
          el("td", { class: "n", text: s.waiting ? H.fmtWait(s.eta_s) : t("common.dash") }),
          el("td", null, [status]),
          el("td", null, [button])
        ])
      );
    });
  }

  function windowStatePill(w) {
    var key;
    var cls;
    if (w.state === "open" && (w.ticket_state === "called" || w.ticket_state === "serving")) {
      key = "state." + w.ticket_state;
      cls = w.ticket_state;
    } else if (w.state === "open") {
      key = "wstate.idle";
      cls = "open";
    } else {
      key = "wstate." + w.state;
      cls = w.state;
    }
    return el("span", { class: "pill " + cls, text: t(key) });
  }

  /* The manager's force pause and close: the window's pad shows them at once. */
  function windowButtons(w) {
    if (w.state === "closed") {
      return [];
    }
    var name = H.windowLabel(w.id, w.name);
    var buttons = [];
    if (w.state === "open") {
      buttons.push(
        el("button", {
          type: "button",
          class: "btn small secondary",
          text: t("dash.win.pause"),
          "aria-label": t("dash.win.pause.label", { name: name }),
          "data-window-action": "pause",
          onclick: function () {
            send({ type: "window", action: "pause", window: w.id, reason: t("dash.win.pause.reason") }, "window");
          }
        })
      );
    }
    buttons.push(
      el("button", {
        type: "button",
        class: "btn small danger",
        text: t("dash.win.close"),
        "aria-label": t("dash.win.close.label", { name: name }),
        "data-window-action": "close",
        onclick: function () {
          send({ type: "window", action: "close", window: w.id }, "window");
        }
      })
    );
    return buttons;
  }

  // Window names as the hub gives them (the snapshot's windows), for devices and events.
  var windowNames = {};

  // The windows working or paused, as last rendered: when a window opens, pauses, resumes
  // or closes, the staffing advice (which counts them and keeps them open on a tie) is read
  // again shortly after, rather than at its next minute.
  var windowStates = null;
  var staffingTimer = null;
  var STAFFING_AFTER_MS = 1500;

  function noticeWindowStates(windows) {
    var states = windows
      .map(function (w) {
        return w.id + ":" + w.state;
      })
      .join(",");
    if (windowStates !== null && states !== windowStates && window.hallStaffing) {
      window.clearTimeout(staffingTimer);
      staffingTimer = window.setTimeout(window.hallStaffing.reload, STAFFING_AFTER_MS);
    }
    windowStates = states;
  }

  function renderWindows(windows) {
    windows.forEach(function (w) {
      windowNames[w.id] = w.name;
    });
    noticeWindowStates(windows);
    var body = H.clear(H.$("windows").tBodies[0]);
    var elapsed = (Date.now() - receivedAt) / 1000;
    windows.forEach(function (w) {
      var paused = "";
      if (w.state === "paused") {
        paused = t("dash.paused_for", {
          t: H.fmtDuration((w.paused_for_s || 0) + elapsed),
          reason: w.paused_reason || t("common.dash")
        });
      }
      var ticket = w.ticket
        ? el("span", { class: "big num", text: w.ticket })
        : el("span", { class: "empty", text: t("common.dash") });
      body.appendChild(
        el("tr", { "data-window": w.id }, [
          el("th", { scope: "row", text: H.windowLabel(w.id, w.name) }),
          el("td", null, [windowStatePill(w)]),
          el("td", { class: "num", text: w.staff || t("common.dash") }),
          el("td", null, [ticket]),
          el("td", { class: "n big served", text: String(w.served || 0) }),
          el("td", { class: "paused", text: paused }),
          el("td", { class: "actions" }, windowButtons(w))
        ])
      );
    });
  }

  function renderDevices(devices) {
    var box = H.clear(H.$("devices"));
    var online = 0;
    devices.forEach(function (d) {
      if (d.online) {
        online += 1;
      }
      var state = t(d.online ? "dash.online" : "dash.offline");
      box.appendChild(
        el(
          "span",
          {
            class: "device " + (d.online ? "online" : "offline"),
            "data-device": d.id,
            title: d.kind + (d.window ? " · " + H.windowLabel(d.window, windowNames[d.window]) : "") + " · " + state
          },
          [
            el("span", { class: "dot", "aria-hidden": "true" }),
            d.id,
            el("span", { class: "visually-hidden", text: state }),
            el("span", { class: "kind", text: d.window ? "→" + d.window : "" })
          ]
        )
      );
    });
    H.$("device-count").textContent = devices.length ? online + " / " + devices.length : "";
  }

  /* An inline SVG bar chart of arrivals and served per hour. */
  function renderHourly(given) {
    var box = H.clear(H.$("hourly"));
    if (!given.length) {
      box.appendChild(el("p", { class: "empty", text: t("dash.hourly.empty") }));
      return;
    }
    /* At least the working day (8:00 to 17:00) is drawn, so one busy hour is not a wall. */
    var byHour = {};
    given.forEach(function (h) {
      byHour[h.hour] = h;
    });
    var first = Math.min(8, given[0].hour);
    var last = Math.max(17, given[given.length - 1].hour);
    var hourly = [];
    for (var hour = first; hour <= last; hour++) {
      hourly.push(byHour[hour] || { hour: hour, arrivals: 0, served: 0 });
    }
    var ns = "http://www.w3.org/2000/svg";
    function s(tag, attrs, text) {
      var node = document.createElementNS(ns, tag);
      Object.keys(attrs).forEach(function (k) {
        node.setAttribute(k, attrs[k]);
      });
      if (text !== undefined) {
        node.textContent = text;
      }
      return node;
    }
    var width = 600;
    var height = 240;
    var left = 40;
    var bottom = 28;
    var top = 18;
    var plotW = width - left - 8;
    var plotH = height - bottom - top;
    var max = 1;
    hourly.forEach(function (h) {
      max = Math.max(max, h.arrivals || 0, h.served || 0);
    });
    var stepPow = Math.pow(10, Math.floor(Math.log10(max)));
    var step = [1, 2, 5, 10].map(function (m) {
      return m * stepPow;
    }).filter(function (v) {
      return max / v <= 5;
    })[0] || stepPow * 10;
    var top_ = Math.ceil(max / step) * step;
    var svg = s("svg", {
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": t("dash.hourly")
    });
    var desc = hourly
      .map(function (h) {
        return h.hour + ":00 " + t("dash.hourly.arrivals") + " " + h.arrivals + ", " +
          t("dash.hourly.served") + " " + h.served;
      })
      .join("; ");
    svg.appendChild(s("title", {}, t("dash.hourly") + ": " + desc));
    for (var v = 0; v <= top_; v += step) {
      var y = top + plotH - (v / top_) * plotH;
      svg.appendChild(s("line", { x1: left, x2: width - 4, y1: y, y2: y, stroke: "#c3cad5", "stroke-width": 1 }));
      svg.appendChild(s("text", { x: left - 6, y: y + 5, "text-anchor": "end", "font-size": 14, fill: "#3d4756" }, String(v)));
    }
    var slot = plotW / hourly.length;
    var barW = Math.max(3, Math.min(28, slot * 0.36));
    hourly.forEach(function (h, i) {
      var x0 = left + i * slot + slot / 2;
      var ha = ((h.arrivals || 0) / top_) * plotH;
      var hs = ((h.served || 0) / top_) * plotH;
      svg.appendChild(s("rect", { x: x0 - barW - 1, y: top + plotH - ha, width: barW, height: ha, fill: "#0b4f9c" }));
      svg.appendChild(s("rect", { x: x0 + 1, y: top + plotH - hs, width: barW, height: hs, fill: "#11703a" }));
      if (h.arrivals) {
        svg.appendChild(s("text", { x: x0 - barW / 2 - 1, y: top + plotH - ha - 3, "text-anchor": "middle", "font-size": 12, fill: "#0b4f9c" }, String(h.arrivals)));
      }
      if (h.served) {
        svg.appendChild(s("text", { x: x0 + barW / 2 + 1, y: top + plotH - hs - 3, "text-anchor": "middle", "font-size": 12, fill: "#11703a" }, String(h.served)));
      }
      if (hourly.length <= 14 || i % 2 === 0) {
        svg.appendChild(s("text", { x: x0, y: height - 8, "text-anchor": "middle", "font-size": 14, fill: "#0d1117" }, h.hour + (window.I18N.lang === "en" ? ":00" : "时")));
      }
    });
    svg.appendChild(s("line", { x1: left, x2: width - 4, y1: top + plotH, y2: top + plotH, stroke: "#0d1117", "stroke-width": 1.5 }));
    box.appendChild(svg);
  }

  /* The alarms panel is dashboard_alarms.js: grouped, filtered, with the hall's clock. */
  function renderAlarms(alarms) {
    var now = Date.parse((snapshot.hall || {}).now) + (Date.now() - receivedAt);
    window.HallAlarms.render(alarms, isNaN(now) ? 0 : now, send);
  }

  function renderNotice(notice) {
    H.$("notice-current").textContent = notice
      ? t("dash.notice.current", { text: notice })
      : t("dash.notice.current_none");
  }

  /* ---- the event log --------------------------------------------------------------------- */
  function ticketNo(value) {
    if (!value) {
      return "";
    }
    return typeof value === "string" ? value : value.no || "";
  }

  function eventDetail(e) {
    var parts = [];
    var ticket = ticketNo(e.ticket);
    if (ticket) {
      parts.push(ticket);
    }
    if (e.ticket && typeof e.ticket === "object" && e.type === "ticket.taken" && e.ticket.service) {
      parts.push(e.ticket.service);
    }
    var win = e.window;
    if (win && typeof win === "object") {
      parts.push(H.windowLabel(win.id, windowNames[win.id]));
      if (win.staff) {
        parts.push(win.staff);
      }
      if (win.paused_reason) {
        parts.push(win.paused_reason);
      }
    } else if (win) {
      parts.push(H.windowLabel(win, windowNames[win]));
    }
    if (e.evaluation) {
      parts.push(e.evaluation.ticket + " " + e.evaluation.level + " " + t("rate." + e.evaluation.level));
    }
    if (e.alarm) {
      parts.push(window.HallAlarmText(e.alarm));
      if (e.alarm.acked_by) {
        parts.push(t("dash.alarm.acked_by", { who: e.alarm.acked_by }));
      }
    }
    if (e.service && typeof e.service === "object") {
      parts.push((e.action || "") + " " + (e.service.code || "") + " " + (e.service.name || ""));
    }
    if (e.appointment && typeof e.appointment === "object") {
      parts.push(e.appointment.code || "");
    }
    if (e.type === "device.status") {
      parts.push(e.device + " " + t(e.online ? "dash.online" : "dash.offline"));
    } else if (e.device && typeof e.device === "string") {
      parts.push("@" + e.device);
    }
    return parts.join(" · ");
  }

  function eventKind(e) {
    var key = "ev." + e.type;
    if (window.I18N.has(key)) {
      return t(key);
    }
    if (e.type === "device.status") {
      return t("dash.devices");
    }
    return e.type || "?";
  }

  function addEvent(e) {
    events.unshift(e);
    if (events.length > LOG_MAX) {
      events.length = LOG_MAX;
    }
    var list = H.$("log");
    var empty = list.querySelector(".empty");
    if (empty) {
      list.removeChild(empty);
    }
    list.insertBefore(eventItem(e), list.firstChild);
    while (list.children.length > LOG_MAX) {
      list.removeChild(list.lastChild);
    }
  }

  function eventItem(e) {
    return el("li", { "data-type": e.type, "data-seq": e.seq === undefined ? null : e.seq }, [
      el("span", { class: "time", text: H.fmtTime(e.at) }),
      el("span", { class: "kind", text: eventKind(e) }),
      el("span", { class: "detail", text: eventDetail(e) })
    ]);
  }

  function renderLog() {
    var list = H.clear(H.$("log"));
    if (!events.length) {
      list.appendChild(el("li", { class: "empty", text: t("dash.log.empty") }));
      return;
    }
    events.forEach(function (e) {
      list.appendChild(eventItem(e));
    });
  }

  /* ---- the notice form ------------------------------------------------------------------- */
  var noticeText = H.$("notice-text");
  function updateChars() {
    H.$("notice-chars").textContent = noticeText.value.length + " / 200";
  }
  noticeText.addEventListener("input", updateChars);
  H.$("notice-form").addEventListener("submit", function (event) {
    event.preventDefault();
    send({ type: "notice", text: noticeText.value.slice(0, 200) }, "notice");
  });
  H.$("notice-clear").addEventListener("click", function () {
    noticeText.value = "";
    updateChars();
    send({ type: "notice", text: "" }, "notice");
  });
  updateChars();

  function leave() {
    leaving = true;
    socket.stopped = true;
  }
  window.addEventListener("beforeunload", leave);
  window.addEventListener("pagehide", leave);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload(); // back from the page cache: the socket was stopped
    }
  });
  var logout = document.querySelector('form[action="/logout"]');
  if (logout) {
    logout.addEventListener("submit", leave);
  }

  /* Paused-for timers run on between snapshots. */
  window.setInterval(function () {
    if (snapshot) {
      renderWindows(snapshot.windows || []);
    }
  }, 1000);

  document.addEventListener("langchange", function () {
    render();
    renderLog();
  });

  renderLog();
  window.hallDashboard = {
    snapshot: function () {
      return snapshot;
    }
  };
})();
