// Unit tests of the engine of the step-through panel (docs/javascripts/stepper-compute.js),
// in Node, in well under a second: tiny models whose outputs follow from their equations by
// hand (the expectations are written here, not read from the engine), its refusals and the
// checks of its input. stepper_data.test.mjs runs the chapters' models.
// Run: node --test tests/js
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadEngine, maxDiff } from "./engine.mjs";

const { RNNStepper, rnnCompute } = loadEngine();
const sigmoid = (z) => 1 / (1 + Math.exp(-z));

function close(got, expected, message) {
  const diff = maxDiff(got, expected);
  assert.ok(diff <= 1e-12, `${message || "value"}: ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
}

// A SimpleRNN of one unit with a linear activation: h_t = a x_t + b h_{t-1} + c.
function linearRnn(options = {}) {
  return {
    name: "linear_rnn",
    layers: [
      { class_name: "InputLayer", config: {}, weights: {} },
      {
        class_name: "SimpleRNN",
        config: { activation: "linear", return_sequences: true, ...options },
        weights: { kernel: [[2]], recurrent_kernel: [[0.5]], bias: [1] },
      },
    ],
  };
}
// The same recurrence, written out: h over the steps in the order given.
function linearSteps(xs) {
  let h = 0;
  return xs.map((x) => (h = 2 * x + 0.5 * h + 1));
}

test("SimpleRNN: the recurrence, step by step, from a zero state", () => {
  const got = RNNStepper.predict(linearRnn(), [[[1], [2], [-1]]]);
  close(got, [[[3], [6.5], [2.25]]]);
  close(linearSteps([1, 2, -1]), [3, 6.5, 2.25], "the hand computation");
});

test("SimpleRNN: a batch is computed sequence by sequence", () => {
  const got = RNNStepper.predict(linearRnn(), [[[1], [2]], [[0], [0]]]);
  close(got, [[[3], [6.5]], [[1], [1.5]]]);
});

test("return_sequences false: the last step only", () => {
  close(RNNStepper.predict(linearRnn({ return_sequences: false }), [[[1], [2], [-1]]]), [[2.25]]);
});

test("go_backwards: reads the last time step first, returns outputs in reading order", () => {
  const got = RNNStepper.predict(linearRnn({ go_backwards: true }), [[[1], [2], [-1]]]);
  close(got, [linearSteps([-1, 2, 1]).map((h) => [h])]);
  const last = RNNStepper.predict(linearRnn({ go_backwards: true, return_sequences: false }), [[[1], [2], [-1]]]);
  close(last, [[linearSteps([-1, 2, 1])[2]]]);
});

test("return_state: [output, h] as model.predict returns them", () => {
  const got = RNNStepper.predict(linearRnn({ return_state: true }), [[[1], [2]]]);
  close(got, [[[[3], [6.5]]], [[6.5]]]);
  const back = RNNStepper.predict(linearRnn({ return_state: true, go_backwards: true }), [[[1], [2]]]);
  const h = linearSteps([2, 1]);
  close(back, [[[[h[0]], [h[1]]]], [[h[1]]]]);
});

test("SimpleRNN without bias, and tanh", () => {
  const model = linearRnn({ use_bias: false, activation: "tanh" });
  const h0 = Math.tanh(2 * 0.5);
  close(RNNStepper.predict(model, [[[0.5], [0]]]), [[[h0], [Math.tanh(0.5 * h0)]]]);
});

// An LSTM of one unit: kernel columns i, f, c, o (Keras's order).
function lstm(config = {}) {
  return {
    name: "lstm",
    layers: [{
      class_name: "LSTM",
      config: { activation: "tanh", recurrent_activation: "sigmoid", return_sequences: true, ...config },
      weights: {
        kernel: [[0.1, 0.2, 0.3, 0.4]],
        recurrent_kernel: [[0.5, -0.6, 0.7, -0.8]],
        bias: [0.01, 1, -0.02, 0.03],
      },
    }],
  };
}
function lstmSteps(xs) {
  let h = 0, c = 0;
  return xs.map((x) => {
    const i = sigmoid(0.1 * x + 0.5 * h + 0.01), f = sigmoid(0.2 * x - 0.6 * h + 1);
    const g = Math.tanh(0.3 * x + 0.7 * h - 0.02), o = sigmoid(0.4 * x - 0.8 * h + 0.03);
    c = f * c + i * g;
    h = o * Math.tanh(c);
    return [h, c];
  });
}

test("LSTM: gates i, f, c, o in Keras's order; cell state and hidden state", () => {
  const xs = [1, -2, 0.5];
  const steps = lstmSteps(xs);
  close(RNNStepper.predict(lstm(), [xs.map((x) => [x])]), [steps.map(([h]) => [h])]);
  const got = RNNStepper.predict(lstm({ return_state: true }), [xs.map((x) => [x])]);
  close(got[1], [[steps[2][0]]], "h");
  close(got[2], [[steps[2][1]]], "c");
});

// A GRU of one unit: kernel columns z, r, h (Keras's order).
function gru(resetAfter) {
  return {
    name: "gru",
    layers: [{
      class_name: "GRU",
      config: { activation: "tanh", recurrent_activation: "sigmoid", return_sequences: true, reset_after: resetAfter },
      weights: {
        kernel: [[0.1, 0.2, 0.3]],
        recurrent_kernel: [[0.4, -0.5, 0.6]],
        bias: resetAfter ? [[0.01, 0.02, 0.03], [0.04, 0.05, 0.06]] : [0.01, 0.02, 0.03],
      },
    }],
  };
}
function gruSteps(xs, resetAfter) {
  let h = 0;
  return xs.map((x) => {
    const [bz, br, bh] = [0.01, 0.02, 0.03], [cz, cr, ch] = resetAfter ? [0.04, 0.05, 0.06] : [0, 0, 0];
    const z = sigmoid(0.1 * x + bz + 0.4 * h + cz), r = sigmoid(0.2 * x + br - 0.5 * h + cr);
    const cand = resetAfter ? Math.tanh(0.3 * x + bh + r * (0.6 * h + ch)) : Math.tanh(0.3 * x + bh + 0.6 * (r * h));
    return (h = z * h + (1 - z) * cand);
  });
}

for (const resetAfter of [true, false]) {
  test(`GRU reset_after=${resetAfter}: z keeps the old state, r where Keras puts it`, () => {
    const xs = [1, -2, 0.5, 3];
    close(RNNStepper.predict(gru(resetAfter), [xs.map((x) => [x])]), [gruSteps(xs, resetAfter).map((h) => [h])]);
  });
}

test("Dense and TimeDistributed(Dense): x W + b, then the activation, at every step", () => {
  const dense = { class_name: "Dense", config: { activation: "relu" }, weights: { kernel: [[1, -1], [2, 0]], bias: [0.5, 0] } };
  const model = { name: "d", layers: [{ class_name: "TimeDistributed", config: { layer: { class_name: "Dense", config: dense.config } }, weights: dense.weights }] };
  close(RNNStepper.predict(model, [[[1, 1], [-3, 0]]]), [[[3.5, 0], [0, 3]]]);
  const last = { name: "l", layers: [{ ...linearRnn().layers[1], config: { activation: "linear" } }, { class_name: "Dense", config: { activation: "softmax" }, weights: { kernel: [[1, -1]], bias: [0.5, 0] } }] };
  const h = linearSteps([1, 2])[1];
  const [a, b] = [h * 1 + 0.5, h * -1];
  const e = [Math.exp(a), Math.exp(b)];
  close(RNNStepper.predict(last, [[[1], [2]]]), [[e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1])]]);
});

test("the input is rounded to float32, as model.predict reads it", () => {
  const got = RNNStepper.predict(linearRnn(), [[[0.1]]]);
  close(got, [[[2 * Math.fround(0.1) + 1]]]);
  assert.notEqual(got[0][0][0], 2 * 0.1 + 1);
});

// --- the input's checks -----------------------------------------------------------------------

const FLOAT32_MAX = 3.4028234663852886e38;

for (const [value, words] of [
  [NaN, /NaN.*not a finite number/],
  [Infinity, /Infinity.*not a finite number/],
  [-Infinity, /-Infinity.*not a finite number/],
  [1e39, /beyond float32/],
  [-3.5e38, /beyond float32/],
]) {
  test(`the input ${value} is refused with its position`, () => {
    const input = [[[0], [0]], [[0], [value]]];
    assert.throws(() => RNNStepper.predict(linearRnn(), input), (error) => {
      assert.match(error.message, /input\[1\]\[1\]\[0\]/, "the message names the position");
      assert.match(error.message, words);
      return true;
    });
  });
}

test("the largest float32 numbers are accepted", () => {
  const model = linearRnn();
  model.layers[1].weights = { kernel: [[1e-38]], recurrent_kernel: [[0]], bias: [0] };
  close(RNNStepper.predict(model, [[[FLOAT32_MAX], [-FLOAT32_MAX]]]), [[[FLOAT32_MAX * 1e-38], [-FLOAT32_MAX * 1e-38]]]);
});

for (const [input, words] of [
  [[], /shape \(k, l, m\)/],
  [[[]], /l >= 1/],
  [[[[1]], [[1], [2]]], /sequence 1 differs/],
  [[[[1, 2]]], /m = 1 .*input\[0\]\[0\]/],
  [[[["1"]]], /input\[0\]\[0\]\[0\] is not a number/],
]) {
  test(`a malformed input is refused: ${JSON.stringify(input)}`, () => {
    assert.throws(() => RNNStepper.predict(linearRnn(), input), words);
  });
}

// --- refusals ------------------------------------------------------------------------------------
// Masking, Bidirectional and initial states (Part F) are checked on the chapters' models by
// stepper_data.test.mjs, which accepts either state of the engine: computed within 1e-5 of
// Keras, or refused with a message that names the feature.

const layer = (class_name, config = {}) => ({ class_name, config, weights: {} });

for (const [what, model, words] of [
  ["TimeDistributed(LSTM)", { name: "t", layers: [layer("TimeDistributed", { layer: { class_name: "LSTM" } })] }, /TimeDistributed\(LSTM\) is not supported/],
  ["an unknown activation", linearRnn({ activation: "gelu" }), /activation 'gelu' is not supported/],
  ["return_state before the last layer", { name: "r", layers: [linearRnn({ return_state: true }).layers[1], linearRnn().layers[1]] }, /return_state is supported on the last layer only/],
  ["no layer", { name: "empty", layers: [layer("InputLayer")] }, /has no layer/],
  ["a recurrent layer after a last-step layer", { name: "s", layers: [linearRnn({ return_sequences: false }).layers[1], linearRnn().layers[1]] }, /needs a sequence/],
  ["weights that are not gate blocks", { name: "w", layers: [{ ...lstm().layers[0], weights: { ...lstm().layers[0].weights, kernel: [[1, 2, 3]] } }] }, /not 4 blocks of 1 units/],
  ["a GRU bias of one row with reset_after", { name: "g", layers: [{ ...gru(true).layers[0], weights: { ...gru(true).layers[0].weights, bias: [0, 0, 0] } }] }, /bias must have two rows/],
  ["a missing weight", { name: "k", layers: [{ ...linearRnn().layers[1], weights: {} }] }, /weight 'kernel' is missing/],
]) {
  test(`refused: ${what}`, () => {
    assert.throws(() => RNNStepper.predict(model, [[[1]]]), words);
  });
}

// --- rnnCompute ----------------------------------------------------------------------------------

test("rnnCompute: a chapter's model by name, from window.RNN_DATA", async () => {
  const engine = loadEngine({ demo: { models: [linearRnn()] } });
  close(await engine.rnnCompute("demo", "linear_rnn", [[[1], [2]]]), [[[3], [6.5]]]);
  await assert.rejects(engine.rnnCompute("demo", "nope", [[[1]]]), /data\/demo.json has no model 'nope' \(it has: linear_rnn\)/);
  await assert.rejects(engine.rnnCompute("../x", "linear_rnn", [[[1]]]), /not a chapter slug/);
  await assert.rejects(engine.rnnCompute("demo", "linear_rnn", [[[NaN]]]), /input\[0\]\[0\]\[0\] is NaN/);
});

test("rnnCompute is the one the panel's module exposes", () => {
  assert.equal(typeof rnnCompute, "function");
  assert.equal(typeof RNNStepper.runSequence, "function");
});

// --- activations, as Keras 3 defines them (keras/src/activations/activations.py) -----------------

const SELU_SCALE = 1.0507009873554805, SELU_ALPHA = 1.6732632423543772;
const KERAS = {
  linear: (z) => z,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  tanh: (z) => Math.tanh(z),
  relu: (z) => Math.max(z, 0),
  relu6: (z) => Math.min(Math.max(z, 0), 6),
  hard_sigmoid: (z) => Math.min(Math.max(z + 3, 0), 6) / 6,
  softsign: (z) => z / (1 + Math.abs(z)),
  softplus: (z) => Math.log(1 + Math.exp(z)),
  elu: (z) => (z > 0 ? z : Math.exp(z) - 1),
  selu: (z) => SELU_SCALE * (z > 0 ? z : SELU_ALPHA * (Math.exp(z) - 1)),
  exponential: (z) => Math.exp(z),
  silu: (z) => z / (1 + Math.exp(-z)),
  swish: (z) => z / (1 + Math.exp(-z)),
};
const Z = [-35, -7, -3.5, -1, -0.25, 0, 0.25, 1, 3.5, 7, 35];

// A Dense layer of one unit that computes act(z) at each time step of the input [[z0], [z1], ...].
function activationModel(activation) {
  const config = { activation, use_bias: false };
  return { name: "a", layers: [{ class_name: "TimeDistributed", config: { layer: { class_name: "Dense", config } }, weights: { kernel: [[1]] } }] };
}

for (const [name, f] of Object.entries(KERAS)) {
  test(`activation ${name}, as Keras 3 defines it`, () => {
    const got = RNNStepper.predict(activationModel(name), [Z.map((z) => [z])])[0].map(([v]) => v);
    Z.forEach((z, k) => {
      const want = f(Math.fround(z));
      assert.ok(Math.abs(got[k] - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${name}(${z}) = ${got[k]}, expected ${want}`);
    });
  });
}

