/* The waiting room: polls the check-in's status (with jitter, so thousands of pages don't ask in the same
 * second), counts down to the candidate's unlock, and starts the exam by itself when it unlocks. */
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
    var left = Math.max(0, Math.floor((status.unlockAt - (Date.now() + offset)) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    countdown.textContent = (h ? h + ":" + two(m) : m) + ":" + two(s);
    button.disabled = status.state !== "approved" || left > 0;
    if (status.state === "approved" && left === 0 && !started) {
      started = true;
      countdown.textContent = config.strings.now;
      form.submit();
    }
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
      .then(function () { window.setTimeout(poll, 8000 + Math.random() * 4000); });
  }
  if (text) text.dataset.state = status.state;
  window.setInterval(tick, 500);
  tick();
  window.setTimeout(poll, 3000 + Math.random() * 4000);
})();
