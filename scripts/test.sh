#!/usr/bin/env bash
# npm test: the whole suite — unit, synth, real sshd, real Terraform, and the end-to-end
# scenarios on the Xen lab host in QEMU (booted here, or reused when already up; built from
# Debian packages on first use, about 5 minutes, then cached).
#   CDKTF_XEN_SKIP_LAB=1 npm test   everything but the lab tests (they are reported as skipped)
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
stop_lab() { if [ "$started_lab" = 1 ]; then bash lab/down.sh || true; fi; }
trap stop_lab EXIT

npx vitest run "$@"
