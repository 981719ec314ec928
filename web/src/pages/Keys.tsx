// The patient's keys on this device. `KeysGate` stands in front of every page that opens or
// seals documents: it unlocks the keystore saved in this browser, imports a key file (the
// recovery kit, or the CLI's), gets the keys from another signed-in device (docs/devices.md),
// or creates keys — showing the recovery kit to save before the keys are registered with the
// account.
import { createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { toHex } from "../crypto/bytes";
import { parseKeystore } from "../crypto/keystore";
import type { Created, Unlocked } from "../crypto/worker";
import { useT } from "../i18n";
import { cryptoClient, downloadFile, savedKeystore, saveKeystore, setUnlocked, takeRegistrationPassword } from "../state/keys";
import { useSession, useUnlocked } from "../state/hooks";
import { Alert, ErrorAlert, Field } from "../ui";
import { PairThisDevice } from "./Devices";

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
  | { kind: "create" }
  | { kind: "pair" }
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
            {session?.role === "patient" && active(keys, "x25519") && (
              <p>
                <button type="button" className="link" onClick={() => setStage({ kind: "pair" })}>
                  {t("pair.start")}
                </button>
              </p>
            )}
            {!active(keys, "x25519") && (
              <p>
                <button type="button" className="link" onClick={() => setStage({ kind: "create" })}>
                  {t("keys.create.title")}
                </button>
              </p>
            )}
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
        {stage.kind === "pair" && (
          <PairThisDevice
            subject={subject}
            x25519Public={active(keys, "x25519")?.public_key}
            onCancel={() => setStage({ kind: "import" })}
          />
        )}
        {stage.kind === "kit" && <RecoveryKit created={stage.created} subject={subject} password={passwordFromRegistration} />}
        <p className="muted">{words?.lost ?? t("keys.lost")}</p>
      </section>
    </div>
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
  const words = useContext(KeysWordsContext);

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
      {firstKeys && (
        <Field
          label={words?.password ?? t("keys.kit.password")}
          hint={words?.passwordHint ?? t("keys.kit.password.hint")}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      )}
      <button type="submit" className="primary" disabled={busy || !file}>
        {busy ? t("keys.unlock.busy") : t("keys.import.submit")}
      </button>
    </form>
  );
}

function CreateForm({ onCreated }: { onCreated(c: Created): void }) {
  const t = useT();
  const [p1, setP1] = useState("");
  const [p2, setP2] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const short = p1 && [...p1].length < 12 ? t("error.passphrase_short") : null;
  const mismatch = p2 && p1 !== p2 ? t("register.password.mismatch") : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (short || mismatch || !p1 || p1 !== p2) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await cryptoClient().create(p1));
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
      <Field
        label={t("keys.create.passphrase")}
        hint={t("keys.create.passphrase.hint")}
        type="password"
        autoComplete="new-password"
        required
        value={p1}
        onChange={(e) => setP1(e.target.value)}
        error={short}
      />
      <Field
        label={t("keys.create.passphrase2")}
        type="password"
        autoComplete="new-password"
        required
        value={p2}
        onChange={(e) => setP2(e.target.value)}
        error={mismatch}
      />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("keys.create.busy") : t("keys.create.submit")}
      </button>
    </form>
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
  const [password, setPassword] = useState(initial);
  const words = useContext(KeysWordsContext);
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
      <ErrorAlert error={error} />
      {!initial && (
        <Field
          label={words?.password ?? t("keys.kit.password")}
          hint={words?.passwordHint ?? t("keys.kit.password.hint")}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      )}
      <button type="submit" className="primary" disabled={busy || !saved || !password}>
        {busy ? t("keys.kit.busy") : t("keys.kit.finish")}
      </button>
    </form>
  );
}
