#!/bin/sh
# A console that drops straight into a shell, as `::askfirst:-/bin/sh` in a device's inittab does.
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ /bin/sh -i
