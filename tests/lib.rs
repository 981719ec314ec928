//! Test harness: spawns the real API on port 0 against a fresh Postgres database per test, and
//! talks to it with the same typed client (`pramana_client::Client`) the CLI uses.
//!
//! Postgres comes from `PRAMANA_TEST_DATABASE_URL`, else `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`; each test creates its own database
//! `pramana_t_<uuid>` there (the test script drops old ones before a run).
//!
//! - `app` — `TestApp`: the API, its database and object store, typed and raw requests.
//! - `anvil` — a local chain, JSON-RPC calls, the contract deployed.
//! - `platform` — the API and the chain together, the worker, the anchoring invariants.
//! - `garage` — an S3 server; `faults` — a JSON-RPC proxy that fails on demand.
//! - `fixtures` — the accounts and consents tests start from; `consent` — signed grants.
//! - `seed` — thousands of documents written straight into the database.
//! - `smtp` — a real SMTP server (aiosmtpd) that keeps every message it receives.

pub mod anvil;
pub mod app;
pub mod consent;
pub mod faults;
pub mod fixtures;
pub mod garage;
pub mod platform;
pub mod seed;
pub mod smtp;

pub use anvil::*;
pub use app::*;
pub use faults::*;
pub use garage::*;
pub use platform::*;
pub use smtp::*;

/// A free TCP port on the loopback interface.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
