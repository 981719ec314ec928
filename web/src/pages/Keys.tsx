// The patient's keys on this device. `KeysGate` stands in front of every page that opens or
// seals documents: it unlocks the keystore saved in this browser, imports a key file (the
// recovery kit, or the CLI's), or creates keys — showing the recovery kit to save before the
// keys are registered with the account.
import { createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { toHex } from "../crypto/bytes";
import { parseKeystore } from "../crypto/keystore";
import { lostKeysSummary, type LostKeysSummary } from "../lib/lostKeys";
import type { Created, Unlocked } from "../crypto/worker";
import { useT } from "../i18n";
import { cryptoClient, downloadFile, savedKeystore, saveKeystore, setUnlocked, takeRegistrationPassword } from "../state/keys";
import { useSession, useUnlocked } from "../state/hooks";
import { Alert, ErrorAlert, Field, SecretPairFields, useSecretPair } from "../ui";

type KeyView = Schemas["KeyView"];

/**
 * Words another area puts on this page in place of the patient's (the hospital portal: the
 * keys are the hospital's, the password is its API secret). Unset, the patient's words.
 */
export interface KeysWords {
  why: string;
  lost: string;
  password: string;
  passwordHint: string;
}
export const KeysWordsContext = createContext<KeysWords | null>(null);

function active(keys: KeyView[], kind: "x25519" | "ethereum"): KeyView | undefined {
  return keys.find((k) => k.kind === kind && !k.retired_at);
}

/** Does a keystore match the keys the account registered (if it registered any)? */
function matches(keys: KeyView[], x25519Hex: string): boolean {
  const k = active(keys, "x25519");
  return !k || k.public_key === x25519Hex;
}

export function KeysGate({ children }: { children: ReactNode }) {
  const unlocked = useUnlocked();
  if (unlocked) return <>{children}</>;
  return <KeysSetup />;
}

type Stage =
  | { kind: "loading" }
  | { kind: "unlock"; text: string }
  | { kind: "import" }
  | { kind: "restore" }
  | { kind: "create" }
  | { kind: "kit"; created: Created };

export function KeysSetup() {
  const t = useT();
  const session = useSession();
  const [passwordFromRegistration] = useState(takeRegistrationPassword);
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [stage, setStage] = useState<Stage>({ kind: "loading" });
  const [error, setError] = useState<unknown>(null);
  const subject = session?.subjectId ?? "";
  const words = useContext(KeysWordsContext);

  useEffect(() => {
    if (!subject) return;
    let live = true;
    (async () => {
      try {
        const [list, saved] = await Promise.all([call(() => api.GET("/v1/keys")), savedKeystore(subject)]);
        if (!live) return;
        setKeys(list);
        if (saved) setStage({ kind: "unlock", text: saved.text });
        else setStage(active(list, "x25519") ? { kind: "import" } : { kind: "create" });
      } catch (e) {
        if (live) setError(e);
      }
    })();
    return () => {
      live = false;
    };
  }, [subject]);

  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("keys.title")}</h1>
        <p>{words?.why ?? t("keys.why")}</p>
        <ErrorAlert error={error} />
        {stage.kind === "loading" && !error && <p>{t("app.loading")}</p>}
        {stage.kind === "unlock" && (
          <UnlockForm
            text={stage.text}
            keys={keys}
            subject={subject}
            onOther={() => setStage({ kind: "import" })}
          />
        )}
        {stage.kind === "import" && (
          <>
            <ImportForm keys={keys} subject={subject} />
            {!words && (
              <p>
                <button type="button" className="link" onClick={() => setStage({ kind: "restore" })}>
                  {t("restore.link")}
                </button>
              </p>
            )}
            {active(keys, "x25519") && !words && <LostKeys />}
            {!active(keys, "x25519") && (
              <p>
                <button type="button" className="link" onClick={() => setStage({ kind: "create" })}>
                  {t("keys.create.title")}
                </button>
              </p>
            )}
          </>
        )}
        {stage.kind === "restore" && (
          <>
            <RestoreForm keys={keys} subject={subject} />
            <p>
              <button type="button" className="link" onClick={() => setStage({ kind: "import" })}>
                {t("keys.import.title")}
              </button>
            </p>
          </>
        )}
        {stage.kind === "create" && (
          <>
            <CreateForm onCreated={(created) => setStage({ kind: "kit", created })} />
            <p>
              <button type="button" className="link" onClick={() => setStage({ kind: "import" })}>
                {t("keys.import.title")}
              </button>
            </p>
          </>
        )}
        {stage.kind === "kit" && <RecoveryKit created={stage.created} subject={subject} password={passwordFromRegistration} />}
        {!((stage.kind === "import" || stage.kind === "restore") && active(keys, "x25519") && !words) && <p className="muted">{words?.lost ?? t("keys.lost")}</p>}
      </section>
    </div>
  );
}

