/* The waiting room: while the check-in waits for the proctor it asks now and then (jittered) whether it has been
 * admitted; it counts down to the candidate's unlock and starts the exam by itself when it unlocks.
 * The page already holds the player with the candidate's items sealed (AES-GCM): the start's answer carries the
 * key, and the page turns into the player without loading anything else. Without WebCrypto (a page served over
 * plain HTTP to another machine) or with any problem unsealing, it goes to the player's address instead. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("exam-day-config").textContent);
  var countdown = document.getElementById("unlock-countdown");
  var button = document.getElementById("start-button");
  var form = document.getElementById("start-form");
  var text = document.getElementById("waiting-text");
  if (!countdown || !form) return;
  var status = config, offset = config.serverNow - Date.now(), started = false;

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (!status.unlockAt) return;
    var ms = status.unlockAt - (Date.now() + offset);
    // Rounded up: 0:00 only once the unlock has passed on the server's clock, which refuses an early start.
    var left = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    countdown.textContent = (h ? h + ":" + two(m) : m) + ":" + two(s);
    button.disabled = status.state !== "approved" || left > 0;
    if (status.state === "approved" && ms <= 0 && !started) {
      started = true;
      countdown.textContent = config.strings.now;
      start(0);
    }
  }
  // The start, asked for as JSON: "not yet" (this clock a little ahead of the server's) is tried again shortly
  // instead of showing an error; anything else that is not a start shows the page's own answer.
  function start(tries) {
    window.fetch(config.startUrl, {method: "POST", credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value}})
      .then(function (r) { return r.json().then(function (data) { return {status: r.status, data: data}; }); })
      .then(function (result) {
        if (result.status === 200 && result.data.url) {
          unseal(result.data).catch(function () { window.location.href = result.data.url; });
          return;
        }
        if (result.data.error === "not_yet") {
          // A second early, retry; much earlier, the unlock was moved: reload for the new countdown.
          if (tries < 5) { window.setTimeout(function () { start(tries + 1); }, 700); } else { window.location.reload(); }
          return;
        }
        form.submit();
      })
      .catch(function () {
        if (tries < 10) { window.setTimeout(function () { start(tries + 1); }, 1500 + Math.random() * 1500); } else { form.submit(); }
      });
  }
  function bytes(text) {
    var binary = window.atob(text.trim()), out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }
  function unseal(data) {
    var template = document.getElementById("sealed-player");
    var blob = document.getElementById("sealed-items-data");
    var subtle = window.crypto && window.crypto.subtle;
    if (!template || !blob || !subtle || !data.key || !data.player) return Promise.reject(new Error("sealed"));
    var raw = bytes(blob.textContent);
    return subtle.importKey("raw", bytes(data.key), {name: "AES-GCM"}, false, ["decrypt"])
      .then(function (key) { return subtle.decrypt({name: "AES-GCM", iv: raw.slice(0, 12)}, key, raw.slice(12)); })
      .then(function (plain) {
        var base = JSON.parse(document.getElementById("sealed-player-config").textContent);
        var player = Object.assign({}, base, data.player);
        var body = template.content.cloneNode(true);
        window.clearInterval(ticking);  // the countdown is gone with the waiting room
        document.title = template.dataset.title;
        document.body.className = "player";
        document.body.dataset.layout = template.dataset.layout;
        document.body.replaceChildren(body);
        document.getElementById("sealed-items").outerHTML = new TextDecoder().decode(plain);
        document.getElementById("blocker-action").setAttribute("href", player.doneUrl);
        var settings = document.createElement("script");
        settings.type = "application/json";
        settings.id = "exam-config";
        settings.textContent = JSON.stringify(player);
        document.body.appendChild(settings);
        // A reload from here on is the player's own page, which takes over with the answers saved so far.
        window.history.replaceState(null, "", data.url);
        var script = document.createElement("script");
        // Without its script the player would look ready and save nothing: load the player's own page instead.
        script.onerror = function () { window.location.replace(data.url); };
        script.src = template.dataset.script;
        document.body.appendChild(script);
      });
  }
  function poll() {
    window.fetch(config.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.state === "started" && data.url) { window.location.href = data.url; return; }
        if (data.state === "refused" || data.state === "closed" || data.late) { window.location.reload(); return; }
        offset = data.serverNow - Date.now();
        status = data;
        if (text && data.state === "approved" && text.dataset.state !== "approved") {
          text.dataset.state = "approved";
          window.location.reload();
        }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { if (status.state === "waiting") window.setTimeout(poll, 15000 + Math.random() * 10000); });
  }
  if (text) text.dataset.state = status.state;
  var ticking = window.setInterval(tick, 500);
  tick();
  // Only a check-in waiting for the proctor has anything to hear: an admitted one knows its unlock, and the start
  // itself answers any change (refused, re-timed). Thousands of waiting rooms must not poll the server for nothing.
  if (status.state === "waiting") window.setTimeout(poll, 5000 + Math.random() * 10000);
})();
