//! Every workspace-level test in one binary: each module was a test binary of its own, and each linked all
//! three generated crates; one binary links them once (issue 13). Shared setup lives in `sourcing_tests`.

#[path = "../../fixtures/providers/acme/test.rs"]
mod acme;
mod conformance;
mod dajisaas_e2e;
mod drift;
mod examples;
mod hostile;
mod https;
mod ledger;
mod operation_schemas;
mod pandapon_areas_e2e;
mod pandapon_e2e;
mod retries;
mod sandbox;
mod sandbox_agrees;
mod secrets;
mod signing_vectors;
mod unconfirmed;
mod xportcn_e2e;
