// The first page: what Pramana promises, and signing in.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { ApiError, login } from "../api/client";
import { useT } from "../i18n";
import { ErrorAlert, Field } from "../ui";
import { SecondFactorStep, challengeOf, type Challenge } from "../ui/SecondFactorStep";

/**
 * The sign-in form; `onDone` runs after a successful sign-in (default: go to documents).
 * `operator`: the login is a username, not an ABHA number (the operator console).
 */
export function LoginForm({ onDone, fixedLogin, operator }: { onDone?: () => void; fixedLogin?: string; operator?: boolean }) {
  const t = useT();
  const navigate = useNavigate();
  const [id, setId] = useState(fixedLogin ?? "");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Set when the password was right and the account has two-factor sign-in.
  const [challenge, setChallenge] = useState<Challenge | null>(null);

  function done() {
    setPassword("");
    setChallenge(null);
    setError(null);
    if (onDone) onDone();
    else navigate("/documents");
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(id.trim(), password);
      done();
    } catch (err) {
      const c = challengeOf(err);
      if (c) {
        setChallenge(c);
        setPassword("");
      } else setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (challenge) {
    return (
      <SecondFactorStep
        challenge={challenge}
        label={t("login.2fa.title")}
        error={<ErrorAlert error={error} />}
        words={{
          intro: t("login.2fa.intro"),
          code: t("login.2fa.code"),
          hint: t("login.2fa.hint"),
          submit: t("login.2fa.submit"),
          busy: t("login.busy"),
          back: t("login.2fa.back"),
          passkeyIntro: t("login.2fa.passkey.intro"),
          passkey: t("login.2fa.passkey"),
          or: t("login.2fa.or"),
        }}
        onSignedIn={done}
        onFailed={(err) => {
          // An expired challenge starts again from the password.
          if (err instanceof ApiError && err.code === "challenge_invalid") setChallenge(null);
          setError(err);
        }}
        onBack={() => {
          setChallenge(null);
          setError(null);
        }}
      />
    );
  }

  return (
    <form onSubmit={submit} aria-label={t("login.title")}>
      <ErrorAlert error={error} />
      <Field
        label={operator ? t("login.username") : t("login.id")}
        hint={operator ? undefined : t("login.id.hint")}
        autoComplete="username"
        required
        value={id}
        onChange={(e) => setId(e.target.value)}
        readOnly={fixedLogin !== undefined}
      />
      <Field
        label={t("login.password")}
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("login.busy") : t("login.submit")}
      </button>
    </form>
  );
}

export function Login() {
  const t = useT();
  return (
    <div className="narrow">
      <p className="lead">{t("app.tagline")}</p>
      <section className="card">
        <h1>{t("login.title")}</h1>
        <LoginForm />
        <p>
          <Link to="/forgot-password">{t("login.forgot")}</Link>
        </p>
        <p>
          <Link to="/register">{t("login.register")}</Link>
        </p>
      </section>
      <ul className="promises">
        <li>{t("login.promise1")}</li>
        <li>{t("login.promise2")}</li>
        <li>{t("login.promise3")}</li>
      </ul>
    </div>
  );
}
