/* Copies of captured pages on the window's printer: the page drawn at the printer's width in
 * dots, dithered to one bit (Floyd–Steinberg) and packed as a binary PBM (P4), the bytes the
 * printer's ESC/POS raster command prints. The page's image never leaves the pad but as this
 * raster, over HTTP to the hub. */
(function () {
  "use strict";

  var MAX_ROWS = 4000; /* the hub's limit (about 50 cm of paper) */

  /* The dots of `image` (an <img> that has loaded) `dots` wide, as { width, height, rows }:
   * rows of ceil(width / 8) bytes, the leftmost dot in the top bit, 1 for black. */
  function dither(image, dots) {
    var w = dots;
    var h = Math.max(1, Math.round((image.naturalHeight * dots) / image.naturalWidth));
    var drawW = w;
    if (h > MAX_ROWS) {
      /* A very tall page: as high as allowed, narrower, in the middle. */
      drawW = Math.max(1, Math.round((w * MAX_ROWS) / h));
      h = MAX_ROWS;
    }
    var canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(image, Math.floor((w - drawW) / 2), 0, drawW, h);
    var px = ctx.getImageData(0, 0, w, h).data;
    var gray = new Float32Array(w * h);
    for (var i = 0; i < w * h; i++) {
      gray[i] = 0.299 * px[i * 4] + 0.587 * px[i * 4 + 1] + 0.114 * px[i * 4 + 2];
    }
    var rowBytes = Math.ceil(w / 8);
    var rows = new Uint8Array(rowBytes * h);
    for (var y = 0; y < h; y++) {
      for (var x = 0; x < w; x++) {
        var at = y * w + x;
        var old = gray[at];
        var ink = old < 128;
        var err = old - (ink ? 0 : 255);
        if (ink) {
          rows[y * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
        }
        if (x + 1 < w) {
          gray[at + 1] += (err * 7) / 16;
        }
        if (y + 1 < h) {
          if (x > 0) {
            gray[at + w - 1] += (err * 3) / 16;
          }
          gray[at + w] += (err * 5) / 16;
          if (x + 1 < w) {
            gray[at + w + 1] += err / 16;
          }
        }
      }
    }
    return { width: w, height: h, rows: rows };
  }

  /* The raster as a binary PBM, ready to send. */
  function pbm(raster) {
    var header = "P4\n" + raster.width + " " + raster.height + "\n";
    return new Blob([header, raster.rows], { type: "image/x-portable-bitmap" });
  }

  /* `image` once it has loaded (a page's thumbnail may still be loading). */
  function loaded(image) {
    if (image.complete && image.naturalWidth) {
      return Promise.resolve(image);
    }
    return new Promise(function (resolve, reject) {
      image.addEventListener("load", function () { resolve(image); });
      image.addEventListener("error", function () { reject(new Error("the page did not load")); });
    });
  }

  window.hallScanPrint = { dither: dither, pbm: pbm, loaded: loaded, MAX_ROWS: MAX_ROWS };
})();
