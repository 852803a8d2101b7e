-- Availability module: the weekly availability type, its canonical text,
-- errors, equality and hashing, binary round trip, occurrences across DST,
-- containment and overlap across zones.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET search_path = mentor, public;
SET timezone = 'UTC';

\i sql/helpers/try.psql

-- Canonical text: sorted, merged, split at midnight, zone spelled as the tz database does.
SELECT a::availability AS canonical FROM (VALUES
    ('Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin'),
    ('wed 18:00-20:30,monday 9:00-12:00 @ europe/berlin'),
    ('Mon 09:00-12:00, Mon 11:30-13:00, Mon 13:00-14:00 @ UTC'),
    ('Mon-Fri 09:00-17:00 @ America/New_York'),
    ('Fri 22:00-02:00 @ Asia/Tokyo'),
    ('Sun 23:00-01:00'),
    (''),
    ('@ Asia/Kolkata')) v(a);

-- Bad input: 22P02 with where and what, 22023 for an unknown zone; nothing crashes.
SELECT pg_temp.try(format('SELECT %L::mentor.availability', a)) AS error FROM (VALUES
    ('Mon 25:00-26:00 @ UTC'), ('Mon 09:00-09:60'), ('Mon 09:00-09:00'), ('Mon 24:00-01:00'),
    ('Funday 09:00-10:00'), ('Mon 9-10'), ('Mon 09:00-10:00,'), ('Mon 09:00-10:00 Tue 10:00-11:00'),
    ('Mon 09:00-10:00 @'), ('Mon 09:00-10:00 @ Europe/Berlin; DROP TABLE x'),
    ('Mon 09:00-10:00 @ Mars/Olympus_Mons'), ('Mon 09:00-10:00 @ Europe//Berlin')) v(a);
SELECT pg_temp.try(format('SELECT %L::mentor.availability', repeat('Mon 09:00-10:00, ', 300))) AS overlong;

-- Equality ignores spelling; hashing agrees (DISTINCT, GROUP BY, hash joins).
SELECT 'Mon 09:00-12:00 @ Europe/Berlin'::availability = 'mon 9:00-10:00, Mon 10:00-12:00 @ europe/berlin' AS same,
       'Mon 09:00-12:00 @ Europe/Berlin'::availability = 'Mon 09:00-12:00 @ Europe/Paris' AS other_zone,
       'Mon 09:00-12:00 @ Europe/Berlin'::availability <> 'Mon 09:00-12:01 @ Europe/Berlin' AS differs;
SELECT count(DISTINCT a) AS distinct_schedules FROM (VALUES
    ('Mon 09:00-12:00 @ UTC'::availability), ('mon 9:00-12:00'), ('Mon 09:00-11:00, Mon 11:00-12:00'),
    ('Tue 09:00-12:00')) v(a);
SELECT a FROM (VALUES ('Tue 09:00-12:00 @ UTC'::availability), ('Mon 09:00-12:00 @ UTC'), ('Mon 09:00-10:00 @ UTC'),
                      ('Mon 08:00-09:00 @ Europe/Berlin')) v(a) ORDER BY a;
SET enable_sort = off;
SELECT a, count(*) FROM (VALUES ('Mon 09:00-12:00 @ UTC'::availability), ('mon 9:00-12:00'), ('Tue 09:00-12:00')) v(a)
 GROUP BY a ORDER BY 2 DESC;
RESET enable_sort;

-- Binary send/receive round trip (COPY BINARY), through a table column.
CREATE TABLE avail_copy (id int, a availability);
INSERT INTO avail_copy VALUES (1, 'Mon-Fri 09:00-17:00 @ America/New_York'), (2, 'Sun 23:00-01:00 @ Asia/Tokyo'), (3, '@ UTC');
\copy avail_copy TO 'build/regress/avail.bin' WITH (FORMAT binary)
CREATE TABLE avail_back (LIKE avail_copy);
\copy avail_back FROM 'build/regress/avail.bin' WITH (FORMAT binary)
SELECT c.id, c.a = b.a AS same, b.a FROM avail_copy c JOIN avail_back b USING (id) ORDER BY 1;
SELECT length(availability_send('Mon 09:00-12:00 @ UTC')) AS send_bytes;

-- DST: a weekly 09:00 Berlin window is 08:00 UTC in winter and 07:00 UTC in summer,
-- across the March (2026-03-29) and October (2026-10-25) changes.
SELECT occurrences('Mon-Sun 09:00-10:00 @ Europe/Berlin', tstzrange('2026-03-27', '2026-03-31')) AS march;
SELECT occurrences('Mon-Sun 09:00-10:00 @ Europe/Berlin', tstzrange('2026-10-23', '2026-10-27')) AS october;
-- A window over the skipped hour of the March change: 01:00-04:00 local is two hours long that night.
SELECT upper(r) - lower(r) AS length, lower(r) AS starts
  FROM unnest(occurrences('Sun 01:00-04:00 @ Europe/Berlin', tstzrange('2026-03-28', '2026-04-06'))) r;
