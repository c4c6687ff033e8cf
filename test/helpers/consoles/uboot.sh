#!/bin/sh
# A device's serial console from power-on: a U-Boot-like bootloader whose autoboot countdown a key
# stops (then a "=> " prompt that records each command in $CONSOLE_DIR/commands), then a Linux boot
# log ($CONSOLE_DIR/boot.log) that ends at a login prompt. Nothing happens until $CONSOLE_DIR/power
# exists, as a device waits for its power switch.
while [ ! -e "$CONSOLE_DIR/power" ]; do sleep 0.05; done

boot_linux() {
  printf 'Starting kernel ...\n\n'
  cat "$CONSOLE_DIR/boot.log"
  printf '\ncamera login: '
  exec cat >/dev/null
}

bootloader_prompt() {
  stty sane
  printf '\n=> '
  while IFS= read -r cmd; do
    cmd=$(printf '%s' "$cmd" | tr -d '\r')
    printf '%s\n' "$cmd" >>"$CONSOLE_DIR/commands"
    case "$cmd" in
      boot) boot_linux ;;
      '') ;;
      *) printf "Unknown command '%s' - try 'help'\n" "$cmd" ;;
    esac
    printf '=> '
  done
}

printf '\n\nU-Boot 2023.01 (Jan 01 2024 - 00:00:00 +0000) camera-v2\n\n'
printf 'DRAM:  128 MiB\nLoading Environment from SPI Flash... OK\nNet:   eth0: ethernet@10100000\n'
# Byte at a time, no echo; each read waits up to a second. Set before the countdown shows, so a
# key pressed the moment it appears is not taken as the end of a line.
stty -icanon -echo min 0 time 10
printf 'Hit any key to stop autoboot:  3 '
for n in 2 1 0; do
  key=$(dd bs=1 count=1 2>/dev/null | od -An -tx1)
  if [ -n "$key" ]; then
    printf '\b\b\b 0 \n'
    bootloader_prompt
    exit 0
  fi
  printf '\b\b\b %d ' "$n"
done
printf '\n'
stty sane
boot_linux
