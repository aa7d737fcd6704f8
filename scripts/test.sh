#!/usr/bin/env bash
# npm test: the whole suite — unit, synth, real sshd, real Terraform, and the end-to-end
# scenarios on the Xen lab host in QEMU (booted here, or reused when already up; built from
# Debian packages on first use, about 5 minutes, then cached).
# Then the migration scenarios on the two-host lab (lab:up --hosts 2), booted once the
# one-host lab is down (two QEMUs under TCG share the 2 cores better than three).
#   CDKTF_XEN_SKIP_LAB=1 npm test   everything but the lab tests (they are reported as skipped)
#   CDKTF_XEN_SKIP_LAB2=1 npm test  everything but the two-host migration tests
#   npm run test:unit               the pure core and synthesis only, in seconds
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
if [ "${CI:-}" = "true" ]; then export CDKTF_XEN_REQUIRE_TERRAFORM=1; fi
bash scripts/system-deps.sh
npm run --silent build

started_lab=0
if [ "${CDKTF_XEN_SKIP_LAB:-}" != "1" ]; then
  if ! bash lab/status.sh >/dev/null 2>&1; then
    started_lab=1
  fi
  bash lab/up.sh
  export CDKTF_XEN_LAB=1
fi
started_lab2=0
stop_lab() { if [ "$started_lab" = 1 ]; then bash lab/down.sh || true; started_lab=0; fi; }
stop_labs() {
  stop_lab
  if [ "$started_lab2" = 1 ]; then bash lab/down.sh --hosts 2 || true; fi
}
trap stop_labs EXIT

npx vitest run "$@"

# The two-host files are skipped above (they need CDKTF_XEN_LAB2=1); with file filters given,
# only what was asked for runs.
if [ "${CDKTF_XEN_SKIP_LAB:-}" != "1" ] && [ "${CDKTF_XEN_SKIP_LAB2:-}" != "1" ] && [ $# -eq 0 ]; then
  stop_lab
  if ! bash lab/status.sh --hosts 2 >/dev/null 2>&1; then started_lab2=1; fi
  bash lab/up.sh --hosts 2
  CDKTF_XEN_LAB2=1 npx vitest run test/lab/two-hosts.test.ts test/e2e/migrate.test.ts test/e2e/provider-migrate.test.ts
fi
