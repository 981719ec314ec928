// Proof bundles (docs/proof.md) checked offline: the leaf from salt and SHA-256, and the Merkle
// path to the root with OpenZeppelin's sorted-pair keccak-256. The chain steps (chain id,
// trusted contract, verifyDocument) are not here: they need an RPC endpoint.
// MerkleTree builds OpenZeppelin's array layout (as core/src/merkle.rs), to check against
// @openzeppelin/merkle-tree's output.
import { compare, concat, equal, fromHexN, toHex, type Bytes } from "./bytes";
import { documentLeaf } from "./commitment";
import { keccak256 } from "./hash";

/** keccak256(min(a, b) ‖ max(a, b)). */
export async function hashPair(a: Uint8Array, b: Uint8Array): Promise<Bytes> {
  return compare(a, b) <= 0 ? keccak256(concat(a, b)) : keccak256(concat(b, a));
}

/** The root `proof` implies for `leaf` (OpenZeppelin MerkleProof.processProof). */
export async function processProof(leaf: Uint8Array, proof: Uint8Array[]): Promise<Bytes> {
  let h: Bytes = new Uint8Array(leaf);
  for (const sibling of proof) h = await hashPair(h, sibling);
  return h;
}

export async function verifyProof(root: Uint8Array, leaf: Uint8Array, proof: Uint8Array[]): Promise<boolean> {
  return equal(await processProof(leaf, proof), root);
}

/** A complete tree in OpenZeppelin's array layout: tree[0] the root, leaves at the end reversed. */
export class MerkleTree {
  private constructor(
    private readonly nodes: Bytes[],
    readonly leafCount: number,
  ) {}

  static async build(leaves: Uint8Array[]): Promise<MerkleTree> {
    const n = leaves.length;
    if (n === 0) throw new Error("a Merkle tree needs at least one leaf");
    const nodes: Bytes[] = new Array<Bytes>(2 * n - 1);
    leaves.forEach((leaf, i) => (nodes[2 * n - 2 - i] = new Uint8Array(leaf)));
    for (let i = n - 2; i >= 0; i--) nodes[i] = await hashPair(nodes[2 * i + 1]!, nodes[2 * i + 2]!);
    return new MerkleTree(nodes, n);
  }

  get root(): Bytes {
    return this.nodes[0]!;
  }

  /** Sibling hashes from leaf `index` up to just below the root. */
  proof(index: number): Bytes[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.leafCount) throw new Error("leaf index out of range");
    const out: Bytes[] = [];
    for (let i = this.nodes.length - 1 - index; i > 0; i = Math.floor((i - 1) / 2)) {
      out.push(this.nodes[i % 2 === 1 ? i + 1 : i - 1]!);
    }
    return out;
  }
}

/** A proof bundle, version 1, as the platform writes it (docs/proof.md). */
export interface ProofBundle {
  format: "pramana-proof";
  version: 1;
  document_id: string;
  leaf: { sha256: string; salt: string; leaf: string };
  merkle: { root: string; leaf_index: number; leaf_count: number; proof: string[] };
  anchor: {
    chain_id: number;
    contract: string;
    tx_hash: string;
    block_number: number;
    block_hash: string;
    block_timestamp: number;
  };
}

export interface OfflineCheck {
  /** True when every offline step passed. The chain steps remain to be done. */
  ok: boolean;
  /** What failed, in plain words (empty when ok). */
  problems: string[];
  /** The root to look up on the contract you trust (0x-hex), when the bundle could be read. */
  root?: string;
}

const HASH = /^0x[0-9a-f]{64}$/;

/**
 * Checks a bundle without the chain: format and version, the leaf from salt and SHA-256, the
 * index within the count, and the Merkle path to the root. With `documentSha256` (the SHA-256
 * of the document in hand), also that the bundle is about that document.
 */
export async function checkBundleOffline(bundle: unknown, documentSha256?: Uint8Array): Promise<OfflineCheck> {
  const b = bundle as Partial<ProofBundle> | null;
  if (!b || typeof b !== "object" || b.format !== "pramana-proof") {
    return { ok: false, problems: ["not a Pramana proof bundle"] };
  }
  if (b.version !== 1) return { ok: false, problems: [`unknown proof bundle version ${String(b.version)}`] };
  const leaf = b.leaf;
  const merkle = b.merkle;
  const hashes = [leaf?.sha256, leaf?.salt, leaf?.leaf, merkle?.root, ...(merkle?.proof ?? [])];
  if (!leaf || !merkle || !Array.isArray(merkle.proof) || !hashes.every((h) => typeof h === "string" && HASH.test(h))) {
    return { ok: false, problems: ["the bundle's hashes are not 0x and 64 lower-case hex digits"] };
  }
  const problems: string[] = [];
  const sha = fromHexN(leaf.sha256, 32);
  if (documentSha256 && !equal(documentSha256, sha)) {
    problems.push("the document's SHA-256 is not the one in the bundle");
  }
  const computed = await documentLeaf(fromHexN(leaf.salt, 32), sha);
  if (!equal(computed, fromHexN(leaf.leaf, 32))) problems.push("the leaf does not follow from salt and SHA-256");
  const { leaf_index: index, leaf_count: count } = merkle;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count) {
    problems.push("the leaf index is not within the leaf count");
  }
  const root = await processProof(computed, merkle.proof.map((h) => fromHexN(h, 32)));
  if (!equal(root, fromHexN(merkle.root, 32))) problems.push("the Merkle path does not lead to the root");
  return { ok: problems.length === 0, problems, root: `0x${toHex(fromHexN(merkle.root, 32))}` };
}
