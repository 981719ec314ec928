// Passkeys (WebAuthn) in the browser: the server's options (JSON, binary fields base64url
// without padding, as webauthn-rs writes them) turned into what navigator.credentials wants,
// and the authenticator's answer turned back into JSON (docs/two-factor.md "Passkeys").

type Json = Record<string, unknown>;

export function b64urlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToB64url(b: ArrayBuffer | Uint8Array): string {
  const bytes = b instanceof Uint8Array ? b : new Uint8Array(b);
  let bin = "";
  for (const x of bytes) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A copy without null members (the browser refuses null where a dictionary member is optional). */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === "object") {
    const out: Json = {};
    for (const [k, x] of Object.entries(v as Json)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
    return out;
  }
  return v;
}

function withBinaryIds(list: unknown): unknown {
  return Array.isArray(list) ? list.map((c: Json) => ({ ...c, id: b64urlToBytes(String(c.id)) })) : list;
}

/** `publicKey` of the server's creation options, for `navigator.credentials.create()`. */
export function creationOptions(publicKey: unknown): PublicKeyCredentialCreationOptions {
  const o = dropNulls(publicKey) as Json;
  const user = o.user as Json;
  return {
    ...o,
    challenge: b64urlToBytes(String(o.challenge)),
    user: { ...user, id: b64urlToBytes(String(user.id)) },
    excludeCredentials: withBinaryIds(o.excludeCredentials),
  } as unknown as PublicKeyCredentialCreationOptions;
}

/** `publicKey` of the server's request options, for `navigator.credentials.get()`. */
export function requestOptions(publicKey: unknown): PublicKeyCredentialRequestOptions {
  const o = dropNulls(publicKey) as Json;
  return {
    ...o,
    challenge: b64urlToBytes(String(o.challenge)),
    allowCredentials: withBinaryIds(o.allowCredentials),
  } as unknown as PublicKeyCredentialRequestOptions;
}

/** A new passkey's answer, as the server reads it. */
export function registrationJSON(c: PublicKeyCredential): Json {
  const r = c.response as AuthenticatorAttestationResponse;
  return {
    id: c.id,
    rawId: bytesToB64url(c.rawId),
    type: c.type,
    response: {
      attestationObject: bytesToB64url(r.attestationObject),
      clientDataJSON: bytesToB64url(r.clientDataJSON),
    },
    extensions: c.getClientExtensionResults(),
  };
}

/** A sign-in's answer, as the server reads it. */
export function assertionJSON(c: PublicKeyCredential): Json {
  const r = c.response as AuthenticatorAssertionResponse;
  return {
    id: c.id,
    rawId: bytesToB64url(c.rawId),
    type: c.type,
    response: {
      authenticatorData: bytesToB64url(r.authenticatorData),
      clientDataJSON: bytesToB64url(r.clientDataJSON),
      signature: bytesToB64url(r.signature),
      userHandle: r.userHandle ? bytesToB64url(r.userHandle) : null,
    },
    extensions: c.getClientExtensionResults(),
  };
}
