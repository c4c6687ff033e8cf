#!/bin/sh
# Run "$@" inside the mount and UTS namespaces `unshare -m -u` made for it, with the console's own
# accounts and host name: the bind mounts and the name exist only in there, so the machine's real
# /etc/passwd, /etc/shadow and host name are never touched.
set -e
mount --bind "$CONSOLE_DIR/passwd" /etc/passwd
mount --bind "$CONSOLE_DIR/shadow" /etc/shadow
hostname camera
exec "$@"
