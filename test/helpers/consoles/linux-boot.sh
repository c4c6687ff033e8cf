#!/bin/sh
# A device whose console has no bootloader prompt: after power-on ($CONSOLE_DIR/power) it prints
# its boot log ($CONSOLE_DIR/boot.log) a line at a time, as a booting kernel does, then a login
# prompt, and reads nothing.
while [ ! -e "$CONSOLE_DIR/power" ]; do sleep 0.05; done
while IFS= read -r line; do
  printf '%s\n' "$line"
  sleep 0.02
done <"$CONSOLE_DIR/boot.log"
printf '\ncamera login: '
exec cat >/dev/null
