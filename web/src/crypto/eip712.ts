// The EIP-712 messages a patient signs (core/src/chain/eip712.rs, the ConsentRegistry's
// GRANT_TYPEHASH, REVOKE_TYPEHASH, ROTATE_SIGNER_TYPEHASH and domain), hashed and signed with
// viem. Signatures travel in EIP-2098 compact form (r ‖ yParityAndS), as the contract takes them.
import {
  compactSignatureToSignature,
  hashTypedData,
  parseCompactSignature,
  parseSignature,
  recoverTypedDataAddress,
  serializeCompactSignature,
  serializeSignature,
  signatureToCompactSignature,
  type Address,
  type Hex,
  type TypedDataDefinition,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

export const DOMAIN_NAME = "Pramana ConsentRegistry";
export const DOMAIN_VERSION = "1";

export const types = {
  Grant: [
    { name: "consentId", type: "bytes32" },
    { name: "patient", type: "address" },
    { name: "grantee", type: "address" },
    { name: "scopeHash", type: "bytes32" },
    { name: "validFrom", type: "uint64" },
    { name: "validUntil", type: "uint64" },
    { name: "nonce", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
  Revoke: [
    { name: "consentId", type: "bytes32" },
    { name: "patient", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
  RotateSigner: [
    { name: "account", type: "address" },
    { name: "newSigner", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
} as const;

export type Grant = {
  consentId: Hex;
  patient: Address;
  grantee: Address;
  scopeHash: Hex;
  validFrom: bigint;
  validUntil: bigint;
  nonce: bigint;
  deadline: bigint;
}

export type Revoke = {
  consentId: Hex;
  patient: Address;
  nonce: bigint;
  deadline: bigint;
}

export type RotateSigner = {
  account: Address;
  newSigner: Address;
  nonce: bigint;
  deadline: bigint;
}

export type Message =
  | { primaryType: "Grant"; message: Grant }
  | { primaryType: "Revoke"; message: Revoke }
  | { primaryType: "RotateSigner"; message: RotateSigner };

export interface Domain {
  name: typeof DOMAIN_NAME;
  version: typeof DOMAIN_VERSION;
  chainId: number;
  verifyingContract: Address;
}

/** The contract's domain on `chainId` at `contract`. */
export function domain(chainId: number, contract: Address): Domain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: contract };
}

function definition(d: Domain, m: Message): TypedDataDefinition<typeof types> {
  switch (m.primaryType) {
    case "Grant":
      return { domain: d, types, primaryType: "Grant", message: m.message };
    case "Revoke":
      return { domain: d, types, primaryType: "Revoke", message: m.message };
    case "RotateSigner":
      return { domain: d, types, primaryType: "RotateSigner", message: m.message };
  }
}

/** The EIP-712 signing hash (what the contract recovers the signer from). */
export function signingHash(d: Domain, m: Message): Hex {
  return hashTypedData(definition(d, m));
}

/** Signs with a local secp256k1 key; returns the 64-byte EIP-2098 compact signature (0x-hex). */
export async function sign(signerKey: Hex, d: Domain, m: Message): Promise<Hex> {
  const sig = await privateKeyToAccount(signerKey).signTypedData(definition(d, m));
  return serializeCompactSignature(signatureToCompactSignature(parseSignature(sig)));
}

/** The address that signed `m` with the compact signature `compact`. */
export async function recoverSigner(d: Domain, m: Message, compact: Hex): Promise<Address> {
  const signature = serializeSignature(compactSignatureToSignature(parseCompactSignature(compact)));
  return recoverTypedDataAddress({ ...definition(d, m), signature });
}
