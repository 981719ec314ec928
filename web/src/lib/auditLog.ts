// The access log checked in the browser as `pramana audit-log verify` checks it
// (docs/audit-log.md, cli/src/auditlog.rs, the tree math of core's `auditlog`): each entry's
// leaf hash recomputed from its content, the RFC 9162 tree rebuilt from those and compared with
// every head, each anchored head's anchor proof checked and its batch root asked of the contract
// (`anchoredAt`) through the chain's RPC endpoint, and the platform's consistency proofs between
// consecutive anchored heads verified. (The CLI's `--state`, a head remembered between runs, is
// not kept here.)
import { concat, getAddress, hexToBytes, keccak256, sha256, toBytes, type PublicClient } from "viem";
import { anchorAbi } from "./registryAbi";

export type Hash = Uint8Array;

/** An entry as `/v1/audit/log` serves it (`AuditEntry`). */
export interface LogEntry {
  id: string;
  seq: number;
  position?: number | null;
  at: string;
  actor_role: string;
  actor_id?: string | null;
  action: string;
  outcome: string;
  subject_patient_id?: string | null;
  target?: string | null;
  request_id?: string | null;
  details: unknown;
  leaf_hash?: string | null;
}

/** A head's anchor proof (`HeadAnchor`). */
export interface HeadAnchor {
  tree_size: number;
  root: string;
  leaf: string;
  merkle: { root: string; leaf_index: number; leaf_count: number; proof: string[] };
}

/** A head as `/v1/audit/heads` serves it. */
export interface TreeHead {
  tree_size: number;
  root: string;
  anchor?: HeadAnchor | null;
}

const ENTRY_DOMAIN = toBytes("pramana/audit/v2");
const HEAD_DOMAIN = toBytes("pramana/audit-head/v1");

export function hashHex(s: string | null | undefined): Hash | null {
  if (typeof s !== "string") return null;
  const h = s.startsWith("0x") ? s : `0x${s}`;
  return /^0x[0-9a-fA-F]{64}$/.test(h) ? hexToBytes(h as `0x${string}`) : null;
}

export function equalHash(a: Hash, b: Hash): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const hex = (h: Hash) => Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");

/** `SHA-256(0x00 ‖ entry)`. */
export function leafHash(entry: Uint8Array): Hash {
  return sha256(concat([new Uint8Array([0]), entry]), "bytes");
}

/** `SHA-256(0x01 ‖ left ‖ right)`. */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(concat([new Uint8Array([1]), left, right]), "bytes");
}

export function emptyRoot(): Hash {
  return sha256(new Uint8Array(), "bytes");
}

/** The largest power of two strictly below `n` (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** `MTH(D[n])` over leaf hashes. */
export function root(leaves: Hash[]): Hash {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leaves[0]!;
  const k = split(leaves.length);
  return nodeHash(root(leaves.slice(0, k)), root(leaves.slice(k)));
}

/** Number of hashes in `PATH(index, D[size])`. */
function inclusionLength(index: number, size: number): number {
  let n = 0;
  let [start, end] = [0, size];
  while (end - start > 1) {
    const k = split(end - start);
    if (index < start + k) end = start + k;
    else start += k;
    n++;
  }
  return n;
}

/** Number of hashes in `PROOF(first, D[second])`. */
function consistencyLength(first: number, second: number): number {
  let n = 0;
  let [start, end, whole] = [0, second, true];
  for (;;) {
    if (first === end) {
      if (!whole) n++;
      return n;
    }
    const k = split(end - start);
    if (first <= start + k) end = start + k;
    else {
      start += k;
      whole = false;
    }
    n++;
  }
}

/** RFC 9162 §2.1.3.2; null when it holds, else why not. Sizes are whole numbers below 2^53. */
export function verifyInclusion(index: number, size: number, leaf: Hash, proof: Hash[], rootHash: Hash): string | null {
  if (index >= size) return `position ${index} is not in a tree of size ${size}`;
  const want = inclusionLength(index, size);
  if (proof.length !== want) return `the proof has ${proof.length} hashes; these sizes need ${want}`;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return "the proof does not lead to the root";
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equalHash(r, rootHash) ? null : "the proof does not lead to the root";
}

