#!/usr/bin/env bash
# Bring the integration lab up: network namespaces that each stand for one IoT device, running
# real Debian daemons, joined to the root namespace (the harness side) by a bridge, plus one
# device behind a slow, lossy link that stands for Wi-Fi. See README "The lab" and lab.ts.
#
# Idempotent: on a lab that is fully up it changes nothing; on a half-up or stale lab it tears
# everything down (down.sh's teardown) and builds it again. Needs root.
#
#   test/lab/up.sh                       IOTC_LAB_WIFI=auto|forwarder|netem (default auto)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$LAB_DIR/teardown.sh"

[[ $EUID -eq 0 ]] || die "needs root (network namespaces, ports below 1024)"

# --- what the lab runs, found once -------------------------------------------------------------

need() { command -v "$1" >/dev/null 2>&1 || MISSING+=("$1"); }
MISSING=()
for cmd in ip ss flock setsid unshare openssl dropbear dropbearkey lighttpd vsftpd mosquitto \
  mosquitto_passwd snmpd; do need "$cmd"; done
# Node-RED (node_modules/node-red, a dev dependency) runs under the system's Node, as nobody
for cmd in node setpriv; do need "$cmd"; done
NODE_RED=$(cd "$LAB_DIR/../.." && pwd)/node_modules/node-red
[[ -f $NODE_RED/red.js ]] || MISSING+=("node_modules/node-red (npm ci)")

# Debian's busybox package lacks telnetd; busybox-static has it
BUSYBOX=""
for b in /bin/busybox /usr/bin/busybox /bin/busybox-static; do
  if [[ -x $b ]] && "$b" --list 2>/dev/null | grep -qx telnetd; then BUSYBOX=$b; break; fi
done
[[ -n $BUSYBOX ]] || MISSING+=("busybox with telnetd (busybox-static)")

COAP_SERVER=""
for c in coap-server-notls coap-server-openssl coap-server-gnutls coap-server; do
  if command -v "$c" >/dev/null; then COAP_SERVER=$(command -v "$c"); break; fi
done
[[ -n $COAP_SERVER ]] || MISSING+=("coap-server (libcoap3-bin)")

