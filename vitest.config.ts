import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests talk to a real sshd, real Terraform and a QEMU-booted Xen host:
    // minutes are normal there, so per-test timeouts are set where those tests live.
    testTimeout: 30_000,
    hookTimeout: 600_000,
    // The lab host and sshd are shared resources; files run one at a time.
    fileParallelism: false,
  },
});
