// The consent requests this hospital sent (GET /v1/consents as the hospital), newest first,
// with their state as of now and the three different times: when asked and when the request
// lapses, when decided, and until when a grant runs.
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api, call, type Schemas } from "../api/client";
import { Page } from "../Layout";
import { formatAbhaNumber } from "../lib/abha";
import { formatDay } from "../lib/dates";
import { useLang, type Key } from "../i18n";
import { Alert, Select } from "../ui";
import { useHT, useHospitalError, type HT } from "./strings";

type Consent = Schemas["ConsentView"];
const STATES = ["REQUESTED", "GRANTED", "DENIED", "EXPIRED", "REVOKED"] as const;
const BADGE: Record<string, string> = { REQUESTED: "warn", GRANTED: "ok", DENIED: "err", EXPIRED: "err", REVOKED: "err" };

export function Requests() {
  const ht = useHT();
  const { t, lang } = useLang();
  const describe = useHospitalError();
  const [list, setList] = useState<Consent[] | null>(null);
  // Who each patient is, in the hospital's words: the name once agreed, else the ABHA number.
  const [who, setWho] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  useEffect(() => {
    let live = true;
    Promise.all([call(() => api.GET("/v1/consents")), call(() => api.GET("/v1/hospitals/me/patients"))])
      .then(([l, patients]) => {
        if (!live) return;
        setList(l);
        setWho(new Map(patients.map((p) => [p.patient_id, p.name ?? formatAbhaNumber(p.abha_number)])));
      })
      .catch((e: unknown) => live && setError(describe(e)));
    return () => {
      live = false;
    };
  }, [describe]);
  const shown = (list ?? []).filter((c) => !filter || c.status === filter);
  const day = (iso: string) => formatDay(lang, iso.slice(0, 10));
  return (
    <Page title={ht("h.track.title")}>
      {error && <Alert>{error}</Alert>}
      <Select label={ht("h.track.filter")} value={filter} onChange={(e) => setFilter(e.target.value)}>
        <option value="">{ht("h.track.all")}</option>
        {STATES.map((s) => (
          <option key={s} value={s}>
            {stateLabel(ht, s)}
          </option>
        ))}
      </Select>
      {list === null && !error && <p>{t("app.loading")}</p>}
      {list && shown.length === 0 && <p>{ht("h.track.none")}</p>}
      <ul className="cards" aria-label={ht("h.track.title")}>
        {shown.map((c) => (
          <li key={c.id} className="card">
            <p>
              <span className={`badge badge-${BADGE[c.status] ?? "warn"}`}>{stateLabel(ht, c.status)}</span>{" "}
              <strong>{c.hi_types.map((h) => t(`hi.${h}` as Key)).join(", ")}</strong>
            </p>
            <p className="muted">
              <Link to={`/hospital/patients/${c.patient_id}`}>{ht("h.track.patient", { id: who.get(c.patient_id) ?? c.patient_id.slice(0, 8) })}</Link> ·{" "}{t(`purpose.${c.purpose}` as Key)} ·{" "}
              {t(`mode.${c.access_mode}` as Key)}
            </p>
            <dl className="facts">
              <dt>{ht("h.track.asked")}</dt>
              <dd>{day(c.created_at)}</dd>
              {c.status === "REQUESTED" && (
                <>
                  <dt>{ht("h.track.lapses")}</dt>
                  <dd>{day(c.expires_at)}</dd>
                </>
              )}
              {c.decided_at && (
                <>
                  <dt>{ht("h.track.decided")}</dt>
                  <dd>{day(c.decided_at)}</dd>
                </>
              )}
              <dt>{ht("h.track.range")}</dt>
              <dd>
                {formatDay(lang, c.date_range.from)} – {formatDay(lang, c.date_range.to)}
              </dd>
              <dt>{ht("h.track.until")}</dt>
              <dd>{day(c.data_erase_at)}</dd>
            </dl>
          </li>
        ))}
      </ul>
    </Page>
  );
}

function stateLabel(ht: HT, s: string): string {
  const k = `h.track.state.${s}`;
  return (STATES as readonly string[]).includes(s) ? ht(k as Parameters<HT>[0]) : s;
}
