#!/usr/bin/env python3
# Copies the 0.2 module files into the upgrade script mentor--0.1--0.2.sql (docs/development.md,
# "Changing the schema after a release"): the new modules' bodies, their 90_security and
# 89_history_added sections, and the 0.1 functions 0.2 changed (between markers).
import os
root=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..') + '/'
up=root+'src/sql/updates/mentor--0.1--0.2.sql'
s=open(up).read()
rd=lambda p: open(root+'src/sql/'+p).read().rstrip('\n')
sec=open(root+'src/sql/90_security.sql').read()
hist=open(root+'src/sql/89_history_added.sql').read()
def first(hay, *needles):
    return min(hay.index(n) for n in needles if n in hay)
start=first(s, "--------------------------------------------------------------------------------\n-- Module school",
            "--------------------------------------------------------------------------------\n-- Module learning",
            "--------------------------------------------------------------------------------\n-- Module practice:")
end=s.index("-- What 90_security's blanket grants give")
s=s[:start]+rd('53_school.sql')+"\n\n"+rd('53_school_people.sql')+"\n\n"+rd('54_learning.sql')+"\n\n"+rd('55_quizzes.sql')+"\n\n"+rd('56_cohorts.sql')+"\n\n"+rd('71_practice.sql')+"\n\n"+rd('72_support.sql')+"\n\n"+rd('85_hiring.sql')+"\n\n"+rd('85_hiring_pap.sql')+"\n\n"+rd('85_hiring_pipeline.sql')+"\n\n"+rd('86_crm.sql')+"\n\n"+rd('87_workflow.sql')+"\n\n"+s[end:]
a=first(s, "-- Course school: attempts, checkers", "-- Learning: paths and their modules", "-- Practice: problems and the catalogues")
b=s.index("-- Their data in dumps")
s=s[:a]+sec[sec.index("-- Course school: attempts, checkers"):].rstrip('\n')+"\n\n"+s[b:]
a=first(s, "-- Course school (0.2):", "-- Learning (0.2):", "-- Practice (0.2):")
s=s[:a]+hist[hist.index("-- Course school (0.2):"):]
# 0.1 functions that 0.2 changed: re-created from their module files, between markers.
c51=open(root+'src/sql/51_crosscheck.sql').read()
blk=c51[c51.index("-- Scores per criterion (a review's"):c51.index("-- The discussion of a review")].rstrip('\n')
blk=blk.replace("CREATE FUNCTION crosscheck_submit_review(", "CREATE OR REPLACE FUNCTION crosscheck_submit_review(")
begin="-- 0.1 functions changed in 0.2: begin\n"; endm="-- 0.1 functions changed in 0.2: end\n"
if begin not in s:
    k=s.index("--------------------------------------------------------------------------------\n-- Module school")
    s=s[:k]+begin+endm+"\n"+s[k:]
i=s.index(begin)+len(begin); j=s.index(endm)
s=s[:i]+blk+"\n"+s[j:]
# Module replication (new in 0.2): its body, as in its file.
r96=open(root+'src/sql/96_replication.sql').read()
r96=r96[r96.index("-- The key is (txid, at)"):].rstrip('\n') + '\n'
rb=s.index("-- The key is (txid, at)")
re_=s.index("\n-- The C helpers of the distributions are pure", rb)
s=s[:rb]+r96+s[re_:]
# History (0.2): inserts logged as their key alone, S snapshots and gaps; 0.1 objects re-created.
h=open(root+'src/sql/30_history.sql').read()
def cut(a, b):
    return h[h.index(a):h.index(b)].rstrip('\n') + '\n'
hb = ("ALTER TABLE history_tables ADD COLUMN gaps tstzrange[] NOT NULL DEFAULT '{}';\n"
      + cut("COMMENT ON COLUMN history_tables.gaps IS", "COMMENT ON COLUMN history_tables.shipped IS")
      + cut("COMMENT ON COLUMN history_log.op IS", "COMMENT ON COLUMN history_log.row_id IS")
      + cut("COMMENT ON COLUMN history_log.changes IS", "-- B-tree, not hash")
      + cut("-- An insert is recorded as its key alone", "-- Private columns are removed here, so every reader")
      + cut("CREATE FUNCTION enable_history(", "-- The stored form of a key given as jsonb")
      + cut("-- The first gap in a table's history", "-- \"t.a, t.b\" style lists")
      + cut("CREATE FUNCTION table_as_of(", "CREATE FUNCTION restore_row("))
