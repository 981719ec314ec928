//! Health Facility Registry (HFR) ids, which identify hospitals.

use std::fmt;

use crate::error::{Result, ValidationError};

/// An HFR facility id: `IN` followed by 10 digits, e.g. `IN2710000123`. Stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HfrId(String);

impl HfrId {
    /// Parses an HFR id, accepting a lower-case `in` prefix.
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim().to_ascii_uppercase();
        let ok = s.len() == 12 && s.starts_with("IN") && s[2..].bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(Self(s)) } else { Err(ValidationError::HfrId) }
    }

    /// The normalised id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

serde_via_parse!(HfrId);

impl fmt::Display for HfrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(HfrId::parse("in2710000123").unwrap().as_str(), "IN2710000123");
        for bad in ["", "IN271000012", "IN27100001234", "US2710000123", "IN27100001x3"] {
            assert!(HfrId::parse(bad).is_err(), "{bad}");
        }
    }
}
