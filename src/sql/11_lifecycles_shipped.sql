--------------------------------------------------------------------------------
-- Shipped lifecycles.  Where a seed document draws a state diagram, the
-- transitions are the diagram's ('[*]' is its start/end marker), plus the
-- steps that the platform's own journeys take past it (marked "journey").
-- Where a seed only lists the states of an enum, the transitions are ours,
-- the forward path those states describe; README.md ("Lifecycles") lists
-- every one.  Redefine any of them with mentor.define_lifecycle().
--------------------------------------------------------------------------------

-- 001: Slots.status (MeetingStatus) - as drawn, plus the ends the diagram
-- leaves open, which the sessions functions take (marked "ours"): a mentor
-- withdraws an open slot, a mentor turns a meeting request down, an admin
-- resolves a review, the other party declines a cancellation request.
SELECT _ship_lifecycle('slot', ARRAY[
    ['[*]', 'tentative'],
    ['tentative', 'meeting_requested'],
    ['meeting_requested', 'confirmed'],
    ['tentative', 'confirmed'],
    ['confirmed', 'under_review'],
    ['confirmed', 'completed'],
    ['confirmed', 'cancellation_requested'],
    ['cancellation_requested', 'cancelled'],
    ['confirmed', 'cancelled'],
    ['completed', '[*]'],
    ['cancelled', '[*]'],
    -- ours
    ['tentative', 'cancelled'],
    ['meeting_requested', 'cancelled'],
    ['under_review', 'completed'],
    ['under_review', 'cancelled'],
    ['cancellation_requested', 'confirmed']], true);

-- 001: Application.status (ApplicationStatus) - as drawn.
SELECT _ship_lifecycle('program_application', ARRAY[
    ['[*]', 'draft'],
    ['draft', 'submitted'],
    ['submitted', 'under_review'],
    ['under_review', 'approved'],
    ['under_review', 'rejected'],
    ['approved', 'payment_received'],
    ['payment_received', 'paid'],
    ['paid', 'batch_allocated'],
    ['batch_allocated', 'enrolled'],
    ['enrolled', 'deboarded'],
    ['rejected', '[*]'],
    ['deboarded', '[*]']], true);

-- 001: JobApplication.status (CandidateStatus) - as drawn.
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
    -- journey 4: the screening service scores a parsed resume directly (no outreach, quiz or call)
    ['resume_parsed', 'scoring_complete']], true);

-- 001: Mas101PapWorkflow.status (pay after placement) - as drawn.
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
    -- journey 6: details and eSign in one step; the payment option chosen right after approval
    ['pending_mou_details', 'pending_mou_review'],
    ['mou_signed_approved', 'pending_pap_approval'],
    ['mou_signed_approved', 'pending_upfront_payment']], true);

-- 001: WorkflowEnrollment.status - as drawn.
SELECT _ship_lifecycle('workflow_enrollment', ARRAY[
    ['[*]', 'active'],
    ['active', 'waiting'],
    ['waiting', 'active'],
    ['active', 'paused'],
    ['paused', 'active'],
    ['active', 'completed'],
    ['active', 'failed'],
    ['active', 'cancelled'],
    ['completed', '[*]'],
    ['failed', '[*]'],
    ['cancelled', '[*]']], true);

-- 001: MeetingRecording.status (states listed by the seed; transitions ours).
SELECT _ship_lifecycle('recording', ARRAY[
    ['[*]', 'recording'],
    ['recording', 'processing'],
    ['recording', 'failed'],
    ['processing', 'uploaded'],
    ['processing', 'failed'],
    ['uploaded', 'deleted'],
    ['failed', 'deleted'],
    ['deleted', '[*]']], true);

-- 001: TokenPurchase.status (PaymentStatus).
SELECT _ship_lifecycle('token_purchase', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'completed'],
    ['pending', 'failed'],
    ['pending', 'cancelled']], true);

-- 001: Enrollment.status.
SELECT _ship_lifecycle('enrollment', ARRAY[
    ['[*]', 'not_started'],
    ['not_started', 'in_progress'],
    ['in_progress', 'completed']], true);

-- 001: Batch.status.
SELECT _ship_lifecycle('batch', ARRAY[
    ['[*]', 'upcoming'],
    ['upcoming', 'active'],
    ['upcoming', 'cancelled'],
    ['active', 'completed'],
    ['active', 'cancelled']], true);

-- 001: CoursePlan.status (AI-generated plans: generate, review, run).
SELECT _ship_lifecycle('course_plan', ARRAY[
    ['[*]', 'draft'],
    ['draft', 'generating'],
    ['generating', 'draft'],
    ['generating', 'failed'],
    ['failed', 'generating'],
    ['draft', 'approved'],
    ['approved', 'paused'],
    ['paused', 'approved'],
    ['approved', 'completed']], true);

