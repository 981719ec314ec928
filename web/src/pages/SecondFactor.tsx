// Two-factor sign-in on the account page: enrol an authenticator app (a QR code of the
// otpauth:// URI, and the secret as text to type), confirm with its first code, see the
// recovery codes once ("I have saved them"), turn it off with a code; and passkeys: add one
// (the browser's passkey dialog with the server's options), see them, remove one with the
// password (docs/two-factor.md). Patients, operators, auditors and hospital staff members.
import { useEffect, useState, type FormEvent } from "react";
import { renderSVG } from "uqr";
import { api, call, passkeyCeremony, type Schemas } from "../api/client";
import { formatDate, useLang, useT } from "../i18n";
import { creationOptions, registrationJSON } from "../lib/webauthn";
import { Alert, ErrorAlert, Field } from "../ui";

type Status = Schemas["SecondFactorStatus"];
type Setup = Schemas["SecondFactorSetup"];
type PasskeyInfo = Schemas["PasskeyInfo"];

/** Two-factor sign-in: the authenticator app (TOTP) and passkeys. */
export function SecondFactorSection() {
  return (
    <>
      <TotpSection />
      <PasskeysSection />
    </>
  );
}

function TotpSection() {
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

function PasskeysSection() {
  const t = useT();
  const { lang } = useLang();
  const [items, setItems] = useState<PasskeyInfo[] | null>(null);
  const [name, setName] = useState("");
  const [removing, setRemoving] = useState<PasskeyInfo | null>(null);
  const [password, setPassword] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function load() {
    setItems(await call(() => api.GET("/v1/auth/second-factor/passkeys")));
  }
  useEffect(() => {
    load().catch(setError);
  }, []);

  async function run(f: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await f();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const add = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      const options = await call(() => api.POST("/v1/auth/second-factor/passkeys/start", { body: { name: name.trim() } }));
      const publicKey = creationOptions(options.publicKey);
      const credential = await passkeyCeremony(() => navigator.credentials.create({ publicKey }));
      const added = await call(() =>
        api.POST("/v1/auth/second-factor/passkeys/finish", {
          body: {
            credential: registrationJSON(credential as PublicKeyCredential) as Schemas["PasskeyRegisterFinish"]["credential"],
          },
        }),
      );
      setName("");
      setDone(t("passkeys.added", { name: added.name }));
      await load();
    });
  };

  const remove = (e: FormEvent) => {
    e.preventDefault();
    const p = removing;
    if (!p) return;
    return run(async () => {
      await call(() =>
        api.POST("/v1/auth/second-factor/passkeys/{id}/remove", { params: { path: { id: p.id } }, body: { password } }),
      );
      setPassword("");
      setRemoving(null);
      setDone(t("passkeys.removed"));
      await load();
    });
  };

  return (
    <section className="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">{t("passkeys.title")}</h2>
      <p>{t("passkeys.intro")}</p>
      <ErrorAlert error={error} />
      {done && <Alert kind="ok">{done}</Alert>}
      {items && items.length === 0 && <p className="muted">{t("passkeys.none")}</p>}
      {items && items.length > 0 && (
        <ul className="list passkeys" aria-label={t("passkeys.list")}>
          {items.map((p) => (
            <li key={p.id} data-testid="passkey">
              <div>
                <strong>{p.name}</strong>{" "}
                {p.possibly_cloned && <span className="badge badge-warn">{t("passkeys.cloned")}</span>}
              </div>
              <div className="muted">
                {t("passkeys.created", { date: formatDate(lang, p.created_at, true) })} ·{" "}
                {p.last_used_at ? t("passkeys.used", { date: formatDate(lang, p.last_used_at, true) }) : t("passkeys.unused")}
              </div>
              {removing?.id === p.id ? (
                <form onSubmit={remove} aria-label={t("passkeys.remove.confirm")}>
                  <Field
                    label={t("passkeys.remove.password")}
                    type="password"
                    autoComplete="current-password"
                    required
                    autoFocus
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                  />
                  <button type="submit" className="danger" disabled={busy}>
                    {t("passkeys.remove.confirm")}
                  </button>{" "}
                  <button type="button" onClick={() => setRemoving(null)} disabled={busy}>
                    {t("passkeys.cancel")}
                  </button>
                </form>
              ) : (
                <button
                  type="button"
                  aria-label={`${t("passkeys.remove")} ${p.name}`}
                  onClick={() => {
                    setRemoving(p);
                    setPassword("");
                  }}
                >
                  {t("passkeys.remove")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} aria-label={t("passkeys.add")}>
        <Field
          label={t("passkeys.name")}
          hint={t("passkeys.name.hint")}
          required
          maxLength={64}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {t("passkeys.add")}
        </button>
      </form>
    </section>
  );
}
