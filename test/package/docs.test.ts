/**
 * The API reference: `npm run docs` (typedoc over src/index.ts and src/testing.ts) must
 * succeed with every public export documented, no public type left unexported and no broken
 * `{@link}` — typedoc.json turns each of those warnings into an error.
 */
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

describe("API docs", () => {
  it("GIVEN the public entries WHEN typedoc validates them THEN there is no warning", async () => {
    const result = await exec(join(root, "node_modules/.bin/typedoc"), ["--emit", "none"], { cwd: root }).catch(
      (e: { stdout?: string; stderr?: string; code?: number }) => e,
    );
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect("code" in result ? result.code : 0).toBe(0);
  }, 180_000);
});
