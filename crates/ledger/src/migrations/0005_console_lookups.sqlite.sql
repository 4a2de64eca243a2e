-- Owners: the order ledger (sourcing-ledger, `ledger_*`) and the callback inbox (sourcing-webhooks,
-- `inbox_*`). What the operator console and `ledger list --state needs_person|reported` ask, each answered
-- from an index at 1,000,000 orders (tests/benches/ledger_scale.rs and docs/PERFORMANCE.md, "Ledger at
-- scale"). The partial indexes hold only the few rows a person must look at: by entry id (the attention
-- page, `ledger list`) and by provider and entry id (the orders page's provider filter).
CREATE INDEX ledger_orders_needing_a_person ON ledger_orders (entry_id) WHERE needs_person IS NOT NULL;
CREATE INDEX ledger_orders_needing_a_person_by_provider ON ledger_orders (provider, entry_id)
    WHERE needs_person IS NOT NULL;
CREATE INDEX ledger_orders_reported ON ledger_orders (entry_id) WHERE confirmed = 0;
CREATE INDEX ledger_orders_reported_by_provider ON ledger_orders (provider, entry_id) WHERE confirmed = 0;
-- The orders page filtered by provider and state, newest first (keyset on entry id).
CREATE INDEX ledger_orders_by_provider_state ON ledger_orders (provider, state, entry_id);
-- The attention page's chart of orders per provider per day: a range of days read from the index alone.
CREATE INDEX ledger_orders_by_created_at_provider ON ledger_orders (created_at_ms, provider);
-- An order's callbacks (the console's order page).
CREATE INDEX inbox_messages_by_order_id ON inbox_messages (order_id, provider);
-- Dead letters (the attention page's list), and the charts of callbacks per provider per day.
CREATE INDEX inbox_messages_dead ON inbox_messages (id) WHERE state = 'dead';
CREATE INDEX inbox_messages_by_received_at ON inbox_messages (received_at_ms, provider, state);
