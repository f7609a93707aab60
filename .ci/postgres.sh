#!/usr/bin/env bash
# A local PostgreSQL for the tests, with Debian's cluster tools: installs the package when missing, creates or reuses a
# cluster, starts it (as the postgres user: the server refuses root), ensures a test role that may CREATE DATABASE, and
# prints the server's URL (postgres://role:password@127.0.0.1:port/postgres) on stdout. Idempotent: run it as often as you like.
#
#   export ACCESS_AUDIT_TEST_POSTGRES="$(.ci/postgres.sh)"
#
# Settings: POSTGRES_TEST_ROLE (default access_audit_test); the role's password is generated once and kept, readable only
# by its owner, in ${XDG_STATE_HOME:-$HOME/.local/state}/access-audit/postgres-test-password.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres -- "$@"; fi
}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "installing Debian's postgresql"
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 ||
      { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }
  else
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  fi
fi

# The first existing cluster (version, name, port, status), else a new "main" cluster of the newest installed version.
read -r version name port status < <(pg_lsclusters --no-header | awk 'NR == 1 { print $1, $2, $3, $4 }') || true
if [ -z "${version:-}" ]; then
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  name=main
  log "creating cluster $version/$name"
  # Room for several API instances and test files at once, each with its own pool.
  create=(pg_createcluster "$version" "$name" -o max_connections=300)
  if [ "$(id -u)" = 0 ]; then "${create[@]}" >&2; else sudo -n "${create[@]}" >&2; fi
  read -r port status < <(pg_lsclusters --no-header "$version" "$name" | awk '{ print $3, $4 }')
fi

if [ "$status" != online ]; then
  log "starting cluster $version/$name on port $port"
  # pg_ctlcluster run as root switches to the cluster's owner by itself; as another user it must be that owner.
  if [ "$(id -u)" = 0 ]; then pg_ctlcluster "$version" "$name" start >&2; else as_postgres pg_ctlcluster "$version" "$name" start >&2; fi
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$port" || { log "cluster $version/$name does not accept connections on 127.0.0.1:$port"; exit 1; }

role="${POSTGRES_TEST_ROLE:-access_audit_test}"
state_dir="${XDG_STATE_HOME:-$HOME/.local/state}/access-audit"
password_file="$state_dir/postgres-test-password"
if [ ! -s "$password_file" ]; then
  mkdir -p "$state_dir"
  (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$password_file")
fi
password="$(cat "$password_file")"

# The role and password go in as psql variables (:'x' quotes them as literals), so nothing is spliced into SQL text.
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres -v role="$role" -v password="$password" >&2 <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role') AS create_role
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'password') \gexec
SQL

echo "postgres://$role:$password@127.0.0.1:$port/postgres"
