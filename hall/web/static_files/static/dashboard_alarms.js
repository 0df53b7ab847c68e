/* The dashboard's alarms panel: the alarms grouped by kind (a count per kind, each group
 * expandable), filtered by kind, severity, time window and acknowledgement, sorted by
 * severity then by the time their cause happened (shown in the hall's time zone), with
 * "acknowledge" on each alarm and "acknowledge all" on each kind.
 *
 * The filters and the collapsed groups are kept in the address (#alarms=...) and in
 * localStorage, so a wall dashboard reloaded, or opened from a bookmark, shows the same. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var KINDS = ["waiting", "wait", "service", "paused", "device", "rating"];
  var RANK = { yellow: 1, orange: 2, red: 3 };
  var LEVELS = ["all", "orange", "red"]; // "orange": orange or worse
  var WITHIN = ["0", "900", "3600", "14400"]; // seconds back from now; "0": any time
  var ACKS = ["all", "open", "acked"];
  var STORAGE_KEY = "hall.dashboard.alarms";
  var HASH_KEY = "alarms=";

  var DEFAULTS = { kind: "all", level: "all", within: "0", ack: "all", closed: [] };
  var filters = restore();
  var last = { alarms: [], now: 0, send: null };
  var controls = null;

  /* ---- the filters, kept in the address and in localStorage ------------------------------ */
  function parse(text) {
    var out = { kind: "all", level: "all", within: "0", ack: "all", closed: [] };
    String(text || "")
      .split(";")
      .forEach(function (pair) {
        var at = pair.indexOf(":");
        if (at < 0) {
          return;
        }
        var name = pair.slice(0, at);
        var value = pair.slice(at + 1);
        if (name === "kind" && KINDS.indexOf(value) >= 0) {
          out.kind = value;
        } else if (name === "level" && LEVELS.indexOf(value) >= 0) {
          out.level = value;
        } else if (name === "within" && WITHIN.indexOf(value) >= 0) {
          out.within = value;
        } else if (name === "ack" && ACKS.indexOf(value) >= 0) {
          out.ack = value;
        } else if (name === "closed") {
          out.closed = value.split(",").filter(function (k) {
            return KINDS.indexOf(k) >= 0;
          });
        }
      });
    return out;
  }

  function serialise(f) {
    var parts = [];
    ["kind", "level", "within", "ack"].forEach(function (name) {
      if (f[name] !== DEFAULTS[name]) {
        parts.push(name + ":" + f[name]);
      }
    });
    if (f.closed.length) {
      parts.push("closed:" + f.closed.join(","));
    }
    return parts.join(";");
  }

  function fromHash() {
    var hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
    var at = hash.indexOf(HASH_KEY);
    return at < 0 ? null : hash.slice(at + HASH_KEY.length).split("&")[0];
  }

  /* The address's filters (a bookmarked wall dashboard), else those chosen last here. */
  function restore() {
    var text = fromHash();
    if (text === null) {
      try {
        text = window.localStorage.getItem(STORAGE_KEY);
      } catch (e) {
        text = null;
      }
    }
    return parse(text);
  }

  function keep() {
    var text = serialise(filters);
    try {
      window.localStorage.setItem(STORAGE_KEY, text);
    } catch (e) {
      /* private mode: the address still keeps it */
    }
    var url = window.location.pathname + window.location.search + (text ? "#" + HASH_KEY + text : "");
    window.history.replaceState(null, "", url);
  }

  /* ---- the filter controls (built once; their texts follow the language) ------------------ */
  function select(name, values, textKey) {
    var id = "alarm-filter-" + name;
    var box = el("select", {
      id: id,
      "data-filter": name,
      onchange: function () {
        filters[name] = box.value;
        keep();
        draw();
      }
    });
    values.forEach(function (value) {
      box.appendChild(el("option", { value: value, "data-text": textKey(value) }));
    });
    /* The options say what they filter ("全部类别"…): the label is for screen readers. */
    var label = el("label", { for: id, class: "visually-hidden", "data-text": "alarms.filter." + name });
    return { box: box, nodes: [label, box] };
  }

  function buildControls(host) {
    var kind = select("kind", ["all"].concat(KINDS), function (v) {
      return v === "all" ? "alarms.filter.kind.all" : "alarms.kind." + v;
    });
    var level = select("level", LEVELS, function (v) {
      return "alarms.filter.level." + v;
    });
    var within = select("within", WITHIN, function (v) {
      return "alarms.filter.within." + v;
    });
    var ack = select("ack", ACKS, function (v) {
      return "alarms.filter.ack." + v;
    });
    var reset = el("button", {
      type: "button",
      class: "btn small secondary",
      "data-text": "alarms.filter.reset",
      "data-filter-reset": true,
      onclick: function () {
        filters = parse("");
        keep();
        syncControls();
        draw();
      }
    });
    [kind, level, within, ack].forEach(function (c) {
      host.appendChild(el("span", { class: "filter" }, c.nodes));
    });
    host.appendChild(reset);
    host.appendChild(el("span", { class: "shown num", id: "alarm-shown", "aria-live": "off" }));
    return { host: host, kind: kind.box, level: level.box, within: within.box, ack: ack.box };
  }

  function syncControls() {
    ["kind", "level", "within", "ack"].forEach(function (name) {
      controls[name].value = filters[name];
    });
  }

  function applyTexts() {
    var nodes = controls.host.querySelectorAll("[data-text]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = t(nodes[i].getAttribute("data-text"));
    }
  }

  /* ---- which alarms, in which order -------------------------------------------------------- */
  function causeMs(a) {
    var at = Date.parse(a.cause_at || a.since);
    return isNaN(at) ? 0 : at;
  }

  function bySeverityThenCause(a, b) {
    return (
      (RANK[b.level] || 0) - (RANK[a.level] || 0) ||
      causeMs(a) - causeMs(b) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    );
  }

  function shown(a, now) {
    if (filters.kind !== "all" && a.kind !== filters.kind) {
      return false;
    }
    if (filters.level !== "all" && (RANK[a.level] || 0) < RANK[filters.level]) {
      return false;
    }
    if (filters.ack === "open" ? a.acked : filters.ack === "acked" ? !a.acked : false) {
      return false;
    }
    var within = Number(filters.within);
    return !(within && now && now - causeMs(a) > within * 1000);
  }

  /* ---- drawing ------------------------------------------------------------------------------- */
  function when(value, now) {
    /* A time of another day than now's (in the hall's zone) says its date too. */
    var time = H.fmtTime(value);
    return now && H.fmtDay(value) !== H.fmtDay(now / 1000) ? H.fmtDay(value) + " " + time : time;
  }

  /* An alarm's text in the page's language (alarm_text.js). */
  function alarmText(a, now) {
    return window.HallAlarmText(a, now);
  }

  function alarmItem(a, now) {
    var meta = [t("alarms.cause", { t: when(a.cause_at || a.since, now) })];
    if (a.since && a.cause_at && a.since !== a.cause_at) {
      meta.push(t("alarms.over", { t: when(a.since, now) }));
    }
    if (a.acked) {
      meta.push(t("alarms.acked", { who: a.acked_by || "", t: when(a.acked_at, now) }));
    }
    var level = a.level || "yellow";
    var children = [
      el("span", { class: "level", text: "● " + t("level." + level) }),
      el("div", { class: "text" }, [
        el("div", { class: "msg", text: alarmText(a, now) }),
        el("div", { class: "meta" }, [
          el("time", { class: "cause", datetime: a.cause_at, text: meta[0] }),
          meta.length > 1 ? " · " + meta.slice(1).join(" · ") : null
        ])
      ])
    ];
    if (!a.acked) {
      children.push(
        el("button", {
          type: "button",
          class: "btn small",
          text: t("dash.alarm.ack"),
          "aria-label": t("dash.alarm.ack.label", { msg: alarmText(a, now) }),
          "data-alarm": a.id,
          onclick: function () {
            last.send({ type: "ack", alarm: a.id }, "ack");
          }
        })
      );
    }
    return el(
      "li",
      { class: "alarm level-" + level + (a.acked ? " acked" : ""), "data-alarm": a.id },
      children
    );
  }

  function groupItem(kind, alarms, now) {
    var open = alarms.filter(function (a) {
      return !a.acked;
    }).length;
    var closed = filters.closed.indexOf(kind) >= 0;
    var name = t("alarms.kind." + kind);
    var worst = alarms[0].level || "yellow";
    var head = [
      el(
        "button",
        {
          type: "button",
          class: "group-toggle",
          "aria-expanded": closed ? "false" : "true",
          "aria-label": t("alarms.group.toggle", { kind: name }),
          "data-group-toggle": kind,
          onclick: function () {
            var at = filters.closed.indexOf(kind);
            if (at >= 0) {
              filters.closed.splice(at, 1);
            } else {
              filters.closed.push(kind);
            }
            keep();
            draw();
          }
        },
        [
          el("span", { class: "caret", "aria-hidden": "true", text: closed ? "▸" : "▾" }),
          el("span", { class: "name", text: name }),
          el("span", {
            class: "group-count num",
            text: t("alarms.group.count", { n: alarms.length, open: open })
          })
        ]
      )
    ];
    if (open) {
      head.push(
        el("button", {
          type: "button",
          class: "btn small secondary",
          text: t("alarms.ack_all"),
          "aria-label": t("alarms.ack_all.label", { kind: name }),
          "data-ack-kind": kind,
          onclick: function () {
            last.send({ type: "ack", kind: kind }, "ack");
          }
        })
      );
    }
    var list = el("ul", { class: "alarms", hidden: closed });
    alarms.forEach(function (a) {
      list.appendChild(alarmItem(a, now));
    });
    return el("li", { class: "alarm-group level-" + worst, "data-kind": kind }, [
      el("div", { class: "group-head" }, head),
      list
    ]);
  }

  /* Redrawing replaces the buttons: the keyboard focus stays on the same one. */
  function focusedSelector() {
    var a = document.activeElement;
    if (!a || a.tagName !== "BUTTON") {
      return null;
    }
    var names = ["data-alarm", "data-ack-kind", "data-group-toggle"];
    for (var i = 0; i < names.length; i++) {
      if (a.getAttribute(names[i])) {
        return "button[" + names[i] + '="' + a.getAttribute(names[i]) + '"]';
      }
    }
    return null;
  }

  function draw() {
    var box = H.$("alarms");
    if (!box) {
      return;
    }
    var focused = focusedSelector();
    var now = last.now;
    var groups = {};
    var total = last.alarms.length;
    var open = 0;
    var count = 0;
    last.alarms.forEach(function (a) {
      if (!a.acked) {
        open += 1;
      }
      if (shown(a, now)) {
        count += 1;
        (groups[a.kind] = groups[a.kind] || []).push(a);
      }
    });
    var kinds = Object.keys(groups).map(function (kind) {
      groups[kind].sort(bySeverityThenCause);
      return kind;
    });
    kinds.sort(function (a, b) {
      return bySeverityThenCause(groups[a][0], groups[b][0]);
    });
    H.clear(box);
    if (!total) {
      box.appendChild(el("li", { class: "empty", text: t("dash.alarms.none") }));
    } else if (!count) {
      box.appendChild(el("li", { class: "empty", text: t("alarms.none_shown") }));
    }
    kinds.forEach(function (kind) {
      box.appendChild(groupItem(kind, groups[kind], now));
    });
    H.$("alarm-count").textContent = total ? open + " / " + total : "";
    H.$("alarm-shown").textContent = total ? t("alarms.shown", { shown: count, total: total }) : "";
    if (focused) {
      var again = box.querySelector(focused);
      if (again) {
        again.focus();
      }
    }
  }

  /* alarms: the snapshot's; now: the hall's clock in ms; send(message, what): an action. */
  function render(alarms, now, send) {
    last = { alarms: alarms || [], now: now, send: send };
    if (!controls) {
      controls = buildControls(H.$("alarm-filters"));
      syncControls();
      applyTexts();
      document.addEventListener("langchange", applyTexts);
      keep(); /* remembered here, and shown in the address (to bookmark) */
    }
    draw();
  }

  window.addEventListener("hashchange", function () {
    if (fromHash() !== null) {
      filters = restore();
      if (controls) {
        keep();
        syncControls();
        draw();
      }
    }
  });

  window.HallAlarms = { render: render, KINDS: KINDS };
})();
