// "Forgot your password?": a code mailed to the account's verified address, then a new
// password. It restores sign-in only; the page says so before anything is sent, because keys
// never come back this way (the recovery kit brings them back).
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, call } from "../api/client";
import { useT } from "../i18n";
import { Alert, ErrorAlert, Field, SecretPairFields, useSecretPair } from "../ui";

type Stage = { kind: "ask" } | { kind: "confirm"; login: string } | { kind: "done" };

export function ForgotPassword() {
  const t = useT();
  const [stage, setStage] = useState<Stage>({ kind: "ask" });
  useEffect(() => {
    document.title = `${t("reset.title")} · Pramana`;
  }, [t]);
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("reset.title")}</h1>
        {stage.kind === "ask" && <AskForm onSent={(login) => setStage({ kind: "confirm", login })} />}
        {stage.kind === "confirm" && (
          <ConfirmForm login={stage.login} onDone={() => setStage({ kind: "done" })} onAgain={() => setStage({ kind: "ask" })} />
        )}
        {stage.kind === "done" && (
          <>
            <Alert kind="ok">{t("reset.done")}</Alert>
            <p>
              <Link to="/" className="button primary">
                {t("reset.signIn")}
              </Link>
            </p>
          </>
        )}
      </section>
    </div>
  );
}

function AskForm({ onSent }: { onSent(login: string): void }) {
  const t = useT();
  const [login, setLogin] = useState("");
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(() => api.POST("/v1/auth/password-reset", { body: { login: login.trim(), email: email.trim() } }));
      onSent(login.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t("reset.title")}>
      <p>{t("reset.intro")}</p>
      <ErrorAlert error={error} />
      <Field
        label={t("reset.login")}
        hint={t("login.id.hint")}
        autoComplete="username"
        required
        value={login}
        onChange={(e) => setLogin(e.target.value)}
      />
      <Field
        label={t("reset.email")}
        hint={t("reset.email.hint")}
        type="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("reset.sending") : t("reset.send")}
      </button>
      <p className="muted">{t("reset.noEmail")}</p>
    </form>
  );
}

function ConfirmForm({ login, onDone, onAgain }: { login: string; onDone(): void; onAgain(): void }) {
  const t = useT();
  const [code, setCode] = useState("");
  const pair = useSecretPair(t("error.invalid_password"), t("register.password.mismatch"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!pair.ready) return;
    setBusy(true);
    setError(null);
    try {
      await call(() =>
        api.POST("/v1/auth/password-reset/confirm", { body: { login, code: code.replace(/\s/g, ""), password: pair.first } }),
      );
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t("reset.submit")} noValidate>
      <Alert kind="info">{t("reset.sent")}</Alert>
      <ErrorAlert error={error} />
      <Field
        label={t("reset.code")}
        hint={t("reset.code.hint")}
        inputMode="numeric"
        autoComplete="one-time-code"
        required
        autoFocus
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
      <SecretPairFields pair={pair} label={t("reset.password")} again={t("reset.password2")} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("reset.busy") : t("reset.submit")}
      </button>{" "}
      <button type="button" onClick={onAgain} disabled={busy}>
        {t("reset.again")}
      </button>
    </form>
  );
}
