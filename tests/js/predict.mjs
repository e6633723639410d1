// The engine's predictions for tests/test_engine.py: reads [{ slug, name, input }, ...] as JSON
// on stdin (the models from the data files in $RNN_DATA_DIR), writes one { output } or
// { error } per request as JSON on stdout.
import { readFileSync } from "node:fs";
import { dataFiles, loadEngine } from "./engine.mjs";

const files = dataFiles();
const { RNNStepper } = loadEngine(files);
const requests = JSON.parse(readFileSync(0, "utf8"));
const answers = requests.map(({ slug, name, input }) => {
  try {
    return { output: RNNStepper.predict(RNNStepper.findModel(files[slug], slug, name), input) };
  } catch (error) {
    return { error: error.message };
  }
});
process.stdout.write(JSON.stringify(answers));
