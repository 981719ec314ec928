// A listed grant counts only when one of the keystore's own addresses signed it as listed
// (src/lib/grants.ts): a server cannot add a recipient by listing a grant the patient never
// made, nor by widening a real one. The consent id matches core::consent's vector.
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../src/api/client";
import { domain, sign } from "../src/crypto/eip712";
import { scopeHash } from "../src/lib/consentScope";
import { chainConsentId, grantProblem } from "../src/lib/grants";

const patientKey = `0x${"11".repeat(32)}` as const;
const other = privateKeyToAccount(`0x${"22".repeat(32)}`).address;
const patient = privateKeyToAccount(patientKey).address;
const d = domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");

async function granted(): Promise<Schemas["ConsentView"]> {
  const c = {
    id: "0190f5a4-0000-7000-8000-000000000001",
    purpose: "CAREMGT",
    hi_types: ["DiagnosticReport"],
    access_mode: "VIEW",
    date_range: { from: "2025-01-01", to: "2025-12-31" },
    frequency: { unit: "DAY", value: 1, repeats: 0 },
    data_erase_at: "2027-01-01T00:00:00Z",
    valid_from: "2026-11-30T10:00:00Z",
    patient_address: patient,
    grantee_address: "0x4242424242424242424242424242424242424242",
    status: "GRANTED",
  } as unknown as Schemas["ConsentView"];
  const message = {
    consentId: chainConsentId(c.id),
    patient,
    grantee: "0x4242424242424242424242424242424242424242" as const,
    scopeHash: scopeHash({ purpose: "CAREMGT", hiTypes: ["DiagnosticReport"], accessMode: "VIEW", dateFrom: "2025-01-01", dateTo: "2025-12-31", frequency: c.frequency }),
    validFrom: BigInt(Date.parse("2026-11-30T10:00:00Z") / 1000),
    validUntil: BigInt(Date.parse("2027-01-01T00:00:00Z") / 1000),
    nonce: 3n,
    deadline: 1_900_000_000n,
  };
  const signature = await sign(patientKey, d, { primaryType: "Grant", message });
  return { ...c, grant_signature: { nonce: 3, deadline: 1_900_000_000, signature } };
}

describe("grants the patient's keys signed", () => {
  it("derives the consent id as core::consent does", () => {
    expect(chainConsentId("0190f5a4-0000-7000-8000-000000000001")).toBe(
      "0xbe830fd1162068bc4f4eb712f764bb228eacfe0f91c4688677ba03509a5b9951",
    );
  });

  it("accepts the patient's own grant, by the current key or an earlier one", async () => {
    const c = await granted();
    expect(await grantProblem(c, d, [patient])).toBeNull();
    expect(await grantProblem(c, d, [other, patient.toLowerCase()])).toBeNull();
  });

  it("refuses a widened scope, another grantee, a longer end, another signer, no signature", async () => {
    const c = await granted();
    expect(await grantProblem({ ...c, hi_types: ["DiagnosticReport", "Prescription"] }, d, [patient])).toBe("not_yours");
    expect(await grantProblem({ ...c, date_range: { from: "2024-01-01", to: "2025-12-31" } }, d, [patient])).toBe("not_yours");
    expect(await grantProblem({ ...c, grantee_address: "0x6666666666666666666666666666666666666666" }, d, [patient])).toBe("not_yours");
    expect(await grantProblem({ ...c, data_erase_at: "2030-01-01T00:00:00Z" }, d, [patient])).toBe("not_yours");
    expect(await grantProblem({ ...c, id: "0190f5a4-0000-7000-8000-000000000002" }, d, [patient])).toBe("not_yours");
    expect(await grantProblem(c, d, [other])).toBe("not_yours");
    expect(await grantProblem({ ...c, grant_signature: null }, d, [patient])).toBe("unsigned");
    expect(await grantProblem({ ...c, grant_signature: { ...c.grant_signature!, signature: "0x1234" } }, d, [patient])).toBe("not_yours");
  });
});
