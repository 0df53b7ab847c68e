/* A short chime made in the page with WebAudio (no sound file to fetch): the screen plays it
 * before it speaks a call, the ticket page when the citizen is nearly up or called.
 * Browsers let a page make sound only after a person has touched it: `unlock()` is called
 * from a click or key press; until then `play` stays silent and resolves false. */
(function () {
  "use strict";

  var PEAK = 0.3;
  /* [frequency in Hz, start in s] per note: a falling two-tone "ding-dong" for a call, a
   * quicker rising pair as a reminder. */
  var TUNES = {
    call: [
      [659.25, 0],
      [523.25, 0.45]
    ],
    near: [
      [784, 0],
      [1046.5, 0.2]
    ]
  };
  var NOTE_S = 0.9;
  var context = null;

  function audio() {
    if (context) {
      return context;
    }
    var Context = window.AudioContext || window.webkitAudioContext;
    if (typeof Context !== "function") {
      return null;
    }
    try {
      context = new Context();
    } catch (e) {
      return null;
    }
    return context;
  }

  function unlock() {
    var ctx = audio();
    if (ctx && ctx.state === "suspended" && ctx.resume) {
      return ctx.resume().then(
        function () {
          return ctx.state === "running";
        },
        function () {
          return false;
        }
      );
    }
    return Promise.resolve(Boolean(ctx) && ctx.state === "running");
  }

  function ready() {
    return Boolean(context) && context.state === "running";
  }

  /* Play tune `name`; resolves once it has ended (true) or at once when the page may not
   * make sound (false), so what follows (the voice) never overlaps it. */
  function play(name) {
    var tune = TUNES[name] || TUNES.call;
    if (!ready()) {
      return Promise.resolve(false);
    }
    var start = context.currentTime + 0.02;
    var end = 0;
    tune.forEach(function (note) {
      var at = start + note[1];
      var osc = context.createOscillator();
      var gain = context.createGain();
      osc.type = "sine";
      osc.frequency.setValueAtTime(note[0], at);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(PEAK, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + NOTE_S);
      osc.connect(gain);
      gain.connect(context.destination);
      osc.start(at);
      osc.stop(at + NOTE_S + 0.05);
      end = Math.max(end, note[1] + NOTE_S);
    });
    return new Promise(function (resolve) {
      window.setTimeout(function () {
        resolve(true);
      }, Math.ceil((end + 0.1) * 1000));
    });
  }

  window.HallChime = { unlock: unlock, ready: ready, play: play };
})();
