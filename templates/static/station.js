// The scan station, with JavaScript: a scan (or an acknowledgement) is sent with fetch and the station's part of
// the page replaced in place, then a cue sounds for the verdict: a low triple buzz for STOP, two rising tones for
// PROCEED, one soft tone for a scan only identified.
//
// Why it sounds despite browsers' autoplay rules: the Web Audio context is created and resumed inside the submit
// event that the scanner's Enter key (or a click) fires on this same page, which is a user activation; the page is
// never navigated away from, so the activation and the running context last for the next verdicts. A page drawn by
// a plain form submission (no fetch) tries too, and stays silent where the browser refuses; the verdict still shows.
// Without JavaScript every step is the plain form it falls back to.
(() => {
  "use strict";

  // [frequency Hz, start s, length s, wave]
  const CUES = {
    stop: [[220, 0, 0.18, "square"], [220, 0.26, 0.18, "square"], [220, 0.52, 0.3, "square"]],
    proceed: [[880, 0, 0.12, "sine"], [1320, 0.14, 0.18, "sine"]],
    identified: [[660, 0, 0.16, "triangle"]],
  };
  let audio = null;
  let cued = 0; // cues sounded since this page was opened

  function audioContext() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (audio === null) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }

  function sound(kind) {
    const tones = CUES[kind];
    const context = audioContext();
    const station = document.querySelector(".station");
    if (station) {
      // What was cued, and whether the browser let it sound: for people checking the station, and for its tests.
      station.dataset.cue = kind;
      cued += 1;
      station.dataset.cueCount = String(cued);
      station.dataset.audio = context ? context.state : "unavailable";
    }
    if (!tones || !context) return;
    const start = context.currentTime + 0.02;
    for (const [frequency, at, length, wave] of tones) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = wave;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + at);
      gain.gain.exponentialRampToValueAtTime(0.3, start + at + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + at + length);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + at);
      oscillator.stop(start + at + length + 0.02);
    }
  }

  function cueOf(root) {
    const verdict = root.querySelector("[data-cue]");
    return verdict ? verdict.dataset.cue : null;
  }

  function focusScanField() {
    const field = document.getElementById("raw");
    if (field) field.focus();
  }

  async function send(form, body) {
    const response = await fetch(form.action, {
      method: "POST", body, credentials: "same-origin", headers: { Accept: "text/html" },
    });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(".station");
    const current = document.querySelector(".station");
    if (!fresh || !current) {
      // Not a station page (signed out, an error page): show it as a plain submission would have.
      document.documentElement.replaceWith(document.adoptNode(page.documentElement));
      return;
    }
    current.replaceWith(document.adoptNode(fresh));
    document.title = page.title;
    focusScanField();
    const kind = cueOf(fresh);
    if (kind) sound(kind);
  }

  // Scans are answered in the order they were made, one at a time.
  let queue = Promise.resolve();

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.closest(".station") || form.method !== "post") return;
    if (!window.fetch || !window.DOMParser) return;
    event.preventDefault();
    audioContext(); // within the user activation of this submission
    const body = new FormData(form);
    if (form.classList.contains("scan-form")) {
      const field = form.querySelector("#raw");
      if (field) field.value = "";
    }
    queue = queue.then(() => send(form, body)).catch(() => {
      // The answer did not come (the network, the server): the same scan as a plain form, which says what happened.
      const scan = form.classList.contains("scan-form");
      const live = document.querySelector(scan ? ".station .scan-form" : ".station .acknowledge-form") || form;
      const field = live.querySelector("#raw");
      if (scan && field) field.value = String(body.get("raw") || "");
      HTMLFormElement.prototype.submit.call(live);
    });
  });

  document.addEventListener("DOMContentLoaded", () => {
    const kind = cueOf(document);
    if (kind) sound(kind);
  });
})();
