// Small building blocks every page uses: labelled fields, buttons, alerts, the error message
// for any failure (the API's stable code, in the person's language), a progress bar.
import { useId, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";
import { ApiError } from "../api/client";
import { DecryptError, MalformedError, RecipientsError } from "../crypto/envelope";
import { KeystoreError } from "../crypto/keystore";
import { PhraseError } from "../crypto/phrase";
import { useT, type Key, type T } from "../i18n";

export function Field(
  props: { label: string; hint?: string; error?: string | null } & InputHTMLAttributes<HTMLInputElement>,
) {
  const { label, hint, error, ...input } = props;
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-err`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

/** A new password or passphrase typed twice; `short` and `mismatch` are said at the fields. */
export interface SecretPair {
  first: string;
  second: string;
  setFirst(v: string): void;
  setSecond(v: string): void;
  short: string | null;
  mismatch: string | null;
  /** Both typed, long enough, the same. */
  ready: boolean;
}

export function useSecretPair(tooShort: string, differ: string, min = 12): SecretPair {
  const [first, setFirst] = useState("");
  const [second, setSecond] = useState("");
  const short = first && [...first].length < min ? tooShort : null;
  const mismatch = second && first !== second ? differ : null;
  return { first, second, setFirst, setSecond, short, mismatch, ready: !!first && first === second && !short };
}

export function SecretPairFields({ pair, label, again, hint }: { pair: SecretPair; label: string; again: string; hint?: string }) {
  return (
    <>
      <Field
        label={label}
        hint={hint}
        type="password"
        autoComplete="new-password"
        required
        value={pair.first}
        onChange={(e) => pair.setFirst(e.target.value)}
        error={pair.short}
      />
      <Field
        label={again}
        type="password"
        autoComplete="new-password"
        required
        value={pair.second}
        onChange={(e) => pair.setSecond(e.target.value)}
        error={pair.mismatch}
      />
    </>
  );
}

export function Select(props: { label: string; children: ReactNode } & SelectHTMLAttributes<HTMLSelectElement>) {
  const { label, children, ...select } = props;
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} {...select}>
        {children}
      </select>
    </div>
  );
}

export function Alert({ kind = "error", children }: { kind?: "error" | "info" | "ok" | "warn"; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  return (
    <div className="progress">
      <progress value={value} max={max || 1} aria-label={label} />
      <span>{max ? Math.floor((100 * value) / max) : 0}%</span>
    </div>
  );
}

/** What went wrong, in words: an API error's stable code, or a crypto failure. */
export function errorText(t: T, e: unknown): string {
  if (e instanceof ApiError) {
    const key = `error.${e.code}` as Key;
    const known = t(key);
    return known === key ? t("error.api", { message: e.message, code: e.code }) : known;
  }
  if (e instanceof KeystoreError) {
    if (e.message === "wrong passphrase") return t("error.passphrase");
    if (e.message.includes("at least 12")) return t("error.passphrase_short");
    return t("error.keystore");
  }
  if (e instanceof PhraseError) {
    if (e.reason === "unknown") return t("error.phrase.unknown", { n: e.word ?? 0 });
    return t(e.reason === "count" ? "error.phrase.count" : "error.phrase.checksum");
  }
  if (e instanceof DecryptError) return t("error.decrypt");
  if (e instanceof MalformedError) return t("error.malformed");
  if (e instanceof RecipientsError) return t("error.recipients", { message: e.message });
  return e instanceof Error ? e.message : String(e);
}

export function ErrorAlert({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  return <Alert>{errorText(t, error)}</Alert>;
}
