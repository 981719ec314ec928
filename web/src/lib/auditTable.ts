// The reconciliation table's rows (`pramana audit`'s discrepancies), their filter and their CSV
// export; kept apart from lib/audit so the console's table does not wait for the chain client.

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
