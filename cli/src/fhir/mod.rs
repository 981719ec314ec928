//! FHIR R4 documents on the patient's machine: the NRCeS profile checks a bundle passes before
//! it is sealed as a structured record (`check`), what a record says (`extract`), the chart
//! units (`units`) and the summaries across documents (`records`). The same rules as the
//! portal's `web/src/lib/fhir/`; both are held to the shared fixtures in
//! `web/test/fixtures/fhir-checks/`.

pub mod check;
pub mod extract;
pub mod profiles;
pub mod records;
pub mod units;

pub use check::{Issue, check_bundle, check_document, parse_fhir};

#[cfg(test)]
mod tests;
