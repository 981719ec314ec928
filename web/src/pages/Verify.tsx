// Verify a document against the chain, signed in or not: the file is hashed in this browser and
// never leaves it; the proof bundle is checked here; the anchor is read from the contract
// through the chain's RPC endpoint directly, not through Pramana's API. What is trusted comes
// from the deployment file next to the page (lib/trust), so the page also works from a static
// host with the platform's API switched off.
import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { formatDate, useLang, type Key } from "../i18n";
import { Page } from "../Layout";
import { loadPinned, parseChainId, parseContract, parseRpcUrl, toTrusted, type Pinned, type TrustSource } from "../lib/trust";
import type { Outcome, Trusted } from "../lib/verify";
import { Alert, Progress } from "../ui";

/** What the deployment file or the API pinned: `undefined` while loading, `null` if nothing. */
function usePinned(): { pinned: Pinned | null; source: TrustSource } | null | undefined {
  const [state, setState] = useState<{ pinned: Pinned; source: TrustSource } | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void loadPinned().then((p) => live && setState(p));
    return () => {
      live = false;
    };
  }, []);
  return state;
}

export function Verify() {
  const { t, lang } = useLang();
  const loaded = usePinned();
  const pinned = loaded?.pinned ?? null;
  // What the visitor typed in "Use another endpoint", over what the site pinned.
  const [typed, setTyped] = useState<Trusted | null>(null);
  const trusted = typed ?? (pinned ? toTrusted(pinned) : null);
  const source: TrustSource | "rpc_typed" | null = typed ? (pinned ? "rpc_typed" : "typed") : (loaded?.source ?? null);
  const [file, setFile] = useState<File | null>(null);
  const [bundleFile, setBundleFile] = useState<File | null>(null);
  const [hashing, setHashing] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function check(e: FormEvent) {
    e.preventDefault();
    if (!file || !bundleFile || !trusted) return;
    setBusy(true);
    setOutcome(null);
    setError(null);
    try {
      // The chain client loads only here, not with every page.
      const lib = await import("../lib/verify").catch(() => null);
      if (!lib) {
        setError(t("error.network"));
        return;
      }
      let bundle: unknown;
      try {
        bundle = await lib.readBundle(bundleFile);
      } catch {
        setError(t("verify.error.bundle"));
        return;
      }
      setHashing(0);
      const sha = await lib.hashFile(file, setHashing);
      setHashing(null);
      setOutcome(await lib.verifyDocument(sha, bundle, trusted));
    } catch {
      setError(t("verify.error.rpc", { url: trusted.rpcUrl }));
    } finally {
      setHashing(null);
      setBusy(false);
    }
  }

  return (
    <Page title={t("verify.title")}>
      <p className="lead">{t("verify.lead")}</p>
      {loaded !== undefined && (
        <section className="card" aria-labelledby="trust-title">
          <h2 id="trust-title">{t("verify.trust.title")}</h2>
          {!pinned && !typed && <Alert kind="warn">{t("verify.error.no_chain")}</Alert>}
          {pinned && !pinned.rpcUrl && !typed && <Alert kind="warn">{t("verify.error.no_rpc")}</Alert>}
          <dl className="facts">
            <dt>{t("verify.trust.contract")}</dt>
            <dd className="mono">{(typed ?? pinned)?.contract ?? t("verify.trust.unset")}</dd>
            <dt>{t("verify.trust.chain")}</dt>
            <dd>{(typed ?? pinned)?.chainId ?? t("verify.trust.unset")}</dd>
            <dt>{t("verify.trust.rpc")}</dt>
            <dd className="mono">{trusted?.rpcUrl ?? t("verify.trust.unset")}</dd>
          </dl>
          {source && <p className="trust-source">{t(`verify.trust.source.${source}` as Key)}</p>}
          <p className="muted">{t("verify.trust.how")}</p>
          <CustomEndpoint
            pinned={pinned}
            current={trusted}
            onUse={(v) => {
              setTyped(v);
              setOutcome(null);
              setError(null);
            }}
          />
        </section>
      )}
      <form className="card" onSubmit={check} aria-labelledby="verify-form-title">
        <h2 id="verify-form-title">{t("verify.form.title")}</h2>
        <FileField
          label={t("verify.form.document")}
          hint={t("verify.form.document.hint")}
          onFile={(f) => {
            setFile(f);
            setOutcome(null);
          }}
        />
        <FileField
          label={t("verify.form.proof")}
          hint={t("verify.form.proof.hint")}
          accept="application/json,.json"
          onFile={(f) => {
            setBundleFile(f);
            setOutcome(null);
          }}
        />
        {hashing !== null && file && <Progress value={hashing} max={file.size} label={t("verify.hashing")} />}
        <button type="submit" className="primary" disabled={!file || !bundleFile || !trusted || busy}>
          {busy ? t("verify.checking") : t("verify.form.submit")}
        </button>
      </form>
      {error && <Alert>{error}</Alert>}
      {outcome && trusted && <Result outcome={outcome} trusted={trusted} lang={lang} />}
      <Explanation />
    </Page>
  );
}

