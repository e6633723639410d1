// The live cell diagram: the panel (stepper.js) writes the values of its selected time step on
// the page's cell diagram, which the build inlines as SVG (sitebuild/diagrams.py).
//
// The diagram files mark what can carry a value: data-live="<key>" on the box of a quantity
// (x, h_prev, h, c_prev, c, the gates i, f, cand, o, z, r, and a SimpleRNN's tanh box; for the
// second layer of Part C h2_prev, h2 and tanh2, and y for the output) and data-wire on the state
// lines; data-pill="none" on a box that is shaded but shows no value (a tanh box: its value is
// the state h_t beside it). Here each marked box gets a white pill with the value (every unit as a compact
// vector, or the one unit the reader picks), each gate is shaded by its activation (one slice
// per unit), and the state lines flow when the time step changes (not with reduced motion).
// A gate can be focused or clicked: it then highlights its symbols in the equations (the
// elements of its c-* colour class, or of the g-tanh class around a SimpleRNN's tanh) and its
// block of columns in the weight tables (the cells the build marked data-block="<class>",
// sitebuild/diagrams.py).
// Classic script, no module: it works from file:// (see stepper-compute.js).
(function () {
  "use strict";

  if (window.RNNStepperDiagram) return;  // run again by Material's instant navigation

  const SVG_NS = "http://www.w3.org/2000/svg";
  // Where a quantity's value goes, per diagram: above, below, left or right of its box.
  const PLACES = {
    rnn: { h_prev: "below", x: "right", h: "below" },
    lstm3: {
      c_prev: "below", c: "below", h_prev: "above", h: "above", x: "right",
      f: "above", i: "above", cand: "above", o: "above",
    },
    gru: { h_prev: "below", h: "below", x: "left", z: "above", r: "above", cand: "right" },
    double_all: { h_prev: "below", h: "below", x: "right", h2_prev: "below", h2: "below", y: "right" },
  };
  const DIAGRAM_OF = { SimpleRNN: "rnn", LSTM: "lstm3", GRU: "gru" };
  const GATES = {
    i: "c-i", f: "c-f", cand: "c-cand", o: "c-o", z: "c-z", r: "c-r", tanh: "g-tanh", tanh2: "g-tanh2",
  };
  const NAMES = {
    x: "input x_t", h_prev: "previous state h_{t-1}", h: "hidden state h_t",
    c_prev: "previous cell state c_{t-1}", c: "cell state c_t", i: "input gate i_t",
    f: "forget gate f_t", cand: "candidate", o: "output gate o_t", z: "update gate z_t",
    r: "reset gate r_t", tanh: "tanh of the layer", h2_prev: "previous state h′_{t-1} of layer 2",
    h2: "state h′_t of layer 2", tanh2: "tanh of layer 2", y: "output y_t",
  };
  const PILL_FONT = 12, PILL_H = 18, CHAR_W = 7.0;

  function fmt2(v) {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : (v > 0 ? "∞" : "−∞");
    let s = v.toFixed(2);
    if (Number(s) === 0) s = s.replace("-", "");
    return s.replace("-", "\u2212");
  }

  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    return node;
  }

  // The values of one time step, by key, for the first recurrent layer of a traced run (and the
  // second one, and the output, for Part C's two stacked layers).
  function valuesAt(good, t) {
    const layerTrace = good.trace[0], step = layerTrace.steps[t];
    // the states before this step (the panel's trace holds them: initial states included)
    const values = Object.assign({}, step);
    values.x = good.xs[step.t];
    values.h_prev = step.hPrev;
    values.tanh = step.h;  // a SimpleRNN's tanh box: shaded by its output
    if (step.c) values.c_prev = step.cPrev;
    const second = good.trace[1] && good.trace[1].steps && good.trace[1].steps[t];
    if (second) {
      values.h2 = values.tanh2 = second.h;
      values.h2_prev = second.hPrev;
    }
    if (Array.isArray(good.output) && good.output.length === good.xs.length) values.y = good.output[t];
    return values;
  }

  class LiveDiagram {
    constructor(svg, layer, ranges) {
      this.svg = svg;
      this.layer = layer;
      this.ranges = ranges;  // key -> [lo, hi] for shading (gates)
      this.name = svg.dataset.diagram;
      this.unit = -1;  // -1: every unit
      this.boxes = new Map();
      svg.querySelectorAll("[data-live]").forEach((rect) => {
        const key = rect.dataset.live;
        if (!this.boxes.has(key)) this.boxes.set(key, []);
        this.boxes.get(key).push(rect);
      });
      svg.classList.add("diagram--active");
      // Live, it holds focusable gates: a group (an image's parts are not announced).
      svg.setAttribute("role", "group");
      this.layerGroup = svgEl("g", { class: "live-layer", "aria-hidden": "true" });
      svg.appendChild(this.layerGroup);
      this.shades = new Map();
      this.pills = [];
      this.setUpGates();
    }

    // Gates: focusable, and linked to their colour class in the equations and tables.
    setUpGates() {
      for (const [key, rects] of this.boxes) {
        if (!GATES[key]) continue;
        rects.forEach((rect) => {
          const group = rect.parentNode;
          // a shading layer right above the box, under its text
          const shade = svgEl("g", { class: "live-shade", "aria-hidden": "true" });
          group.insertBefore(shade, rect.nextSibling);
          this.shades.set(rect, shade);
          const target = svgEl("rect", {
            class: "live-gate", x: rect.getAttribute("x"), y: rect.getAttribute("y"),
            width: rect.getAttribute("width"), height: rect.getAttribute("height"),
            rx: "8", tabindex: "0", role: "button", "data-gate": key,
            "aria-label": `${NAMES[key]}: highlight it in the equations and weight tables`,
            "aria-pressed": "false",
          });
          this.svg.appendChild(target);
          const toggle = () => this.highlight(target.getAttribute("aria-pressed") === "true" ? null : key);
          target.addEventListener("click", toggle);
          target.addEventListener("keydown", (event) => {
            if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(); }
          });
          target.addEventListener("focus", () => this.highlight(key));
        });
      }
    }

    highlight(key) {
      document.querySelectorAll(".live-emph").forEach((node) => node.classList.remove("live-emph"));
      document.querySelectorAll(".live-block--on").forEach((node) => node.classList.remove("live-block--on"));
      this.svg.querySelectorAll(".live-gate").forEach((gate) => {
        gate.setAttribute("aria-pressed", gate.dataset.gate === key ? "true" : "false");
      });
      if (!key) return;
      const article = this.svg.closest("article") || document;
      article.querySelectorAll(`.${GATES[key]}`).forEach((node) => {
        if (!node.closest(".rnn-stepper")) node.classList.add("live-emph");
      });
      // its block of the weight tables, marked when the site was built
      article.querySelectorAll(`[data-block="${GATES[key]}"]`).forEach((cell) => cell.classList.add("live-block--on"));
    }

    setUnit(unit) {
      this.unit = unit;
      if (this.last) this.show(this.last.good, this.last.t, false);
    }

    clear() {
      this.last = null;
      this.layerGroup.textContent = "";
      this.shades.forEach((g) => g.querySelectorAll("rect").forEach((slice) => slice.remove()));
    }

    pillText(vector) {
      // (a vector with fewer numbers than the chosen unit, such as a shorter x or y: a dash)
      if (this.unit >= 0) return this.unit < vector.length ? fmt2(vector[this.unit]) : "\u2013";
      return Array.from(vector, fmt2).join(" ");
    }

    show(good, t, moved) {
      this.last = { good: good, t: t };
      const values = valuesAt(good, t);
      this.layerGroup.textContent = "";
      const view = this.svg.viewBox.baseVal;
      for (const [key, rects] of this.boxes) {
        const vector = values[key];
        if (!vector) continue;
        const text = this.pillText(vector);
        rects.forEach((rect) => {
          if (rect.dataset.pill !== "none") this.drawPill(rect, key, text, view);
          if (this.shades.has(rect)) this.shade(rect, key, vector);
        });
      }
      const caption = svgEl("text", {
        x: view.x + 4, y: view.y + 16, "font-size": "14", fill: "currentColor", class: "live-caption",
      });
      caption.textContent = `values at t = ${t} (from the panel below)`;
      this.layerGroup.appendChild(caption);
      if (moved) this.flow();
    }

    drawPill(rect, key, text, view) {
      const x = Number(rect.getAttribute("x")), y = Number(rect.getAttribute("y"));
      const w = Number(rect.getAttribute("width")), h = Number(rect.getAttribute("height"));
      const pw = Math.ceil(text.length * CHAR_W) + 12;
      const place = rect.dataset.place || (PLACES[this.name] || {})[key] || "below";
      let px, py;
      if (place === "above" || place === "below") {
        px = x + w / 2 - pw / 2;
        py = place === "above" ? y - PILL_H - 4 : y + h + 4;
      } else {
        px = place === "left" ? x - pw - 6 : x + w + 6;
        py = y + h / 2 - PILL_H / 2;
      }
      px = Math.max(view.x + 1, Math.min(view.x + view.width - pw - 1, px));
      const group = svgEl("g", { class: "live-pill", "data-key": key, "data-value": text });
      group.appendChild(svgEl("rect", {
        x: px.toFixed(1), y: py.toFixed(1), width: pw, height: PILL_H, rx: "6",
        fill: "#ffffff", stroke: "#374151", "stroke-width": "1",
      }));
      const label = svgEl("text", {
        x: (px + pw / 2).toFixed(1), y: (py + PILL_H - 5).toFixed(1), "font-size": String(PILL_FONT),
        "text-anchor": "middle", fill: "#111827", class: "live-value",
      });
      label.textContent = text;
      group.appendChild(label);
      this.layerGroup.appendChild(group);
    }

    // One slice per unit (or the whole box for the chosen unit), as opaque as the activation.
    shade(rect, key, vector) {
      const g = this.shades.get(rect);
      g.querySelectorAll("rect").forEach((slice) => slice.remove());
      const [lo, hi] = this.ranges[key] || (key.startsWith("tanh") ? [-1, 1] : [0, 1]);
      const x = Number(rect.getAttribute("x")), y = Number(rect.getAttribute("y"));
      const w = Number(rect.getAttribute("width")), h = Number(rect.getAttribute("height"));
      const units = this.unit < 0 ? Array.from(vector, (_, j) => j) : this.unit < vector.length ? [this.unit] : [];
      const sw = w / units.length;
      const colour = rect.getAttribute("stroke");
      if (g.dataset.clip !== "set") {
        const id = `live-clip-${this.name}-${key}`;
        const clip = svgEl("clipPath", { id: id });
        clip.appendChild(svgEl("rect", { x: x, y: y, width: w, height: h, rx: "8" }));
        this.svg.appendChild(clip);
        g.setAttribute("clip-path", `url(#${id})`);
        g.dataset.clip = "set";
      }
      units.forEach((j, k) => {
        const v = vector[j];
        // how far the value is from the middle of the range: 0 (none) to 1 (saturated)
        const p = lo < 0 ? Math.abs(v) / Math.max(-lo, hi) : (v - lo) / (hi - lo);
        const opacity = 0.5 * Math.max(0, Math.min(1, p));
        g.appendChild(svgEl("rect", {
          x: (x + k * sw).toFixed(1), y: y, width: sw.toFixed(1), height: h,
          fill: colour, "fill-opacity": opacity.toFixed(3), "data-unit": String(j),
        }));
      });
    }

    flow() {
      const wires = this.svg.querySelectorAll("[data-wire]");
      wires.forEach((wire) => wire.classList.remove("live-flow"));
      void this.svg.getBoundingClientRect();  // restart the animation
      wires.forEach((wire) => wire.classList.add("live-flow"));
    }
  }

  // The page's live diagram for a panel's model (its first recurrent layer; Part C's diagram for
  // two stacked SimpleRNN layers), or null.
  function attach(root, prep, ranges) {
    const recurrent = prep.layers.filter((l) => l.kind === "recurrent"), layer = recurrent[0];
    if (!layer) return null;
    const stacked = recurrent.length === 2 && recurrent.every((l) => l.className === "SimpleRNN");
    const name = stacked ? "double_all" : DIAGRAM_OF[layer.className];
    const article = root.closest("article") || document;
    const svg = article.querySelector(`svg.diagram--live[data-diagram="${name}"]`);
    if (!svg || svg.liveDiagram) return svg ? svg.liveDiagram : null;
    svg.liveDiagram = new LiveDiagram(svg, layer, ranges);
    return svg.liveDiagram;
  }

  window.RNNStepperDiagram = { attach: attach, valuesAt: valuesAt, fmt2: fmt2 };
})();
