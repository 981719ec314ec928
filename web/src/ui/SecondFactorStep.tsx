// The second step of every sign-in (the patient's, the operator's and auditor's, a hospital
// staff member's): after a right password the API answered `second_factor_required` with a
// challenge and the account's factors; this asks for the authenticator app's code (or a
// recovery code) and/or offers the account's passkey (docs/two-factor.md). Each sign-in passes
// its own words; what happens after a sign-in or a refusal is the caller's.
import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError, loginPasskey, loginSecondFactor, type TokenResponse } from "../api/client";
import { Field } from ".";

/** A password accepted for an account with a second factor. */
export interface Challenge {
  token: string;
  /** `totp`, `passkey`; empty when the API did not say (then the code is asked for). */
  factors: string[];
}

/** The challenge of a `second_factor_required` refusal, or null for any other error. */
export function challengeOf(err: unknown): Challenge | null {
  if (err instanceof ApiError && err.code === "second_factor_required" && err.challenge) {
    return { token: err.challenge, factors: err.secondFactors ?? [] };
  }
  return null;
}

export interface SecondFactorWords {
  /** Above the code field. */
  intro: string;
  code: string;
  hint: string;
  submit: string;
  busy: string;
  back?: string;
  /** Above the passkey button. */
  passkeyIntro: string;
  passkey: string;
  /** Between the passkey and the code, when the account has both. */
  or: string;
}

export function SecondFactorStep({
  challenge,
  words,
  label,
  error,
  onSignedIn,
  onFailed,
  onBack,
}: {
  challenge: Challenge;
  words: SecondFactorWords;
  /** The form's accessible name. */
  label: string;
  /** The alert of the last refusal, if any. */
  error: ReactNode;
  onSignedIn: (t: TokenResponse) => void | Promise<void>;
  onFailed: (err: unknown) => void;
  onBack?: () => void;
}) {
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const hasTotp = challenge.factors.length === 0 || challenge.factors.includes("totp");
  const hasPasskey = challenge.factors.includes("passkey");

  async function run(f: () => Promise<TokenResponse>) {
    setBusy(true);
    try {
      const t = await f();
      setCode("");
      await onSignedIn(t);
    } catch (err) {
      onFailed(err);
    } finally {
      setBusy(false);
    }
  }

  const back = onBack && words.back && (
    <>
      {" "}
      <button type="button" onClick={onBack} disabled={busy}>
        {words.back}
      </button>
    </>
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(() => loginSecondFactor(challenge.token, code));
  }

  return (
    <form onSubmit={submit} aria-label={label}>
      {error}
      {hasPasskey && (
        <div className="passkey-step">
          <p>{words.passkeyIntro}</p>
          <button
            type="button"
            className={hasTotp ? undefined : "primary"}
            onClick={() => void run(() => loginPasskey(challenge.token))}
            disabled={busy}
            autoFocus={!hasTotp}
          >
            {busy && !hasTotp ? words.busy : words.passkey}
          </button>
          {!hasTotp && back}
        </div>
      )}
      {hasPasskey && hasTotp && <p className="muted">{words.or}</p>}
      {hasTotp && (
        <>
          <p>{words.intro}</p>
          <Field
            label={words.code}
            hint={words.hint}
            autoComplete="one-time-code"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus={!hasPasskey}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? words.busy : words.submit}
          </button>
          {back}
        </>
      )}
    </form>
  );
}
