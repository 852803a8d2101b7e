--------------------------------------------------------------------------------
-- Module hiring, pay after placement (seed 001 Mas101PapAgreementTemplate,
-- Mas101PapWorkflow; journey 6): a student's agreement for a program
-- application moves through its steps, each taken only by the role the
-- journey gives it; the upfront payment and, after placement, the collected
-- fee are ledger transfers in the batch's currency asset, so the finance
-- totals are the ledger's.
--------------------------------------------------------------------------------

CREATE TYPE pap_workflow_status AS ENUM ('pending_mou_details', 'pending_mou_upload', 'pending_mou_review',
                                         'mou_signed_approved', 'pending_payment_option', 'pending_pap_approval',
                                         'pending_upfront_payment', 'enrolled', 'placement_under_review',
                                         'payment_collection_pending');
COMMENT ON TYPE pap_workflow_status IS 'A pay-after-placement workflow''s status (lifecycle "pap_workflow")';

CREATE TABLE pap_agreement_templates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CONSTRAINT pap_agreement_templates_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    version    integer NOT NULL DEFAULT 1 CONSTRAINT pap_agreement_templates_version_positive CHECK (version >= 1),
    body       text NOT NULL CONSTRAINT pap_agreement_templates_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 100000),
    active     boolean NOT NULL DEFAULT true,
    placement_fee bigint CONSTRAINT pap_agreement_templates_placement_fee_nonneg CHECK (placement_fee >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pap_agreement_templates_once UNIQUE (name, version)
);
COMMENT ON TABLE pap_agreement_templates IS
    'Versions of the pay-after-placement agreement (seed 001 Mas101PapAgreementTemplate); written by staff (mentor_admin)';
COMMENT ON COLUMN pap_agreement_templates.placement_fee IS
    'What is collected after placement, in minor units of the batch''s fee asset (NULL: the application''s fee)';
