# Shared by up.sh and down.sh (sourced, not run): names, addresses and the process bookkeeping.
# Everything the lab creates is named iotc-* and lives in 198.18.0.0/15 (RFC 2544 benchmarking
# space, never routed on the Internet); its state lives in /run/iotcert-lab.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=/run/iotcert-lab
# The lock lives beside the state, not in it, so that `down.sh --purge` may delete the state
LOCK_FILE=/run/iotcert-lab.lock

# While the lab is down, nothing sent to its range may leave by the machine's default route: a
# blackhole route for the whole range stays in place. The lab's own /24s are more specific and
# win while it is up; only `down.sh --purge` removes it.
LAB_RANGE=198.18.0.0/15
guard_lab_range() { ip route replace blackhole "$LAB_RANGE"; }

BRIDGE=iotc-br0
HARNESS_ADDR=198.18.0.1       # the root namespace's address on the bridge: the harness side
LAN_PREFIX=24

# device: namespace, address. nodered and nrauth are two Node-RED gateways (.30, .31): its
# default settings, and adminAuth set.
declare -A NS=([vuln]=iotc-vuln [vuln2]=iotc-vuln2 [hard]=iotc-hard [wifi]=iotc-wifi
  [nodered]=iotc-nodered [nrauth]=iotc-nrauth)
declare -A ADDR=([vuln]=198.18.0.10 [vuln2]=198.18.0.11 [hard]=198.18.0.20 [wifi]=198.18.1.10
  [nodered]=198.18.0.30 [nrauth]=198.18.0.31)
# the host name each device's daemons see (login prompts, banners): the product, not the lab machine
declare -A HOST=([vuln]=smartplug [vuln2]=smartplug [hard]=thermostat [wifi]=smartplug
  [nodered]=gateway [nrauth]=hub)

# The Wi-Fi device sits on its own /24 behind the slow, lossy link
WIFI_HARNESS_ADDR=198.18.1.1
WIFI_TUN_HARNESS=iotc-wt-h     # stays in the root namespace
WIFI_TUN_DEVICE=iotc-wt-d      # moved into iotc-wifi
WIFI_DELAY_MS=20
WIFI_JITTER_MS=5
WIFI_LOSS_PCT=2
WIFI_SEED=${IOTC_LAB_SEED:-1}

log() { printf 'iotcert lab: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

lab_lock() {
  # up.sh and down.sh may be called by several test workers at once; one at a time
  exec {LAB_LOCK_FD}>"$LOCK_FILE"
  flock -w 300 "$LAB_LOCK_FD" || die "another up.sh/down.sh has held $LOCK_FILE for 5 minutes"
}

# The kernel's start time of a running process (field 22 of /proc/PID/stat, in clock ticks since
# boot). Recorded beside each PID so that a PID the kernel has since given to another process is
# never mistaken for ours. Fails for a process that is gone, or dead and not yet reaped (state Z
# or X): our daemons' parent is PID 1 once up.sh exits, and a container's PID 1 may reap late.
proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }            # the command name may hold spaces and parentheses; skip past it
  # shellcheck disable=SC2086
  set -- $stat
  [[ $1 != [ZX] ]] || return 1
  printf '%s\n' "${20}"
}

# True when the PID file names a live process that is still the one we started.
pidfile_alive() {
  local pid start now
  read -r pid start <"$1" 2>/dev/null || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  now=$(proc_start "$pid") || return 1
  [[ $now == "$start" ]]
}
