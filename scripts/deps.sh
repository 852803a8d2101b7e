#!/usr/bin/env bash
# Installs what `make test`, `make run` and `make bench` need, through apt, if
# anything is missing.  Root installs directly; others use sudo when it works
# without a password, or are told the exact command to run.
set -euo pipefail

PGVER="${PGVER:-15}"
PACKAGES=(gcc make "postgresql-$PGVER" "postgresql-server-dev-$PGVER" postgresql-contrib
          "postgresql-$PGVER-pgtap" libtap-parser-sourcehandler-pgtap-perl
          python3-sqlalchemy python3-psycopg2 python3-django    # test/clients: the ORM clients of make test
          nodejs)                                               # test/clients/js: TypeORM and Drizzle, from npm

# `make bench` also measures history against Debian's SYSTEM VERSIONING extension.
[ "${1:-}" = bench ] && PACKAGES+=("postgresql-$PGVER-periods")

command -v dpkg-query >/dev/null 2>&1 || { echo "deps: not a Debian system; install PostgreSQL $PGVER with server headers, contrib and pgTAP yourself." >&2; exit 0; }

missing=()
for p in "${PACKAGES[@]}"; do
    # A here-string, not a pipe: grep -q closing the pipe early fails the pipeline under pipefail.
    grep -q "install ok installed" <<<"$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" || missing+=("$p")
done
# Debian's nodejs comes without npm (a package of its own); other builds of nodejs bring it.
command -v npm >/dev/null 2>&1 || [[ " ${missing[*]} " == *" nodejs "* ]] || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "deps: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v npm >/dev/null 2>&1 || "${SUDO[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null
echo "deps: done"
