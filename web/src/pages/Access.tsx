// The patient's access history: every entry of their audit log in plain words — who (a
// hospital by name), what (which document or consent), when, and whether it was allowed —
// newest first, filtered by hospital.
import { useEffect, useMemo, useState } from "react";
import { api, call, type Schemas } from "../api/client";
import { currentSession } from "../api/client";
import { formatDate, useLang, type Key, type T } from "../i18n";
import { loadAccessLog, matches, parseTarget, type AuditEntry, type Filter } from "../lib/accessLog";
import { Page } from "../Layout";
import { ErrorAlert, Select } from "../ui";
import { hospitalName, useHospitals, words } from "./consents/consentParts";

interface Context {
  me: string;
  caregivers: Map<string, string>;
  hospitals: Map<string, Schemas["HospitalView"]>;
  documents: Map<string, Schemas["DocumentView"]>;
  consents: Map<string, Schemas["ConsentView"]>;
}

export function Access() {
  const { t, lang } = useLang();
  const hospitals = useHospitals();
  const me = currentSession()?.subjectId ?? "";
  const [events, setEvents] = useState<AuditEntry[] | null>(null);
  const [documents, setDocuments] = useState(new Map<string, Schemas["DocumentView"]>());
  const [consents, setConsents] = useState(new Map<string, Schemas["ConsentView"]>());
  const [caregivers, setCaregivers] = useState(new Map<string, string>());
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState<Filter>("all");

  useEffect(() => {
    let live = true;
    loadAccessLog()
      .then((r) => live && setEvents(r.events.slice().reverse()))
      .catch((e) => live && setError(e));
    // Names for targets; the history still shows without them.
    call(() => api.GET("/v1/documents"))
      .then((l) => live && setDocuments(new Map(l.map((d) => [d.id, d]))))
      .catch(() => {});
    call(() => api.GET("/v1/consents"))
      .then((l) => live && setConsents(new Map(l.map((c) => [c.id, c]))))
      .catch(() => {});
    call(() => api.GET("/v1/caregivers"))
      .then((l) => live && setCaregivers(new Map(l.items.map((g) => [g.caregiver_id, g.caregiver_name]))))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

  // Hospitals that appear in the history, for the filter.
  const seen = useMemo(() => {
    const ids = new Set<string>();
    for (const e of events ?? []) if (e.actor_role === "hospital" && e.actor_id) ids.add(e.actor_id);
    return [...ids].map((id) => ({ id, name: hospitalName(t, hospitals, id) })).sort((a, b) => a.name.localeCompare(b.name));
  }, [events, hospitals, t]);

  const ctx: Context = { me, caregivers, hospitals, documents, consents };
  const shown = events?.filter((e) => matches(e, filter, me)) ?? [];

  return (
    <Page title={t("access.title")}>
      <p className="lead">{t("access.intro")}</p>
      <ErrorAlert error={error} />
      {!events && !error && <p>{t("access.loading")}</p>}
      {events && (
        <>
          <Select label={t("access.filter")} value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
            <option value="all">{t("access.filter.all")}</option>
            <option value="hospitals">{t("access.filter.hospitals")}</option>
            {seen.map((h) => (
              <option key={h.id} value={`h:${h.id}`}>
                {h.name}
              </option>
            ))}
            <option value="you">{t("access.filter.you")}</option>
            <option value="refused">{t("access.filter.refused")}</option>
          </Select>
          <p className="muted" aria-live="polite">
            {t("access.count", { count: shown.length })}
          </p>
          {shown.length === 0 ? (
            <p>{t("access.none")}</p>
          ) : (
            <ul className="list access-list">
              {shown.map((e) => (
                <li key={e.seq} className="access-item" data-outcome={e.outcome}>
                  <div className="access-head">
                    <strong>{who(t, e, ctx)}</strong>
                    <span className={`badge ${e.outcome === "ok" ? "badge-ok" : "badge-err"}`}>
                      {e.outcome === "ok" ? t("access.allowed") : t("access.refused")}
                    </span>
                  </div>
                  <div>
                    {words(t, "access.action", e.action)}
                    {what(t, lang, e, ctx)}
                  </div>
                  <time className="muted" dateTime={e.at}>
                    {formatDate(lang, e.at, true)}
                  </time>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}

function who(t: T, e: AuditEntry, ctx: Context): string {
  // A caregiver acting on your record through the rights you gave (docs/caregivers.md).
  const proxy = (e.details as { proxy_account_id?: unknown } | null)?.proxy_account_id;
  if (typeof proxy === "string") {
    const name = ctx.caregivers.get(proxy);
    return name ? t("access.who.caregiver", { name }) : t("access.who.someCaregiver");
  }
  // A guardian acting in the child's account, or opening it (docs/guardians.md).
  if ((e.details as { actor_guardian_id?: unknown } | null)?.actor_guardian_id || e.action.startsWith("guardian.")) {
    return t("access.who.guardian");
  }
  switch (e.actor_role) {
    case "patient":
      return e.actor_id === ctx.me ? t("access.who.you") : e.actor_role;
    case "hospital":
      return e.actor_id ? hospitalName(t, ctx.hospitals, e.actor_id) : t("access.who.hospital");
    default: {
      const key = `access.who.${e.actor_role}` as Key;
      const s = t(key);
      return s === key ? t("access.who.system") : s;
    }
  }
}

function what(t: T, lang: Parameters<typeof formatDate>[0], e: AuditEntry, ctx: Context): string {
  const target = parseTarget(e.target);
  if (!target) return "";
  if (target.kind === "document") {
    const d = ctx.documents.get(target.id);
    const text = d
      ? t("access.what.document", { type: words(t, "hitypes", d.hi_type), date: formatDate(lang, d.care_date) })
      : t("access.what.deletedDocument");
    return `: ${text}`;
  }
  if (target.kind === "consent") {
    const c = ctx.consents.get(target.id);
    return c ? `: ${t("access.what.consent", { hospital: hospitalName(t, ctx.hospitals, c.hospital_id) })}` : "";
  }
  return "";
}
