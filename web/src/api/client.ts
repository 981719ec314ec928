// The API client: openapi-fetch over the types openapi-typescript generated from the API's
// own OpenAPI document (schema.d.ts, from openapi.json; `npm run gen:api`). The access token
// lives in this module's memory only; the refresh token is an HttpOnly cookie the page cannot
// read, rotated through POST /v1/auth/refresh with the CSRF header. A 401 refreshes once and
// retries; when the session is over, `onSessionExpired` waits for the person to sign in again
// (the page keeps its state) and the call is retried.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";
import { assertionJSON, requestOptions } from "../lib/webauthn";

export type Schemas = components["schemas"];
export type TokenResponse = Schemas["TokenResponse"];

/** An error the API answered with (its stable code and message), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** With `second_factor_required`: the challenge to send back with a code or a passkey. */
    readonly challenge?: string,
    /** With `second_factor_required`: the account's factors (`totp`, `passkey`). */
    readonly secondFactors?: string[],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface Session {
  accessToken: string;
  expiresAt: number;
  role: TokenResponse["role"];
  subjectId: string;
  /** In a guardian's session on their child's account: the guardian's own id. */
  guardianId?: string;
}

let session: Session | null = null;
let refreshing: Promise<boolean> | null = null;
let expiredHandler: (() => Promise<void>) | null = null;
const listeners = new Set<(s: Session | null) => void>();

export function currentSession(): Session | null {
  return session;
}

export function onSessionChange(f: (s: Session | null) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

/** Called when a request needs a session that has ended; resolves once signed in again. */
export function setSessionExpiredHandler(f: (() => Promise<void>) | null): void {
  expiredHandler = f;
}

function setSession(t: TokenResponse | null): void {
  session = t
    ? {
        accessToken: t.access_token,
        expiresAt: Date.now() + t.expires_in * 1000,
        role: t.role,
        subjectId: t.subject_id,
        guardianId: t.guardian_id ?? undefined,
      }
    : null;
  for (const f of listeners) f(session);
}

function csrfToken(): string {
  const m = /(?:^|;\s*)pramana_csrf=([^;]*)/.exec(document.cookie);
  return m?.[1] ?? "";
}

const auth: Middleware = {
  onRequest({ request }) {
    if (session && !request.headers.has("authorization")) request.headers.set("authorization", `Bearer ${session.accessToken}`);
    return request;
  },
};

/** The raw typed client (no retry); most code uses `call`. */
export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });
api.use(auth);

type Result<D> = { data?: D; error?: unknown; response: Response };

function toError(r: Result<unknown>): ApiError {
  const body = r.error as
    | { code?: string; message?: string; challenge?: string | null; second_factors?: string[] | null }
    | undefined;
  return new ApiError(
    r.response.status,
    body?.code ?? `http_${r.response.status}`,
    body?.message ?? r.response.statusText,
    body?.challenge ?? undefined,
    body?.second_factors ?? undefined,
  );
}

/**
 * Runs a typed request with the session: refreshes an expired access token first, on a 401
 * refreshes once and retries, and when the session is over waits for a new sign-in.
 * Returns the response body; throws `ApiError` with the API's code otherwise.
 */
export async function call<D>(request: () => Promise<Result<D>>): Promise<D> {
  if (session && session.expiresAt - Date.now() < 30_000) await refresh();
  let r = await send(request);
  if (r.response.status === 401) {
    await renewSession();
    r = await send(request);
  }
  if (r.error !== undefined || !r.response.ok) throw toError(r);
  return r.data as D;
}

async function send<D>(request: () => Promise<Result<D>>): Promise<Result<D>> {
  try {
    return await request();
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
  }
}

/**
 * After a 401: a new access token from the refresh cookie, else (the session was ended, e.g.
 * signed out in another tab) waits until the person signs in again in the dialog.
 */