/** RFC 9162 §2.1.4.2; null when the tree of `second` extends the tree of `first`, else why not. */
export function verifyConsistency(first: number, second: number, firstRoot: Hash, secondRoot: Hash, proof: Hash[]): string | null {
  if (first === 0 || first > second) return `position ${first} is not in a tree of size ${second}`;
  if (first === second) {
    if (proof.length !== 0) return `the proof has ${proof.length} hashes; these sizes need 0`;
    return equalHash(firstRoot, secondRoot) ? null : "the proof does not lead to the root";
  }
  const want = consistencyLength(first, second);
  if (proof.length !== want) return `the proof has ${proof.length} hashes; these sizes need ${want}`;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) return "the proof does not lead to the root";
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equalHash(fr, firstRoot) && equalHash(sr, secondRoot) ? null : "the proof does not lead to the root";
}

/** The tree's right edge: appending needs only the perfect subtrees' roots. */
export class CompactRange {
  private peaks: { level: number; hash: Hash }[] = [];
  size = 0;

  append(leaf: Hash): void {
    let carry = { level: 0, hash: leaf };
    for (let last = this.peaks.at(-1); last && last.level === carry.level; last = this.peaks.at(-1)) {
      this.peaks.pop();
      carry = { level: carry.level + 1, hash: nodeHash(last.hash, carry.hash) };
    }
    this.peaks.push(carry);
    this.size++;
  }

  root(): Hash {
    if (this.peaks.length === 0) return emptyRoot();
    let acc = this.peaks.at(-1)!.hash;
    for (let i = this.peaks.length - 2; i >= 0; i--) acc = nodeHash(this.peaks[i]!.hash, acc);
    return acc;
  }
}

/** `keccak256(keccak256("pramana/audit-head/v1" ‖ size as 8 bytes BE ‖ root))`. */
export function headLeaf(size: number, rootHash: Hash): Hash {
  const be = new Uint8Array(8);
  new DataView(be.buffer).setBigUint64(0, BigInt(size));
  return keccak256(keccak256(concat([HEAD_DOMAIN, be, rootHash]), "bytes"), "bytes");
}

/** keccak256(min(a, b) ‖ max(a, b)), OpenZeppelin's sorted pairs. */
function hashPair(a: Hash, b: Hash): Hash {
  const aFirst = hex(a) <= hex(b);
  return keccak256(aFirst ? concat([a, b]) : concat([b, a]), "bytes");
}

/** The head's anchor proof checked without the chain: its batch root, or why not. */
export function checkAnchorOffline(a: HeadAnchor): { batchRoot: Hash } | { problem: string } {
  const headRoot = hashHex(a.root);
  const leaf = hashHex(a.leaf);
  const batchRoot = hashHex(a.merkle.root);
  const proof = a.merkle.proof.map(hashHex);
  const bad = { problem: "the head's anchor leaf or its path is wrong" };
  if (!headRoot || !leaf || !batchRoot || proof.some((p) => p === null)) return bad;
  const expected = headLeaf(a.tree_size, headRoot);
  if (!equalHash(expected, leaf) || a.merkle.leaf_index >= a.merkle.leaf_count) return bad;
  let h = expected;
  for (const p of proof as Hash[]) h = hashPair(h, p);
  return equalHash(h, batchRoot) ? { batchRoot } : bad;
}

