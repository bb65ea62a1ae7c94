/* global Chart, document, window, requestAnimationFrame, getComputedStyle, console */
// The report page's script, inlined by render-html.ts after Chart.js. Every figure is computed on the server; this
// only draws the charts described in the "chart-data" island, and sets data-ready on <html> once they are drawn.
(() => {
  "use strict";
  const root = document.documentElement;
  const share = (value) => (value === null || value === undefined ? "—" : value.toFixed(3));

  function config(spec) {
    const line = spec.type === "line";
    return {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d) => ({
          label: d.label,
          data: d.data,
          backgroundColor: d.color,
          borderColor: d.color,
          borderWidth: line ? 2 : 0,
          pointRadius: line ? 3 : 0,
          spanGaps: false,
          clip: false,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { min: 0, max: 1, ticks: { stepSize: 0.2 } },
          x: { ticks: { maxRotation: 40, autoSkip: true } },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: {
            callbacks: {
              label: (item) => `${item.dataset.label}: ${share(item.raw)}`,
              footer: (items) => (spec.notes && items.length > 0 ? spec.notes[items[0].dataIndex] : ""),
            },
          },
        },
      },
    };
  }

  try {
    const specs = JSON.parse(document.getElementById("chart-data").textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#333";
    const drawn = new Map();
    // Charts in a hidden panel would get a zero size: they are drawn when their panel is first shown.
    const drawVisible = () => {
      for (const spec of specs) {
        const canvas = document.getElementById(`chart-${spec.id}`);
        if (!canvas || drawn.has(spec.id) || canvas.closest("[hidden]")) continue;
        drawn.set(spec.id, new Chart(canvas, config(spec)));
      }
    };

    const panels = [...document.querySelectorAll(".split-panel")];
    const picker = document.getElementById("split-picker");
    const showPanel = (index) => panels.forEach((panel) => (panel.hidden = panel.dataset.splitIndex !== String(index)));
    if (picker && panels.length > 1) {
      picker.closest(".split-picker").hidden = false;
      showPanel(picker.value);
      picker.addEventListener("change", () => {
        showPanel(picker.value);
        drawVisible();
      });
    }

    // Print everything: every panel, every collapsed question.
    let closed = [];
    window.addEventListener("beforeprint", () => {
      panels.forEach((panel) => (panel.hidden = false));
      drawVisible();
      closed = [...document.querySelectorAll("details:not([open])")];
      closed.forEach((d) => (d.open = true));
      drawn.forEach((chart) => chart.resize());
    });
    window.addEventListener("afterprint", () => {
      closed.forEach((d) => (d.open = false));
      if (picker && panels.length > 1) showPanel(picker.value);
      drawn.forEach((chart) => chart.resize());
    });

    drawVisible();
    requestAnimationFrame(() => requestAnimationFrame(() => (root.dataset.ready = "true")));
  } catch (error) {
    const message = document.getElementById("chart-error");
    if (message) {
      message.textContent = `The charts could not be drawn: ${error}`;
      message.hidden = false;
    }
    root.dataset.error = String(error);
    root.dataset.ready = "error";
    console.error(error);
  }
})();
