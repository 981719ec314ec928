// The pure-JS X25519 fallback (@hpke/dhkem-x25519, for browsers whose WebCrypto lacks X25519)
// reproduces and opens the committed vectors like the WebCrypto path. Its own file: vitest
// runs each file in its own module graph, so the switch does not leak into other tests.
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/crypto/bytes";
import { collect, encodeHeader, identityFromSecret, open, seal, useX25519Fallback } from "../src/crypto/envelope";
import { data, repoFile, testRng } from "./helpers";

const vectors = JSON.parse(repoFile("core/testdata/envelope-vectors.json")) as {
  cases: { plaintext_len: number; recipient_secret_keys: string[]; recipient_public_keys: string[]; header: string; payload: string | null }[];
};

describe("X25519 fallback", () => {
  it("reproduces and opens the small vectors", async () => {
    useX25519Fallback();
    const doc = new Uint8Array(16).fill(7);
    for (const [i, c] of vectors.cases.entries()) {
      if (c.payload === null) continue;
      const who = await Promise.all(c.recipient_secret_keys.map((k) => identityFromSecret(fromHex(k))));
      expect(who.map((w) => toHex(w.publicKey))).toEqual(c.recipient_public_keys);
      const { bytes, result } = await collect(seal([data(c.plaintext_len)], { docId: doc, recipients: who.map((w) => w.publicKey), rng: testRng(40 + i) }));
      expect(toHex(encodeHeader(result.header))).toBe(c.header);
      expect(toHex(bytes)).toBe(c.header + c.payload);
      for (const identity of who) {
        const opened = await collect(open([fromHex(c.header + c.payload)], { docId: doc, identity }));
        expect(toHex(opened.bytes)).toBe(toHex(data(c.plaintext_len)));
      }
    }
  });
});
