#!/usr/bin/env bash
# Records one command's real output from the lab's dom0 as a test fixture:
#   bash lab/capture.sh DIR NAME 'COMMAND'
# writes DIR/NAME.out (stdout), DIR/NAME.err (stderr, only when there is any) and appends
# "NAME<TAB>rc<TAB>seconds<TAB>COMMAND" to DIR/INDEX.tsv, the format of ../shared/fixtures.
# Exits with the command's status, so a sequence can stop on an unexpected failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 3 ] || die "usage: bash lab/capture.sh DIR NAME 'COMMAND'"
dir=$1 name=$2 command=$3
case "$name" in *[!A-Za-z0-9._-]*) die "fixture name '$name' may only hold letters, digits, '.', '_' and '-'" ;; esac
[ -r "$LAB_STATE" ] || die "the lab is not up (no $LAB_STATE)" "start it: npm run lab:up"
mkdir -p "$dir"
[ -s "$dir/INDEX.tsv" ] || printf 'name\trc\tseconds\tcommand\n' >"$dir/INDEX.tsv"

port=$(lab_state_get port) key=$(lab_state_get privateKeyPath) known=$(lab_state_get knownHostsFile)
start=$(date +%s%N)
rc=0
lab_ssh "$port" "$key" "$known" "$command" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
if [ "$rc" = 255 ] && grep -qE '^(ssh|kex_exchange_identification|Connection)' "$dir/$name.err"; then
  # A transport failure, not the command's (LAB-NOTES pitfall 7): once more.
  start=$(date +%s%N)
  rc=0
  lab_ssh "$port" "$key" "$known" "$command" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
fi
seconds=$(( ($(date +%s%N) - start) / 100000000 ))
[ -s "$dir/$name.err" ] || rm -f "$dir/$name.err"
printf '%s\t%s\t%d.%d\t%s\n' "$name" "$rc" $((seconds / 10)) $((seconds % 10)) "$command" >>"$dir/INDEX.tsv"
printf '%-44s rc=%s %d.%ds\n' "$name" "$rc" $((seconds / 10)) $((seconds % 10)) >&2
exit "$rc"
