-- ticketgate schema, version 1: tickets, their mail, the customer records
-- that route them, quarantine and change events. Applied by
-- `ticketgate migrate` in one transaction; never edited once released.

CREATE TYPE account_status AS ENUM
    ('paid', 'trial', 'potential', 'potential_vip', 'community');
CREATE TYPE ticket_status AS ENUM
    ('open', 'pending', 'on_hold', 'solved', 'closed', 'spam');
CREATE TYPE ticket_priority AS ENUM ('urgent', 'high', 'medium', 'low');
CREATE TYPE ticket_channel AS ENUM ('email', 'web', 'phone', 'social');
CREATE TYPE message_direction AS ENUM ('inbound', 'outbound');
CREATE TYPE author_kind AS ENUM ('customer', 'agent', 'system');

CREATE TABLE department (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE
);

-- SLA policies mirror the configuration (synchronised at start-up), so
-- that other tools reading the database see the same targets.
CREATE TABLE sla_policy (
    name        text PRIMARY KEY,
    calendar    text NOT NULL
);

CREATE TABLE sla_target (
    policy      text NOT NULL REFERENCES sla_policy (name) ON DELETE CASCADE,
    priority    ticket_priority NOT NULL,
    first_response_minutes integer NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes     integer NOT NULL CHECK (resolution_minutes > 0),
    PRIMARY KEY (policy, priority)
);

-- Customer accounts exported from the CRM.
CREATE TABLE account (
    id          bigserial PRIMARY KEY,
    crm_id      text NOT NULL UNIQUE,
    name        text NOT NULL,
    status      account_status NOT NULL,
    sla_policy  text REFERENCES sla_policy (name) ON UPDATE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Sender domains that identify an account when the contact is unknown.
CREATE TABLE account_domain (
    domain      text PRIMARY KEY CHECK (domain = lower(domain)),
    account_id  bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE
);
CREATE INDEX account_domain_account ON account_domain (account_id);

CREATE TABLE contact (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL UNIQUE CHECK (email = lower(email)),
    name        text NOT NULL DEFAULT '',
    account_id  bigint REFERENCES account (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_account ON contact (account_id);

CREATE TABLE agent (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL UNIQUE CHECK (email = lower(email)),
    name        text NOT NULL DEFAULT '',
    department_id integer REFERENCES department (id) ON DELETE SET NULL,
    active      boolean NOT NULL DEFAULT true
);

CREATE SEQUENCE ticket_number_seq START 1000;

CREATE TABLE ticket (
    id          bigserial PRIMARY KEY,
    number      bigint NOT NULL UNIQUE DEFAULT nextval('ticket_number_seq'),
    subject     text NOT NULL DEFAULT '',
    status      ticket_status NOT NULL DEFAULT 'open',
    priority    ticket_priority NOT NULL DEFAULT 'medium',
    channel     ticket_channel NOT NULL,
    department_id integer REFERENCES department (id),
    account_id  bigint REFERENCES account (id) ON DELETE SET NULL,
    requester_id bigint REFERENCES contact (id),
    assignee_id bigint REFERENCES agent (id) ON DELETE SET NULL,
    tags        text[] NOT NULL DEFAULT '{}',
    address     text,           -- the support address the mail came to
    language    text,
    sla_policy  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    first_response_due timestamptz,
    resolution_due     timestamptz,
    first_response_at  timestamptz,
    first_response_met boolean,
    solved_at   timestamptz,
    previous_ticket_id bigint REFERENCES ticket (id)
);
CREATE INDEX ticket_status ON ticket (status);
CREATE INDEX ticket_requester ON ticket (requester_id);
CREATE INDEX ticket_account ON ticket (account_id);
CREATE INDEX ticket_assignee ON ticket (assignee_id);

CREATE TABLE participant (
    ticket_id   bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    contact_id  bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('requester', 'cc')),
    PRIMARY KEY (ticket_id, contact_id)
);
CREATE INDEX participant_contact ON participant (contact_id);

CREATE TABLE message (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint REFERENCES ticket (id) ON DELETE CASCADE,
    direction   message_direction NOT NULL,
    author_kind author_kind NOT NULL,
    contact_id  bigint REFERENCES contact (id) ON DELETE SET NULL,
    agent_id    bigint REFERENCES agent (id) ON DELETE SET NULL,
    message_id  text NOT NULL DEFAULT '',   -- without <>; '' when absent
    in_reply_to text[] NOT NULL DEFAULT '{}',
    refs        text[] NOT NULL DEFAULT '{}',
    from_address text NOT NULL DEFAULT '',
    from_name   text NOT NULL DEFAULT '',
    to_addresses text[] NOT NULL DEFAULT '{}',
    cc_addresses text[] NOT NULL DEFAULT '{}',
    subject     text NOT NULL DEFAULT '',
    sent_at     timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    class       text NOT NULL DEFAULT 'normal',
    internal    boolean NOT NULL DEFAULT false,
    body_text   text NOT NULL DEFAULT '',
    reply_text  text NOT NULL DEFAULT '',
    raw         bytea NOT NULL,
    raw_sha256  bytea NOT NULL,
    source      text NOT NULL,          -- 'deliver', 'imap:<mailbox>', ...
    -- an MTA retry stores once; two different mails sharing a Message-ID
    -- are both kept
    UNIQUE (message_id, raw_sha256)
);
CREATE INDEX message_ticket ON message (ticket_id);
CREATE INDEX message_message_id ON message (message_id) WHERE message_id <> '';

-- Attachment contents, stored once however often they are sent.
CREATE TABLE blob (
    sha256      bytea PRIMARY KEY,
    size        bigint NOT NULL,
    data        bytea NOT NULL
);

CREATE TABLE attachment (
    message_id  bigint NOT NULL REFERENCES message (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    filename    text,
    content_type text NOT NULL,
    content_id  text,
    sha256      bytea NOT NULL REFERENCES blob (sha256),
    PRIMARY KEY (message_id, position)
);
CREATE INDEX attachment_blob ON attachment (sha256);

-- Mail that could not be parsed or stored, kept whole with the reason.
CREATE TABLE quarantine (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    source      text NOT NULL,
    envelope_to text,
    reason      text NOT NULL,
    raw         bytea NOT NULL,
    raw_sha256  bytea NOT NULL,
    reprocessed_at timestamptz
);
CREATE INDEX quarantine_open ON quarantine (received_at) WHERE reprocessed_at IS NULL;

-- Status, priority and assignee changes, whoever makes them: a trigger
-- records each, so programs other than ticketgate are covered too.
CREATE TABLE ticket_event (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    old_value   text,
    new_value   text,
    detail      text
);
CREATE INDEX ticket_event_ticket ON ticket_event (ticket_id, at);

CREATE FUNCTION ticket_record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO ticket_event (ticket_id, kind, old_value, new_value)
        VALUES (NEW.id, 'status', OLD.status::text, NEW.status::text);
        IF NEW.status = 'solved' THEN
            NEW.solved_at := now();
        END IF;
    END IF;
    IF NEW.priority IS DISTINCT FROM OLD.priority THEN
        INSERT INTO ticket_event (ticket_id, kind, old_value, new_value)
        VALUES (NEW.id, 'priority', OLD.priority::text, NEW.priority::text);
    END IF;
    IF NEW.assignee_id IS DISTINCT FROM OLD.assignee_id THEN
        INSERT INTO ticket_event (ticket_id, kind, old_value, new_value)
        VALUES (NEW.id, 'assignee', OLD.assignee_id::text, NEW.assignee_id::text);
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER ticket_change BEFORE UPDATE ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_record_change();
