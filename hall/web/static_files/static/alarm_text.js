/* An alarm's text in the dashboard's language. The hub words alarms in Chinese; in English
 * the kinds whose figures the alarm itself carries (its id, its cause's time) are worded
 * again, the minutes counted to the hall's `now` (ms) as the hub counts them (at least one);
 * the others keep the hub's words. Texts: i18n_alarms.js ("alarms.msg.*"). */
(function () {
  "use strict";

  window.HallAlarmText = function (a, now) {
    var t = window.I18N.t;
    var text = a.message || a.id;
    if (window.I18N.lang === "zh") {
      return text;
    }
    var subject = String(a.id).slice(String(a.kind).length + 1);
    var cause = Date.parse(a.cause_at || a.since);
    var minutes = now && !isNaN(cause) ? Math.max(1, Math.round((now - cause) / 60000)) : null;
    var count = /等候 (\d+) 人$/.exec(text);
    if (a.kind === "device" && minutes !== null) {
      return t("alarms.msg.device", { id: subject, n: minutes });
    }
    if ((a.kind === "wait" || a.kind === "service") && minutes !== null) {
      return t("alarms.msg." + a.kind, { no: subject, n: minutes });
    }
    if (a.kind === "waiting" && count) {
      return t("alarms.msg.waiting", { service: text.slice(0, count.index).trim(), n: count[1] });
    }
    if (a.kind === "rating") {
      return t("alarms.msg.rating", { no: subject });
    }
    return text;
  };
})();
