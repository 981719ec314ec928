//! `Client`: one async method per `/v1` endpoint, taking and returning `pramana_wire` types.
//! Every call goes through one place (`Client::send`) that sends, checks the status and parses
//! the body; a refusal comes back as `ClientError::Api` with the API's stable `code`.
//!
//! Documents stream both ways: an upload takes any `reqwest::Body` (a file stream, say) and a
//! download returns the checked `reqwest::Response` to read chunk by chunk.

use pramana_core::proof::ProofBundle;
use pramana_wire::{
    AbhaCodeView, AbhaVerifiedView, AbhaVerifyRequest, AuditPage, AuditQuery, AuditorCreate, AuditorCreated,
    AuditorView, CaregiverCreate, CaregiverList, CaregiverView, ChainInfo, ConsentGrantBody, ConsentRequestCreate,
    ConsentResignBody, ConsentRevokeBody, ConsentView, ConsistencyProof, ConsistencyQuery, DeliveriesQuery,
    DeliveryView, DependentCreate, DependentView, DocumentView, ErrorBody, ExportView, GranteeKeys, HeaderVersionView,
    HeadsPage, HeadsQuery, HospitalCreate, HospitalCreated, HospitalStatus, HospitalView, InclusionProof, KeyCreate,
    KeyView, LinkRequestCreate, LinkView, LogPage, LogQuery, LogReport, LoginRequest, PatientPatch, PatientView,
    PlatformHealth, PositionProof, ProofQuery, RefreshRequest, RegisterRequest, RemoveRecipient,
    SecondFactorLoginRequest, SessionSwitch, SignedConsentPage, SignedConsentQuery, StanzaChangeOutcome,
    StanzaChangePage, StanzaDocumentPage, StanzaQuery, TokenResponse, TreeSizeQuery, UploadQuery, WebhookCreated,
    WebhookSet, WebhookView,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub use pramana_wire as wire;
pub use reqwest;

/// A call that did not get the answer it asked for.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete, or its answer's body could not be read or parsed.
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
    /// The API answered with a success status other than the one the endpoint documents.
    #[error("the API answered {got} where {expected} was expected")]
    UnexpectedStatus {
        /// The endpoint's documented status.
        expected: StatusCode,
        /// The status of the answer.
        got: StatusCode,
    },
    /// The API refused the request: its status and its error body (`code` is stable; a body that
    /// is not the API's error shape gives code `error` and an empty message).
    #[error("{} ({}): {}", .body.code, .status.as_u16(), .body.message)]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The API's error body.
        body: ErrorBody,
        /// The `x-request-id` header of the answer (the body's `request_id` repeats it).
        request_id: Option<String>,
    },
}

impl ClientError {
    /// The API's error code, when the API answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => Some(&body.code),
            Self::Transport(_) | Self::UnexpectedStatus { .. } => None,
        }
    }

    /// The HTTP status, when the API answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::UnexpectedStatus { got, .. } => Some(*got),
            Self::Transport(e) => e.status(),
        }
    }
}

