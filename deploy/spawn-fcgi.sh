#!/bin/sh
# Vestibule under spawn-fcgi, for hosts without systemd (runit, s6, a container's entrypoint).
# spawn-fcgi creates the socket, drops privileges and runs the program in the foreground (-n)
# with the listening socket on fd 0, which `VESTIBULE_SOCKET=fd:0` tells it to use.
set -eu
mkdir -p /run/vestibule
chown vestibule:www-data /run/vestibule
export VESTIBULE_SOCKET=fd:0
exec spawn-fcgi -n \
  -s /run/vestibule/vestibule.sock -M 0660 \
  -u vestibule -g vestibule -U vestibule -G www-data \
  -d /srv/vestibule \
  -- /srv/vestibule/bin/vestibule serve --config /etc/vestibule/vestibule.json
