/* A small QR code encoder (ISO/IEC 18004): byte mode, versions 1 to 10, error correction
 * L, M, Q or H (M by default), the mask chosen by the standard's penalty rules unless given.
 *
 *   var code = QR.encode("https://hall.example/t/A001");          // {version, ecl, mask, size, modules}
 *   var code = QR.encode(text, {ecl: "M", version: 3, mask: 2});  // fixed version and mask
 *   node.appendChild(QR.toSvg(code, {border: 4, title: "..."}));
 *
 * `modules[y][x]` is true for a dark module. Text is encoded as UTF-8.
 */
(function () {
  "use strict";

  var MAX_VERSION = 10;
  var ECL_INDEX = { L: 0, M: 1, Q: 2, H: 3 };
  var ECL_FORMAT_BITS = { L: 1, M: 0, Q: 3, H: 2 };

  /* Per version (index 0 unused), per level L, M, Q, H. */
  var ECC_CODEWORDS_PER_BLOCK = [
    [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18],
    [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26],
    [-1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24],
    [-1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28]
  ];
  var NUM_ERROR_CORRECTION_BLOCKS = [
    [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4],
    [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5],
    [-1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8],
    [-1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8]
  ];

  var PENALTY_N1 = 3;
  var PENALTY_N2 = 3;
  var PENALTY_N3 = 40;
  var PENALTY_N4 = 10;

  function utf8Bytes(text) {
    if (typeof TextEncoder !== "undefined") {
      return Array.prototype.slice.call(new TextEncoder().encode(text));
    }
    var bytes = [];
    var encoded = unescape(encodeURIComponent(text));
    for (var i = 0; i < encoded.length; i++) {
      bytes.push(encoded.charCodeAt(i));
    }
    return bytes;
  }

  /* Modules available for data and error correction codewords (with remainder bits). */
  function numRawDataModules(ver) {
    var result = (16 * ver + 128) * ver + 64;
    if (ver >= 2) {
      var numAlign = Math.floor(ver / 7) + 2;
      result -= (25 * numAlign - 10) * numAlign - 55;
      if (ver >= 7) {
        result -= 36;
      }
    }
    return result;
  }

  function numDataCodewords(ver, ecl) {
    var e = ECL_INDEX[ecl];
    return (
      Math.floor(numRawDataModules(ver) / 8) -
      ECC_CODEWORDS_PER_BLOCK[e][ver] * NUM_ERROR_CORRECTION_BLOCKS[e][ver]
    );
  }

  function countBits(ver) {
    return ver <= 9 ? 8 : 16;
  }

  /* Bits needed for byte mode: 4 (mode) + count indicator + 8 per byte. */
  function fits(ver, ecl, byteCount) {
    var bits = 4 + countBits(ver) + 8 * byteCount;
    return byteCount < 1 << countBits(ver) && bits <= numDataCodewords(ver, ecl) * 8;
  }

  /* ---- Reed-Solomon over GF(2^8), polynomial 0x11D ---------------------------------- */
  function gfMultiply(x, y) {
    var z = 0;
    for (var i = 7; i >= 0; i--) {
      z = (z << 1) ^ ((z >>> 7) * 0x11d);
      z ^= ((y >>> i) & 1) * x;
    }
    return z & 0xff;
  }

  function rsDivisor(degree) {
    var result = [];
    for (var i = 0; i < degree - 1; i++) {
      result.push(0);
    }
    result.push(1);
    var root = 1;
    for (i = 0; i < degree; i++) {
      for (var j = 0; j < result.length; j++) {
        result[j] = gfMultiply(result[j], root);
        if (j + 1 < result.length) {
          result[j] ^= result[j + 1];
        }
      }
      root = gfMultiply(root, 0x02);
    }
    return result;
  }

  function rsRemainder(data, divisor) {
    var result = divisor.map(function () {
      return 0;
    });
    data.forEach(function (b) {
      var factor = b ^ result.shift();
      result.push(0);
      divisor.forEach(function (coef, i) {
        result[i] ^= gfMultiply(coef, factor);
      });
    });
    return result;
  }

  /* ---- Data codewords --------------------------------------------------------------- */
  function dataCodewords(bytes, ver, ecl) {
    var bits = [];
    function append(value, length) {
      for (var i = length - 1; i >= 0; i--) {
        bits.push((value >>> i) & 1);
      }
    }
    append(0x4, 4); // byte mode
    append(bytes.length, countBits(ver));
    bytes.forEach(function (b) {
      append(b, 8);
    });
    var capacityBits = numDataCodewords(ver, ecl) * 8;
    append(0, Math.min(4, capacityBits - bits.length)); // terminator
    append(0, (8 - (bits.length % 8)) % 8);
    for (var pad = 0xec; bits.length < capacityBits; pad ^= 0xec ^ 0x11) {
      append(pad, 8);
    }
    var codewords = [];
    for (var i = 0; i < bits.length; i += 8) {
      var byte = 0;
      for (var j = 0; j < 8; j++) {
        byte = (byte << 1) | bits[i + j];
      }
      codewords.push(byte);
    }
    return codewords;
  }

  function withErrorCorrection(data, ver, ecl) {
    var e = ECL_INDEX[ecl];
    var numBlocks = NUM_ERROR_CORRECTION_BLOCKS[e][ver];
    var blockEccLen = ECC_CODEWORDS_PER_BLOCK[e][ver];
    var rawCodewords = Math.floor(numRawDataModules(ver) / 8);
    var numShortBlocks = numBlocks - (rawCodewords % numBlocks);
    var shortBlockLen = Math.floor(rawCodewords / numBlocks);
    var divisor = rsDivisor(blockEccLen);
    var blocks = [];
    for (var i = 0, k = 0; i < numBlocks; i++) {
      var dat = data.slice(k, k + shortBlockLen - blockEccLen + (i < numShortBlocks ? 0 : 1));
      k += dat.length;
      var ecc = rsRemainder(dat, divisor);
      if (i < numShortBlocks) {
        dat.push(0); // placeholder, skipped when interleaving
      }
      blocks.push(dat.concat(ecc));
    }
    var result = [];
    for (i = 0; i < blocks[0].length; i++) {
      for (var j = 0; j < blocks.length; j++) {
        if (i !== shortBlockLen - blockEccLen || j >= numShortBlocks) {
          result.push(blocks[j][i]);
        }
      }
    }
    return result;
  }

  /* ---- The symbol ----------------------------------------------------------------- */
  function alignmentPositions(ver) {
    if (ver === 1) {
      return [];
    }
    var size = ver * 4 + 17;
    var numAlign = Math.floor(ver / 7) + 2;
    var step = Math.floor((ver * 8 + numAlign * 3 + 5) / (numAlign * 4 - 4)) * 2;
    var result = [6];
    for (var pos = size - 7; result.length < numAlign; pos -= step) {
      result.splice(1, 0, pos);
    }
    return result;
  }

  function Symbol(ver, ecl) {
    this.version = ver;
    this.ecl = ecl;
    this.size = ver * 4 + 17;
    this.modules = [];
    this.isFunction = [];
    for (var y = 0; y < this.size; y++) {
      var row = [];
      var fn = [];
      for (var x = 0; x < this.size; x++) {
        row.push(false);
        fn.push(false);
      }
      this.modules.push(row);
      this.isFunction.push(fn);
    }
  }

  Symbol.prototype.setFunction = function (x, y, dark) {
    this.modules[y][x] = dark;
    this.isFunction[y][x] = true;
  };

  Symbol.prototype.drawFunctionPatterns = function () {
    var size = this.size;
    var i;
    for (i = 0; i < size; i++) {
      this.setFunction(6, i, i % 2 === 0);
      this.setFunction(i, 6, i % 2 === 0);
    }
    this.drawFinder(3, 3);
    this.drawFinder(size - 4, 3);
    this.drawFinder(3, size - 4);
    var positions = alignmentPositions(this.version);
    var n = positions.length;
    for (i = 0; i < n; i++) {
      for (var j = 0; j < n; j++) {
        var corner =
          (i === 0 && j === 0) || (i === 0 && j === n - 1) || (i === n - 1 && j === 0);
        if (!corner) {
          this.drawAlignment(positions[i], positions[j]);
        }
      }
    }
    this.drawFormatBits(0); // reserves the area; drawn again once the mask is known
    this.drawVersion();
  };

  Symbol.prototype.drawFinder = function (x, y) {
    for (var dy = -4; dy <= 4; dy++) {
      for (var dx = -4; dx <= 4; dx++) {
        var dist = Math.max(Math.abs(dx), Math.abs(dy));
        var xx = x + dx;
        var yy = y + dy;
        if (xx >= 0 && xx < this.size && yy >= 0 && yy < this.size) {
          this.setFunction(xx, yy, dist !== 2 && dist !== 4);
        }
      }
    }
  };

  Symbol.prototype.drawAlignment = function (x, y) {
    for (var dy = -2; dy <= 2; dy++) {
      for (var dx = -2; dx <= 2; dx++) {
        this.setFunction(x + dx, y + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
  };

  Symbol.prototype.drawFormatBits = function (mask) {
    var data = (ECL_FORMAT_BITS[this.ecl] << 3) | mask;
    var rem = data;
    for (var i = 0; i < 10; i++) {
      rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    }
    var bits = ((data << 10) | rem) ^ 0x5412;
    var bit = function (k) {
      return ((bits >>> k) & 1) !== 0;
    };
    var size = this.size;
    for (i = 0; i <= 5; i++) {
      this.setFunction(8, i, bit(i));
    }
    this.setFunction(8, 7, bit(6));
    this.setFunction(8, 8, bit(7));
    this.setFunction(7, 8, bit(8));
    for (i = 9; i < 15; i++) {
      this.setFunction(14 - i, 8, bit(i));
    }
    for (i = 0; i < 8; i++) {
      this.setFunction(size - 1 - i, 8, bit(i));
    }
    for (i = 8; i < 15; i++) {
      this.setFunction(8, size - 15 + i, bit(i));
    }
    this.setFunction(8, size - 8, true); // the dark module
  };

  Symbol.prototype.drawVersion = function () {
    if (this.version < 7) {
      return;
    }
    var rem = this.version;
    for (var i = 0; i < 12; i++) {
      rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    }
    var bits = (this.version << 12) | rem;
    for (i = 0; i < 18; i++) {
      var dark = ((bits >>> i) & 1) !== 0;
      var a = this.size - 11 + (i % 3);
      var b = Math.floor(i / 3);
      this.setFunction(a, b, dark);
      this.setFunction(b, a, dark);
    }
  };

  Symbol.prototype.drawCodewords = function (codewords) {
    var size = this.size;
    var i = 0;
    var total = codewords.length * 8;
    for (var right = size - 1; right >= 1; right -= 2) {
      if (right === 6) {
        right = 5; // skip the vertical timing pattern
      }
      for (var vert = 0; vert < size; vert++) {
        for (var j = 0; j < 2; j++) {
          var x = right - j;
          var upward = ((right + 1) & 2) === 0;
          var y = upward ? size - 1 - vert : vert;
          if (!this.isFunction[y][x] && i < total) {
            this.modules[y][x] = ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) !== 0;
            i++;
          }
          /* Remainder bits stay light (false) before masking. */
        }
      }
    }
  };

  function maskBit(mask, x, y) {
    switch (mask) {
      case 0:
        return (x + y) % 2 === 0;
      case 1:
        return y % 2 === 0;
      case 2:
        return x % 3 === 0;
      case 3:
        return (x + y) % 3 === 0;
      case 4:
        return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0;
      case 5:
        return ((x * y) % 2) + ((x * y) % 3) === 0;
      case 6:
        return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0;
      case 7:
        return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
      default:
        throw new RangeError("mask must be 0 to 7");
    }
  }

  /* XOR the mask into the data modules (applying it twice undoes it). */
  Symbol.prototype.applyMask = function (mask) {
    for (var y = 0; y < this.size; y++) {
      for (var x = 0; x < this.size; x++) {
        if (!this.isFunction[y][x] && maskBit(mask, x, y)) {
          this.modules[y][x] = !this.modules[y][x];
        }
      }
    }
  };

  /* The standard's penalty (N1 runs, N2 blocks, N3 finder-like patterns, N4 balance). */
  Symbol.prototype.penalty = function () {
    var size = this.size;
    var m = this.modules;
    var score = 0;
    var dark = 0;
    function line(get) {
      var s = 0;
      var run = 1;
      for (var i = 1; i <= size; i++) {
        if (i < size && get(i) === get(i - 1)) {
          run++;
        } else {
          if (run >= 5) {
            s += PENALTY_N1 + (run - 5);
          }
          run = 1;
        }
      }
      /* 1:1:3:1:1 with 4 light modules before or after (outside the symbol counts light). */
      var pattern = [true, false, true, true, true, false, true];
      for (i = 0; i + 7 <= size; i++) {
        var match = true;
        for (var k = 0; k < 7 && match; k++) {
          match = get(i + k) === pattern[k];
        }
        if (!match) {
          continue;
        }
        var lightBefore = true;
        var lightAfter = true;
        for (k = 1; k <= 4; k++) {
          if (i - k >= 0 && get(i - k)) {
            lightBefore = false;
          }
          if (i + 6 + k < size && get(i + 6 + k)) {
            lightAfter = false;
          }
        }
        if (lightBefore || lightAfter) {
          s += PENALTY_N3;
        }
      }
      return s;
    }
    for (var y = 0; y < size; y++) {
      score += line(function (x) {
        return m[y][x];
      });
    }
    for (var x = 0; x < size; x++) {
      score += line(function (yy) {
        return m[yy][x];
      });
    }
    for (y = 0; y < size - 1; y++) {
      for (x = 0; x < size - 1; x++) {
        var c = m[y][x];
        if (c === m[y][x + 1] && c === m[y + 1][x] && c === m[y + 1][x + 1]) {
          score += PENALTY_N2;
        }
      }
    }
    for (y = 0; y < size; y++) {
      for (x = 0; x < size; x++) {
        if (m[y][x]) {
          dark++;
        }
      }
    }
    var total = size * size;
    var k = Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1;
    score += Math.max(0, k) * PENALTY_N4;
    return score;
  };

  /* The smallest version (1..10) that holds `byteCount` bytes at level `ecl`, or 0. */
  function minVersion(byteCount, ecl) {
    for (var ver = 1; ver <= MAX_VERSION; ver++) {
      if (fits(ver, ecl, byteCount)) {
        return ver;
      }
    }
    return 0;
  }

  function encode(text, options) {
    options = options || {};
    var ecl = (options.ecl || "M").toUpperCase();
    if (!Object.prototype.hasOwnProperty.call(ECL_INDEX, ecl)) {
      throw new RangeError("error correction level must be L, M, Q or H");
    }
    var bytes = typeof text === "string" ? utf8Bytes(text) : Array.prototype.slice.call(text);
    var ver = options.version;
    if (ver === undefined || ver === null) {
      ver = minVersion(bytes.length, ecl);
      if (!ver) {
        throw new RangeError("data too long for a version " + MAX_VERSION + " QR code");
      }
    } else if (ver < 1 || ver > MAX_VERSION || ver !== Math.floor(ver)) {
      throw new RangeError("version must be 1 to " + MAX_VERSION);
    } else if (!fits(ver, ecl, bytes.length)) {
      throw new RangeError("data too long for version " + ver);
    }
    var codewords = withErrorCorrection(dataCodewords(bytes, ver, ecl), ver, ecl);
    var symbol = new Symbol(ver, ecl);
    symbol.drawFunctionPatterns();
    symbol.drawCodewords(codewords);
    var mask = options.mask;
    if (mask === undefined || mask === null || mask < 0) {
      var best = -1;
      var bestScore = Infinity;
      for (var candidate = 0; candidate < 8; candidate++) {
        symbol.applyMask(candidate);
        symbol.drawFormatBits(candidate);
        var score = symbol.penalty();
        if (score < bestScore) {
          best = candidate;
          bestScore = score;
        }
        symbol.applyMask(candidate); // undo
      }
      mask = best;
    }
    symbol.applyMask(mask);
    symbol.drawFormatBits(mask);
    return {
      version: ver,
      ecl: ecl,
      mask: mask,
      size: symbol.size,
      modules: symbol.modules
    };
  }

  /* An <svg> element drawing `code` with a light border of `border` modules. */
  function toSvg(code, options) {
    options = options || {};
    var border = options.border === undefined ? 4 : options.border;
    var dim = code.size + border * 2;
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + dim + " " + dim);
    svg.setAttribute("shape-rendering", "crispEdges");
    svg.setAttribute("role", "img");
    svg.setAttribute("class", "qr");
    if (options.title) {
      svg.setAttribute("aria-label", options.title);
      var title = document.createElementNS(ns, "title");
      title.textContent = options.title;
      svg.appendChild(title);
    }
    var bg = document.createElementNS(ns, "rect");
    bg.setAttribute("width", "100%");
    bg.setAttribute("height", "100%");
    bg.setAttribute("fill", options.light || "#ffffff");
    svg.appendChild(bg);
    var d = [];
    for (var y = 0; y < code.size; y++) {
      for (var x = 0; x < code.size; x++) {
        if (code.modules[y][x]) {
          d.push("M" + (x + border) + "," + (y + border) + "h1v1h-1z");
        }
      }
    }
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", d.join(""));
    path.setAttribute("fill", options.dark || "#000000");
    svg.appendChild(path);
    return svg;
  }

  window.QR = {
    encode: encode,
    toSvg: toSvg,
    minVersion: minVersion,
    MAX_VERSION: MAX_VERSION
  };
})();
