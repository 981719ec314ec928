//! The closed vocabularies of ABDM's consent artefact: purpose, health-information type, access
//! mode, and the consent's lifecycle status.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Declares a closed vocabulary with its wire codes; parsing is exact (codes are case-sensitive,
/// as in ABDM).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire code, e.g. as stored in Postgres and sent in JSON.
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// Parses a wire code.
            pub fn parse(code: &str) -> Result<Self, ValidationError> {
                match code {
                    $($code => Ok(Self::$variant),)+
                    _ => Err(ValidationError::UnknownCode { kind: $kind, value: code.chars().take(64).collect() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, ValidationError> {
                Self::parse(s)
            }
        }
    };
}

vocabulary! {
    /// Why the health information is requested (ABDM purpose of use).
    Purpose, "purpose" {
        /// Care management.
        CareManagement = "CAREMGT",
        /// Break the glass (emergency).
        BreakTheGlass = "BTG",
        /// Public health.
        PublicHealth = "PUBHLTH",
        /// Healthcare payment.
        HealthcarePayment = "HPAYMT",
        /// Disease-specific healthcare research.
        DiseaseResearch = "DSRCH",
        /// Self-requested by the patient.
        PatientRequested = "PATRQT",
    }
}

vocabulary! {
    /// Health-information type of a record (ABDM HI type).
    HiType, "hi_type" {
        /// Out-patient consultation note.
        OpConsultation = "OPConsultation",
        /// Prescription.
        Prescription = "Prescription",
        /// Discharge summary.
        DischargeSummary = "DischargeSummary",
        /// Diagnostic report.
        DiagnosticReport = "DiagnosticReport",
        /// Immunisation record.
        ImmunizationRecord = "ImmunizationRecord",
        /// Any other health document.
        HealthDocumentRecord = "HealthDocumentRecord",
        /// Wellness record.
        WellnessRecord = "WellnessRecord",
    }
}

vocabulary! {
    /// What the grantee may do with the data.
    AccessMode, "access_mode" {
        /// View only.
        View = "VIEW",
        /// Store a copy.
        Store = "STORE",
        /// Query.
        Query = "QUERY",
        /// Stream.
        Stream = "STREAM",
    }
}

vocabulary! {
    /// Lifecycle of a consent artefact: REQUESTED → GRANTED | DENIED | EXPIRED;
    /// GRANTED → REVOKED | EXPIRED.
    ConsentStatus, "consent_status" {
        /// Asked for by a hospital, not yet acted on.
        Requested = "REQUESTED",
        /// Granted by the patient's signature.
        Granted = "GRANTED",
        /// Refused by the patient.
        Denied = "DENIED",
        /// The request's own expiry passed, or the grant's dataEraseAt passed.
        Expired = "EXPIRED",
        /// Revoked by the patient's signature; final.
        Revoked = "REVOKED",
    }
}

impl ConsentStatus {
    /// Whether the lifecycle allows moving from `self` to `next`.
    pub fn can_become(self, next: Self) -> bool {
        use ConsentStatus::*;
        matches!((self, next), (Requested, Granted | Denied | Expired) | (Granted, Revoked | Expired))
    }

    /// The status as of `now` of an artefact stored as `self`: a request whose own expiry
    /// (`request_expires_at`) has passed, or a grant whose end (`data_erase_at`) has passed, is
    /// `Expired`; every other status stands until a transition changes it.
    pub fn as_of(
        self,
        now: chrono::DateTime<chrono::Utc>,
        request_expires_at: chrono::DateTime<chrono::Utc>,
        data_erase_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        match self {
            Self::Requested if now >= request_expires_at => Self::Expired,
            Self::Granted if now >= data_erase_at => Self::Expired,
            other => other,
        }
    }

    /// True when no further transition is possible.
    pub fn is_final(self) -> bool {
        Self::ALL.iter().all(|&next| !self.can_become(next))
    }
}

impl HiType {
    /// The document type ABDM uses for this HI type in FHIR (`DocumentReference.type`,
    /// `Composition.type`): a SNOMED CT code and display, or `None` for `WellnessRecord`, which
    /// ABDM identifies by the text "Wellness Record" alone.
    pub const fn snomed(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Prescription => Some(("440545006", "Prescription record")),
            Self::DiagnosticReport => Some(("721981007", "Diagnostic studies report")),
            Self::OpConsultation => Some(("371530004", "Clinical consultation report")),
            Self::DischargeSummary => Some(("373942005", "Discharge summary")),
            Self::ImmunizationRecord => Some(("41000179103", "Immunization record")),
            Self::HealthDocumentRecord => Some(("419891008", "Record artifact")),
            Self::WellnessRecord => None,
        }
    }

    /// Human-readable name, as ABDM displays it.
    pub const fn display(self) -> &'static str {
        match self {
            Self::Prescription => "Prescription",
            Self::DiagnosticReport => "Diagnostic Report",
            Self::OpConsultation => "OP Consultation",
            Self::DischargeSummary => "Discharge Summary",
            Self::ImmunizationRecord => "Immunization Record",
            Self::HealthDocumentRecord => "Health Document Record",
            Self::WellnessRecord => "Wellness Record",
        }
    }
}