/** JSON with object keys sorted at every level and no whitespace (core's `canonical_json`). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort((a, b) => {
      const [x, y] = [toBytes(a), toBytes(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    });
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function uuidBytes(u: string): Uint8Array {
  const h = u.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new Error(`not a UUID: ${u}`);
  return hexToBytes(`0x${h}`);
}

/** Microseconds since the epoch of an RFC 3339 time with up to 9 fraction digits. */
export function microsOf(at: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(at);
  if (!m) throw new Error(`not a time: ${at}`);
  const seconds = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(seconds)) throw new Error(`not a time: ${at}`);
  const micros = BigInt((m[2] ?? "").padEnd(6, "0").slice(0, 6) || "0");
  return (BigInt(seconds) / 1000n) * 1_000_000n + micros;
}

/** The entry's encoding (`Entry::encode`). */
export function encodeEntry(e: LogEntry): Uint8Array {
  const parts: Uint8Array[] = [ENTRY_DOMAIN];
  const field = (b: Uint8Array | null) => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b === null ? 0xffff_ffff : b.length);
    parts.push(len);
    if (b !== null) parts.push(b);
  };
  const at = new Uint8Array(8);
  new DataView(at.buffer).setBigInt64(0, microsOf(e.at));
  const text = (s: string | null | undefined) => (s == null ? null : toBytes(s));
  field(uuidBytes(e.id));
  field(at);
  field(toBytes(e.actor_role));
  field(e.actor_id ? uuidBytes(e.actor_id) : null);
  field(toBytes(e.action));
  field(toBytes(e.outcome));
  field(e.subject_patient_id ? uuidBytes(e.subject_patient_id) : null);
  field(text(e.target));
  field(text(e.request_id));
  field(toBytes(canonicalJson(e.details ?? null)));
  return concat(parts);
}

/** The leaf hash of an entry's content, recomputed. */
export function contentHash(e: LogEntry): Hash {
  return leafHash(encodeEntry(e));
}

/** The first entry that does not fit. */
export interface Misfit {
  position: number;
  seq: number | null;
  reason: string;
}

export interface LogReport {
  entries: number;
  heads: number;
  anchoredHeads: number;
  verifiedSize: number;
  firstMisfit: Misfit | null;
  problems: string[];
}

/** What the check needs of the platform (the auditor's API calls) and of the chain. */
export interface LogSources {
  entries: LogEntry[];
  heads: TreeHead[];
  consistency: (first: number, second: number) => Promise<string[]>;
  inclusion: (position: number, treeSize: number) => Promise<string[] | null>;
  /** `anchoredAt(batchRoot)`: block number and leaf count (0, 0 when not anchored). */
  anchoredAt: (batchRoot: Hash) => Promise<{ blockNumber: number; leafCount: number }>;
}

