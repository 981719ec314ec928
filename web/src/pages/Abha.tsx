// Proving the patient's ABHA number. A registered number is only claimed (anyone can type a
// number printed on a card); hospitals reach the account once it is verified. At a registered
// hospital's desk the patient shows a one-time code from here with the ABHA card; staff check the
// card and enter the code. While a code is shown the page checks every few seconds, so it turns
// to "verified" as soon as staff have entered it.
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { api, call, type Schemas } from "../api/client";
import { formatDate, useLang, useT } from "../i18n";
import { Alert, ErrorAlert } from "../ui";

type PatientView = Schemas["PatientView"];
type AbhaCode = Schemas["AbhaCodeView"];

const POLL_MS = 4000;

const STATUS_KEY = {
  claimed: "abha.status.claimed",
  verified: "abha.status.verified",
  displaced: "abha.status.displaced",
} as const;

export function usePatient(): [PatientView | null, () => Promise<void>] {
  const [me, setMe] = useState<PatientView | null>(null);
  const reload = useCallback(async () => setMe(await call(() => api.GET("/v1/patients/me"))), []);
  useEffect(() => {
    reload().catch(() => {});
  }, [reload]);
  return [me, reload];
}

/** The Account page's section: the number, where its claim stands, and the desk code. */
export function AbhaSection() {
  const t = useT();
  const { lang } = useLang();
  const [me, reload] = usePatient();
  const [code, setCode] = useState<AbhaCode | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const status = me?.abha_status;

  useEffect(() => {
    if (!code || status !== "claimed") return;
    const timer = setInterval(() => {
      if (Date.parse(code.expires_at) < Date.now()) setCode(null);
      else reload().catch(() => {});
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [code, status, reload]);

  const newCode = async () => {
    setBusy(true);
    setError(null);
    try {
      setCode(await call(() => api.POST("/v1/patients/me/abha-verification-code")));
    } catch (e) {
      setError(e);
      await reload().catch(() => {});
    } finally {
      setBusy(false);
    }
  };

  if (!me) return null;
  return (
    <section className="card" aria-labelledby="abha-title">
      <h2 id="abha-title">{t("abha.title")}</h2>
      <dl className="facts">
        <dt>{t("abha.number")}</dt>
        <dd className="mono">{me.abha_number}</dd>
        <dt>{t("abha.status")}</dt>
        <dd>
          <span className={`badge ${status === "verified" ? "badge-ok" : "badge-warn"}`}>
            {t(STATUS_KEY[(status ?? "claimed") as keyof typeof STATUS_KEY] ?? STATUS_KEY.claimed)}
          </span>
        </dd>
      </dl>
      <ErrorAlert error={error} />
      {status === "verified" && (
        <Alert kind="ok">
          {me.abha_verified_by
            ? t("abha.verified.inPerson", {
                hospital: me.abha_verified_by.name,
                date: formatDate(lang, me.abha_verified_at ?? "", true),
              })
            : t("abha.verified.abdm", { date: formatDate(lang, me.abha_verified_at ?? "", true) })}
        </Alert>
      )}
      {status === "displaced" && (
        <Alert kind="warn">{t("abha.displaced.body", { date: formatDate(lang, me.abha_displaced_at ?? "", true) })}</Alert>
      )}
      {status === "claimed" && (
        <>
          <p>{t("abha.claimed.body")}</p>
          {code && (
            <div className="desk-code" aria-live="polite">
              <p>{t("abha.code.label")}</p>
              <p className="desk-code-digits" data-testid="abha-code">
                {code.code}
              </p>
              <p>{t("abha.code.expires", { time: formatDate(lang, code.expires_at, true) })}</p>
              <p className="muted">{t("abha.code.waiting")}</p>
            </div>
          )}
          <button type="button" className={code ? "" : "primary"} onClick={() => void newCode()} disabled={busy}>
            {code ? t("abha.code.again") : t("abha.code.get")}
          </button>
        </>
      )}
    </section>
  );
}

/** A line for pages where hospitals' requests arrive, while the number is not verified. */
export function AbhaNotice() {
  const t = useT();
  const [me] = usePatient();
  if (!me || me.abha_status === "verified") return null;
  return (
    <Alert kind="warn">
      {me.abha_status === "displaced" ? t("abha.notice.displaced") : t("abha.notice")}{" "}
      <Link to="/account">{t("abha.notice.link")}</Link>
    </Alert>
  );
}
