#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `initdb` into DIR and a server on
# 127.0.0.1:PORT (Debian's postgresql package), stopped and DIR removed
# when process WATCH ends. Prints the server's URL, postgresql://…/postgres.
#   scripts/pg-server.sh DIR PORT WATCH
# Run as root, the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: scripts/pg-server.sh DIR PORT WATCH" >&2; exit 2; }
dir=$1 port=$2 watch=$3
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-server.sh: PostgreSQL is not installed (Debian's postgresql package; scripts/setup.sh --quick installs it)" >&2
  exit 1
fi
as=()
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u postgres --)
  chown postgres "$dir"
fi
if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  exit 1
fi
# fsync off: a test server's data is thrown away with it.
if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null; then
  cat "$dir/server.log" >&2
  exit 1
fi
# The watchdog: when WATCH ends, stop the server and remove its folder.
stop="${as[*]} $bin/pg_ctl -D $dir/data -m immediate stop"
setsid nohup bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; $stop; rm -rf $dir" \
  >/dev/null 2>&1 < /dev/null &
echo "postgresql://postgres@127.0.0.1:$port/postgres"
