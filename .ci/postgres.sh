#!/usr/bin/env bash
# A local PostgreSQL for the tests, with Debian's cluster tools: installs the package when missing, creates or reuses a
# cluster, starts it (as the postgres user: the server refuses root), ensures a test role that may CREATE DATABASE, and
# prints the server's URL (postgres://role:password@127.0.0.1:port/postgres) on stdout. Idempotent: run it as often as you like.
#
#   export ACCESS_AUDIT_TEST_POSTGRES="$(.ci/postgres.sh)"
#
# Settings: POSTGRES_TEST_ROLE (default access_audit_test); the role's password is generated once and kept, readable only
# by its owner, in ${XDG_STATE_HOME:-$HOME/.local/state}/access-audit/postgres-test-password. When the server has TLS
# off, it is turned on with a test CA whose certificate is left in the same folder (postgres-test-ca.pem), for the TLS
# tests (ACCESS_AUDIT_TEST_POSTGRES_CA names it).
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
  # From /, since the postgres user may not enter the caller's folder (psql warns on every call otherwise).
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -n -u postgres -- "$@"); fi
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
mkdir -p "$state_dir"
password_file="$state_dir/postgres-test-password"
if [ ! -s "$password_file" ]; then
  (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$password_file")
fi
password="$(cat "$password_file")"

# TLS with a throwaway CA, so the tests can check sslmode end to end; the CA's certificate is kept beside the password
# (postgres-test-ca.pem) and its key is discarded. A server that already has TLS on is left as it is.
ca_file="$state_dir/postgres-test-ca.pem"
if [ "$(as_postgres psql -X -A -t -q -p "$port" -d postgres -c 'SHOW ssl')" != on ] && command -v openssl >/dev/null; then
  log "enabling TLS on cluster $version/$name with a test CA"
  data_dir="$(pg_lsclusters --no-header "$version" "$name" | awk '{ print $6 }')"
  work="$(mktemp -d)"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=access-audit test CA' \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$work/san.ext"
  openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 3650 \
    -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null
  tls_dir="$data_dir/access-audit-tls"
  if [ "$(id -u)" = 0 ]; then
    install -d -o postgres -g postgres -m 0700 "$tls_dir"
    install -o postgres -g postgres -m 0600 "$work/server.pem" "$work/server.key" "$tls_dir/"
  else
    sudo -n install -d -o postgres -g postgres -m 0700 "$tls_dir"
    sudo -n install -o postgres -g postgres -m 0600 "$work/server.pem" "$work/server.key" "$tls_dir/"
  fi
  cp "$work/ca.pem" "$ca_file"
  rm -rf "$work"
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres -v cert="$tls_dir/server.pem" -v key="$tls_dir/server.key" >&2 <<'SQL'
ALTER SYSTEM SET ssl_cert_file = :'cert';
ALTER SYSTEM SET ssl_key_file = :'key';
ALTER SYSTEM SET ssl = on;
SELECT pg_reload_conf();
SQL
  sleep 0.5
fi

# The role and password go in as psql variables (:'x' quotes them as literals), so nothing is spliced into SQL text.
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres -v role="$role" -v password="$password" >&2 <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role') AS create_role
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'password') \gexec
SQL

echo "postgres://$role:$password@127.0.0.1:$port/postgres"
