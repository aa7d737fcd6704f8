import { App } from "../../src/index.js";
import { labStatePath, readLabHost } from "./lab.js";
import { QuickstartStack } from "./stack.js";

const app = new App();
new QuickstartStack(app, "quickstart", readLabHost(labStatePath()));
app.synth();
