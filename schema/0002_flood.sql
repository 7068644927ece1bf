-- Inbound flood control: the sender of quarantined mail and why it was
-- kept, so a flood can be recognised from both tables, and the index the
-- per-sender count uses.
ALTER TABLE quarantine
    ADD COLUMN from_address text NOT NULL DEFAULT '',
    ADD COLUMN kind text NOT NULL DEFAULT 'error'
        CHECK (kind IN ('error', 'size', 'limit', 'flood'));
UPDATE quarantine SET kind = 'size' WHERE reason = 'over size limit';

CREATE INDEX message_sender_recent ON message (from_address, received_at);
CREATE INDEX quarantine_flood ON quarantine (from_address, received_at)
    WHERE kind = 'flood';
