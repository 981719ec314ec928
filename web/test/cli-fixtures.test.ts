// Files the Rust CLI wrote, opened by the TypeScript: a keystore (`pramana identity create`)
// and an envelope (`pramana upload`, sealed to that keystore and to a second, granted key).
// How they were made: fixtures/README.md (test/cross-cli.sh with WRITE_FIXTURES=1).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/crypto/bytes";
import { collect, identityFromSecret, open, parseHeader, DecryptError } from "../src/crypto/envelope";
import { documentCommitment } from "../src/crypto/commitment";
import { parseKeystore, unlockKeystore } from "../src/crypto/keystore";
import { data, fixture } from "./helpers";

/** The fixtures' test-only passphrase. */
const PASSPHRASE = "test-only passphrase, not a secret";
const meta = JSON.parse(fixture("cli-envelope.json").toString("utf8")) as {
  document_id: string;
  plaintext_sha256: string;
  salt: string;
  payload_sha256: string;
  grantee_secret_key: string;
};
const docId = fromHex(meta.document_id.replaceAll("-", ""));

describe("files the CLI wrote", () => {
  it("unlocks the CLI's keystore, and refuses a wrong passphrase", async () => {
    const text = fixture("cli-keystore.json").toString("utf8");
    const file = parseKeystore(text);
    expect(file.kdf).toMatchObject({ m_kib: 32768, t: 3, p: 1 });
    const keys = await unlockKeystore(file, PASSPHRASE);
    expect(toHex(keys.identity.publicKey)).toBe(file.x25519_public);
    expect(keys.address).toBe(file.eth_address);
    await expect(unlockKeystore(file, "not the passphrase")).rejects.toThrow("wrong passphrase");
  });

  it("opens the CLI's envelope with the keystore's key and with the granted key", async () => {
    const envelope = fixture("cli-envelope.bin");
    const { header, len } = parseHeader(envelope);
    expect(header.stanzas).toHaveLength(2);
    expect(createHash("sha256").update(envelope.subarray(len)).digest("hex")).toBe(meta.payload_sha256);
    const keys = await unlockKeystore(parseKeystore(fixture("cli-keystore.json").toString("utf8")), PASSPHRASE);
    const grantee = await identityFromSecret(fromHex(meta.grantee_secret_key));
    for (const identity of [keys.identity, grantee]) {
      const { bytes, result } = await collect(open([envelope], { docId, identity }));
      expect(Buffer.compare(bytes, data(200_000))).toBe(0);
      expect(toHex(result.plaintextSha256)).toBe(meta.plaintext_sha256);
    }
    const d = await documentCommitment(fromHex(meta.salt), fromHex(meta.plaintext_sha256));
    expect(d.leaf).toHaveLength(32);
    const bad = Buffer.from(envelope);
    bad[len + 100]! ^= 1;
    await expect(collect(open([bad], { docId, identity: grantee }))).rejects.toBeInstanceOf(DecryptError);
  });
});
