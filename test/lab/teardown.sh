# The lab's teardown, sourced by down.sh and by up.sh (which starts from nothing when it finds a
# half-up lab, and cleans up after itself when it fails). Needs lib.sh sourced first and the lock
# held. Safe on a lab that is already down.

# stop_pids "PID START"...: TERM each, wait up to 5 s, then KILL what is left. A PID
# whose start time changed is no longer our process and is left alone.
stop_pids() {
  local entry pid start i left
  for entry in "$@"; do
    read -r pid start <<<"$entry"
    [[ $(proc_start "$pid" 2>/dev/null) == "$start" ]] && kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = 0; i < 50; i++)); do
    left=0
    for entry in "$@"; do
      read -r pid start <<<"$entry"
      [[ $(proc_start "$pid" 2>/dev/null) == "$start" ]] && left=1 && break
    done
    ((left)) || return 0
    sleep 0.1
  done
  for entry in "$@"; do
    read -r pid start <<<"$entry"
    if [[ $(proc_start "$pid" 2>/dev/null) == "$start" ]]; then
      log "pid $pid ignored SIGTERM for 5 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# snapshot PID...: "PID START" for each PID still running
snapshot() {
  local pid start
  for pid in "$@"; do
    start=$(proc_start "$pid") && printf '%s %s\n' "$pid" "$start"
  done
}

teardown() { # [keep-logs]
  local pidfile entries=() ns link

  # 1. Every daemon up.sh started, by its recorded PID (and start time)
  for pidfile in "$STATE"/pids/*.pid "$STATE"/pids/*.pid.new; do
    [[ -s $pidfile ]] || continue
    local pid start
    read -r pid start <"$pidfile" || continue
    [[ $pid =~ ^[0-9]+$ ]] || continue
    # A .pid.new holds only the PID (up.sh died before adding the start time): take it as of now
    [[ -n ${start:-} ]] || start=$(proc_start "$pid") || continue
    entries+=("$pid $start")
  done
  ((${#entries[@]} == 0)) || stop_pids "${entries[@]}"

  # 2. What those daemons left running inside our namespaces (an open telnet or SSH session, a
  #    vsftpd session process), found by namespace and stopped by PID; then the namespaces
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^iotc-/ { print $1 }'); do
    mapfile -t entries < <(snapshot $(ip netns pids "$ns" 2>/dev/null))
    ((${#entries[@]} == 0)) || stop_pids "${entries[@]}"
    ip netns del "$ns"
  done

  # 3. Our links in the root namespace: the bridge, veth ends, TUNs left by a killed forwarder
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep '^iotc-' || true); do
    ip link del "$link" 2>/dev/null || true
  done

  # 4. Each device's /etc overlay link, and /etc/netns if we leave it empty
  rm -f /etc/netns/iotc-*
  rmdir /etc/netns 2>/dev/null || true

  # 5. The state, but for the keys (generated once per lab) and, after a failed up, the logs
  rm -rf "$STATE"/{pids,dev,bin,empty,lab.env,pids.list,wifi-forwarder.ready,wifi-forwarder.stats}
  [[ ${1:-} == keep-logs ]] || rm -rf "$STATE/logs"
}
