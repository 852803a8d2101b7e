-- mentor 0.1 -> 0.2.  Every schema change made after the 0.1 release goes here
-- as well as into its module file (src/sql/NN_module.sql), in the order it was
-- made, so that `ALTER EXTENSION mentor UPDATE` turns a 0.1 database into what
-- a fresh 0.2 install is, keeping every row.  test/scripts/upgrade.sh compares
-- the two catalogs object by object and fails on any difference.
\echo Use "ALTER EXTENSION mentor UPDATE TO '0.2'" to load this file. \quit

-- Lifecycles the platforms' own code can follow: the journeys' shortcuts in
-- candidate (journey 4) and pap_workflow (journey 6), and the lead lifecycle.
-- Re-shipping replaces the shipped definitions only; a database's own
-- definitions of the same names (define_lifecycle) stay in force.
SELECT _ship_lifecycle('candidate', ARRAY[
    ['[*]', 'resume_received'],
    ['resume_received', 'resume_parsed'],
    ['resume_parsed', 'outreach_sent'],
    ['outreach_sent', 'quiz_invited'],
    ['quiz_invited', 'quiz_completed'],
    ['quiz_completed', 'voice_interview_scheduled'],
    ['voice_interview_scheduled', 'voice_interview_completed'],
    ['voice_interview_completed', 'scoring_complete'],
    ['scoring_complete', 'shortlisted'],
    ['scoring_complete', 'talent_pool'],
    ['shortlisted', '[*]'],
    ['talent_pool', '[*]'],
    ['resume_parsed', 'scoring_complete']], true);
SELECT _ship_lifecycle('pap_workflow', ARRAY[
    ['[*]', 'pending_mou_details'],
    ['pending_mou_details', 'pending_mou_upload'],
    ['pending_mou_upload', 'pending_mou_review'],
    ['pending_mou_review', 'mou_signed_approved'],
    ['mou_signed_approved', 'pending_payment_option'],
    ['pending_payment_option', 'pending_pap_approval'],
    ['pending_payment_option', 'pending_upfront_payment'],
    ['pending_pap_approval', 'enrolled'],
    ['pending_upfront_payment', 'enrolled'],
    ['enrolled', 'placement_under_review'],
    ['placement_under_review', 'payment_collection_pending'],
    ['payment_collection_pending', '[*]'],
    ['pending_mou_details', 'pending_mou_review'],
    ['mou_signed_approved', 'pending_pap_approval'],
    ['mou_signed_approved', 'pending_upfront_payment']], true);
SELECT _ship_lifecycle('lead', ARRAY[
    ['[*]', 'active'],
    ['active', 'archived'],
    ['archived', 'active'],
    ['active', 'deleted'],
    ['archived', 'deleted'],
    ['deleted', '[*]']], true);
