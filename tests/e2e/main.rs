//! End-to-end tests: the real API over HTTP against a real Postgres, a fresh database per test.

mod accounts;
mod audit;
mod health;
mod keys;
mod patients;
mod registration;
mod tokens;
