// What a patient who lost their keys still has: documents only they could open (lost), those
// a hospital can also open (it holds its own key to its copy and can share it again), and the
// consents in force on the chain. Counted from metadata the API gives without any key: a
// document's header carries one stanza (a wrapped data key) per key that opens it, and its
// length tells how many (78 + 97 × n bytes, docs/envelope.md).
import type { Schemas } from "../api/client";

const HEADER_FIXED = 78;
const STANZA = 97;

export interface LostKeysSummary {
  /** Documents no key but the patient's opens. */
  onlyYours: number;
  /** Documents another key (a hospital's) opens too. */
  shared: number;
  /** Consents in force (granted, recorded on chain). */
  consentsInForce: number;
}

/** Stanzas in a base64 header, or 0 when it is absent or not a header's length. */
export function stanzaCount(headerB64: string | null | undefined): number {
  if (!headerB64) return 0;
  const clean = headerB64.replace(/=+$/, "");
  const bytes = Math.floor((clean.length * 3) / 4);
  const n = (bytes - HEADER_FIXED) / STANZA;
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export function lostKeysSummary(
  docs: Pick<Schemas["DocumentView"], "header" | "deleted_at">[],
  consents: Pick<Schemas["ConsentView"], "status">[],
): LostKeysSummary {
  let onlyYours = 0;
  let shared = 0;
  for (const d of docs) {
    if (d.deleted_at) continue;
    const n = stanzaCount(d.header);
    if (n > 1) shared++;
    else if (n === 1) onlyYours++;
  }
  return { onlyYours, shared, consentsInForce: consents.filter((c) => c.status === "GRANTED").length };
}
