// Polls an import job while it runs and moves the progress bar; reloads the page when the job settles.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.dataset.finished === "1") { return; }
  var bar = document.getElementById("import-progress");
  var count = document.getElementById("import-count");
  var delay = 700;
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.value = job.percent;
        count.textContent = job.processed + " / " + job.total;
        if (job.status === "checking" || job.status === "importing") {
          setTimeout(poll, delay);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { delay = Math.min(delay * 2, 10000); setTimeout(poll, delay); });
  }
  setTimeout(poll, delay);
})();
