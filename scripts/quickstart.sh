#!/usr/bin/env bash
# npm run quickstart: the main job end to end on this machine. Boots (or reuses) the built-in
# Xen lab host in QEMU, deploys examples/quickstart onto it through cdktf and Terraform, and
# shows the running domain with `xl list`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
bash scripts/system-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
bash lab/up.sh
# The examples use the native provider: put it where `terraform init` finds it offline.
node bin/cdktf-xen.js provider install
# With the provisioner resources ("cdktf-xen:lifecycleResource" context), they run this
# checkout's CLI (users get it on PATH from node_modules/.bin).
export CDKTF_XEN_CLI="node $root/bin/cdktf-xen.js"
cd examples/quickstart
# --skip-provider-lock: cdktf's extra `terraform providers lock` asks the public registry for the
# provider's checksums, which an offline, locally installed provider cannot answer; `terraform
# init` still writes the lock file from the local install.
npx cdktf deploy --auto-approve --skip-provider-lock quickstart
echo
echo "cdktf-xen: the quickstart is deployed. On the lab host now:"
bash "$root/lab/ssh.sh" xl list
echo "See the plan of the live host at any time: node bin/cdktf-xen.js plan examples/quickstart/cdktf.out/stacks/quickstart"
