#!/usr/bin/env bash
# Take the integration lab down: stop every process up.sh started (by its recorded PID: TERM,
# 5 s, KILL), then whatever is still inside the iotc-* namespaces, delete those namespaces, the
# iotc-* links and /etc/netns/iotc-*. On a lab that is down it does nothing and succeeds.
#
#   test/lab/down.sh            keeps the keys and certificates in /run/iotcert-lab/keys, and the
#                               blackhole route for 198.18.0.0/15 (lib.sh)
#   test/lab/down.sh --purge    removes /run/iotcert-lab entirely, and the route
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$LAB_DIR/teardown.sh"

case ${1:-} in
  "" | --purge) ;;
  *) die "usage: down.sh [--purge]" ;;
esac
[[ $EUID -eq 0 ]] || die "needs root"

lab_lock
was_up=0
[[ -f $STATE/lab.env || -n $(ip netns list 2>/dev/null | awk '$1 ~ /^iotc-/') ]] && was_up=1
teardown
if [[ ${1:-} == --purge ]]; then
  rm -rf "$STATE"
  ip route del blackhole "$LAB_RANGE" 2>/dev/null || true
else
  guard_lab_range
fi
if ((was_up)); then log "down"; else log "already down; nothing to do"; fi
