-- Where the IMAP poller stands in each mailbox: written in the same
-- transaction as the messages it covers, so a crash repeats at most
-- uncommitted work. A new UIDVALIDITY starts the mailbox again from 0
-- (the message table's uniqueness absorbs the repeats).
CREATE TABLE mailbox_state (
    mailbox     text PRIMARY KEY,        -- "account/folder" from the config
    uidvalidity bigint NOT NULL,
    last_uid    bigint NOT NULL DEFAULT 0, -- every UID up to it is stored
    updated_at  timestamptz NOT NULL DEFAULT now()
);
