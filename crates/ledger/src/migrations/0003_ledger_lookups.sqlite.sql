-- Owner: the order ledger (sourcing-ledger). `ledger show ORDER_ID` without a provider and
-- `ledger list --external-id` / `ledger show --external-id`: indexes on each id alone (the unique index is
-- on (provider, order_id)), and on creation time for `ledger list --since/--until`.
CREATE INDEX ledger_orders_by_order_id_alone ON ledger_orders (order_id);
CREATE INDEX ledger_orders_by_external_order_id ON ledger_orders (external_order_id);
CREATE INDEX ledger_orders_by_created_at ON ledger_orders (created_at_ms);