export async function renewSession(): Promise<void> {
  if (!(await refresh()) && expiredHandler) await expiredHandler();
}

/** Signs in; the refresh token is set as an HttpOnly cookie. */
export async function login(login: string, password: string): Promise<TokenResponse> {
  const r = await send(() => api.POST("/v1/auth/login", { body: { login, password, refresh_cookie: true } }));
  if (!r.data) throw toError(r);
  setSession(r.data);
  return r.data;
}

/**
 * A guardian opens their child's account (`childId`), or goes back to their own (`null`): the
 * server ends the session this browser had and sets the new one's refresh cookie.
 */
export async function switchSession(childId: string | null): Promise<void> {
  const body = { refresh_cookie: true };
  const t = childId
    ? await call(() => api.POST("/v1/dependents/{id}/session", { params: { path: { id: childId } }, body }))
    : await call(() => api.POST("/v1/dependents/return", { body }));
  setSession(t);
}

/**
 * The second step of a sign-in with a second factor: the challenge `login` threw (an `ApiError`
 * with code `second_factor_required`) and the authenticator app's code or a recovery code.
 */
export async function loginSecondFactor(challenge: string, code: string): Promise<TokenResponse> {
  const r = await send(() =>
    api.POST("/v1/auth/login/second-factor", { body: { challenge, code: code.trim(), refresh_cookie: true } }),
  );
  if (!r.data) throw toError(r);
  setSession(r.data);
  return r.data;
}

/**
 * A browser's passkey ceremony; its refusal (cancelled, timed out, no matching passkey on this
 * device) as an `ApiError` with code `passkey_cancelled`.
 */
export async function passkeyCeremony<C>(f: () => Promise<C | null>): Promise<C> {
  if (typeof PublicKeyCredential === "undefined") throw new ApiError(0, "passkey_unsupported", "this browser has no passkeys");
  try {
    const c = await f();
    if (!c) throw new Error("no credential");
    return c;
  } catch (e) {
    throw new ApiError(0, "passkey_cancelled", e instanceof Error ? e.message : String(e));
  }
}

/**
 * The second step of a sign-in with a passkey: the challenge `login` threw, the server's
 * options, the browser's passkey dialog, and the server's verdict.
 */
export async function loginPasskey(challenge: string): Promise<TokenResponse> {
  const start = await send(() => api.POST("/v1/auth/login/passkey/start", { body: { challenge } }));
  if (!start.data) throw toError(start);
  const options = requestOptions(start.data.publicKey);
  const credential = await passkeyCeremony(() => navigator.credentials.get({ publicKey: options }));
  const r = await send(() =>
    api.POST("/v1/auth/login/passkey/finish", {
      body: {
        challenge,
        credential: assertionJSON(credential as PublicKeyCredential) as Schemas["PasskeyLoginFinish"]["credential"],
        refresh_cookie: true,
      },
    }),
  );
  if (!r.data) throw toError(r);
  setSession(r.data);
  return r.data;
}

/** Rotates the refresh cookie for a new access token; false when the session is over. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const r = await api.POST("/v1/auth/refresh", { body: {}, headers: { "x-csrf-token": csrfToken() } });
      // A session that ends mid-task stays in place while the sign-in dialog is up (clearing it
      // would leave the signed-in pages and lose what the person was doing).
      if (r.data || !expiredHandler) setSession(r.data ?? null);
      return r.data !== undefined;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Ends the session on the server and forgets the access token. */
export async function logout(): Promise<void> {
  try {
    if (session) await api.POST("/v1/auth/logout");
  } finally {
    setSession(null);
  }
}

/** For requests openapi-fetch cannot make (streamed uploads with progress): the auth header. */
export async function authHeader(): Promise<string> {
  if (!session || session.expiresAt - Date.now() < 30_000) await refresh();
  if (!session && expiredHandler) await expiredHandler();
  return session ? `Bearer ${session.accessToken}` : "";
}
