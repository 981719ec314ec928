//! End-to-end tests: the real API over HTTP against a real Postgres, a fresh database per test.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

mod abha;
mod accounts;
mod anchoring;
mod audit;
mod authz;
mod caregivers;
mod consents;
mod contract;
mod devices;
mod documents;
mod exports;
mod faults;
mod guardians;
mod headers;
mod health;
mod ipfs;
mod keys;
mod limits;
mod links;
mod notifications;
mod operator;
mod passkeys;
mod password_reset;
mod patients;
mod registration;
mod relay;
mod resign;
mod rotate;
mod s3;
mod second_factor;
mod staff;
mod stanzas;
mod tokens;
mod tus;
mod uploads;
mod webhooks;
mod worker;
