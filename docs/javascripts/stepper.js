// The "Step through it yourself" panel of the recurrent chapters: the page's input sequence in
// an editable grid, the trained model recomputed in the browser at every edit, the gates and
// states of one time step, and the output as a line chart.
//
// A chapter gets a panel with one element in its Markdown (md_in_html):
//   <div class="rnn-stepper" data-slug="lstm" data-model="lstm"></div>
// Everything else comes from data/<slug>.json (loaded as data/<slug>.js): the model's layers and
// weights, the page's input, the gates of each layer class. The maths is in stepper-compute.js.
//
// Classic scripts, not ES modules: the offline copy is opened from file://, where Chromium
// refuses module scripts and fetch() of local files (see the top of stepper-compute.js).
(function () {
  "use strict";

  // The build puts this script in the page's content (sitebuild/diagrams.py): Material runs it
  // again after each instant navigation to a page with a panel. Once is enough: start the
  // new page's panels.
  if (window.RNNStepperPanel) {
    window.RNNStepperPanel.startAll();
    return;
  }

  const MAX_STEPS = 1000;
  const LINE_STYLES = 3;  // the chart draws output unit u with style u % 3 (shade and dash)
  const SVG_NS = "http://www.w3.org/2000/svg";
  let panelCount = 0;
  const livePanels = new Set();

  // --- formatting -----------------------------------------------------------------------------

  // As the site prints numbers (examples/publish.py fmt): 4 decimals, a true minus, no -0.0000.
  function fmt(v, digits) {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : (v > 0 ? "∞" : "−∞");
    let s = v.toFixed(digits === undefined ? 4 : digits);
    if (Number(s) === 0) s = s.replace("-", "");
    return s.replace("-", "\u2212");
  }

  // The shortest text that reads back as the same float32 (the data file stores float32 values
  // as doubles: 0.10000000149011612 is shown as 0.1).
  function shortText(v) {
    for (let p = 1; p <= 9; p++) {
      const s = Number(v.toPrecision(p));
      if (Math.fround(s) === Math.fround(v)) return String(s);
    }
    return String(v);
  }

  function clip(text, length) {
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

  // A cell's text: { value } or { error } (a sentence that says what to type instead).
  function parseCell(text) {
    const s = text.trim().replace(/\u2212/g, "-");
    if (!s) return { error: "empty: type a number, such as 0.5" };
    if (/^[+-]?nan$/i.test(s)) return { error: "NaN is not a number the model can read: type a finite number" };
    if (/^[+-]?(inf|infinity|∞)$/i.test(s)) return { error: "infinity is not allowed: type a finite number" };
    if (/^[+-]?\d*,\d+$/.test(s)) return { error: `“${clip(s, 20)}”: use a dot as the decimal separator` };
    if (!NUMBER.test(s)) return { error: `“${clip(s, 20)}” is not a number: type one such as 0.5 or −1.2e−3` };
    const value = Number(s);
    if (!Number.isFinite(Math.fround(value))) {
      return { error: `${clip(s, 20)} is too large: Keras reads its input as float32, whose largest ` +
                      "value is about 3.4e38, so this would be infinity" };
    }
    return { value: value };
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "html") node.innerHTML = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    (children || []).forEach((child) => child && node.appendChild(child));
    return node;
  }

  // --- what the panel shows about a model -------------------------------------------------------

  const SYMBOLS = {  // key: [letter (HTML), colour class]
    i: ["i", "c-i"], f: ["f", "c-f"], o: ["o", "c-o"], c: ["c", "c-cell"],
    z: ["z", "c-z"], r: ["r", "c-r"],
  };

  function quantityLabel(layer, q, primes) {
    let letter, colour;
    if (q.key === "cand") {
      letter = layer.className === "LSTM" ? "c\u0303" : "h\u0303";
      colour = "c-cand";
    } else if (q.key === "h") {
      letter = "h";
      colour = primes ? "c-h2" : "c-h";
    } else {
      [letter, colour] = SYMBOLS[q.key];
    }
    return { html: `${letter}${"′".repeat(primes)}<sub>t</sub>`, colour: colour, name: q.name };
  }

  function describeLayer(layer) {
    if (layer.kind === "mask") return `Masking (mask_value=${layer.maskValue})`;
    if (layer.className === "Bidirectional") {
      const options = [`merge_mode=${layer.mergeMode}`, layer.returnSequences ? "return_sequences" : "last step only"];
      if (layer.returnState) options.push("return_state");
      return `Bidirectional(${describeLayer(layer.forward).replace(/ \(.*\)$/, "")}, ${layer.forward.units} units; ` +
             `${options.join(", ")})`;
    }
    if (layer.kind === "vector") {
      return `${layer.timeDistributed ? "TimeDistributed(Dense)" : "Dense"}, ${layer.units} ` +
             `unit${layer.units > 1 ? "s" : ""}, ${layer.activation}`;
    }
    const options = [`${layer.units} units`];
    if (layer.className === "GRU") options.push(`reset_after=${layer.resetAfter ? "True" : "False"}`);
    if (layer.recActName && layer.recActName !== "sigmoid") options.push(`recurrent_activation=${layer.recActName}`);
    if (layer.goBackwards) options.push("go_backwards");
    options.push(layer.returnSequences ? "return_sequences" : "last step only");
    if (layer.returnState) options.push("return_state");
    return `${layer.className} (${options.join(", ")})`;
  }

  // Does the model output a sequence (one y per step) or only a vector after the last step?
  function outputsSequence(prep) {
    let sequence = true;
    prep.layers.forEach((layer) => { if (layer.kind === "recurrent") sequence = layer.returnSequences; });
    return sequence;
  }

  function outputRange(prep) {
    const last = prep.layers[prep.layers.length - 1];
    if (last.className === "Bidirectional" && last.mergeMode !== "concat") return null;
    const name = last.kind === "vector" ? last.activation : last.actName;
    return window.RNNStepper.RANGES[name] || null;
  }

  // [lo, hi] of a bar: the activation's range when bounded, else the values' own range (and 0).
  function domain(range, values) {
    if (range) return range;
    let lo = 0, hi = 0;
    values.forEach((v) => { if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (hi - lo < 1e-12) hi = lo + 1;
    return [lo, hi];
  }

  // The trace of a run as the panel shows it: one entry per recurrent layer, or per direction of
  // a Bidirectional layer, each step's record with the states before it (hPrev, cPrev) and the
  // time step it read. Steps are in reading order, except a Bidirectional layer's backward
  // direction, put back in time order so that both directions line up at each time step.
  function expandTrace(trace, T, initial) {
    const entries = [];
    const withPrevious = (steps, layer, start) => {
      let h = start ? start[0] : new Float64Array(layer.units);
      let c = start && start[1] ? start[1] : new Float64Array(layer.units);
      return steps.map((record) => {
        const out = Object.assign({ hPrev: h }, record);
        if (record.c) out.cPrev = c;
        h = record.h;
        if (record.c) c = record.c;
        return out;
      });
    };
    trace.forEach((entry, k) => {
      const start = k === 0 ? initial : null;
      if (entry.layer.className === "Bidirectional") {
        const f = entry.layer.forward, b = entry.layer.backward;
        const split = start ? [start.slice(0, f.stateCount), start.slice(f.stateCount)] : [null, null];
        const backward = withPrevious(entry.backward, b, split[1]);
        entries.push({ layer: f, steps: withPrevious(entry.forward, f, split[0]), mask: entry.mask,
                       label: "forward direction", index: entry.index });
        entries.push({ layer: b, steps: backward.slice().reverse(), mask: entry.mask, timeOrdered: true,
                       label: "backward direction", index: entry.index });
      } else {
        entries.push({ layer: entry.layer, steps: withPrevious(entry.steps, entry.layer, start), mask: entry.mask,
                       index: entry.index });
      }
    });
    return entries;
  }

  // --- one panel --------------------------------------------------------------------------------

  class Panel {
    constructor(root, model, data) {
      this.id = `rnn-stepper-${++panelCount}`;
      this.root = root;
      this.slug = root.dataset.slug;
      this.model = model;
      this.prep = window.RNNStepper.prepare(model);
      this.m = this.prep.m;
      this.sequenceOut = outputsSequence(this.prep);
      this.outUnits = this.prep.layers[this.prep.layers.length - 1].units;
      this.pageInput = model.input[0].map((row) => Float64Array.from(row));
      this.errors = new Map();  // "t,j" -> message
      this.good = null;  // the last valid result: { xs, output (T vectors or one), trace }
      this.selected = 0;
      // A model that takes initial states starts from the page's (first sequence), editable.
      this.initial = this.prep.initialStates
        ? model.initial_state.map((state) => Float64Array.from(state[0])) : null;
      this.stateErrors = new Map();  // "s,j" -> message
      this.data = data;
      this.build();
      this.buildModelChooser();
      this.buildStateInputs();
      this.attachDiagram();
      this.setInput(this.pageInput.map((row) => Float64Array.from(row)), true);
      // The chart is drawn for its box's width: redraw it when the box changes (window resized,
      // the grid beside it wider), in the next frame, outside the observer's callback.
      if (window.ResizeObserver) {
        new ResizeObserver(() => requestAnimationFrame(() => this.safely(() => this.fitToWidth()))).observe(this.chart);
      }
    }

    // <div class="rnn-stepper" data-choose="all">: a chooser of every model of the data file
    // that the panel can run (Part F); choosing one rebuilds the panel for it.
    buildModelChooser() {
      if (this.root.dataset.choose !== "all" || !this.data) return;
      const chooser = el("select", { id: `${this.id}-model`, class: "rnn-stepper__unitchooser" });
      (this.data.models || []).forEach((entry) => {
        try { window.RNNStepper.prepare(entry); } catch (error) { return; }
        chooser.appendChild(el("option", { value: entry.name, text: entry.name, selected: entry === this.model }));
      });
      chooser.addEventListener("change", () => this.safely(() => {
        const model = window.RNNStepper.findModel(this.data, this.slug, chooser.value);
        livePanels.delete(this);
        const panel = new Panel(this.root, model, this.data);
        this.root.stepper = panel;
        livePanels.add(panel);
        this.root.dataset.model = model.name;
        const again = this.root.querySelector(".rnn-stepper__model select");
        if (again) again.focus();
      }));
      this.root.querySelector(".rnn-stepper__model").prepend(el("span", { class: "rnn-stepper__unitpick" }, [
        el("label", { for: chooser.id, text: "Model" }), chooser,
      ]), el("br"));
    }

    // The initial states of a model that takes them (Part F), as editable inputs.
    buildStateInputs() {
      if (!this.initial) return;
      const layer = this.prep.layers.find((l) => l.kind === "recurrent");
      const names = layer.className === "Bidirectional"
        ? [layer.forward, layer.backward].flatMap((l, d) => (l.stateCount === 2 ? ["h", "c"] : ["h"]).map((v) => [v, d ? " (backward)" : " (forward)"]))
        : (layer.stateCount === 2 ? [["h", ""], ["c", ""]] : [["h", ""]]);
      const body = el("tbody");
      this.initial.forEach((state, index) => {
        const [letter, direction] = names[index];
        const row = el("tr", {}, [el("th", { scope: "row", html:
          `<span class="${letter === "c" ? "c-cell" : "c-h"}">${letter}<sub>−1</sub></span>${direction}` })]);
        state.forEach((v, j) => {
          const input = el("input", {
            type: "text", class: "rnn-stepper__x rnn-stepper__state", "data-s": String(index), "data-j": String(j),
            "aria-label": `initial ${letter === "c" ? "cell" : "hidden"} state${direction}, unit ${j + 1}`,
            autocomplete: "off", spellcheck: "false",
          });
          input.value = shortText(v);
          row.appendChild(el("td", {}, [input]));
        });
        body.appendChild(row);
      });
      body.addEventListener("input", (event) => this.safely(() => this.onStateEdit(event.target)));
      const table = el("table", { class: "rnn-stepper__table rnn-stepper__states" }, [
        el("caption", { text: "Initial states (initial_state), one number per unit: edit them too" }), body,
      ]);
      this.gridRegion.parentNode.before(el("div", {
        class: "rnn-stepper__grid", tabindex: "0", role: "region", "aria-label": "Initial states (scrollable)",
      }, [table]));
    }

    onStateEdit(target) {
      if (!target.matches || !target.matches("input.rnn-stepper__state")) return;
      const index = Number(target.dataset.s), j = Number(target.dataset.j);
      const parsed = parseCell(target.value);
      const key = `${index},${j}`;
      if (parsed.error) {
        this.stateErrors.set(key, `initial state ${index + 1}, unit ${j + 1}: ${parsed.error}.`);
        target.setAttribute("aria-invalid", "true");
      } else {
        this.stateErrors.delete(key);
        target.removeAttribute("aria-invalid");
        this.initial[index][j] = Math.fround(parsed.value);
      }
      this.recompute();
    }

    // The page's cell diagram, driven by this panel (stepper-diagram.js), and a chooser of the
    // unit it shows.
    attachDiagram() {
      this.diagram = null;
      if (!window.RNNStepperDiagram) return;
      const first = this.prep.layers.find((l) => l.kind === "recurrent");
      if (!first) return;
      const ranges = {};
      first.quantities.forEach((q) => { if (q.range) ranges[q.key] = q.range; });
      this.diagram = window.RNNStepperDiagram.attach(this.root, this.prep, ranges);
      if (!this.diagram) return;
      // (Part C's diagram also shows the second layer, which may have more units)
      const units = Math.max(...this.prep.layers.filter((l) => l.kind === "recurrent").map((l) => l.units));
      const chooser = el("select", { id: `${this.id}-unit`, class: "rnn-stepper__unitchooser" });
      chooser.appendChild(el("option", { value: "-1", text: `every unit (${units})` }));
      for (let j = 0; j < units; j++) chooser.appendChild(el("option", { value: String(j), text: `unit ${j + 1}` }));
      chooser.addEventListener("change", () => this.safely(() => this.diagram.setUnit(Number(chooser.value))));
      this.stepbar.appendChild(el("span", { class: "rnn-stepper__unitpick" }, [
        el("label", { for: chooser.id, text: "Diagram shows" }), chooser,
      ]));
      this.root.classList.add("rnn-stepper--with-diagram");
    }

    fitToWidth() {
      const visible = Math.max(120, this.gridRegion.clientWidth - 24);
      this.gridRegion.style.setProperty("--rnn-visible-width", `${visible}px`);
      if (this.good && this.chart.isConnected && Math.abs(this.chart.clientWidth - this.chartWidth) >= 1) {
        this.renderChart();
        this.moveCursor(this.selected);
      }
    }

    // --- DOM ---

    build() {
      const id = this.id, root = this.root;
      root.textContent = "";
      root.classList.add("rnn-stepper--ready");
      const layers = this.prep.layers.map(describeLayer).join(" → ");
      root.appendChild(el("p", { class: "rnn-stepper__model" }, [
        el("span", { text: "Model " }), el("code", { text: this.model.name }),
        el("span", { text: `: ${layers}. Your browser recomputes every step from the weights in ` +
                           `data/${this.slug}.json as you edit.` }),
      ]));

      const button = (text, action, label) => {
        const b = el("button", { type: "button", class: "rnn-stepper__button", "aria-label": label, text: text });
        b.addEventListener("click", () => this.safely(action));
        return b;
      };
      this.addButton = button("Add a step", () => this.addStep());
      this.removeButton = button("Remove the last step", () => this.removeStep());
      this.countLabel = el("span", { class: "rnn-stepper__count" });
      root.appendChild(el("div", { class: "rnn-stepper__toolbar", role: "group", "aria-label": "Edit the input sequence" }, [
        this.addButton, this.removeButton,
        button("Reset to the page's input", () => this.setInput(this.pageInput.map((r) => Float64Array.from(r)), true)),
        button("Randomise", () => this.randomise()),
        this.countLabel,
      ]));

      this.status = el("p", { class: "rnn-stepper__status", role: "status", "aria-live": "polite", id: `${id}-status` });
      root.appendChild(this.status);

      // The grid: t, the m input features (editable), the output y_t (read only).
      const head = el("tr", {}, [el("th", { scope: "col", text: "t" })]);
      for (let j = 0; j < this.m; j++) {
        head.appendChild(el("th", { scope: "col", html: `<span class="c-x">x<sub>t,${j + 1}</sub></span>` }));
      }
      if (this.sequenceOut) {
        for (let u = 0; u < this.outUnits; u++) {
          head.appendChild(el("th", { scope: "col", html: `<span class="c-y">y<sub>t,${u + 1}</sub></span>` }));
        }
      }
      this.columns = 1 + this.m + (this.sequenceOut ? this.outUnits : 0);
      this.tbody = el("tbody");
      this.tbody.addEventListener("input", (event) => this.safely(() => this.onEdit(event.target)));
      this.tbody.addEventListener("focusin", (event) => this.safely(() => this.onFocus(event.target)));
      const table = el("table", { class: "rnn-stepper__table" }, [
        el("caption", { text: `Input x${this.sequenceOut ? " and output y" : ""}, one row per time step` }),
        el("thead", {}, [head]), this.tbody,
      ]);
      this.gridRegion = el("div", {
        class: "rnn-stepper__grid", tabindex: "0", role: "region", "aria-label": "Input sequence (scrollable)",
      }, [table]);
      // The output chart, beside the grid on a wide screen, under it on a phone.
      this.chart = el("div", { class: "rnn-stepper__chart" });
      this.chart.addEventListener("click", (event) => this.safely(() => this.onChartClick(event)));
      root.appendChild(el("div", { class: "rnn-stepper__main" }, [this.gridRegion, this.chart]));

      // The selected step: slider, previous/next, and the values.
      this.slider = el("input", { type: "range", id: `${id}-t`, min: "0", max: "0", step: "1", value: "0" });
      this.slider.addEventListener("input", () => this.safely(() => this.select(Number(this.slider.value))));
      this.stepOutput = el("output", { for: `${id}-t`, class: "rnn-stepper__t" });
      const prev = button("◀", () => this.select(this.selected - 1), "Previous time step");
      const next = button("▶", () => this.select(this.selected + 1), "Next time step");
      this.stepbar = el("div", { class: "rnn-stepper__stepbar" }, [
        el("label", { for: `${id}-t`, text: "Time step" }), prev, this.slider, next, this.stepOutput,
      ]);
      root.appendChild(this.stepbar);
      this.values = el("table", { class: "rnn-stepper__values" });
      root.appendChild(el("div", { class: "rnn-stepper__valuewrap", tabindex: "0", role: "region",
                                   "aria-label": "Values at the selected time step (scrollable)" }, [this.values]));
    }

    safely(action) {
      try {
        action();
      } catch (error) {  // never to the console: say it in the panel
        this.say(`The panel could not compute this: ${error.message}`);
      }
    }

    say(text) {
      if (this.status.textContent !== text) this.status.textContent = text;
    }

    makeRow(t) {
      const row = el("tr", { "data-t": String(t) }, [el("th", { scope: "row", text: String(t) })]);
      row.inputs = [];
      for (let j = 0; j < this.m; j++) {
        const input = el("input", {
          type: "text", class: "rnn-stepper__x", "data-t": String(t), "data-j": String(j),
          "aria-label": `x at t=${t}, feature ${j + 1}`, autocomplete: "off", spellcheck: "false",
        });
        row.inputs.push(input);
        row.appendChild(el("td", {}, [input]));
      }
      row.outputs = [];
      if (this.sequenceOut) {
        for (let u = 0; u < this.outUnits; u++) {
          const cell = el("td", { class: "rnn-stepper__y" });
          row.outputs.push(cell);
          row.appendChild(cell);
        }
      }
      return row;
    }

    // --- input ---

    setInput(xs, selectFirst) {
      this.xs = xs;
      this.errors.clear();
      this.tbody.textContent = "";
      this.rows = [];
      const fragment = document.createDocumentFragment();
      xs.forEach((x, t) => {
        const row = this.makeRow(t);
        row.inputs.forEach((input, j) => { input.value = shortText(x[j]); });
        this.rows.push(row);
        fragment.appendChild(row);
      });
      this.tbody.appendChild(fragment);
      if (selectFirst) this.selected = 0;
      this.recompute();
    }

    randomise() {
      let lo = Infinity, hi = -Infinity;
      this.pageInput.forEach((x) => x.forEach((v) => { lo = Math.min(lo, v); hi = Math.max(hi, v); }));
      if (!(hi > lo)) { lo -= 1; hi += 1; }
      const T = Math.max(this.xs.length, 1);
      const xs = [];
      for (let t = 0; t < T; t++) {
        xs.push(Float64Array.from({ length: this.m }, () => Math.round((lo + Math.random() * (hi - lo)) * 100) / 100));
      }
      this.setInput(xs, false);
    }

    addStep() {
      if (this.xs.length >= MAX_STEPS) {
        this.say(`The panel takes at most ${MAX_STEPS} time steps.`);
        return;
      }
      const t = this.xs.length;
      this.xs.push(new Float64Array(this.m));
      const row = this.makeRow(t);
      row.inputs.forEach((input) => { input.value = "0"; });
      this.rows.push(row);
      this.tbody.appendChild(row);
      this.recompute();
    }

    removeStep() {
      if (!this.xs.length) {
        this.say("The sequence has no time step left to remove.");
        return;
      }
      const t = this.xs.length - 1;
      this.xs.pop();
      const row = this.rows.pop();
      if (row.message) row.message.remove();
      row.remove();
      for (let j = 0; j < this.m; j++) this.errors.delete(`${t},${j}`);
      this.recompute();
    }

    onEdit(target) {
      if (!target.matches || !target.matches("input.rnn-stepper__x")) return;
      const t = Number(target.dataset.t), j = Number(target.dataset.j);
      const parsed = parseCell(target.value);
      const key = `${t},${j}`;
      if (parsed.error) {
        this.errors.set(key, `x at t=${t}, feature ${j + 1}: ${parsed.error}.`);
        this.xs[t][j] = NaN;
      } else {
        this.errors.delete(key);
        this.xs[t][j] = parsed.value;
      }
      this.recompute();
    }

    onFocus(target) {
      if (target.matches && target.matches("input.rnn-stepper__x") && this.good) {
        const t = Number(target.dataset.t);
        if (t < this.good.xs.length && t !== this.selected) this.select(t);
      }
    }

    // The messages under each row that has a bad cell (or where the output stops being finite).
    showMessages(overflowAt) {
      const byRow = new Map();
      for (const [key, message] of this.errors) {
        const [t, j] = key.split(",").map(Number);
        if (!byRow.has(t)) byRow.set(t, []);
        byRow.get(t).push([j, message]);
      }
      if (overflowAt !== null && overflowAt < this.rows.length) {
        if (!byRow.has(overflowAt)) byRow.set(overflowAt, []);
        byRow.get(overflowAt).push([-1, `From t=${overflowAt} on, the output is not a finite number: the values ` +
                                        "are too large for the computation. Type smaller values."]);
      }
      this.rows.forEach((row, t) => {
        const messages = byRow.get(t);
        row.inputs.forEach((input, j) => {
          const bad = this.errors.has(`${t},${j}`);
          if (bad) {
            input.setAttribute("aria-invalid", "true");
            input.setAttribute("aria-describedby", `${this.id}-msg-${t}-${j}`);
          } else if (input.hasAttribute("aria-invalid")) {
            input.removeAttribute("aria-invalid");
            input.removeAttribute("aria-describedby");
          }
        });
        if (!messages) {
          if (row.message) { row.message.remove(); row.message = null; }
          return;
        }
        if (!row.message) {
          row.message = el("tr", { class: "rnn-stepper__msgrow" }, [el("td", { colspan: String(this.columns) })]);
          row.after(row.message);
        }
        if (!this.gridRegion.style.getPropertyValue("--rnn-visible-width")) this.fitToWidth();
        const cell = row.message.firstChild;
        cell.textContent = "";
        messages.sort((a, b) => a[0] - b[0]).forEach(([j, message]) => {
          cell.appendChild(el("p", {
            class: "rnn-stepper__msg", id: j >= 0 ? `${this.id}-msg-${t}-${j}` : `${this.id}-msg-${t}-out`,
            text: message,
          }));
        });
      });
    }

    // --- computing ---

    recompute() {
      const T = this.xs.length;
      this.countLabel.textContent = `T = ${T} step${T === 1 ? "" : "s"}`;
      this.addButton.setAttribute("aria-disabled", T >= MAX_STEPS ? "true" : "false");
      this.removeButton.setAttribute("aria-disabled", T === 0 ? "true" : "false");
      this.updateEmptyRow(T);
      const kept = this.good ? " The chart and the values below are still those of the last valid input." : "";
      if (this.stateErrors.size) {
        this.say(`Not updated: ${this.stateErrors.values().next().value}${kept}`);
        this.markStale(true);
        return;
      }
      if (this.errors.size) {
        this.showMessages(null);
        const [t, j] = this.errors.keys().next().value.split(",").map(Number);
        const what = this.errors.size > 1
          ? `${this.errors.size} cells need a fix (see the messages under their rows).`
          : `x at t=${t}, feature ${j + 1} needs a fix (see the message under its row).`;
        this.say(`Not updated: ${what}${kept}`);
        this.markStale(true);
        return;
      }
      if (T === 0) {
        this.showMessages(null);
        this.say("The sequence is empty: a recurrent layer needs at least one time step. Add a step.");
        this.clearResults();
        return;
      }
      const result = window.RNNStepper.runSequence(this.prep, this.xs, true, this.initial);
      result.trace = expandTrace(result.trace, T, this.initial);
      const overflowAt = this.firstNonFinite(result);
      this.showMessages(overflowAt);
      if (overflowAt !== null) {
        this.say(`Not updated: from t=${overflowAt} on, the output is not a finite number.${kept}`);
        this.markStale(true);
        return;
      }
      this.good = {
        xs: this.xs.map((x) => Float64Array.from(x)), output: result.output, trace: result.trace,
        states: result.states, mask: result.trace.length ? result.trace[0].mask : null,
      };
      this.markMasked();
      this.say("");
      this.markStale(false);
      this.render();
    }

    // Masked time steps (a Masking layer): their rows say so.
    markMasked() {
      const mask = this.good.mask;
      this.rows.forEach((row, t) => {
        const masked = !!mask && mask[t] === false;
        if (masked === row.classList.contains("rnn-stepper__row--masked")) return;
        row.classList.toggle("rnn-stepper__row--masked", masked);
        const head = row.firstChild;
        head.textContent = String(t);
        if (masked) head.appendChild(el("span", { class: "rnn-stepper__masktag", text: "masked" }));
      });
    }

    // While an edit is invalid, what is shown is the last valid result: greyed out.
    markStale(stale) {
      this.root.classList.toggle("rnn-stepper--stale", stale);
      if (this.diagram) this.diagram.svg.classList.toggle("diagram--stale", stale);
    }

    // No time step: no chart, no values, nothing on the diagram.
    clearResults() {
      this.good = null;
      this.markStale(false);
      this.chart.textContent = "";
      this.chartGeometry = null;
      this.values.textContent = "";
      this.slider.max = "0";
      this.stepOutput.textContent = "no time step";
      if (this.diagram) this.diagram.clear();
    }

    firstNonFinite(result) {
      const finite = (v) => v.every(Number.isFinite);
      const T = this.xs.length;
      for (let s = 0; s < T; s++) {
        if (result.trace.some((layer) => !finite(layer.steps[s].h) || (layer.steps[s].c && !finite(layer.steps[s].c)))) return s;
        if (this.sequenceOut && !finite(result.output[s])) return s;
      }
      if (!this.sequenceOut && !finite(result.output)) return T - 1;
      return null;
    }

    updateEmptyRow(T) {
      if (T === 0 && !this.emptyRow) {
        this.emptyRow = el("tr", { class: "rnn-stepper__msgrow" }, [el("td", { colspan: String(this.columns) }, [
          el("p", { class: "rnn-stepper__msg", text: "No time step: a recurrent layer needs at least one. Use “Add a step”." }),
        ])]);
        this.tbody.appendChild(this.emptyRow);
      } else if (T > 0 && this.emptyRow) {
        this.emptyRow.remove();
        this.emptyRow = null;
      }
    }

    // --- showing the last valid result ---

    render() {
      const good = this.good, T = good.xs.length;
      if (this.sequenceOut) {
        this.rows.forEach((row, t) => {
          row.outputs.forEach((cell, u) => {
            const text = t < T ? fmt(good.output[t][u]) : "";
            if (cell.textContent !== text) cell.textContent = text;
          });
        });
      }
      this.slider.max = String(T - 1);
      this.selected = Math.min(this.selected, T - 1);
      this.computeDomains();
      this.renderChart();
      this.select(this.selected);
    }

    computeDomains() {
      const good = this.good, R = window.RNNStepper.RANGES;
      const all = (vectors) => { const out = []; vectors.forEach((v) => v.forEach((x) => out.push(x))); return out; };
      this.domains = {
        x: domain(null, all(good.xs)),
        y: domain(outputRange(this.prep), this.sequenceOut ? all(good.output) : Array.from(good.output)),
        layers: good.trace.map((layerTrace) => {
          const layer = layerTrace.layer, d = {};
          layer.quantities.forEach((q) => {
            // h stays within the range of the layer's activation (LSTM: o_t times tanh(c_t);
            // GRU: between h_{t-1} and the candidate); c is not squashed.
            const range = q.key === "h" ? R[layer.actName] : q.range;
            d[q.key] = domain(range || null, all(layerTrace.steps.map((step) => step[q.key])));
          });
          return d;
        }),
      };
    }

    select(t) {
      if (!this.good) return;
      const T = this.good.xs.length;
      t = Math.max(0, Math.min(T - 1, t));
      this.selected = t;
      if (this.slider.value !== String(t)) this.slider.value = String(t);
      this.slider.setAttribute("aria-valuetext", `t = ${t}, of 0 to ${T - 1}`);
      this.stepOutput.textContent = `t = ${t}`;
      if (this.selectedRow) this.selectedRow.classList.remove("rnn-stepper__row--selected");
      this.selectedRow = this.rows[t] || null;
      if (this.selectedRow) this.selectedRow.classList.add("rnn-stepper__row--selected");
      this.renderValues(t);
      this.moveCursor(t);
      if (this.diagram) {
        const moved = this.diagramStep !== undefined && this.diagramStep !== t;
        this.diagramStep = t;
        this.diagram.show(this.good, t, moved);
      }
    }

    renderValues(t) {
      const good = this.good, rows = [];
      const group = (text) => `${rows.length ? "</tbody>" : ""}<tbody><tr class="rnn-stepper__group">` +
                              `<th colspan="2" scope="rowgroup">${escapeHtml(text)}</th></tr>`;
      const row = (label, values, dom, key, unbounded) => {
        const [lo, hi] = dom, zero = (0 - lo) / (hi - lo);
        const many = values.length > 1;
        const chips = Array.from(values, (v, index) => {
          const p = Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
          const left = Math.min(p, zero) * 100, width = Math.abs(p - zero) * 100;
          return `<span class="rnn-stepper__chip" data-key="${key}" data-index="${index}" data-value="${v}">` +
                 (many ? `<span class="rnn-stepper__unit" title="unit ${index + 1}">${index + 1}</span>` : "") +
                 `<span class="rnn-stepper__num">${fmt(v)}</span>` +
                 `<span class="rnn-stepper__bar" aria-hidden="true">` +
                 (lo < 0 ? `<span class="rnn-stepper__zero" style="left:${(zero * 100).toFixed(2)}%"></span>` : "") +
                 `<span class="rnn-stepper__fill ${label.colour}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span>` +
                 "</span></span>";
        }).join("");
        const scale = unbounded
          ? `<span class="rnn-stepper__scale">bars from ${fmt(lo, 2)} to ${fmt(hi, 2)}</span>` : "";
        return `<tr><th scope="row"><span class="${label.colour}">${label.html}</span>` +
               `<span class="rnn-stepper__name">${label.name}</span>${scale}</th><td>${chips}</td></tr>`;
      };
      rows.push(group("Input"));
      rows.push(row({ html: "x<sub>t</sub>", colour: "c-x", name: "input" }, good.xs[t], this.domains.x, "x"));
      let recurrentIndex = 0;
      const layerCount = new Set(good.trace.map((entry) => entry.index)).size;
      good.trace.forEach((layerTrace, k) => {
        const layer = layerTrace.layer, step = layerTrace.steps[t];
        const primes = layerTrace.label ? 0 : recurrentIndex++;
        const position = layerCount > 1 ? `Layer ${k + 1}: ` : "";
        const reads = layerTrace.timeOrdered ? " (reads the sequence from its last time step back)"
          : layer.goBackwards ? ` (reads x at t=${step.t})` : "";
        const direction = layerTrace.label ? `Bidirectional, ${layerTrace.label}: ` : "";
        rows.push(group(`${position}${direction}${describeLayer(layer)}${reads}`));
        if (step.masked) {
          rows.push(`<tr class="rnn-stepper__masked"><td colspan="2">Masked time step: the gates below were ` +
                    "computed, but the layer keeps the states of the step before, and its output repeats " +
                    "the previous output.</td></tr>");
        }
        const domains = this.domains.layers[k];
        const rowOf = (q) => row(quantityLabel(layer, q, primes), step[q.key], domains[q.key], `${k}.${q.key}`,
                                 !q.range && !(q.key === "h" && window.RNNStepper.RANGES[layer.actName]));
        if (layer.className === "LSTM") {
          // In the order of c_t = f_t ⊙ c_{t-1} + i_t ⊙ c~_t, then h_t = o_t ⊙ tanh(c_t).
          const q = Object.fromEntries(layer.quantities.map((entry) => [entry.key, entry]));
          const previous = step.cPrev;
          rows.push(rowOf(q.f));
          rows.push(row({ html: `c${"′".repeat(primes)}<sub>t−1</sub>`, colour: "c-cell", name: "previous cell state" },
                        previous, domains.c, `${k}.c_prev`, true));
          rows.push(rowOf(q.i), rowOf(q.cand), rowOf(q.c), rowOf(q.o), rowOf(q.h));
        } else {
          layer.quantities.forEach((q) => rows.push(rowOf(q)));
        }
      });
      const last = this.prep.layers[this.prep.layers.length - 1];
      const T = good.xs.length;
      if (last.className === "Bidirectional") {
        rows.push(group(`Output: the two directions merged (${last.mergeMode})`));
        const label = { html: "y<sub>t</sub>", colour: "c-y", name: "output" };
        if (this.sequenceOut) rows.push(row(label, good.output[t], this.domains.y, "y"));
        else if (t === T - 1) rows.push(row(label, good.output, this.domains.y, "y"));
      }
      if (good.states && t === T - 1) {  // return_state: the final states, after the output
        rows.push(group("Returned states (return_state), after the last time step"));
        const names = last.className === "Bidirectional"
          ? [last.forward, last.backward].flatMap((layer, d) => (layer.stateCount === 2 ? ["h", "c"] : ["h"])
            .map((letter) => [letter, d ? "backward" : "forward"]))
          : (last.stateCount === 2 ? [["h", ""], ["c", ""]] : [["h", ""]]);
        good.states.forEach((state, index) => {
          const [letter, direction] = names[index];
          const label = { html: `${letter}<sub>T−1</sub>`, colour: letter === "c" ? "c-cell" : "c-h",
                          name: `${direction ? direction + " " : ""}${letter === "c" ? "cell" : "hidden"} state` };
          rows.push(row(label, state, domain(null, Array.from(state)), `state.${index}`, true));
        });
      }
      if (last.kind === "vector") {
        rows.push(group(`Output: ${describeLayer(last)}`));
        const label = { html: "y<sub>t</sub>", colour: "c-y", name: "output" };
        if (this.sequenceOut) {
          rows.push(row(label, good.output[t], this.domains.y, "y"));
        } else if (t === good.xs.length - 1) {
          rows.push(row(label, good.output, this.domains.y, "y"));
        } else {
          rows.push(`<tr><th scope="row"><span class="c-y">y</span><span class="rnn-stepper__name">output</span></th>` +
                    "<td>only after the last step: the recurrent layer returns its last state only</td></tr>");
        }
      }
      this.values.innerHTML = `<caption>Values at t = ${t}</caption>` +
        `<thead><tr><th scope="col">quantity</th><th scope="col">value of each unit</th></tr></thead>` +
        `${rows.join("")}</tbody>`;
    }

    // --- chart ---

    renderChart() {
      const good = this.good, T = good.xs.length, id = this.id;
      this.chartWidth = this.chart.clientWidth;
      const width = Math.max(260, Math.min(720, this.chartWidth || 600)), height = 190;
      const left = 52, right = 12, top = 12, bottom = 34;
      const [lo, hi] = this.domains.y;
      const X = (t) => left + (T > 1 ? (t / (T - 1)) * (width - left - right) : (width - left - right) / 2);
      const Y = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
      const series = [];
      for (let u = 0; u < this.outUnits; u++) {
        series.push(this.sequenceOut ? good.output.map((y) => y[u]) : [good.output[u]]);
      }
      const tOf = (s) => (this.sequenceOut ? s : T - 1);
      const parts = [];
      const ticks = [lo, (lo + hi) / 2, hi];
      ticks.forEach((v) => {
        parts.push(`<line class="rnn-stepper__grid-line" x1="${left}" x2="${width - right}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}"/>`);
        parts.push(`<text class="rnn-stepper__label" x="${left - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v, 2)}</text>`);
      });
      const tTicks = T > 1 ? [0, Math.round((T - 1) / 2), T - 1].filter((t, i, a) => a.indexOf(t) === i) : [0];
      tTicks.forEach((t) => {
        parts.push(`<text class="rnn-stepper__label" x="${X(t).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${t}</text>`);
      });
      parts.push(`<text class="rnn-stepper__label" x="${width - right}" y="${height - 4}" text-anchor="end">t</text>`);
      parts.push(`<line class="rnn-stepper__cursor" x1="0" x2="0" y1="${top}" y2="${height - bottom}"/>`);
      series.forEach((values, u) => {
        const style = `rnn-stepper__line--${u % LINE_STYLES}`;
        if (values.length > 1) {
          const d = values.map((v, s) => `${s ? "L" : "M"}${X(tOf(s)).toFixed(1)} ${Y(v).toFixed(1)}`).join("");
          parts.push(`<path class="rnn-stepper__line ${style}" d="${d}"/>`);
        }
        if (values.length <= 60) {
          values.forEach((v, s) => parts.push(`<circle class="rnn-stepper__point ${style}" cx="${X(tOf(s)).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="2.5"/>`));
        }
      });
      series.forEach((_, u) => parts.push(`<circle class="rnn-stepper__marker rnn-stepper__line--${u % LINE_STYLES}" r="4.5" cx="0" cy="0"/>`));
      const summary = series.map((values, u) => {
        const name = this.outUnits > 1 ? `y${u + 1}` : "y";
        return this.sequenceOut
          ? `${name} goes from ${fmt(values[0])} at t = 0 to ${fmt(values[values.length - 1])} at t = ${T - 1}, ` +
            `between ${fmt(Math.min(...values))} and ${fmt(Math.max(...values))}`
          : `${name} = ${fmt(values[0])} after the last step, t = ${T - 1}`;
      }).join("; ");
      const title = this.sequenceOut ? `The output y over time, t = 0 to ${T - 1}` : "The output y after the last step";
      this.chart.innerHTML =
        `<svg xmlns="${SVG_NS}" class="rnn-stepper__svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
        `role="img" aria-labelledby="${id}-chart-title ${id}-chart-desc">` +
        `<title id="${id}-chart-title">${title}</title><desc id="${id}-chart-desc">${summary}.</desc>` +
        parts.join("") + "</svg>" +
        `<ul class="rnn-stepper__legend" aria-hidden="true">${series.map((_, u) =>
          `<li><svg width="28" height="10"><line class="rnn-stepper__line rnn-stepper__line--${u % LINE_STYLES}" x1="1" x2="27" y1="5" y2="5"/></svg>` +
          `<span class="c-y">y<sub>t${this.outUnits > 1 ? `,${u + 1}` : ""}</sub></span></li>`).join("")}</ul>`;
      this.chartGeometry = { X: X, Y: Y, series: series, tOf: tOf };
    }

    // A click on the chart selects the nearest time step.
    onChartClick(event) {
      const svg = this.chart.querySelector("svg.rnn-stepper__svg");
      if (!svg || !this.chartGeometry || !this.good || !this.sequenceOut) return;
      const box = svg.getBoundingClientRect(), T = this.good.xs.length;
      const x = ((event.clientX - box.left) / box.width) * svg.viewBox.baseVal.width;
      let best = 0;
      for (let t = 1; t < T; t++) {
        if (Math.abs(this.chartGeometry.X(t) - x) < Math.abs(this.chartGeometry.X(best) - x)) best = t;
      }
      this.select(best);
    }

    moveCursor(t) {
      const svg = this.chart.querySelector("svg.rnn-stepper__svg");
      if (!svg || !this.chartGeometry) return;
      const { X, Y, series } = this.chartGeometry;
      const x = X(t).toFixed(1);
      const cursor = svg.querySelector(".rnn-stepper__cursor");
      cursor.setAttribute("x1", x);
      cursor.setAttribute("x2", x);
      svg.querySelectorAll(".rnn-stepper__marker").forEach((marker, u) => {
        const s = this.sequenceOut ? t : 0;
        const visible = this.sequenceOut || t === this.good.xs.length - 1;
        marker.setAttribute("cx", x);
        marker.setAttribute("cy", Y(series[u][s]).toFixed(1));
        marker.style.display = visible ? "" : "none";
      });
    }
  }

  // --- set-up on every page, instant navigation included ------------------------------------

  function start(root) {
    if (root.dataset.stepperState) return;  // idempotent: once per element
    root.dataset.stepperState = "loading";
    const slug = root.dataset.slug, name = root.dataset.model;
    root.textContent = "Loading the model…";
    window.RNNStepper.loadData(slug).then((data) => {
      const model = window.RNNStepper.findModel(data, slug, name);
      const panel = new Panel(root, model, data);
      root.stepper = panel;
      livePanels.add(panel);
      root.dataset.stepperState = "ready";
    }).catch((error) => {
      root.dataset.stepperState = "failed";
      root.textContent = `The step-through panel could not start: ${error.message}.`;
    });
  }

  // A panel starts (loads its model's data, computes, draws the chart and the live diagram)
  // when it or a live diagram of its page comes into view: a phone that opens a chapter does
  // not pay for a panel the reader has not reached.
  let watcher = null;
  function startAll() {
    for (const panel of livePanels) if (!panel.root.isConnected) livePanels.delete(panel);
    const roots = [...document.querySelectorAll(".rnn-stepper[data-slug][data-model]")];
    if (watcher) watcher.disconnect();
    if (!roots.length) return;
    if (!("IntersectionObserver" in window)) { roots.forEach(start); return; }
    watcher = new IntersectionObserver((entries, observer) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      roots.forEach(start);
    });
    for (const target of [...roots, ...document.querySelectorAll("svg.diagram--live")]) {
      watcher.observe(target);
    }
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {  // the messages' width (and, without ResizeObserver, the chart)
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const panel of livePanels) if (panel.root.isConnected) panel.safely(() => panel.fitToWidth());
    }, 150);
  });

  // Material's document$ emits for every page, instant navigation included; opened from
  // file://, it does not always emit to a late subscriber, so the first page is also started on
  // its own (startAll is idempotent). This script sits in the page's content, before Material's
  // own script: document$ may only exist once the page is parsed.
  let subscribed = false;
  function subscribe() {
    if (!subscribed && window.document$ && typeof window.document$.subscribe === "function") {
      subscribed = true;
      window.document$.subscribe(startAll);
    }
  }
  window.RNNStepperPanel = { startAll: startAll };
  subscribe();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => { subscribe(); startAll(); });
  } else {
    startAll();
  }
})();
