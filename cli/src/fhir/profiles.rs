//! What each ABDM HI type's NRCeS profile fixes for the document's Composition.type (from the
//! NRCeS FHIR IG); `web/src/lib/fhir/profiles.ts` holds the same table.

use serde_json::Value;

/// The SNOMED CT system.
pub const SNOMED: &str = "http://snomed.info/sct";
/// The LOINC system.
pub const LOINC: &str = "http://loinc.org";

/// One accepted form of Composition.type: a SNOMED CT code, or (where the profile fixes only
/// text) a text.
#[derive(Debug, Clone, Copy)]
pub enum CompositionType {
    /// A SNOMED CT code.
    Code(&'static str),
    /// A fixed text, compared without case.
    Text(&'static str),
}

/// The HI types, as the API names them.
pub const HI_TYPES: [&str; 7] = [
    "OPConsultation",
    "Prescription",
    "DischargeSummary",
    "DiagnosticReport",
    "ImmunizationRecord",
    "HealthDocumentRecord",
    "WellnessRecord",
];

/// Composition.type per HI type; `None` for a name that is no HI type. Where senders disagree
/// (WellnessRecord) every form seen is accepted: the check catches a document of the wrong
/// kind, not a hospital's spelling.
pub fn composition_types(hi_type: &str) -> Option<&'static [CompositionType]> {
    use CompositionType::{Code, Text};
    Some(match hi_type {
        "OPConsultation" => &[Code("371530004")],
        "Prescription" => &[Code("440545006")],
        "DischargeSummary" => &[Code("373942005")],
        "DiagnosticReport" => &[Code("721981007")],
        "ImmunizationRecord" => &[Code("41000179103")],
        "HealthDocumentRecord" => &[Code("419891008")],
        "WellnessRecord" => &[Text("Wellness Record"), Code("419891008")],
        _ => return None,
    })
}

/// The NRCeS profile's name for an HI type ("DiagnosticReportRecord").
pub fn profile_name(hi_type: &str) -> &str {
    match hi_type {
        "OPConsultation" => "OPConsultRecord",
        "Prescription" => "PrescriptionRecord",
        "DischargeSummary" => "DischargeSummaryRecord",
        "DiagnosticReport" => "DiagnosticReportRecord",
        other => other,
    }
}

/// Whether a Composition.type (a CodeableConcept) is in the accepted form.
pub fn type_matches(ty: &Value, form: CompositionType) -> bool {
    match form {
        CompositionType::Code(code) => ty.get("coding").and_then(Value::as_array).is_some_and(|codings| {
            codings.iter().any(|c| {
                c.get("code").and_then(Value::as_str) == Some(code)
                    && c.get("system").and_then(Value::as_str).is_none_or(|s| s.is_empty() || s == SNOMED)
            })
        }),
        CompositionType::Text(text) => {
            ty.get("text").and_then(Value::as_str).unwrap_or("").trim().to_lowercase() == text.to_lowercase()
        }
    }
}

/// Which HI type a Composition.type names, if any.
pub fn hi_type_of_composition(ty: Option<&Value>) -> Option<&'static str> {
    let ty = ty?;
    HI_TYPES
        .into_iter()
        .find(|hi| composition_types(hi).is_some_and(|forms| forms.iter().any(|f| type_matches(ty, *f))))
}
