// Every consent's history read from the chain alone, and its comparison with the platform's
// records: a port of `pramana audit` (core's `chain::history` and the CLI's `audit::compare`),
// read straight from the chain's RPC endpoint with viem, never through the platform. A consent
// is the pair (patient, consent id): the contract keys its records by both, so the same id
// granted by another key is another consent (the patient's account address stays the key
// across signer rotations; only a signature of the account's current signer writes under it).
import { createPublicClient, decodeEventLog, getAddress, http, type Hex, type Log, type PublicClient } from "viem";
import type { Discrepancy, DiscrepancyKind } from "./auditTable";
import type { Trusted } from "./verify";
import { consentAbi } from "./registryAbi";

export { csvCell, discrepanciesCsv, DISCREPANCY_KINDS, matchesFilter, type Discrepancy, type DiscrepancyKind } from "./auditTable";

/** Blocks per `eth_getLogs` request (public endpoints cap the range), as the CLI. */
export const LOG_RANGE = 10_000n;

const registryAbi = consentAbi;

/** A consent's status now, as `consentStatus` returns it (the CLI's names). */
export type ChainStatus = "unknown" | "active" | "not_yet_valid" | "expired" | "revoked";

const STATUS_CODES: ChainStatus[] = ["unknown", "active", "not_yet_valid", "expired", "revoked"];

/** From the contract's `Status` enum value; null for a value the contract does not have. */
export function statusFromCode(code: number): ChainStatus | null {
  return STATUS_CODES[code] ?? null;
}

/** Where an event was emitted. */
export interface EventPoint {
  blockNumber: number;
  txHash: string;
}

/** One consent as the chain records it. Addresses checksummed, hashes lower-case hex. */
export interface ConsentHistory {
  consentId: string;
  patient: string;
  grantee: string;
  scopeHash: string;
  validFrom: number;
  validUntil: number;
  granted: EventPoint;
  revoked: EventPoint | null;
  status: ChainStatus;
}

/** A decoded event of the registry, as `collectHistories` reads them. */
export type RegistryEvent =
  | {
      kind: "granted";
      consentId: string;
      patient: string;
      grantee: string;
      scopeHash: string;
      validFrom: number;
      validUntil: number;
      at: EventPoint;
    }
  | { kind: "revoked"; consentId: string; patient: string; at: EventPoint };

/** The key of a consent: (patient, id). */
export function consentKey(patient: string, consentId: string): string {
  return `${getAddress(patient)}|${consentId.toLowerCase()}`;
}

/**
 * The consents the events record, in the order granted, each with its revocation (by the same
 * patient and id); statuses are `unknown` until asked of the contract.
 */
export function collectHistories(events: RegistryEvent[]): ConsentHistory[] {
  const consents: ConsentHistory[] = [];
  const revocations = new Map<string, EventPoint>();
  for (const e of events) {
    if (e.kind === "granted") {
      consents.push({
        consentId: e.consentId.toLowerCase(),
        patient: getAddress(e.patient),
        grantee: getAddress(e.grantee),
        scopeHash: e.scopeHash.toLowerCase(),
        validFrom: e.validFrom,
        validUntil: e.validUntil,
        granted: e.at,
        revoked: null,
        status: "unknown",
      });
    } else {
      revocations.set(consentKey(e.patient, e.consentId), e.at);
    }
  }
  for (const c of consents) c.revoked = revocations.get(consentKey(c.patient, c.consentId)) ?? null;
  return consents;
}

/** A log of the registry decoded, or null for any other event (nonces, rotations, anchors). */
export function decodeRegistryLog(log: Pick<Log, "data" | "topics" | "blockNumber" | "transactionHash">): RegistryEvent | null {
  let d;
  try {
    d = decodeEventLog({ abi: registryAbi, data: log.data, topics: log.topics, strict: true });
  } catch {
    return null;
  }
  const at = { blockNumber: Number(log.blockNumber ?? 0n), txHash: log.transactionHash ?? `0x${"0".repeat(64)}` };
  if (d.eventName === "ConsentGranted") {
    const a = d.args;
    return {
      kind: "granted",
      consentId: a.consentId,
      patient: a.patient,
      grantee: a.grantee,
      scopeHash: a.scopeHash,
      validFrom: Number(a.validFrom),
      validUntil: Number(a.validUntil),
      at,
    };
  }
  return { kind: "revoked", consentId: d.args.consentId, patient: d.args.patient, at };
}

/** Why the chain cannot be read as trusted; every case is worded on the page. */
export type ChainProblem =
  | { kind: "rpc_unreachable"; url: string }
  | { kind: "rpc_wrong_chain"; expected: number; actual: number }
  | { kind: "no_contract"; contract: string }
  | { kind: "rpc_failed"; message: string };

export class ChainError extends Error {
  constructor(readonly problem: ChainProblem) {
    super(problem.kind);
  }
}

