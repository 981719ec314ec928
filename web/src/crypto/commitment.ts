// A document's salted commitment and Merkle leaf (what is anchored on chain instead of the
// document), as core/src/commitment.rs computes them:
//   commitment = keccak256(salt ‖ sha256)   (= Solidity keccak256(abi.encode(bytes32, bytes32)))
//   leaf       = keccak256(commitment)      (OpenZeppelin StandardMerkleTree's double-hashed leaf)
import { equal, type Bytes } from "./bytes";
import { keccak256 } from "./hash";

export interface DocumentCommitment {
  /** SHA-256 of the plaintext. */
  sha256: Bytes;
  /** 32 random bytes chosen when sealing. */
  salt: Bytes;
  commitment: Bytes;
  leaf: Bytes;
}

function check32(name: string, b: Uint8Array): void {
  if (b.length !== 32) throw new Error(`${name} must be 32 bytes`);
}

export async function commitment(salt: Uint8Array, sha256: Uint8Array): Promise<Bytes> {
  check32("salt", salt);
  check32("sha256", sha256);
  return keccak256(salt, sha256);
}

export async function documentLeaf(salt: Uint8Array, sha256: Uint8Array): Promise<Bytes> {
  return keccak256(await commitment(salt, sha256));
}

export async function documentCommitment(salt: Bytes, sha256: Bytes): Promise<DocumentCommitment> {
  const c = await commitment(salt, sha256);
  return { sha256, salt, commitment: c, leaf: await keccak256(c) };
}

/** True when commitment and leaf follow from salt and sha256. */
export async function isConsistent(d: DocumentCommitment): Promise<boolean> {
  const again = await documentCommitment(d.salt, d.sha256);
  return equal(again.commitment, d.commitment) && equal(again.leaf, d.leaf);
}