/**
 * For a patient whose account has keys but this browser has none: what is lost if the recovery
 * kit and passphrase are gone too, and what is not — counted from what the API shows without
 * keys. Folded, so it does not alarm someone who is about to import their kit.
 */
function LostKeys() {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [summary, setSummary] = useState<LostKeysSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!open || summary) return;
    let live = true;
    Promise.all([call(() => api.GET("/v1/documents")), call(() => api.GET("/v1/consents"))])
      .then(([docs, consents]) => live && setSummary(lostKeysSummary(docs, consents)))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [open, summary]);
  return (
    <details className="lost-keys" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{t("lost.title")}</summary>
      <p>{t("lost.intro")}</p>
      <ErrorAlert error={error} />
      {!summary && !error && <p>{t("lost.loading")}</p>}
      {summary && (
        <ul>
          <li>{t("lost.gone", { n: summary.onlyYours })}</li>
          <li>{t("lost.shared", { n: summary.shared })}</li>
          <li>{t("lost.consents", { n: summary.consentsInForce })}</li>
        </ul>
      )}
      <p>{t("lost.signing")}</p>
      <p>{t("lost.next")}</p>
    </details>
  );
}

function UnlockForm(props: { text: string; keys: KeyView[]; subject: string; onOther(): void }) {
  const t = useT();
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const u = await cryptoClient().unlock(props.text, passphrase);
      setPassphrase("");
      if (!matches(props.keys, toHex(u.x25519Public))) {
        await cryptoClient().forget(u.key);
        setMismatch(true);
        return;
      }
      setUnlocked(u);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t("keys.unlock.title")}>
      <h2>{t("keys.unlock.title")}</h2>
      <p>{t("keys.unlock.body")}</p>
      <ErrorAlert error={error} />
      {mismatch && <Alert>{t("keys.import.mismatch")}</Alert>}
      <Field
        label={t("keys.unlock.passphrase")}
        type="password"
        autoComplete="current-password"
        required
        value={passphrase}
        onChange={(e) => setPassphrase(e.target.value)}
      />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("keys.unlock.busy") : t("keys.unlock.submit")}
      </button>{" "}
      <button type="button" className="link" onClick={props.onOther}>
        {t("keys.unlock.other")}
      </button>
    </form>
  );
}

function ImportForm({ keys, subject }: { keys: KeyView[]; subject: string }) {
  const t = useT();
  const [file, setFile] = useState<File | null>(null);
  const [passphrase, setPassphrase] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const firstKeys = !active(keys, "x25519");

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setMismatch(false);
    try {
      const text = await file.text();
      const parsed = parseKeystore(text); // a clear error before the slow unlock
      if (!matches(keys, parsed.x25519_public)) {
        setMismatch(true);
        return;
      }
      const u = await cryptoClient().unlock(text, passphrase);
      setPassphrase("");
      if (firstKeys) await registerKeys(u, password);
      await saveKeystore(subject, text);
      setUnlocked(u);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t("keys.import.title")}>
      <h2>{t("keys.import.title")}</h2>
      <p>{t("keys.import.body")}</p>
      <ErrorAlert error={error} />
      {mismatch && <Alert>{t("keys.import.mismatch")}</Alert>}
      <Field
        label={t("keys.import.file")}
        type="file"
        accept=".json,application/json"
        required
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
      />
      <Field
        label={t("keys.import.passphrase")}
        type="password"
        autoComplete="current-password"
        required
        value={passphrase}
        onChange={(e) => setPassphrase(e.target.value)}
      />
      {firstKeys && <AccountPasswordField value={password} onChange={setPassword} />}
      <button type="submit" className="primary" disabled={busy || !file}>
        {busy ? t("keys.unlock.busy") : t("keys.import.submit")}
      </button>
    </form>
  );
}

