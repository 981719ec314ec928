import { describe, expect, it } from "vitest";
import { b64urlToBytes, bytesToB64url, creationOptions, requestOptions } from "../src/lib/webauthn";

describe("passkey options", () => {
  it("base64url round-trips without padding", () => {
    for (const n of [0, 1, 2, 3, 31, 32, 33]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 250) % 256);
      const s = bytesToB64url(bytes);
      expect(s).not.toMatch(/[+/=]/);
      expect(Array.from(b64urlToBytes(s))).toEqual(Array.from(bytes));
    }
  });

  it("turns the server's creation options into binary ones and drops nulls", () => {
    const o = creationOptions({
      rp: { id: "localhost", name: "Pramana" },
      user: { id: "AAEC_w", name: "u", displayName: "u" },
      challenge: "-_8",
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      excludeCredentials: [{ type: "public-key", id: "AQI" }],
      authenticatorSelection: { authenticatorAttachment: null, userVerification: "required" },
      hints: null,
    });
    expect(Array.from(new Uint8Array(o.challenge as ArrayBuffer))).toEqual([251, 255]);
    expect(Array.from(new Uint8Array(o.user.id as ArrayBuffer))).toEqual([0, 1, 2, 255]);
    expect(Array.from(new Uint8Array(o.excludeCredentials![0]!.id as ArrayBuffer))).toEqual([1, 2]);
    expect(o.authenticatorSelection).toEqual({ userVerification: "required" });
    expect("hints" in o).toBe(false);
  });

  it("turns the server's request options into binary ones", () => {
    const o = requestOptions({ challenge: "AAA", rpId: "localhost", allowCredentials: [{ type: "public-key", id: "AQI" }] });
    expect(Array.from(new Uint8Array(o.allowCredentials![0]!.id as ArrayBuffer))).toEqual([1, 2]);
    expect(o.rpId).toBe("localhost");
  });
});
