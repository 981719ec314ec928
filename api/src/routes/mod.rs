//! HTTP handlers, one module per resource, named `<resource>_<verb>`. The OpenAPI document is
//! generated from these handlers' annotations.

pub mod abha;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod caregivers;
pub mod chain;
pub mod consents;
pub mod devices;
pub mod documents;
pub mod export;
pub mod fhir;
pub mod guardians;
pub mod health;
pub mod keys;
pub mod links;
pub mod notifications;
pub mod openapi;
pub mod patients;
pub mod platform;
pub mod staff;
pub mod uploads;
pub mod webhooks;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Pramana API", description = "Document integrity and consent for healthcare: identities, sessions, keys and the audit log."),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "auth", description = "Registration, login, token rotation"),
        (name = "patients", description = "Patient profiles and the patient's export archive"),
        (name = "keys", description = "Encryption keys and signing addresses"),
        (name = "accounts", description = "Operator: hospitals, auditors and platform health"),
        (name = "audit", description = "The access log: a verifiable (RFC 9162) log anchored on chain"),
        (name = "documents", description = "Encrypted documents: upload (one-shot or resumable, tus 1.0), list, metadata, download, proof, FHIR, delete"),
        (name = "consents", description = "Consent artefacts: hospital requests, patient decisions"),
        (name = "chain", description = "The chain and contract the platform anchors to"),
        (name = "devices", description = "Patients: signed-in devices, and pairing a new device with the keys sealed to it"),
        (name = "notifications", description = "Patients: in-portal notifications, email address and per-kind email switches"),
        (name = "webhooks", description = "Hospitals: signed consent webhooks and their delivery log"),
        (name = "staff", description = "Hospitals: staff members, their invitations, roles and the hospital's keys sealed to each"),
        (name = "guardians", description = "Patients: a parent or guardian's children's accounts"),
        (name = "caregivers", description = "Patients: caregivers and family acting on a patient's record with the rights the patient gave"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Every `/v1` route, with its OpenAPI description (the error responses every operation can give
/// are added last, by [`openapi::CommonResponses`]).
pub fn api_router(state: AppState) -> OpenApiRouter<AppState> {
    let auth_routes = OpenApiRouter::new()
        .routes(routes!(auth::auth_register))
        .routes(routes!(auth::auth_login))
        .routes(routes!(auth::auth_refresh))
        .routes(routes!(auth::auth_logout))
        .routes(routes!(auth::auth_login_second_factor))
        .routes(routes!(auth::auth_password_reset))
        .routes(routes!(auth::auth_password_reset_confirm))
        .routes(routes!(auth::second_factor_get))
        .routes(routes!(auth::second_factor_setup))
        .routes(routes!(auth::second_factor_enable))
        .routes(routes!(auth::second_factor_disable))
        .routes(routes!(auth::second_factor_recovery_codes))
        .routes(routes!(auth::passkeys_list))
        .routes(routes!(auth::passkeys_start))
        .routes(routes!(auth::passkeys_finish))
        .routes(routes!(auth::passkeys_remove))
        .routes(routes!(auth::auth_login_passkey_start))
        .routes(routes!(auth::auth_login_passkey_finish))
        .routes(routes!(staff::staff_accept))
        .route_layer(axum::middleware::from_fn_with_state(state, limit_auth));

    let mut router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth_routes)
        .routes(routes!(patients::patients_me_get, patients::patients_me_patch))
        .routes(routes!(patients::patients_get))
        .routes(routes!(abha::abha_code_create))
        .routes(routes!(abha::abha_verifications_create))
        .routes(routes!(abha::abdm_otp_request))
        .routes(routes!(abha::abdm_otp_confirm))
        .routes(routes!(export::patients_me_export))
        .routes(routes!(export::patients_me_exports_create))
        .routes(routes!(export::patients_me_exports_get))
        .routes(routes!(keys::keys_list, keys::keys_create))
        // One `routes!` per path: handlers of two paths in one call would be served on both.
        .routes(routes!(accounts::hospitals_create, accounts::admin_hospitals_list))
        .routes(routes!(accounts::hospitals_list))
        .routes(routes!(accounts::auditors_create, accounts::auditors_list))
        .routes(routes!(platform::platform_health_get))
        .routes(routes!(audit::audit_list))
        .routes(routes!(audit::audit_verify))
        .routes(routes!(audit::audit_log_list))
        .routes(routes!(audit::audit_log_proof))
        .routes(routes!(audit::audit_heads))
        .routes(routes!(audit::audit_consistency))
        .routes(routes!(audit::access_log_list))
        .routes(routes!(audit::access_log_proof))
        .routes(routes!(consents::audit_consents))
        .routes(routes!(chain::chain_get))
        .routes(routes!(documents::documents_list))
        .routes(routes!(documents::documents_put, documents::documents_get, documents::documents_delete))
        .routes(routes!(documents::documents_content))
        .routes(routes!(documents::documents_proof))
        .routes(routes!(documents::documents_fhir))
        .routes(routes!(documents::documents_remove_recipient))
        .routes(routes!(documents::documents_headers))
        .routes(routes!(documents::documents_header_restore))
        .routes(routes!(uploads::uploads_options, uploads::uploads_create))
        .routes(routes!(uploads::uploads_head, uploads::uploads_patch, uploads::uploads_delete))
        .routes(routes!(consents::consents_create, consents::consents_list))
        .routes(routes!(consents::consents_get))
        .routes(routes!(consents::consents_fhir))
        .routes(routes!(consents::consents_grantee_keys))
        .routes(routes!(consents::consents_deny))
        .routes(routes!(consents::consents_grant))
        .routes(routes!(consents::consents_revoke))
        .routes(routes!(consents::consents_resign))
        .routes(routes!(consents::consents_stanzas_pending))
        .routes(routes!(consents::consents_stanzas_add))
        .routes(routes!(consents::consents_stanzas_stale))
        .routes(routes!(consents::consents_stanzas_remove))
        .routes(routes!(links::links_create, links::links_list))
        .routes(routes!(links::links_approve))
        .routes(routes!(links::links_deny))
        .routes(routes!(links::links_end))
        .routes(routes!(links::hospital_patients))
        .routes(routes!(webhooks::webhook_put, webhooks::webhook_get, webhooks::webhook_delete))
        .routes(routes!(webhooks::webhook_deliveries))
        .routes(routes!(staff::staff_invite, staff::staff_list))
        .routes(routes!(staff::staff_me))
        .routes(routes!(staff::staff_my_keys))
        .routes(routes!(staff::staff_keys_seal))
        .routes(routes!(staff::staff_disable))
        .routes(routes!(staff::staff_set_role))
        .routes(routes!(notifications::notifications_list))
        .routes(routes!(notifications::notifications_unread))
        .routes(routes!(notifications::notifications_read))
        .routes(routes!(notifications::notifications_read_all))
        .routes(routes!(notifications::notifications_preferences_get, notifications::notifications_preferences_put))
        .routes(routes!(notifications::email_get, notifications::email_put, notifications::email_delete))
        .routes(routes!(notifications::email_verify))
        .routes(routes!(devices::devices_list))
        .routes(routes!(devices::devices_delete))
        .routes(routes!(devices::pairings_create))
        .routes(routes!(devices::pairings_find))
        .routes(routes!(devices::pairings_get))
        .routes(routes!(devices::pairings_seal))
        .routes(routes!(guardians::dependents_create, guardians::dependents_list))
        .routes(routes!(guardians::dependents_session))
        .routes(routes!(guardians::dependents_return))
        .routes(routes!(caregivers::caregivers_create, caregivers::caregivers_list))
        .routes(routes!(caregivers::caregivers_cared_for))
        .routes(routes!(caregivers::caregivers_revoke))
        .routes(routes!(caregivers::caregivers_documents))
        .routes(routes!(caregivers::caregivers_document))
        .routes(routes!(caregivers::caregivers_document_content))
        .routes(routes!(caregivers::caregivers_consents))
        .routes(routes!(caregivers::caregivers_consent_deny))
        .routes(routes!(caregivers::caregivers_consent_grant))
        .routes(routes!(caregivers::caregivers_consent_revoke))
        .routes(routes!(caregivers::caregivers_stanzas_pending))
        .routes(routes!(caregivers::caregivers_stanzas_add))
        .routes(routes!(caregivers::caregivers_stanzas_stale))
        .routes(routes!(caregivers::caregivers_stanzas_remove));
    openapi::CommonResponses.modify(router.get_openapi_mut());
    router
}

/// Middleware: 429 once a client IP (IPv6: its /64) exceeds the `/v1/auth/*` quota, which is
/// loose (staff behind one NAT address); logins are also limited per account.
async fn limit_auth(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let ip = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|ci| ci.0.ip());
    if let Some(ip) = ip
        && let Err(crate::rate_limit::RetryAfter(secs)) =
            state.limiters.auth_per_ip.check(&crate::rate_limit::ip_key(ip))
    {
        return axum::response::IntoResponse::into_response(crate::error::ApiError::RateLimited {
            retry_after_secs: secs,
        });
    }
    next.run(req).await
}