-- 001: Lead.status (ACTIVE, ARCHIVED, DELETED, listed): archived leads can come back; deleted is final.
SELECT _ship_lifecycle('lead', ARRAY[
    ['[*]', 'active'],
    ['active', 'archived'],
    ['archived', 'active'],
    ['active', 'deleted'],
    ['archived', 'deleted'],
    ['deleted', '[*]']], true);

-- 001: VendorApiKey.status.
SELECT _ship_lifecycle('vendor_key', ARRAY[
    ['[*]', 'active'],
    ['active', 'disabled'],
    ['disabled', 'active'],
    ['active', 'revoked'],
    ['disabled', 'revoked']], true);

-- 001: JobPost.status.
SELECT _ship_lifecycle('job_post', ARRAY[
    ['[*]', 'draft'],
    ['draft', 'active'],
    ['draft', 'closed'],
    ['active', 'paused'],
    ['paused', 'active'],
    ['active', 'closed'],
    ['paused', 'closed']], true);

-- 000: Registry.status - a registration request to join a course.
SELECT _ship_lifecycle('registration', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'approved'],
    ['pending', 'rejected'],
    ['approved', '[*]'],
    ['rejected', '[*]']], true);

-- 001: mentor withdrawals (MentorEarnings withdrawal status).
SELECT _ship_lifecycle('withdrawal', ARRAY[
    ['[*]', 'requested'],
    ['requested', 'approved'],
    ['requested', 'rejected'],
    ['approved', 'paid']], true);

-- 004: sessions.  pending = open/unclaimed, proposed = a mentor proposed it,
-- requested = a mentee asked for it; rescheduled = it was moved to a new time
-- (still to take place).  A new time awaiting an answer is proposed_during.
SELECT _ship_lifecycle('session', ARRAY[
    ['[*]', 'pending'],
    ['[*]', 'proposed'],
    ['[*]', 'requested'],
    ['pending', 'proposed'],
    ['pending', 'requested'],
    ['pending', 'confirmed'],
    ['pending', 'cancelled'],
    ['proposed', 'confirmed'],
    ['proposed', 'rejected'],
    ['proposed', 'cancelled'],
    ['requested', 'confirmed'],
    ['requested', 'rejected'],
    ['requested', 'cancelled'],
    ['confirmed', 'rescheduled'],
    ['confirmed', 'completed'],
    ['confirmed', 'cancelled'],
    ['rescheduled', 'confirmed'],
    ['rescheduled', 'completed'],
    ['rescheduled', 'cancelled'],
    ['rejected', '[*]'],
    ['completed', '[*]'],
    ['cancelled', '[*]']], true);

-- 004: matches (approved or rejected by an admin).
SELECT _ship_lifecycle('match', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'approved'],
    ['pending', 'rejected']], true);

-- 004: user connections.
SELECT _ship_lifecycle('connection', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'accepted'],
    ['pending', 'rejected']], true);

-- 004: proxy requests (maternity leave coverage).
SELECT _ship_lifecycle('proxy_request', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'accepted'],
    ['pending', 'rejected'],
    ['accepted', 'completed']], true);

-- 004: action items.
SELECT _ship_lifecycle('action_item', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'in_progress'],
    ['pending', 'completed'],
    ['in_progress', 'completed']], true);

-- 004: profile onboarding.
SELECT _ship_lifecycle('onboarding', ARRAY[
    ['[*]', 'not_started'],
    ['not_started', 'in_progress'],
    ['in_progress', 'completed']], true);

-- 004: reported issues (a resolved issue can be reopened).
SELECT _ship_lifecycle('reported_issue', ARRAY[
    ['[*]', 'open'],
    ['open', 'in_progress'],
    ['open', 'resolved'],
    ['in_progress', 'resolved'],
    ['resolved', 'open']], true);

-- 002: mentorships, PENDING to COMPLETED.
SELECT _ship_lifecycle('mentorship', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'active'],
    ['pending', 'rejected'],
    ['pending', 'cancelled'],
    ['active', 'completed'],
    ['active', 'cancelled']], true);

-- 002: suggestions (the user's response).
SELECT _ship_lifecycle('suggestion', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'accepted'],
    ['pending', 'declined']], true);

-- 003: code submissions (interpreted languages skip compiling).  A judge's
-- lease that runs out puts it back to pending (0.2).
SELECT _ship_lifecycle('submission', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'compiling'],
    ['pending', 'running'],
    ['pending', 'failed'],
    ['compiling', 'running'],
    ['compiling', 'failed'],
    ['compiling', 'pending'],
    ['running', 'pending'],
    ['running', 'completed'],
    ['running', 'failed']], true);

-- 003: mock interview sessions.
SELECT _ship_lifecycle('interview_session', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'in_progress'],
    ['in_progress', 'completed']], true);

-- 003: pair-programming collaboration sessions.
SELECT _ship_lifecycle('collaboration_session', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'active'],
    ['active', 'completed']], true);

-- 000: CourseTask.crossCheckStatus - as drawn.
SELECT _ship_lifecycle('crosscheck', ARRAY[
    ['[*]', 'initial'],
    ['initial', 'distributed'],
    ['distributed', 'completed']], true);
