//! The roles an account can hold.

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Holds an ABHA number; owns documents and consents.
    Patient,
    /// A facility from the Health Facility Registry.
    Hospital,
    /// Reads the audit log and the chain; changes nothing.
    Auditor,
    /// The operator: registers hospitals and auditors.
    Admin,
}

impl Role {
    /// The stored form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Hospital => "hospital",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Patient, Self::Hospital, Self::Auditor, Self::Admin].into_iter().find(|r| r.as_str() == s)
    }
}
