-- Owner: the callback inbox (sourcing-webhooks; SQL in sourcing-ledger's src/inbox.rs). One row per distinct
-- callback message; the UNIQUE dedup_key is the deduplication. Times are milliseconds since the Unix epoch.
CREATE TABLE inbox_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The callback format's name: how to parse `body` again.
    provider TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    order_id TEXT,
    -- The request body exactly as received.
    body BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
    -- Handler runs started (claims), crashed runs included.
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Deliveries received: 1 + acknowledged duplicates.
    deliveries BIGINT NOT NULL DEFAULT 1,
    received_at_ms BIGINT NOT NULL,
    due_at_ms BIGINT NOT NULL,
    -- The worker holding the message, until lease_until_ms.
    lease_owner TEXT,
    lease_until_ms BIGINT,
    handled_at_ms BIGINT,
    last_error TEXT
);
CREATE INDEX inbox_messages_due ON inbox_messages (provider, state, due_at_ms);
