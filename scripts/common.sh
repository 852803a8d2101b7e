#!/usr/bin/env bash
# Shared by the scripts: where PostgreSQL is, and how to install the extension.

PG_CONFIG="${PG_CONFIG:-pg_config}"
if ! command -v "$PG_CONFIG" >/dev/null 2>&1 && [ -x "/usr/lib/postgresql/${PGVER:-15}/bin/pg_config" ]; then
    PG_CONFIG="/usr/lib/postgresql/${PGVER:-15}/bin/pg_config"
fi
export PG_CONFIG
PGBIN="$("$PG_CONFIG" --bindir)"
PGVERSION_MAJOR="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
export PGBIN PGVERSION_MAJOR

# Builds (warnings are errors, see Makefile) and installs into PostgreSQL.
build_and_install() {
    make -s PG_CONFIG="$PG_CONFIG" all >/dev/null
    if [ -w "$("$PG_CONFIG" --pkglibdir)" ]; then
        make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    else
        echo "Installing into $("$PG_CONFIG" --pkglibdir) needs root: running sudo make install"
        sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
    fi
}
