-- What a composed mail says, kept beside its bytes so that the ticket's
-- history shows it (subject with the ticket token, and the text part)
-- once it is sent. NULL for rows composed before this column existed.
ALTER TABLE outbox ADD COLUMN subject text, ADD COLUMN body_text text;
