// Pieces the consents pages share: hospital names, a consent's facts in plain words, its
// status and chain state as badges, and polling while the chain has not settled.
import { useEffect, useState } from "react";
import { api, call, type Schemas } from "../../api/client";
import { formatDate, useLang, type Key, type T } from "../../i18n";
import { GranteeKeysError, NotYourGrantError, type ConsentView } from "../../lib/consentActions";
import { sortHiTypes } from "../../lib/consentScope";
import { ChainSetupError } from "../../lib/consentSigning";
import { errorText } from "../../ui";

type RelayView = Schemas["RelayView"];

/** Hospitals by id (names for the pages; GET /v1/hospitals lists every hospital). */
export function useHospitals(): Map<string, Schemas["HospitalView"]> {
  const [map, setMap] = useState(new Map<string, Schemas["HospitalView"]>());
  useEffect(() => {
    let live = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const load = (tries: number) =>
      call(() => api.GET("/v1/hospitals"))
        .then((list) => live && setMap(new Map(list.map((h) => [h.id, h]))))
        // Names are a nicety (the pages work without them): asked again a few times, then left.
        .catch(() => {
          if (live && tries > 1) retry = setTimeout(() => void load(tries - 1), 2000);
        });
    void load(3);
    return () => {
      live = false;
      clearTimeout(retry);
    };
  }, []);
  return map;
}

export function hospitalName(t: T, hospitals: Map<string, Schemas["HospitalView"]>, id: string): string {
  return hospitals.get(id)?.name ?? t("consents.unknownHospital");
}

/** A code's plain words, or the code itself when the catalogue has none (a newer code). */
export function words(t: T, prefix: string, code: string, vars?: Record<string, string | number>): string {
  const key = `${prefix}.${code}` as Key;
  const s = t(key, vars);
  return s === key ? code : s;
}

/** Whether the chain has anything still on its way (the page polls until it settles). */
export function chainBusy(c: ConsentView): boolean {
  return [c.chain.grant, c.chain.revoke].some((r) => r && (r.state === "pending" || r.state === "submitted"));
}

/** Calls `refresh` every few seconds while `active`. */
export function usePolling(refresh: () => void, active: boolean, ms = 2000): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(refresh, ms);
    return () => clearInterval(timer);
  }, [refresh, active, ms]);
}

const STATUS_BADGE: Record<string, string> = {
  REQUESTED: "badge-warn",
  GRANTED: "badge-ok",
  DENIED: "",
  EXPIRED: "",
  REVOKED: "badge-err",
};

export function StatusBadge({ status }: { status: string }) {
  const { t } = useLang();
  return <span className={`badge ${STATUS_BADGE[status] ?? ""}`}>{words(t, "consent.status", status)}</span>;
}

/** The consent's scope and dates in plain words; `full` adds what the hospital may do, how often, and when. */
export function ConsentFacts({ c, hospital, full = false }: { c: ConsentView; hospital: string; full?: boolean }) {
  const { t, lang } = useLang();
  const open = c.status === "REQUESTED";
  const f = c.frequency;
  return (
    <dl className="facts">
      <dt>{t("consent.fact.hospital")}</dt>
      <dd>{hospital}</dd>
      <dt>{t("consent.fact.purpose")}</dt>
      <dd>{words(t, "purpose", c.purpose)}</dd>
      <dt>{t("consent.fact.types")}</dt>
      <dd>
        <ul className="plain">
          {sortHiTypes(c.hi_types).map((h) => (
            <li key={h}>{words(t, "hitypes", h)}</li>
          ))}
        </ul>
      </dd>
      <dt>{t("consent.fact.dates")}</dt>
      <dd>{t("consent.fact.dateRange", { from: formatDate(lang, c.date_range.from), to: formatDate(lang, c.date_range.to) })}</dd>
      <dt>{t(open ? "consent.fact.until" : "consent.fact.untilGranted")}</dt>
      <dd>{formatDate(lang, c.data_erase_at, true)}</dd>
      {open && (
        <>
          <dt>{t("consent.fact.lapses")}</dt>
          <dd>{formatDate(lang, c.expires_at, true)}</dd>
        </>
      )}
      {full && (
        <>
          <dt>{t("consent.fact.mode")}</dt>
          <dd>{words(t, "mode", c.access_mode)}</dd>
          <dt>{t("consent.fact.frequency")}</dt>
          <dd>{words(t, f.value === 1 ? "freq1" : "freq", f.unit, { value: f.value })}</dd>
          <dt>{t("consent.fact.asked")}</dt>
          <dd>{formatDate(lang, c.created_at, true)}</dd>
          {c.decided_at && (
            <>
              <dt>{t("consent.fact.decided")}</dt>
              <dd>{formatDate(lang, c.decided_at, true)}</dd>
            </>
          )}
        </>
      )}
    </dl>
  );
}

function relayBadge(t: T, r: RelayView): { cls: string; text: string } {
  switch (r.state) {
    case "confirmed":
      return { cls: "badge-ok", text: t("chain.confirmed", { block: r.block_number ?? "?" }) };
    case "failed":
      return { cls: "badge-err", text: t("chain.failed") };
    case "submitted":
      return { cls: "badge-warn", text: t("chain.submitted") };
    default:
      return { cls: "badge-warn", text: t("chain.pending") };
  }
}

/** One signed message's way to the chain: a badge, and the transaction once there is one. */
export function RelayState({ label, relay }: { label: string; relay: RelayView }) {
  const { t, lang } = useLang();
  const b = relayBadge(t, relay);
  return (
    <div className="relay" data-state={relay.state}>
      <div>
        <strong>{label}: </strong>
        <span className={`badge ${b.cls}`}>{b.text}</span>
      </div>
      {relay.failure && <p className="muted">{t("chain.failedReason", { reason: relay.failure })}</p>}
      {relay.set_aside && (
        <p className="muted">
          {t("chain.setAside", { reason: relay.set_aside })}
          {relay.retry_at ? ` (${formatDate(lang, relay.retry_at, true)})` : ""}
        </p>
      )}
      {relay.tx_hash && (
        <p className="tx">
          <span>{t("chain.tx")}: </span>
          <span className="mono">{relay.tx_hash}</span>
        </p>
      )}
    </div>
  );
}

/** Both messages, compact (for the lists). */
export function ChainSummary({ c }: { c: ConsentView }) {
  const t = useLang().t;
  if (!c.chain.grant && !c.chain.revoke) return null;
  return (
    <div className="chain-summary">
      {c.chain.grant && <RelayState label={t("chain.grant")} relay={c.chain.grant} />}
      {c.chain.revoke && <RelayState label={t("chain.revoke")} relay={c.chain.revoke} />}
    </div>
  );
}

/** What went wrong, for consent actions (the chain set-up and the hospital's keys included). */
export function consentErrorText(t: T, e: unknown): string {
  if (e instanceof ChainSetupError) return t(`error.chain.${e.reason}` as Key);
  if (e instanceof GranteeKeysError) return t("error.grantee_keys");
  if (e instanceof NotYourGrantError) return t("error.not_your_grant");
  return errorText(t, e);
}
