/* The compilations list in admin: the progress bar and message of every queued or running
   compilation (<span data-compilation-progress="URL" data-id="…">) follow the job, asked from the
   URL every three seconds; when one of them ends (done or failed) the list is loaded again, with
   its status, pages and download link. Without JavaScript the list shows the progress as it was
   when the page was loaded. */
(function () {
  "use strict";
  var cells = document.querySelectorAll("[data-compilation-progress]");
  if (!cells.length) { return; }
  var url = cells[0].getAttribute("data-compilation-progress");
  var ids = Array.prototype.map.call(cells, function (cell) { return cell.getAttribute("data-id"); });
  var byId = {};
  Array.prototype.forEach.call(cells, function (cell) { byId[cell.getAttribute("data-id")] = cell; });

  function schedule() { window.setTimeout(poll, 3000); }

  function show(job) {
    var cell = byId[String(job.id)];
    if (!cell) { return; }
    var bar = cell.querySelector("progress");
    var message = cell.querySelector(".compile-progress-message");
    bar.value = job.progress;
    bar.textContent = job.progress + " %";
    if (message.textContent !== job.message) { message.textContent = job.message; }
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", url + "?ids=" + ids.join(","));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status !== 200) { schedule(); return; }
      var jobs = JSON.parse(request.responseText).jobs;
      var ended = false;
      jobs.forEach(function (job) { show(job); if (!job.active) { ended = true; } });
      if (ended) { window.location.reload(); } else { schedule(); }
    };
    request.onerror = schedule;
    request.send();
  }

  schedule();
})();
