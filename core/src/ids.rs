//! Typed UUID ids, so a patient id can never be passed where a document id is meant.

/// Declares a UUID newtype with parsing, display and serde.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Parses the textual UUID form.
            pub fn parse(s: &str) -> Result<Self, crate::ValidationError> {
                uuid::Uuid::parse_str(s).map(Self).map_err(|_| crate::ValidationError::Id)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(u: uuid::Uuid) -> Self {
                Self(u)
            }
        }
    };
}

uuid_id!(
    /// A patient account.
    PatientId
);
uuid_id!(
    /// A hospital (HIP/HIU) account.
    HospitalId
);
uuid_id!(
    /// An auditor account.
    AuditorId
);
uuid_id!(
    /// An encrypted document.
    DocumentId
);
uuid_id!(
    /// A login session (a chain of rotating refresh tokens).
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_reject() {
        let id = DocumentId::new();
        assert_eq!(DocumentId::parse(&id.to_string()).unwrap(), id);
        assert!(PatientId::parse("not-a-uuid").is_err());
    }
}
