/* The exam player: timer from the server's deadline, autosave queue with a local buffer, navigation.
 * No dependencies. The server is the judge of time and of what is saved; this file only keeps the candidate's
 * answers moving towards it and tells them, plainly, where things stand. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("exam-config").textContent);
  var S = config.strings;
  var storeKey = "aigcert.exam." + config.code;
  var offset = config.serverNow - Date.now();
  var sections = Array.prototype.slice.call(document.querySelectorAll(".player-item"));
  var bySlot = {};
  sections.forEach(function (s) { bySlot[s.dataset.slot] = s; });
  var state = {};      // slot → {value, flagged}
  var pending = {};    // slot → {slot, value, flagged, seq}: changed here, not yet confirmed by the server
  var seq = config.seqBase;
  var inflight = false, closed = false, superseded = false, backoff = 0, flushTimer = null, current = 0;
  var announced = {}, single = false, uploading = {}, recordAfterUpload = {}, lastKind = "";
  var local = readLocal();

  function readLocal() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { return {}; }
  }
  function persist() {
    if (superseded) return;  // another tab or device has the attempt now; its queue is the one that counts
    local.pending = pending;
    local.current = current;
    try { window.localStorage.setItem(storeKey, JSON.stringify(local)); } catch (e) { /* full or private: the queue in memory still works */ }
  }
  function fmt(template, n) { return template.replace("%(n)s", String(n)); }
  function forget() {
    try { window.localStorage.removeItem(storeKey); } catch (e) { /* nothing to clean */ }
  }
  // Sequence numbers follow the server's clock (in ms), so numbers from two devices compare the right way round.
  function nextSeq() {
    seq = Math.max(seq + 1, Math.floor(Date.now() + offset));
    return seq;
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : config.csrf;  // a new login rotates the token
  }

  // ---- values in and out of the page ------------------------------------------------------------------
  function readValue(section) {
    var type = section.dataset.type;
    if (type === "single_choice" || type === "true_false") {
      var checked = section.querySelector(".exam-options input:checked");
      if (!checked) return null;
      return type === "true_false" ? checked.value === "true" : checked.value;
    }
    if (type === "multiple_choice") {
      var values = Array.prototype.map.call(section.querySelectorAll(".exam-options input:checked"), function (i) { return i.value; });
      return values.length ? values.sort() : null;
    }
    if (type === "fill_in") {
      var blanks = Array.prototype.slice.call(section.querySelectorAll("[data-blank]"));
      blanks.sort(function (a, b) { return a.dataset.blank - b.dataset.blank; });
      var texts = blanks.map(function (b) { return b.value; });
      return texts.some(function (t) { return t.trim() !== ""; }) ? texts : null;
    }
    if (type === "work_upload") return (state[section.dataset.slot] || {}).value || null;
    var area = section.querySelector(".answer-text");
    return area && area.value !== "" ? area.value : null;
  }
  function writeValue(section, value) {
    var type = section.dataset.type;
    if (type === "single_choice" || type === "true_false" || type === "multiple_choice") {
      var chosen = value === null || value === undefined ? [] : (Array.isArray(value) ? value : [String(value)]);
      section.querySelectorAll(".exam-options input").forEach(function (input) {
        input.checked = chosen.indexOf(input.value) !== -1;
      });
    } else if (type === "fill_in") {
      section.querySelectorAll("[data-blank]").forEach(function (input) {
        input.value = (value || [])[Number(input.dataset.blank) - 1] || "";
      });
    } else if (type === "work_upload") {
      var status = section.querySelector("[data-upload-status]");
      if (status) status.textContent = value && value.name ? S.uploaded + " " + value.name : "";
    } else {
      var area = section.querySelector(".answer-text");
      if (area) area.value = value === null || value === undefined ? (area.dataset.starter || "") : value;
      countWords(section);
    }
  }
  function answered(section) {
    var value = (state[section.dataset.slot] || {}).value;
    if (value === null || value === undefined) return false;
    if (typeof value === "boolean") return true;
    if (typeof value === "string") return value.trim() !== "";
    if (Array.isArray(value)) return value.some(function (v) { return String(v).trim() !== ""; });
    return !!value.upload;
  }
  function countWords(section) {
    var out = section.querySelector("[data-word-count]");
    if (!out) return;
    var text = section.querySelector(".answer-text").value;
    var cjk = (text.match(/[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/g) || []).length;
    var words = (text.replace(/[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/g, " ").match(/[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*/g) || []).length;
    out.textContent = String(cjk + words);
  }

  // ---- navigator ----------------------------------------------------------------------------------------
  function refreshNav(section) {
    var slot = section.dataset.slot;
    var button = document.getElementById("nav-" + slot);
    var isAnswered = answered(section), isFlagged = !!(state[slot] || {}).flagged;
    button.classList.toggle("is-answered", isAnswered);
    button.classList.toggle("is-flagged", isFlagged);
    var n = sections.indexOf(section) + 1;
    button.setAttribute("aria-label", fmt(S.item, n) + ", " + (isAnswered ? S.answered : S.notAnswered) +
      (isFlagged ? ", " + S.flagged : ""));
    document.getElementById("answered-count").textContent =
      String(sections.filter(answered).length);
  }
  function show(index, focus) {
    current = Math.max(0, Math.min(sections.length - 1, index));
    var paged = config.layout === "one_per_page";
    sections.forEach(function (s, i) {
      if (paged) s.hidden = i !== current;
      var b = document.getElementById("nav-" + s.dataset.slot);
      if (i === current) b.setAttribute("aria-current", "step"); else b.removeAttribute("aria-current");
    });
    var active = document.getElementById("nav-" + sections[current].dataset.slot);
    if (active.scrollIntoView && active.parentNode.parentNode.scrollWidth > active.parentNode.parentNode.clientWidth) {
      active.scrollIntoView({block: "nearest", inline: "nearest"});
    }
    var position = document.getElementById("position");
    if (position) position.textContent = (current + 1) + " / " + sections.length;
    var pager = document.querySelector("[data-pager]");
    if (pager) {
      pager.hidden = !paged;
      pager.querySelector("[data-prev]").disabled = current === 0;
      pager.querySelector("[data-next]").disabled = current === sections.length - 1;
    }
    if (focus) {
      var heading = sections[current].querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
      if (!paged) sections[current].scrollIntoView({block: "start"});
    }
    persist();
  }

  // ---- saving -------------------------------------------------------------------------------------------
  function setStatus(kind, text, time) {
    // The live region speaks only when the state changes, not at every save's new time stamp.
    var el = document.getElementById("save-status");
    el.dataset.state = kind;
    if (kind !== lastKind || kind === "error") { el.textContent = text; lastKind = kind; }
    document.getElementById("save-time").textContent = time || "";
  }
  function record(section) {
    if (closed) return;
    var slot = section.dataset.slot;
    if (uploading[slot]) { recordAfterUpload[slot] = true; return; }  // the file's own save comes first
    var flag = section.querySelector(".flag-input");
    state[slot] = {value: readValue(section), flagged: !!(flag && flag.checked)};
    pending[slot] = {slot: slot, value: state[slot].value, flagged: state[slot].flagged, seq: nextSeq()};
    persist();
    refreshNav(section);
    setStatus("pending", S.saving);
    schedule(800 + Math.random() * 1200);
  }
  function schedule(delay) {
    if (flushTimer) window.clearTimeout(flushTimer);
    flushTimer = window.setTimeout(flush, delay);
  }
  function send(url, init) {
    // A request that hangs must not hold the queue: give up after 15 s and let the retry take over.
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, 15000) : null;
    init.credentials = "same-origin";
    init.headers = init.headers || {};
    init.headers["X-CSRFToken"] = csrfToken();
    if (controller) init.signal = controller.signal;
    return window.fetch(url, init).then(function (response) {
      if (timer) window.clearTimeout(timer);
      return response;
    }, function (error) {
      if (timer) window.clearTimeout(timer);
      throw error;
    });
  }
  function post(url, body) {
    return send(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  }
  function reply(response) {
    return response.json().catch(function () { return {}; }).then(function (data) { return {status: response.status, data: data}; });
  }
  function retryLater() {
    backoff = Math.min(60000, backoff ? backoff * 2 : 2000);
    setStatus("offline", navigator.onLine === false ? S.offline : S.retrying);
    schedule(backoff + Math.random() * 1000);
  }
  function block(message, action) {
    closed = true;
    document.getElementById("blocker-text").textContent = message;
    var link = document.getElementById("blocker-action");
    if (action) link.href = action; else link.href = window.location.href;
    document.getElementById("blocker").hidden = false;
    document.querySelectorAll(".player-body, .player-bar").forEach(function (el) { el.inert = true; });
    link.focus();
  }
  function flush() {
    flushTimer = null;
    var batch = Object.keys(pending).map(function (k) { return pending[k]; });
    if (inflight || closed || !batch.length) return;
    if (single) batch = batch.slice(0, 1);  // after a "too large": one answer per request until the queue is empty
    inflight = true;
    post(config.saveUrl, {device: config.device, responses: batch}).then(reply).then(function (result) {
      inflight = false;
      var data = result.data;
      if (result.status === 200) {
        backoff = 0;
        if (data.serverNow) offset = data.serverNow - Date.now();
        if (data.deadline) config.deadline = data.deadline;  // the exam office may have added time
        lastContact = Date.now();
        batch.forEach(function (sent) {
          var confirmed = (data.saved && data.saved[sent.slot] !== undefined) || (data.stale || []).indexOf(sent.slot) !== -1;
          if (confirmed && pending[sent.slot] && pending[sent.slot].seq === sent.seq) delete pending[sent.slot];
        });
        persist();
        if (Object.keys(pending).length) { schedule(200); } else {
          single = false;
          setStatus("saved", S.saved, new Date(Date.now() + offset).toLocaleTimeString());
        }
      } else if (data.error === "time_up" || data.error === "ended") {
        finish(data.message, data.redirect || config.doneUrl);
      } else if (data.error === "paused") {
        pause();
      } else if (data.error === "superseded") {
        superseded = true;
        block(data.message);
      } else if (result.status === 413 && batch.length > 1) {
        single = true;
        schedule(200);
      } else if (result.status === 403) {
        block(S.reload);  // the page's token is no longer valid; a reload restores the queue from this device
      } else if (result.status === 401) {
        // Logged out (elsewhere, or the session ended): answers stay queued here until a login in another tab.
        backoff = Math.min(60000, backoff ? backoff * 2 : 5000);
        setStatus("error", data.message + " ");
        var login = document.createElement("a");
        login.href = config.loginUrl; login.target = "_blank"; login.rel = "noopener"; login.textContent = S.logIn;
        document.getElementById("save-status").appendChild(login);
        schedule(backoff);
      } else if (result.status === 400 && data.slot) {
        delete pending[data.slot];  // this answer can never be accepted; keep the others moving
        persist();
        setStatus("error", S.refused + " " + data.message);
        schedule(500);
      } else {
        retryLater();
      }
    }).catch(function () {
      inflight = false;
      retryLater();
    });
  }
  function submitKey() {
    if (!local.submitKey) {
      local.submitKey = (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID() :
        String(Date.now()) + Math.random().toString(16).slice(2);
      persist();
    }
    return local.submitKey;
  }
  function submit() {
    closed = true;
    setStatus("pending", S.submitting);
    var batch = Object.keys(pending).map(function (k) { return pending[k]; });
    post(config.submitUrl, {key: submitKey(), device: config.device, responses: batch}).then(reply).then(function (result) {
      var data = result.data;
      if (result.status === 200) {
        forget();
        window.location.assign(data.redirect || config.doneUrl);
      } else if (result.status === 400 && data.slot && pending[data.slot]) {
        delete pending[data.slot];  // an answer that can never be accepted must not hold the submit back
        persist();
        submit();
      } else if (data.error === "superseded") {
        superseded = true;  // the tab that took over holds the queue: don't overwrite or forget it
        block(data.message);
      } else if (data.error === "paused") {
        closed = false;
        pause();
      } else if (result.status === 401) {
        block(data.message, config.loginUrl);
      } else if (result.status >= 400 && result.status < 500) {
        block(data.message || S.reload);
      } else {
        throw new Error(String(result.status));
      }
    }).catch(function () {
      backoff = Math.min(30000, backoff ? backoff * 2 : 2000);
      setStatus("offline", S.retrying);
      window.setTimeout(submit, backoff + Math.random() * 1000);
    });
  }
  // ---- formal exams: the proctor's pause, and integrity events ------------------------------------------
  // While paused the clock is stopped on the server; the page waits (answers typed before stay queued here) and
  // asks every few seconds whether it has been resumed, then reloads with the new deadline.
  var paused = false;
  function pause() {
    if (paused) return;
    paused = true;
    var overlay = document.getElementById("paused");
    overlay.hidden = false;
    document.querySelectorAll(".player-body, .player-bar").forEach(function (el) { el.inert = true; });
    function check() {
      window.fetch(config.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.redirect) { forget(); window.location.assign(data.redirect); return; }
          if (!data.paused) { window.location.reload(); return; }
          window.setTimeout(check, 4000 + Math.random() * 2000);
        })
        .catch(function () { window.setTimeout(check, 5000); });
    }
    window.setTimeout(check, 3000);
  }
  var integrityQueue = [];
  function noteEvent(kind, detail) {
    if (!config.formal || closed || superseded || paused) return;
    integrityQueue.push({kind: kind, at: Math.floor(Date.now() + offset), detail: detail || {}});
    if (integrityQueue.length === 1) window.setTimeout(sendEvents, 1000 + Math.random() * 1000);
  }
  function sendEvents() {
    var events = integrityQueue.splice(0, 20);
    if (!events.length) return;
    post(config.integrityUrl, {device: config.device, events: events}).then(reply).then(function (result) {
      (result.data.warnings || []).forEach(warn);
      if (result.status >= 500) throw new Error("retry");
    }).catch(function () {
      integrityQueue = events.concat(integrityQueue);  // kept until the server has them
      window.setTimeout(sendEvents, 10000 + Math.random() * 5000);
    });
  }
  function warn(message) {
    var box = document.getElementById("integrity-warning");
    box.textContent = message;
    box.hidden = false;
    document.getElementById("announcer").textContent = message;
  }
  if (config.formal) {
    var blurredAt = 0, picking = false;
    // Choosing a file to hand in opens the system's file picker, which takes the focus: that is not leaving.
    document.querySelectorAll(".answer-file").forEach(function (input) {
      input.addEventListener("click", function () { picking = true; window.setTimeout(function () { picking = false; }, 60000); });
      input.addEventListener("change", function () { picking = false; });
    });
    window.addEventListener("focus", function () { picking = false; });
    window.addEventListener("blur", function () {
      blurredAt = Date.now();
      if (!picking) noteEvent("focus_lost");
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && Date.now() - blurredAt > 1000) noteEvent("visibility_hidden");
    });
    document.addEventListener("fullscreenchange", function () {
      if (!document.fullscreenElement) noteEvent("fullscreen_exit");
    });
    document.addEventListener("paste", function (event) {
      var field = event.target.closest && event.target.closest(".player-item");
      if (!field) return;
      var text = event.clipboardData ? event.clipboardData.getData("text") : "";
      noteEvent("paste", {slot: field.dataset.slot, chars: text.length});
    });
    var full = document.getElementById("fullscreen-button");
    if (full && document.documentElement.requestFullscreen) {
      full.hidden = false;
      full.addEventListener("click", function () { document.documentElement.requestFullscreen().catch(function () {}); });
    }
    (config.warnings || []).forEach(warn);
    if (config.paused) pause();
  }

  function finish(message, url) {
    forget();  // the server holds the exam now; nothing of it should stay on a shared computer
    document.getElementById("announcer").textContent = message;
    block(message, url);
  }

  // ---- the clock ----------------------------------------------------------------------------------------
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (paused) return;  // the server's clock is stopped too
    // Rounded up: 0:00 shows only once the deadline has passed on the server's clock.
    var left = Math.max(0, Math.ceil((config.deadline - (Date.now() + offset)) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    document.getElementById("timer").textContent = (h ? h + ":" + two(m) : two(m)) + ":" + two(s);
    [10, 5, 1].forEach(function (minutes) {
      if (left <= minutes * 60 && left > 0 && !announced[minutes]) {
        announced[minutes] = true;
        document.getElementById("announcer").textContent = fmt(S.minutesLeft, minutes);
      }
    });
    if (left === 0 && !closed) {
      // The candidate did not submit: the server closes the exam itself after the grace (and records it as
      // closed at the deadline). Send what is still queued — it counts within the grace — and wait for that close.
      document.getElementById("announcer").textContent = S.timeUp;
      timeUp();
    }
  }
  function timeUp() {
    closed = true;
    setStatus("pending", S.timeUp);
    document.querySelectorAll(".player-body").forEach(function (el) { el.inert = true; });
    var batch = Object.keys(pending).map(function (k) { return pending[k]; });
    var sent = batch.length ? post(config.saveUrl, {device: config.device, responses: batch}) : Promise.resolve();
    sent.catch(function () {}).then(function () { window.setTimeout(waitForClose, 2000 + Math.random() * 2000); });
  }
  function waitForClose() {  // the state endpoint closes an attempt that is due, so this ends even without a worker
    window.fetch(config.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.redirect) { forget(); window.location.assign(data.redirect); return; }
        if (data.deadline && data.deadline > config.deadline) {  // time was added at the last moment
          config.deadline = data.deadline; closed = false;
          document.querySelectorAll(".player-body").forEach(function (el) { el.inert = false; });
          return;
        }
        window.setTimeout(waitForClose, 2000 + Math.random() * 2000);
      })
      .catch(function () { window.setTimeout(waitForClose, 5000); });
  }
  // A formal page that has not heard from the server for a while asks how things stand: a pause, extra time or a
  // close reaches a candidate who is only reading. Saves answer the same question, so busy pages never ask.
  var lastContact = Date.now();
  function heartbeat() {
    if (!config.formal || closed || paused || superseded) return;
    if (Date.now() - lastContact < 45000 + Math.random() * 15000) return;
    lastContact = Date.now();
    window.fetch(config.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.redirect) { closed = true; forget(); window.location.assign(data.redirect); return; }
        if (data.serverNow) offset = data.serverNow - Date.now();
        if (data.deadline) config.deadline = data.deadline;
        if (data.paused) pause();
      })
      .catch(function () { /* the next beat */ });
  }
  window.setInterval(heartbeat, 15000);

  // ---- wiring -------------------------------------------------------------------------------------------
  sections.forEach(function (section) {
    var typing = null;
    section.addEventListener("change", function (event) {
      if (event.target.classList.contains("answer-file")) return upload(section, event.target);
      record(section);
    });
    section.addEventListener("input", function (event) {
      if (event.target.matches(".answer-text, [data-blank]")) {
        countWords(section);
        if (typing) window.clearTimeout(typing);
        typing = window.setTimeout(function () { record(section); }, 700);
      }
    });
    var code = section.querySelector("textarea.code");
    if (code) {
      var escaped = false;
      code.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { escaped = true; return; }
        if (event.key === "Tab" && !event.shiftKey && !escaped) {
          event.preventDefault();
          var start = code.selectionStart, end = code.selectionEnd;
          code.value = code.value.slice(0, start) + "    " + code.value.slice(end);
          code.selectionStart = code.selectionEnd = start + 4;
          code.dispatchEvent(new Event("input", {bubbles: true}));
        }
        if (event.key !== "Escape") escaped = false;
      });
    }
  });
  function upload(section, input) {
    var file = input.files && input.files[0];
    if (!file || closed) return;
    var slot = section.dataset.slot, status = section.querySelector("[data-upload-status]");
    var flag = section.querySelector(".flag-input");
    var form = new FormData();
    form.append("slot", slot); form.append("seq", String(nextSeq())); form.append("device", config.device);
    form.append("flagged", flag && flag.checked ? "true" : "false"); form.append("file", file);
    status.textContent = S.uploading;
    uploading[slot] = true;
    // Big files take their time: no 15 s limit here.
    window.fetch(config.uploadUrl, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrfToken()}, body: form})
      .then(function (response) { return response.json().then(function (data) { return {ok: response.ok, data: data}; }); })
      .then(function (result) {
        uploading[slot] = false;
        if (result.ok) {
          state[slot] = {value: result.data.value, flagged: !!(flag && flag.checked)};
          writeValue(section, result.data.value);
          refreshNav(section);
          if (recordAfterUpload[slot]) { recordAfterUpload[slot] = false; record(section); }
        } else if (result.data.error === "superseded") {
          superseded = true;
          block(result.data.message);
        } else if (result.data.error === "login") {
          status.textContent = result.data.message;
        } else if (result.data.error === "time_up" || result.data.error === "ended") {
          finish(result.data.message, result.data.redirect);
        } else {
          status.textContent = S.refused + " " + result.data.message;
        }
        input.value = "";
      }).catch(function () {
        uploading[slot] = false;
        if (recordAfterUpload[slot]) { recordAfterUpload[slot] = false; record(section); }
        status.textContent = S.retrying; input.value = "";
      });
  }
  document.querySelectorAll("[data-goto]").forEach(function (button) {
    button.addEventListener("click", function () { show(sections.indexOf(bySlot[button.dataset.goto]), true); });
  });
  var pager = document.querySelector("[data-pager]");
  pager.querySelector("[data-prev]").addEventListener("click", function () { show(current - 1, true); });
  pager.querySelector("[data-next]").addEventListener("click", function () { show(current + 1, true); });
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    // Inside a text box Alt+letter types characters on some keyboards (ñ, π): leave it to the text box.
    if (event.target.matches && event.target.matches("textarea, input[type=text]")) return;
    var key = event.key.toLowerCase();
    if (key === "n" || event.code === "KeyN") { event.preventDefault(); show(current + 1, true); }
    if (key === "p" || event.code === "KeyP") { event.preventDefault(); show(current - 1, true); }
  });
  document.getElementById("submit-button").addEventListener("click", function () {
    var open = sections.filter(function (s) { return !answered(s); }).length;
    var question = S.confirmSubmit + (open ? " " + fmt(S.unanswered, open) : "");
    if (window.confirm(question)) { flushNow(); submit(); }
  });
  function flushNow() { if (flushTimer) { window.clearTimeout(flushTimer); flushTimer = null; } }
  window.addEventListener("online", function () { backoff = 0; schedule(Math.random() * 1500); });
  window.addEventListener("offline", function () { setStatus("offline", S.offline); });
  window.setInterval(function () { if (Object.keys(pending).length && !flushTimer) schedule(Math.random() * 5000); }, 30000);

  // ---- start: the server's answers, then anything this device typed that the server has not confirmed ----
  Object.keys(config.saved).forEach(function (slot) {
    if (bySlot[slot]) state[slot] = {value: config.saved[slot].value, flagged: config.saved[slot].flagged};
  });
  var restored = local.pending || {};
  Object.keys(restored).sort(function (a, b) { return restored[a].seq - restored[b].seq; }).forEach(function (slot) {
    var entry = restored[slot], server = config.saved[slot];
    if (!bySlot[slot] || (server && server.seq >= entry.seq)) return;
    state[slot] = {value: entry.value, flagged: entry.flagged};
    seq = Math.max(seq, entry.seq);
  });
  Object.keys(restored).forEach(function (slot) {
    var entry = restored[slot], server = config.saved[slot];
    if (!bySlot[slot] || (server && server.seq >= entry.seq)) return;
    pending[slot] = {slot: slot, value: entry.value, flagged: entry.flagged, seq: nextSeq()};
  });
  sections.forEach(function (section) {
    var slot = section.dataset.slot;
    writeValue(section, (state[slot] || {}).value);
    var flag = section.querySelector(".flag-input");
    if (flag) flag.checked = !!(state[slot] || {}).flagged;
    refreshNav(section);
  });
  show(typeof local.current === "number" ? local.current : 0, false);
  var leftAtLoad = (config.deadline - (Date.now() + offset)) / 1000;
  [10, 5, 1].forEach(function (minutes) { if (leftAtLoad <= minutes * 60) announced[minutes] = true; });
  tick();
  window.setInterval(tick, 500);
  if (Object.keys(pending).length) schedule(300);
}());
