// Pairing a new device (docs/devices.md): the code's vector (the same as core/src/pairing.rs),
// reading a typed code, and the keys going from one worker to another sealed to the new device's
// key, with the earlier signing addresses, into a keystore that unlocks to the same keys.
import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { CryptoClient, type WorkerLike } from "../src/crypto/client";
import { DecryptError } from "../src/crypto/envelope";
import { createKeystore, parseKeystore, serializeKeystore } from "../src/crypto/keystore";
import { codeFor, formatCode, normalizeCode } from "../src/crypto/pairing";
import { serve, type Port } from "../src/crypto/worker";
import { testRng } from "./helpers";

const PASSPHRASE = "test-only passphrase, not a secret";
const PAIRING = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

function pair(): CryptoClient {
  const { port1, port2 } = new MessageChannel();
  serve(port1 as unknown as Port);
  return new CryptoClient(port2 as unknown as WorkerLike);
}

describe("device pairing", () => {
  it("derives the code of the shared vector and reads typed codes", async () => {
    const pk = Uint8Array.from({ length: 32 }, (_, i) => i);
    const code = await codeFor(pk);
    expect(code).toBe("10K7DW6XZ1W3");
    expect(formatCode(code)).toBe("10K7-DW6X-Z1W3");
    expect(normalizeCode("10k7-dw6x z1w3")).toBe(code);
    expect(normalizeCode("oooo-iiii-llll")).toBe("000011111111");
    for (const bad of ["", "ABCD", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKMU", "ABCD EFGH JKM!"]) expect(normalizeCode(bad)).toBeNull();
  });

  it("seals the keys in one worker and opens them into a keystore in another", async () => {
    const oldDevice = pair();
    const newDevice = pair();
    const { file } = await createKeystore(PASSPHRASE, { rng: testRng(9), kdf: { m_kib: 256, t: 1, p: 1 } });
    const previous = "0x52908400098527886E0F7030069857D2E4169EE7";
    const text = serializeKeystore({ ...file, previous_signers: [previous] });
    const unlocked = await oldDevice.unlock(text, PASSPHRASE);

    const pk = await newDevice.pairingKey();
    expect(Object.keys(pk).sort()).toEqual(["key", "publicKey"]);
    const sealed = await oldDevice.pairingSeal(unlocked.key, pk.publicKey, PAIRING, unlocked.signers.slice(1));
    expect(sealed.length).toBe(32 + 64 + 20 + 16);

    // Another pairing id does not open it.
    await expect(newDevice.pairingOpen(pk.key, "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", sealed, PASSPHRASE)).rejects.toBeInstanceOf(DecryptError);
    const created = await newDevice.pairingOpen(pk.key, PAIRING, sealed, "another passphrase here");
    expect(created.address).toBe(file.eth_address);
    expect(created.signers).toEqual([file.eth_address, previous]);
    const made = parseKeystore(created.keystore);
    expect(made.x25519_public).toBe(file.x25519_public);
    expect(made.previous_signers).toEqual([previous]);
    const again = await newDevice.unlock(created.keystore, "another passphrase here");
    expect(again.address).toBe(file.eth_address);
    // The pairing key is used up.
    await expect(newDevice.pairingOpen(pk.key, PAIRING, sealed, PASSPHRASE)).rejects.toThrow(/start again/);
  }, 60_000);
});
