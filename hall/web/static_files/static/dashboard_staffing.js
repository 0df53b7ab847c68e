/* The dashboard's staffing advice: per half hour for the rest of today, the windows the hall
 * needs (GET /api/staffing/today) against the windows open now, read again every minute and
 * shortly after a window opens, pauses, resumes or closes (dashboard.js). */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var REFRESH_MS = 60000;
  var advice = null;
  var failed = false;

  // "A 2 · B 1": each service's count stays whole; the line wraps between them.
  function serviceCells(windows) {
    var parts = [];
    Object.keys(windows)
      .filter(function (code) {
        return windows[code] > 0;
      })
      .forEach(function (code, i) {
        if (i > 0) {
          parts.push(document.createTextNode(" · "));
        }
        parts.push(el("span", { class: "service-need", text: code + " " + windows[code] }));
      });
    return parts;
  }

  function render() {
    var body = document.querySelector("#staffing tbody");
    var note = document.getElementById("staffing-note");
    body.textContent = "";
    if (advice === null) {
      note.textContent = failed ? t("plan.unavailable") : "";
      return;
    }
    // Windows working now: open and not paused; the paused ones are said apart.
    var open = advice.open_now.windows;
    var paused = advice.open_now.paused || 0;
    var waiting = Object.keys(advice.waiting || {}).reduce(function (sum, code) {
      return sum + advice.waiting[code];
    }, 0);
    note.textContent =
      t("plan.note", {
        share: Math.round(advice.target.share * 100),
        wait: Math.round(advice.target.wait_s / 60),
        open: open
      }) +
      (paused > 0 ? t("plan.paused", { n: paused }) : "") +
      (waiting > 0 ? t("plan.waiting", { n: waiting }) : "");
    if (!advice.half_hours.length) {
      body.appendChild(el("tr", {}, [el("td", { colspan: 4, class: "empty", text: t("plan.empty") })]));
      return;
    }
    advice.half_hours.forEach(function (slot) {
      var more = slot.total - open;
      // As many as working now, but not the same ones: the advice's own windows are named.
      var swap = more <= 0 && slot.to_open && slot.to_open.length > 0;
      var verdict = t("plan.enough");
      if (more > 0) {
        verdict = t("plan.more", { n: more });
      } else if (swap) {
        verdict = t("plan.swap", { ids: slot.to_open.join(", ") });
      }
      body.appendChild(
        el("tr", { "data-start": slot.start, class: more > 0 || swap ? "short" : "" }, [
          el("td", { class: "num", text: slot.start + "–" + slot.end }),
          el("td", { class: "n num", text: String(slot.total) }),
          el("td", { class: "n" }, [
            el("span", { class: "num", text: String(open) + " " }),
            el("span", {
              class: more > 0 || swap ? "pill no_window" : "pill open",
              text: verdict
            })
          ]),
          el("td", { class: "num" }, serviceCells(slot.windows))
        ])
      );
      // Even every window of the hall falls short of the target in this half hour: said on
      // a line of its own under the half hour, across the table, so a narrow panel keeps it.
      if (slot.target_met === false) {
        body.appendChild(
          el("tr", { class: "all-short-row", "data-for": slot.start }, [
            el("td", { colspan: 4 }, [
              el("span", { class: "pill no_window all-short", text: t("plan.all_short") })
            ])
          ])
        );
      }
    });
  }

  function load() {
    window
      .fetch("/api/staffing/today", { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        advice = data;
        failed = false;
        render();
      })
      .catch(function () {
        failed = true;
        render();
      });
  }

  document.addEventListener("langchange", render);
  load();
  window.setInterval(load, REFRESH_MS);
  window.hallStaffing = { reload: load };
})();
