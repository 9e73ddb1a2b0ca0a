/* A small SVG charting module of our own for the analytics dashboard (served by the hub, no CDN, no licence to
   track): vertical bars (stacked or not) for time series, horizontal bars for categories and funnels. Everything
   is built with createElementNS and textContent, so a label from the server is never read as markup; colours are
   CSS classes (series-0 ... series-5 in analytics.css), so the page's Content-Security-Policy needs no inline
   style. Each chart is an <svg role="img"> with a <title> that says what it shows, and the page puts the numbers
   in a table beside it. */
"use strict";

window.Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null) node.setAttribute(name, String(value));
    }
    if (text != null) node.textContent = String(text);
    return node;
  }

  function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) {
      if (value <= step * power) return step * power;
    }
    return 10 * power;
  }

  function formatNumber(value) {
    if (value == null) return "–";
    if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString();
    return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
  }

  /** wide: the chart fills its box (time series); else it is drawn at its own size, smaller when the box is. */
  /** A label cut to about `room` pixels at 12 px (a Chinese character is about twice a Latin one's width). */
  function fit(text, room) {
    let used = 0;
    for (let i = 0; i < text.length; i++) {
      used += text.charCodeAt(i) > 0x2e80 ? 12 : 6.6;
      if (used > room) return text.slice(0, Math.max(1, i - 1)) + "…";
    }
    return text;
  }

  function svgRoot(width, height, title, wide) {
    const svg = el("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width: wide ? null : width,
      height: wide ? null : height,
      role: "img",
      class: wide ? "chart chart-wide" : "chart",
      preserveAspectRatio: "xMinYMin meet",
    });
    svg.append(el("title", {}, title));
    return svg;
  }

  function legend(series) {
    const box = document.createElement("ul");
    box.className = "chart-legend";
    series.forEach((s, i) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = `swatch series-${s.colour ?? i}`;
      item.append(swatch, document.createTextNode(s.label));
      box.append(item);
    });
    return box;
  }

  /** Vertical bars: rows [{...}], category(row) -> label, series [{key, label}], stacked. Returns a <figure>. */
  function columns({ rows, category, series, stacked = true, title, height = 220, labelEvery = 1 }) {
    const width = 720;
    const left = 44;
    const bottom = 28;
    const top = 10;
    const plotH = height - top - bottom;
    const plotW = width - left - 8;
    const totals = rows.map((row) =>
      stacked ? series.reduce((sum, s) => sum + (Number(row[s.key]) || 0), 0) : Math.max(0, ...series.map((s) => Number(row[s.key]) || 0)),
    );
    const max = niceMax(Math.max(0, ...totals));
    const svg = svgRoot(width, height, title, true);
    for (let i = 0; i <= 4; i++) {
      const y = top + plotH - (plotH * i) / 4;
      svg.append(el("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "grid" }));
      svg.append(el("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, formatNumber((max * i) / 4)));
    }
    const slot = plotW / Math.max(rows.length, 1);
    const barW = Math.max(2, slot * (stacked ? 0.7 : 0.8));
    rows.forEach((row, index) => {
      const x0 = left + slot * index + (slot - barW) / 2;
      let base = top + plotH;
      series.forEach((s, si) => {
        const value = Number(row[s.key]) || 0;
        const h = (plotH * value) / max;
        const w = stacked ? barW : barW / series.length;
        const x = stacked ? x0 : x0 + w * si;
        const y = stacked ? base - h : top + plotH - h;
        if (value > 0) {
          const rect = el("rect", { x, y, width: w, height: h, class: `bar series-${s.colour ?? si}` });
          rect.append(el("title", {}, `${category(row)} · ${s.label}: ${formatNumber(value)}`));
          svg.append(rect);
        }
        if (stacked) base -= h;
      });
      if (index % labelEvery === 0) {
        svg.append(el("text", { x: left + slot * index + slot / 2, y: height - 10, class: "axis", "text-anchor": "middle" }, category(row)));
      }
    });
    const figure = document.createElement("figure");
    figure.className = "chart-figure";
    figure.append(svg, legend(series));
    return figure;
  }

  /** Horizontal bars: items [{label, value, note}], one series; max (optional) fixes the scale (a funnel: the
      started count; averages: 5). Returns a <figure>. */
  function bars({ items, title, max, colour = 0, format = formatNumber }) {
    const width = 640;
    const rowH = 24;
    const labelW = 230;
    const height = Math.max(1, items.length) * rowH + 8;
    const top = niceMax(max != null ? max : Math.max(0, ...items.map((item) => Number(item.value) || 0)));
    const scale = max != null ? max || 1 : top;
    const svg = svgRoot(width, height, title);
    items.forEach((item, index) => {
      const y = 4 + index * rowH;
      const value = Number(item.value) || 0;
      const w = ((width - labelW - 90) * value) / scale;
      const name = el("text", { x: labelW - 8, y: y + 17, class: "axis label", "text-anchor": "end" }, fit(String(item.label), labelW - 12));
      name.append(el("title", {}, item.label));
      svg.append(name);
      const rect = el("rect", { x: labelW, y: y + 4, width: Math.max(value > 0 ? 2 : 0, w), height: rowH - 8, class: `bar series-${item.colour ?? colour}` });
      rect.append(el("title", {}, `${item.label}: ${format(item.value)}`));
      svg.append(rect);
      svg.append(el("text", { x: labelW + w + 6, y: y + 17, class: "value" }, item.note != null ? item.note : format(item.value)));
    });
    const figure = document.createElement("figure");
    figure.className = "chart-figure";
    figure.append(svg);
    return figure;
  }

  return { columns, bars, formatNumber };
})();
