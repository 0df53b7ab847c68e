/* The page /dashboard/staff (人员与登录): the hall's staff accounts (an administrator adds,
 * changes the role of, disables, enables, resets and deletes them; a manager sees them), the
 * sign-ins locked by failed attempts with the time left (a manager lifts a lock), the
 * signed-in sessions (a manager ends one) and the audit of sign-ins and account changes.
 * Every destructive change is confirmed first. Refreshed every few seconds. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var REFRESH_MS = 5000;
  var ROLES = ["clerk", "auditor", "manager", "administrator"];
  var data = null; // the last answer of /dashboard/staff/users
  var sessions = [];
  var loadedAt = Date.now();
  var confirmed = null;

  function status(text, isError) {
    var node = H.$("staff-status");
    node.textContent = text || "";
    node.className = "staff-status" + (isError ? " error" : "");
  }

  function roleName(role) {
    return t("staff.role." + role);
  }

  /* A time as the hall's clock shows it (its time zone, not the browser's): "2026-11-27 09:05:00". */
  function when(seconds) {
    return seconds ? H.fmtDay(seconds) + " " + H.fmtTime(seconds) : "";
  }

  /* A refusal in words the page's language has: by its code, or by the form field it names. */
  function explain(error) {
    var key = "staff.error." + error.code;
    if (error.code === "bad_request") {
      key = "staff.error.field." + String(error.message).split(":")[0];
    }
    return window.I18N.has(key) ? t(key) : error.message;
  }

  /* ---- requests --------------------------------------------------------------------------- */
  function send(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return window.fetch(path, init).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/login");
        throw new Error(t("staff.loading"));
      }
      return response.text().then(function (text) {
        if (!response.ok) {
          var message = text || String(response.status);
          var code = "";
          try {
            message = JSON.parse(text).error.message || message;
            code = JSON.parse(text).error.code || "";
          } catch (e) {
            /* not JSON: the text as it came */
          }
          var error = new Error(message);
          error.code = code;
          throw error;
        }
        return text ? JSON.parse(text) : {};
      });
    });
  }

  function change(method, path, body, what) {
    return send(method, path, body)
      .then(function () {
        status(t("staff.done", { what: what }), false);
        return load();
      })
      .catch(function (error) {
        status(t("staff.failed", { msg: explain(error) }), true);
      });
  }

  function load() {
    return Promise.all([send("GET", "/dashboard/staff/users"), send("GET", "/dashboard/staff/sessions")])
      .then(function (answers) {
        data = answers[0];
        H.setZone(data.timezone);
        sessions = answers[1].sessions || [];
        loadedAt = Date.now();
        render();
      })
      .catch(function (error) {
        if (error.code === "forbidden") {
          status(t("staff.forbidden"), true);
        } else {
          status(t("staff.failed", { msg: explain(error) }), true);
        }
      });
  }

  /* ---- confirmation ----------------------------------------------------------------------- */
  function confirmThen(text, then) {
    H.$("confirm-title").textContent = text;
    confirmed = then;
    H.$("confirm-dialog").hidden = false;
    H.$("confirm-ok").focus();
  }

  function closeDialogs() {
    confirmed = null;
    H.$("confirm-dialog").hidden = true;
    H.$("reset-dialog").hidden = true;
    H.$("role-dialog").hidden = true;
  }

  H.$("confirm-ok").addEventListener("click", function () {
    var then = confirmed;
    closeDialogs();
    if (then) {
      then();
    }
  });
  H.$("confirm-cancel").addEventListener("click", closeDialogs);
  H.$("reset-cancel").addEventListener("click", closeDialogs);
  H.$("role-cancel").addEventListener("click", closeDialogs);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeDialogs();
    }
  });

  /* ---- rendering -------------------------------------------------------------------------- */
  function render() {
    if (!data) {
      return;
    }
    var me = data.me || {};
    H.$("me").textContent = t("staff.me", { user: me.user || "", role: roleName(me.role || "") });
    H.$("add-form").hidden = !me.manage;
    renderUsers(me);
    renderLocks();
    renderSessions();
    renderAudit();
  }

  function userPath(name) {
    return "/dashboard/staff/users/" + encodeURIComponent(name);
  }

  /* A change to `user` as this page showed it: the hub refuses it (409) when the user was
   * changed meanwhile, instead of overwriting the other change. */
  function changeUser(user, body, what) {
    body.version = user.version;
    change("POST", userPath(user.name), body, what);
  }

  /* A clerk made a dashboard role needs a password: asked for here, sent with the role. */
  var promoting = null;
  function changeRole(user, role) {
    if (user.role !== "clerk" || role === "clerk") {
      confirmThen(t("staff.confirm.role", { user: user.name, role: roleName(role) }), function () {
        changeUser(user, { action: "role", role: role }, t("staff.change_role"));
      });
      return;
    }
    promoting = { user: user, role: role };
    H.$("role-title").textContent = t("staff.role.password", { user: user.name, role: roleName(role) });
    H.$("role-password").value = "";
    H.$("role-dialog").hidden = false;
    H.$("role-password").focus();
  }

  H.$("role-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = promoting;
    var password = H.$("role-password").value;
    closeDialogs();
    if (chosen) {
      changeUser(chosen.user, { action: "role", role: chosen.role, password: password }, t("staff.change_role"));
    }
  });

  function renderUsers(me) {
    var body = H.clear(H.$("users-body"));
    (data.users || []).forEach(function (user) {
      var ways = [];
      if (user.role !== "clerk") {
        ways.push(t("staff.password"));
      }
      if (user.pin) {
        ways.push(t("staff.pin"));
      }
      if (user.card) {
        ways.push(t("staff.card"));
      }
      var actions = [];
      if (me.manage) {
        var select = el("select", { "aria-label": t("staff.change_role") + " " + user.name });
        ROLES.forEach(function (role) {
          var option = el("option", { value: role, text: roleName(role) });
          option.selected = role === user.role;
          select.appendChild(option);
        });
        select.addEventListener("change", function () {
          var role = select.value;
          select.value = user.role;
          changeRole(user, role);
        });
        actions.push(select);
        var toggle = user.disabled ? "enable" : "disable";
        actions.push(
          el("button", {
            type: "button",
            class: "btn small " + (user.disabled ? "ok" : "secondary"),
            text: t("staff." + toggle),
            onclick: function () {
              confirmThen(t("staff.confirm." + toggle, { user: user.name }), function () {
                changeUser(user, { action: toggle }, t("staff." + toggle));
              });
            }
          })
        );
        actions.push(
          el("button", {
            type: "button",
            class: "btn small secondary",
            text: t("staff.reset"),
            onclick: function () {
              openReset(user);
            }
          })
        );
        actions.push(
          el("button", {
            type: "button",
            class: "btn small danger",
            text: t("staff.delete"),
            onclick: function () {
              confirmThen(t("staff.confirm.delete", { user: user.name }), function () {
                var stale = "?version=" + encodeURIComponent(user.version || "");
                change("DELETE", userPath(user.name) + stale, undefined, t("staff.delete"));
              });
            }
          })
        );
      }
      body.appendChild(
        el("tr", { "data-user": user.name }, [
          el("td", { text: user.name }),
          el("td", { text: roleName(user.role) }),
          el("td", { class: "num", text: user.staff || t("staff.none") }),
          el("td", { text: ways.join(" · ") || t("staff.none") }),
          el("td", {}, [
            el("span", { class: "pill " + (user.disabled ? "closed" : "open"), text: t(user.disabled ? "staff.disabled" : "staff.active") })
          ]),
          el("td", { class: "staff-actions" }, actions)
        ])
      );
    });
  }

  function renderLocks() {
    var body = H.clear(H.$("locks-body"));
    var elapsed = (Date.now() - loadedAt) / 1000;
    var locks = data.lockouts || [];
    if (!locks.length) {
      body.appendChild(el("tr", {}, [el("td", { colspan: "5", class: "empty", text: t("staff.no_locks") })]));
    }
    locks.forEach(function (lock) {
      var left = Math.max(0, (lock.locked_for_s || 0) - elapsed);
      body.appendChild(
        el("tr", { "data-lock": lock.kind + ":" + lock.subject }, [
          el("td", { text: lock.user }),
          el("td", { text: t("staff.where." + lock.kind, { subject: lock.subject }) }),
          el("td", { class: "num", text: String(lock.failures) }),
          el("td", { class: "num lock-left", text: left > 0 ? H.fmtDuration(left) : t("staff.unlocked_now") }),
          el("td", {}, [
            el("button", {
              type: "button",
              class: "btn small ok",
              text: t("staff.unlock"),
              onclick: function () {
                confirmThen(t("staff.confirm.unlock", { user: lock.user }), function () {
                  change("POST", "/dashboard/staff/unlock", { kind: lock.kind, subject: lock.subject }, t("staff.unlock"));
                });
              }
            })
          ])
        ])
      );
    });
  }

  function renderSessions() {
    var body = H.clear(H.$("sessions-body"));
    if (!sessions.length) {
      body.appendChild(el("tr", {}, [el("td", { colspan: "5", class: "empty", text: t("staff.no_sessions") })]));
    }
    sessions.forEach(function (session) {
      body.appendChild(
        el("tr", { "data-session": session.user }, [
          el("td", { text: session.user }),
          el("td", { text: roleName(session.role) }),
          el("td", { class: "num", text: when(session.created) }),
          el("td", { class: "num", text: when(session.expires) }),
          el("td", {}, [
            el("button", {
              type: "button",
              class: "btn small danger",
              text: t("staff.end"),
              onclick: function () {
                confirmThen(t("staff.confirm.end", { user: session.user }), function () {
                  change("DELETE", "/dashboard/staff/sessions/" + encodeURIComponent(session.id), undefined, t("staff.end"));
                });
              }
            })
          ])
        ])
      );
    });
  }

  function renderAudit() {
    var body = H.clear(H.$("audit-body"));
    var audit = data.audit || [];
    if (!audit.length) {
      body.appendChild(el("tr", {}, [el("td", { colspan: "5", class: "empty", text: t("staff.no_audit") })]));
    }
    audit.forEach(function (entry) {
      var key = "staff.event." + entry.event;
      var details = [];
      if (entry.fields && entry.fields.length) {
        details.push(entry.fields.join(", "));
      }
      if (entry.role) {
        details.push(roleName(entry.role));
      }
      if (entry.device) {
        details.push(entry.device);
      }
      body.appendChild(
        el("tr", {}, [
          el("td", { class: "num", text: when(entry.at) }),
          el("td", { text: window.I18N.has(key) ? t(key) : entry.event }),
          el("td", { text: entry.by || t("staff.none") }),
          el("td", { text: entry.user || entry.staff || entry.account || t("staff.none") }),
          el("td", { text: details.join(" · ") })
        ])
      );
    });
  }

  /* ---- forms ------------------------------------------------------------------------------ */
  var resetting = null;
  function openReset(user) {
    resetting = user;
    H.$("reset-title").textContent = t("staff.reset.title", { user: user.name });
    ["reset-password", "reset-pin", "reset-card"].forEach(function (id) {
      H.$(id).value = "";
    });
    H.$("reset-dialog").hidden = false;
    H.$(user.role === "clerk" ? "reset-pin" : "reset-password").focus();
  }

  H.$("reset-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var user = resetting;
    var body = { action: "reset", password: H.$("reset-password").value, pin: H.$("reset-pin").value, card: H.$("reset-card").value };
    closeDialogs();
    if (user) {
      changeUser(user, body, t("staff.reset"));
    }
  });

  (function fillRoles() {
    var select = H.$("add-role");
    ROLES.forEach(function (role) {
      select.appendChild(el("option", { value: role, text: roleName(role) }));
    });
  })();

  H.$("add-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    ["name", "role", "staff", "password", "pin", "card"].forEach(function (key) {
      body[key] = H.$("add-" + key).value.trim();
    });
    send("POST", "/dashboard/staff/users", body)
      .then(function () {
        H.$("add-form").reset();
        status(t("staff.added", { user: body.name }), false);
        return load();
      })
      .catch(function (error) {
        status(t("staff.failed", { msg: explain(error) }), true);
      });
  });

  document.addEventListener("langchange", render);
  status(t("staff.loading"), false);
  load().then(function () {
    if (H.$("staff-status").className.indexOf("error") < 0 && H.$("staff-status").textContent === t("staff.loading")) {
      status("", false);
    }
  });
  window.setInterval(load, REFRESH_MS);
  window.setInterval(renderLocksIfLoaded, 1000);

  function renderLocksIfLoaded() {
    if (data) {
      renderLocks();
    }
  }
})();
