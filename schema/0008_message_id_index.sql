-- The UNIQUE (message_id, raw_sha256) index answers every lookup by
-- Message-ID (dedupe, threading by In-Reply-To and References, bounces)
-- on its first column; the partial index on message_id alone only cost
-- one more index insert for each stored message.
DROP INDEX message_message_id;