/** A client of the trusted chain: the endpoint answers for the pinned chain and the pinned contract has code there. */
export async function connectChain(trusted: Trusted): Promise<PublicClient> {
  // JSON-RPC batching: the status of thousands of consents costs a few round trips, not thousands.
  const client = createPublicClient({
    transport: http(trusted.rpcUrl, { retryCount: 1, timeout: 20_000, batch: { batchSize: 500 } }),
  }) as PublicClient;
  let actual: number;
  try {
    actual = await client.getChainId();
  } catch {
    throw new ChainError({ kind: "rpc_unreachable", url: trusted.rpcUrl });
  }
  if (actual !== trusted.chainId) throw new ChainError({ kind: "rpc_wrong_chain", expected: trusted.chainId, actual });
  const contract = getAddress(trusted.contract);
  let code: Hex | undefined;
  try {
    code = await client.getCode({ address: contract });
  } catch {
    throw new ChainError({ kind: "rpc_unreachable", url: trusted.rpcUrl });
  }
  if (!code || code === "0x") throw new ChainError({ kind: "no_contract", contract });
  return client;
}

function rpcFailed(e: unknown): ChainError {
  return e instanceof ChainError ? e : new ChainError({ kind: "rpc_failed", message: e instanceof Error ? (e.message.split("\n")[0] ?? e.message) : String(e) });
}

/**
 * Every consent granted on `contract` from `fromBlock` to the latest block, with its revocation,
 * in the order granted (statuses not yet asked: see `fillStatuses`). `onProgress` gets the block
 * reached and the head.
 */
export async function readHistories(
  client: PublicClient,
  contract: string,
  fromBlock: bigint,
  onProgress?: (block: bigint, head: bigint) => void,
): Promise<ConsentHistory[]> {
  try {
    const head = await client.getBlockNumber();
    const address = getAddress(contract);
    const events: RegistryEvent[] = [];
    for (let start = fromBlock; start <= head; start += LOG_RANGE) {
      const end = start + LOG_RANGE - 1n < head ? start + LOG_RANGE - 1n : head;
      const logs = await client.getLogs({ address, events: registryAbi.filter((x) => x.type === "event"), fromBlock: start, toBlock: end });
      for (const log of logs) {
        const e = decodeRegistryLog(log);
        if (e) events.push(e);
      }
      onProgress?.(end, head);
    }
    return collectHistories(events);
  } catch (e) {
    throw rpcFailed(e);
  }
}

/** Asks the contract for the status now of each of `consents` (in place). */
export async function fillStatuses(client: PublicClient, contract: string, consents: ConsentHistory[]): Promise<void> {
  const address = getAddress(contract);
  try {
    const codes = await Promise.all(
      consents.map((c) =>
        client.readContract({ address, abi: registryAbi, functionName: "consentStatus", args: [c.patient as Hex, c.consentId as Hex] }),
      ),
    );
    consents.forEach((c, i) => {
      const s = statusFromCode(Number(codes[i]));
      if (s === null) throw new ChainError({ kind: "rpc_failed", message: `unknown status ${codes[i]}` });
      c.status = s;
    });
  } catch (e) {
    throw rpcFailed(e);
  }
}

/** A relay of the platform's chain mirror (`RelayView`). */
export interface Relay {
  state: string;
}

/** A signed consent as the platform reports it (`GET /v1/audit/consents`). */
export interface PlatformConsent {
  id: string;
  chain_consent_id: string;
  status: string;
  patient: string;
  grantee: string;
  scope_hash: string;
  valid_from: number;
  valid_until: number;
  chain: { grant?: Relay | null; revoke?: Relay | null };
}

/** A record on chain under a platform consent's id granted by another key: not the patient's, ignored. */
export interface Foreign {
  consent_id: string;
  patient: string;
}

export type Finding =
  | { type: "discrepancy"; discrepancy: Discrepancy }
  | { type: "in_flight"; consent_id: string }
  | { type: "foreign"; foreign: Foreign };

export interface Report {
  in_flight: string[];
  foreign: Foreign[];
  discrepancies: Discrepancy[];
}

/** Whether a message is still on its way to the chain. */
function relaying(r: Relay | null | undefined): boolean {
  return !!r && (r.state === "pending" || r.state === "submitted");
}

/** The CLI's rendering of a 20-byte address (EIP-55) and of 32-byte hashes (lower case). */
function addr(a: string): string {
  return getAddress(a);
}

/** Chain records by (patient, id). */
export function chainIndex(chain: ConsentHistory[]): Map<string, ConsentHistory> {
  return new Map(chain.map((c) => [consentKey(c.patient, c.consentId), c]));
}

/**
 * The findings for one platform consent against the chain's records, as of `now` (Unix
 * seconds). Active means: granted, within its validity, not revoked — on each side by its own
 * record. A platform consent is matched with the chain's record of the same patient and id only.
 */
