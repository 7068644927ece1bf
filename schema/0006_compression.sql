-- Raw messages are mostly base64 and quoted-printable, which pglz (the
-- default) compresses slowly and hardly at all; lz4 is several times
-- cheaper for the same result. Attachment bytes are usually compressed
-- formats already: stored as they are.
ALTER TABLE message ALTER COLUMN raw SET COMPRESSION lz4;
ALTER TABLE message ALTER COLUMN body_text SET COMPRESSION lz4;
ALTER TABLE quarantine ALTER COLUMN raw SET COMPRESSION lz4;
ALTER TABLE outbox ALTER COLUMN raw SET COMPRESSION lz4;
ALTER TABLE blob ALTER COLUMN data SET STORAGE EXTERNAL;