-- Overnight windows are one interval; the range clips them.
SELECT occurrences('Fri 22:00-02:00 @ UTC', tstzrange('2026-11-27 23:00Z', '2026-12-05')) AS overnight;
SELECT occurrences('@ UTC', tstzrange('2026-01-01', '2026-02-01')) AS never, occurrences('Mon 09:00-10:00', 'empty') AS empty_range;
SELECT pg_temp.try($$SELECT mentor.occurrences('Mon 09:00-10:00', tstzrange(now(), NULL))$$);
SELECT pg_temp.try($$SELECT mentor.occurrences('Mon 09:00-10:00', tstzrange('2000-01-01', '2100-01-01'))$$);
SELECT count(*) AS mondays_in_2026, count(DISTINCT lower(r)::time) AS utc_start_times
  FROM unnest(occurrences('Mon 09:00-10:00 @ Pacific/Auckland', tstzrange('2026-01-01', '2027-01-01'))) r;

-- Containment: the session must lie inside the schedule, DST-correct.
SELECT 'Mon 09:00-12:00 @ Europe/Berlin'::availability @> tstzrange('2026-11-23 08:30Z', '2026-11-23 11:00Z') AS winter_inside,
       'Mon 09:00-12:00 @ Europe/Berlin'::availability @> tstzrange('2026-11-23 07:30Z', '2026-11-23 09:00Z') AS starts_too_early,
       'Mon 09:00-12:00 @ Europe/Berlin'::availability @> tstzrange('2026-06-22 07:00Z', '2026-06-22 10:00Z') AS summer_inside,
       'Mon 09:00-12:00 @ Europe/Berlin'::availability @> tstzrange('2026-06-22 08:00Z', '2026-06-22 10:30Z') AS summer_too_long,
       'Fri 22:00-02:00 @ UTC'::availability @> tstzrange('2026-11-27 23:00Z', '2026-11-28 01:00Z') AS across_midnight,
       'Mon 09:00-12:00'::availability @> tstzrange('2026-11-23 09:00Z', '2026-11-23 12:00Z', '[]') AS inclusive_end,
       '@ UTC'::availability @> 'empty'::tstzrange AS empty_range;

-- Overlap across zones for a reference week: Berlin 09-12 (UTC+1 in November) vs Tbilisi 10-14 (UTC+4).
SELECT overlap_minutes('Mon 09:00-12:00 @ Europe/Berlin', 'Mon 10:00-14:00 @ Asia/Tbilisi', '2026-11-23') AS november,
       overlap_minutes('Mon 09:00-12:00 @ Europe/Berlin', 'Mon 10:00-14:00 @ Asia/Tbilisi', '2026-06-22') AS june,
       overlap_minutes('Mon-Fri 09:00-17:00 @ America/New_York', 'Mon-Fri 09:00-17:00 @ Europe/London', '2026-11-23') AS ny_london,
       overlap_minutes('Mon 09:00-12:00 @ UTC', '@ UTC', '2026-11-23') AS with_nothing;

-- Weeks without a DST change are converted by arithmetic, weeks with one through the zone (so a
-- year-long range takes the slow path): every week of 2026 in five zones, both ways, the same.
SELECT count(*) AS weeks_compared,
       count(*) FILTER (WHERE occurrences(a, tstzrange(w, w + interval '7 days'))
                          <> occurrences(a, tstzrange('2025-12-01', '2027-02-01')) * tstzmultirange(tstzrange(w, w + interval '7 days')))
           AS weeks_differing
  FROM generate_series('2025-12-29'::timestamptz, '2026-12-28', interval '7 days') w,
       unnest(ARRAY['Mon-Sun 00:30-03:30, Sat 21:00-02:00 @ Europe/Berlin', 'Mon-Fri 01:15-02:45 @ America/New_York',
                    'Sun 02:00-03:00, Wed 09:00-17:00 @ Australia/Sydney', 'Mon-Fri 19:00-21:00 @ Asia/Kolkata',
                    'Sat 02:30-04:00 @ Pacific/Auckland']::availability[]) a;
-- A scan compares one schedule with many: the cached side must not leak into the other argument.
SELECT array_agg(overlap_minutes(m, 'Mon-Fri 18:00-21:00 @ Europe/Berlin', '2026-11-23') ORDER BY n) AS mentee_second,
       array_agg(overlap_minutes('Mon-Fri 18:00-21:00 @ Europe/Berlin', m, '2026-11-23') ORDER BY n) AS mentee_first
  FROM (VALUES (1, 'Mon 18:00-20:00 @ Europe/Berlin'::availability), (2, 'Tue 12:00-13:00 @ America/New_York'),
               (3, 'Mon 18:00-20:00 @ Europe/Berlin'), (4, 'Mon-Fri 19:00-23:00 @ Europe/London')) x(n, m);
