// The maths of the step-through panel: the models of a chapter's data file, recomputed in the
// browser, one layer and one time step at a time, with Keras's semantics (the same as the
// independent numpy replay in tests/replay.py). No dependency, no build step.
//
// Why classic scripts and not ES modules (as the issue first asked): the site must also work
// opened from disk (file://, the offline copy), and there Chromium refuses module scripts and
// fetch()/XHR of local files (CORS, origin "null"). So this file is a classic script (an IIFE)
// that attaches its functions to window.RNNStepper, and a chapter's data reaches the page as
// the classic script data/<slug>.js (written by sitebuild/mkdocs_hooks.py next to
// data/<slug>.json, with the same content), inserted on demand as <script src>.
//
// Entry point for the tests and for readers' own experiments, in the browser console:
//   await rnnCompute("lstm", "lstm", [[[1, 0], [0, 1], [0.5, 0.5]]])
// gives the model's output for an input of shape (k, l, m), in the layout model.predict
// returns: (k, l, units) for return_sequences, (k, units) for the last step, and a list
// [output, h, (c)] for a layer with return_state. The input is rounded to float32, as Keras
// reads it; the computation is in float64. Every call starts from zero states, as a fresh
// model.predict does (a stateful layer's first call), or, for a model that takes initial states
// (data file: "initial_state"), from those states: the published ones by default, or others:
//   await rnnCompute("layer-options", "lstm_initial_state", x, { initialState: [h0, c0] })
// with h0 and c0 of shape (k, units). Part F's layers are supported: Masking (a masked time
// step carries the states and repeats the previous output), Bidirectional (merge modes concat,
// sum, ave, mul), go_backwards and return_state.
(function () {
  "use strict";

  // The URL of this script, to find data/<slug>.js next to javascripts/ both when the site is
  // served and when it is opened from disk, whatever page (and instant navigation) loaded it.
  const SCRIPT_URL = (document.currentScript && document.currentScript.src)
    || (document.querySelector('script[src*="stepper-compute.js"]') || {}).src
    || location.href;
  const SLUG = /^[a-z][a-z0-9-]*$/;

  // --- activations (Keras 3 definitions) -------------------------------------------------

  const sigmoid = (z) => 1 / (1 + Math.exp(-z));
  const ACTIVATIONS = {
    linear: (z) => z,
    sigmoid: sigmoid,
    tanh: Math.tanh,
    relu: (z) => (z > 0 ? z : z === z ? 0 : z),  // NaN stays NaN
    relu6: (z) => Math.min(Math.max(z, 0), 6),
    hard_sigmoid: (z) => Math.min(Math.max(z / 6 + 0.5, 0), 1),  // relu6(z + 3) / 6 (Keras 3)
    softsign: (z) => z / (1 + Math.abs(z)),
    softplus: (z) => (z > 30 ? z : Math.log1p(Math.exp(z))),
    elu: (z) => (z > 0 ? z : Math.expm1(z)),
    selu: (z) => 1.0507009873554805 * (z > 0 ? z : 1.6732632423543772 * Math.expm1(z)),
    exponential: Math.exp,
    silu: (z) => z * sigmoid(z),
    swish: (z) => z * sigmoid(z),
  };
  // The values an activation can take, for the panel's bars ([lo, hi]; unbounded otherwise).
  const RANGES = { sigmoid: [0, 1], hard_sigmoid: [0, 1], tanh: [-1, 1], softsign: [-1, 1], relu6: [0, 6] };

  function activation(name) {
    if (name === "softmax") return null;  // applied to a whole vector, in dense()
    const f = ACTIVATIONS[name];
    if (!f) throw new Error(`activation '${name}' is not supported by the step-through panel`);
    return f;
  }

  function activationOf(config, key) {
    const name = config[key];
    return typeof name === "string" ? name : (name && name.config && name.config.name) || String(name);
  }

  // --- weights ----------------------------------------------------------------------------

  function flat(nested, what) {
    if (!Array.isArray(nested)) throw new Error(`weight '${what}' is missing`);
    const rows = Array.isArray(nested[0]) ? nested : [nested];
    const cols = rows[0].length;
    const out = new Float64Array(rows.length * cols);
    rows.forEach((row, i) => { for (let j = 0; j < cols; j++) out[i * cols + j] = row[j]; });
    return { data: out, rows: rows.length, cols: cols, is2d: Array.isArray(nested[0]) };
  }

  // --- layers -----------------------------------------------------------------------------
  // A prepared layer has kind "vector" (applied to each step, or to the single vector a
  // last-step layer gives) or "recurrent" (run(seq, trace) over a sequence of Float64Arrays).

  function prepareDense(config, weights) {
    const kernel = flat(weights.kernel, "kernel");
    const useBias = config.use_bias !== false;
    const bias = useBias ? flat(weights.bias, "bias").data : new Float64Array(kernel.cols);
    const actName = activationOf(config, "activation");
    const act = activation(actName);
    const nIn = kernel.rows, nOut = kernel.cols, W = kernel.data;
    return {
      kind: "vector", units: nOut, inputSize: nIn, activation: actName,
      apply(x) {
        const z = new Float64Array(nOut);
        for (let j = 0; j < nOut; j++) z[j] = bias[j];
        for (let i = 0; i < nIn; i++) {
          const xi = x[i];
          if (xi === 0) continue;
          const row = i * nOut;
          for (let j = 0; j < nOut; j++) z[j] += xi * W[row + j];
        }
        if (act) {
          for (let j = 0; j < nOut; j++) z[j] = act(z[j]);
        } else {  // softmax over the vector
          let max = -Infinity, sum = 0;
          for (let j = 0; j < nOut; j++) max = Math.max(max, z[j]);
          for (let j = 0; j < nOut; j++) { z[j] = Math.exp(z[j] - max); sum += z[j]; }
          for (let j = 0; j < nOut; j++) z[j] /= sum;
        }
        return z;
      },
    };
  }

  // z = x W + h U + b for the columns [from, to) of W and U; into out (length to - from).
  function affine(out, x, W, h, U, b, cols, from, to) {
    const width = to - from;
    for (let j = 0; j < width; j++) out[j] = b ? b[from + j] : 0;
    for (let i = 0; i < x.length; i++) {
      const xi = x[i], row = i * cols + from;
      for (let j = 0; j < width; j++) out[j] += xi * W[row + j];
    }
    if (h) {
      for (let i = 0; i < h.length; i++) {
        const hi = h[i], row = i * cols + from;
        for (let j = 0; j < width; j++) out[j] += hi * U[row + j];
      }
    }
    return out;
  }

  function map(values, f) {
    for (let j = 0; j < values.length; j++) values[j] = f(values[j]);
    return values;
  }

  function recurrentBase(className, config, weights, gates) {
    const kernel = flat(weights.kernel, "kernel"), recurrent = flat(weights.recurrent_kernel, "recurrent_kernel");
    const n = recurrent.rows;
    if (kernel.cols !== gates * n || recurrent.cols !== gates * n) {
      throw new Error(`${className}: weights of shape (${kernel.rows}, ${kernel.cols}) and ` +
                      `(${recurrent.rows}, ${recurrent.cols}) are not ${gates} blocks of ${n} units`);
    }
    return {
      kind: "recurrent", className: className, units: n, inputSize: kernel.rows,
      W: kernel.data, U: recurrent.data, cols: gates * n,
      useBias: config.use_bias !== false,
      actName: activationOf(config, "activation"),
      recActName: config.recurrent_activation === undefined ? null : activationOf(config, "recurrent_activation"),
      returnSequences: !!config.return_sequences,
      returnState: !!config.return_state,
      goBackwards: !!config.go_backwards,
    };
  }

  // Runs a recurrent layer over seq (an array of Float64Array), step(x, states, record) giving
  // the new states (the first is h). Outputs are in reading order, as Keras returns them.
  // initial: the states to start from (zeros if null). mask: null, or one boolean per time
  // step (false: masked); at a masked step the states carry over and the output repeats the
  // previous output (zeros before the first step), as Keras's backend does on CPU.
  function runRecurrent(layer, seq, initial, step, trace, mask) {
    const T = seq.length;
    let states = initial;
    let previous = new Float64Array(layer.units);
    const outputs = new Array(T);
    const steps = trace ? new Array(T) : null;
    for (let s = 0; s < T; s++) {
      const t = layer.goBackwards ? T - 1 - s : s;
      const record = trace ? { t: t } : null;
      const next = step(seq[t], states, record);
      if (mask && !mask[t]) {
        if (record) {  // the gates were computed, but the states carry over
          record.masked = true;
          record.h = states[0];
          if (states[1]) record.c = states[1];
        }
        outputs[s] = previous;
      } else {
        states = next;
        outputs[s] = states[0];
      }
      previous = outputs[s];
      if (trace) steps[s] = record;
    }
    return { sequence: outputs, states: states, steps: steps };
  }

  function zeros(count, n) {
    return Array.from({ length: count }, () => new Float64Array(n));
  }

  // The states a layer starts from: the given ones (checked), or zeros.
  function startStates(layer, count, initial) {
    if (!initial) return zeros(count, layer.units);
    if (initial.length !== count) {
      throw new Error(`${layer.className} takes ${count} initial state${count > 1 ? "s" : ""}, not ${initial.length}`);
    }
    return initial.map((state) => {
      if (state.length !== layer.units) throw new Error(`an initial state of ${layer.className} has ${layer.units} numbers`);
      return Float64Array.from(state);
    });
  }

  function prepareSimpleRNN(config, weights) {
    const L = recurrentBase("SimpleRNN", config, weights, 1);
    const n = L.units, act = activation(L.actName);
    const b = L.useBias ? flat(weights.bias, "bias").data : null;
    L.quantities = [{ key: "h", name: "hidden state", range: RANGES[L.actName] }];
    L.stateCount = 1;
    L.run = (seq, trace, initial, mask) => runRecurrent(L, seq, startStates(L, 1, initial), (x, states, rec) => {
      const h = map(affine(new Float64Array(n), x, L.W, states[0], L.U, b, n, 0, n), act);
      if (rec) rec.h = h;
      return [h];
    }, trace, mask);
    return L;
  }

  function prepareLSTM(config, weights) {
    const L = recurrentBase("LSTM", config, weights, 4);
    const n = L.units, cols = 4 * n;
    const act = activation(L.actName), rec = activation(L.recActName);
    const b = L.useBias ? flat(weights.bias, "bias").data : null;
    const gate = RANGES[L.recActName], cand = RANGES[L.actName];
    L.quantities = [
      { key: "i", name: "input gate", range: gate }, { key: "f", name: "forget gate", range: gate },
      { key: "cand", name: "candidate", range: cand }, { key: "o", name: "output gate", range: gate },
      { key: "c", name: "cell state" }, { key: "h", name: "hidden state" },
    ];
    L.stateCount = 2;
    L.run = (seq, trace, initial, mask) => runRecurrent(L, seq, startStates(L, 2, initial), (x, states, r) => {
      const [hPrev, cPrev] = states;
      // Keras's gate order in kernel, recurrent_kernel and bias: i, f, c, o.
      const i = map(affine(new Float64Array(n), x, L.W, hPrev, L.U, b, cols, 0, n), rec);
      const f = map(affine(new Float64Array(n), x, L.W, hPrev, L.U, b, cols, n, 2 * n), rec);
      const g = map(affine(new Float64Array(n), x, L.W, hPrev, L.U, b, cols, 2 * n, 3 * n), act);
      const o = map(affine(new Float64Array(n), x, L.W, hPrev, L.U, b, cols, 3 * n, 4 * n), rec);
      const c = new Float64Array(n), h = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        c[j] = f[j] * cPrev[j] + i[j] * g[j];  // c_t = f_t ⊙ c_{t-1} + i_t ⊙ c~_t
        h[j] = o[j] * act(c[j]);               // h_t = o_t ⊙ tanh(c_t)
      }
      if (r) Object.assign(r, { i: i, f: f, cand: g, o: o, c: c, h: h });
      return [h, c];
    }, trace, mask);
    return L;
  }

  function prepareGRU(config, weights) {
    const L = recurrentBase("GRU", config, weights, 3);
    const n = L.units, cols = 3 * n;
    const act = activation(L.actName), rec = activation(L.recActName);
    const resetAfter = config.reset_after !== false;
    let bIn = null, bRec = null;
    if (L.useBias) {
      const bias = flat(weights.bias, "bias");
      if (resetAfter) {  // two rows: input side, recurrent side
        if (bias.rows !== 2) throw new Error("GRU with reset_after=True: the bias must have two rows");
        bIn = bias.data.subarray(0, cols);
        bRec = bias.data.subarray(cols, 2 * cols);
      } else {
        bIn = bias.data;
      }
    }
    const gate = RANGES[L.recActName];
    L.quantities = [
      { key: "z", name: "update gate", range: gate }, { key: "r", name: "reset gate", range: gate },
      { key: "cand", name: "candidate", range: RANGES[L.actName] }, { key: "h", name: "hidden state" },
    ];
    L.resetAfter = resetAfter;
    L.stateCount = 1;
    L.run = (seq, trace, initial, mask) => runRecurrent(L, seq, startStates(L, 1, initial), (x, states, record) => {
      const hPrev = states[0];
      // Keras's gate order: z, r, h.
      const xz = affine(new Float64Array(n), x, L.W, null, null, bIn, cols, 0, n);
      const xr = affine(new Float64Array(n), x, L.W, null, null, bIn, cols, n, 2 * n);
      const xh = affine(new Float64Array(n), x, L.W, null, null, bIn, cols, 2 * n, 3 * n);
      const hz = affine(new Float64Array(n), hPrev, L.U, null, null, bRec, cols, 0, n);
      const hr = affine(new Float64Array(n), hPrev, L.U, null, null, bRec, cols, n, 2 * n);
      const z = new Float64Array(n), r = new Float64Array(n), cand = new Float64Array(n), h = new Float64Array(n);
      for (let j = 0; j < n; j++) { z[j] = rec(xz[j] + hz[j]); r[j] = rec(xr[j] + hr[j]); }
      if (resetAfter) {  // reset after the product: r ⊙ (h_{t-1} W_hh + b_hh)
        const hh = affine(new Float64Array(n), hPrev, L.U, null, null, bRec, cols, 2 * n, 3 * n);
        for (let j = 0; j < n; j++) cand[j] = act(xh[j] + r[j] * hh[j]);
      } else {  // reset before the product: (r ⊙ h_{t-1}) W_hh
        const rh = new Float64Array(n);
        for (let j = 0; j < n; j++) rh[j] = r[j] * hPrev[j];
        const hh = affine(new Float64Array(n), rh, L.U, null, null, null, cols, 2 * n, 3 * n);
        for (let j = 0; j < n; j++) cand[j] = act(xh[j] + hh[j]);
      }
      for (let j = 0; j < n; j++) h[j] = z[j] * hPrev[j] + (1 - z[j]) * cand[j];  // z keeps the OLD state
      if (record) Object.assign(record, { z: z, r: r, cand: cand, h: h });
      return [h];
    }, trace, mask);
    return L;
  }

  // Masking: a time step whose features all equal mask_value is masked (and its x set to 0).
  function prepareMasking(config) {
    const value = config.mask_value === undefined ? 0 : config.mask_value;
    return { kind: "mask", className: "Masking", maskValue: value };
  }

  const MERGES = {
    concat: (a, b) => { const out = new Float64Array(a.length + b.length); out.set(a); out.set(b, a.length); return out; },
    sum: (a, b) => a.map((v, j) => v + b[j]),
    ave: (a, b) => a.map((v, j) => (v + b[j]) / 2),
    mul: (a, b) => a.map((v, j) => v * b[j]),
  };

  // Bidirectional: the forward layer reads x from the first time step, the backward layer
  // (go_backwards) from the last; with return_sequences the backward outputs are put back in
  // time order before the merge (keras/src/layers/rnn/bidirectional.py). Initial states: the
  // forward layer's, then the backward layer's.
  function prepareBidirectional(layer, config) {
    const mergeMode = config.merge_mode === undefined ? "concat" : config.merge_mode;
    const merge = MERGES[mergeMode];
    if (!merge) throw new Error(`Bidirectional with merge_mode=${mergeMode} is not supported by the step-through panel`);
    const forward = prepareLayer(layer.forward), backward = prepareLayer(layer.backward);
    if (forward.kind !== "recurrent" || backward.kind !== "recurrent" || !backward.goBackwards) {
      throw new Error("Bidirectional: a forward and a backward (go_backwards) recurrent layer are needed");
    }
    const B = {
      kind: "recurrent", className: "Bidirectional", mergeMode: mergeMode,
      forward: forward, backward: backward, inputSize: forward.inputSize,
      units: mergeMode === "concat" ? forward.units + backward.units : forward.units,
      returnSequences: forward.returnSequences, returnState: forward.returnState,
      stateCount: forward.stateCount + backward.stateCount, goBackwards: false,
      actName: forward.actName, quantities: [],
    };
    B.run = (seq, trace, initial, mask) => {
      const split = initial ? [initial.slice(0, forward.stateCount), initial.slice(forward.stateCount)] : [null, null];
      const f = forward.run(seq, trace, split[0], mask), b = backward.run(seq, trace, split[1], mask);
      const T = seq.length;
      // b.sequence[s] is the output after reading time step T - 1 - s
      const sequence = f.sequence.map((out, s) => merge(out, B.returnSequences ? b.sequence[T - 1 - s] : b.sequence[s]));
      return {
        sequence: sequence, states: f.states.concat(b.states),
        steps: trace ? { forward: f.steps, backward: b.steps } : null,
      };
    };
    return B;
  }

  function prepareLayer(layer) {
    const config = layer.config || {}, weights = layer.weights || {};
    switch (layer.class_name) {
      case "Dense": return prepareDense(config, weights);
      case "TimeDistributed": {
        const inner = config.layer || {};
        if (inner.class_name !== "Dense") {
          throw new Error(`TimeDistributed(${inner.class_name}) is not supported by the step-through panel`);
        }
        const dense = prepareDense(inner.config || {}, weights);
        dense.timeDistributed = true;
        return dense;
      }
      case "SimpleRNN": return prepareSimpleRNN(config, weights);
      case "LSTM": return prepareLSTM(config, weights);
      case "GRU": return prepareGRU(config, weights);
      case "Masking": return prepareMasking(config);
      case "Bidirectional": return prepareBidirectional(layer, config);
      default: throw new Error(`layer ${layer.class_name} is not supported by the step-through panel`);
    }
  }

  const prepared = new WeakMap();

  // The model entry of a data file, ready to run: its layers (InputLayer skipped), and m.
  function prepare(model) {
    if (prepared.has(model)) return prepared.get(model);
    // Several inputs: the sequence, then the initial states of the first recurrent layer
    // (published under "initial_state"); anything else is refused rather than computed wrongly.
    const inputs = model.layers.filter((l) => l.class_name === "InputLayer").length;
    if (inputs > 1 && model.initial_state === undefined) {
      throw new Error(`model '${model.name}' has ${inputs} inputs but no initial_state: rnnCompute does not support it`);
    }
    const layers = model.layers.filter((l) => l.class_name !== "InputLayer").map(prepareLayer);
    if (!layers.length) throw new Error(`model '${model.name}' has no layer`);
    layers.forEach((layer, index) => {
      if (layer.returnState && index !== layers.length - 1) {
        throw new Error("return_state is supported on the last layer only");
      }
    });
    const first = layers.find((layer) => layer.kind === "recurrent");
    const takesStates = model.initial_state !== undefined;
    if (takesStates && (!first || model.initial_state.length !== first.stateCount)) {
      throw new Error(`model '${model.name}': ${model.initial_state.length} initial states for its recurrent layer`);
    }
    const withSize = layers.find((layer) => layer.inputSize !== undefined);
    const result = {
      name: model.name, layers: layers, m: withSize.inputSize,
      initialStates: takesStates ? first.stateCount : 0,
    };
    prepared.set(model, result);
    return result;
  }

  // One sequence (an array of T Float64Array of m features) through the model. Returns
  // { output, states, trace }: output is an array of T vectors (a sequence) or one vector (the
  // last step); states the final states of a last layer with return_state; trace (if asked)
  // one entry per recurrent layer: { layer, index, steps: [{ t, h, ... }] }.
  // initial: the states of the first recurrent layer (an array of Float64Array), or null.
  // The trace entry of a masked model has mask (one boolean per time step); a Bidirectional
  // layer's has forward and backward steps.
  function runSequence(prep, seq, withTrace, initial) {
    let value = seq, isSequence = true, states = null, mask = null, start = initial || null;
    const trace = [];
    prep.layers.forEach((layer, index) => {
      if (layer.kind === "mask") {
        if (!isSequence) throw new Error("Masking needs a sequence");
        mask = value.map((x) => x.some((v) => v !== layer.maskValue));
        value = value.map((x, t) => (mask[t] ? x : new Float64Array(x.length)));
        return;
      }
      if (layer.kind === "vector") {
        value = isSequence ? value.map((v) => layer.apply(v)) : layer.apply(value);
        return;
      }
      if (!isSequence) throw new Error(`${layer.className} needs a sequence, but the layer before returns its last step only`);
      if (!value.length) throw new Error("the sequence has no time step");
      const out = layer.run(value, withTrace, start, mask);
      start = null;  // for the first recurrent layer only
      if (withTrace) {
        const entry = { layer: layer, index: index, steps: out.steps, mask: mask };
        if (layer.className === "Bidirectional") {
          entry.steps = null;
          entry.forward = out.steps.forward;
          entry.backward = out.steps.backward;
          entry.sequence = out.sequence;
        }
        trace.push(entry);
      }
      if (layer.returnSequences) {
        value = out.sequence;
      } else {
        value = out.sequence[out.sequence.length - 1];
        isSequence = false;
        mask = null;  // no time axis left to mask
      }
      states = layer.returnState ? out.states : null;
    });
    return { output: value, isSequence: isSequence, states: states, trace: trace };
  }

  const FLOAT32_MAX = 3.4028234663852886e38;

  // Checks an input of shape (k, l, m) and converts it, rounded to float32 as model.predict
  // does, to k arrays of l Float64Array(m). NaN, infinities and numbers beyond float32 are
  // refused with their position.
  function toBatch(input, m) {
    const shape = "an array of shape (k, l, m): k sequences of l steps of m numbers";
    if (!Array.isArray(input) || !input.length) throw new TypeError(`the input must be ${shape}`);
    const l = Array.isArray(input[0]) ? input[0].length : -1;
    return input.map((sequence, a) => {
      if (!Array.isArray(sequence) || sequence.length !== l || l < 1) {
        throw new TypeError(`the input must be ${shape}, with l >= 1 (sequence ${a} differs)`);
      }
      return sequence.map((row, t) => {
        if (!Array.isArray(row) || row.length !== m) {
          throw new TypeError(`the input must be ${shape}, with m = ${m} for this model (input[${a}][${t}])`);
        }
        const x = new Float64Array(m);
        for (let j = 0; j < m; j++) {
          const v = row[j];
          if (typeof v !== "number") throw new TypeError(`input[${a}][${t}][${j}] is not a number`);
          // Refused, as the panel refuses them: Keras would compute NaN or infinities from them.
          if (!Number.isFinite(v)) throw new RangeError(`input[${a}][${t}][${j}] is ${v}, not a finite number`);
          x[j] = Math.fround(v);
          if (!Number.isFinite(x[j])) {
            throw new RangeError(`input[${a}][${t}][${j}] = ${v} is beyond float32 (largest ${FLOAT32_MAX})`);
          }
        }
        return x;
      });
    });
  }

  const nested = (v) => Array.from(v);

  // The initial states of a model that takes them: options.initialState, or the published ones;
  // each of shape (k, units), for the k sequences of the input.
  function initialStates(model, prep, k, options) {
    const given = options && options.initialState;
    if (!prep.initialStates) {
      if (given) throw new Error(`model '${model.name}' takes no initial state`);
      return null;
    }
    const states = given || model.initial_state;
    if (!Array.isArray(states) || states.length !== prep.initialStates) {
      throw new TypeError(`model '${model.name}' takes ${prep.initialStates} initial states, each of shape (k, units)`);
    }
    return states.map((state, s) => {
      if (!Array.isArray(state) || state.length !== k) {
        throw new TypeError(`initial state ${s} must hold one row per sequence: ${k} (pass options.initialState)`);
      }
      return state.map((row) => Float64Array.from(row, (v) => {
        if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError("an initial state holds finite numbers only");
        return Math.fround(v);
      }));
    });
  }

  // The whole batch, in model.predict's layout.
  function predict(model, input, options) {
    const prep = prepare(model);
    const batch = toBatch(input, prep.m);
    const initial = initialStates(model, prep, batch.length, options);
    const runs = batch.map((seq, a) => runSequence(prep, seq, false, initial && initial.map((state) => state[a])));
    const output = runs.map((r) => (r.isSequence ? r.output.map(nested) : nested(r.output)));
    if (!runs[0].states) return output;
    return [output].concat(runs[0].states.map((_, s) => runs.map((r) => nested(r.states[s]))));
  }

  // --- data files ---------------------------------------------------------------------------

  const loading = {};

  function loadData(slug) {
    if (typeof slug !== "string" || !SLUG.test(slug)) {
      return Promise.reject(new Error(`not a chapter slug: ${JSON.stringify(slug)}`));
    }
    const store = window.RNN_DATA || {};
    if (store[slug]) return Promise.resolve(store[slug]);
    if (loading[slug]) return loading[slug];
    loading[slug] = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(`../data/${slug}.js`, SCRIPT_URL).href;
      script.async = true;
      script.onload = () => {
        const data = (window.RNN_DATA || {})[slug];
        if (data) resolve(data);
        else { delete loading[slug]; reject(new Error(`data/${slug}.js holds no data for '${slug}'`)); }
      };
      script.onerror = () => {
        delete loading[slug];
        script.remove();
        reject(new Error(`could not load data/${slug}.js`));
      };
      document.head.appendChild(script);
    });
    return loading[slug];
  }

  function findModel(data, slug, name) {
    const model = (data.models || []).find((entry) => entry.name === name);
    if (!model) {
      const names = (data.models || []).map((entry) => entry.name).join(", ");
      throw new Error(`data/${slug}.json has no model '${name}' (it has: ${names})`);
    }
    return model;
  }

  function rnnCompute(slug, modelName, input, options) {
    return loadData(slug).then((data) => predict(findModel(data, slug, modelName), input, options));
  }

  window.RNNStepper = Object.assign(window.RNNStepper || {}, {
    loadData: loadData, findModel: findModel, prepare: prepare, runSequence: runSequence,
    predict: predict, RANGES: RANGES,
  });
  window.rnnCompute = rnnCompute;
})();