for name in ("enable_history(", "disable_history(", "_history_rewind(", "table_as_of("):
    hb = hb.replace("CREATE FUNCTION " + name, "CREATE OR REPLACE FUNCTION " + name)
sec90 = open(root+'src/sql/90_security.sql').read()
hb += sec90[sec90.index("-- The state snapshot writes history of any table"):sec90.index("-- Partitions: the trigger makes them")].rstrip('\n') + '\n'
hbeg="-- 0.1 history changed in 0.2: begin\n"; hend="-- 0.1 history changed in 0.2: end\n"
if hbeg not in s:
    k=s.index(begin)
    s=s[:k]+hbeg+hend+"\n"+s[k:]
i=s.index(hbeg)+len(hbeg); j=s.index(hend)
s=s[:i]+hb+s[j:]
# The 0.1 log becomes the partitioned one, every row kept: last, so that whatever the script
# wrote to the old log moves too.  Its partitions are made as at run time (not members).
tbl=h[h.index("CREATE TABLE history_log ("):h.index("CREATE FUNCTION _history_guard()")].rstrip('\n') + '\n'
parts=cut("-- Partitions: an audited write descends", "CREATE FUNCTION _history_guard()")
tbl=tbl.replace(parts, '')
view=cut("-- Private columns are removed here, so every reader", "CREATE FUNCTION _history_qualified(")
conv = ("-- 0.2: the history log partitioned by time: begin\n"
        + parts
        + "ALTER TABLE history_log RENAME TO history_log_0_1;\n"
        + "ALTER INDEX IF EXISTS history_log_replica_key RENAME TO history_log_0_1_replica_key;\n"
        + "ALTER TABLE history_log_0_1 RENAME CONSTRAINT history_log_check TO history_log_0_1_check;\n"
        + tbl
        + "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON history_log\n"
        + "    FOR EACH STATEMENT EXECUTE FUNCTION _history_guard();\n"
        + "GRANT SELECT, INSERT, UPDATE, DELETE ON history_log TO mentor_admin;\n"
        + view.replace("CREATE VIEW history AS", "CREATE OR REPLACE VIEW history AS")
        + cut("COMMENT ON FUNCTION prune_history(timestamptz) IS", "-- Decoding helpers for the view")
        + "DO $move$\n"
        + "DECLARE\n    m timestamptz;\n    pub name;\nBEGIN\n"
        + "    FOR m IN SELECT DISTINCT date_trunc('month', l.at, 'UTC') FROM history_log_0_1 l ORDER BY 1 LOOP\n"
        + "        PERFORM _history_add_partition(m, true);\n"
        + "    END LOOP;\n"
        + "    INSERT INTO history_log SELECT * FROM history_log_0_1;\n"
        + "    IF to_regclass('@extschema@.history_log_0_1_replica_key') IS NOT NULL THEN\n"
        + "        PERFORM history_replica_key();\n"
        + "    END IF;\n"
        + "    FOR pub IN SELECT p.pubname FROM pg_publication p JOIN pg_publication_rel r ON r.prpubid = p.oid\n"
        + "                WHERE r.prrelid = 'history_log_0_1'::regclass LOOP\n"
        + "        EXECUTE format('ALTER PUBLICATION %I ADD TABLE @extschema@.history_log', pub);\n"
        + "        EXECUTE format('ALTER PUBLICATION %I SET (publish_via_partition_root = true)', pub);\n"
        + "    END LOOP;\n"
        + "END\n$move$;\n"
        + "ALTER EXTENSION mentor DROP TABLE history_log_0_1;\n"
        + "DROP TABLE history_log_0_1;\n"
        + sec90[sec90.index("-- Partitions: the trigger makes them"):sec90.index("-- Ledger: money moves only")].rstrip('\n') + '\n'
        + "-- 0.2: the history log partitioned by time: end\n")
cb="-- 0.2: the history log partitioned by time: begin\n"; ce="-- 0.2: the history log partitioned by time: end\n"
if cb in s:
    s=s[:s.index(cb)]+s[s.index(ce)+len(ce):]
s=s.rstrip('\n')+"\n\n"+conv
open(up,'w').write(s)
print("synced")
