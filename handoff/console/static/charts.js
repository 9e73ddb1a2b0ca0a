/* A small SVG charting module of our own for the analytics dashboard (served by the hub, no CDN, no licence to
   track): vertical bars (stacked or not) for time series, horizontal bars for categories and funnels. Everything
   is built with createElementNS and textContent, so a label from the server is never read as markup; colours are
   CSS classes (series-0 ... series-5 in analytics.css), so the page's Content-Security-Policy needs no inline
   style. Each chart is an <svg role="img"> with a <title> that says what it shows, and the page puts the numbers
   in a table beside it. */
"use strict";

window.Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  // Font sizes of the labels and the values (analytics.css: .chart .label, .chart .value) and the bounds of the
  // horizontal bars' label and value columns, in pixels of a 640-wide chart.
  const LABEL_PX = 12;
  const VALUE_PX = 11;
  const LABEL_MIN = 150;
  const LABEL_MAX = 320;
  const NOTE_MIN = 40;
  const NOTE_MAX = 190;

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

  /** The value axis of counts: a top that is a whole number of steps, each step 1, 2 or 5 times a power of ten, at
      most five of them, so every tick is a whole number (never "0.5 conversations"). */
  function countAxis(value) {
    const top = Math.max(1, Math.ceil(Number(value) || 0));
    for (let power = 1; ; power *= 10) {
      for (const step of [1, 2, 5]) {
        if (top <= step * power * 5) return { max: step * power * Math.ceil(top / (step * power)), step: step * power };
      }
    }
  }

  function formatNumber(value) {
    if (value == null) return "–";
    if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString();
    return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
  }

  let measurer;
  /** The width in pixels of `text` in the page's font at `px` (measured on a canvas, with the same fallback fonts
      as the page; estimated without one: a Chinese character about twice a Latin one). */
  function textWidth(text, px) {
    if (measurer === undefined) {
      const canvas = document.createElement("canvas");
      measurer = (canvas.getContext && canvas.getContext("2d")) || null;
    }
    if (measurer) {
      measurer.font = `${px}px ${getComputedStyle(document.body).fontFamily}`;
      return measurer.measureText(text).width;
    }
    let used = 0;
    for (let i = 0; i < text.length; i++) used += text.charCodeAt(i) > 0x2e80 ? px : px * 0.6;
    return used;
  }

  /** A label cut to `room` pixels at `px` (the whole label stays in the bar's tooltip and in the table). */
  function fit(text, room, px) {
    if (textWidth(text, px) <= room) return text;
    let end = text.length;
    while (end > 1 && textWidth(text.slice(0, end) + "…", px) > room) end--;
    return text.slice(0, end) + "…";
  }

  /** wide: the chart fills its box (time series); else it is drawn at its own size, smaller when the box is. */
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

  /** Vertical bars of counts: rows [{...}], category(row) -> label, series [{key, label}], stacked; the value axis
      ticks whole numbers. Returns a <figure>. */
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
    const { max, step } = countAxis(Math.max(0, ...totals));
    const svg = svgRoot(width, height, title, true);
    for (let tick = 0; tick <= max; tick += step) {
      const y = top + plotH - (plotH * tick) / max;
      svg.append(el("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "grid" }));
      svg.append(el("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, formatNumber(tick)));
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
    const height = Math.max(1, items.length) * rowH + 8;
    const top = niceMax(max != null ? max : Math.max(0, ...items.map((item) => Number(item.value) || 0)));
    const scale = max != null ? max || 1 : top;
    const notes = items.map((item) => String(item.note != null ? item.note : format(item.value)));
    // The label column as wide as the longest label needs, the value column as the longest value, between bounds;
    // the bars take the rest (a label longer than its bound is cut, whole in its tooltip and in the table).
    const labelW = Math.min(LABEL_MAX, Math.max(LABEL_MIN, ...items.map((item) => textWidth(String(item.label), LABEL_PX) + 16)));
    const noteW = Math.min(NOTE_MAX, Math.max(NOTE_MIN, ...notes.map((note) => textWidth(note, VALUE_PX) + 12)));
    const plotW = width - labelW - noteW;
    const svg = svgRoot(width, height, title);
    items.forEach((item, index) => {
      const y = 4 + index * rowH;
      const value = Number(item.value) || 0;
      const w = (plotW * Math.min(value, scale)) / scale;
      const name = el("text", { x: labelW - 8, y: y + 17, class: "axis label", "text-anchor": "end" }, fit(String(item.label), labelW - 12, LABEL_PX));
      name.append(el("title", {}, item.label));
      svg.append(name);
      const rect = el("rect", { x: labelW, y: y + 4, width: Math.max(value > 0 ? 2 : 0, w), height: rowH - 8, class: `bar series-${item.colour ?? colour}` });
      rect.append(el("title", {}, `${item.label}: ${format(item.value)}`));
      svg.append(rect);
      svg.append(el("text", { x: labelW + w + 6, y: y + 17, class: "value" }, fit(notes[index], noteW - 8, VALUE_PX)));
    });
    const figure = document.createElement("figure");
    figure.className = "chart-figure";
    figure.append(svg);
    return figure;
  }

  return { columns, bars, formatNumber, countAxis };
})();
