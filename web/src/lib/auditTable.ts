// The reconciliation table's rows (`pramana audit`'s discrepancies), their filter and their CSV
// export; kept apart from lib/audit so the console's table does not wait for the chain client.

import type { ChainStatus, ConsentHistory } from "./audit";

export type DiscrepancyKind =
  | "absent_on_chain"
  | "revoked_on_chain"
  | "inactive_on_chain"
  | "active_on_chain"
  | "unknown_to_platform"
  | "record_mismatch";

export const DISCREPANCY_KINDS: DiscrepancyKind[] = [
  "absent_on_chain",
  "revoked_on_chain",
  "inactive_on_chain",
  "active_on_chain",
  "unknown_to_platform",
  "record_mismatch",
];

/** One way the platform and the chain disagree (the CLI's `Discrepancy`). */
export interface Discrepancy {
  consent_id: string;
  platform_id: string | null;
  kind: DiscrepancyKind;
  detail: string;
}

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled; a
 * cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
 * is prefixed with an apostrophe so it is read as text.
 */
export function csvCell(v: string | null | undefined): string {
  let s = v ?? "";
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ["kind", "consent_id", "platform_id", "detail"] as const;

/** The discrepancies as CSV, a header line first, CRLF line ends. */
export function discrepanciesCsv(rows: Discrepancy[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of rows) lines.push([r.kind, r.consent_id, r.platform_id, r.detail].map(csvCell).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** Whether a row matches the table's filter (a kind, or all; and text anywhere in the row, any case). */
export function matchesFilter(r: Discrepancy, kind: DiscrepancyKind | "all", text: string): boolean {
  if (kind !== "all" && r.kind !== kind) return false;
  const q = text.trim().toLowerCase();
  if (q === "") return true;
  return [r.kind, r.consent_id, r.platform_id ?? "", r.detail].some((f) => f.toLowerCase().includes(q));
}

/** The chain histories' CSV columns (`pramana audit --json`'s consents, flattened). */
export const HISTORY_CSV_COLUMNS = [
  "consent_id",
  "status",
  "patient",
  "grantee",
  "scope_hash",
  "valid_from",
  "valid_until",
  "granted_block",
  "granted_tx",
  "revoked_block",
  "revoked_tx",
] as const;

/** The chain histories as CSV (times as ISO 8601 UTC), a header line first, CRLF line ends. */
export function historiesCsv(rows: ConsentHistory[]): string {
  const iso = (s: number) => new Date(s * 1000).toISOString();
  const lines = [HISTORY_CSV_COLUMNS.join(",")];
  for (const h of rows) {
    const cells = [
      h.consentId,
      h.status,
      h.patient,
      h.grantee,
      h.scopeHash,
      iso(h.validFrom),
      iso(h.validUntil),
      String(h.granted.blockNumber),
      h.granted.txHash,
      h.revoked ? String(h.revoked.blockNumber) : "",
      h.revoked?.txHash ?? "",
    ];
    lines.push(cells.map(csvCell).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

/** Whether a history matches the filter: a status, or all; and text in an id or key, any case. */
export function matchesHistory(h: ConsentHistory, status: ChainStatus | "all", text: string): boolean {
  if (status !== "all" && h.status !== status) return false;
  const q = text.trim().toLowerCase();
  if (q === "") return true;
  return [h.consentId, h.patient, h.grantee, h.scopeHash, h.granted.txHash, h.revoked?.txHash ?? ""].some((f) =>
    f.toLowerCase().includes(q),
  );
}

/** One page of `items` (pages from 0), clamped to the last page; with its bounds for the caption. */
export function pageOf<T>(items: T[], page: number, size: number): { rows: T[]; page: number; pages: number; first: number; last: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  const rows = items.slice(p * size, (p + 1) * size);
  return { rows, page: p, pages, first: rows.length ? p * size + 1 : 0, last: p * size + rows.length };
}