# The forwarder wants the system's Python: stdlib only, nothing from a user's virtualenv
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=$(command -v python3 || true)
[[ -n $PYTHON ]] || MISSING+=(python3)
[[ -c /dev/net/tun ]] || MISSING+=(/dev/net/tun)
[[ -e /usr/lib/lighttpd/mod_openssl.so ]] || MISSING+=("lighttpd mod_openssl (lighttpd-mod-openssl)")
((${#MISSING[@]} == 0)) || die "missing: ${MISSING[*]} (see .ci/run for the Debian packages)"

# --- already up? --------------------------------------------------------------------------------

lab_lock

lab_is_up() {
  [[ -f $STATE/lab.env ]] || return 1
  local ns pidfile
  for ns in "${NS[@]}"; do [[ -e /run/netns/$ns ]] || return 1; done
  for pidfile in "$STATE"/pids/*.pid; do pidfile_alive "$pidfile" || return 1; done
}

if lab_is_up; then
  log "already up ($(grep -c . "$STATE/pids.list") processes); nothing to do"
  exit 0
fi
# Half up (a daemon died, a namespace went missing, an earlier up failed): start from nothing
if [[ -f $STATE/lab.env || -n $(ip netns list | awk '$1 ~ /^iotc-/') ]]; then
  log "found the lab half up (a process or namespace is missing); rebuilding it"
fi
teardown

# Whatever fails from here, leave no half-built lab behind (logs stay for the post-mortem)
trap 'status=$?; if ((status != 0)); then log "up failed; tearing down (logs in $STATE/logs)"; teardown keep-logs; fi' EXIT

rm -rf "$STATE/logs"
mkdir -p "$STATE"/{pids,logs,bin,keys,empty}
chmod 755 "$STATE" "$STATE/bin" "$STATE/empty"
chmod 700 "$STATE/keys"
: >"$STATE/pids.list"

# --- process bookkeeping ------------------------------------------------------------------------

# start NAME NS HOSTNAME CMD...: run CMD in the foreground of its own session inside namespace NS
# (the root namespace when NS is "-"), with HOSTNAME in a UTS namespace of its own so logins and
# banners name the device, not the lab machine. Its PID and start time go to pids/NAME.pid. Every
# link of the chain (bash, ip netns exec, unshare, sh) execs the next, so the PID written is
# the daemon's own.
start() {
  local name=$1 ns=$2 host=$3
  shift 3
  local pidfile=$STATE/pids/$name.pid log=$STATE/logs/$name.log
  local -a prefix=()
  [[ $ns == - ]] || prefix=(ip netns exec "$ns")
  rm -f "$pidfile"
  # stdin, stdout and stderr all leave the caller's pipes: a daemon holding them would keep
  # a Node execFile waiting forever. Nor may it inherit the lock, or the lab stays locked.
  setsid bash -c 'echo "$$" >"$0" && exec "$@"' "$pidfile.new" \
    "${prefix[@]}" unshare --uts -- "$BUSYBOX" sh -c '"$0" hostname "$1" && shift 2 && exec "$@"' \
    "$BUSYBOX" "$host" -- "$@" </dev/null >>"$log" 2>&1 {LAB_LOCK_FD}>&- &
  local pid="" i
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidfile.new ]] && read -r pid <"$pidfile.new" && [[ -n $pid ]] && break
    sleep 0.02
  done
  [[ -n $pid ]] || die "$name: did not start (see $log)"
  local started
  started=$(proc_start "$pid") || { tail -n 20 "$log" >&2; die "$name: exited at once (see $log)"; }
  echo "$pid $started" >"$pidfile"
  rm -f "$pidfile.new"
  echo "$name $pid" >>"$STATE/pids.list"
}

# ready NAME NS tcp|udp ADDRESS PORT [TRIES]: wait until the daemon listens (TRIES x 50 ms,
# 10 s by default), or fail with its log
ready() {
  local name=$1 ns=$2 proto=$3 addr=$4 port=$5 tries=${6:-200} i flag=-Hltn
  [[ $proto == udp ]] && flag=-Hlun
  for ((i = 0; i < tries; i++)); do
    if ss -N "$ns" $flag 2>/dev/null | awk '{print $4}' | grep -qx "$addr:$port"; then return 0; fi
    pidfile_alive "$STATE/pids/$name.pid" || break
    sleep 0.05
  done
  tail -n 20 "$STATE/logs/$name.log" >&2 || true
  die "$name: not listening on $addr:$port/$proto"
}

# --- keys and certificates: generated once, kept across down/up (down.sh --purge removes them) ---

# ssh_keys DIR: dropbear host keys (Ed25519 and RSA)
ssh_keys() {
  mkdir -p "$1"
  [[ -s $1/ssh_host_ed25519 ]] || dropbearkey -t ed25519 -f "$1/ssh_host_ed25519" >/dev/null 2>&1
  [[ -s $1/ssh_host_rsa ]] || dropbearkey -t rsa -s 2048 -f "$1/ssh_host_rsa" >/dev/null 2>&1
}

# tls_cert DIR ORG CN DAYS KEYSPEC...: a self-signed certificate, as the unit makes on first boot
tls_cert() {
  local dir=$1 org=$2 cn=$3 days=$4
  shift 4
  mkdir -p "$dir"
  [[ -s $dir/tls.crt && -s $dir/tls.key ]] && return 0
  openssl req -x509 -new -nodes -sha256 "$@" -days "$days" -subj "/O=$org/CN=$cn" \
    -addext "subjectAltName=DNS:$cn" -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1
}

# One key set per model: vuln and vuln2 are two units of the same plug and, as on many real
# products, ship the same SSH host key and TLS key. The Wi-Fi plug and the thermostat have their own.
ssh_keys "$STATE/keys/smartplug-p1"
tls_cert "$STATE/keys/smartplug-p1" Acme smartplug.local 7300 -newkey rsa:2048
ssh_keys "$STATE/keys/smartplug-p1w"
tls_cert "$STATE/keys/smartplug-p1w" Acme smartplug-w.local 7300 -newkey rsa:2048
ssh_keys "$STATE/keys/thermostat-t2"
tls_cert "$STATE/keys/thermostat-t2" Nordlys thermostat.local 365 -newkey ec -pkeyopt ec_paramgen_curve:P-256
chmod -R go-rwx "$STATE/keys"

install -m 755 "$LAB_DIR/devsh" "$STATE/bin/devsh"
# busybox telnetd runs its login program with no arguments; named "login", busybox is login
ln -sf "$BUSYBOX" "$STATE/bin/login"

# The thermostat's per-unit password is the one its descriptor declares (it is "printed on the
# label"): one source of truth, read from the declared credential line.
HARD_PASSWORD=$(sed -n 's/.*username: admin, password: "\([^"]*\)".*unique: true.*/\1/p' \
  "$LAB_DIR/devices/hard.yaml" | head -n 1)
[[ ${#HARD_PASSWORD} -ge 16 ]] || die "no per-unit password found in devices/hard.yaml"

# --- the network --------------------------------------------------------------------------------

# Our own interfaces only: no IPv6 (its router solicitations and MLD are noise on a test link)
# (inside a device's namespace, new_ns turns IPv6 off for every interface)
no_ipv6() { echo 1 >"/proc/sys/net/ipv6/conf/$1/disable_ipv6" 2>/dev/null || true; }

guard_lab_range
ip link add "$BRIDGE" type bridge
no_ipv6 "$BRIDGE"
ip addr add "$HARNESS_ADDR/$LAN_PREFIX" dev "$BRIDGE"
ip link set "$BRIDGE" up

# new_ns DEVICE: the namespace, with loopback up and no IPv6
new_ns() {
  local ns=${NS[$1]}
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
}

# wired DEVICE: a veth from the device's eth0 into the bridge. No default route: a device can
# answer the harness and its bridge neighbours and reach nothing else.
wired() {
  local dev=$1 ns=${NS[$1]} host=iotc-$1-h
  new_ns "$dev"
  ip link add "$host" type veth peer name eth0 netns "$ns"
  no_ipv6 "$host"
  ip link set "$host" master "$BRIDGE" up
  ip -n "$ns" addr add "${ADDR[$dev]}/$LAN_PREFIX" dev eth0
  ip -n "$ns" link set eth0 up
}

for dev in vuln vuln2 hard; do wired "$dev"; done

# The Wi-Fi device: tc netem on a veth if the kernel has it, else the userspace forwarder.
# Either way every packet, each way, waits 20 +/- 5 ms and 2 % are lost (a round trip ~40 ms).
new_ns wifi
WIFI_LINK=${IOTC_LAB_WIFI:-auto}
if [[ $WIFI_LINK == auto ]]; then
  # Probe on the namespace's own loopback: nothing else is touched
  if ip netns exec iotc-wifi tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
    ip netns exec iotc-wifi tc qdisc del dev lo root
    WIFI_LINK=netem
  else
    WIFI_LINK=forwarder
  fi
fi
case $WIFI_LINK in
  netem)
    ip link add iotc-wifi-h type veth peer name eth0 netns iotc-wifi
    no_ipv6 iotc-wifi-h
    ip addr add "$WIFI_HARNESS_ADDR/$LAN_PREFIX" dev iotc-wifi-h
    ip link set iotc-wifi-h up
    ip -n iotc-wifi addr add "${ADDR[wifi]}/$LAN_PREFIX" dev eth0
    ip -n iotc-wifi link set eth0 up
    netem=(netem delay "${WIFI_DELAY_MS}ms" "${WIFI_JITTER_MS}ms" loss "${WIFI_LOSS_PCT}%")
    tc qdisc add dev iotc-wifi-h root "${netem[@]}"
    ip netns exec iotc-wifi tc qdisc add dev eth0 root "${netem[@]}"
    WIFI_IF=eth0
    ;;
  forwarder)
    # The forwarder creates both TUNs (they vanish when it exits); we move one into the namespace
    start wifi-forwarder - "$(uname -n)" "$PYTHON" "$LAB_DIR/wifi-forwarder.py" \
      --harness-tun "$WIFI_TUN_HARNESS" --device-tun "$WIFI_TUN_DEVICE" \
      --delay-ms "$WIFI_DELAY_MS" --jitter-ms "$WIFI_JITTER_MS" \
      --loss "$(awk "BEGIN { print $WIFI_LOSS_PCT / 100 }")" --seed "$WIFI_SEED" \
      --ready-file "$STATE/wifi-forwarder.ready" --stats-file "$STATE/wifi-forwarder.stats"
    for ((i = 0; i < 100; i++)); do [[ -s $STATE/wifi-forwarder.ready ]] && break; sleep 0.05; done
    [[ -s $STATE/wifi-forwarder.ready ]] || { cat "$STATE/logs/wifi-forwarder.log" >&2; die "wifi-forwarder: no TUNs"; }
    no_ipv6 "$WIFI_TUN_HARNESS"
    ip link set "$WIFI_TUN_DEVICE" netns iotc-wifi
    ip addr add "$WIFI_HARNESS_ADDR/$LAN_PREFIX" dev "$WIFI_TUN_HARNESS"
    ip link set "$WIFI_TUN_HARNESS" up
    # The /24 on the TUN gives the device its route back to the harness (198.18.1.1) and to
    # nothing else: no default route, so nothing can leave the lab through the root namespace
    ip -n iotc-wifi addr add "${ADDR[wifi]}/$LAN_PREFIX" dev "$WIFI_TUN_DEVICE"
    ip -n iotc-wifi link set "$WIFI_TUN_DEVICE" up
    WIFI_IF=$WIFI_TUN_DEVICE
    ;;
  *) die "IOTC_LAB_WIFI must be auto, forwarder or netem, not '$WIFI_LINK'" ;;
esac

# --- each device's own /etc ---------------------------------------------------------------------

# `ip netns exec NS` bind-mounts every file in /etc/netns/NS over /etc, in a mount namespace of
# its own: the daemons of a device see its users, not the lab machine's. /etc/netns/NS is a
# symlink into the state, so down.sh removes one link per device from /etc.
mkdir -p /etc/netns

# A system account as the lab machine has it (same uid, so file ownership means the same)
sys_user() { getent passwd "$1" | awk -F: -v OFS=: '{ $7 = "/usr/sbin/nologin"; print }'; }
sys_group() { getent group "$1" | awk -F: -v OFS=: '{ $4 = ""; print }'; }

# device_etc DEVICE "USER:PASSWORD ..."
device_etc() {
  local dev=$1 accounts=$2 etc=$STATE/dev/$1/etc home=$STATE/dev/$1/home
  mkdir -p "$etc" "$home"
  {
    echo "root:x:0:0:root:$home/root:$STATE/bin/devsh"
    for u in daemon nobody ftp www-data mosquitto; do sys_user "$u"; done
  } >"$etc/passwd"
  {
    echo "root:x:0:"
    for g in daemon nogroup ftp www-data mosquitto; do sys_group "$g"; done
  } >"$etc/group"
  {
    echo "root:*:19000:0:99999:7:::"
    for u in daemon nobody ftp www-data mosquitto; do echo "$u:*:19000:0:99999:7:::"; done
  } >"$etc/shadow"
  mkdir -p "$home/root"
  local pair user pass uid=1000
  for pair in $accounts; do
    user=${pair%%:*} pass=${pair#*:}
    if [[ $user == root ]]; then
      sed -i "s|^root:\*:|root:$(openssl passwd -6 "$pass"):|" "$etc/shadow"
    else
      echo "$user:x:$uid:$uid:$user:$home/$user:$STATE/bin/devsh" >>"$etc/passwd"
      echo "$user:x:$uid:" >>"$etc/group"
      echo "$user:$(openssl passwd -6 "$pass"):19000:0:99999:7:::" >>"$etc/shadow"
      # Root-owned: vsftpd refuses to chroot a user into a home the user could write to
      mkdir -p "$home/$user"
      uid=$((uid + 1))
    fi
  done
  chmod 644 "$etc/passwd" "$etc/group"
  chmod 640 "$etc/shadow"
  printf '/bin/sh\n%s\n' "$STATE/bin/devsh" >"$etc/shells"
  # Only files that exist in /etc can be covered; the lab machine's motd is not the device's
  [[ ! -e /etc/motd ]] || : >"$etc/motd"
  ln -sfn "$etc" "/etc/netns/${NS[$dev]}"
}

# mosquitto_files DEVICE KEYDIR USER PASSWORD: mosquitto reads its TLS key and password file
# after dropping root, so it gets its own copies, readable by the mosquitto user only
mosquitto_files() {
  local dir=$STATE/dev/$1/mosquitto
  mkdir -p "$dir"
  install -m 600 "$2/tls.crt" "$2/tls.key" "$dir/"
  : >"$dir/passwd"
  mosquitto_passwd -b "$dir/passwd" "$3" "$4"
  chown -R mosquitto "$dir"
  chmod 700 "$dir"
}

# --- the vulnerable smart plug (vuln, vuln2 and, on Wi-Fi, wifi) --------------------------------

LIGHTTPD_USER=www-data

# web DEVICE KEYDIR TITLE HTTPS-SETTINGS PORTS: lighttpd with a status page, /admin/ behind Basic
# auth and /camera/ behind Digest auth (mod_auth, plain user file), a form login at /login.cgi
# (test/lab/login.cgi, checking the same user file), and HTTPS on 443 with HTTPS-SETTINGS
# (lighttpd config lines). PORTS: "80 443", or "443" for HTTPS only. lighttpd, by default, holds
# the 401 answer to a wrong password for about 1 s.
web() {
  local dev=$1 keys=$2 title=$3 tls=$4 ports=$5 dir=$STATE/dev/$1 addr=${ADDR[$1]}
  local ns=${NS[$1]} conf=$STATE/dev/$1/lighttpd.conf first
  mkdir -p "$dir/www/admin" "$dir/www/camera"
  printf '<html><body><img src="/camera/snapshot.jpg"></body></html>\n' >"$dir/www/camera/index.html"
  { printf 'USERS=%s\n' "$dir/lighttpd.user"; cat "$LAB_DIR/login.cgi"; } >"$dir/www/login.cgi"
  printf '<html><head><title>%s</title></head><body><h1>%s</h1><p>Status: online</p><p><a href="/admin/">Settings</a></p></body></html>\n' "$title" "$title" >"$dir/www/index.html"
  printf '<html><head><title>%s settings</title></head><body><h1>Settings</h1><form>Wi-Fi SSID <input name="ssid"></form></body></html>\n' "$title" >"$dir/www/admin/index.html"
  chmod -R a+rX "$dir/www"
  # Read per request, after lighttpd has dropped root
  chgrp "$LIGHTTPD_USER" "$dir/lighttpd.user"
  chmod 640 "$dir/lighttpd.user"
  first=${ports%% *}
  cat >"$conf" <<EOF
# generated by test/lab/up.sh for $dev
server.modules = ("mod_access", "mod_auth", "mod_authn_file", "mod_cgi", "mod_openssl")
server.document-root = "$dir/www"
server.bind = "$addr"
server.port = $first
server.username = "$LIGHTTPD_USER"
server.groupname = "$LIGHTTPD_USER"
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html")
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/lighttpd.user"
auth.require = (
  "/admin/" => ("method" => "basic", "realm" => "$title", "require" => "valid-user"),
  "/camera/" => ("method" => "digest", "realm" => "$title camera", "require" => "valid-user"),
)
cgi.assign = (".cgi" => "/bin/sh")
EOF
  if [[ $first == 443 ]]; then
    cat >>"$conf" <<EOF
ssl.engine = "enable"
ssl.pemfile = "$keys/tls.crt"
ssl.privkey = "$keys/tls.key"
$tls
EOF
  else
    cat >>"$conf" <<EOF
\$SERVER["socket"] == "$addr:443" {
  ssl.engine = "enable"
  ssl.pemfile = "$keys/tls.crt"
  ssl.privkey = "$keys/tls.key"
  $tls
}
EOF
  fi
  start "$dev-lighttpd" "$ns" "${HOST[$dev]}" lighttpd -D -f "$conf"
  for p in $ports; do ready "$dev-lighttpd" "$ns" tcp "$addr" "$p"; done
}

# The plug's web server allows TLS 1.0 and weak ciphers, as old firmware does
PLUG_TLS='ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1", "CipherString" => "DEFAULT:@SECLEVEL=0")'

# plug DEVICE KEYDIR MODEL full|light: the vulnerable plug's daemons on one unit
plug() {
  local dev=$1 keys=$2 model=$3 kind=$4 ns=${NS[$1]} addr=${ADDR[$1]} dir=$STATE/dev/$1
  mkdir -p "$dir"
  # Mirai's root/xc3511 and the admin/admin every web page and FTP server of this model accepts
  device_etc "$dev" "root:xc3511 admin:admin"
  echo "Acme $model configuration backup" >"$dir/home/admin/config.bak"
  # What busybox telnetd prints before the login prompt: the model, and `uname -a`'s kernel line
  printf 'Acme %s (firmware 1.0.3)\nLinux smartplug 3.10.14 mips\n' "$model" >"$dir/issue.net"

  # telnet: busybox telnetd and busybox login, which pauses 3 s after every wrong password and
  # hangs up after the third
  start "$dev-telnetd" "$ns" "${HOST[$dev]}" "$BUSYBOX" telnetd -F -b "$addr:23" \
    -l "$STATE/bin/login" -f "$dir/issue.net"
  ready "$dev-telnetd" "$ns" tcp "$addr" 23

  # SSH: password logins (root and admin), the model's host keys
  start "$dev-dropbear" "$ns" "${HOST[$dev]}" dropbear -F -E -p "$addr:22" \
    -r "$keys/ssh_host_ed25519" -r "$keys/ssh_host_rsa" -P "$dir/dropbear.pid"
  ready "$dev-dropbear" "$ns" tcp "$addr" 22

  # HTTP on 80 and HTTPS on 443, /admin/ takes admin/admin
  echo "admin:admin" >"$dir/lighttpd.user"
  web "$dev" "$keys" "$model" "$PLUG_TLS" "80 443"

  [[ $kind == full ]] || return 0

  # FTP: anonymous (a firmware file to read) and the local admin/admin, nothing writable.
  # vsftpd is the daemon that rate-limits failed logins: 3 s pause after each, and it hangs
  # up after the third on one connection (delay_failed_login, max_login_fails).
  mkdir -p "$dir/ftp/pub"
  echo "$model firmware 1.0.3" >"$dir/ftp/pub/firmware-1.0.3.txt"
  chmod -R a+rX,go-w "$dir/ftp"
  cat >"$dir/vsftpd.conf" <<EOF
# generated by test/lab/up.sh for $dev
listen=YES
listen_ipv6=NO
listen_address=$addr
background=NO
ftpd_banner=Acme $model FTP server ready
anonymous_enable=YES
no_anon_password=YES
anon_root=$dir/ftp
local_enable=YES
write_enable=NO
chroot_local_user=YES
secure_chroot_dir=$STATE/empty
pam_service_name=vsftpd
delay_failed_login=3
max_login_fails=3
pasv_enable=YES
pasv_min_port=50000
pasv_max_port=50009
xferlog_enable=YES
vsftpd_log_file=$STATE/logs/$dev-vsftpd.xfer.log
# session processes stay in the device's namespace, where down.sh finds them
isolate_network=NO
EOF
  start "$dev-vsftpd" "$ns" "${HOST[$dev]}" vsftpd "$dir/vsftpd.conf"
  ready "$dev-vsftpd" "$ns" tcp "$addr" 21

  # MQTT: anonymous on 1883; TLS on 8883 with the model's certificate and admin/admin
  mosquitto_files "$dev" "$keys" admin admin
  cat >"$dir/mosquitto.conf" <<EOF
# generated by test/lab/up.sh for $dev
per_listener_settings true
persistence false
log_dest stderr
user mosquitto
listener 1883 $addr
allow_anonymous true
listener 8883 $addr
certfile $dir/mosquitto/tls.crt
keyfile $dir/mosquitto/tls.key
password_file $dir/mosquitto/passwd
allow_anonymous false
EOF
  start "$dev-mosquitto" "$ns" "${HOST[$dev]}" mosquitto -c "$dir/mosquitto.conf"
  ready "$dev-mosquitto" "$ns" tcp "$addr" 1883
  ready "$dev-mosquitto" "$ns" tcp "$addr" 8883

  # CoAP: libcoap's example server (/, /time, /async, /example_data, .well-known/core) on UDP
  # and, as libcoap does, TCP 5683
  start "$dev-coap" "$ns" "${HOST[$dev]}" "$COAP_SERVER" -A "$addr" -p 5683 -v 3
  ready "$dev-coap" "$ns" udp "$addr" 5683

  # SNMP v1/v2c: "public" reads, "private" writes. The views keep the lab machine safe: the
  # host resources MIB (its processes and disks) is not shown, and writes reach only the system
  # group, never NET-SNMP-EXTEND-MIB (which would run commands as root on the lab machine); the
  # extend module is not even loaded, nor SMUX (which would listen on TCP 199).
  mkdir -p "$dir/snmp/persist"
  cat >"$dir/snmp/snmpd.conf" <<EOF
# generated by test/lab/up.sh for $dev
agentaddress udp:$addr:161
view devview included .1.3.6.1.2.1
view devview excluded .1.3.6.1.2.1.25
view sysonly included .1.3.6.1.2.1.1
rocommunity public default -V devview
rwcommunity private default -V sysonly
# SNMPv3 (the users of devices/vuln.yaml): "ops" with SHA-256/AES, "legacy" with MD5/DES that
# reads with authentication alone, and "initial" with no password at all
createUser ops SHA-256 "plug-ops-auth-2024" AES "plug-ops-priv-2024"
createUser legacy MD5 "plug-legacy-auth" DES "plug-legacy-priv"
createUser initial
rouser -s usm ops priv -V sysonly
rouser -s usm legacy auth -V sysonly
rouser -s usm initial noauth -V sysonly
sysdescr Acme $model firmware 1.0.3 Linux 3.10.14 mips
sysname smartplug
sysservices 72
EOF
  : >"$dir/snmp/snmp.conf"
  SNMPCONFPATH=$dir/snmp SNMP_PERSISTENT_DIR=$dir/snmp/persist MIBS="" \
    start "$dev-snmpd" "$ns" "${HOST[$dev]}" snmpd -f -Lo -C -c "$dir/snmp/snmpd.conf" -I -smux,extend
  ready "$dev-snmpd" "$ns" udp "$addr" 161
}

plug vuln "$STATE/keys/smartplug-p1" "SmartPlug P1" full
plug vuln2 "$STATE/keys/smartplug-p1" "SmartPlug P1" light
plug wifi "$STATE/keys/smartplug-p1w" "SmartPlug P1W" full

# --- the hardened thermostat ----------------------------------------------------------------------

hard() {
  local dev=hard ns=${NS[hard]} addr=${ADDR[hard]} dir=$STATE/dev/hard keys=$STATE/keys/thermostat-t2
  mkdir -p "$dir"
  # Its only account has the per-unit password, and SSH takes keys only
  device_etc hard "admin:$HARD_PASSWORD"
  echo "$HARD_PASSWORD" >"$dir/password"
  chmod 600 "$dir/password"

  start hard-dropbear "$ns" "${HOST[$dev]}" dropbear -F -E -s -p "$addr:22" \
    -r "$keys/ssh_host_ed25519" -r "$keys/ssh_host_rsa" -P "$dir/dropbear.pid"
  ready hard-dropbear "$ns" tcp "$addr" 22

  echo "admin:$HARD_PASSWORD" >"$dir/lighttpd.user"
  # TLS 1.2 and up, and no "Server: lighttpd/1.4.69" header telling the version
  web hard "$keys" "Nordlys Thermostat T2" \
    'ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.2")
server.tag = ""' "443"
  # Its vulnerability disclosure policy (RFC 9116), valid for a year from lab start
  mkdir -p "$dir/www/.well-known"
  printf 'Contact: mailto:security@nordlys.example\nExpires: %s\nPreferred-Languages: en\n' \
    "$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)" >"$dir/www/.well-known/security.txt"
  chmod -R a+rX "$dir/www/.well-known"

  mosquitto_files hard "$keys" admin "$HARD_PASSWORD"
  cat >"$dir/mosquitto.conf" <<EOF
# generated by test/lab/up.sh for hard
per_listener_settings true
persistence false
log_dest stderr
user mosquitto
listener 8883 $addr
certfile $dir/mosquitto/tls.crt
keyfile $dir/mosquitto/tls.key
tls_version tlsv1.2
password_file $dir/mosquitto/passwd
allow_anonymous false
EOF
  start hard-mosquitto "$ns" "${HOST[$dev]}" mosquitto -c "$dir/mosquitto.conf"
  ready hard-mosquitto "$ns" tcp "$addr" 8883

  # SNMP: v3 only, authPriv only: no community, one SHA-256/AES user (devices/hard.yaml's
  # snmp.v3Users; keep the two in step), the system group only
  mkdir -p "$dir/snmp/persist"
  cat >"$dir/snmp/snmpd.conf" <<EOF
# generated by test/lab/up.sh for hard
agentaddress udp:$addr:161
view sysonly included .1.3.6.1.2.1.1
createUser ops SHA-256 "t2-ops-auth-passphrase" AES "t2-ops-priv-passphrase"
rouser -s usm ops priv -V sysonly
sysdescr Nordlys Thermostat T2 firmware 2.1.0
sysname thermostat
EOF
  : >"$dir/snmp/snmp.conf"
  SNMPCONFPATH=$dir/snmp SNMP_PERSISTENT_DIR=$dir/snmp/persist MIBS="" \
    start hard-snmpd "$ns" "${HOST[$dev]}" snmpd -f -Lo -C -c "$dir/snmp/snmpd.conf" -I -smux,extend
  ready hard-snmpd "$ns" udp "$addr" 161
}
hard

# --- the Node-RED gateways ------------------------------------------------------------------------

# The hub's admin password is the one its descriptor declares: one source of truth
NRAUTH_PASSWORD=$(sed -n 's/.*username: admin, password: "\([^"]*\)".*unique: true.*/\1/p' \
  "$LAB_DIR/devices/nrauth.yaml" | head -n 1)
[[ ${#NRAUTH_PASSWORD} -ge 16 ]] || die "no per-unit password found in devices/nrauth.yaml"

# node_red DEVICE [ADMIN-PASSWORD]: Node-RED 4 on 1880 with Node-RED's own default settings
# (node_modules/node-red/settings.js, which a fresh install copies), overriding only what the
# lab must set: where it listens and keeps its files, and no telemetry or update check (4.1
# asks in the editor before either; never on here). With a password, adminAuth as Node-RED
# documents it: one user with every permission, the password as a bcrypt hash (cost 8, as
# `node-red admin hash-pw` makes it).
node_red() {
  local dev=$1 password=${2:-} ns=${NS[$1]} addr=${ADDR[$1]} dir=$STATE/dev/$1 auth=""
  mkdir -p "$dir/user"
  if [[ -n $password ]]; then
    local hash
    hash=$(LAB_PASSWORD=$password node -e \
      'process.stdout.write(require(process.argv[1]).hashSync(process.env.LAB_PASSWORD, 8))' \
      "$NODE_RED/../bcryptjs")
    auth="adminAuth: { type: \"credentials\", users: [{ username: \"admin\", password: \"$hash\", permissions: \"*\" }] },"
  fi
  cat >"$dir/settings.js" <<EOF
// generated by test/lab/up.sh for $dev
module.exports = {
  ...require("$NODE_RED/settings.js"),
  userDir: "$dir/user",
  uiHost: "$addr",
  telemetry: { enabled: false, updateNotification: false },
  $auth
};
EOF
  chmod 644 "$dir/settings.js"
  chown -R nobody:nogroup "$dir/user"
  wired "$dev"
  start "$dev-node-red" "$ns" "${HOST[$dev]}" "$(command -v setpriv)" --reuid=nobody --regid=nogroup --clear-groups \
    /usr/bin/env HOME="$dir/user" "$(command -v node)" "$NODE_RED/red.js" --settings "$dir/settings.js"
}
node_red nodered
node_red nrauth "$NRAUTH_PASSWORD"
# Both load their palette at once; on a busy machine that takes a while (30 s at most)
for dev in nodered nrauth; do ready "$dev-node-red" "${NS[$dev]}" tcp "${ADDR[$dev]}" 1880 600; done

cat >"$STATE/lab.env" <<EOF
# written by test/lab/up.sh
UP_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
WIFI_LINK=$WIFI_LINK
WIFI_IF=$WIFI_IF
EOF
trap - EXIT
log "up: $(grep -c . "$STATE/pids.list") processes; harness $HARNESS_ADDR on $BRIDGE; vuln ${ADDR[vuln]}, vuln2 ${ADDR[vuln2]}, hard ${ADDR[hard]}, wifi ${ADDR[wifi]} ($WIFI_LINK), Node-RED ${ADDR[nodered]} and ${ADDR[nrauth]} (adminAuth)"
