#!/usr/bin/env bash
# Shared by the scripts: where PostgreSQL is, and how to install the extension.

# report_failures WHAT: under set -e a failing command ends the script; say which one failed
# and where to look, instead of ending silently.
report_failures() {
    MN_WHAT=$1
    trap 'mn_on_error $? "${BASH_SOURCE[0]}:$LINENO" "$BASH_COMMAND"' ERR
}
mn_on_error() {
    echo "$MN_WHAT: failed (exit $1) at $2: $3" >&2
    echo "$MN_WHAT: the output above says why; the server's log is ${DATA:+$DATA/}server.log, build and test logs are in build/." >&2
}

PG_CONFIG="${PG_CONFIG:-pg_config}"
if ! command -v "$PG_CONFIG" >/dev/null 2>&1 && [ -x "/usr/lib/postgresql/${PGVER:-15}/bin/pg_config" ]; then
    PG_CONFIG="/usr/lib/postgresql/${PGVER:-15}/bin/pg_config"
fi
export PG_CONFIG
PGBIN="$("$PG_CONFIG" --bindir)"
PGVERSION_MAJOR="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"
export PGBIN PGVERSION_MAJOR

# Builds and installs into PostgreSQL (extra make arguments, e.g. WERROR=1, go to every make):
# directly when its directories are writable (root), with sudo when that works
# without a password, and otherwise into build/destdir, which the throwaway
# clusters then read through Debian's extension_destdir setting
# (EXTENSION_DESTDIR is exported for them; empty for a real install).
build_and_install() {
    make -s PG_CONFIG="$PG_CONFIG" "$@" all >/dev/null
    EXTENSION_DESTDIR=""
    if [ -w "$("$PG_CONFIG" --pkglibdir)" ] && [ -w "$("$PG_CONFIG" --sharedir)/extension" ]; then
        make -s PG_CONFIG="$PG_CONFIG" "$@" install >/dev/null
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        echo "Installing into $("$PG_CONFIG" --pkglibdir) needs root: running sudo make install"
        sudo -n make -s PG_CONFIG="$PG_CONFIG" "$@" install >/dev/null
    else
        EXTENSION_DESTDIR="$PWD/build/destdir"
        echo "No write access to PostgreSQL's directories and no sudo: installing into $EXTENSION_DESTDIR (extension_destdir)"
        rm -rf "$EXTENSION_DESTDIR"
        make -s PG_CONFIG="$PG_CONFIG" "$@" install DESTDIR="$EXTENSION_DESTDIR" >/dev/null
    fi
    export EXTENSION_DESTDIR
}

# pg_virtualenv/pg_ctl options that make a throwaway cluster find the extension.
destdir_guc() {
    [ -n "${EXTENSION_DESTDIR:-}" ] && echo "extension_destdir=$EXTENSION_DESTDIR"
    return 0
}
