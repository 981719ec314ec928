/* temporary hand-written stand-in for the generated schema (from wire/src), NOT committed */
type J<T> = { content: { "application/json": T } };
type Op<P, B, R, S extends number = 200> = {
  parameters: P;
  requestBody: B extends never ? never : J<B>;
  responses: { [K in S]: J<R> } & { default: J<components["schemas"]["ErrorBody"]> };
};
type GetOp<P, R> = { parameters: P; requestBody?: never; responses: { 200: J<R>; default: J<components["schemas"]["ErrorBody"]> } };
type NoP = { query?: never; header?: never; path?: never; cookie?: never };
type IdP = { query?: never; header?: never; path: { id: string }; cookie?: never };
type S = components["schemas"];
type Relay = { state: string; tx_hash?: string | null; block_number?: number | null; failure?: string | null; set_aside?: string | null; retry_at?: string | null };
export interface paths {
  "/v1/chain": { get: GetOp<NoP, { chain_id: number; contract_address?: string | null; public_rpc_url?: string | null; eip712_name: string; eip712_version: string }> };
  "/v1/consents": { get: GetOp<NoP, S["ConsentView"][]> };
  "/v1/consents/{id}": { get: GetOp<IdP, S["ConsentView"]> };
  "/v1/consents/{id}/grantee-keys": { get: GetOp<IdP, { x25519_public_key?: string | null; ethereum_address?: string | null; chain_consent_id: string }> };
  "/v1/consents/{id}/deny": { post: { parameters: IdP; requestBody?: never; responses: { 200: J<S["ConsentView"]> } } };
  "/v1/consents/{id}/grant": { post: Op<IdP, { hi_types?: string[]; date_range?: { from: string; to: string }; data_erase_at?: string; valid_from: number; nonce: number; deadline: number; signature: string; headers?: { document_id: string; header: string }[] }, S["ConsentView"]> };
  "/v1/consents/{id}/revoke": { post: Op<IdP, { nonce: number; deadline: number; signature: string }, S["ConsentView"]> };
  "/v1/consents/{id}/resign": { post: Op<IdP, { nonce: number; deadline: number; signature: string }, S["ConsentView"]> };
  "/v1/documents": { get: GetOp<NoP, S["DocumentView"][]> };
  "/v1/documents/{id}/header": { post: Op<IdP, { key_id: string; header: string }, never, 204> };
  "/v1/hospitals": { get: GetOp<NoP, S["HospitalView"][]> };
  "/v1/keys": { get: GetOp<NoP, S["KeyView"][]>; post: Op<NoP, { kind: "x25519" | "ethereum"; public_key: string; password?: string | null; rotation?: unknown }, S["KeyView"], 201> };
  "/v1/patients/me/access-log": { get: GetOp<{ query?: { after?: number; limit?: number }; header?: never; path?: never; cookie?: never }, { events: S["AuditEntry"][]; next_after?: number | null }> };
  "/v1/auth/login": { post: Op<NoP, { login: string; password: string; refresh_cookie?: boolean }, S["TokenResponse"]> };
  "/v1/auth/logout": { post: { parameters: NoP; requestBody?: never; responses: { 204: { content?: never } } } };
  "/v1/auth/refresh": { post: Op<{ query?: never; header?: { "x-csrf-token"?: string }; path?: never; cookie?: never }, { refresh_token?: string | null }, S["TokenResponse"]> };
  "/v1/auth/register": { post: Op<NoP, { abha_number: string; abha_addresses: string[]; name: string; password: string }, { patient_id: string }, 201> };
}
export interface components {
  schemas: {
    ErrorBody: { code: string; message: string };
    TokenResponse: { access_token: string; token_type: string; expires_in: number; refresh_token?: string | null; role: "patient" | "hospital" | "auditor" | "admin"; subject_id: string };
    KeyView: { id: string; kind: string; public_key: string; created_at: string; retired_at?: string | null; rotation?: { nonce: number; state: string; failure?: string | null } | null };
    HospitalView: { id: string; hfr_id: string; name: string; created_at: string };
    RelayView: Relay;
    ConsentView: {
      id: string; patient_id: string; hospital_id: string; status: string; purpose: string; hi_types: string[]; access_mode: string;
      date_range: { from: string; to: string }; data_erase_at: string; frequency: { unit: string; value: number; repeats: number };
      expires_at: string; created_at: string; decided_at?: string | null; chain_consent_id: string; patient_address?: string | null;
      scope_hash: string; grantee_address?: string | null; valid_from?: string | null; chain: { grant?: Relay | null; revoke?: Relay | null };
    };
    DocumentView: {
      id: string; owner_patient_id: string; uploaded_by_role: string; uploaded_by_id: string; hi_type: string; care_date: string;
      plaintext_size: number; envelope_size: number; plaintext_sha256: string; payload_sha256: string; salt: string; leaf: string;
      created_at: string; deleted_at?: string | null; header?: string | null; my_stanza?: string | null; anchor_state: string;
    };
    AuditEntry: {
      seq: number; id: string; at: string; actor_role: string; actor_id?: string | null; action: string; outcome: string;
      subject_patient_id?: string | null; target?: string | null; request_id?: string | null; details: unknown; leaf_hash?: string | null; position?: number | null;
    };
  };
}
