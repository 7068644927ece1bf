-- The customer's answer to the feedback request (1 to 5), and when.
ALTER TABLE ticket
    ADD COLUMN feedback_rating smallint CHECK (feedback_rating BETWEEN 1 AND 5),
    ADD COLUMN feedback_at timestamptz;
