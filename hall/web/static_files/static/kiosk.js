/* The self-service kiosk: the page is the contract device /ws/device/<device>. A touch menu
 * of services (from the hub's `services` messages: a full or suspended one is shown so, and
 * cannot be tapped), the documents to bring before a ticket is taken, the green channel,
 * appointment check-in, the ID card prompt, a big-type mode, and the ticket shown large with
 * a QR code of its status page, then back to the menu.
 *
 * Nothing of one citizen is left for the next: after an error, and when nobody has touched
 * the kiosk for its idle time (the hall file's `idle_s`, or `?idle=<seconds>`), every choice
 * and dialog is undone. While the connection to the hub is down nothing can be tapped, so
 * nothing is kept to be sent later. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var TICKET_SHOWN_S = 20;
  var ERROR_SHOWN_MS = 12000;
  var DEFAULT_IDLE_S = 60;
  var DOCUMENTS_ON_CARD = 3; // more are counted, not listed: the dialog lists them all

  var services = [];
  var green = false;
  var busy = false;
  var online = false; /* the page's connection to the hub is up */
  var chosen = null; /* the service whose documents are shown, before its ticket is taken */
  var countdown = null;
  var errorTimer = null;
  var lastTicket = null;
  var idleQuery = Number(H.queryParam("idle"));
  var idleS = idleQuery > 0 ? idleQuery : DEFAULT_IDLE_S;
  var idleTimer = null;
  // The kiosk's own language (`?lang=`, else Chinese): a citizen's switch lasts until the
  // idle reset, so the next citizen finds the kiosk as the hall set it up.
  var homeLang = H.queryParam("lang") === "en" ? "en" : "zh";
  var publicUrl = ""; // where phones reach the hub ([http] public_url), from the hub

  var device = H.devicePage("/kiosk/", {
    onopen: function () {
      setOnline(true);
    },
    onclose: function () {
      setOnline(false);
    },
    onmessage: function (message) {
      if (message.type === "services" && Array.isArray(message.services)) {
        services = message.services;
        renderServices();
        refreshChosen();
      } else if (message.type === "device") {
        publicUrl = message.public_url || "";
        if (message.hall_name) {
          var name = H.$("hall-name");
          name.removeAttribute("data-i18n");
          name.textContent = message.hall_name;
        }
        H.$("id-card").hidden = !message.id_reader;
        if (!(idleQuery > 0) && message.idle_s > 0) {
          idleS = message.idle_s;
          armIdle();
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

  /* Whether the service issues a ticket now: open, within its hours, its cap not reached. */
  function takesTickets(s) {
    var accepting = s.accepting !== undefined ? s.accepting : s.open;
    return accepting && !s.full;
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
      var takes = takesTickets(s);
      var lines = [];
      if (H.serviceDescription(s)) {
        lines.push(el("span", { class: "desc", text: H.serviceDescription(s) }));
      }
      if (!accepting) {
        lines.push(el("span", { class: "info reason", text: t("kiosk.closed") }));
        if (s.hours) {
          lines.push(el("span", { class: "info", text: t("kiosk.hours", { from: s.hours[0], to: s.hours[1] }) }));
        }
      } else if (s.full) {
        lines.push(el("span", { class: "info reason", text: t("kiosk.full") }));
      } else {
        var info = t("kiosk.waiting", { n: s.waiting || 0 });
        var noEstimate = s.eta_s === null && Boolean(s.eta_reason);
        if (s.waiting && !noEstimate) {
          info += " · " + t("kiosk.eta", { t: H.fmtWait(s.eta_s) });
        }
        lines.push(el("span", { class: "info", text: info }));
        if (noEstimate) {
          // Why there is no estimate, in words (it also says no window serves it yet).
          lines.push(el("span", { class: "info warn eta-none", text: H.fmtEta(null, s.eta_reason) }));
        } else if (s.open === false) {
          lines.push(el("span", { class: "info warn", text: t("kiosk.no_window") }));
        }
      }
      if (s.documents && s.documents.length) {
        lines.push(el("span", { class: "info docs", text: documentsLine(s.documents) }));
      }
      grid.appendChild(
        el(
          "button",
          {
            type: "button",
            class: "service-btn",
            "data-service": s.code,
            "data-state": !accepting ? "closed" : s.full ? "full" : "open",
            disabled: !takes || !online,
            "aria-disabled": takes ? null : "true",
            onclick: function () {
              choose(s.code);
            }
          },
          [el("span", { class: "name" }, [el("span", { class: "code", text: s.code }), H.serviceName(s)])].concat(
            lines
          )
        )
      );
    });
  }

  /* A card names a few documents and how many there are in all, so a long list cannot push
   * the cards beside and below it off the screen. */
  function documentsLine(documents) {
    if (documents.length <= DOCUMENTS_ON_CARD) {
      return t("kiosk.documents", { list: documents.join("、") });
    }
    return t("kiosk.documents.more", {
      list: documents.slice(0, DOCUMENTS_ON_CARD).join("、"),
      n: documents.length
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

  /* ---- big type, for older citizens: larger text, fewer columns ---------------------------- */
  var bigTypeButton = H.$("big-type");
  function setBigType(on) {
    document.documentElement.classList.toggle("kiosk-big", on);
    bigTypeButton.setAttribute("aria-pressed", on ? "true" : "false");
  }
  bigTypeButton.addEventListener("click", function () {
    setBigType(bigTypeButton.getAttribute("aria-pressed") !== "true");
  });

  /* ---- online or not: while the hub cannot be reached, nothing can be tapped --------------- */
  function setOnline(on) {
    online = on;
    document.body.classList.toggle("offline", !on);
    if (!on) {
      // The banner says why nothing works (withBanner has just shown its general text).
      H.setBanner(H.$("banner"), true, "kiosk.offline");
      // A half-made choice is not kept to be sent once back; a ticket just issued stays
      // on screen (it needs nothing from the hub to be read).
      if (!busy && H.$("ticket").hidden) {
        backToMenu();
      }
    }
    var buttons = document.querySelectorAll("#menu button, #appointment button, #service-dialog button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = !on;
    }
    renderServices(); /* each service button is enabled again only if it takes tickets */
  }

  /* ---- choosing a service: its documents first, when it names any --------------------------- */
  function choose(code) {
    var s = serviceByCode(code);
    if (!s || !takesTickets(s) || !online || busy) {
      return;
    }
    if (s.documents && s.documents.length) {
      chosen = s.code;
      hideAll();
      renderChosen(s);
      H.$("service-dialog").hidden = false;
      /* The take button is at the bottom of a long list: the dialog still opens at its top,
       * the service's name in view. */
      H.$("service-dialog-take").focus({ preventScroll: true });
      H.$("service-dialog").querySelector(".dialog").scrollTop = 0;
    } else {
      take({ service: s.code });
    }
  }

  function renderChosen(s) {
    H.$("service-dialog-title").textContent = s.code + " " + H.serviceName(s);
    var description = H.$("service-dialog-description");
    description.textContent = H.serviceDescription(s);
    description.hidden = !description.textContent;
    var list = H.clear(H.$("service-dialog-documents"));
    (s.documents || []).forEach(function (d) {
      list.appendChild(el("li", { text: String(d) }));
    });
    H.$("service-dialog-green").hidden = !green;
  }

  /* The chosen service changed meanwhile (full, suspended, documents edited): show it so. */
  function refreshChosen() {
    if (chosen === null || H.$("service-dialog").hidden) {
      return;
    }
    var s = serviceByCode(chosen);
    if (!s || !takesTickets(s)) {
      backToMenu();
    } else {
      renderChosen(s);
    }
  }

  H.$("service-dialog-take").addEventListener("click", function () {
    if (chosen !== null) {
      take({ service: chosen });
    }
  });
  H.$("service-dialog-cancel").addEventListener("click", backToMenu);

  /* ---- taking a ticket ------------------------------------------------------------------- */
  function connected() {
    var ws = device.socket.ws;
    return online && ws !== null && ws.readyState === WebSocket.OPEN;
  }

  function take(args) {
    // Sent only on an open connection: the request goes out now, or not at all.
    if (busy || !connected()) {
      return;
    }
    busy = true;
    chosen = null;
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
      name: service ? H.serviceName(service) : ticket.service || ""
    });
    var tags = H.clear(H.$("ticket-tags"));
    if (ticket.priority === "green") {
      tags.appendChild(el("span", { class: "pill serving", text: t("kiosk.ticket.green") }));
    } else if (ticket.priority === "appointment" || ticket.appointment) {
      tags.appendChild(el("span", { class: "pill called", text: t("kiosk.ticket.appointment") }));
    }
    var ahead = typeof ticket.ahead === "number" ? ticket.ahead : 0;
    H.$("ticket-ahead").textContent = t("kiosk.ticket.ahead", { n: ahead });
    H.$("ticket-eta").textContent =
      ticket.eta_s === null || ticket.eta_s === undefined
        ? H.fmtEta(null, ticket.eta_reason)
        : t("kiosk.ticket.eta", { t: H.fmtWait(ticket.eta_s) });
    var qrBox = H.clear(H.$("ticket-qr"));
    var path = "/t/" + encodeURIComponent(ticket.no || "");
    var url = (publicUrl || window.location.origin) + path;
    // The hub draws the code (GET /t/<no>/qr.svg, the QR of <public_url>/t/<no>);
    // should the image not load, the address is shown as text instead.
    var img = el("img", { src: path + "/qr.svg", alt: url, "data-url": url });
    img.addEventListener("error", function () {
      qrBox.replaceChild(el("p", { text: url }), img);
    });
    qrBox.appendChild(img);
    var materials = service && Array.isArray(service.documents) ? service.documents : [];
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
    clearChoices(); /* the citizen starts again from the menu, with nothing chosen */
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
    ["ticket", "error", "appointment", "busy", "service-dialog"].forEach(function (id) {
      H.$(id).hidden = true;
    });
    window.clearInterval(countdown);
    window.clearTimeout(errorTimer);
  }

  /* Back to the menu with every choice undone: the green channel, the chosen service, a
   * typed code and any dialog (after a ticket, an error, or a cancel). */
  function backToMenu() {
    hideAll();
    lastTicket = null;
    clearChoices();
  }

  function clearChoices() {
    chosen = null;
    setGreen(false);
    codeInput.value = "";
  }

  /* ---- idle: a kiosk nobody touches goes back to how the next citizen expects it ----------- */
  function armIdle() {
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(onIdle, idleS * 1000);
  }

  function onIdle() {
    if (busy || !H.$("ticket").hidden) {
      // A ticket on its way, or on screen, is shown for its own time first.
      armIdle();
      return;
    }
    backToMenu();
    setBigType(false);
    if (window.I18N.lang !== homeLang) {
      window.I18N.set(homeLang);
    }
    armIdle();
  }

  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, armIdle, true);
  });

  H.$("ticket-done").addEventListener("click", backToMenu);
  H.$("error-close").addEventListener("click", backToMenu);

  /* ---- appointment check-in ---------------------------------------------------------------- */
  // A resident ID number (18 characters, or the old 15 digits) typed where the booking's code
  // goes is never sent: an ID number checks in only from a card on the reader.
  var ID_NUMBER = /^(\d{17}[\dXx]|\d{15})$/;
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
    if (!online) {
      return;
    }
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
    if (ID_NUMBER.test(code)) {
      codeInput.value = "";
      hideAll();
      showError({ code: "id_number_typed" });
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
    refreshChosen();
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

  setOnline(false);
  H.setBanner(H.$("banner"), false); /* not yet connected is not "connection lost" */
  armIdle();

  window.hallKiosk = {
    device: device,
    idleSeconds: function () {
      return idleS;
    },
    services: function () {
      return services;
    }
  };
})();
