// The ABHA desk: staff check a patient's ABHA card and enter its number with the one-time code
// the patient's screen shows (POST /v1/abha-verifications, docs/abha-verification.md). The
// answer names the account, for staff to compare with the card. A refusal changes nothing.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../api/client";
import { Page } from "../Layout";
import { checkAbhaNumber, formatAbhaNumber } from "../lib/abha";
import { useLang } from "../i18n";
import { Alert, Field } from "../ui";
import { useHT, useHospitalError } from "./strings";

type Verified = Schemas["AbhaVerifiedView"];

export function AbhaDesk() {
  const ht = useHT();
  const { lang } = useLang();
  const describe = useHospitalError();
  const [abha, setAbha] = useState("");
  const [code, setCode] = useState("");
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Verified | null>(null);
  const result = useRef<HTMLDivElement>(null);

  const check = checkAbhaNumber(abha);
  const abhaError =
    touched && abha && !check.ok
      ? check.reason === "length"
        ? ht("h.desk.abha.length", { n: check.n })
        : check.reason === "luhn"
          ? ht("h.desk.abha.luhn")
          : ht("h.desk.abha.chars")
      : null;
  const codeDigits = code.replace(/[\s-]/g, "");
  const codeError = touched && code && !/^\d{8}$/.test(codeDigits) ? ht("h.desk.code.bad") : null;

  useEffect(() => {
    if (done) result.current?.focus();
  }, [done]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    setError(null);
    if (!check.ok || !/^\d{8}$/.test(codeDigits)) return;
    setBusy(true);
    try {
      const v = await call(() =>
        api.POST("/v1/abha-verifications", { body: { abha_number: formatAbhaNumber(check.digits), code: codeDigits } }),
      );
      setDone(v);
      setCode("");
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  function again() {
    setDone(null);
    setAbha("");
    setCode("");
    setTouched(false);
  }

  return (
    <div className="narrow">
      <Page title={ht("h.desk.title")}>
        {done ? (
          <div className="card" ref={result} tabIndex={-1}>
            <Alert kind="ok">{ht("h.desk.done", { abha: done.abha_number })}</Alert>
            <dl className="facts">
              <dt>{ht("h.desk.name")}</dt>
              <dd>
                <strong>{done.patient_name}</strong>
              </dd>
            </dl>
            <p>{ht("h.desk.compare")}</p>
            <p className="muted">
              {ht("h.desk.at", { time: new Date(done.verified_at).toLocaleString(lang === "hi" ? "hi-IN" : "en-IN") })}
            </p>
            <button type="button" className="primary" onClick={again}>
              {ht("h.desk.next")}
            </button>
          </div>
        ) : (
          <section className="card">
            <p>{ht("h.desk.intro")}</p>
            <form onSubmit={submit} aria-label={ht("h.desk.title")} noValidate>
              {error && <Alert>{error}</Alert>}
              <Field
                label={ht("h.desk.abha")}
                hint={ht("h.desk.abha.hint")}
                inputMode="numeric"
                autoComplete="off"
                required
                value={abha}
                onChange={(e) => setAbha(e.target.value)}
                onBlur={() => abha && setTouched(true)}
                error={abhaError}
              />
              <Field
                label={ht("h.desk.code")}
                hint={ht("h.desk.code.hint")}
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
                error={codeError}
              />
              <button type="submit" className="primary" disabled={busy}>
                {busy ? ht("h.desk.busy") : ht("h.desk.submit")}
              </button>
            </form>
          </section>
        )}
      </Page>
    </div>
  );
}
