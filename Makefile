# mentor - PostgreSQL extension (PGXS).  `make run` and `make test` are the
# two entry points (README.md); both install missing Debian packages first.
EXTENSION = mentor
# The version being built is default_version in mentor.control, the one source of truth.
EXTVERSION := $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(dir $(lastword $(MAKEFILE_LIST)))mentor.control)

MODULE_big = mentor
OBJS = \
	src/mentor.o \
	src/cache_invalidate.o \
	src/actor.o \
	src/import.o \
	src/guards.o \
	src/range_bounds.o \
	src/util.o \
	src/domains.o \
	src/timestamps.o \
	src/lifecycle.o \
	src/json_build.o \
	src/history.o \
	src/history_store.o \
	src/history_partitions.o \
	src/direct.o \
	src/ledger.o \
	src/ledger_accounts.o \
	src/ledger_sql.o \
	src/sessions.o \
	src/tokens.o \
	src/settings.o \
	src/crosscheck.o \
	src/teams.o \
	src/availability.o \
	src/matching.o \
	src/secrets.o \
	src/queue.o \
	src/quizzes.o \
	src/workflow.o \
	src/crm.o \
	src/core/lifecycle_graph.o \
	src/core/validate.o \
	src/core/crosscheck.o \
	src/core/teams.o \
	src/core/availability.o \
	src/core/matching.o \
	src/core/secret.o \
	src/core/grading.o \
	src/core/workflow.o \
	src/core/phone.o

# One file per module, concatenated in name order into the install script of
# this version.  Released install scripts are frozen in src/sql/releases/ and
# never edited; src/sql/updates/ holds the upgrade scripts between versions.
SQL_MODULES = $(sort $(wildcard src/sql/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard src/sql/releases/$(EXTENSION)--*.sql) $(wildcard src/sql/updates/$(EXTENSION)--*--*.sql)

REGRESS = core identity lifecycle history ledger courses crosscheck teams availability sessions matching security session_flow slot_flow imports notify secrets community practice support learning quizzes cohorts school hiring crm workflow
REGRESS_OPTS = --inputdir=. --outputdir=build/regress
ISOLATION = lifecycle_cache history_actors ledger_races learning_races matching_races settings_cache notify_races community_races practice_races support_races path_races event_races quiz_races attempt_races workflow_rules_cache
ISOLATION_OPTS = --inputdir=. --outputdir=build/isolation

PG_CPPFLAGS = -I$(srcdir)/src
# The exceptions are idioms of PostgreSQL's own headers and fmgr macros.  Warnings are errors
# in `make test` and CI (WERROR=1), not in a plain `make`: a newer compiler or PostgreSQL
# must not break someone's install.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
ifdef WERROR
PG_CFLAGS += -Werror
endif

EXTRA_CLEAN = $(DATA_built) build results regression.diffs regression.out output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# No PostgreSQL build environment yet: only the entry points that install it work.
all install installcheck:
	@echo "PostgreSQL server development files not found: run 'make test' or 'make run' (they install them), or set PG_CONFIG." >&2; exit 1
endif

$(DATA_built): $(SQL_MODULES)
	cat $(SQL_MODULES) > $@

.PHONY: test run stop bench unit fuzz deps
deps:
	@bash scripts/deps.sh

test: deps
	@bash scripts/test.sh

run: deps
	@bash scripts/run.sh

stop:
	@bash scripts/stop.sh

bench:
	@bash scripts/deps.sh bench
	@bash scripts/bench.sh

unit:
	@bash scripts/unit.sh

fuzz:
	@bash scripts/fuzz.sh