/** Brings keys back from the 24 words into a new keystore for this browser. */
function RestoreForm({ keys, subject }: { keys: KeyView[]; subject: string }) {
  const t = useT();
  const [phrase, setPhrase] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const firstKeys = !active(keys, "x25519");
  const short = passphrase && [...passphrase].length < 12 ? t("error.passphrase_short") : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (short) return;
    setBusy(true);
    setError(null);
    setMismatch(false);
    try {
      const created = await cryptoClient().restore(phrase, passphrase);
      if (!matches(keys, toHex(created.x25519Public))) {
        await cryptoClient().forget(created.key);
        setMismatch(true);
        return;
      }
      setPhrase("");
      setPassphrase("");
      if (firstKeys) await registerKeys(created, password);
      await saveKeystore(subject, created.keystore);
      setUnlocked({ key: created.key, address: created.address, x25519Public: created.x25519Public, signers: created.signers });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t("restore.title")} noValidate>
      <h2>{t("restore.title")}</h2>
      <p>{t("restore.body")}</p>
      <ErrorAlert error={error} />
      {mismatch && <Alert>{t("restore.mismatch")}</Alert>}
      <div className="field">
        <label htmlFor="restore-words">{t("restore.words")}</label>
        <textarea
          id="restore-words"
          rows={4}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={phrase}
          onChange={(e) => setPhrase(e.target.value)}
        />
      </div>
      <Field
        label={t("restore.passphrase")}
        type="password"
        autoComplete="new-password"
        required
        value={passphrase}
        onChange={(e) => setPassphrase(e.target.value)}
        error={short}
      />
      {firstKeys && <AccountPasswordField value={password} onChange={setPassword} />}
      <button type="submit" className="primary" disabled={busy || !phrase.trim() || !passphrase}>
        {busy ? t("restore.busy") : t("restore.submit")}
      </button>
    </form>
  );
}

function CreateForm({ onCreated }: { onCreated(c: Created): void }) {
  const t = useT();
  const pair = useSecretPair(t("error.passphrase_short"), t("register.password.mismatch"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!pair.ready) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await cryptoClient().create(pair.first));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={t("keys.create.title")} noValidate>
      <h2>{t("keys.create.title")}</h2>
      <ErrorAlert error={error} />
      <SecretPairFields
        pair={pair}
        label={t("keys.create.passphrase")}
        hint={t("keys.create.passphrase.hint")}
        again={t("keys.create.passphrase2")}
      />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("keys.create.busy") : t("keys.create.submit")}
      </button>
    </form>
  );
}

/** The account's password (a hospital's API secret), asked again before keys are registered. */
function AccountPasswordField({ value, onChange }: { value: string; onChange(v: string): void }) {
  const t = useT();
  const words = useContext(KeysWordsContext);
  return (
    <Field
      label={words?.password ?? t("keys.kit.password")}
      hint={words?.passwordHint ?? t("keys.kit.password.hint")}
      type="password"
      autoComplete="current-password"
      required
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/** Registers an unlocked keystore's public keys with the account. */
async function registerKeys(u: Unlocked, pw: string): Promise<void> {
  await call(() => api.POST("/v1/keys", { body: { kind: "x25519", public_key: toHex(u.x25519Public), password: pw } }));
  await call(() => api.POST("/v1/keys", { body: { kind: "ethereum", public_key: u.address.toLowerCase(), password: pw } }));
}

function RecoveryKit({ created, subject, password: initial }: { created: Created; subject: string; password: string }) {
  const t = useT();
  const [downloaded, setDownloaded] = useState(false);
  const [saved, setSaved] = useState(false);
  const words = useContext(KeysWordsContext);
  // The phrase is the patient's (another area, the hospital portal, keeps to its key file).
  const phrase = words ? undefined : created.phrase;
  const [written, setWritten] = useState(!phrase);
  const [password, setPassword] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function finish(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await registerKeys(created, password);
      await saveKeystore(subject, created.keystore);
      setUnlocked({ key: created.key, address: created.address, x25519Public: created.x25519Public, signers: created.signers });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const short = created.address.slice(2, 10).toLowerCase();
  return (
    <form onSubmit={finish} aria-label={t("keys.kit.title")}>
      <h2>{t("keys.kit.title")}</h2>
      <Alert kind="warn">{t("keys.kit.body")}</Alert>
      <p>
        <button
          type="button"
          className="primary"
          onClick={() => {
            downloadFile(`pramana-keys-${short}.json`, created.keystore, "application/json");
            setDownloaded(true);
          }}
        >
          {t("keys.kit.download")}
        </button>
      </p>
      <div className="check">
        <input id="kit-saved" type="checkbox" checked={saved} disabled={!downloaded} onChange={(e) => setSaved(e.target.checked)} />
        <label htmlFor="kit-saved">{t("keys.kit.saved")}</label>
      </div>
      {phrase && (
        <>
          <h3>{t("phrase.title")}</h3>
          <p>{t("phrase.body")}</p>
          <ol className="phrase" aria-label={t("phrase.label")}>
            {phrase.split(" ").map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ol>
          <div className="check">
            <input id="phrase-written" type="checkbox" checked={written} onChange={(e) => setWritten(e.target.checked)} />
            <label htmlFor="phrase-written">{t("phrase.written")}</label>
          </div>
        </>
      )}
      <p className="muted">{t("keys.kit.reset")}</p>
      <ErrorAlert error={error} />
      {!initial && <AccountPasswordField value={password} onChange={setPassword} />}
      <button type="submit" className="primary" disabled={busy || !saved || !written || !password}>
        {busy ? t("keys.kit.busy") : t("keys.kit.finish")}
      </button>
    </form>
  );
}
