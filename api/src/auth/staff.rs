//! Hospital staff: the roles a member holds and what each may reach (docs/staff.md). A member's
//! session acts for their hospital; this table is the one place that narrows it by role, and
//! any route not listed here is refused to every member (the hospital's API-secret session,
//! a machine client, is not narrowed).

use axum::http::Method;
use uuid::Uuid;

/// A member's role in their hospital.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// Invites, gives keys to and disables members; sets the webhook; registers the hospital's
    /// keys. Reads no patient's documents.
    Administrator,
    /// Links patients, requests consent, reads and uploads documents.
    Clinician,
    /// Links patients, requests consent, uploads documents and sees their metadata; opens no
    /// document's content.
    RecordsClerk,
}

impl StaffRole {
    /// The stored form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Clinician => "clinician",
            Self::RecordsClerk => "records_clerk",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Administrator, Self::Clinician, Self::RecordsClerk].into_iter().find(|r| r.as_str() == s)
    }
}

/// The staff member behind a hospital session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffMember {
    /// The member's id.
    pub id: Uuid,
    /// Their role.
    pub role: StaffRole,
}

/// Who may call what: `(method, route, administrator, clinician, records clerk)`.
const MATRIX: &[(Method, &str, bool, bool, bool)] = &[
    // Their own account, the hospital's public keys, the chain.
    (Method::GET, "/v1/hospitals/me/staff/me", true, true, true),
    (Method::GET, "/v1/hospitals/me/staff/me/keys", true, true, true),
    (Method::GET, "/v1/keys", true, true, true),
    (Method::GET, "/v1/hospitals", true, true, true),
    (Method::GET, "/v1/chain", true, true, true),
    // Staff and the hospital's settings.
    (Method::GET, "/v1/hospitals/me/staff", true, false, false),
    (Method::POST, "/v1/hospitals/me/staff", true, false, false),
    (Method::POST, "/v1/hospitals/me/staff/{id}/keys", true, false, false),
    (Method::POST, "/v1/hospitals/me/staff/{id}/disable", true, false, false),
    (Method::POST, "/v1/hospitals/me/staff/{id}/role", true, false, false),
    (Method::GET, "/v1/hospitals/me/webhook", true, false, false),
    (Method::PUT, "/v1/hospitals/me/webhook", true, false, false),
    (Method::DELETE, "/v1/hospitals/me/webhook", true, false, false),
    (Method::GET, "/v1/hospitals/me/webhook/deliveries", true, false, false),
    (Method::POST, "/v1/keys", true, false, false),
    // Patients and their records.
    (Method::GET, "/v1/hospitals/me/patients", false, true, true),
    (Method::GET, "/v1/links", false, true, true),
    (Method::POST, "/v1/links", false, true, true),
    (Method::POST, "/v1/links/{id}/end", false, true, true),
    (Method::POST, "/v1/abha-verifications", false, true, true),
    (Method::GET, "/v1/consents", false, true, true),
    (Method::POST, "/v1/consents", false, true, true),
    (Method::GET, "/v1/consents/{id}", false, true, true),
    (Method::GET, "/v1/consents/{id}/fhir", false, true, true),
    (Method::GET, "/v1/documents", false, true, true),
    (Method::GET, "/v1/documents/{id}", false, true, true),
    (Method::GET, "/v1/documents/{id}/proof", false, true, true),
    (Method::PUT, "/v1/documents/{id}", false, true, true),
    (Method::DELETE, "/v1/documents/{id}", false, true, true),
    (Method::OPTIONS, "/v1/uploads", false, true, true),
    (Method::POST, "/v1/uploads", false, true, true),
    (Method::HEAD, "/v1/uploads/{id}", false, true, true),
    (Method::PATCH, "/v1/uploads/{id}", false, true, true),
    (Method::DELETE, "/v1/uploads/{id}", false, true, true),
    // Opening what patients shared: clinicians only.
    (Method::GET, "/v1/documents/{id}/content", false, true, false),
    (Method::GET, "/v1/documents/{id}/headers", false, true, false),
    (Method::GET, "/v1/documents/{id}/fhir", false, true, false),
];

/// Whether a member in `role` may call `method` on `route` (the route's template, e.g.
/// `/v1/documents/{id}`). Unlisted routes are refused.
pub fn may_call(role: StaffRole, method: &Method, route: &str) -> bool {
    MATRIX.iter().any(|(m, r, admin, clinician, clerk)| {
        m == method
            && *r == route
            && match role {
                StaffRole::Administrator => *admin,
                StaffRole::Clinician => *clinician,
                StaffRole::RecordsClerk => *clerk,
            }
    })
}

/// The matrix as documentation rows: `(method, route, administrator, clinician, records clerk)`.
pub fn matrix() -> impl Iterator<Item = (&'static str, &'static str, bool, bool, bool)> {
    MATRIX.iter().map(|(m, r, a, c, k)| (m.as_str(), *r, *a, *c, *k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [StaffRole::Administrator, StaffRole::Clinician, StaffRole::RecordsClerk] {
            assert_eq!(StaffRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(StaffRole::parse("admin"), None);
    }

    #[test]
    fn unlisted_routes_are_refused() {
        assert!(!may_call(StaffRole::Administrator, &Method::GET, "/v1/admin/hospitals"));
        assert!(!may_call(StaffRole::Clinician, &Method::POST, "/v1/hospitals/me/staff"));
        assert!(may_call(StaffRole::Clinician, &Method::GET, "/v1/documents/{id}/content"));
        assert!(!may_call(StaffRole::RecordsClerk, &Method::GET, "/v1/documents/{id}/content"));
        assert!(!may_call(StaffRole::Administrator, &Method::GET, "/v1/documents/{id}/content"));
    }

    #[test]
    fn no_route_is_listed_twice() {
        let mut seen = std::collections::HashSet::new();
        for (m, r, ..) in matrix() {
            assert!(seen.insert((m, r)), "{m} {r} listed twice");
        }
    }
}
