// Every model of every data file of a build, through the engine of the step-through panel
// (docs/javascripts/stepper-compute.js): a model the engine computes must reproduce Keras's
// model.predict output stored in the data file within 1e-5; a model it refuses must be one with
// a feature the engine does not compute, and the message must name that feature. Driven by the
// data files alone, so a model or a feature added to a chapter (or newly supported by the
// engine) is checked without a change here. Run: node --test tests/js (after `make build`, or
// with RNN_DATA_DIR=<a built site>/data); tests/test_engine.py runs it on the session's build.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dataFiles, loadEngine, maxDiff } from "./engine.mjs";

const TOLERANCE = 1e-5;
const COMPUTED = new Set(["InputLayer", "Dense", "TimeDistributed", "SimpleRNN", "LSTM", "GRU"]);

// What in a model entry the engine may refuse, each with the words its message must contain.
function refusable(model) {
  const reasons = [];
  if (model.initial_state !== undefined) reasons.push(/initial state/i);
  const layers = model.layers.filter((l) => l.class_name !== "InputLayer");
  layers.forEach((layer, index) => {
    if (!COMPUTED.has(layer.class_name)) reasons.push(new RegExp(`\\b${layer.class_name}\\b`));
    const inner = layer.class_name === "TimeDistributed" && layer.config.layer;
    if (inner && inner.class_name !== "Dense") reasons.push(new RegExp(`\\b${inner.class_name}\\b`));
    if (layer.config.return_state && index !== layers.length - 1) reasons.push(/return_state/);
  });
  return reasons;
}

const files = dataFiles();
const engine = loadEngine(files);
let computed = 0;

for (const [slug, data] of Object.entries(files)) {
  for (const model of data.models) {
    test(`${slug}/${model.name}`, () => {
      const reasons = refusable(model);
      let got;
      try {
        got = engine.RNNStepper.predict(model, model.input);
      } catch (error) {
        assert.ok(reasons.length, `refused a model made of features it computes: ${error.message}`);
        assert.ok(
          reasons.some((r) => r.test(error.message)),
          `the refusal does not name the reason (${reasons.join(" or ")}): ${error.message}`,
        );
        return;
      }
      computed += 1;
      const diff = maxDiff(got, model.output);
      assert.ok(diff <= TOLERANCE, `${diff.toExponential(2)} from model.predict (tolerance 1e-5)`);
    });
  }
}

test("the data files hold models the engine computes", () => {
  assert.ok(computed > 0, "no model was computed: the data-driven tests checked nothing");
});
