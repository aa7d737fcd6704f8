/**
 * The path users take and the README's main job: `cdktf deploy` of examples/quickstart onto
 * the lab host (cdktf-cli synthesizes, then runs Terraform), then `cdktf destroy`.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, Dom0, e2eLab, ROOT, start } from "./support.js";

const lab = e2eLab();
const example = join(ROOT, "examples/quickstart");

describe.skipIf(lab === undefined)("the quickstart through cdktf-cli on the lab host", () => {
  const dom0 = lab ? new Dom0(lab) : undefined;
  afterAll(() => dom0?.close());

  it("GIVEN examples/quickstart WHEN `cdktf deploy` runs THEN web-1 runs on the lab host, and `cdktf destroy` removes it", async () => {
    // As the README's first command does: the provider where `terraform init` finds it offline.
    const install = await start("node", [CLI, "provider", "install"], ROOT).done;
    expect(install.code, install.output).toBe(0);
    const deploy = await start("npx", ["cdktf", "deploy", "--auto-approve", "--skip-provider-lock", "quickstart"], example).done;
    expect(deploy.code, deploy.output).toBe(0);
    const d = await dom0!.domain("web-1");
    expect(d, deploy.output).not.toBeNull();
    expect(d!.targetMiB).toBe(128);
    expect((await dom0!.hardAffinity("web-1"))[0]).toBe("0");

    const destroy = await start("npx", ["cdktf", "destroy", "--auto-approve", "--skip-provider-lock", "quickstart"], example).done;
    expect(destroy.code, destroy.output).toBe(0);
    expect(await dom0!.domain("web-1")).toBeNull();
    // The root volume is RETAIN: it outlives the domain, as declared.
    expect((await dom0!.lvs(lab!.volumeGroup))["web-1-root"]).toBe(256);
    await dom0!.run("lvremove", "-y", `${lab!.volumeGroup}/web-1-root`);
  }, 900_000);
});
