import { App } from "../../src/index.js";
import { FleetStack } from "./stack.js";

const app = new App();
new FleetStack(app, "fleet");
app.synth();
