/* The proctor console: refreshes the table every 10 seconds (not while a dialog is open) and opens the action
 * dialog, which asks for the reason every action needs. */
(function () {
  "use strict";
  var box = document.getElementById("console-rows");
  var dialog = document.getElementById("action-dialog");
  var form = document.getElementById("action-form");
  if (!box || !dialog) return;
  function refresh() {
    if (dialog.open) return;
    window.fetch(box.dataset.refreshUrl, {credentials: "same-origin", headers: {"X-Refresh": "rows"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && !dialog.open) box.innerHTML = html; })
      .catch(function () { /* next round */ });
  }
  box.addEventListener("click", function (event) {
    var button = event.target.closest("[data-act]");
    if (!button) return;
    var row = button.closest("tr");
    form.elements.kind.value = button.dataset.act;
    form.elements.ticket.value = row.dataset.ticket;
    form.elements.reason.value = "";
    document.getElementById("action-title").textContent = button.textContent.trim();
    document.getElementById("action-who").textContent = row.children[0].textContent.trim() + " · " + row.children[1].textContent.trim();
    document.getElementById("action-minutes").hidden = button.dataset.act !== "extend";
    dialog.showModal();
    form.elements.reason.focus();
  });
  dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
  window.setInterval(refresh, 10000);
})();
