//! The ledger (`sourcing-ledger`) against real databases, in the workspace test binary (one binary links the
//! generated crates once): SQLite in temporary files, and Postgres when
//! `SOURCING_TEST_POSTGRES_URL` names one (`.ci/postgres.sh start`; `.ci/run` always does, and with `CI` set
//! a missing Postgres fails the run instead of skipping).

mod acme;
mod callbacks;
mod inbox;
mod journal;
mod reconcile;
mod store;
mod support;
mod walk;
