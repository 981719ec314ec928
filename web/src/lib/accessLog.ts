// The patient's access log (GET /v1/patients/me/access-log), every page of it, and the words
// for each entry's actor and target.
import { api, call, type Schemas } from "../api/client";

export type AuditEntry = Schemas["AuditEntry"];

/** Pages are read in order until the end (at most `maxPages` of 1000 entries). */
export async function loadAccessLog(maxPages = 20): Promise<{ events: AuditEntry[]; complete: boolean }> {
  const events: AuditEntry[] = [];
  let after: number | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await call(() =>
      api.GET("/v1/patients/me/access-log", { params: { query: { limit: 1000, ...(after !== undefined ? { after } : {}) } } }),
    );
    events.push(...page.events);
    if (page.next_after == null) return { events, complete: true };
    after = page.next_after;
  }
  return { events, complete: false };
}

/** `kind:id` targets, split. */
export function parseTarget(target: string | null | undefined): { kind: string; id: string } | null {
  if (!target) return null;
  const i = target.indexOf(":");
  return i < 0 ? null : { kind: target.slice(0, i), id: target.slice(i + 1) };
}

export type Filter = "all" | "hospitals" | "you" | "refused" | `h:${string}`;

export function matches(e: AuditEntry, f: Filter, me: string): boolean {
  switch (f) {
    case "all":
      return true;
    case "hospitals":
      return e.actor_role === "hospital";
    case "you":
      return e.actor_role === "patient" && e.actor_id === me;
    case "refused":
      return e.outcome !== "ok";
    default:
      return e.actor_role === "hospital" && e.actor_id === f.slice(2);
  }
}
