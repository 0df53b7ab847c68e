/* An alarm's text in the dashboard's language, built from the figures the alarm carries
 * (`details`: ticket, window, reason, minutes…, one set per kind); the clerk's pause reason
 * and the names from the hall file are shown as given. An alarm without details (or of a kind
 * this page does not know) keeps the hub's Chinese `message`. Texts: i18n_alarms.js
 * ("alarms.msg.*"). `now` is unused: the minutes are the hub's, counted at its last review. */
(function () {
  "use strict";

  function windowText(d) {
    return window.Hall.windowLabel(d.window, d.window_name);
  }

  var SENTENCES = {
    waiting: function (t, d) {
      var name = (window.I18N.lang === "en" && d.service_name_en) || d.service_name || d.service;
      return t("alarms.msg.waiting", { service: name, n: d.waiting });
    },
    wait: function (t, d) {
      return t("alarms.msg.wait", { no: d.ticket, n: d.minutes });
    },
    service: function (t, d) {
      return t("alarms.msg.service", { no: d.ticket, window: windowText(d), n: d.minutes });
    },
    paused: function (t, d) {
      var key = d.reason ? "alarms.msg.paused.reason" : "alarms.msg.paused";
      return t(key, { window: windowText(d), n: d.minutes, reason: d.reason });
    },
    device: function (t, d) {
      return t("alarms.msg.device", { id: d.device, n: d.minutes });
    },
    rating: function (t, d) {
      var key = d.staff ? "alarms.msg.rating.staff" : "alarms.msg.rating";
      var vars = { no: d.ticket, label: t("rate." + d.rating), window: windowText(d), staff: d.staff };
      return t(key, vars);
    }
  };

  window.HallAlarmText = function (a) {
    var d = a.details;
    var sentence = SENTENCES[a.kind];
    if (!d || typeof d !== "object" || !sentence) {
      return a.message || a.id;
    }
    return sentence(window.I18N.t, d);
  };
})();
