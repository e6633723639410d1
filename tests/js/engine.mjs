// Loads docs/javascripts/stepper-compute.js (a classic browser script) into a fresh Node vm
// context with the few browser globals it touches, for the node tests (node --test tests/js).
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ENGINE = join(REPO, "docs", "javascripts", "stepper-compute.js");

// A new engine each time: { RNNStepper, rnnCompute, window }. `data` ({ slug: data file }) is
// preloaded as window.RNN_DATA, as data/<slug>.js does on a page.
export function loadEngine(data = {}) {
  const window = { RNN_DATA: { ...data } };
  const document = { currentScript: null, querySelector: () => null };
  // process.env is not a browser global: it is there for Stryker (`make mutate`), whose
  // instrumented copy of the engine reads the active mutant from it.
  const context = vm.createContext({
    window, document, location: { href: "http://test/" }, URL, process: { env: process.env },
  });
  vm.runInContext(readFileSync(ENGINE, "utf8"), context, { filename: ENGINE });
  return { RNNStepper: window.RNNStepper, rnnCompute: window.rnnCompute, window };
}

// The folder of the data files of a build: $RNN_DATA_DIR, or site/data after `make build`.
export function dataDir() {
  return process.env.RNN_DATA_DIR || join(REPO, "site", "data");
}

// Every data file of a build, { slug: data }; throws when there is none (a test that reads no
// data file would pass without checking anything).
export function dataFiles() {
  const dir = dataDir();
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".json")) : [];
  if (!names.length) {
    throw new Error(`no data file in ${dir}: build the site first (make build), or set RNN_DATA_DIR`);
  }
  return Object.fromEntries(
    names.sort().map((n) => [n.slice(0, -5), JSON.parse(readFileSync(join(dir, n), "utf8"))]),
  );
}

// Largest absolute difference between two nested arrays; throws when their shapes differ.
export function maxDiff(got, expected, where = "output") {
  if (Array.isArray(expected)) {
    if (!Array.isArray(got) || got.length !== expected.length) {
      throw new Error(`${where}: length ${Array.isArray(got) ? got.length : typeof got}, expected ${expected.length}`);
    }
    return expected.reduce((m, e, i) => Math.max(m, maxDiff(got[i], e, `${where}[${i}]`)), 0);
  }
  if (typeof got !== "number" || Number.isNaN(got)) throw new Error(`${where}: ${got}, expected ${expected}`);
  return Math.abs(got - expected);
}
