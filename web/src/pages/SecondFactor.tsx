// Two-factor sign-in on the account page: enrol an authenticator app (a QR code of the
// otpauth:// URI, and the secret as text to type), confirm with its first code, see the
// recovery codes once ("I have saved them"), turn it off with a code (docs/two-factor.md).
import { useEffect, useState, type FormEvent } from "react";
import { renderSVG } from "uqr";
import { api, call, type Schemas } from "../api/client";
import { useT } from "../i18n";
import { Alert, ErrorAlert, Field } from "../ui";

type Status = Schemas["SecondFactorStatus"];
type Setup = Schemas["SecondFactorSetup"];

export function SecondFactorSection() {
  const t = useT();
  const [status, setStatus] = useState<Status | null>(null);
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function load() {
    setStatus(await call(() => api.GET("/v1/auth/second-factor")));
  }
  useEffect(() => {
    load().catch(setError);
  }, []);

  async function run(f: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const start = () => run(async () => setSetup(await call(() => api.POST("/v1/auth/second-factor/setup"))));
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      const r = await call(() => api.POST("/v1/auth/second-factor/enable", { body: { code: code.trim() } }));
      setCodes(r.recovery_codes);
      setSetup(null);
      setCode("");
      await load();
    });
  };
  const turnOff = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      await call(() => api.POST("/v1/auth/second-factor/disable", { body: { code: code.trim() } }));
      setCode("");
      await load();
    });
  };

  return (
    <section className="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">{t("twofa.title")}</h2>
      <ErrorAlert error={error} />
      {codes ? (
        <div>
          <Alert kind="warn">{t("twofa.codes.intro")}</Alert>
          <ul className="recovery-codes mono" aria-label={t("twofa.codes.label")}>
            {codes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
          <button type="button" className="primary" onClick={() => setCodes(null)}>
            {t("twofa.codes.saved")}
          </button>
        </div>
      ) : setup ? (
        <form onSubmit={confirm} aria-label={t("twofa.confirm")}>
          <p>{t("twofa.scan")}</p>
          <img
            className="qr"
            width={200}
            height={200}
            alt={t("twofa.qr.alt")}
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(setup.otpauth_uri, { border: 2 }))}`}
          />
          <p>{t("twofa.typed")}</p>
          <p className="mono secret" data-testid="totp-secret">
            {setup.secret.replace(/(.{4})/g, "$1 ").trim()}
          </p>
          <Field
            label={t("twofa.code")}
            hint={t("twofa.code.hint")}
            autoComplete="one-time-code"
            inputMode="numeric"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {t("twofa.confirm")}
          </button>
        </form>
      ) : status?.enabled ? (
        <form onSubmit={turnOff} aria-label={t("twofa.off")}>
          <Alert kind="ok">{t("twofa.on", { n: String(status.recovery_codes_left) })}</Alert>
          <Field
            label={t("twofa.code")}
            hint={t("twofa.off.hint")}
            autoComplete="one-time-code"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <button type="submit" disabled={busy}>
            {t("twofa.off")}
          </button>
        </form>
      ) : status ? (
        <div>
          <p>{t("twofa.intro")}</p>
          <button type="button" className="primary" onClick={() => void start()} disabled={busy}>
            {t("twofa.start")}
          </button>
        </div>
      ) : null}
    </section>
  );
}