/// What a consent covers, as the patient signs it: the EIP-712 grant carries only its hash
/// (`scopeHash`), so the chain holds no health vocabulary in the clear. The grant's validity
/// (`dataEraseAt`) and the parties are separate fields of the grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentScope {
    /// Purpose of use.
    pub purpose: Purpose,
    /// HI types in scope (any order; hashed sorted by code).
    pub hi_types: Vec<HiType>,
    /// Access mode.
    pub access_mode: AccessMode,
    /// First care date in scope.
    pub date_from: chrono::NaiveDate,
    /// Last care date in scope.
    pub date_to: chrono::NaiveDate,
    /// Frequency unit (`HOUR`, `DAY`, `WEEK`, `MONTH`, `YEAR`).
    pub frequency_unit: String,
    /// Fetches per unit.
    pub frequency_value: u32,
    /// Repeats.
    pub frequency_repeats: u32,
}

/// Version tag hashed into every scope.
pub const SCOPE_VERSION: &str = "pramana-consent-scope-v1";

impl ConsentScope {
    /// `keccak256(abi.encode(string version, string purpose, string[] hiTypes, string accessMode,
    /// string dateFrom, string dateTo, string frequencyUnit, uint32 frequencyValue,
    /// uint32 frequencyRepeats))`, with `hiTypes` sorted by their codes' bytes and dates as
    /// `YYYY-MM-DD`: what any ABI encoder (alloy, ethers, Solidity) reproduces.
    pub fn hash(&self) -> [u8; 32] {
        use alloy::sol_types::SolValue as _;
        let mut codes: Vec<String> = self.hi_types.iter().map(|t| t.code().to_owned()).collect();
        codes.sort();
        codes.dedup();
        let encoded = (
            SCOPE_VERSION.to_owned(),
            self.purpose.code().to_owned(),
            codes,
            self.access_mode.code().to_owned(),
            self.date_from.format("%Y-%m-%d").to_string(),
            self.date_to.format("%Y-%m-%d").to_string(),
            self.frequency_unit.clone(),
            self.frequency_value,
            self.frequency_repeats,
        )
            .abi_encode_params();
        alloy::primitives::keccak256(encoded).0
    }
}

