# Sourced by the benchmark scripts: a throwaway PostgreSQL cluster (fsync on, defaults) in a new folder, on a free
# loopback port, run as the postgres OS user when we are root (initdb and postgres refuse root).
#
#   source Benchmarks/throwaway-postgres.sh; start_throwaway_postgres PREFIX
#
# Sets OUT (the folder, for the caller's files too), PORT, PGBIN, free_port, and stop_throwaway_postgres, which
# stops the cluster and removes OUT; callers call it from their own EXIT trap.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_throwaway_postgres() {
  OUT=$(mktemp -d "/tmp/$1-XXXX")
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PORT=$(free_port)
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$OUT"; PG_AS=(runuser -u postgres --); fi
  "${PG_AS[@]}" "$PGBIN/initdb" -D "$OUT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$OUT/data" -l "$OUT/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=''" start >/dev/null
}

stop_throwaway_postgres() {
  "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$OUT/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$OUT"
}