export function comparePlatform(p: PlatformConsent, onChain: Map<string, ConsentHistory>, now: number): Finding[] {
  const out: Finding[] = [];
  const id = p.chain_consent_id.toLowerCase();
  const d = (kind: DiscrepancyKind, detail: string) =>
    out.push({ type: "discrepancy", discrepancy: { consent_id: id, platform_id: p.id, kind, detail } });
  const platformActive = p.status === "GRANTED" && p.valid_from <= now && now < p.valid_until;
  const c = onChain.get(consentKey(p.patient, id));
  if (!c) {
    if (relaying(p.chain.grant)) {
      out.push({ type: "in_flight", consent_id: id });
    } else if (platformActive) {
      const relay = p.chain.grant?.state ?? "none";
      d("absent_on_chain", `platform ${p.status} (relay ${relay}); no grant on chain`);
    }
    return out;
  }
  const mismatched: string[] = [];
  if (addr(c.grantee) !== addr(p.grantee)) mismatched.push(`grantee ${addr(p.grantee)} vs ${addr(c.grantee)}`);
  if (c.scopeHash !== p.scope_hash.toLowerCase()) mismatched.push(`scope hash ${p.scope_hash.toLowerCase()} vs ${c.scopeHash}`);
  if (c.validFrom !== p.valid_from || c.validUntil !== p.valid_until) {
    mismatched.push(`validity ${p.valid_from}..${p.valid_until} vs ${c.validFrom}..${c.validUntil}`);
  }
  if (mismatched.length > 0) d("record_mismatch", `platform vs chain: ${mismatched.join("; ")}`);
  const chainActive = c.status === "active";
  if (platformActive && !chainActive) {
    if (c.status === "revoked") d("revoked_on_chain", `platform ${p.status}; chain revoked`);
    else d("inactive_on_chain", `platform ${p.status}; chain ${c.status}`);
  } else if (!platformActive && chainActive) {
    if (p.status === "REVOKED" && relaying(p.chain.revoke)) out.push({ type: "in_flight", consent_id: id });
    else d("active_on_chain", `platform ${p.status}; chain active`);
  }
  return out;
}

/** The platform's consents as keys (patient, id) and as bare ids. */
export function platformIndex(platform: PlatformConsent[]): { known: Set<string>; ids: Set<string> } {
  return {
    known: new Set(platform.map((p) => consentKey(p.patient, p.chain_consent_id))),
    ids: new Set(platform.map((p) => p.chain_consent_id.toLowerCase())),
  };
}

/** The finding for a chain record, if the platform does not hold it as the patient's consent. */
export function compareChainOnly(c: ConsentHistory, index: { known: Set<string>; ids: Set<string> }): Finding | null {
  if (index.known.has(consentKey(c.patient, c.consentId))) return null;
  if (index.ids.has(c.consentId)) return { type: "foreign", foreign: { consent_id: c.consentId, patient: c.patient } };
  if (c.status === "active") {
    return {
      type: "discrepancy",
      discrepancy: {
        consent_id: c.consentId,
        platform_id: null,
        kind: "unknown_to_platform",
        detail: "chain active; the platform has no such signed consent",
      },
    };
  }
  return null;
}

/** The whole comparison at once (`pramana audit`'s `compare`), in the CLI's order. */
export function compare(platform: PlatformConsent[], chain: ConsentHistory[], now: number): Report {
  const report: Report = { in_flight: [], foreign: [], discrepancies: [] };
  const add = (f: Finding | null) => {
    if (!f) return;
    if (f.type === "discrepancy") report.discrepancies.push(f.discrepancy);
    else if (f.type === "in_flight") report.in_flight.push(f.consent_id);
    else report.foreign.push(f.foreign);
  };
  const onChain = chainIndex(chain);
  for (const p of platform) comparePlatform(p, onChain, Math.max(0, now)).forEach(add);
  const index = platformIndex(platform);
  for (const c of chain) add(compareChainOnly(c, index));
  return report;
}

/**
 * The comparison as it is computed, for a table that fills in as it goes: the statuses of the
 * chain records a batch of platform consents needs are asked, then that batch's findings are
 * handed on; then the records the platform does not hold. The result equals `compare` on the
 * same data.
 */
export async function reconcile(
  client: PublicClient,
  contract: string,
  platform: PlatformConsent[],
  chain: ConsentHistory[],
  now: number,
  onFindings: (f: Finding[], checked: number, total: number) => void,
  batch = 500,
): Promise<void> {
  const onChain = chainIndex(chain);
  const asked = new Set<ConsentHistory>();
  const total = platform.length + chain.length;
  let checked = 0;
  for (let i = 0; i < platform.length; i += batch) {
    const slice = platform.slice(i, i + batch);
    const need = slice.map((p) => onChain.get(consentKey(p.patient, p.chain_consent_id))).filter((c): c is ConsentHistory => !!c && !asked.has(c));
    await fillStatuses(client, contract, need);
    need.forEach((c) => asked.add(c));
    checked += slice.length;
    onFindings(slice.flatMap((p) => comparePlatform(p, onChain, Math.max(0, now))), checked, total);
  }
  const index = platformIndex(platform);
  for (let i = 0; i < chain.length; i += batch) {
    const slice = chain.slice(i, i + batch);
    await fillStatuses(client, contract, slice.filter((c) => !asked.has(c)));
    slice.forEach((c) => asked.add(c));
    checked += slice.length;
    onFindings(slice.map((c) => compareChainOnly(c, index)).filter((f): f is Finding => f !== null), checked, total);
  }
}
