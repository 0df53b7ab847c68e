/* Shared by the hall pages: DOM building, formatting, a WebSocket that reconnects with
 * backoff, the banner shown while it is down, short messages (toasts), and the
 * contract-device client used by the kiosk and pad pages. */
(function () {
  "use strict";

  var t = function (key, vars) {
    return window.I18N.t(key, vars);
  };

  /* el("div", {class: "x", text: "y", onclick: f, "aria-label": "z"}, [children]) */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === undefined || value === null || value === false) {
          return;
        }
        if (name === "text") {
          node.textContent = value;
        } else if (name === "class") {
          node.className = value;
        } else if (name.slice(0, 2) === "on" && typeof value === "function") {
          node.addEventListener(name.slice(2), value);
        } else if (value === true) {
          node.setAttribute(name, "");
        } else {
          node.setAttribute(name, String(value));
        }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) {
        return;
      }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  /* A wait in seconds as people read it: "约 5 分钟". */
  function fmtWait(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) {
      return t("common.dash");
    }
    seconds = Math.max(0, Number(seconds));
    if (seconds < 60) {
      return t("common.less_than_minute");
    }
    var minutes = Math.round(seconds / 60);
    if (minutes >= 60) {
      return t("common.hours_minutes", { h: Math.floor(minutes / 60), m: minutes % 60 });
    }
    return t("common.about_minutes", { n: minutes });
  }

  /* A wait in words: the estimate, or why there is none (`eta_reason`), never a bare dash
   * or a false "under a minute" (texts in i18n_wait.js). */
  function fmtEta(seconds, reason) {
    if (seconds !== null && seconds !== undefined && !isNaN(seconds)) {
      return fmtWait(seconds);
    }
    var key = "wait.none." + reason;
    return t(reason && I18N.has(key) ? key : "wait.none");
  }

  /* A duration in seconds, exact-ish: "45 秒", "7 分钟", "1 小时 5 分". */
  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) {
      return t("common.dash");
    }
    seconds = Math.max(0, Math.round(Number(seconds)));
    if (seconds < 60) {
      return t("common.seconds", { n: seconds });
    }
    var minutes = Math.floor(seconds / 60);
    if (minutes >= 60) {
      return t("common.hours_minutes", { h: Math.floor(minutes / 60), m: minutes % 60 });
    }
    return t("common.minutes", { n: minutes });
  }

  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* The hall's time zone (IANA name), once a page learns it from the hub: every time is
   * shown in it, whatever the zone of the browser's computer. */
  var zone = { name: null, parts: null };

  function setZone(name) {
    if (!name || name === zone.name) {
      return;
    }
    try {
      zone.parts = new Intl.DateTimeFormat("en-GB", {
        timeZone: name,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit"
      });
      zone.name = name;
    } catch (e) {
      zone.parts = null; /* a zone this browser does not know: its own zone is used */
    }
  }

  /* {year, month, day, hour, minute, second} of `date` in the hall's zone (two-digit texts). */
  function zoned(date) {
    if (!zone.parts) {
      return {
        year: String(date.getFullYear()),
        month: pad2(date.getMonth() + 1),
        day: pad2(date.getDate()),
        hour: pad2(date.getHours()),
        minute: pad2(date.getMinutes()),
        second: pad2(date.getSeconds())
      };
    }
    var out = {};
    zone.parts.formatToParts(date).forEach(function (part) {
      out[part.type] = part.value;
    });
    return out;
  }

  function toDate(value) {
    return typeof value === "number" ? new Date(value * 1000) : new Date(value);
  }

  /* A time (RFC 3339 text or epoch seconds) as HH:MM:SS in the hall's zone. */
  function fmtTime(value) {
    if (value === null || value === undefined || value === "") {
      return t("common.dash");
    }
    var date = toDate(value);
    if (isNaN(date.getTime())) {
      return String(value);
    }
    var p = zoned(date);
    return p.hour + ":" + p.minute + ":" + p.second;
  }

  /* The hall-local date of a time: "2026-11-27". */
  function fmtDay(value) {
    var date = toDate(value);
    if (isNaN(date.getTime())) {
      return "";
    }
    var p = zoned(date);
    return p.year + "-" + p.month + "-" + p.day;
  }

  /* "1" → "1号窗口" (the hub's default name), or the name the hub gave. */
  function windowLabel(id, name) {
    if (name) {
      var m = /^(\S+?)号窗口$/.exec(name);
      if (m && window.I18N.lang === "en") {
        return t("common.window_n", { n: m[1] });
      }
      return name;
    }
    if (id === null || id === undefined || id === "") {
      return t("common.dash");
    }
    return t("common.window_n", { n: id });
  }

  /* A service's name and description in the page's language: in English the hall file's
   * `name_en` / `description_en` when given, else the Chinese ones. */
  function serviceName(s) {
    return (window.I18N.lang === "en" && s.name_en) || s.name || s.code || "";
  }

  function serviceDescription(s) {
    return (window.I18N.lang === "en" && s.description_en) || s.description || "";
  }

  /* The text for an error object {code, message} from the hub. */
  function errorText(error) {
    if (!error) {
      return t("err.other");
    }
    var key = "err." + error.code;
    if (window.I18N.has(key)) {
      return t(key);
    }
    return error.message || t("err.other");
  }

  function wsUrl(path) {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + path;
  }

  /* A WebSocket to `path` that reconnects by itself with exponential backoff (0.5 s up to
   * 15 s, with jitter). handlers: onopen(), onmessage(obj), onclose(). */
  function LiveSocket(path, handlers) {
    this.path = path;
    this.handlers = handlers || {};
    this.ws = null;
    this.delay = 500;
    this.maxDelay = 15000;
    this.timer = null;
    this.connected = false;
    this.stopped = false;
    this.connect();
  }

  LiveSocket.prototype.connect = function () {
    var self = this;
    self.timer = null;
    if (self.stopped) {
      return;
    }
    var ws;
    try {
      ws = new WebSocket(wsUrl(self.path));
    } catch (e) {
      self.retry();
      return;
    }
    self.ws = ws;
    ws.onopen = function () {
      self.connected = true;
      self.delay = 500;
      if (self.handlers.onopen) {
        self.handlers.onopen();
      }
    };
    ws.onmessage = function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (message && typeof message === "object" && self.handlers.onmessage) {
        self.handlers.onmessage(message);
      }
    };
    ws.onclose = function () {
      var was = self.connected;
      self.connected = false;
      self.ws = null;
      if (self.handlers.onclose) {
        self.handlers.onclose(was);
      }
      self.retry();
    };
    ws.onerror = function () {
      /* onclose follows */
    };
  };

  LiveSocket.prototype.retry = function () {
    var self = this;
    if (self.stopped || self.timer) {
      return;
    }
    var wait = self.delay * (0.75 + Math.random() * 0.5);
    self.delay = Math.min(self.maxDelay, self.delay * 2);
    self.timer = window.setTimeout(function () {
      self.connect();
    }, wait);
  };

  LiveSocket.prototype.send = function (obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  };

  /* The page as a contract device on /ws/device/<device>: request(op, args) → Promise of the
   * result; rejects with an error object {code, message}. A request not answered within 5 s
   * is sent again once with the same id (the hub answers a repeated id without acting twice). */
  function DeviceClient(deviceId, token, handlers) {
    var self = this;
    self.deviceId = deviceId;
    self.handlers = handlers || {};
    self.pending = {};
    self.counter = 0;
    self.timeoutMs = 5000;
    var path = "/ws/device/" + encodeURIComponent(deviceId);
    if (token) {
      path += "?token=" + encodeURIComponent(token);
    }
    self.socket = new LiveSocket(path, {
      onopen: function () {
        /* Requests sent while the socket was down go out now. */
        Object.keys(self.pending).forEach(function (id) {
          var entry = self.pending[id];
          if (!entry.sent) {
            self.transmit(entry);
          }
        });
        if (self.handlers.onopen) {
          self.handlers.onopen();
        }
      },
      onclose: function (was) {
        if (self.handlers.onclose) {
          self.handlers.onclose(was);
        }
      },
      onmessage: function (message) {
        if (message.type === "response") {
          var entry = self.pending[message.id];
          if (!entry) {
            return;
          }
          delete self.pending[message.id];
          window.clearTimeout(entry.timer);
          if (message.ok) {
            entry.resolve(message.result || {});
          } else {
            entry.reject(message.error || { code: "internal", message: "" });
          }
          return;
        }
        if (self.handlers.onmessage) {
          self.handlers.onmessage(message);
        }
      }
    });
  }

  DeviceClient.prototype.newId = function () {
    this.counter += 1;
    var stamp = Date.now().toString(36);
    var random = Math.floor(Math.random() * 1296).toString(36);
    return (this.deviceId + "-" + stamp + random + "-" + this.counter).slice(-64);
  };

  DeviceClient.prototype.transmit = function (entry) {
    var self = this;
    entry.sent = self.socket.send(entry.payload);
    entry.tries += 1;
    window.clearTimeout(entry.timer);
    entry.timer = window.setTimeout(function () {
      if (!self.pending[entry.payload.id]) {
        return;
      }
      if (entry.tries < 2) {
        self.transmit(entry);
      } else {
        delete self.pending[entry.payload.id];
        entry.reject({ code: "timeout", message: "no answer" });
      }
    }, self.timeoutMs);
  };

  DeviceClient.prototype.request = function (op, args) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var entry = {
        payload: { id: self.newId(), op: op, args: args || {} },
        resolve: resolve,
        reject: reject,
        tries: 0,
        sent: false,
        timer: null
      };
      self.pending[entry.payload.id] = entry;
      self.transmit(entry);
    });
  };

  /* The last path segment after `prefix` ("/kiosk/kiosk-1" → "kiosk-1"). */
  function pathTail(prefix) {
    var path = window.location.pathname;
    var at = path.indexOf(prefix);
    var tail = at >= 0 ? path.slice(at + prefix.length) : "";
    tail = tail.split("/")[0];
    try {
      return decodeURIComponent(tail);
    } catch (e) {
      return tail;
    }
  }

  function queryParam(name) {
    try {
      return new URLSearchParams(window.location.search).get(name);
    } catch (e) {
      return null;
    }
  }

  /* A clock in `node`, corrected by the server's time when the page learns it. */
  function Clock(node, withSeconds) {
    this.node = node;
    this.skew = 0;
    this.withSeconds = withSeconds !== false;
    var self = this;
    this.tick();
    window.setInterval(function () {
      self.tick();
    }, 1000);
  }

  Clock.prototype.sync = function (serverNow) {
    var at = Date.parse(serverNow);
    if (!isNaN(at)) {
      this.skew = at - Date.now();
      this.tick();
    }
  };

  Clock.prototype.tick = function () {
    if (!this.node) {
      return;
    }
    var now = new Date(Date.now() + this.skew);
    var p = zoned(now);
    var text = p.hour + ":" + p.minute;
    if (this.withSeconds) {
      text += ":" + p.second;
    }
    this.node.textContent = text;
    this.node.setAttribute("datetime", now.toISOString());
  };

  function setBanner(node, visible, key) {
    if (!node) {
      return;
    }
    if (key) {
      node.setAttribute("data-i18n", key);
      node.textContent = t(key);
    }
    node.hidden = !visible;
  }

  /* The handlers of a live connection, which also show #banner ("reconnecting") while the
   * connection is down: onopen() and onclose(was) run after the banner is set, onmessage as
   * given. */
  function withBanner(handlers) {
    var banner = $("banner");
    return {
      onopen: function () {
        setBanner(banner, false);
        if (handlers.onopen) {
          handlers.onopen();
        }
      },
      onclose: function (was) {
        setBanner(banner, true, "common.reconnecting");
        if (handlers.onclose) {
          handlers.onclose(was);
        }
      },
      onmessage: handlers.onmessage
    };
  }

  /* The page as the contract device its path names after `prefix` ("/kiosk/kiosk-1"), with
   * the token of its query, a clock (hours and minutes) in #clock and the banner while the
   * connection is down. */
  function devicePage(prefix, handlers) {
    var clock = new Clock($("clock"), false);
    var pageHandlers = withBanner(handlers);
    var onmessage = pageHandlers.onmessage;
    pageHandlers.onmessage = function (message) {
      if (message && message.type === "device" && message.timezone) {
        setZone(message.timezone); /* the hall's clock, not the computer's zone */
        clock.tick();
      }
      if (onmessage) {
        onmessage(message);
      }
    };
    return new DeviceClient(pathTail(prefix), queryParam("token"), pageHandlers);
  }

  /* Short messages in `node`: shown 2.5 s, an error `errorMs`; a new one replaces the last. */
  function Toast(node, errorMs) {
    this.node = node;
    this.errorMs = errorMs;
    this.timer = null;
  }

  Toast.prototype.show = function (text, isError) {
    var node = this.node;
    node.textContent = text;
    node.className = "toast" + (isError ? " error" : "");
    node.hidden = false;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () {
      node.hidden = true;
    }, isError ? this.errorMs : 2500);
  };

  window.Hall = {
    el: el,
    clear: clear,
    $: $,
    t: t,
    fmtWait: fmtWait,
    fmtEta: fmtEta,
    fmtDuration: fmtDuration,
    fmtTime: fmtTime,
    fmtDay: fmtDay,
    setZone: setZone,
    zone: function () {
      return zone.name;
    },
    windowLabel: windowLabel,
    serviceName: serviceName,
    serviceDescription: serviceDescription,
    errorText: errorText,
    wsUrl: wsUrl,
    LiveSocket: LiveSocket,
    DeviceClient: DeviceClient,
    pathTail: pathTail,
    queryParam: queryParam,
    Clock: Clock,
    setBanner: setBanner,
    withBanner: withBanner,
    devicePage: devicePage,
    Toast: Toast
  };
})();
