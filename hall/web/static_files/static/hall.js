/* The hall settings page (/dashboard/hall): a manager changes the services (name, daily cap,
 * opening hours, documents, close/reopen, add), each window's services in order of
 * preference, the devices (name, window, enabled) and the screens' notice; each change is one
 * POST /api/hall/settings, applied by the hub at once and audited. An auditor sees it all
 * read-only. Closing a service, disabling a device and taking a service off a window are
 * confirmed first. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var WINDOW_KINDS = ["window_pad", "caller", "evaluator", "led_window"];
  var toaster = new H.Toast(H.$("toast"), 6000);
  var data = null;
  var drafts = {}; // window id -> its services being edited, in order

  /* ---- talking to the hub ----------------------------------------------------------------- */
  function load() {
    return window
      .fetch("/api/hall/settings", { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) {
          window.location.href = "/login";
        }
        return r.json();
      })
      .then(function (body) {
        if (body.error) {
          throw new Error(body.error.message);
        }
        data = body;
        drafts = {};
        render();
      })
      .catch(function (e) {
        toaster.show(String(e.message || e), true);
      });
  }

  /* One change; resolves true when the hub took it (the page is then reloaded). */
  function change(args) {
    return window
      .fetch("/api/hall/settings", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(args)
      })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) {
            var err = body.error || { code: "internal", message: String(r.status) };
            toaster.show(t("hall.refused", { message: err.message }), true);
            return false;
          }
          return true;
        });
      })
      .catch(function (e) {
        toaster.show(String(e.message || e), true);
        return false;
      });
  }

  /* Several changes in order, stopping at the first refused; then the page is reloaded. */
  function changeAll(list) {
    var step = Promise.resolve(true);
    list.forEach(function (args) {
      step = step.then(function (ok) {
        return ok ? change(args) : false;
      });
    });
    return step.then(function (ok) {
      if (ok && list.length) {
        toaster.show(t("hall.saved"));
      }
      return load();
    });
  }

  function confirmThen(title, go) {
    var dialog = H.$("confirm-dialog");
    H.$("confirm-title").textContent = title;
    dialog.hidden = false;
    H.$("confirm-ok").focus();
    H.$("confirm-ok").onclick = function () {
      dialog.hidden = true;
      go();
    };
    H.$("confirm-cancel").onclick = function () {
      dialog.hidden = true;
    };
  }

  /* ---- services ----------------------------------------------------------------------------- */
  function serviceName(code) {
    for (var i = 0; i < data.services.length; i++) {
      if (data.services[i].code === code) {
        return data.services[i].name;
      }
    }
    return code;
  }

  function serviceRow(s) {
    var name = el("input", { value: s.name, maxlength: 40, "aria-label": t("hall.name") + " " + s.code, "data-field": "name" });
    var cap = el("input", { type: "number", min: 1, max: 999, value: s.daily_cap === null ? "" : s.daily_cap, "aria-label": t("hall.cap") + " " + s.code, "data-field": "cap" });
    var opens = el("input", { type: "time", value: s.hours ? s.hours[0] : "", "aria-label": t("hall.opens") + " " + s.code });
    var closes = el("input", { type: "time", value: s.hours ? s.hours[1] : "", "aria-label": t("hall.closes") + " " + s.code });
    var docs = el("textarea", { rows: 2, "aria-label": t("hall.documents") + " " + s.code });
    docs.value = (s.documents || []).join("\n");
    var save = el("button", {
      type: "button",
      class: "btn small act",
      text: t("hall.save"),
      "data-save": s.code,
      onclick: function () {
        var list = [];
        if (name.value.trim() !== s.name) {
          list.push({ action: "rename", code: s.code, name: name.value.trim() });
        }
        var newCap = cap.value === "" ? null : Number(cap.value);
        if (newCap !== s.daily_cap) {
          list.push({ action: "set_cap", code: s.code, daily_cap: newCap });
        }
        var hours = opens.value || closes.value ? [opens.value, closes.value] : null;
        if (JSON.stringify(hours) !== JSON.stringify(s.hours || null)) {
          list.push({ action: "set_hours", code: s.code, hours: hours });
        }
        var documents = docs.value.split("\n").map(function (d) { return d.trim(); }).filter(Boolean);
        if (JSON.stringify(documents) !== JSON.stringify(s.documents || [])) {
          list.push({ action: "set_documents", code: s.code, documents: documents });
        }
        changeAll(list);
      }
    });
    var toggle = el("button", {
      type: "button",
      class: "btn small act " + (s.open ? "danger" : "secondary"),
      text: s.open ? t("hall.close") : t("hall.reopen"),
      onclick: function () {
        if (s.open) {
          confirmThen(t("hall.confirm_close", { name: s.code + " " + s.name }), function () {
            changeAll([{ action: "close", code: s.code }]);
          });
        } else {
          changeAll([{ action: "reopen", code: s.code }]);
        }
      }
    });
    var state = el("span", { class: "pill " + (s.open ? "open" : "closed"), text: s.open ? t("hall.open") : t("hall.closed") });
    var issued = el("div", { class: "note", text: t("hall.issued", { n: s.issued || 0 }) });
    return el("tr", { "data-service": s.code }, [
      el("td", { class: "big", text: s.code }),
      el("td", null, [name]),
      el("td", null, [cap, issued]),
      el("td", null, [opens, " – ", closes]),
      el("td", null, [docs]),
      el("td", null, [state]),
      el("td", null, [save, " ", toggle])
    ]);
  }

  /* ---- windows ------------------------------------------------------------------------------ */
  function windowRow(w) {
    var list = drafts[w.id] || w.services.slice();
    drafts[w.id] = list;
    var chips = list.map(function (code, i) {
      return el("span", { class: "chip", "data-code": code }, [
        code + " " + serviceName(code),
        el("button", { type: "button", class: "btn small secondary act", text: "↑", "aria-label": t("hall.up") + " " + code, disabled: i === 0, onclick: function () { move(w, i, -1); } }),
        el("button", { type: "button", class: "btn small secondary act", text: "↓", "aria-label": t("hall.down") + " " + code, disabled: i === list.length - 1, onclick: function () { move(w, i, 1); } }),
        el("button", { type: "button", class: "btn small secondary act", text: "✕", "aria-label": t("hall.remove") + " " + code, onclick: function () { list.splice(i, 1); render(); } })
      ]);
    });
    var missing = data.services.filter(function (s) { return list.indexOf(s.code) < 0; });
    var pick = el("select", { "aria-label": t("hall.add_to_window", { window: w.name }) }, [el("option", { value: "", text: t("hall.add_pick") })].concat(
      missing.map(function (s) { return el("option", { value: s.code, text: s.code + " " + s.name }); })
    ));
    pick.addEventListener("change", function () {
      if (pick.value) {
        list.push(pick.value);
        render();
      }
    });
    var save = el("button", {
      type: "button",
      class: "btn small act",
      text: t("hall.save"),
      "data-save-window": w.id,
      onclick: function () {
        var removed = w.services.filter(function (c) { return list.indexOf(c) < 0; });
        var go = function () { changeAll([{ action: "set_window", window: w.id, services: list.slice() }]); };
        if (removed.length) {
          confirmThen(t("hall.confirm_remove", { window: w.name, codes: removed.join("、") }), go);
        } else {
          go();
        }
      }
    });
    return el("div", { class: "window-row", "data-window": w.id }, [el("span", { class: "label", text: w.name })].concat(chips, [pick, save]));
  }

  function move(w, i, by) {
    var list = drafts[w.id];
    var item = list.splice(i, 1)[0];
    list.splice(i + by, 0, item);
    render();
  }

  /* ---- devices ------------------------------------------------------------------------------ */
  function deviceRow(d) {
    var name = el("input", { value: d.name || "", maxlength: 40, placeholder: d.id, "aria-label": t("hall.device_name") + " " + d.id });
    var cells = [el("td", { text: d.id }), el("td", { text: t("hall.kind." + d.kind) }), el("td", null, [name])];
    var where = null;
    if (WINDOW_KINDS.indexOf(d.kind) >= 0) {
      where = el("select", { "aria-label": t("hall.window") + " " + d.id }, data.windows.map(function (w) {
        return el("option", { value: w.id, text: w.name, selected: w.id === d.window });
      }));
      if (d.printer) {
        /* A pad with its own printer stays at its window: the hall file moves both. */
        where.disabled = true;
        cells.push(el("td", null, [where, el("div", { class: "hint own-printer", text: t("hall.own_printer", { printer: d.printer }) })]));
      } else {
        cells.push(el("td", null, [where]));
      }
    } else {
      cells.push(el("td", { text: "—" }));
    }
    cells.push(el("td", null, [el("span", { class: "pill " + (d.enabled ? "online" : "offline"), text: d.enabled ? t("hall.enabled") : t("hall.disabled") })]));
    var save = el("button", {
      type: "button",
      class: "btn small act",
      text: t("hall.save"),
      onclick: function () {
        var list = [];
        if (name.value.trim() !== (d.name || "")) {
          list.push({ action: "device_rename", device: d.id, name: name.value.trim() || null });
        }
        if (where && where.value !== d.window) {
          list.push({ action: "device_window", device: d.id, window: where.value });
        }
        changeAll(list);
      }
    });
    var toggle = el("button", {
      type: "button",
      class: "btn small act " + (d.enabled ? "danger" : "secondary"),
      text: d.enabled ? t("hall.disable") : t("hall.enable"),
      onclick: function () {
        if (d.enabled) {
          confirmThen(t("hall.confirm_disable", { device: d.id }), function () {
            changeAll([{ action: "device_disable", device: d.id }]);
          });
        } else {
          changeAll([{ action: "device_enable", device: d.id }]);
        }
      }
    });
    cells.push(el("td", null, [save, " ", toggle]));
    return el("tr", { "data-device": d.id }, cells);
  }

  /* ---- the audit ---------------------------------------------------------------------------- */
  function brief(value) {
    if (value === null || value === undefined) {
      return "—";
    }
    return JSON.stringify(value);
  }

  function auditRow(a) {
    return el("tr", null, [
      el("td", { class: "num", text: String(a.at).slice(0, 19).replace("T", " ") }),
      el("td", { text: a.by }),
      el("td", { text: t("hall.what." + a.what) + " " + a.subject }),
      el("td", { text: brief(a.before) }),
      el("td", { text: brief(a.after) })
    ]);
  }

  /* ---- the page ----------------------------------------------------------------------------- */
  function render() {
    if (!data) {
      return;
    }
    H.$("hall-name").textContent = data.hall.name;
    H.$("read-only").hidden = data.may_act;
    var services = H.clear(document.querySelector("#services tbody"));
    data.services.forEach(function (s) { services.appendChild(serviceRow(s)); });
    var windows = H.clear(H.$("windows"));
    data.windows.forEach(function (w) { windows.appendChild(windowRow(w)); });
    var devices = H.clear(document.querySelector("#devices tbody"));
    data.devices.forEach(function (d) { devices.appendChild(deviceRow(d)); });
    var notice = H.$("notice-text");
    if (document.activeElement !== notice) {
      notice.value = data.notice || "";
    }
    var audit = H.clear(document.querySelector("#audit tbody"));
    (data.audit || []).forEach(function (a) { audit.appendChild(auditRow(a)); });
    if (!data.audit || !data.audit.length) {
      audit.appendChild(el("tr", null, [el("td", { colspan: 5, class: "note", text: t("hall.no_audit") })]));
    }
    var controls = document.querySelectorAll("main input, main select, main textarea, main .act");
    for (var i = 0; i < controls.length; i++) {
      if (!data.may_act) {
        controls[i].disabled = true;
      }
    }
  }

  H.$("add-service").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var args = { action: "add", code: form.elements["code"].value.trim().toUpperCase(), name: form.elements["name"].value.trim() };
    if (form.elements["daily_cap"].value) {
      args.daily_cap = Number(form.elements["daily_cap"].value);
    }
    changeAll([args]).then(function () { form.reset(); });
  });

  H.$("notice-form").addEventListener("submit", function (event) {
    event.preventDefault();
    changeAll([{ action: "set_notice", text: H.$("notice-text").value }]);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      H.$("confirm-dialog").hidden = true;
    }
  });
  document.addEventListener("langchange", render);
  load();
})();