/// The id a consent artefact has on chain: `keccak256("pramana/consent/v1" ‖ uuid bytes)`, so
/// the platform's id (a UUIDv7, which embeds its creation time) is not published as is.
pub fn chain_consent_id(id: &uuid::Uuid) -> [u8; 32] {
    let mut input = b"pramana/consent/v1".to_vec();
    input.extend_from_slice(id.as_bytes());
    alloy::primitives::keccak256(input).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_parse_and_serde() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.code()).unwrap(), *p);
            let json = serde_json::to_string(p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.code()));
            assert_eq!(serde_json::from_str::<Purpose>(&json).unwrap(), *p);
        }
        for h in HiType::ALL {
            assert_eq!(h.code().parse::<HiType>().unwrap(), *h);
        }
        for m in AccessMode::ALL {
            assert_eq!(AccessMode::parse(m.code()).unwrap(), *m);
        }
        assert_eq!(Purpose::ALL.len(), 6);
        assert_eq!(HiType::ALL.len(), 7);
    }

    #[test]
    fn unknown_codes_name_their_kind() {
        let err = HiType::parse("XRay").unwrap_err();
        assert_eq!(err.to_string(), "unknown hi_type 'XRay'");
        assert!(Purpose::parse("caremgt").is_err(), "codes are case-sensitive");
    }

    #[test]
    fn lifecycle() {
        use ConsentStatus::*;
        assert!(Requested.can_become(Granted));
        assert!(Granted.can_become(Revoked));
        assert!(!Revoked.can_become(Granted));
        assert!(!Denied.can_become(Granted));
        assert!(!Expired.can_become(Granted));
        assert!(Revoked.is_final() && Denied.is_final() && Expired.is_final());
    }

    #[test]
    fn expiry_follows_the_right_clock() {
        use ConsentStatus::*;
        let now = chrono::Utc::now();
        let at = |secs: i64| now + chrono::Duration::seconds(secs);
        assert_eq!(Requested.as_of(now, at(10), at(100)), Requested);
        assert_eq!(Requested.as_of(now, at(0), at(100)), Expired, "request expiry");
        // A grant outlives its request's expiry and ends at data_erase_at.
        assert_eq!(Granted.as_of(now, at(-10), at(100)), Granted);
        assert_eq!(Granted.as_of(now, at(-10), at(0)), Expired);
        assert_eq!(Denied.as_of(now, at(-10), at(-10)), Denied);
        assert_eq!(Revoked.as_of(now, at(-10), at(-10)), Revoked);
        assert!(!Requested.is_final() && !Granted.is_final());
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    fn scope() -> ConsentScope {
        ConsentScope {
            purpose: Purpose::CareManagement,
            hi_types: vec![HiType::Prescription, HiType::DiagnosticReport],
            access_mode: AccessMode::View,
            date_from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            date_to: chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            frequency_unit: "DAY".to_owned(),
            frequency_value: 1,
            frequency_repeats: 0,
        }
    }

    /// Computed independently with Foundry's `cast` (see the test body for the command).
    #[test]
    fn scope_hash_matches_an_independent_abi_encoder() {
        // cast keccak $(cast abi-encode "f(string,string,string[],string,string,string,string,uint32,uint32)" \
        //   pramana-consent-scope-v1 CAREMGT "[DiagnosticReport,Prescription]" VIEW 2025-01-01 2026-01-31 DAY 1 0)
        assert_eq!(hex::encode(scope().hash()), SCOPE_VECTOR);
        let mut reordered = scope();
        reordered.hi_types.reverse();
        assert_eq!(reordered.hash(), scope().hash(), "order of HI types does not matter");
        let mut narrower = scope();
        narrower.hi_types.pop();
        assert_ne!(narrower.hash(), scope().hash());
    }

    #[test]
    fn chain_consent_ids_hide_the_uuid() {
        let id = uuid::Uuid::from_u128(0x0190_f5a4_0000_7000_8000_0000_0000_0001);
        // cast keccak 0x$(printf 'pramana/consent/v1' | xxd -p)0190f5a4000070008000000000000001
        assert_eq!(hex::encode(chain_consent_id(&id)), ID_VECTOR);
    }

    const SCOPE_VECTOR: &str = "886c10e5dddbb98e1b90458e2fdff42f46c745b5b672be24d4a627237df74469";
    const ID_VECTOR: &str = "be830fd1162068bc4f4eb712f764bb228eacfe0f91c4688677ba03509a5b9951";
}