/** The whole check, as the CLI runs it. */
export async function verifyLog(s: LogSources): Promise<LogReport> {
  const report: LogReport = { entries: s.entries.length, heads: s.heads.length, anchoredHeads: 0, verifiedSize: 0, firstMisfit: null, problems: [] };
  // 1. Which heads are anchored: the anchor proof holds and the contract has its batch root.
  const anchored: { size: number; root: Hash }[] = [];
  for (const h of s.heads) {
    const r = hashHex(h.root);
    if (!r) {
      report.problems.push(`head ${h.tree_size} has a malformed root`);
      continue;
    }
    const a = h.anchor;
    if (!a) continue;
    const ar = hashHex(a.root);
    if (a.tree_size !== h.tree_size || !ar || !equalHash(ar, r)) {
      report.problems.push(`head ${h.tree_size}: its anchor proof is for another head`);
      continue;
    }
    const off = checkAnchorOffline(a);
    if ("problem" in off) {
      report.problems.push(`head ${h.tree_size}: ${off.problem}`);
      continue;
    }
    const at = await s.anchoredAt(off.batchRoot);
    if (at.blockNumber === 0) {
      report.problems.push(`head ${h.tree_size}: its batch root is not anchored in the pinned contract`);
      continue;
    }
    if (at.leafCount !== a.merkle.leaf_count) {
      report.problems.push(`head ${h.tree_size}: the chain records ${at.leafCount} leaves under its batch root, the proof says ${a.merkle.leaf_count}`);
      continue;
    }
    anchored.push({ size: h.tree_size, root: r });
  }
  report.anchoredHeads = anchored.length;

  // 2. The tree from the entries' content, compared with every head on the way.
  const tree = new CompactRange();
  const leaves: Hash[] = [];
  const allHeads = s.heads.map((h) => ({ size: h.tree_size, root: hashHex(h.root) }));
  let nextAnchored = 0;
  let nextHead = 0;
  let lastGood = 0;
  for (let i = 0; i < s.entries.length; i++) {
    const e = s.entries[i]!;
    if (e.position !== i) {
      report.firstMisfit = { position: i, seq: null, reason: `missing: the next entry served (seq ${e.seq}) claims position ${e.position ?? "none"}` };
      break;
    }
    let leaf: Hash;
    try {
      leaf = contentHash(e);
    } catch {
      leaf = new Uint8Array(32);
    }
    const stored = hashHex(e.leaf_hash);
    if (!stored || !equalHash(stored, leaf)) {
      report.firstMisfit = { position: i, seq: e.seq, reason: "its content does not give the leaf hash stored with it" };
      break;
    }
    tree.append(leaf);
    leaves.push(leaf);
    const size = tree.size;
    const now = tree.root();
    while (nextHead < allHeads.length && allHeads[nextHead]!.size <= size) {
      const h = allHeads[nextHead++]!;
      if (h.size === size && !(h.root && equalHash(h.root, now)) && !anchored.some((a) => a.size === h.size)) {
        report.problems.push(`head ${h.size} (not anchored) does not match the entries`);
      }
    }
    const a = anchored[nextAnchored];
    if (a && a.size === size) {
      nextAnchored++;
      if (!equalHash(now, a.root)) {
        report.firstMisfit = await firstMisfitUnder(s, leaves, lastGood, a.size, a.root);
        break;
      }
      lastGood = a.size;
    }
  }
  if (report.firstMisfit === null && nextAnchored < anchored.length) {
    const sz = anchored[nextAnchored]!.size;
    report.firstMisfit = { position: tree.size, seq: null, reason: `missing: anchored head ${sz} holds ${sz} entries, the platform serves ${tree.size}` };
  }
  report.verifiedSize = lastGood;

  // 3. The platform's consistency proofs between consecutive anchored heads.
  if (report.firstMisfit === null) {
    for (let i = 1; i < anchored.length; i++) {
      const [m, n] = [anchored[i - 1]!, anchored[i]!];
      const proof = (await s.consistency(m.size, n.size)).map(hashHex).filter((h): h is Hash => h !== null);
      const why = verifyConsistency(m.size, n.size, m.root, n.root, proof);
      if (why) report.problems.push(`consistency proof ${m.size} -> ${n.size}: ${why}`);
    }
  }
  return report;
}

async function firstMisfitUnder(s: LogSources, leaves: Hash[], from: number, size: number, rootHash: Hash): Promise<Misfit> {
  for (let position = from; position < size; position++) {
    const proof = ((await s.inclusion(position, size)) ?? []).map(hashHex).filter((h): h is Hash => h !== null);
    if (verifyInclusion(position, size, leaves[position]!, proof, rootHash) !== null) {
      return { position, seq: s.entries[position]?.seq ?? null, reason: `the anchored head ${size} does not hold this entry as it is now` };
    }
  }
  return { position: from, seq: s.entries[from]?.seq ?? null, reason: `the entries from here do not give anchored head ${size}` };
}

const anchoredAtAbi = anchorAbi;

/** `anchoredAt` on the trusted contract. */
export function chainAnchoredAt(client: PublicClient, contract: string): LogSources["anchoredAt"] {
  return async (batchRoot) => {
    const [, blockNumber, leafCount] = await client.readContract({
      address: getAddress(contract),
      abi: anchoredAtAbi,
      functionName: "anchoredAt",
      args: [`0x${hex(batchRoot)}`],
    });
    return { blockNumber: Number(blockNumber), leafCount: Number(leafCount) };
  };
}
