#!/bin/sh
# What init's respawn line does for a serial console: a new busybox getty whenever the last login
# session ends (busybox login gives up after three wrong passwords). $CONSOLE_DIR/login is a link
# to busybox, which runs the applet its name says.
while true; do
  busybox getty -L -f "$CONSOLE_DIR/issue" -l "$CONSOLE_DIR/login" 0 - vt100
done
