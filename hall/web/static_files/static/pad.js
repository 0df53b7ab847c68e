/* The window pad: the page is the contract device /ws/device/<device> (a window_pad bound to
 * one window). Staff side: sign in; the window's waiting list (sent by the hub on every
 * change), call next or a chosen ticket, recall (up to the hall's cap), no-show and requeue,
 * start, finish with the services done, transfer to a service, window or clerk at the front
 * or back, pause with a reason, resume, sign off; every action is confirmed in a dialog
 * (Enter confirms, Escape cancels). A manager's pause or close shows at once. Citizen side:
 * after a finish, the 好差评 rating. */
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

  var info = { window: null, window_name: null, hall_name: null };
  var win = null; // the retained `state` of this device: window, state, ticket, ticket_state, staff…
  var services = [];
  var queue = { total: 0, tickets: [] }; // the window's waiting list, as `window.queue`
  var queueAt = Date.now();
  var noShows = []; // numbers this pad marked no-show, newest first (for the requeue dialog)
  var asked = false; // a request of this pad is on its way: a change it makes is no surprise
  var mode = "staff"; // staff | rate | thanks
  var rating = null; // {ticket, staff}
  var rateTimer = null;
  var busy = false;
  var toaster = new H.Toast(H.$("toast"), 5000);

  var device = H.devicePage("/pad/", {
    onmessage: function (message) {
      if (message.type === "state" && message.state) {
        noticeManager(win, message.state);
        win = message.state;
        render();
      } else if (message.type === "queue") {
        queue = message;
        queueAt = Date.now();
        renderQueue();
      } else if (message.type === "device") {
        info = message;
        renderHeader();
      } else if (message.type === "services" && Array.isArray(message.services)) {
        services = message.services;
        render(); // the window's services are shown by name
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
    H.$("window-services").textContent = win.services
      ? t("pad.window_services", { list: win.services.map(serviceName).join("、") })
      : "";
    H.$("served-line").textContent = t("pad.served", { n: win.served || 0 });
    H.$("paused-line").textContent = paused ? t("pad.paused", { reason: win.paused_reason || "" }) : "";
    var cap = win.recall_cap || 0;
    var recalls = win.recalls || 0;
    H.$("recall-line").textContent = inHand && cap ? t("pad.recalls", { n: recalls, cap: cap }) : "";

    var enabled = {
      "call.next": !paused,
      "call.recall": ts === "called" && (!cap || recalls < cap),
      "call.no_show": ts === "called",
      "ticket.start": ts === "called",
      "ticket.finish": inHand,
      transfer: inHand,
      requeue: true,
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
    renderQueue();
    document.dispatchEvent(new CustomEvent("padstate")); /* scans.js follows the ticket in hand */
  }

  function waitedText(seconds) {
    return t("pad.queue.waited", { t: H.fmtDuration(seconds) });
  }

  /* The waiting list: each line a button that calls that ticket (after a confirmation). */
  function renderQueue() {
    var list = H.clear(H.$("queue-list"));
    var tickets = queue.tickets || [];
    var elapsed = (Date.now() - queueAt) / 1000;
    var paused = !win || win.state !== "open";
    H.$("queue-total").textContent = t("pad.queue.total", { n: queue.total || 0 });
    if (!tickets.length) {
      list.appendChild(el("li", { class: "empty", text: t("pad.queue.empty") }));
    }
    tickets.forEach(function (ticket) {
      var service = serviceName(ticket.service);
      var tags = [];
      if (ticket.priority !== "normal") {
        tags.push(el("span", { class: "pill " + ticket.priority, text: t("kiosk.ticket." + ticket.priority) }));
      }
      if (ticket.for_window) {
        tags.push(el("span", { class: "pill called", text: t("pad.queue.for_you") }));
      }
      if (ticket.visit) {
        tags.push(el("span", { class: "pill no_show", text: t("pad.queue.visit") }));
      }
      list.appendChild(
        el("li", { "data-ticket": ticket.no }, [
          el(
            "button",
            {
              type: "button",
              class: "queue-item",
              disabled: busy || paused,
              "aria-label": t("pad.queue.call", { no: ticket.no }),
              onclick: function () {
                confirmThen(t("pad.confirm.call.ticket", { no: ticket.no }), function () {
                  act("call.ticket", { no: ticket.no });
                });
              }
            },
            [
              el("span", { class: "no num", text: ticket.no }),
              el("span", { class: "what" }, [
                el("span", { class: "service", text: service + (ticket.name ? " · " + ticket.name : "") }),
                el("span", { class: "tags" }, tags)
              ]),
              el("span", { class: "waited", text: waitedText((ticket.waited_s || 0) + elapsed) })
            ]
          )
        ])
      );
    });
    var more = (queue.total || 0) - tickets.length;
    H.$("queue-more").hidden = more <= 0;
    H.$("queue-more").textContent = more > 0 ? t("pad.queue.more", { n: more }) : "";
  }

  function serviceName(code) {
    for (var k = 0; k < services.length; k++) {
      if (services[k].code === code) {
        return code + " " + H.serviceName(services[k]);
      }
    }
    return code;
  }

  /* A manager's pause or close (not asked for by this pad) is shown at once, until seen. */
  function noticeManager(before, after) {
    if (!before || asked || before.state === after.state) {
      return;
    }
    var text = null;
    if (after.state === "paused") {
      text = t("pad.manager.paused", { reason: after.paused_reason || "" });
    } else if (after.state === "closed") {
      text = t("pad.manager.closed");
    }
    if (text) {
      H.$("manager-text").textContent = text;
      H.$("manager-notice").hidden = false;
      toast(text, true);
    }
  }

  /* ---- requests ------------------------------------------------------------------------- */
  /* A refusal as the clerk reads it; a locked staff number says for how long. */
  function errorMessage(error) {
    if (error && error.code === "account_locked") {
      return t("err.account_locked", { t: H.fmtDuration(error.retry_after_s) });
    }
    return H.errorText(error);
  }

  function toast(text, isError) {
    toaster.show(text, isError);
  }

  function run(op, args) {
    busy = true;
    asked = true;
    H.$("manager-notice").hidden = true;
    render();
    return device
      .request(op, args || {})
      .then(function (result) {
        busy = false;
        asked = false;
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
        asked = false;
        render();
        toast(t("common.error", { msg: errorMessage(error) }), true);
        throw error;
      });
  }

  /* Carry out `op` and say what was done ("已叫 A001 号"). */
  function act(op, args) {
    var before = win && win.ticket;
    return run(op, args).then(function (result) {
      var ticket = result.ticket;
      var no = (ticket && ticket.no) || (args && args.no) || before || "";
      if (op === "call.no_show" && no) {
        noShows = [no].concat(noShows.filter(function (n) { return n !== no; })).slice(0, 6);
      }
      if ((op === "call.next" || op === "call.ticket") && !ticket) {
        toast(t("pad.nobody"), false);
      } else {
        toast(t("pad.done." + op, { no: no }), false);
      }
      return result;
    }, function (error) {
      throw error;
    });
  }

  /* Ask before every action: Enter (or a tap on 确定) confirms, Escape cancels. */
  var confirmed = null;
  function confirmThen(text, then) {
    H.$("confirm-title").textContent = text;
    confirmed = then;
    openDialog("confirm-dialog", "confirm-ok");
  }

  H.$("confirm-ok").addEventListener("click", function () {
    var then = confirmed;
    confirmed = null;
    closeDialogs();
    if (then) {
      then();
    }
  });

  function confirmOp(op) {
    return function () {
      var no = (win && win.ticket) || "";
      confirmThen(t("pad.confirm." + op, { no: no }), function () {
        act(op).catch(ignore);
      });
    };
  }

  function ignore() {
    /* shown to the person already */
  }

  var actions = {
    "call.next": confirmOp("call.next"),
    "call.recall": confirmOp("call.recall"),
    "call.no_show": confirmOp("call.no_show"),
    "ticket.start": confirmOp("ticket.start"),
    "ticket.finish": openFinish,
    transfer: openTransfer,
    requeue: openRequeue,
    pause: openPause,
    "window.resume": confirmOp("window.resume"),
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
    var pin = H.$("staff-pin").value;
    var args = pin ? { staff: staff, pin: pin } : { staff: staff };
    H.$("staff-pin").value = "";
    H.$("signin-error").hidden = true;
    run("window.open", args).catch(function (error) {
      /* Said on the form itself, until the next try: wrong, or locked and for how long. */
      H.$("signin-error").textContent = errorMessage(error);
      H.$("signin-error").hidden = false;
    });
  });

  /* ---- dialogs ---------------------------------------------------------------------------- */
  var lastFocus = null;
  var DIALOGS = ["confirm-dialog", "transfer-dialog", "finish-dialog", "requeue-dialog", "pause-dialog", "close-dialog"];

  function openDialog(id, focusId) {
    lastFocus = document.activeElement;
    H.$(id).hidden = false;
    var first = focusId ? H.$(focusId) : H.$(id).querySelector("button:not([disabled]), input");
    if (first) {
      first.focus();
    }
  }

  function closeDialogs() {
    confirmed = null;
    DIALOGS.forEach(function (id) {
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
    } else if (event.key === "Enter" && !H.$("confirm-dialog").hidden && document.activeElement !== H.$("confirm-ok")) {
      event.preventDefault();
      H.$("confirm-ok").click();
    }
  });
  H.$("manager-ok").addEventListener("click", function () {
    H.$("manager-notice").hidden = true;
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

  /* Toggle buttons: the one whose `attr` equals `value` is pressed. */
  function press(box, attr, value) {
    var all = box.querySelectorAll("[" + attr + "]");
    for (var k = 0; k < all.length; k++) {
      all[k].setAttribute("aria-pressed", all[k].getAttribute(attr) === value ? "true" : "false");
    }
  }

  var transferTo = { kind: "service", target: "", position: "" };

  function transferArgs() {
    var args = {};
    var target = transferTo.kind === "staff" ? H.$("transfer-staff").value.trim() : transferTo.target;
    if (!target) {
      return null;
    }
    args[transferTo.kind] = target;
    if (transferTo.position) {
      args.position = transferTo.position;
    }
    return args;
  }

  function renderTransfer() {
    var box = H.clear(H.$("transfer-choices"));
    var own = win && win.ticket ? win.ticket.charAt(0) : null; // "A001" is service A's
    press(H.$("transfer-kinds"), "data-kind", transferTo.kind);
    press(H.$("transfer-positions"), "data-position", transferTo.position);
    H.$("transfer-staff-field").hidden = transferTo.kind !== "staff";
    box.hidden = transferTo.kind === "staff";
    var choices = [];
    if (transferTo.kind === "service") {
      choices = services.map(function (s) {
        return { value: s.code, text: s.code + " " + H.serviceName(s), disabled: s.code === own, attr: "data-service" };
      });
    } else if (transferTo.kind === "window") {
      choices = (info.windows || []).map(function (w) {
        return { value: w.id, text: H.windowLabel(w.id, w.name), disabled: w.id === info.window, attr: "data-window" };
      });
    }
    choices.forEach(function (c) {
      var attrs = {
        type: "button",
        class: "btn secondary",
        disabled: c.disabled,
        "aria-pressed": c.value === transferTo.target ? "true" : "false",
        text: c.text,
        onclick: function () {
          transferTo.target = c.value;
          renderTransfer();
        }
      };
      attrs[c.attr] = c.value;
      box.appendChild(el("button", attrs));
    });
    H.$("transfer-confirm").disabled = !transferArgs();
  }

  function openTransfer() {
    loadServices().then(function () {
      transferTo = { kind: "service", target: "", position: "" };
      H.$("transfer-staff").value = "";
      renderTransfer();
      openDialog("transfer-dialog");
    });
  }

  function onToggle(boxId, attr, apply) {
    H.$(boxId).addEventListener("click", function (event) {
      var button = event.target.closest("[" + attr + "]");
      if (button) {
        apply(button.getAttribute(attr));
        renderTransfer();
      }
    });
  }
  onToggle("transfer-kinds", "data-kind", function (kind) {
    transferTo.kind = kind;
    transferTo.target = "";
    if (kind === "staff") {
      window.setTimeout(function () {
        H.$("transfer-staff").focus();
      }, 0);
    }
  });
  onToggle("transfer-positions", "data-position", function (position) {
    transferTo.position = position;
  });
  H.$("transfer-staff").addEventListener("input", function () {
    H.$("transfer-confirm").disabled = !transferArgs();
  });
  H.$("transfer-staff").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && transferArgs()) {
      H.$("transfer-confirm").click();
    }
  });
  H.$("transfer-confirm").addEventListener("click", function () {
    var args = transferArgs();
    if (!args) {
      return;
    }
    closeDialogs();
    act("ticket.transfer", args).catch(ignore);
  });

  /* Finish: which services were done (the ticket's own preselected), at least one. */
  var servicesDone = [];
  function renderFinish() {
    var box = H.clear(H.$("finish-choices"));
    services.forEach(function (s) {
      var on = servicesDone.indexOf(s.code) >= 0;
      box.appendChild(
        el("button", {
          type: "button",
          class: "btn secondary",
          "data-service": s.code,
          "aria-pressed": on ? "true" : "false",
          text: s.code + " " + s.name,
          onclick: function () {
            servicesDone = on
              ? servicesDone.filter(function (c) { return c !== s.code; })
              : servicesDone.concat([s.code]);
            renderFinish();
            H.$("finish-choices").querySelector('[data-service="' + s.code + '"]').focus();
          }
        })
      );
    });
    H.$("finish-confirm").disabled = !servicesDone.length;
  }

  function openFinish() {
    loadServices().then(function () {
      var no = (win && win.ticket) || "";
      servicesDone = no ? [no.charAt(0)] : [];
      H.$("finish-title").textContent = t("pad.finish.title", { no: no });
      renderFinish();
      openDialog("finish-dialog", "finish-confirm");
    });
  }

  H.$("finish-confirm").addEventListener("click", function () {
    var staff = win && win.staff;
    var done = services
      .map(function (s) { return s.code; })
      .filter(function (code) { return servicesDone.indexOf(code) >= 0; });
    closeDialogs();
    act("ticket.finish", { services_done: done }).then(function (result) {
      var ticket = result.ticket || {};
      if (ticket.no && ticket.state === "done") {
        startRating(ticket.no, staff);
      }
    }, ignore);
  });

  /* Requeue a no-show: one this pad marked, or any number typed in. */
  function openRequeue() {
    var box = H.clear(H.$("requeue-choices"));
    noShows.forEach(function (no) {
      box.appendChild(
        el("button", {
          type: "button",
          class: "btn secondary num",
          "data-ticket": no,
          text: no,
          onclick: function () {
            H.$("requeue-no").value = no;
            H.$("requeue-confirm").focus();
          }
        })
      );
    });
    H.$("requeue-no").value = noShows[0] || "";
    openDialog("requeue-dialog", "requeue-no");
  }

  H.$("requeue-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var no = H.$("requeue-no").value.trim().toUpperCase();
    if (!/^[A-Z][0-9]{3}$/.test(no)) {
      H.$("requeue-no").focus();
      return;
    }
    closeDialogs();
    act("ticket.requeue", { no: no }).then(function () {
      noShows = noShows.filter(function (n) { return n !== no; });
    }, ignore);
  });

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
    act("window.pause", { reason: reason.slice(0, 200) }).catch(ignore);
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
        toast(t("common.error", { msg: errorMessage(error) }), true);
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
    },
    queue: function () {
      return queue;
    },
    services: function () {
      return services;
    }
  };
})();
