/**
 * The repository root's cdktf app (`../../cdktf.json`): every example's stack in one app, built
 * by the examples' own stack classes, so `npx cdktf synth` at the root writes
 * cdktf.out/stacks/quickstart and cdktf.out/stacks/fleet. `cdktf` runs it at the root.
 */
import { resolve } from "node:path";
import { App } from "../../src/index.js";
import { FleetStack } from "../fleet/stack.js";
import { labStatePath, readLabHost } from "../quickstart/lab.js";
import { QuickstartStack } from "../quickstart/stack.js";

const app = new App();
// The lab state is looked up as the quickstart's own app does from its folder: the lab host when
// it is up, else the placeholder host (a fresh clone synthesizes without a lab).
new QuickstartStack(app, "quickstart", readLabHost(labStatePath(process.env, resolve("examples", "quickstart"))));
new FleetStack(app, "fleet");
app.synth();
