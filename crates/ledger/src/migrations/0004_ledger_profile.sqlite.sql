-- Owner: the order ledger (sourcing-ledger). The configuration profile (the account) an entry was recorded
-- with (`sourcing buy --profile`, `Ledger::with_profile`); NULL for the environment's credentials, the
-- sandbox, callbacks and entries older than this migration. Indexed for `ledger list --profile`.
ALTER TABLE ledger_orders ADD COLUMN profile TEXT;
CREATE INDEX ledger_orders_by_profile ON ledger_orders (profile);
