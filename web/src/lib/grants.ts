// Which listed grants are the patient's own, as the CLI checks them (cli/src/grants.rs): the
// platform lists a patient's consents, but a server that lies could list a grant the patient
// never signed, or widen a real one's scope, to have new documents sealed to a hospital of its
// choosing. Each grant is rebuilt from the fields shown — the scope hash from the scope, the
// consent id from the artefact's id, the end from `data_erase_at` — and its EIP-712 signature
// must recover to one of the keystore's own addresses, never one the server names.
import { concat, getAddress, isAddressEqual, keccak256, type Address, type Hex } from "viem";
import type { Schemas } from "../api/client";
import { utf8 } from "../crypto/bytes";
import { recoverSigner, type Domain } from "../crypto/eip712";
import { scopeHash } from "./consentScope";
import { uuidBytes } from "./files";

/** `keccak256("pramana/consent/v1" ‖ uuid bytes)`: the consent's id on chain (core::consent). */
export function chainConsentId(id: string): Hex {
  return keccak256(concat([utf8("pramana/consent/v1"), uuidBytes(id)]));
}

/** Why a listed grant is not taken as the patient's, or null when one of `mine` signed it. */
export async function grantProblem(
  c: Schemas["ConsentView"],
  d: Domain,
  mine: string[],
): Promise<"unsigned" | "not_yours" | null> {
  const g = c.grant_signature;
  if (!g || !c.patient_address || !c.grantee_address || !c.valid_from) return "unsigned";
  try {
    const signer = await recoverSigner(
      d,
      {
        primaryType: "Grant",
        message: {
          consentId: chainConsentId(c.id),
          patient: getAddress(c.patient_address),
          grantee: getAddress(c.grantee_address),
          scopeHash: scopeHash({
            purpose: c.purpose,
            hiTypes: c.hi_types,
            accessMode: c.access_mode,
            dateFrom: c.date_range.from,
            dateTo: c.date_range.to,
            frequency: c.frequency,
          }),
          validFrom: BigInt(Math.floor(Date.parse(c.valid_from) / 1000)),
          validUntil: BigInt(Math.floor(Date.parse(c.data_erase_at) / 1000)),
          nonce: BigInt(g.nonce),
          deadline: BigInt(g.deadline),
        },
      },
      g.signature as Hex,
    );
    return mine.some((m) => isAddressEqual(m as Address, signer)) ? null : "not_yours";
  } catch {
    return "not_yours";
  }
}
