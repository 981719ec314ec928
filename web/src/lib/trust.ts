// What the verify page trusts (chain, pinned contract, RPC endpoint) and where it learnt it: the
// deployment file `/pramana-chain.json` first (docs/verify-page.md), so the page works on a
// static host with the platform's API switched off; then the API's `/v1/chain`; otherwise the
// visitor types them. Kept apart from lib/verify so the page loads without the chain client.
import type { Trusted } from "./verify";

/** Where the page looks for the deployment file, next to index.html. */
export const CHAIN_FILE = "/pramana-chain.json";

/** Where the trusted values came from, shown to the visitor. */
export type TrustSource = "file" | "api" | "typed";

/** What a deployment file or the API said; the RPC URL may be missing (the visitor supplies it). */
export interface Pinned {
  chainId: number;
  contract: string;
  rpcUrl: string | null;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A chain id: a positive whole number (JSON number or decimal string, as typed in a form). */
export function parseChainId(v: unknown): number | null {
  const n = typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function parseContract(v: unknown): string | null {
  return typeof v === "string" && ADDRESS.test(v.trim()) ? v.trim() : null;
}

/** An http(s) URL, or null. */
export function parseRpcUrl(v: unknown): string | null {
  if (typeof v !== "string" || v.trim() === "") return null;
  try {
    const u = new URL(v.trim());
    return u.protocol === "http:" || u.protocol === "https:" ? v.trim() : null;
  } catch {
    return null;
  }
}

/**
 * The deployment file's (or `/v1/chain`'s) values, or null when they do not pin a chain and a
 * contract: a file that is not JSON (a static host's index.html fallback), or values that do not
 * parse, are as good as no file, never half trusted.
 */
export function parsePinned(json: unknown): Pinned | null {
  if (!json || typeof json !== "object") return null;
  const o = json as Record<string, unknown>;
  const chainId = parseChainId(o.chain_id);
  const contract = parseContract(o.contract_address);
  if (chainId === null || contract === null) return null;
  return { chainId, contract, rpcUrl: parseRpcUrl(o.public_rpc_url) };
}

/** Fetches a JSON document; null when it is missing, not JSON, or unreachable. */
async function fetchJson(url: string, fetcher: typeof fetch): Promise<unknown> {
  try {
    const r = await fetcher(url, { headers: { accept: "application/json" }, cache: "no-cache" });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

/** The pinned values and their source: the deployment file first, then the API; null if neither. */
export async function loadPinned(fetcher: typeof fetch = fetch): Promise<{ pinned: Pinned; source: TrustSource } | null> {
  const file = parsePinned(await fetchJson(CHAIN_FILE, fetcher));
  if (file) return { pinned: file, source: "file" };
  const api = parsePinned(await fetchJson("/v1/chain", fetcher));
  if (api) return { pinned: api, source: "api" };
  return null;
}

/** The complete trusted values, or null while the RPC URL is missing. */
export function toTrusted(p: Pinned): Trusted | null {
  return p.rpcUrl ? { chainId: p.chainId, contract: p.contract, rpcUrl: p.rpcUrl } : null;
}
