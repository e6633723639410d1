// Every node test of the engine in one process (node tests/js/all.mjs): what Stryker runs for
// each mutant (`make mutate`), where starting a process per test file would cost more than
// the tests. `node --test tests/js/` runs the same files, one process each.
import "./stepper_compute.test.mjs";
import "./stepper_data.test.mjs";
