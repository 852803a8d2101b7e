--------------------------------------------------------------------------------
-- Module availability (design.md section 7): the weekly availability type of
-- mentors and mentees, in C (src/availability.c, src/core/availability.c).
--------------------------------------------------------------------------------

CREATE TYPE availability;

CREATE FUNCTION availability_in(cstring) RETURNS availability
    AS 'MODULE_PATHNAME', 'mn_availability_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION availability_out(availability) RETURNS cstring
    AS 'MODULE_PATHNAME', 'mn_availability_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION availability_recv(internal) RETURNS availability
    AS 'MODULE_PATHNAME', 'mn_availability_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION availability_send(availability) RETURNS bytea
    AS 'MODULE_PATHNAME', 'mn_availability_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION availability_in(cstring) IS 'Text input of mentor.availability';
COMMENT ON FUNCTION availability_out(availability) IS 'Canonical text of mentor.availability (sorted, merged, split at midnight)';
COMMENT ON FUNCTION availability_recv(internal) IS 'Binary input of mentor.availability (checked like text input)';
COMMENT ON FUNCTION availability_send(availability) IS 'Binary output of mentor.availability';

CREATE TYPE availability (
    INPUT = availability_in, OUTPUT = availability_out,
    RECEIVE = availability_recv, SEND = availability_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = extended
);
COMMENT ON TYPE availability IS
    'Weekly windows in an IANA time zone, e.g. ''Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin''; '
    'day ranges (Mon-Fri) and overnight windows (Fri 22:00-02:00) are accepted; see mentor.occurrences';

CREATE FUNCTION availability_eq(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_ne(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_hash(availability) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_availability_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION availability_eq(availability, availability) IS 'Same windows in the same zone';
COMMENT ON FUNCTION availability_ne(availability, availability) IS 'Different windows or zone';
COMMENT ON FUNCTION availability_hash(availability) IS 'Hash of an availability, for hash joins, DISTINCT and GROUP BY';

CREATE OPERATOR = (
    LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_eq,
    COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS availability_hash_ops DEFAULT FOR TYPE availability USING hash AS
    OPERATOR 1 =, FUNCTION 1 availability_hash(availability);

-- An order with no meaning of its own (zone, then windows), so that sorting,
-- DISTINCT aggregates, ORDER BY and btree indexes work.
CREATE FUNCTION availability_cmp(availability, availability) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_availability_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_lt(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_le(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_gt(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_ge(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION availability_cmp(availability, availability) IS 'Sort order of availabilities (zone, then windows)';
COMMENT ON FUNCTION availability_lt(availability, availability) IS 'Sorts before (see availability_cmp)';
COMMENT ON FUNCTION availability_le(availability, availability) IS 'Sorts before or equal (see availability_cmp)';
COMMENT ON FUNCTION availability_gt(availability, availability) IS 'Sorts after (see availability_cmp)';
COMMENT ON FUNCTION availability_ge(availability, availability) IS 'Sorts after or equal (see availability_cmp)';
CREATE OPERATOR < (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_lt,
                   COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_le,
                    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR > (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_gt,
                   COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR >= (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_ge,
                    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR CLASS availability_btree_ops DEFAULT FOR TYPE availability USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
    FUNCTION 1 availability_cmp(availability, availability);

CREATE FUNCTION occurrences(a availability, during tstzrange) RETURNS tstzmultirange
    AS 'MODULE_PATHNAME', 'mn_availability_occurrences' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION occurrences(availability, tstzrange) IS
    'The instants within the range when the schedule is open, DST-correct in its time zone (a bounded range of at '
    'most about twenty years)';

CREATE FUNCTION availability_contains(a availability, during tstzrange) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_contains_range' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION availability_contains(availability, tstzrange) IS
    'The schedule is open for the whole range (operator @>); an empty range is always covered';
CREATE OPERATOR @> (LEFTARG = availability, RIGHTARG = tstzrange, FUNCTION = availability_contains);
COMMENT ON OPERATOR @> (availability, tstzrange) IS 'The schedule is open for the whole range';

CREATE FUNCTION overlap_minutes(a availability, b availability,
                                week_start timestamptz DEFAULT date_trunc('week', now())) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_availability_overlap_minutes' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION overlap_minutes(availability, availability, timestamptz) IS
    'Minutes in the week from week_start (default: this week) when both schedules are open, each in its own zone';
