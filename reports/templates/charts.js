"use strict";
// Line charts drawn as inline SVG from the JSON specs that reports/charts.py writes: log or linear
// x, interval bands, dashed fitted curves, hover values, a legend whose buttons hide and show series,
// and an optional measure switch. Written here rather than taken from a chart library so the page
// opens offline and stays small.
const tbCharts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f6fb2", "#c0392b", "#27864a", "#8e44ad", "#d68910", "#138d90", "#7b5b3a", "#c2185b",
                  "#5d6d7e", "#9a9a1f"];
  const W = 680, H = 340, M = { left: 58, right: 18, top: 14, bottom: 46 };

  function el(tag, attrs, parent) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function si(v) {
    const a = Math.abs(v);
    for (const [f, s] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]]) {
      if (a >= f) return +(v / f).toPrecision(3) + s;
    }
    return String(+v.toPrecision(3));
  }

  // Powers of 2 for small counts (k = 1..64, budgets to 4096 read best that way); round values
  // for token and FLOP counts: 1-2-5 steps, every digit when the range is too narrow for those,
  // powers of 10 alone when it is too wide.
  function logTicks(lo, hi) {
    const inRange = t => t >= lo * 0.9999 && t <= hi * 1.0001;
    if (hi <= 4096) {
      const ticks = [];
      for (let t = Math.pow(2, Math.floor(Math.log2(lo))); t <= hi * 1.0001; t *= 2) if (inRange(t)) ticks.push(t);
      if (ticks.length >= 2) return ticks;
    }
    const round = mantissas => {
      const ticks = [];
      for (let e = Math.floor(Math.log10(lo)); Math.pow(10, e) <= hi; e++) {
        for (const m of mantissas) if (inRange(m * Math.pow(10, e))) ticks.push(m * Math.pow(10, e));
      }
      return ticks;
    };
    let ticks = round([1, 2, 5]);
    if (ticks.length < 3) ticks = round([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    if (ticks.length > 9) ticks = ticks.filter(t => Number.isInteger(Math.log10(t)));
    return ticks.length >= 2 ? ticks : [lo, hi];
  }

  function linearTicks(lo, hi) {
    const raw = (hi - lo) / 5 || 1;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw);
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toFixed(10));
    return ticks;
  }

  function scale(lo, hi, from, to, log) {
    const f = log ? Math.log : v => v;
    const a = f(lo), b = f(hi);
    return v => from + (b === a ? 0.5 : (f(v) - a) / (b - a)) * (to - from);
  }

  function domains(spec, shown) {
    const xs = [], ys = [];
    for (const s of shown) for (const p of s.points) { xs.push(p.x); ys.push(p.lo, p.hi, p.y); }
    for (const p of spec.frontier || []) { xs.push(p.x); ys.push(p.y); }
    let x0 = Math.min(...xs), x1 = Math.max(...xs);
    if (spec.xlog) { x0 /= 1.25; x1 *= 1.25; } else { const pad = (x1 - x0) * 0.05 || 1; x0 -= pad; x1 += pad; }
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    const pad = (y1 - y0) * 0.08 || 0.05;
    y0 -= pad; y1 += pad;
    if (ys.every(v => v >= 0 && v <= 1)) { y0 = Math.max(0, y0); y1 = Math.min(1, y1); }
    return [x0, x1, y0, y1];
  }

  function showTip(tip, host, event, text) {
    const box = host.getBoundingClientRect();
    tip.textContent = text;
    tip.style.display = "block";
    tip.style.left = Math.min(event.clientX - box.left + 12, box.width - 200) + "px";
    tip.style.top = (event.clientY - box.top + 12) + "px";
  }

  function draw(host, spec, state) {
    const old = host.querySelector("svg");
    if (old) old.remove();
    const root = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": spec.xlabel });
    host.insertBefore(root, state.legend);
    const shown = spec.series.filter(s => !state.hidden.has(s.name));
    if (!shown.length && !(spec.frontier || []).length) return;
    const [x0, x1, y0, y1] = domains(spec, shown.length ? shown : spec.series);
    const X = scale(x0, x1, M.left, W - M.right, spec.xlog);
    const Y = scale(y0, y1, H - M.bottom, M.top, false);

    const axis = el("g", { class: "tb-axis" }, root);
    for (const t of spec.xlog ? logTicks(x0, x1) : linearTicks(x0, x1)) {
      el("line", { x1: X(t), x2: X(t), y1: M.top, y2: H - M.bottom }, axis);
      el("text", { x: X(t), y: H - M.bottom + 15, "text-anchor": "middle" }, axis).textContent = si(t);
    }
    for (const t of linearTicks(y0, y1)) {
      el("line", { x1: M.left, x2: W - M.right, y1: Y(t), y2: Y(t) }, axis);
      el("text", { x: M.left - 6, y: Y(t) + 4, "text-anchor": "end" }, axis).textContent = +t.toFixed(3);
    }
    el("text", { x: (M.left + W - M.right) / 2, y: H - 8, "text-anchor": "middle" }, axis).textContent =
      spec.xlabel + (spec.xlog ? " (log scale)" : "");
    el("text", { x: 14, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle",
                 transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` }, axis).textContent = spec.ylabel;

    for (const s of shown) {
      const color = state.colors.get(s.name);
      const g = el("g", { class: "tb-series", "data-series": s.name }, root);
      const pts = s.points;
      // A fitted curve is a thin dashed line with no band; the compute-optimal policy a heavy one.
      const fit = s.style === "fit";
      if (pts.length > 1) {
        const band = pts.map(p => `${X(p.x)},${Y(p.hi)}`).concat(pts.slice().reverse().map(p => `${X(p.x)},${Y(p.lo)}`));
        if (!fit) el("polygon", { points: band.join(" "), fill: color, "fill-opacity": 0.13, stroke: "none" }, g);
        el("polyline", { points: pts.map(p => `${X(p.x)},${Y(p.y)}`).join(" "), fill: "none", stroke: color,
                         "stroke-width": fit ? 1.5 : s.style === "policy" ? 3.5 : 2,
                         "stroke-dasharray": fit ? "7 4" : s.oracle ? "5 4" : "none" }, g);
      } else if (pts.length === 1) {
        const p = pts[0];  // a single point shows its interval as a bar instead of a band
        el("line", { x1: X(p.x), x2: X(p.x), y1: Y(p.lo), y2: Y(p.hi), stroke: color, "stroke-width": 2 }, g);
      }
      for (const p of pts) {
        const dot = el("circle", { class: "tb-point", cx: X(p.x), cy: Y(p.y), r: fit ? 2 : 4, fill: color }, g);
        dot.addEventListener("mouseenter", e => showTip(state.tip, host, e, p.tip));
        dot.addEventListener("mouseleave", () => { state.tip.style.display = "none"; });
      }
    }
    const front = spec.frontier || [];
    if (front.length) {
      const g = el("g", { class: "tb-frontier" }, root);
      const steps = front.flatMap((p, i) => i ? [`${X(p.x)},${Y(front[i - 1].y)}`, `${X(p.x)},${Y(p.y)}`]
                                               : [`${X(p.x)},${Y(p.y)}`]);
      steps.push(`${W - M.right},${Y(front[front.length - 1].y)}`);
      el("polyline", { points: steps.join(" "), fill: "none", stroke: "#111", "stroke-width": 1.5,
                       "stroke-dasharray": "2 3" }, g);
      for (const p of front) {
        const ring = el("circle", { class: "tb-frontier-point", cx: X(p.x), cy: Y(p.y), r: 7, fill: "none",
                                    stroke: "#111", "stroke-width": 1.5 }, g);
        ring.addEventListener("mouseenter", e => showTip(state.tip, host, e, p.tip));
        ring.addEventListener("mouseleave", () => { state.tip.style.display = "none"; });
      }
    }
  }

  function legend(spec, state, redraw) {
    state.legend.replaceChildren();
    for (const s of spec.series) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "tb-toggle";
      button.setAttribute("aria-pressed", String(!state.hidden.has(s.name)));
      const swatch = document.createElement("span");
      swatch.className = "tb-swatch";
      swatch.style.background = state.colors.get(s.name);
      button.append(swatch, s.name + (s.oracle ? " (oracle)" : ""));
      button.addEventListener("click", () => {
        if (state.hidden.has(s.name)) state.hidden.delete(s.name); else state.hidden.add(s.name);
        redraw();
      });
      state.legend.appendChild(button);
    }
  }

  function mount(host, spec) {
    const variants = spec.variants || [spec];
    const state = { hidden: new Set(), colors: new Map(), legend: document.createElement("div"),
                    tip: document.createElement("div"), current: 0 };
    for (const v of variants) for (const s of v.series) {
      if (!state.colors.has(s.name)) state.colors.set(s.name, COLORS[state.colors.size % COLORS.length]);
    }
    const title = document.createElement("div");
    title.className = "tb-title";
    title.textContent = spec.title || "";
    host.appendChild(title);
    if (variants.length > 1) {
      const pick = document.createElement("select");
      pick.className = "tb-measure";
      variants.forEach((v, i) => pick.add(new Option(v.label, String(i))));
      pick.addEventListener("change", () => { state.current = +pick.value; redraw(); });
      host.appendChild(pick);
    }
    state.legend.className = "tb-legend";
    state.tip.className = "tb-tip";
    host.append(state.legend, state.tip);
    if (spec.note) {
      const note = document.createElement("div");
      note.className = "note";
      note.textContent = spec.note;
      host.appendChild(note);
    }
    function redraw() {
      draw(host, variants[state.current], state);
      legend(variants[state.current], state, redraw);
    }
    redraw();
  }

  function mountAll() {
    for (const host of document.querySelectorAll(".tb-chart[data-spec]")) {
      mount(host, JSON.parse(document.getElementById(host.dataset.spec).textContent));
    }
  }

  return { mount, mountAll };
})();
document.addEventListener("DOMContentLoaded", tbCharts.mountAll);
