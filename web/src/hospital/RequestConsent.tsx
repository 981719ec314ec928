// A patient by ABHA number: ask to link (POST /v1/links, so the hospital may add documents to
// the record) and request consent (POST /v1/consents) with ABDM's fields. Before a request is
// sent, the page shows it in the words the patient's inbox will use. Only verified accounts are
// reachable by number; an unknown or unverified number gets one answer, and nothing is created.
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, call, type Schemas } from "../api/client";
import { Page } from "../Layout";
import { checkAbhaNumber, formatAbhaNumber } from "../lib/abha";
import { formatDay } from "../lib/dates";
import { HI_TYPES } from "../lib/hiTypes";
import { useLang, type Key } from "../i18n";
import { Alert, Field, Select } from "../ui";
import { useHT, useHospitalError } from "./strings";

type Body = Schemas["ConsentRequestCreate"];
const PURPOSES = ["CAREMGT", "BTG", "PUBHLTH", "HPAYMT", "DSRCH", "PATRQT"] as const;
const MODES = ["VIEW", "STORE", "QUERY", "STREAM"] as const;

function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

export function RequestConsent() {
  const ht = useHT();
  const { t, lang } = useLang();
  const describe = useHospitalError();
  const [abha, setAbha] = useState("");
  const [purpose, setPurpose] = useState<string>("CAREMGT");
  const [hiTypes, setHiTypes] = useState<string[]>([]);
  const [mode, setMode] = useState<string>("VIEW");
  const [from, setFrom] = useState(day(-365));
  const [to, setTo] = useState(day(0));
  const [eraseAt, setEraseAt] = useState(day(90));
  const [expiresAt, setExpiresAt] = useState(day(7));
  const [touched, setTouched] = useState(false);
  const [preview, setPreview] = useState<Body | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [linkSent, setLinkSent] = useState<string | null>(null);

  const check = checkAbhaNumber(abha);
  const abhaError =
    touched && !check.ok
      ? check.reason === "length"
        ? ht("h.desk.abha.length", { n: check.n })
        : check.reason === "luhn"
          ? ht("h.desk.abha.luhn")
          : ht("h.desk.abha.chars")
      : null;
  const problems: string[] = [];
  if (hiTypes.length === 0) problems.push(ht("h.req.problem.types"));
  if (!from || !to || from > to) problems.push(ht("h.req.problem.range"));
  if (!eraseAt || eraseAt <= day(0)) problems.push(ht("h.req.problem.erase"));
  if (!expiresAt || expiresAt <= day(0) || expiresAt > day(30)) problems.push(ht("h.req.problem.expiry"));

  async function askLink() {
    setTouched(true);
    setError(null);
    setLinkSent(null);
    if (!check.ok) return;
    setBusy(true);
    try {
      await call(() => api.POST("/v1/links", { body: { patient_abha_number: formatAbhaNumber(check.digits) } }));
      setLinkSent(formatAbhaNumber(check.digits));
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  function review(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    setError(null);
    if (!check.ok || problems.length) return;
    // End of the chosen days in India (the dates staff pick are calendar days there).
    setPreview({
      patient_abha_number: formatAbhaNumber(check.digits),
      purpose,
      hi_types: HI_TYPES.filter((h) => hiTypes.includes(h)),
      access_mode: mode,
      date_range: { from, to },
      data_erase_at: `${eraseAt}T23:59:59+05:30`,
      expires_at: `${expiresAt}T23:59:59+05:30`,
      frequency: { unit: "DAY", value: 1, repeats: 0 },
    });
  }

  async function send() {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      await call(() => api.POST("/v1/consents", { body: preview }));
      setSent(preview.patient_abha_number);
      setPreview(null);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  const dayOf = (iso: string) => formatDay(lang, iso.slice(0, 10));

  if (sent) {
    return (
      <div className="narrow">
        <Page title={ht("h.req.title")}>
          <Alert kind="ok">{ht("h.req.sent", { abha: sent })}</Alert>
          <p>
            <Link to="/hospital/requests">{ht("h.req.track")}</Link>
          </p>
          <button type="button" className="primary" onClick={() => setSent(null)}>
            {ht("h.req.another")}
          </button>
        </Page>
      </div>
    );
  }

  return (
    <div className="narrow">
      <Page title={ht("h.req.title")}>
        <p>{ht("h.req.intro")}</p>
        {error && <Alert>{error}</Alert>}
        {linkSent && <Alert kind="ok">{ht("h.req.linkSent", { abha: linkSent })}</Alert>}
        {preview ? (
          <section className="card" aria-labelledby="preview-title">
            <h2 id="preview-title">{ht("h.req.preview.title")}</h2>
            <p className="muted">{ht("h.req.preview.intro")}</p>
            <dl className="facts">
              <dt>{ht("h.req.preview.patient")}</dt>
              <dd>{preview.patient_abha_number}</dd>
              <dt>{ht("h.req.purpose")}</dt>
              <dd>{t(`purpose.${preview.purpose}` as Key)}</dd>
              <dt>{ht("h.req.types")}</dt>
              <dd>{preview.hi_types.map((h) => t(`hi.${h}` as Key)).join(", ")}</dd>
              <dt>{ht("h.req.mode")}</dt>
              <dd>{t(`mode.${preview.access_mode}` as Key)}</dd>
              <dt>{ht("h.req.range")}</dt>
              <dd>{ht("h.req.preview.range", { from: formatDay(lang, preview.date_range.from), to: formatDay(lang, preview.date_range.to) })}</dd>
              <dt>{ht("h.req.erase")}</dt>
              <dd>{ht("h.req.preview.erase", { day: dayOf(preview.data_erase_at) })}</dd>
              <dt>{ht("h.req.expiry")}</dt>
              <dd>{ht("h.req.preview.expiry", { day: dayOf(preview.expires_at) })}</dd>
            </dl>
            <button type="button" className="primary" disabled={busy} onClick={() => void send()}>
              {busy ? ht("h.req.busy") : ht("h.req.send")}
            </button>{" "}
            <button type="button" onClick={() => setPreview(null)}>
              {ht("h.req.change")}
            </button>
          </section>
        ) : (
          <form className="card" onSubmit={review} aria-label={ht("h.req.title")} noValidate>
            <Field
              label={ht("h.req.abha")}
              hint={ht("h.desk.abha.hint")}
              inputMode="numeric"
              autoComplete="off"
              required
              value={abha}
              onChange={(e) => setAbha(e.target.value)}
              error={abhaError}
            />
            <p>
              <button type="button" disabled={busy} onClick={() => void askLink()}>
                {ht("h.req.link")}
              </button>
            </p>
            <p className="muted">{ht("h.req.link.hint")}</p>
            <Select label={ht("h.req.purpose")} value={purpose} onChange={(e) => setPurpose(e.target.value)}>
              {PURPOSES.map((p) => (
                <option key={p} value={p}>
                  {t(`purpose.${p}` as Key)}
                </option>
              ))}
            </Select>
            <fieldset>
              <legend>{ht("h.req.types")}</legend>
              {HI_TYPES.map((h) => (
                <div className="check" key={h}>
                  <input
                    id={`hi-${h}`}
                    type="checkbox"
                    checked={hiTypes.includes(h)}
                    onChange={(e) => setHiTypes((cur) => (e.target.checked ? [...cur, h] : cur.filter((x) => x !== h)))}
                  />
                  <label htmlFor={`hi-${h}`}>{t(`hi.${h}` as Key)}</label>
                </div>
              ))}
            </fieldset>
            <Select label={ht("h.req.mode")} value={mode} onChange={(e) => setMode(e.target.value)}>
              {MODES.map((m) => (
                <option key={m} value={m}>
                  {t(`mode.${m}` as Key)}
                </option>
              ))}
            </Select>
            <Field label={ht("h.req.from")} type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />
            <Field label={ht("h.req.to")} type="date" required value={to} onChange={(e) => setTo(e.target.value)} />
            <Field
              label={ht("h.req.erase")}
              hint={ht("h.req.erase.hint")}
              type="date"
              required
              value={eraseAt}
              onChange={(e) => setEraseAt(e.target.value)}
            />
            <Field
              label={ht("h.req.expiry")}
              hint={ht("h.req.expiry.hint")}
              type="date"
              required
              value={expiresAt}
              onChange={(e) => setExpiresAt(e.target.value)}
            />
            {touched && problems.length > 0 && (
              <Alert>
                <ul>
                  {problems.map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              </Alert>
            )}
            <button type="submit" className="primary">
              {ht("h.req.review")}
            </button>
          </form>
        )}
      </Page>
    </div>
  );
}