/// `Result` with `ClientError`.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A client of one Pramana API, optionally signed in (a bearer token).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`), not signed in.
    pub fn new(base: impl Into<String>) -> Self {
        Self::with_http(reqwest::Client::new(), base)
    }

    /// The same, over a given `reqwest::Client` (timeouts, connection pool).
    pub fn with_http(http: reqwest::Client, base: impl Into<String>) -> Self {
        let base = base.into().trim_end_matches('/').to_owned();
        Self { http, base, token: None }
    }

    /// This client with `token` as its bearer token.
    #[must_use]
    pub fn authed(&self, token: impl Into<String>) -> Self {
        Self { token: Some(token.into()), ..self.clone() }
    }

    /// This client without a token.
    #[must_use]
    pub fn anonymous(&self) -> Self {
        Self { token: None, ..self.clone() }
    }

    /// The bearer token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The API's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path` with this client's token, for what the typed methods do not cover
    /// (deliberately malformed bodies, odd headers); send it with `send_raw` or on its own.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, self.url(path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// Sends, and turns a non-2xx answer into `ClientError::Api`.
    pub async fn send_raw(&self, rb: RequestBuilder) -> Result<Response> {
        let resp = rb.send().await?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = resp.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
            code: "error".to_owned(),
            message: String::new(),
            request_id: String::new(),
            field: None,
            challenge: None,
            second_factors: None,
        });
        Err(ClientError::Api { status, body, request_id })
    }

    /// Sends and checks that the answer has the endpoint's documented status.
    async fn send_expecting(&self, rb: RequestBuilder, expected: StatusCode) -> Result<Response> {
        let resp = self.send_raw(rb).await?;
        match resp.status() {
            got if got == expected => Ok(resp),
            got => Err(ClientError::UnexpectedStatus { expected, got }),
        }
    }

    /// Sends, checks the status and parses the JSON answer: the one place every typed call
    /// goes through.
    async fn send<T: DeserializeOwned>(&self, rb: RequestBuilder, expected: StatusCode) -> Result<T> {
        Ok(self.send_expecting(rb, expected).await?.json().await?)
    }

    /// Sends and checks the status of a call whose answer has no body (204).
    async fn send_empty(&self, rb: RequestBuilder) -> Result<()> {
        self.send_expecting(rb, StatusCode::NO_CONTENT).await.map(drop)
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    fn post<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> RequestBuilder {
        self.request(Method::POST, path).json(body)
    }

    // -- auth --------------------------------------------------------------------------------

    /// `POST /v1/auth/register`: registers a patient.
    pub async fn register(&self, body: &RegisterRequest) -> Result<PatientView> {
        self.send(self.post("/v1/auth/register", body), StatusCode::CREATED).await
    }

    /// `POST /v1/auth/login`: opens a session.
    pub async fn login(&self, body: &LoginRequest) -> Result<TokenResponse> {
        self.send(self.post("/v1/auth/login", body), StatusCode::OK).await
    }

    /// `POST /v1/auth/login/second-factor`: the second step of a login with a second factor.
    pub async fn login_second_factor(&self, body: &SecondFactorLoginRequest) -> Result<TokenResponse> {
        self.send(self.post("/v1/auth/login/second-factor", body), StatusCode::OK).await
    }

    /// `POST /v1/auth/refresh`: rotates a refresh token.
    pub async fn refresh(&self, body: &RefreshRequest) -> Result<TokenResponse> {
        self.send(self.post("/v1/auth/refresh", body), StatusCode::OK).await
    }

    /// `POST /v1/auth/logout`: ends this token's session.
    pub async fn logout(&self) -> Result<()> {
        self.send_empty(self.request(Method::POST, "/v1/auth/logout")).await
    }

    // -- patients ----------------------------------------------------------------------------

    /// `GET /v1/patients/me`.
    pub async fn patient_me(&self) -> Result<PatientView> {
        self.send(self.get("/v1/patients/me"), StatusCode::OK).await
    }

    /// `PATCH /v1/patients/me`.
    pub async fn patient_me_update(&self, body: &PatientPatch) -> Result<PatientView> {
        self.send(self.request(Method::PATCH, "/v1/patients/me").json(body), StatusCode::OK).await
    }

    /// `POST /v1/patients/me/abha-verification-code`: a one-time code to show hospital staff.
    pub async fn abha_code_create(&self) -> Result<AbhaCodeView> {
        self.send(self.request(Method::POST, "/v1/patients/me/abha-verification-code"), StatusCode::CREATED).await
    }

    /// `POST /v1/abha-verifications`: hospital staff verify a patient's ABHA number in person.
    pub async fn abha_verify(&self, body: &AbhaVerifyRequest) -> Result<AbhaVerifiedView> {
        self.send(self.post("/v1/abha-verifications", body), StatusCode::OK).await
    }

    /// `GET /v1/patients/{id}`.
    pub async fn patient(&self, id: Uuid) -> Result<PatientView> {
        self.send(self.get(&format!("/v1/patients/{id}")), StatusCode::OK).await
    }

    /// `GET /v1/patients/me/export`: a new export archive (a tar), streamed.
    pub async fn patient_me_export(&self) -> Result<Response> {
        self.send_expecting(self.get("/v1/patients/me/export"), StatusCode::OK).await
    }

    /// `POST /v1/patients/me/exports`: freezes a new export archive to download.
    pub async fn patient_me_export_create(&self) -> Result<ExportView> {
        self.send(self.request(Method::POST, "/v1/patients/me/exports"), StatusCode::CREATED).await
    }

    /// `GET /v1/patients/me/exports/{id}` from byte `from` (a `206` range unless 0), streamed.
    pub async fn patient_me_export_download(&self, id: Uuid, from: u64) -> Result<Response> {
        let rb = self.get(&format!("/v1/patients/me/exports/{id}"));
        if from == 0 {
            return self.send_expecting(rb, StatusCode::OK).await;
        }
        let rb = rb
            .header(reqwest::header::RANGE, format!("bytes={from}-"))
            .header(reqwest::header::IF_RANGE, format!("\"{id}\""));
        self.send_expecting(rb, StatusCode::PARTIAL_CONTENT).await
    }

    // -- keys --------------------------------------------------------------------------------

    /// `GET /v1/keys`: the caller's keys with their history.
    pub async fn keys(&self) -> Result<Vec<KeyView>> {
        self.send(self.get("/v1/keys"), StatusCode::OK).await
    }

    /// `POST /v1/keys`: registers (rotates) a key.
    pub async fn key_create(&self, body: &KeyCreate) -> Result<KeyView> {
        self.send(self.post("/v1/keys", body), StatusCode::CREATED).await
    }

    // -- accounts ----------------------------------------------------------------------------

    /// `POST /v1/admin/hospitals` (operator).
    pub async fn hospital_create(&self, body: &HospitalCreate) -> Result<HospitalCreated> {
        self.send(self.post("/v1/admin/hospitals", body), StatusCode::CREATED).await
    }

    /// `GET /v1/hospitals`.
    pub async fn hospitals(&self) -> Result<Vec<HospitalView>> {
        self.send(self.get("/v1/hospitals"), StatusCode::OK).await
    }

    /// `POST /v1/admin/auditors` (operator).
    pub async fn auditor_create(&self, body: &AuditorCreate) -> Result<AuditorCreated> {
        self.send(self.post("/v1/admin/auditors", body), StatusCode::CREATED).await
    }

    /// `GET /v1/admin/hospitals`: hospitals with their keys and webhook (operator).
    pub async fn admin_hospitals(&self) -> Result<Vec<HospitalStatus>> {
        self.send(self.get("/v1/admin/hospitals"), StatusCode::OK).await
    }

    /// `GET /v1/admin/auditors` (operator).
    pub async fn auditors(&self) -> Result<Vec<AuditorView>> {
        self.send(self.get("/v1/admin/auditors"), StatusCode::OK).await
    }

    /// `GET /v1/admin/health`: anchoring, relay and webhooks now and per hour (operator).
    pub async fn platform_health(&self) -> Result<PlatformHealth> {
        self.send(self.get("/v1/admin/health"), StatusCode::OK).await
    }

    // -- audit -------------------------------------------------------------------------------

    /// `GET /v1/audit`: audit events (a patient's own, or all).
    pub async fn audit(&self, q: &AuditQuery) -> Result<AuditPage> {
        self.send(self.get(&with_query("/v1/audit", q)), StatusCode::OK).await
    }

    /// `GET /v1/audit/verify`: the platform's own check of its stored log.
    pub async fn audit_verify(&self) -> Result<LogReport> {
        self.send(self.get("/v1/audit/verify"), StatusCode::OK).await
    }

    /// `GET /v1/audit/log`: sequenced entries by position.
    pub async fn audit_log(&self, q: &LogQuery) -> Result<LogPage> {
        self.send(self.get(&with_query("/v1/audit/log", q)), StatusCode::OK).await
    }

    /// `GET /v1/audit/log/{position}/proof`.
    pub async fn audit_log_proof(&self, position: i64, q: &TreeSizeQuery) -> Result<PositionProof> {
        self.send(self.get(&with_query(&format!("/v1/audit/log/{position}/proof"), q)), StatusCode::OK).await
    }

    /// `GET /v1/audit/heads`: tree heads with their anchor proofs.
    pub async fn audit_heads(&self, q: &HeadsQuery) -> Result<HeadsPage> {
        self.send(self.get(&with_query("/v1/audit/heads", q)), StatusCode::OK).await
    }

    /// `GET /v1/audit/consistency`.
    pub async fn audit_consistency(&self, q: &ConsistencyQuery) -> Result<ConsistencyProof> {
        self.send(self.get(&with_query("/v1/audit/consistency", q)), StatusCode::OK).await
    }

    /// `GET /v1/audit/consents`: every signed consent with its chain state.
    pub async fn audit_consents(&self, q: &SignedConsentQuery) -> Result<SignedConsentPage> {
        self.send(self.get(&with_query("/v1/audit/consents", q)), StatusCode::OK).await
    }

    /// `GET /v1/patients/me/access-log`.
    pub async fn access_log(&self, q: &AuditQuery) -> Result<AuditPage> {
        self.send(self.get(&with_query("/v1/patients/me/access-log", q)), StatusCode::OK).await
    }

    /// `GET /v1/patients/me/access-log/{seq}/proof`.
    pub async fn access_log_proof(&self, seq: i64, q: &ProofQuery) -> Result<InclusionProof> {
        self.send(self.get(&with_query(&format!("/v1/patients/me/access-log/{seq}/proof"), q)), StatusCode::OK).await
    }

    // -- chain -------------------------------------------------------------------------------

    /// `GET /v1/chain`: the chain id and contract (no sign-in needed).
    pub async fn chain(&self) -> Result<ChainInfo> {
        self.send(self.get("/v1/chain"), StatusCode::OK).await
    }

    // -- documents ---------------------------------------------------------------------------

    /// `GET /v1/documents`.
    pub async fn documents(&self) -> Result<Vec<DocumentView>> {
        self.send(self.get("/v1/documents"), StatusCode::OK).await
    }

    /// `PUT /v1/documents/{id}`: uploads an envelope of `len` bytes, streamed from `body`.
    pub async fn document_upload(
        &self,
        id: Uuid,
        q: &UploadQuery,
        body: impl Into<reqwest::Body>,
        len: u64,
    ) -> Result<DocumentView> {
        let rb = self
            .request(Method::PUT, &with_query(&format!("/v1/documents/{id}"), q))
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body);
        self.send(rb, StatusCode::CREATED).await
    }

    // -- resumable uploads (tus 1.0, docs/uploads.md) -----------------------------------------

    /// `OPTIONS /v1/uploads`: the largest envelope accepted when the API speaks tus 1.0 with
    /// the `creation` extension, `None` when it does not.
    pub async fn uploads_supported(&self) -> Result<Option<u64>> {
        let resp = self.send_raw(self.request(Method::OPTIONS, "/v1/uploads")).await?;
        let h = resp.headers();
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let speaks = text("tus-version").split(',').any(|v| v.trim() == TUS_VERSION)
            && text("tus-extension").split(',').any(|e| e.trim() == "creation");
        Ok(speaks.then(|| text("tus-max-size").parse().unwrap_or(u64::MAX)))
    }

    /// `POST /v1/uploads`: creates a resumable upload of the `len`-byte envelope sealed for
    /// document `id`, declaring `q` in `Upload-Metadata`; returns its URL (`Location`).
    pub async fn upload_create(&self, id: Uuid, q: &UploadQuery, len: u64) -> Result<String> {
        let mut pairs = vec![
            ("document_id", id.to_string()),
            ("hi_type", q.hi_type.clone()),
            ("care_date", q.care_date.clone()),
            ("plaintext_sha256", q.plaintext_sha256.clone()),
            ("salt", q.salt.clone()),
            ("payload_sha256", q.payload_sha256.clone()),
        ];
        if let Some(p) = q.patient_id {
            pairs.push(("patient_id", p.to_string()));
        }
        let metadata: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} {}", base64(v.as_bytes()))).collect();
        let rb = self
            .request(Method::POST, "/v1/uploads")
            .header("tus-resumable", TUS_VERSION)
            .header("upload-length", len)
            .header("upload-metadata", metadata.join(","));
        let resp = self.send_expecting(rb, StatusCode::CREATED).await?;
        let location = resp.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let location = if location.is_empty() { format!("/v1/uploads/{id}") } else { location.to_owned() };
        Ok(self.upload_url(&location))
    }

    /// The absolute URL of an upload from its `Location` (absolute, or a path on this API).
    pub fn upload_url(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            self.url(location)
        }
    }

    fn tus_request(&self, method: Method, url: &str) -> RequestBuilder {
        let rb = self.http.request(method, url).header("tus-resumable", TUS_VERSION);
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// `HEAD {upload}`: the bytes received so far (`Upload-Offset`). A 404 (`code` `error`: a
    /// `HEAD` answer has no body) means the upload is gone: finished, terminated or expired.
    pub async fn upload_offset(&self, url: &str) -> Result<u64> {
        let resp = self.send_expecting(self.tus_request(Method::HEAD, url), StatusCode::OK).await?;
        Ok(offset_of(&resp))
    }

    /// `PATCH {upload}`: appends `body` (`len` bytes) at `offset`; returns the new offset. The
    /// last byte records the document.
    pub async fn upload_append(&self, url: &str, offset: u64, body: impl Into<reqwest::Body>, len: u64) -> Result<u64> {
        let rb = self
            .tus_request(Method::PATCH, url)
            .header(reqwest::header::CONTENT_TYPE, "application/offset+octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, len)
            .header("upload-offset", offset)
            .body(body);
        let resp = self.send_expecting(rb, StatusCode::NO_CONTENT).await?;
        Ok(offset_of(&resp))
    }

    /// `DELETE {upload}`: ends the upload; its bytes and reservation go.
    pub async fn upload_terminate(&self, url: &str) -> Result<()> {
        self.send_empty(self.tus_request(Method::DELETE, url)).await
    }

    /// `GET /v1/documents/{id}`: metadata.
    pub async fn document(&self, id: Uuid) -> Result<DocumentView> {
        self.send(self.get(&format!("/v1/documents/{id}")), StatusCode::OK).await
    }

    /// `DELETE /v1/documents/{id}`: crypto-shredding.
    pub async fn document_delete(&self, id: Uuid) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/documents/{id}"))).await
    }

    /// `GET /v1/documents/{id}/content`: the envelope, streamed.
    pub async fn document_content(&self, id: Uuid) -> Result<Response> {
        self.send_expecting(self.get(&format!("/v1/documents/{id}/content")), StatusCode::OK).await
    }

    /// `GET /v1/documents/{id}/proof`: the proof bundle once anchored.
    pub async fn document_proof(&self, id: Uuid) -> Result<ProofBundle> {
        self.send(self.get(&format!("/v1/documents/{id}/proof")), StatusCode::OK).await
    }

    /// `GET /v1/documents/{id}/fhir`: a FHIR R4 `DocumentReference`.
    pub async fn document_fhir(&self, id: Uuid) -> Result<serde_json::Value> {
        self.send(self.get(&format!("/v1/documents/{id}/fhir")), StatusCode::OK).await
    }

    /// `POST /v1/documents/{id}/header`: drops one recipient's stanza.
    pub async fn document_remove_recipient(&self, id: Uuid, body: &RemoveRecipient) -> Result<()> {
        self.send_empty(self.post(&format!("/v1/documents/{id}/header"), body)).await
    }

    /// `GET /v1/documents/{id}/headers`: every version of the header, newest first (owner only).
    pub async fn document_headers(&self, id: Uuid) -> Result<Vec<HeaderVersionView>> {
        self.send(self.get(&format!("/v1/documents/{id}/headers")), StatusCode::OK).await
    }

    /// `POST /v1/documents/{id}/headers/{version}/restore`: makes that version current again (as a
    /// new version). Check its MAC first: the server cannot.
    pub async fn document_header_restore(&self, id: Uuid, version: u32) -> Result<HeaderVersionView> {
        let rb = self.request(Method::POST, &format!("/v1/documents/{id}/headers/{version}/restore"));
        self.send(rb, StatusCode::OK).await
    }

    // -- consents ----------------------------------------------------------------------------

    /// `POST /v1/consents`: a hospital's request.
    pub async fn consent_request(&self, body: &ConsentRequestCreate) -> Result<ConsentView> {
        self.send(self.post("/v1/consents", body), StatusCode::CREATED).await
    }

    /// `POST /v1/links`: a hospital asks to add documents to a patient's record.
    pub async fn link_request(&self, body: &LinkRequestCreate) -> Result<LinkView> {
        self.send(self.post("/v1/links", body), StatusCode::CREATED).await
    }

    /// `GET /v1/links`: the caller's links.
    pub async fn links(&self) -> Result<Vec<LinkView>> {
        self.send(self.get("/v1/links"), StatusCode::OK).await
    }

    /// `POST /v1/links/{id}/{action}`: `approve` or `deny` (the patient), `end` (either party).
    pub async fn link_decide(&self, id: Uuid, action: &str) -> Result<LinkView> {
        self.send(self.request(Method::POST, &format!("/v1/links/{id}/{action}")), StatusCode::OK).await
    }

    /// `GET /v1/consents`: the caller's artefacts.
    pub async fn consents(&self) -> Result<Vec<ConsentView>> {
        self.send(self.get("/v1/consents"), StatusCode::OK).await
    }

    /// `GET /v1/consents/{id}`.
    pub async fn consent(&self, id: Uuid) -> Result<ConsentView> {
        self.send(self.get(&format!("/v1/consents/{id}")), StatusCode::OK).await
    }

    /// `GET /v1/consents/{id}/fhir`: a FHIR R4 `Consent`.
    pub async fn consent_fhir(&self, id: Uuid) -> Result<serde_json::Value> {
        self.send(self.get(&format!("/v1/consents/{id}/fhir")), StatusCode::OK).await
    }

    /// `GET /v1/consents/{id}/grantee-keys`.
    pub async fn consent_grantee_keys(&self, id: Uuid) -> Result<GranteeKeys> {
        self.send(self.get(&format!("/v1/consents/{id}/grantee-keys")), StatusCode::OK).await
    }

    /// `POST /v1/consents/{id}/deny`.
    pub async fn consent_deny(&self, id: Uuid) -> Result<ConsentView> {
        self.send(self.request(Method::POST, &format!("/v1/consents/{id}/deny")), StatusCode::OK).await
    }

    /// `POST /v1/consents/{id}/grant`.
    pub async fn consent_grant(&self, id: Uuid, body: &ConsentGrantBody) -> Result<ConsentView> {
        self.send(self.post(&format!("/v1/consents/{id}/grant"), body), StatusCode::OK).await
    }

    /// `GET /v1/consents/{id}/stanzas/pending`: documents in a grant's scope still lacking the
    /// hospital's stanza, a page at a time.
    pub async fn consent_stanzas_pending(&self, id: Uuid, q: &StanzaQuery) -> Result<StanzaDocumentPage> {
        self.send(self.get(&with_query(&format!("/v1/consents/{id}/stanzas/pending"), q)), StatusCode::OK).await
    }

    /// `POST /v1/consents/{id}/stanzas`: adds the hospital's stanza to a page of documents.
    pub async fn consent_stanzas_add(&self, id: Uuid, body: &StanzaChangePage) -> Result<StanzaChangeOutcome> {
        self.send(self.post(&format!("/v1/consents/{id}/stanzas"), body), StatusCode::OK).await
    }

    /// `GET /v1/consents/{id}/stanzas/stale`: documents still carrying the hospital's stanza
    /// after a revocation, a page at a time.
    pub async fn consent_stanzas_stale(&self, id: Uuid, q: &StanzaQuery) -> Result<StanzaDocumentPage> {
        self.send(self.get(&with_query(&format!("/v1/consents/{id}/stanzas/stale"), q)), StatusCode::OK).await
    }

    /// `POST /v1/consents/{id}/stanzas/remove`: removes the hospital's stanza from a page of
    /// documents.
    pub async fn consent_stanzas_remove(&self, id: Uuid, body: &StanzaChangePage) -> Result<StanzaChangeOutcome> {
        self.send(self.post(&format!("/v1/consents/{id}/stanzas/remove"), body), StatusCode::OK).await
    }

    // -- caregivers ---------------------------------------------------------------------------

    /// `POST /v1/caregivers`: gives another patient account caregiver rights.
    pub async fn caregiver_create(&self, body: &CaregiverCreate) -> Result<CaregiverView> {
        self.send(self.post("/v1/caregivers", body), StatusCode::CREATED).await
    }

    /// `POST /v1/dependents`: creates a child's account this patient manages.
    pub async fn dependent_create(&self, body: &DependentCreate) -> Result<DependentView> {
        self.send(self.post("/v1/dependents", body), StatusCode::CREATED).await
    }

    /// `GET /v1/dependents`: the children's accounts this patient manages.
    pub async fn dependents(&self) -> Result<Vec<DependentView>> {
        self.send(self.get("/v1/dependents"), StatusCode::OK).await
    }

    /// `POST /v1/dependents/{id}/session`: a session on a child's account (this one ends).
    pub async fn dependent_session(&self, id: Uuid) -> Result<TokenResponse> {
        self.send(self.post(&format!("/v1/dependents/{id}/session"), &SessionSwitch::default()), StatusCode::OK).await
    }

    /// `POST /v1/dependents/return`: from a child's account back to the guardian's own.
    pub async fn dependent_return(&self) -> Result<TokenResponse> {
        self.send(self.post("/v1/dependents/return", &SessionSwitch::default()), StatusCode::OK).await
    }

    /// `GET /v1/caregivers`: the caregiver rights this patient gave.
    pub async fn caregivers(&self) -> Result<CaregiverList> {
        self.send(self.get("/v1/caregivers"), StatusCode::OK).await
    }

    /// `GET /v1/caregivers/cared-for`: the people this account cares for.
    pub async fn caregivers_cared_for(&self) -> Result<CaregiverList> {
        self.send(self.get("/v1/caregivers/cared-for"), StatusCode::OK).await
    }

    /// `POST /v1/caregivers/{id}/revoke`.
    pub async fn caregiver_revoke(&self, id: Uuid) -> Result<CaregiverView> {
        self.send(self.request(Method::POST, &format!("/v1/caregivers/{id}/revoke")), StatusCode::OK).await
    }

    /// `GET /v1/caregivers/{id}/documents`: as the caregiver, the documents in scope.
    pub async fn caregiver_documents(&self, id: Uuid) -> Result<Vec<DocumentView>> {
        self.send(self.get(&format!("/v1/caregivers/{id}/documents")), StatusCode::OK).await
    }

    /// `GET /v1/caregivers/{id}/documents/{document_id}`.
    pub async fn caregiver_document(&self, id: Uuid, document_id: Uuid) -> Result<DocumentView> {
        self.send(self.get(&format!("/v1/caregivers/{id}/documents/{document_id}")), StatusCode::OK).await
    }

    /// `GET /v1/caregivers/{id}/documents/{document_id}/content`: the envelope, to read.
    pub async fn caregiver_document_content(&self, id: Uuid, document_id: Uuid) -> Result<Response> {
        self.send_expecting(self.get(&format!("/v1/caregivers/{id}/documents/{document_id}/content")), StatusCode::OK)
            .await
    }

    /// `GET /v1/caregivers/{id}/consents`: as a caregiver managing consents.
    pub async fn caregiver_consents(&self, id: Uuid) -> Result<Vec<ConsentView>> {
        self.send(self.get(&format!("/v1/caregivers/{id}/consents")), StatusCode::OK).await
    }

    /// `POST /v1/caregivers/{id}/consents/{consent_id}/{action}` (`deny`; `grant` and `revoke`
    /// are always refused).
    pub async fn caregiver_consent_action(&self, id: Uuid, consent_id: Uuid, action: &str) -> Result<ConsentView> {
        let path = format!("/v1/caregivers/{id}/consents/{consent_id}/{action}");
        self.send(self.request(Method::POST, &path), StatusCode::OK).await
    }

    /// `GET /v1/caregivers/{id}/stanzas/pending`.
    pub async fn caregiver_stanzas_pending(&self, id: Uuid, q: &StanzaQuery) -> Result<StanzaDocumentPage> {
        self.send(self.get(&with_query(&format!("/v1/caregivers/{id}/stanzas/pending"), q)), StatusCode::OK).await
    }

    /// `POST /v1/caregivers/{id}/stanzas`.
    pub async fn caregiver_stanzas_add(&self, id: Uuid, body: &StanzaChangePage) -> Result<StanzaChangeOutcome> {
        self.send(self.post(&format!("/v1/caregivers/{id}/stanzas"), body), StatusCode::OK).await
    }

    /// `GET /v1/caregivers/{id}/stanzas/stale`.
    pub async fn caregiver_stanzas_stale(&self, id: Uuid, q: &StanzaQuery) -> Result<StanzaDocumentPage> {
        self.send(self.get(&with_query(&format!("/v1/caregivers/{id}/stanzas/stale"), q)), StatusCode::OK).await
    }

    /// `POST /v1/caregivers/{id}/stanzas/remove`.
    pub async fn caregiver_stanzas_remove(&self, id: Uuid, body: &StanzaChangePage) -> Result<StanzaChangeOutcome> {
        self.send(self.post(&format!("/v1/caregivers/{id}/stanzas/remove"), body), StatusCode::OK).await
    }

    /// `POST /v1/consents/{id}/revoke`.
    pub async fn consent_revoke(&self, id: Uuid, body: &ConsentRevokeBody) -> Result<ConsentView> {
        self.send(self.post(&format!("/v1/consents/{id}/revoke"), body), StatusCode::OK).await
    }

    /// `POST /v1/consents/{id}/resign`.
    pub async fn consent_resign(&self, id: Uuid, body: &ConsentResignBody) -> Result<ConsentView> {
        self.send(self.post(&format!("/v1/consents/{id}/resign"), body), StatusCode::OK).await
    }

    // -- webhooks ----------------------------------------------------------------------------

    /// `PUT /v1/hospitals/me/webhook`: sets the endpoint and a new secret.
    pub async fn webhook_set(&self, body: &WebhookSet) -> Result<WebhookCreated> {
        self.send(self.request(Method::PUT, "/v1/hospitals/me/webhook").json(body), StatusCode::OK).await
    }

    /// `GET /v1/hospitals/me/webhook`.
    pub async fn webhook(&self) -> Result<WebhookView> {
        self.send(self.get("/v1/hospitals/me/webhook"), StatusCode::OK).await
    }

    /// `DELETE /v1/hospitals/me/webhook`.
    pub async fn webhook_delete(&self) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, "/v1/hospitals/me/webhook")).await
    }

    /// `GET /v1/hospitals/me/webhook/deliveries`.
    pub async fn webhook_deliveries(&self, q: &DeliveriesQuery) -> Result<Vec<DeliveryView>> {
        self.send(self.get(&with_query("/v1/hospitals/me/webhook/deliveries", q)), StatusCode::OK).await
    }
}

/// `path?k=v&…` from a flat query struct; absent (`null`) fields are left out.
/// The tus protocol version spoken.
const TUS_VERSION: &str = "1.0.0";

/// An answer's `Upload-Offset` (0 when absent).
fn offset_of(resp: &Response) -> u64 {
    resp.headers().get("upload-offset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Standard base64 with padding, as `Upload-Metadata` values are written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            out.push(if i <= chunk.len() { char::from(ALPHABET[((n >> shift) & 63) as usize]) } else { '=' });
        }
    }
    out
}

fn with_query<Q: Serialize>(path: &str, q: &Q) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(q) else { return path.to_owned() };
    let mut out = String::new();
    for (k, v) in fields {
        let v = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(&encode(&k));
        out.push('=');
        out.push_str(&encode(&v));
    }
    format!("{path}{out}")
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_leave_out_absent_fields_and_encode_the_rest() {
        assert_eq!(with_query("/v1/audit", &AuditQuery::default()), "/v1/audit");
        let q = AuditQuery { after: Some(5), limit: None };
        assert_eq!(with_query("/v1/audit", &q), "/v1/audit?after=5");
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn metadata_values_are_standard_base64() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("2026-01-15", "MjAyNi0wMS0xNQ=="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }
}
