// The keystore file: the TypeScript and the CLI open each other's. The CLI-made fixture is
// described in fixtures/README.md; the reverse direction is test/cross-cli.sh.
import { describe, expect, it } from "vitest";
import { toHex } from "../src/crypto/bytes";
import { identityFromSecret } from "../src/crypto/envelope";
import {
  KeystoreError,
  createKeystore,
  parseKeystore,
  serializeKeystore,
  unlockKeystore,
} from "../src/crypto/keystore";
import { testRng } from "./helpers";

/** Test-only passphrase (also the fixtures'). */
const PASSPHRASE = "test-only passphrase, not a secret";
/** A cheap Argon2id cost for tests that do not check the CLI's default. */
const CHEAP = { m_kib: 256, t: 1, p: 1 };

describe("keystore", () => {
  it("creates and unlocks its own, in the CLI's file layout", async () => {
    const { file, keys } = await createKeystore(PASSPHRASE, { rng: testRng(9), kdf: CHEAP });
    const text = serializeKeystore(file);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(["version", "x25519_public", "eth_address", "kdf", "nonce", "ciphertext"]);
    expect(text).toMatch(/^\{\n  "version": 1,\n  "x25519_public": "[0-9a-f]{64}",\n  "eth_address": "0x[0-9a-fA-F]{40}",\n  "kdf": \{\n    "m_kib": 256,/);
    const again = await unlockKeystore(parseKeystore(text), PASSPHRASE);
    expect(toHex(again.identity.secretKey)).toBe(toHex(keys.identity.secretKey));
    expect(again.signerKey).toBe(keys.signerKey);
    expect(again.address).toBe(file.eth_address);
    expect(toHex((await identityFromSecret(again.identity.secretKey)).publicKey)).toBe(file.x25519_public);
  });

  it("refuses a wrong passphrase, a tampered file and a short passphrase", async () => {
    const { file } = await createKeystore(PASSPHRASE, { rng: testRng(10), kdf: CHEAP });
    await expect(unlockKeystore(file, `${PASSPHRASE}!`)).rejects.toThrow("wrong passphrase");
    const ct = file.ciphertext;
    const flipped = { ...file, ciphertext: ct.slice(0, 10) + (ct[10] === "0" ? "1" : "0") + ct.slice(11) };
    await expect(unlockKeystore(flipped, PASSPHRASE)).rejects.toBeInstanceOf(KeystoreError);
    await expect(unlockKeystore({ ...file, eth_address: "0x0000000000000000000000000000000000000001" }, PASSPHRASE)).rejects.toThrow(
      "public keys do not match",
    );
    await expect(createKeystore("too short")).rejects.toThrow("at least 12 characters");
    expect(() => parseKeystore('{"version": 2}')).toThrow("unsupported keystore version 2");
  });

  it("uses the CLI's Argon2id cost by default", async () => {
    const { file } = await createKeystore(PASSPHRASE, { rng: testRng(11) });
    expect(file.kdf).toMatchObject({ m_kib: 32768, t: 3, p: 1 });
    expect(file.kdf.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(file.nonce).toMatch(/^[0-9a-f]{24}$/);
    expect((await unlockKeystore(file, PASSPHRASE)).address).toBe(file.eth_address);
  });
});
