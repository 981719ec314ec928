// Checking a document and its proof bundle (docs/proof.md) as `pramana verify` does: the file is
// hashed here (never uploaded), the bundle checked offline, then the root looked up on the
// contract we trust, by eth_call straight to the chain's RPC endpoint (not through Pramana).
import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  createPublicClient,
  getAddress,
  http,
  isAddress,
  type Hex,
} from "viem";
import { equal, fromHexN, toHex } from "../crypto/bytes";
import { sha256Hasher } from "../crypto/hash";
import { checkBundleOffline, type ProofBundle } from "../crypto/proof";
import { anchorAbi } from "./registryAbi";

const registryAbi = anchorAbi;

/** What we trust: the chain and contract, and the endpoint the chain is read through. */
export interface Trusted {
  chainId: number;
  contract: string;
  rpcUrl: string;
}

export type Outcome =
  /** The document is the one anchored: block and time from the chain. */
  | { kind: "verified"; sha256: string; block: number; time: number; movedBlock: boolean }
  /** JSON, but not a Pramana proof bundle (or a version this page does not know). */
  | { kind: "not_a_proof" }
  /** The file is not the document the bundle is about. */
  | { kind: "mismatch"; sha256: string; expected: string }
  /** The bundle fails its own checks (altered, or damaged). */
  | { kind: "tampered"; problems: string[] }
  /** A foreign proof: it names another contract or chain than the ones trusted here. */
  | { kind: "wrong_contract"; named: string }
  | { kind: "wrong_chain"; named: string; trusted: number }
  /** The RPC endpoint did not answer. */
  | { kind: "rpc_unreachable"; url: string }
  /** The RPC endpoint answers for another chain than the one trusted. */
  | { kind: "rpc_wrong_chain"; expected: number; actual: number }
  /** The endpoint is on the right chain but the trusted contract cannot be read there. */
  | { kind: "no_contract"; contract: string }
  /** Consistent, but the root is not anchored on the trusted contract. */
  | { kind: "not_anchored"; sha256: string };

/** The file's SHA-256, read in pieces (large files in constant memory). */
export async function hashFile(file: Blob, onProgress?: (done: number) => void): Promise<Uint8Array> {
  const h = await sha256Hasher();
  const reader = file.stream().getReader();
  let done = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    h.update(r.value);
    done += r.value.length;
    onProgress?.(done);
  }
  return h.digest();
}

/** Thrown when the bundle file is not JSON. */
export class UnreadableBundle extends Error {}

export async function readBundle(file: Blob): Promise<unknown> {
  try {
    return JSON.parse(await file.text());
  } catch {
    throw new UnreadableBundle("not JSON");
  }
}

/**
 * The whole check, cheapest first: the bundle on its own, the file against it, the bundle's
 * contract and chain against the trusted ones (all without the network), then the endpoint's
 * chain id, then the contract. Every failure is an outcome the page can word; nothing throws.
 */
export async function verifyDocument(sha256: Uint8Array, bundle: unknown, trusted: Trusted): Promise<Outcome> {
  const offline = await checkBundleOffline(bundle, sha256);
  if (offline.root === undefined && !isProofShaped(bundle)) return { kind: "not_a_proof" };
  const b = bundle as ProofBundle;
  const shaHex = `0x${toHex(sha256)}`;
  // The offline check says whether the bundle is sound and whether it is about this file.
  const aboutThisFile = offline.root !== undefined && equal(sha256, fromHexN(b.leaf.sha256, 32));
  const sound = offline.root !== undefined && offline.problems.every((p) => p.startsWith("the document's SHA-256"));
  if (!sound) return { kind: "tampered", problems: offline.problems };
  if (!aboutThisFile) return { kind: "mismatch", sha256: shaHex, expected: b.leaf.sha256 };

  const named = b.anchor?.contract;
  if (typeof named !== "string" || !isAddress(named) || getAddress(named) !== getAddress(trusted.contract)) {
    return { kind: "wrong_contract", named: String(named) };
  }
  if (b.anchor.chain_id !== trusted.chainId) {
    return { kind: "wrong_chain", named: String(b.anchor.chain_id), trusted: trusted.chainId };
  }
  const client = createPublicClient({ transport: http(trusted.rpcUrl, { retryCount: 1, timeout: 15_000 }) });
  let actual: number;
  try {
    actual = await client.getChainId();
  } catch {
    return { kind: "rpc_unreachable", url: trusted.rpcUrl };
  }
  if (actual !== trusted.chainId) return { kind: "rpc_wrong_chain", expected: trusted.chainId, actual };
  const contract = getAddress(trusted.contract);
  try {
    const [ok, timestamp, blockNumber] = await client.readContract({
      address: contract,
      abi: registryAbi,
      functionName: "verifyDocument",
      args: [b.merkle.root as Hex, b.leaf.salt as Hex, b.leaf.sha256 as Hex, b.merkle.proof as Hex[]],
    });
    if (!ok) return { kind: "not_anchored", sha256: shaHex };
    const [, , leafCount] = await client.readContract({
      address: contract,
      abi: registryAbi,
      functionName: "anchoredAt",
      args: [b.merkle.root as Hex],
    });
    if (Number(leafCount) !== b.merkle.leaf_count) {
      return { kind: "tampered", problems: ["the leaf count is not the one anchored with the root"] };
    }
    return {
      kind: "verified",
      sha256: shaHex,
      block: Number(blockNumber),
      time: Number(timestamp),
      movedBlock: Number(blockNumber) !== b.anchor.block_number,
    };
  } catch (e) {
    // No code at the address (or not this contract) reverts or returns nothing; a dropped
    // connection between the two calls is the endpoint's fault, not the contract's.
    if (e instanceof ContractFunctionExecutionError && !(e.cause instanceof ContractFunctionRevertedError || e.cause instanceof ContractFunctionZeroDataError)) {
      return { kind: "rpc_unreachable", url: trusted.rpcUrl };
    }
    return { kind: "no_contract", contract };
  }
}

/** A Pramana proof bundle of the version this page reads, however damaged its hashes are. */
function isProofShaped(bundle: unknown): boolean {
  const b = bundle as Partial<ProofBundle> | null;
  return !!b && typeof b === "object" && b.format === "pramana-proof" && b.version === 1;
}