test("softplus does not overflow for large inputs", () => {
  const got = RNNStepper.predict(activationModel("softplus"), [[[800], [-800]]])[0];
  close(got, [[800], [0]]);
});

test("an activation given as a serialized object is read by its name", () => {
  const model = activationModel({ module: "keras.activations", class_name: "function", config: { name: "relu6" } });
  close(RNNStepper.predict(model, [[[9], [-1], [2]]]), [[[6], [0], [2]]]);
});

test("softmax: a probability vector, even for large logits", () => {
  const model = { name: "s", layers: [{ class_name: "Dense", config: { activation: "softmax" }, weights: { kernel: [[1, 2, 0]], bias: [0, 0, 0] } }] };
  const [p] = RNNStepper.predict({ ...model, layers: [linearRnn({ return_sequences: false }).layers[1], model.layers[0]] }, [[[400]]]);
  const h = 2 * Math.fround(400) + 1;  // 801: exp(2h) overflows without the shift by the maximum
  const e = [Math.exp(h - 2 * h), 1, Math.exp(-2 * h)];
  const sum = e[0] + e[1] + e[2];
  close(p, e.map((v) => v / sum));
});

// --- the trace the panel shows ---------------------------------------------------------------------

test("runSequence's trace: every recurrent layer, every step, t in reading order", () => {
  const model = { name: "tr", layers: [linearRnn({ go_backwards: true }).layers[1], lstm().layers[0]] };
  model.layers[1] = { ...lstm().layers[0] };
  const prep = RNNStepper.prepare(model);
  const seq = [[1], [2], [-1]].map((r) => Float64Array.from(r));
  const run = RNNStepper.runSequence(prep, seq, true);
  assert.equal(run.trace.length, 2);
  assert.deepEqual(Array.from(run.trace, (l) => l.index), [0, 1]);
  assert.deepEqual(Array.from(run.trace[0].steps, (s) => s.t), [2, 1, 0], "go_backwards reads t = 2, 1, 0");
  const h = linearSteps([-1, 2, 1]);
  close(run.trace[0].steps.map((s) => Array.from(s.h)), h.map((v) => [v]));
  const second = lstmSteps(h);
  const keys = Array.from(run.trace[1].steps, (s) => Object.keys(s).sort().join(","));
  assert.deepEqual(keys, Array(3).fill("c,cand,f,h,i,o,t"));
  close(run.trace[1].steps.map((s) => [s.h[0], s.c[0]]), second);
  assert.equal(RNNStepper.runSequence(prep, seq, false).trace.length, 0);
  const gruRun = RNNStepper.runSequence(RNNStepper.prepare(gru(true)), seq, true);
  assert.deepEqual(Object.keys(gruRun.trace[0].steps[0]).sort(), ["cand", "h", "r", "t", "z"]);
  close(gruRun.trace[0].steps.map((s) => s.h[0]), gruSteps([1, 2, -1], true));
});

test("prepare: each layer's kind, sizes and quantities, cached per model", () => {
  const model = { name: "p", layers: [lstm().layers[0]] };
  const prep = RNNStepper.prepare(model);
  assert.equal(RNNStepper.prepare(model), prep, "prepared once per model");
  assert.equal(prep.m, 1);
  assert.equal(prep.layers[0].kind, "recurrent");
  assert.equal(prep.layers[0].units, 1);
  assert.deepEqual(Array.from(prep.layers[0].quantities, (q) => q.key), ["i", "f", "cand", "o", "c", "h"]);
  assert.deepEqual(Array.from(prep.layers[0].quantities[0].range), [0, 1]);
  assert.deepEqual(Array.from(prep.layers[0].quantities[2].range), [-1, 1]);
  assert.deepEqual(Array.from(RNNStepper.RANGES.relu6), [0, 6]);
});
