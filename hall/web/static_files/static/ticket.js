/* A ticket's status on the citizen's phone (what the printed QR code opens): live over
 * /ws/ticket/<no>, which sends the ticket's public view when it changes (no polling); only
 * the ticket, no personal data. The page alerts — vibration, a chime and the page title —
 * once when `alert_ahead` people or fewer are left ahead, and each time the ticket is called
 * (a recall too). Phones let a page vibrate and sound only after a touch: the page asks for
 * one with its "turn on alerts" button. */
(function () {
  "use strict";

  var H = window.Hall;
  var t = H.t;
  var VIBRATE = { near: [200, 100, 200], called: [500, 150, 500, 150, 500] };
  var ENDED = { done: true, no_show: true, cancelled: true };

  var no = H.pathTail("/t/");
  /* A number no hall gives (a letter and three digits: A001) is not found, and nothing is
   * followed: the hub refuses its socket, which would otherwise be retried for ever. */
  var isTicketNo = /^[A-Z][0-9]{3}$/.test(no);
  var ticket = null;
  var hallName = "";
  var updatedAt = null;
  var problem = isTicketNo ? null : "not_found"; // "not_found" | "offline"
  var pageUrl = "";
  var alertAhead = 3;
  var nearAlerted = false;
  var calledAlerted = ""; // called_at and recalls of the call last alerted
  var alertText = "";
  var alerts = []; // {kind, vibrated, sounded}: for whoever looks (and the tests)
  var alertsOn = false;

  var socket = isTicketNo && new H.LiveSocket("/ws/ticket/" + encodeURIComponent(no), {
    onmessage: function (message) {
      if (message.type === "page") {
        pageUrl = message.url || "";
        H.setZone(message.timezone); // "Updated" in the hall's clock, not the phone's zone
        if (typeof message.alert_ahead === "number") {
          alertAhead = message.alert_ahead;
        }
      } else if (message.type === "ticket" && message.ticket) {
        ticket = message.ticket;
        hallName = ticket.hall_name || hallName;
        problem = null;
        updatedAt = new Date();
        checkAlerts();
        render();
      } else if (message.type === "not_found") {
        socket.stopped = true; // a number this hall did not give today: nothing will come
        problem = "not_found";
        ticket = null;
        render();
      }
    },
    onclose: function () {
      if (problem !== "not_found") {
        problem = "offline";
        render();
      }
    }
  });

  function stateWords(tk) {
    var win = tk.window ? H.windowLabel(tk.window, tk.window_name) : "";
    if (tk.state === "called") {
      return t("ticket.go", { window: win });
    }
    return t("state." + tk.state);
  }

  function whereWords(tk) {
    var win = tk.window ? H.windowLabel(tk.window, tk.window_name) : "";
    switch (tk.state) {
      case "waiting":
        return t("ticket.where.waiting");
      case "called":
        return t("ticket.go", { window: win });
      case "serving":
        return t("ticket.where.serving", { window: win });
      case "done":
        return t("ticket.where.done");
      case "no_show":
        return t("ticket.where.no_show");
      case "cancelled":
        return t("ticket.where.cancelled");
      default:
        return t("common.dash");
    }
  }

  /* ---- alerts ------------------------------------------------------------------------- */
  function checkAlerts() {
    if (ticket.state === "waiting" && (ticket.ahead || 0) <= alertAhead && !nearAlerted) {
      nearAlerted = true;
      alertText = t("ticket.alert.near", { n: ticket.ahead || 0 });
      notify("near");
    } else if (ticket.state === "called") {
      var call = String(ticket.called_at) + "/" + String(ticket.recalls || 0);
      if (call !== calledAlerted) {
        calledAlerted = call;
        nearAlerted = true;
        alertText = stateWords(ticket);
        notify("called");
      }
    } else if (ticket.state !== "waiting") {
      alertText = "";
    }
  }

  function notify(kind) {
    var vibrated = false;
    if (typeof navigator.vibrate === "function") {
      try {
        vibrated = navigator.vibrate(VIBRATE[kind]) === true;
      } catch (e) {
        vibrated = false;
      }
    }
    var entry = { kind: kind, vibrated: vibrated, sounded: false };
    alerts.push(entry);
    window.HallChime.play(kind === "called" ? "call" : "near").then(function (played) {
      entry.sounded = played;
    });
  }

  function renderAlerts() {
    var box = H.$("t-alert");
    var ended = ticket && ENDED[ticket.state];
    box.hidden = !alertText || Boolean(ended);
    box.textContent = alertText;
    box.className = "ticket-alert" + (ticket && ticket.state === "called" ? " called" : "");
    H.$("t-alerts-on").hidden = alertsOn || !ticket || Boolean(ended);
  }

  H.$("t-alerts-on").addEventListener("click", function () {
    alertsOn = true;
    window.HallChime.unlock();
    if (typeof navigator.vibrate === "function") {
      navigator.vibrate(50); // a touch now lets the page vibrate later
    }
    render();
  });

  /* ---- the page ----------------------------------------------------------------------- */
  function render() {
    var status = H.$("status");
    var problemNode = H.$("problem");
    if (hallName) {
      var name = H.$("hall-name");
      name.removeAttribute("data-i18n");
      name.textContent = hallName;
    }
    if (problem === "not_found") {
      status.hidden = true;
      problemNode.hidden = false;
      problemNode.textContent = no ? t("ticket.not_found.no", { no: no.slice(0, 16) }) : t("ticket.not_found");
    } else if (problem === "offline" && !ticket) {
      status.hidden = true;
      problemNode.hidden = false;
      problemNode.textContent = t("ticket.offline");
    } else {
      problemNode.hidden = problem !== "offline";
      problemNode.textContent = problem === "offline" ? t("ticket.offline") : "";
    }
    if (ticket && problem !== "not_found") {
      status.hidden = false;
      H.$("t-no").textContent = ticket.no;
      var english = window.I18N.lang === "en" && ticket.service_name_en;
      var service = english || ticket.service_name || ticket.service || "";
      H.$("t-service").textContent = service + (ticket.priority === "green" ? " · " + t("ticket.green") : "");
      var state = H.$("t-state");
      state.textContent = stateWords(ticket);
      state.className = "state " + ticket.state;
      state.setAttribute("data-state", ticket.state);
      var waiting = ticket.state === "waiting";
      ["t-ahead-label", "t-ahead", "t-eta-label", "t-eta"].forEach(function (id) {
        H.$(id).hidden = !waiting;
      });
      H.$("t-ahead").textContent = waiting ? t("common.people", { n: ticket.ahead || 0 }) : "";
      H.$("t-eta").textContent = waiting ? H.fmtEta(ticket.eta_s, ticket.eta_reason) : "";
      H.$("t-where").textContent = whereWords(ticket);
      /* The title is what a phone shows in its tab list: the alert first while there is one. */
      var title = ticket.no + " · " + stateWords(ticket);
      document.title = alertText && !ENDED[ticket.state] ? "【" + alertText + "】" + title : title;
    }
    renderAlerts();
    showQr(Boolean(ticket) && problem !== "not_found");
    H.$("updated").textContent = updatedAt ? t("ticket.updated", { t: H.fmtTime(updatedAt.toISOString()) }) : "";
  }

  /* This page's own QR code (drawn by the hub), so a companion can follow the ticket too. */
  function showQr(visible) {
    var box = H.$("t-qr");
    var img = H.$("t-qr-img");
    if (visible && !img.getAttribute("src")) {
      var path = "/t/" + encodeURIComponent(no);
      var url = pageUrl || window.location.origin + path;
      img.setAttribute("alt", url);
      img.setAttribute("data-url", url);
      img.setAttribute("src", path + "/qr.svg");
    }
    box.hidden = !visible;
  }

  document.addEventListener("langchange", render);
  render();

  window.hallTicket = { alerts: alerts };
})();
