-- The transactional outbox: every mail we send is a row written in the
-- same transaction as the change that causes it, and the sender delivers
-- the rows. The message is composed once, before its first attempt, so a
-- retry sends the same bytes under the same Message-ID.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL
        CHECK (kind IN ('ack', 'reply', 'feedback', 'size_notice', 'command_error')),
    ticket_id   bigint REFERENCES ticket (id) ON DELETE CASCADE,
    -- the inbound message that caused it (an acknowledgement's customer
    -- mail, a relayed agent reply), or NULL
    cause_id    bigint REFERENCES message (id) ON DELETE SET NULL,
    recipients  text[] NOT NULL,           -- To first, then Cc
    address     text,                      -- the support address it is sent from
    detail      text,                      -- text for the template: a relayed
                                           -- reply's body, a command's errors
    created_at  timestamptz NOT NULL DEFAULT now(),
    state       text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'failed', 'suppressed')),
    attempts    integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error  text,
    sent_at     timestamptz,
    message_id  text,                      -- ours, without <>, once composed
    raw         bytea                      -- the composed message
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_recipient ON outbox USING gin (recipients);
CREATE INDEX outbox_ticket ON outbox (ticket_id);

-- Wakes the senders (LISTEN ticketgate_outbox) when rows arrive; the
-- notification is delivered at commit, so it never runs ahead of the row.
CREATE FUNCTION outbox_wake() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ticketgate_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake();

-- A ticket becoming solved, whoever changes it (ticketgate, an agent's
-- command, another program), asks its requester for feedback once per
-- solving; closed and spam ask nothing.
CREATE FUNCTION ticket_solved_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (kind, ticket_id, recipients, address)
    SELECT 'feedback', NEW.id, ARRAY[c.email], NEW.address
    FROM contact c WHERE c.id = NEW.requester_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER ticket_solved_feedback AFTER UPDATE OF status ON ticket
    FOR EACH ROW WHEN (NEW.status = 'solved' AND OLD.status <> 'solved')
    EXECUTE FUNCTION ticket_solved_feedback();
