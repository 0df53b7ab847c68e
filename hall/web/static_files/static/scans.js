/* The window pad's document capture (影印): while a ticket is in hand, the clerk captures the
 * citizen's documents with the document camera (getUserMedia) or takes files (JPEG, PNG,
 * PDF), names each page by the service's required documents (the catalogue's, sent with the
 * services) or by a name typed in, and retakes, reorders and removes pages. Pages go to the
 * hub over HTTP (/pad/<device>/documents, the device's token as for its socket) and leave
 * with the case for the back office; the page keeps nothing of them but what it shows.
 * When the pad has a printer (its `printer` in the hall file), each image page may be printed
 * there: drawn at the printer's width and dithered here (scan_print.js), sent as a raster. */
(function () {
  "use strict";

  var H = window.Hall;
  var el = H.el;
  var t = H.t;
  var device = H.pathTail("/pad/");
  var token = H.queryParam("token");
  var base = "/pad/" + encodeURIComponent(device) + "/documents";
  var toaster = new H.Toast(H.$("toast"), 5000);

  var enabled = false; // the hall keeps documents (else the button stays hidden)
  var inHand = null; // the ticket in hand at this window, or null
  var pages = [];
  var maxPages = 0;
  var maxBytes = 0;
  var chosen = ""; // the document name the next page gets
  var retaking = null; // the id of the page the next capture replaces
  var stream = null;
  var busy = false;
  var printer = null; // the pad's printer {id, online, dots, paper}, or null: no print keys
  var printing = {}; // page id -> {text, error}: how its last copy went

  function url(path, params) {
    var query = [];
    if (token) {
      query.push("token=" + encodeURIComponent(token));
    }
    Object.keys(params || {}).forEach(function (name) {
      query.push(name + "=" + encodeURIComponent(params[name]));
    });
    return base + (path || "") + (query.length ? "?" + query.join("&") : "");
  }

  function call(method, path, body, params) {
    var init = { method: method, credentials: "same-origin" };
    if (body !== undefined) {
      init.body = body;
    }
    return window.fetch(url(path, params), init).then(function (response) {
      if (response.status === 204) {
        return {};
      }
      return response.json().then(function (data) {
        if (!response.ok) {
          var error = new Error((data.error && data.error.message) || String(response.status));
          error.status = response.status;
          error.code = data.error && data.error.code;
          throw error;
        }
        return data;
      });
    });
  }

  /* Why the hub refused, in the page's language: its message is English only. */
  function refusal(error) {
    var key = "scan.err." + error.code;
    if (error.code && window.I18N.has(key)) {
      var mib = Math.round((maxBytes / 1048576) * 10) / 10;
      return t(key, { max: maxPages, size: mib >= 1 ? mib + " MB" : Math.ceil(maxBytes / 1024) + " KB" });
    }
    return error.code ? H.errorText({ code: error.code, message: error.message }) : error.message;
  }

  /* Why a copy was refused, in the page's language. */
  function printRefusal(error) {
    var key = "scan.print.err." + error.code;
    if (error.code && window.I18N.has(key)) {
      return t(key, { printer: printer ? printer.id : "" });
    }
    return error.message;
  }

  function json(value) {
    return JSON.stringify(value);
  }

  /* ---- what the pad shows ------------------------------------------------------------------ */
  function ticketInHand() {
    var win = window.hallPad && window.hallPad.state();
    if (!win || !win.ticket || (win.ticket_state !== "called" && win.ticket_state !== "serving")) {
      return null;
    }
    return win.ticket;
  }

  function requiredDocuments() {
    var services = (window.hallPad && window.hallPad.services()) || [];
    var code = inHand ? inHand.charAt(0) : "";
    for (var i = 0; i < services.length; i++) {
      if (services[i].code === code) {
        return services[i].documents || [];
      }
    }
    return [];
  }

  function renderButton() {
    var button = H.$("scan-open");
    button.hidden = !enabled;
    button.disabled = !inHand;
    button.textContent = inHand && pages.length ? t("scan.open.count", { n: pages.length }) : t("scan.open");
  }

  function nextName() {
    var taken = pages.map(function (p) { return p.name; });
    var missing = requiredDocuments().filter(function (name) { return taken.indexOf(name) < 0; });
    return missing[0] || requiredDocuments()[0] || "";
  }

  function renderNames() {
    var box = H.clear(H.$("scan-names"));
    requiredDocuments().forEach(function (name) {
      box.appendChild(
        el("button", {
          type: "button",
          class: "btn secondary",
          "data-name": name,
          "aria-pressed": name === chosen && !H.$("scan-other").value.trim() ? "true" : "false",
          text: name,
          onclick: function () {
            H.$("scan-other").value = "";
            chosen = name;
            renderNames();
          }
        })
      );
    });
  }

  function pageName() {
    return H.$("scan-other").value.trim() || chosen;
  }

  function nameSelect(page, n) {
    var names = requiredDocuments().slice();
    if (names.indexOf(page.name) < 0) {
      names.unshift(page.name);
    }
    var select = el(
      "select",
      {
        "aria-label": t("scan.rename", { n: n }),
        onchange: function () {
          act(call("PATCH", "/" + page.id, json({ name: select.value })));
        }
      },
      names.map(function (name) {
        return el("option", { value: name, selected: name === page.name, text: name });
      })
    );
    return select;
  }

  function tool(label, text, onclick, disabled) {
    return el("button", { type: "button", class: "btn secondary", "aria-label": label, text: text, disabled: disabled || busy, onclick: onclick });
  }

  function showPrinting(pageId, text, error) {
    printing[pageId] = { text: text, error: error };
    var node = document.querySelector('#scan-pages li[data-page="' + pageId + '"] .print-state');
    if (node) {
      node.textContent = text;
      node.classList.toggle("error", !!error);
    }
  }

  function printPage(page, n, image) {
    var dots = printer.dots;
    showPrinting(page.id, t("scan.print.drawing"), false);
    window.hallScanPrint
      .loaded(image)
      .then(function (loadedImage) {
        var raster = window.hallScanPrint.dither(loadedImage, dots);
        showPrinting(page.id, t("scan.print.sending"), false);
        return call("POST", "/" + page.id + "/print", window.hallScanPrint.pbm(raster));
      })
      .then(function (data) {
        var said = t("scan.print.sent", { n: n, printer: data.printer });
        showPrinting(page.id, said, false);
        toaster.show(said, false);
      })
      .catch(function (error) {
        var said = t("scan.print.refused", { msg: printRefusal(error) });
        showPrinting(page.id, said, true);
        toaster.show(said, true);
      });
  }

  /* The page's print key and how its copy went; a PDF page says why it cannot be printed. */
  function printTools(page, n, preview) {
    if (!printer) {
      return [];
    }
    var pdf = page.kind === "pdf";
    var state = printing[page.id];
    return [
      el("button", {
        type: "button",
        class: "btn secondary print",
        "aria-label": t("scan.print.page", { n: n }),
        text: t("scan.print"),
        disabled: pdf || busy,
        onclick: function () {
          printPage(page, n, preview);
        }
      }),
      el("p", {
        class: "print-state" + (pdf || (state && state.error) ? " error" : ""),
        role: "status",
        text: pdf ? t("scan.print.pdf") : state ? state.text : ""
      })
    ];
  }

  function renderPrinter() {
    var line = H.$("scan-printer");
    line.hidden = !printer;
    line.textContent = printer
      ? t(
          !printer.online ? "scan.printer.offline" : printer.paper === "out" ? "scan.printer.paper_out" : "scan.printer.online",
          { printer: printer.id }
        )
      : "";
  }

  function move(index, by) {
    var order = pages.map(function (p) { return p.id; });
    var moved = order.splice(index, 1)[0];
    order.splice(index + by, 0, moved);
    act(call("PUT", "", json({ order: order })));
  }

  function renderPages() {
    var list = H.clear(H.$("scan-pages"));
    H.$("scan-title").textContent = t("scan.title", { no: inHand || "" });
    H.$("scan-count").textContent = t("scan.count", { n: pages.length, max: maxPages });
    if (!pages.length) {
      list.appendChild(el("li", { class: "empty", text: t("scan.none") }));
    }
    pages.forEach(function (page, index) {
      var n = index + 1;
      var preview =
        page.kind === "pdf"
          ? el("div", { class: "pdf", text: t("scan.pdf") })
          : el("img", { src: url("/" + page.id), alt: t("scan.page", { n: n, name: page.name }) });
      list.appendChild(
        el("li", { "data-page": page.id, class: page.id === retaking ? "retaking" : "" }, [
          preview,
          nameSelect(page, n),
          el("div", { class: "tools" }, [
            tool(t("scan.up", { n: n }), "↑", function () { move(index, -1); }, index === 0),
            tool(t("scan.down", { n: n }), "↓", function () { move(index, 1); }, index === pages.length - 1),
            tool(t("scan.retake", { n: n }), "⟳", function () {
              retaking = retaking === page.id ? null : page.id;
              renderPages();
            }),
            tool(t("scan.remove", { n: n }), "✕", function () {
              act(call("DELETE", "/" + page.id), t("scan.removed"));
            })
          ])
        ].concat(printTools(page, n, preview)))
      );
    });
    var at = pages.map(function (p) { return p.id; }).indexOf(retaking);
    H.$("scan-retaking").hidden = at < 0;
    H.$("scan-retaking").textContent = at >= 0 ? t("scan.retaking", { n: at + 1 }) : "";
    H.$("scan-shoot").disabled = busy || !stream;
    renderPrinter();
    renderButton();
  }

  function load() {
    if (!window.fetch) {
      return Promise.resolve();
    }
    return call("GET", "")
      .then(function (data) {
        enabled = true;
        pages = data.documents || [];
        maxPages = data.max_pages || 0;
        maxBytes = data.max_bytes || 0;
        printer = data.printer || null;
      })
      .catch(function (error) {
        /* 404: this hall keeps no documents; 403: this device may not capture any */
        enabled = error.status !== 404 && error.status !== 403;
        pages = [];
        printer = null;
      })
      .then(function () {
        renderButton();
        if (!H.$("scan-dialog").hidden) {
          renderPages();
        }
      });
  }

  /* Refresh after a change; `said` is toasted when it went through. */
  function act(promise, said) {
    busy = true;
    renderPages();
    return promise
      .then(function (result) {
        if (said) {
          toaster.show(said, false);
        }
        return result;
      })
      .catch(function (error) {
        toaster.show(t("scan.failed", { msg: refusal(error) }), true);
      })
      .then(function () {
        busy = false;
        return load();
      });
  }

  /* ---- capturing ----------------------------------------------------------------------------- */
  function keep(blob) {
    var name = pageName();
    if (!retaking && !name) {
      toaster.show(t("scan.choose_name"), true);
      return Promise.resolve();
    }
    var replacing = retaking;
    var request = replacing ? call("PUT", "/" + replacing, blob) : call("POST", "", blob, { name: name });
    return act(
      request.then(function (data) {
        retaking = null;
        var n = data.page.order;
        toaster.show(replacing ? t("scan.replaced", { n: n }) : t("scan.kept", { n: n, name: data.page.name }), false);
        H.$("scan-other").value = "";
        return data;
      })
    ).then(function () {
      chosen = nextName();
      renderNames();
    });
  }

  function shoot() {
    var video = H.$("scan-video");
    if (!stream || !video.videoWidth) {
      return;
    }
    var canvas = H.$("scan-canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(
      function (blob) {
        if (blob) {
          keep(blob);
        }
      },
      "image/jpeg",
      0.9
    );
  }

  function startCamera() {
    var media = navigator.mediaDevices;
    if (!media || !media.getUserMedia) {
      H.$("scan-camera-state").textContent = t("scan.camera.none");
      return;
    }
    H.$("scan-camera-state").textContent = t("scan.camera.starting");
    media
      .getUserMedia({ video: { width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false })
      .then(function (opened) {
        if (H.$("scan-dialog").hidden) {
          opened.getTracks().forEach(function (track) { track.stop(); });
          return;
        }
        stream = opened;
        var video = H.$("scan-video");
        video.srcObject = stream;
        video.onloadedmetadata = function () {
          H.$("scan-camera-state").textContent = t("scan.camera.ready");
          renderPages();
        };
      })
      .catch(function () {
        H.$("scan-camera-state").textContent = t("scan.camera.none");
      });
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    H.$("scan-video").srcObject = null;
  }

  function open() {
    if (!inHand) {
      return;
    }
    retaking = null;
    chosen = nextName();
    H.$("scan-other").value = "";
    H.$("scan-dialog").hidden = false;
    renderNames();
    renderPages();
    startCamera();
    load();
  }

  function close() {
    H.$("scan-dialog").hidden = true;
    stopCamera();
    renderButton();
  }

  H.$("scan-open").addEventListener("click", open);
  H.$("scan-done").addEventListener("click", close);
  H.$("scan-shoot").addEventListener("click", shoot);
  H.$("scan-other").addEventListener("input", renderNames);
  H.$("scan-file").addEventListener("change", function () {
    var file = H.$("scan-file").files[0];
    H.$("scan-file").value = "";
    if (file) {
      keep(file);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !H.$("scan-dialog").hidden) {
      close();
    }
  });

  /* The ticket in hand changed (called, finished, transferred): its pages, or none. */
  document.addEventListener("padstate", function () {
    var now = ticketInHand();
    if (now === inHand) {
      return;
    }
    inHand = now;
    if (!inHand) {
      close();
    }
    pages = [];
    printing = {};
    load();
  });
  document.addEventListener("langchange", function () {
    renderButton();
    if (!H.$("scan-dialog").hidden) {
      renderNames();
      renderPages();
    }
  });

  load();
  window.hallScans = {
    pages: function () {
      return pages;
    }
  };
})();
