-- mentor 0.1 -> 0.2.  Every schema change made after the 0.1 release goes here
-- as well as into its module file (src/sql/NN_module.sql), in the order it was
-- made, so that `ALTER EXTENSION mentor UPDATE` turns a 0.1 database into what
-- a fresh 0.2 install is, keeping every row.  test/scripts/upgrade.sh compares
-- the two catalogs object by object and fails on any difference.
\echo Use "ALTER EXTENSION mentor UPDATE TO '0.2'" to load this file. \quit
