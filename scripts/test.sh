#!/usr/bin/env bash
# The whole suite: build, then every test layer. Under CI=true a missing terraform fails
# instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
if [ "${CI:-}" = "true" ]; then export CDKTF_XEN_REQUIRE_TERRAFORM=1; fi
npm run build
npx vitest run "$@"
