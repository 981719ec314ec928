// The hospital's secrets sealed to a staff member (docs/staff.md): the committed vector
// (core/testdata/staff-keys-vector.json, also opened by the Rust test
// `envelope::staff_keys::tests::committed_vector`), a round trip, and what must not open.
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/crypto/bytes";
import { DecryptError, generateIdentity, identityFromSecret } from "../src/crypto/envelope";
import { STAFF_KEYS_LEN, openStaffKeys, sealStaffKeys } from "../src/crypto/staffKeys";
import { repoFile } from "./helpers";

const v = JSON.parse(repoFile("core/testdata/staff-keys-vector.json")) as Record<string, string>;

describe("staff keys", () => {
  it("opens the committed vector", async () => {
    const member = await identityFromSecret(fromHex(v.member_secret!));
    expect(toHex(member.publicKey)).toBe(v.member_public);
    expect(toHex(await openStaffKeys(fromHex(v.sealed!), member, v.staff_id!))).toBe(v.secrets);
  });

  it("round-trips, bound to the member's key and id", async () => {
    const member = await generateIdentity();
    const secrets = crypto.getRandomValues(new Uint8Array(64));
    const id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const sealed = await sealStaffKeys(secrets, member.publicKey, id);
    expect(sealed.length).toBe(STAFF_KEYS_LEN);
    expect(toHex(await openStaffKeys(sealed, member, id))).toBe(toHex(secrets));
    await expect(openStaffKeys(sealed, member, "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c")).rejects.toBeInstanceOf(DecryptError);
    await expect(openStaffKeys(sealed, await generateIdentity(), id)).rejects.toBeInstanceOf(DecryptError);
    const flipped = sealed.slice();
    flipped[40]! ^= 1;
    await expect(openStaffKeys(flipped, member, id)).rejects.toBeInstanceOf(DecryptError);
    await expect(openStaffKeys(sealed.subarray(0, 100), member, id)).rejects.toBeInstanceOf(DecryptError);
  });
});
