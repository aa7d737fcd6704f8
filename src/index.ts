export * from "./model/spec.js";
export * from "./model/canonical.js";
export * from "./model/hash.js";
