// The sign-in of an area that belongs to one role (the operator console, the hospital portal,
// the auditor console):
// a login and a secret; an account of another role is signed out again at once, and a session
// of another role already open is offered a sign-out first.
import { useEffect, useState, type FormEvent, type HTMLAttributes, type ReactNode } from "react";
import { Link } from "react-router";
import { ApiError, login, logout, type TokenResponse } from "../api/client";
import { Page } from "../Layout";
import { setUnlocked } from "../state/keys";
import { Alert, Field } from ".";
import { SecondFactorStep, challengeOf, type Challenge, type SecondFactorWords } from "./SecondFactorStep";

export interface RoleSignInWords {
  title: string;
  intro: string;
  login: string;
  loginHint?: string;
  secret: string;
  submit: string;
  busy: string;
  wrongRole: string;
  otherSession: string;
  signOut: string;
  patientLink: string;
  /** The second step, for roles that may have two-factor sign-in (hospitals sign in with an API secret). */
  secondFactor?: Omit<SecondFactorWords, "busy">;
}

export function RoleSignIn({
  role,
  words,
  otherSession,
  describe,
  normalise,
  loginCapitalize,
  extra,
}: {
  role: "admin" | "hospital" | "auditor";
  words: RoleSignInWords;
  otherSession: boolean;
  describe: (e: unknown) => string;
  /** The login and the secret as sent. */
  normalise: (login: string, secret: string) => [string, string];
  loginCapitalize: HTMLAttributes<HTMLInputElement>["autoCapitalize"];
  /** More ways in, under the form (the hospital portal's staff sign-in). */
  extra?: ReactNode;
}) {
  const [name, setName] = useState("");
  const [secret, setSecret] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  useEffect(() => {
    document.title = `${words.title} · Pramana`;
  }, [words.title]);

  async function signedIn(t: TokenResponse) {
    setSecret("");
    setChallenge(null);
    if (t.role !== role) {
      // Another kind of account: it gets nothing here, and its session is ended at once.
      await logout().catch(() => {});
      setError(words.wrongRole);
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signedIn(await login(...normalise(name, secret)));
    } catch (err) {
      const c = challengeOf(err);
      if (c) {
        setChallenge(c);
        setSecret("");
      } else setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  if (otherSession) {
    return (
      <div className="narrow">
        <Page title={words.title}>
          <Alert kind="warn">{words.otherSession}</Alert>
          <button
            type="button"
            onClick={() => {
              setUnlocked(null);
              void logout().catch(() => {});
            }}
          >
            {words.signOut}
          </button>
        </Page>
      </div>
    );
  }
  return (
    <div className="narrow">
      <section className="card">
        <h1>{words.title}</h1>
        <p className="muted">{words.intro}</p>
        {challenge && words.secondFactor ? (
          <SecondFactorStep
            challenge={challenge}
            label={words.title}
            error={error && <Alert>{error}</Alert>}
            words={{ ...words.secondFactor, busy: words.busy }}
            onSignedIn={signedIn}
            onFailed={(err) => {
              if (err instanceof ApiError && err.code === "challenge_invalid") setChallenge(null);
              setError(describe(err));
            }}
            onBack={() => {
              setChallenge(null);
              setError(null);
            }}
          />
        ) : (
        <form onSubmit={submit} aria-label={words.title}>
          {error && <Alert>{error}</Alert>}
          <Field
            label={words.login}
            hint={words.loginHint}
            autoComplete="username"
            autoCapitalize={loginCapitalize}
            spellCheck={false}
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <Field
            label={words.secret}
            type="password"
            autoComplete="current-password"
            required
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? words.busy : words.submit}
          </button>
        </form>
        )}
        {extra}
        <p>
          <Link to="/">{words.patientLink}</Link>
        </p>
      </section>
    </div>
  );
}