function FileField(props: { label: string; hint: string; accept?: string; onFile: (f: File | null) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input id={id} type="file" accept={props.accept} aria-describedby={`${id}-hint`} onChange={(e) => props.onFile(e.target.files?.[0] ?? null)} />
      <small id={`${id}-hint`} className="hint">
        {props.hint}
      </small>
    </div>
  );
}

/** A result that is not a verified match: its title, what it means, and any details. */
function Failure({ title, body, children }: { title: string; body: string; children?: ReactNode }) {
  return (
    <div className="alert alert-error verify-result" role="alert">
      <strong>{title}</strong>
      <p>{body}</p>
      {children}
    </div>
  );
}

function Result({ outcome, trusted, lang }: { outcome: Outcome; trusted: Trusted; lang: "en" | "hi" }) {
  const { t } = useLang();
  switch (outcome.kind) {
    case "verified":
      return (
        <div className="alert alert-ok verify-result" role="status">
          <strong>{t("verify.ok.title")}</strong>
          <p>
            {t("verify.ok.body", {
              block: outcome.block,
              time: formatDate(lang, new Date(outcome.time * 1000), true),
              contract: trusted.contract,
            })}
          </p>
          {outcome.movedBlock && <p>{t("verify.ok.moved")}</p>}
          <p className="mono">SHA-256 {outcome.sha256}</p>
        </div>
      );
    case "mismatch":
      return <Failure title={t("verify.mismatch.title")} body={t("verify.mismatch.body")} />;
    case "tampered":
      return (
        <Failure title={t("verify.tampered.title")} body={t("verify.tampered.body")}>
          <details>
            <summary>{t("verify.details")}</summary>
            <ul>
              {outcome.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </details>
        </Failure>
      );
    case "wrong_contract":
      return <Failure title={t("verify.contract.title")} body={t("verify.contract.body", { named: outcome.named, trusted: trusted.contract })} />;
    case "wrong_chain":
      return <Failure title={t("verify.chain.title")} body={t("verify.chain.body", { named: outcome.named, trusted: outcome.trusted })} />;
    case "not_a_proof":
      return <Failure title={t("verify.not_proof.title")} body={t("verify.not_proof.body")} />;
    case "rpc_unreachable":
      return <Failure title={t("verify.rpc_down.title")} body={t("verify.rpc_down.body", { url: outcome.url })} />;
    case "rpc_wrong_chain":
      return <Failure title={t("verify.rpc_chain.title")} body={t("verify.rpc_chain.body", { url: trusted.rpcUrl, actual: outcome.actual, expected: outcome.expected })} />;
    case "no_contract":
      return <Failure title={t("verify.no_contract.title")} body={t("verify.no_contract.body", { chain: trusted.chainId, contract: outcome.contract })} />;
    case "not_anchored":
      return <Failure title={t("verify.unanchored.title")} body={t("verify.unanchored.body", { contract: trusted.contract })} />;
  }
}

/**
 * "Use another endpoint": the RPC URL only when the site pins the contract and chain (they are
 * the site's to pin), all three when it pins nothing. Open when the page cannot verify without it.
 */
function CustomEndpoint(props: { pinned: Pinned | null; current: Trusted | null; onUse: (v: Trusted) => void }) {
  const { t } = useLang();
  const { pinned, current } = props;
  const [open, setOpen] = useState(!pinned || !pinned.rpcUrl);
  const [rpc, setRpc] = useState(current?.rpcUrl ?? "");
  const [chain, setChain] = useState("");
  const [contract, setContract] = useState("");
  const [invalid, setInvalid] = useState<{ rpc?: boolean; chain?: boolean; contract?: boolean }>({});

  function use(e: FormEvent) {
    e.preventDefault();
    const rpcUrl = parseRpcUrl(rpc);
    const chainId = pinned ? pinned.chainId : parseChainId(chain);
    const address = pinned ? pinned.contract : parseContract(contract);
    setInvalid({ rpc: !rpcUrl, chain: chainId === null, contract: address === null });
    if (rpcUrl && chainId !== null && address !== null) props.onUse({ rpcUrl, chainId, contract: address });
  }

  return (
    <details className="custom-endpoint" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{t(pinned ? "verify.custom.summary" : "verify.custom.summary.none")}</summary>
      <p>{t(pinned ? "verify.custom.lead" : "verify.custom.lead.none")}</p>
      <form onSubmit={use} noValidate>
        <TextField
          label={t("verify.custom.rpc")}
          hint={t("verify.custom.rpc.hint")}
          value={rpc}
          onChange={setRpc}
          error={invalid.rpc ? t("verify.custom.invalid.rpc") : undefined}
          type="url"
        />
        {!pinned && (
          <>
            <TextField
              label={t("verify.custom.chain")}
              value={chain}
              onChange={setChain}
              error={invalid.chain ? t("verify.custom.invalid.chain") : undefined}
              inputMode="numeric"
            />
            <TextField
              label={t("verify.custom.contract")}
              value={contract}
              onChange={setContract}
              error={invalid.contract ? t("verify.custom.invalid.contract") : undefined}
            />
          </>
        )}
        <button type="submit">{t("verify.custom.apply")}</button>
      </form>
    </details>
  );
}

function TextField(props: {
  label: string;
  hint?: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  type?: "text" | "url";
  inputMode?: "numeric";
}) {
  const id = useId();
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? "text"}
        inputMode={props.inputMode}
        className="mono"
        spellCheck={false}
        autoComplete="off"
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint && (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={`${id}-error`} className="field-error">
          {props.error}
        </small>
      )}
    </div>
  );
}

/** What a match proves and what it does not, in plain words, for a visitor who is not an engineer. */
function Explanation() {
  const { t } = useLang();
  const yes: Key[] = ["verify.explain.yes.bytes", "verify.explain.yes.when", "verify.explain.yes.where"];
  const no: Key[] = ["verify.explain.no.true", "verify.explain.no.author", "verify.explain.no.consent", "verify.explain.no.held"];
  return (
    <section className="card explain" aria-labelledby="explain-title">
      <h2 id="explain-title">{t("verify.explain.title")}</h2>
      <h3>{t("verify.explain.yes")}</h3>
      <ul>
        {yes.map((k) => (
          <li key={k}>{t(k)}</li>
        ))}
      </ul>
      <h3>{t("verify.explain.no")}</h3>
      <ul>
        {no.map((k) => (
          <li key={k}>{t(k)}</li>
        ))}
      </ul>
    </section>
  );
}
