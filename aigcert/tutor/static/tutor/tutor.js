// The tutor panel: posts the question and reads the answer as server-sent events, so a generated answer appears
// as it is written. Without JavaScript the form posts normally and the conversation page shows the answer.
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // never innerHTML: questions and answers are text
    return node;
  }

  function citationList(citations) {
    var list = el("ol", "tutor-citations");
    citations.forEach(function (c) {
      var item = el("li");
      item.value = c.n;
      var link = el("a", "", c.title);
      link.href = c.url;
      item.appendChild(link);
      list.appendChild(item);
    });
    return list;
  }

  function setup(panel) {
    var form = panel.querySelector(".tutor-form");
    var log = panel.querySelector(".tutor-log");
    var strings = panel.querySelector(".tutor-strings").dataset;
    var button = form.querySelector("button[type=submit]");

    function bubble(role, label) {
      var box = el("div", "tutor-msg tutor-msg-" + role);
      box.appendChild(el("p", "muted", label));
      var text = el("div", "tutor-text");
      box.appendChild(text);
      log.appendChild(box);
      return {box: box, text: text};
    }

    function feedback(box, url) {
      var row = el("p", "tutor-feedback");
      [["1", strings.helpful], ["0", strings.notHelpful]].forEach(function (pair) {
        var b = el("button", "link-button", pair[1]);
        b.type = "button";
        b.addEventListener("click", function () {
          var data = new FormData();
          data.append("helpful", pair[0]);
          data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
          fetch(url, {method: "POST", body: data, headers: {"Accept": "application/json"}, credentials: "same-origin"})
            .then(function () { row.textContent = strings.thanks; });
        });
        row.appendChild(b);
      });
      box.appendChild(row);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var question = (data.get("text") || "").toString();
      if (!question.trim()) return;
      bubble("candidate", strings.you).text.textContent = question;
      var answer = bubble("tutor", strings.tutor);
      answer.box.setAttribute("aria-busy", "true");
      button.disabled = true;
      fetch(form.action, {method: "POST", body: data, headers: {"Accept": "text/event-stream"},
                          credentials: "same-origin"}).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {error: strings.failed}; }).then(function (body) {
            answer.box.classList.add("is-refused");
            answer.text.textContent = body.error || strings.failed;
          });
        }
        form.querySelector("[name=text]").value = "";
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function handle(name, payload) {
          if (name === "conversation") {
            form.querySelector("[name=conversation]").value = payload.code;
          } else if (name === "fallback") {
            answer.box.appendChild(el("p", "muted", strings.fallback));
          } else if (name === "reset") {
            answer.text.textContent = "";
          } else if (name === "meta") {
            answer.box.dataset.mode = payload.mode;
          } else if (name === "delta") {
            answer.text.textContent += payload.text;
          } else if (name === "done") {
            answer.box.dataset.mode = payload.mode;
            answer.box.removeAttribute("aria-busy");
            answer.text.textContent = payload.text;
            if (payload.citations.length) answer.box.appendChild(citationList(payload.citations));
            if (payload.related.length) {
              answer.box.appendChild(el("p", "muted", strings.related + ":"));
              var list = el("ul");
              payload.related.forEach(function (r) {
                var item = el("li");
                var link = el("a", "", r.text);
                link.href = r.url;
                item.appendChild(link);
                list.appendChild(item);
              });
              answer.box.appendChild(list);
            }
            if (payload.mode !== "refused") feedback(answer.box, payload.feedback_url);
          }
        }
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return;
            buffer += decoder.decode(chunk.value, {stream: true});
            var parts = buffer.split("\n\n");
            buffer = parts.pop();
            parts.forEach(function (part) {
              var name = "message", data = "";
              part.split("\n").forEach(function (line) {
                if (line.indexOf("event: ") === 0) name = line.slice(7);
                else if (line.indexOf("data: ") === 0) data += line.slice(6);
              });
              if (data) handle(name, JSON.parse(data));
            });
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        answer.text.textContent = strings.failed;
      }).then(function () {
        button.disabled = false;
        answer.box.removeAttribute("aria-busy");
      });
    });
  }

  document.querySelectorAll(".tutor-panel").forEach(setup);
})();
