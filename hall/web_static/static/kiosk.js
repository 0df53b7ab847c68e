/* The self-service kiosk: the page is the contract device /ws/device/<device>. A touch menu
 * of services (from the hub's `services` messages), the green channel, appointment check-in,
 * and the ticket shown large with a QR code of its status page, then back to the menu. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var TICKET_SHOWN_S = 20;
  var ERROR_SHOWN_MS = 12000;

  var deviceId = H.pathTail("/kiosk/");
  var services = [];
  var green = false;
  var busy = false;
  var countdown = null;
  var errorTimer = null;
  var lastTicket = null;
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
      if (message.type === "services" && Array.isArray(message.services)) {
        services = message.services;
        renderServices();
      } else if (message.type === "device") {
        if (message.hall_name) {
          var name = H.$("hall-name");
          name.removeAttribute("data-i18n");
          name.textContent = message.hall_name;
        }
      }
    }
  });

  function serviceByCode(code) {
    for (var i = 0; i < services.length; i++) {
      if (services[i].code === code) {
        return services[i];
      }
    }
    return null;
  }

  /* ---- the menu ----------------------------------------------------------------------- */
  function renderServices() {
    var grid = H.clear(H.$("services"));
    if (!services.length) {
      grid.appendChild(el("p", { class: "empty", text: t("kiosk.no_services") }));
      return;
    }
    services.forEach(function (s) {
      var accepting = s.accepting !== undefined ? s.accepting : s.open;
      var lines = [];
      if (!accepting) {
        lines.push(el("span", { class: "info", text: t("kiosk.closed") }));
      } else {
        var info = t("kiosk.waiting", { n: s.waiting || 0 });
        if (s.waiting) {
          info += " · " + t("kiosk.eta", { t: H.fmtWait(s.eta_s) });
        }
        lines.push(el("span", { class: "info", text: info }));
        if (s.open === false) {
          lines.push(el("span", { class: "info warn", text: t("kiosk.no_window") }));
        }
      }
      grid.appendChild(
        el(
          "button",
          {
            type: "button",
            class: "service-btn",
            "data-service": s.code,
            disabled: !accepting,
            "aria-disabled": accepting ? null : "true",
            onclick: function () {
              take({ service: s.code });
            }
          },
          [el("span", { class: "name" }, [el("span", { class: "code", text: s.code }), s.name])].concat(
            lines
          )
        )
      );
    });
  }

  var greenButton = H.$("green");
  function setGreen(on) {
    green = on;
    greenButton.setAttribute("aria-pressed", on ? "true" : "false");
  }
  greenButton.addEventListener("click", function () {
    setGreen(!green);
  });

  /* ---- taking a ticket ------------------------------------------------------------------- */
  function take(args) {
    if (busy) {
      return;
    }
    busy = true;
    if (green) {
      args.priority = "green";
    }
    hideAll();
    H.$("busy").hidden = false;
    device
      .request("ticket.take", args)
      .then(function (result) {
        busy = false;
        H.$("busy").hidden = true;
        setGreen(false);
        showTicket(result.ticket || {});
      })
      .catch(function (error) {
        busy = false;
        H.$("busy").hidden = true;
        showError(error);
      });
  }

  function showTicket(ticket) {
    lastTicket = ticket;
    var service = serviceByCode(ticket.service);
    H.$("ticket-no").textContent = ticket.no || "";
    H.$("ticket-service").textContent = t("kiosk.ticket.service", {
      name: service ? service.name : ticket.service || ""
    });
    var tags = H.clear(H.$("ticket-tags"));
    if (ticket.priority === "green") {
      tags.appendChild(el("span", { class: "pill serving", text: t("kiosk.ticket.green") }));
    } else if (ticket.priority === "appointment" || ticket.appointment) {
      tags.appendChild(el("span", { class: "pill called", text: t("kiosk.ticket.appointment") }));
    }
    var ahead = typeof ticket.ahead === "number" ? ticket.ahead : 0;
    H.$("ticket-ahead").textContent = t("kiosk.ticket.ahead", { n: ahead });
    H.$("ticket-eta").textContent = t("kiosk.ticket.eta", { t: H.fmtWait(ticket.eta_s || 0) });
    var qrBox = H.clear(H.$("ticket-qr"));
    var url = window.location.origin + "/t/" + encodeURIComponent(ticket.no || "");
    try {
      var code = window.QR.encode(url, { ecl: "M" });
      var svg = window.QR.toSvg(code, { border: 4, title: url });
      svg.setAttribute("data-url", url);
      qrBox.appendChild(svg);
    } catch (e) {
      qrBox.appendChild(el("p", { text: url }));
    }
    var materials = service && Array.isArray(service.materials) ? service.materials : [];
    var list = H.clear(H.$("ticket-materials-list"));
    materials.forEach(function (m) {
      list.appendChild(el("li", { text: String(m) }));
    });
    H.$("ticket-materials").hidden = materials.length === 0;
    H.$("ticket").hidden = false;
    var remaining = TICKET_SHOWN_S;
    var done = H.$("ticket-done");
    done.textContent = t("kiosk.ticket.back", { n: remaining });
    done.focus();
    window.clearInterval(countdown);
    countdown = window.setInterval(function () {
      remaining -= 1;
      if (remaining <= 0) {
        backToMenu();
      } else {
        done.textContent = t("kiosk.ticket.back", { n: remaining });
      }
    }, 1000);
  }

  function showError(error) {
    H.$("error-text").textContent = H.errorText(error);
    var detail = "";
    if (error && error.code && !window.I18N.has("err." + error.code) && error.message) {
      detail = error.message;
    }
    H.$("error-detail").textContent = detail;
    H.$("error").hidden = false;
    H.$("error-close").focus();
    window.clearTimeout(errorTimer);
    errorTimer = window.setTimeout(backToMenu, ERROR_SHOWN_MS);
  }

  function hideAll() {
    ["ticket", "error", "appointment", "busy"].forEach(function (id) {
      H.$(id).hidden = true;
    });
    window.clearInterval(countdown);
    window.clearTimeout(errorTimer);
  }

  function backToMenu() {
    hideAll();
    lastTicket = null;
  }

  H.$("ticket-done").addEventListener("click", backToMenu);
  H.$("error-close").addEventListener("click", backToMenu);

  /* ---- appointment check-in ---------------------------------------------------------------- */
  var codeInput = H.$("appointment-code");
  var keypad = H.$("keypad");
  ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete"].forEach(function (key) {
    var label = key === "clear" ? t("kiosk.appointment.clear") : key === "delete" ? t("kiosk.appointment.delete") : key;
    keypad.appendChild(
      el("button", {
        type: "button",
        class: "btn secondary",
        "data-key": key,
        text: label,
        onclick: function () {
          if (key === "clear") {
            codeInput.value = "";
          } else if (key === "delete") {
            codeInput.value = codeInput.value.slice(0, -1);
          } else if (codeInput.value.length < 64) {
            codeInput.value += key;
          }
        }
      })
    );
  });

  H.$("appointment-open").addEventListener("click", function () {
    hideAll();
    codeInput.value = "";
    H.$("appointment").hidden = false;
    codeInput.focus();
  });
  H.$("appointment-cancel").addEventListener("click", backToMenu);
  H.$("appointment-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = codeInput.value.trim();
    if (!code) {
      codeInput.focus();
      return;
    }
    take({ appointment: code });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !busy) {
      backToMenu();
    }
  });

  document.addEventListener("langchange", function () {
    renderServices();
    var keys = keypad.querySelectorAll("[data-key]");
    for (var i = 0; i < keys.length; i++) {
      var key = keys[i].getAttribute("data-key");
      if (key === "clear") {
        keys[i].textContent = t("kiosk.appointment.clear");
      } else if (key === "delete") {
        keys[i].textContent = t("kiosk.appointment.delete");
      }
    }
    if (lastTicket && !H.$("ticket").hidden) {
      var keep = lastTicket;
      showTicket(keep);
    }
  });

  window.hallKiosk = {
    device: device,
    services: function () {
      return services;
    }
  };
})();
