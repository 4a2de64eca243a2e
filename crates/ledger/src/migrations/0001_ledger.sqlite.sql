-- Owner: the order ledger (sourcing-ledger). One row per order, one append-only row per event.
CREATE TABLE ledger_orders (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    -- The vendor's order id, exact text; NULL until known (a create whose answer is missing).
    order_id TEXT,
    state TEXT NOT NULL,
    -- 1: the state comes from our own call's answer or an order read; 0: only reported by a callback.
    confirmed BIGINT NOT NULL,
    -- `buy` (recorded through sourcing-buy) or `callback` (known only from a callback).
    origin TEXT NOT NULL,
    -- Why a person must look at the order (reconcile could not settle it); NULL otherwise.
    needs_person TEXT,
    -- The order draft as JSON (preview / create), to match a create to its preview.
    draft TEXT,
    external_order_id TEXT,
    -- Exact decimal text and its unit (`fen` / `yuan`).
    amount TEXT,
    amount_unit TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX ledger_orders_by_order_id ON ledger_orders (provider, order_id);
CREATE INDEX ledger_orders_by_state ON ledger_orders (state);

CREATE TABLE ledger_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id BIGINT NOT NULL REFERENCES ledger_orders (entry_id),
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    -- `buy`, `callback` or `reconcile`.
    source TEXT NOT NULL,
    state_after TEXT NOT NULL,
    amount TEXT,
    amount_unit TEXT,
    -- The raw answer, callback body or error, as sent/received.
    detail TEXT
);
CREATE INDEX ledger_events_by_entry ON ledger_events (entry_id, event_id);

CREATE TRIGGER ledger_events_no_update BEFORE UPDATE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger_events is append-only'); END;
CREATE TRIGGER ledger_events_no_delete BEFORE DELETE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger_events is append-only'); END;
