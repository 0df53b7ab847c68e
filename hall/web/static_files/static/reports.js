// The reports page: asks /api/reports for a date range and a grouping, draws the table and
// two bar charts in SVG, and points the export links at the same report as CSV and XLSX.
// Its texts are i18n_reports.js's; a change of language draws the last report again.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const t = (key, vars) => window.I18N.t(key, vars);
  let shown = null; // the last report drawn
  const form = document.getElementById("report-form");
  const status = document.getElementById("report-status");

  function text(value, unit) {
    if (value === null || value === undefined) return "—";
    return unit ? value + unit : String(value);
  }
  function pct(share) {
    return share === null || share === undefined ? "—" : (share * 100).toFixed(1) + "%";
  }
  function minutes(seconds) {
    return seconds === null || seconds === undefined ? "—" : t("rep.minutes", { n: (seconds / 60).toFixed(1) });
  }
  function keyName(by, key) {
    if (key === "") return "—";
    return by === "hour" ? key + ":00" : key;
  }
  function good(r) { return (r.ratings["4"] || 0) + (r.ratings["5"] || 0); }
  function bad(r) { return (r.ratings["1"] || 0) + (r.ratings["2"] || 0); }

  function cells(tr, values, tag) {
    for (const v of values) {
      const td = document.createElement(tag);
      td.textContent = v;
      tr.appendChild(td);
    }
  }
  function line(by, r, label) {
    return [label || keyName(by, r.key), text(r.tickets), text(r.served), pct(r.no_show_rate),
      pct(r.transfer_rate), minutes(r.wait_mean_s), minutes(r.wait_p90_s), minutes(r.wait_max_s),
      minutes(r.service_mean_s), pct(r.service_level), text(good(r)), text(bad(r)),
      text(r.ratings.unrated)];
  }

  function table(report) {
    document.getElementById("key-head").textContent = t("rep.key." + report.by);
    const body = document.querySelector("#report-table tbody");
    const foot = document.querySelector("#report-table tfoot");
    body.replaceChildren();
    foot.replaceChildren();
    for (const r of report.rows) {
      const tr = document.createElement("tr");
      cells(tr, line(report.by, r), "td");
      body.appendChild(tr);
    }
    const total = document.createElement("tr");
    total.className = "total";
    cells(total, line(report.by, report.total, t("rep.total")), "th");
    foot.appendChild(total);
  }

  // Bars of one or more series per label, scaled to the largest value.
  // One SVG unit is one CSS pixel (the view box is the chart's own width), so the labels keep
  // their CSS size instead of shrinking with a wide, short chart.
  function bars(svg, labels, series) {
    const width = Math.max(320, Math.round(svg.getBoundingClientRect().width) || 560);
    const height = 240, left = 44, bottom = 32, top = 26;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.replaceChildren();
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const band = (width - left) / Math.max(1, labels.length);
    const barWidth = Math.max(2, (band * 0.8) / series.length);
    const scale = (height - bottom - top) / max;
    const el = (name, attrs, content) => {
      const node = document.createElementNS(SVG, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      if (content !== undefined) node.textContent = content;
      svg.appendChild(node);
      return node;
    };
    el("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" });
    el("text", { x: left - 6, y: top + 4, "text-anchor": "end", class: "tick" }, String(max));
    labels.forEach((label, i) => {
      const x0 = left + i * band + band * 0.1;
      series.forEach((s, j) => {
        const h = s.values[i] * scale;
        const bar = el("rect", { x: x0 + j * barWidth, y: height - bottom - h, width: barWidth,
          height: h, class: s.cls });
        const tip = document.createElementNS(SVG, "title");
        tip.textContent = `${label} ${s.name}: ${s.values[i]}`;
        bar.appendChild(tip);
      });
      el("text", { x: x0 + (barWidth * series.length) / 2, y: height - 10, "text-anchor": "middle",
        class: "tick" }, label);
    });
    series.forEach((s, j) => {
      el("rect", { x: left + 8 + j * 120, y: 4, width: 12, height: 12, class: s.cls });
      el("text", { x: left + 26 + j * 120, y: 15, class: "legend" }, s.name);
    });
  }

  function charts(report) {
    const labels = report.rows.map((r) => keyName(report.by, r.key));
    bars(document.getElementById("chart-tickets"), labels, [
      { name: t("rep.col.tickets"), cls: "bar-a", values: report.rows.map((r) => r.tickets) },
      { name: t("rep.col.served"), cls: "bar-b", values: report.rows.map((r) => r.served) },
    ]);
    const levels = ["5", "4", "3", "2", "1", "unrated"];
    bars(document.getElementById("chart-ratings"), levels.map((l) => t("rep.level." + l)),
      [{ name: t("rep.people"), cls: "bar-a",
        values: levels.map((l) => report.total.ratings[l] || 0) }]);
  }

  function comments(report) {
    const list = document.getElementById("report-comments");
    list.replaceChildren();
    for (const c of report.comments) {
      const li = document.createElement("li");
      li.textContent = t("rep.comment", { day: c.day, window: c.window, staff: c.staff,
        stars: c.level || "—", text: c.comment });
      list.appendChild(li);
    }
    if (!report.comments.length) {
      const li = document.createElement("li");
      li.textContent = t("rep.none");
      list.appendChild(li);
    }
  }

  function query() {
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const name of ["from", "to", "by"]) {
      if (data.get(name)) params.set(name, data.get(name));
    }
    return params.toString();
  }

  async function load() {
    const q = query();
    status.textContent = t("rep.loading");
    try {
      const response = await fetch("/api/reports?" + q, { credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
      document.getElementById("report-from").value = body.from;
      document.getElementById("report-to").value = body.to;
      const asked = query();
      document.getElementById("export-csv").href = "/api/reports.csv?" + asked;
      document.getElementById("export-xlsx").href = "/api/reports.xlsx?" + asked;
      shown = body;
      draw();
      document.body.dataset.loaded = "true";
    } catch (err) {
      status.textContent = t("rep.failed", { msg: err.message });
    }
  }

  // The last report in the page's language (again after a change of language).
  function draw() {
    document.title = t("rep.doc_title");
    if (!shown) return;
    const body = shown;
    document.getElementById("report-hall").textContent = body.hall_name || body.hall;
    if (body.timezone) {
      document.getElementById("report-zone").textContent = t("rep.zone", { zone: body.timezone });
    }
    table(body);
    charts(body);
    comments(body);
    status.textContent = t("rep.summary", { from: body.from, to: body.to, n: body.total.tickets });
  }

  document.addEventListener("langchange", draw);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  load();
})();
