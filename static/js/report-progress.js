// The report run's progress bar: polls the run's JSON status and moves the bar.
// Without this script the page still works: the bar shows where the run stood when
// the page was served, and the "Refresh" link loads it again.
(function () {
  "use strict";

  var POLL_MS = 1500;
  var MAX_FAILURES = 5;

  function start(root) {
    var url = root.getAttribute("data-status-url");
    var bar = root.querySelector("[data-report-progress]");
    var percent = root.querySelector("[data-report-percent]");
    var message = root.querySelector("[data-report-message]");
    var refresh = root.querySelector("[data-report-refresh]");
    var state = root.querySelector("[data-report-state]");
    var stage = root.querySelector("[data-report-stage]");
    var failures = 0;

    function show(status) {
      bar.value = status.progress;
      bar.textContent = status.progress + "%";
      percent.textContent = status.progress + "%";
      // The live region speaks only when the words change: a stage, not a percent.
      if (message.textContent !== status.message) {
        message.textContent = status.message;
      }
      message.className =
        "report-run__message report-run__message--" + status.state;
      // The facts below say the same: queued, running, succeeded or failed.
      if (state) {
        state.textContent = status.state_label;
        state.className = "report-state report-state--" + status.state;
      }
      if (stage) {
        stage.textContent = status.finished ? "" : " · " + status.stage_label;
      }
    }

    function finish(status) {
      show(status);
      if (refresh) {
        refresh.hidden = true;
      }
      // The download link, the facts and the actions come from the page itself.
      fetch(window.location.href, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector("[data-report-details]");
          var current = root.querySelector("[data-report-details]");
          if (fresh && current) {
            current.replaceWith(document.importNode(fresh, true));
          }
          root.setAttribute("data-finished", "true");
        })
        .catch(function () {
          if (refresh) {
            refresh.hidden = false;
          }
        });
    }

    function poll() {
      fetch(url, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : Promise.reject(response.status);
        })
        .then(function (status) {
          failures = 0;
          if (status.finished) {
            finish(status);
          } else {
            show(status);
            window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function () {
          // A network hiccup: try again a few times, then leave the Refresh link.
          failures += 1;
          if (failures < MAX_FAILURES) {
            window.setTimeout(poll, POLL_MS * failures);
          }
        });
    }

    poll();
  }

  function init() {
    var runs = document.querySelectorAll("[data-report-run]");
    for (var i = 0; i < runs.length; i += 1) {
      if (runs[i].getAttribute("data-finished") !== "true") {
        start(runs[i]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
