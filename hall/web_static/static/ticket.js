/* A ticket's status on the citizen's phone (what the printed QR code opens): polls
 * GET /api/public/tickets/<no> every 5 s. Only the ticket: no personal data. */
(function () {
  "use strict";

  var H = window.Hall;
  var t = H.t;
  var POLL_MS = 5000;

  var no = H.pathTail("/t/");
  var ticket = null;
  var hallName = "";
  var updatedAt = null;
  var problem = null; // "not_found" | "offline"

  function stateWords(tk) {
    var win = tk.window ? H.windowLabel(tk.window) : "";
    if (tk.state === "called") {
      return t("ticket.go", { window: win });
    }
    return t("state." + tk.state);
  }

  function whereWords(tk) {
    var win = tk.window ? H.windowLabel(tk.window) : "";
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
      problemNode.textContent = t("ticket.not_found") + (no ? "：" + no : "");
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
      var service = ticket.service_name || ticket.service || "";
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
      H.$("t-eta").textContent = waiting ? H.fmtWait(ticket.eta_s || 0) : "";
      H.$("t-where").textContent = whereWords(ticket);
      document.title = ticket.no + " · " + stateWords(ticket);
    }
    H.$("updated").textContent = updatedAt ? t("ticket.updated", { t: H.fmtTime(updatedAt.toISOString()) }) : "";
  }

  function poll() {
    window
      .fetch("/api/public/tickets/" + encodeURIComponent(no), {
        headers: { Accept: "application/json" },
        cache: "no-store"
      })
      .then(function (response) {
        if (response.status === 404) {
          problem = "not_found";
          ticket = null;
          return null;
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json().then(function (body) {
          ticket = body.ticket || null;
          hallName = (ticket && ticket.hall_name) || hallName;
          problem = null;
        });
      })
      .catch(function () {
        problem = "offline";
      })
      .then(function () {
        updatedAt = new Date();
        render();
        window.setTimeout(poll, POLL_MS);
      });
  }

  document.addEventListener("langchange", render);
  render();
  poll();
})();
