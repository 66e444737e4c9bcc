// Draws the dashboard's charts with Chart.js from the numbers the page carries as JSON
// (no inline script: the content security policy allows only files from the workspace).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var blue = "#1d70b8", green = "#00703c", purple = "#4c2c92", orange = "#f47738";
  var lookColours = { child: orange, adult: blue, older: purple };
  var lookNames = { child: "Child", adult: "Adult", older: "Older person" };
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 14;
  Chart.defaults.color = "#0b0c0c";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  var drawn = 0;

  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, config);
    drawn += 1;
  }
  function integerAxis() { return { beginAtZero: true, ticks: { precision: 0 } }; }

  chart("chart-priorities", {
    type: "bar",
    data: { labels: data.priorities.labels,
            datasets: [{ label: "People who chose it", data: data.priorities.values,
                         backgroundColor: blue, borderRadius: 3 }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } },
               scales: { x: integerAxis() } }
  });
  chart("chart-time", {
    type: "line",
    data: { labels: data.over_time.labels,
            datasets: [{ label: "Answers", data: data.over_time.values, borderColor: green,
                         backgroundColor: "rgba(0,112,60,0.15)", fill: true, cubicInterpolationMode: "monotone",
                         pointRadius: 4 }] },
    options: { plugins: { legend: { display: false } }, scales: { y: integerAxis() } }
  });
  chart("chart-looks", {
    type: "bar",
    data: { labels: data.top_by_look.labels,
            datasets: data.top_by_look.series.map(function (s) {
              return { label: lookNames[s.label] || s.label, data: s.values,
                       backgroundColor: lookColours[s.label] || blue };
            }) },
    options: { scales: { x: { stacked: true }, y: Object.assign(integerAxis(), { stacked: true }) } }
  });
  chart("chart-areas", {
    type: "bar",
    data: { labels: data.areas.labels,
            datasets: [{ label: "People", data: data.areas.values, backgroundColor: purple,
                         borderRadius: 3 }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } },
               scales: { x: integerAxis() } }
  });
  chart("chart-ages", {
    type: "doughnut",
    data: { labels: data.age_bands.labels,
            datasets: [{ data: data.age_bands.values,
                         backgroundColor: [blue, green, purple, orange, "#d4351c", "#5694ca",
                                           "#85994b", "#912b88", "#b58840", "#28a197"] }] },
    options: { plugins: { legend: { position: "right" } } }
  });
  document.body.setAttribute("data-charts-drawn", String(drawn));
})();