CREATE TRIGGER pap_agreement_templates_touch_updated_at BEFORE UPDATE ON pap_agreement_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE pap_workflows (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id    bigint NOT NULL CONSTRAINT pap_workflows_once UNIQUE REFERENCES program_applications ON DELETE CASCADE,
    user_id           bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    batch_id          bigint REFERENCES batches ON DELETE SET NULL,
    template_id       bigint NOT NULL REFERENCES pap_agreement_templates ON DELETE RESTRICT,
    status            @extschema@.pap_workflow_status NOT NULL DEFAULT 'pending_mou_details',
    mou_details       jsonb NOT NULL DEFAULT '{}'
                      CONSTRAINT pap_workflows_mou_details_object CHECK (jsonb_typeof(mou_details) = 'object'),
    signed_document_url text CONSTRAINT pap_workflows_signed_document_url_http CHECK (signed_document_url ~ '^https://'),
    payment_option    text CONSTRAINT pap_workflows_payment_option CHECK (payment_option IN ('upfront', 'pap')),
    approved_by       bigint REFERENCES users ON DELETE SET NULL,
    payment_transfer_id uuid CONSTRAINT pap_workflows_payment_once UNIQUE,
    placement_details jsonb CONSTRAINT pap_workflows_placement_object CHECK (jsonb_typeof(placement_details) = 'object'),
    collection_transfer_id uuid CONSTRAINT pap_workflows_collection_once UNIQUE,
    collected_amount  bigint,
    collected_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pap_workflows IS
    'A student''s pay-after-placement agreement for a program application (seed 001 Mas101PapWorkflow, journey 6), '
    'one per application; started by the student with start_pap(), moved only by pap_step()';
COMMENT ON COLUMN pap_workflows.status IS 'Lifecycle pap_workflow (journey 6: details and eSign at once, the payment option at approval)';
COMMENT ON COLUMN pap_workflows.payment_transfer_id IS 'The ledger transfer of an upfront payment';
COMMENT ON COLUMN pap_workflows.placement_details IS 'The placement reported (employer, role, salary, offer letter ...)';
COMMENT ON COLUMN pap_workflows.collection_transfer_id IS
    'The ledger transfer of the fee collected after placement; with collected_at set the agreement is settled';
CREATE INDEX pap_workflows_user_idx ON pap_workflows (user_id);
CREATE TRIGGER pap_workflows_touch_updated_at BEFORE UPDATE ON pap_workflows
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER pap_workflows_owned_columns
    BEFORE INSERT OR UPDATE OF status, mou_details, signed_document_url, payment_option, approved_by, payment_transfer_id,
                               placement_details, collection_transfer_id, collected_amount, collected_at
    ON pap_workflows FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('A pay-after-placement workflow moves through mentor.start_pap() and mentor.pap_step().',
                                         'status', 'mou_details', 'signed_document_url', 'payment_option', 'approved_by',
                                         'payment_transfer_id', 'placement_details', 'collection_transfer_id',
                                         'collected_amount', 'collected_at');
SELECT attach_lifecycle('pap_workflows', 'status', 'pap_workflow');

CREATE FUNCTION start_pap(application_id bigint, template_id bigint) RETURNS pap_workflows
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    app program_applications;
    w   pap_workflows;
BEGIN
    SELECT * INTO app FROM program_applications p WHERE p.id = start_pap.application_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'program application % does not exist', coalesce(application_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF app.user_id IS DISTINCT FROM current_actor() THEN
        RAISE EXCEPTION 'only the applicant starts a pay-after-placement agreement' USING ERRCODE = 'MN005',
            DETAIL = format('The acting user is %s.', coalesce(current_actor()::text, 'not set'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pap_agreement_templates t WHERE t.id = start_pap.template_id AND t.active) THEN
        RAISE EXCEPTION 'agreement template % is not an active template', template_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO pap_workflows AS x (application_id, user_id, batch_id, template_id)
    VALUES (app.id, app.user_id, app.batch_id, template_id)
    ON CONFLICT ON CONSTRAINT pap_workflows_once DO NOTHING;
    SELECT * INTO w FROM pap_workflows x WHERE x.application_id = app.id;
    RETURN w;
END
$$;
COMMENT ON FUNCTION start_pap(bigint, bigint) IS
    'The applicant (the acting user) starts the pay-after-placement agreement of their program application on an '
    'active template (again: the same workflow); MN005 for anyone else';

-- Each step and the role that takes it (journey 6): the student gives the details, eSigns and
-- chooses how to pay; staff approve the agreement and the plan, confirm the upfront payment;
-- the placement is reported by the student or staff, approved and collected by staff.
CREATE FUNCTION pap_step(workflow_id bigint, step text, details jsonb DEFAULT NULL, document_url text DEFAULT NULL,
                         payment_option text DEFAULT NULL, payment_ref text DEFAULT NULL, payment_id uuid DEFAULT NULL)
RETURNS pap_workflows
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := current_actor();
    w       pap_workflows;
    staff   boolean := _actor_is_staff();
    fee     bigint;
    asset   text;
    student_step boolean := step IN ('submit_details', 'upload_document', 'choose_payment');
    either_step  boolean := step = 'report_placement';
BEGIN
    SELECT * INTO w FROM pap_workflows x WHERE x.id = pap_step.workflow_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pay-after-placement workflow % does not exist', coalesce(workflow_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    IF step IS NULL OR step NOT IN ('submit_details', 'upload_document', 'approve_mou', 'choose_payment', 'approve_pap',
                                    'confirm_upfront_payment', 'report_placement', 'approve_placement', 'collect_payment') THEN
        RAISE EXCEPTION 'unknown pay-after-placement step "%"', step USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Steps: submit_details, upload_document, approve_mou, choose_payment, approve_pap, confirm_upfront_payment, '
                   'report_placement, approve_placement, collect_payment.';
    END IF;
    IF (either_step AND me IS DISTINCT FROM w.user_id AND NOT staff)
       OR (student_step AND me IS DISTINCT FROM w.user_id)
       OR (NOT student_step AND NOT either_step AND NOT staff) THEN
        RAISE EXCEPTION 'step % of workflow % is the %''s', step, w.id,
            CASE WHEN either_step THEN 'student''s or staff' WHEN student_step THEN 'student' ELSE 'staff' END
            USING ERRCODE = 'MN005', DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    CASE step
    WHEN 'submit_details' THEN
        -- Details and eSign at once (journey 6), or the signed document to follow.
        UPDATE pap_workflows x SET mou_details = coalesce(details, '{}'), signed_document_url = document_url,
               status = CASE WHEN document_url IS NULL THEN 'pending_mou_upload' ELSE 'pending_mou_review' END::pap_workflow_status
         WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'upload_document' THEN
        UPDATE pap_workflows x SET signed_document_url = document_url, status = 'pending_mou_review' WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'approve_mou' THEN
        UPDATE pap_workflows x SET status = 'mou_signed_approved', approved_by = me WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'choose_payment' THEN
        IF payment_option IS NULL OR payment_option NOT IN ('upfront', 'pap') THEN
            RAISE EXCEPTION 'the payment option is upfront or pap' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        UPDATE pap_workflows x SET payment_option = pap_step.payment_option,
               status = CASE pap_step.payment_option WHEN 'pap' THEN 'pending_pap_approval' ELSE 'pending_upfront_payment' END::pap_workflow_status
         WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'approve_pap' THEN
        UPDATE pap_workflows x SET status = 'enrolled', approved_by = me WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'confirm_upfront_payment' THEN
        IF w.status = 'enrolled' AND w.payment_transfer_id IS NOT DISTINCT FROM payment_id THEN
            RETURN w;   -- a retry of the same payment
        END IF;
        IF w.status <> 'pending_upfront_payment' THEN
            RAISE EXCEPTION 'workflow % is %, not waiting for an upfront payment', w.id, w.status USING ERRCODE = 'MN006';
        END IF;
        SELECT _application_fee(w.application_id), b.fee_asset INTO fee, asset FROM batches b WHERE b.id = w.batch_id;
        IF payment_id IS NULL OR payment_ref IS NULL OR btrim(payment_ref) = '' THEN
            RAISE EXCEPTION 'an upfront payment needs its id and the payment reference' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF coalesce(fee, 0) > 0 THEN
            PERFORM transfer(payment_id, system_account('external', asset), system_account('revenue', asset), fee,
                             'fee', payment_ref);
        END IF;
        UPDATE pap_workflows x SET status = 'enrolled', payment_transfer_id = payment_id WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'report_placement' THEN
        IF jsonb_typeof(details) IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'a placement is reported with its details, a JSON object' USING ERRCODE = 'invalid_parameter_value',
                HINT = 'For example {"employer": "Acme", "role": "Backend engineer", "salary": 1400000}.';
        END IF;
        UPDATE pap_workflows x SET placement_details = details, status = 'placement_under_review' WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'approve_placement' THEN
        UPDATE pap_workflows x SET status = 'payment_collection_pending', approved_by = me WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'collect_payment' THEN
        IF w.collected_at IS NOT NULL AND w.collection_transfer_id IS NOT DISTINCT FROM payment_id THEN
            RETURN w;   -- a retry of the same collection
        END IF;
        IF w.status <> 'payment_collection_pending' OR w.collected_at IS NOT NULL THEN
            RAISE EXCEPTION 'workflow % is %, not waiting for the placement fee', w.id,
                CASE WHEN w.collected_at IS NULL THEN w.status::text ELSE 'settled' END USING ERRCODE = 'MN006';
        END IF;
        IF payment_id IS NULL OR payment_ref IS NULL OR btrim(payment_ref) = '' THEN
            RAISE EXCEPTION 'a collected fee needs its id and the payment reference' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT coalesce(t.placement_fee, _application_fee(w.application_id)), b.fee_asset INTO fee, asset
          FROM pap_agreement_templates t, batches b WHERE t.id = w.template_id AND b.id = w.batch_id;
        IF coalesce(fee, 0) > 0 THEN
            PERFORM transfer(payment_id, system_account('external', asset), system_account('revenue', asset), fee,
                             'fee', payment_ref);
        END IF;
        UPDATE pap_workflows x SET collection_transfer_id = payment_id, collected_amount = coalesce(fee, 0), collected_at = now()
         WHERE x.id = w.id RETURNING * INTO w;
    END CASE;
    RETURN w;
END
$$;
COMMENT ON FUNCTION pap_step(bigint, text, jsonb, text, text, text, uuid) IS
    'Moves a pay-after-placement workflow one step, by the role journey 6 gives it (MN005 otherwise): the student '
    'submit_details (with the signed document: straight to review), upload_document, choose_payment (upfront or pap); '
    'staff approve_mou, approve_pap, confirm_upfront_payment (the application''s fee, batch fee less approved '
    'discounts, as a ledger transfer from external to revenue in the batch''s asset, payment_id its idempotency key); '
    'after enrollment the student or staff report_placement (details), staff approve_placement and collect_payment '
    '(the template''s placement_fee, or the application''s fee, as a ledger transfer; collected_at set). A step the '
    'lifecycle does not allow from the current status is MN001';

ALTER TABLE pap_workflows ENABLE ROW LEVEL SECURITY;
CREATE POLICY pap_workflows_select ON pap_workflows FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY pap_workflows_insert ON pap_workflows FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY pap_workflows_update ON pap_workflows FOR UPDATE TO mentor_app USING (false);
CREATE POLICY pap_workflows_delete ON pap_workflows FOR DELETE TO mentor_app USING (false);
