/* The window pad: the page is the contract device /ws/device/<device> (a window_pad bound to
 * one window). Staff side: sign in, call, recall, no-show, start, finish, transfer, pause
 * with a reason, resume, sign off. Citizen side: after a finish, the 好差评 rating. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var RATE_TIMEOUT_MS = 60000;
  var THANKS_MS = 3000;
  var STAFF_KEY = "hall.pad.staff";
  var REASONS = ["pad.reason.lunch", "pad.reason.away", "pad.reason.meeting", "pad.reason.consult", "pad.reason.system"];
  var LEVELS = [5, 4, 3, 2, 1];

  var deviceId = H.pathTail("/pad/");
  var info = { window: null, window_name: null, hall_name: null };
  var win = null; // the retained `state` of this device: window, state, ticket, ticket_state, staff…
  var services = [];
  var mode = "staff"; // staff | rate | thanks
  var rating = null; // {ticket, staff}
  var rateTimer = null;
  var busy = false;
  var toastTimer = null;
  var banner = H.$("banner");
  new H.Clock(H.$("clock"), false);

  var device = new H.DeviceClient(deviceId, H.queryParam("token"), {
    onopen: function () {
      H.setBanner(banner, false);
    },
    onclose: function () {
      H.setBanner(banner, true, "common.reconnecting");
    },
    onmessage: function (message) {
      if (message.type === "state" && message.state) {
        win = message.state;
        render();
      } else if (message.type === "device") {
        info = message;
        renderHeader();
      } else if (message.type === "services" && Array.isArray(message.services)) {
        services = message.services;
      }
    }
  });

  /* ---- views ---------------------------------------------------------------------------- */
  function show(view) {
    ["connecting-view", "signin-view", "staff-view", "rate-view", "thanks-view"].forEach(function (id) {
      H.$(id).hidden = id !== view;
    });
  }

  function renderHeader() {
    var title = H.$("window-name");
    var name = info.window_name || (win && win.name) || (info.window ? H.windowLabel(info.window) : null);
    if (name) {
      title.removeAttribute("data-i18n");
      title.textContent = H.windowLabel(info.window || (win && win.window), name);
      document.title = title.textContent;
    }
    H.$("hall-name").textContent = info.hall_name || "";
  }

  function setPill(node, cls, text) {
    node.className = "pill " + (cls || "");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function render() {
    renderHeader();
    if (mode !== "staff") {
      return;
    }
    if (!win) {
      show("connecting-view");
      return;
    }
    if (win.state === "closed") {
      show("signin-view");
      var input = H.$("staff-id");
      if (!input.value) {
        try {
          input.value = window.localStorage.getItem(STAFF_KEY) || "";
        } catch (e) {
          /* no storage */
        }
      }
      return;
    }
    show("staff-view");
    var ts = win.ticket ? win.ticket_state : null;
    var inHand = ts === "called" || ts === "serving";
    var no = H.$("current-no");
    if (win.ticket && inHand) {
      no.textContent = win.ticket;
      no.className = "no num";
      setPill(H.$("current-state"), ts, t("state." + ts));
    } else {
      no.textContent = t("pad.no_ticket");
      no.className = "no none";
      setPill(H.$("current-state"), "", "");
    }
    var paused = win.state === "paused";
    setPill(H.$("window-state"), win.state, t("wstate." + win.state));
    H.$("staff-line").textContent = win.staff ? t("pad.rate.staff", { staff: win.staff }) : "";
    H.$("served-line").textContent = t("pad.served", { n: win.served || 0 });
    H.$("paused-line").textContent = paused ? t("pad.paused", { reason: win.paused_reason || "" }) : "";

    var enabled = {
      "call.next": !paused,
      "call.recall": ts === "called",
      "call.no_show": ts === "called",
      "ticket.start": ts === "called",
      "ticket.finish": inHand,
      transfer: inHand,
      pause: !paused,
      "window.resume": paused,
      close: !inHand
    };
    var buttons = document.querySelectorAll("[data-op]");
    for (var i = 0; i < buttons.length; i++) {
      var op = buttons[i].getAttribute("data-op");
      buttons[i].disabled = busy || !enabled[op];
    }
    /* Pause and resume share a place: only one is shown. */
    document.querySelector('[data-op="pause"]').hidden = paused;
    document.querySelector('[data-op="window.resume"]').hidden = !paused;
  }

  /* ---- requests ------------------------------------------------------------------------- */
  function toast(text, isError) {
    var node = H.$("toast");
    node.textContent = text;
    node.className = "toast" + (isError ? " error" : "");
    node.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () {
      node.hidden = true;
    }, isError ? 5000 : 2500);
  }

  function run(op, args) {
    busy = true;
    render();
    return device
      .request(op, args || {})
      .then(function (result) {
        busy = false;
        if (result.window) {
          win = Object.assign({}, win || {}, {
            state: result.window.state,
            staff: result.window.staff,
            ticket: result.window.ticket,
            paused_reason: result.window.paused_reason
          });
        }
        render();
        return result;
      })
      .catch(function (error) {
        busy = false;
        render();
        toast(t("common.error", { msg: H.errorText(error) }), true);
        throw error;
      });
  }

  function ignore() {
    /* shown to the person already */
  }

  var actions = {
    "call.next": function () {
      run("call.next").then(function (result) {
        if (!result.ticket) {
          toast(t("pad.nobody"), false);
        }
      }, ignore);
    },
    "call.recall": function () {
      run("call.recall").catch(ignore);
    },
    "call.no_show": function () {
      run("call.no_show").catch(ignore);
    },
    "ticket.start": function () {
      run("ticket.start").catch(ignore);
    },
    "ticket.finish": function () {
      var staff = win && win.staff;
      run("ticket.finish").then(function (result) {
        var ticket = result.ticket || {};
        if (ticket.no && ticket.state === "done") {
          startRating(ticket.no, staff);
        }
      }, ignore);
    },
    transfer: openTransfer,
    pause: openPause,
    "window.resume": function () {
      run("window.resume").catch(ignore);
    },
    close: function () {
      openDialog("close-dialog");
    }
  };

  var buttons = document.querySelectorAll("[data-op]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      button.addEventListener("click", function () {
        var action = actions[button.getAttribute("data-op")];
        if (action && !busy) {
          action();
        }
      });
    })(buttons[i]);
  }

  H.$("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var staff = H.$("staff-id").value.trim();
    if (!staff) {
      H.$("staff-id").focus();
      return;
    }
    try {
      window.localStorage.setItem(STAFF_KEY, staff);
    } catch (e) {
      /* no storage */
    }
    run("window.open", { staff: staff }).catch(ignore);
  });

  /* ---- dialogs ---------------------------------------------------------------------------- */
  var lastFocus = null;
  function openDialog(id) {
    lastFocus = document.activeElement;
    H.$(id).hidden = false;
    var first = H.$(id).querySelector("button:not([disabled]), input");
    if (first) {
      first.focus();
    }
  }

  function closeDialogs() {
    ["transfer-dialog", "pause-dialog", "close-dialog"].forEach(function (id) {
      H.$(id).hidden = true;
    });
    if (lastFocus && lastFocus.focus) {
      lastFocus.focus();
    }
  }

  var closers = document.querySelectorAll("[data-close]");
  for (i = 0; i < closers.length; i++) {
    closers[i].addEventListener("click", closeDialogs);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeDialogs();
    }
  });

  function loadServices() {
    if (services.length || !window.fetch) {
      return Promise.resolve();
    }
    /* The hub sends the guidance list to device pages; the public list is the fallback. */
    return window
      .fetch("/api/services", { credentials: "same-origin" })
      .then(function (r) {
        return r.ok ? r.json() : { services: [] };
      })
      .then(function (body) {
        services = body.services || [];
      })
      .catch(ignore);
  }

  function openTransfer() {
    loadServices().then(function () {
      var box = H.clear(H.$("transfer-choices"));
      var own = win && win.ticket ? win.ticket.charAt(0) : null; // "A001" is service A's
      services.forEach(function (s) {
        box.appendChild(
          el("button", {
            type: "button",
            class: "btn secondary",
            disabled: s.code === own,
            "data-service": s.code,
            text: s.code + " " + s.name,
            onclick: function () {
              closeDialogs();
              run("ticket.transfer", { service: s.code }).catch(ignore);
            }
          })
        );
      });
      openDialog("transfer-dialog");
    });
  }

  var pauseReason = "";
  function setReason(reason) {
    pauseReason = reason;
    var choices = H.$("pause-choices").querySelectorAll("button");
    for (var k = 0; k < choices.length; k++) {
      choices[k].setAttribute("aria-pressed", choices[k].getAttribute("data-reason") === reason && !H.$("pause-other").value.trim() ? "true" : "false");
    }
    H.$("pause-submit").disabled = !currentReason();
  }

  function currentReason() {
    return H.$("pause-other").value.trim() || pauseReason;
  }

  function openPause() {
    var box = H.clear(H.$("pause-choices"));
    REASONS.forEach(function (key) {
      var text = t(key);
      box.appendChild(
        el("button", {
          type: "button",
          class: "btn secondary",
          "data-reason": text,
          "aria-pressed": "false",
          text: text,
          onclick: function () {
            H.$("pause-other").value = "";
            setReason(text);
          }
        })
      );
    });
    H.$("pause-other").value = "";
    setReason("");
    openDialog("pause-dialog");
  }

  H.$("pause-other").addEventListener("input", function () {
    setReason(pauseReason);
  });
  H.$("pause-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = currentReason();
    if (!reason) {
      return;
    }
    closeDialogs();
    run("window.pause", { reason: reason.slice(0, 200) }).catch(ignore);
  });

  H.$("close-confirm").addEventListener("click", function () {
    closeDialogs();
    run("window.close").catch(ignore);
  });

  /* ---- the citizen's rating ----------------------------------------------------------------- */
  function startRating(ticketNo, staff) {
    mode = "rate";
    rating = { ticket: ticketNo, staff: staff };
    H.$("rate-staff").textContent = staff ? t("pad.rate.staff", { staff: staff }) : "";
    var where = [];
    if (info.window_name || info.window) {
      where.push(H.windowLabel(info.window, info.window_name));
    }
    where.push(t("pad.rate.ticket", { no: ticketNo }));
    H.$("rate-where").textContent = where.join(" · ");
    renderRateButtons();
    show("rate-view");
    window.clearTimeout(rateTimer);
    rateTimer = window.setTimeout(backToStaff, RATE_TIMEOUT_MS);
  }

  function renderRateButtons() {
    var box = H.clear(H.$("rate-buttons"));
    LEVELS.forEach(function (level) {
      var stars = new Array(level + 1).join("★") + new Array(6 - level).join("☆");
      box.appendChild(
        el(
          "button",
          {
            type: "button",
            class: "rate-btn l" + level,
            "data-level": level,
            "aria-label": level + " " + t("rate." + level),
            onclick: function () {
              submitRating(level);
            }
          },
          [
            el("span", { class: "face", "aria-hidden": "true", text: stars }),
            el("span", { class: "label", text: t("rate." + level) })
          ]
        )
      );
    });
  }

  function submitRating(level) {
    if (!rating || busy) {
      return;
    }
    busy = true;
    window.clearTimeout(rateTimer);
    device
      .request("eval.submit", { ticket: rating.ticket, level: level })
      .then(function () {
        busy = false;
        mode = "thanks";
        show("thanks-view");
        rateTimer = window.setTimeout(backToStaff, THANKS_MS);
      })
      .catch(function (error) {
        busy = false;
        backToStaff();
        toast(t("common.error", { msg: H.errorText(error) }), true);
      });
  }

  function backToStaff() {
    window.clearTimeout(rateTimer);
    mode = "staff";
    rating = null;
    render();
  }

  H.$("rate-skip").addEventListener("click", backToStaff);

  document.addEventListener("langchange", function () {
    render();
    if (mode === "rate" && rating) {
      var keep = rating;
      startRating(keep.ticket, keep.staff);
    }
  });

  show("connecting-view");
  window.hallPad = {
    device: device,
    state: function () {
      return win;
    },
    mode: function () {
      return mode;
    }
  };
})();
