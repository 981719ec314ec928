// Verify a document against the chain, signed in or not: the file is hashed in this browser and
// never leaves it; the proof bundle is checked here; the anchor is read from the contract
// through the chain's RPC endpoint directly, not through Pramana's API.
import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { formatDate, useLang } from "../i18n";
import { Page } from "../Layout";
import type { Outcome, Trusted } from "../lib/verify";
import { Alert, Progress } from "../ui";

function useTrusted(): { trusted: Trusted | null; problem: "loading" | "none" | null } {
  const [state, setState] = useState<{ trusted: Trusted | null; problem: "loading" | "none" | null }>({
    trusted: null,
    problem: "loading",
  });
  useEffect(() => {
    api.GET("/v1/chain").then(
      ({ data }) => {
        if (data?.contract_address && data.public_rpc_url) {
          setState({ trusted: { chainId: data.chain_id, contract: data.contract_address, rpcUrl: data.public_rpc_url }, problem: null });
        } else setState({ trusted: null, problem: "none" });
      },
      () => setState({ trusted: null, problem: "none" }),
    );
  }, []);
  return state;
}

export function Verify() {
  const { t, lang } = useLang();
  const { trusted, problem } = useTrusted();
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
      {trusted && (
        <section className="card" aria-labelledby="trust-title">
          <h2 id="trust-title">{t("verify.trust.title")}</h2>
          <dl className="facts">
            <dt>{t("verify.trust.contract")}</dt>
            <dd className="mono">{trusted.contract}</dd>
            <dt>{t("verify.trust.chain")}</dt>
            <dd>{trusted.chainId}</dd>
            <dt>{t("verify.trust.rpc")}</dt>
            <dd className="mono">{trusted.rpcUrl}</dd>
          </dl>
          <p className="muted">{t("verify.trust.how")}</p>
        </section>
      )}
      {problem === "none" && <Alert>{t("verify.error.no_chain")}</Alert>}
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
      return (
        <div className="alert alert-error verify-result" role="alert">
          <strong>{t("verify.mismatch.title")}</strong>
          <p>{t("verify.mismatch.body")}</p>
        </div>
      );
    case "tampered":
      return (
        <div className="alert alert-error verify-result" role="alert">
          <strong>{t("verify.tampered.title")}</strong>
          <p>{t("verify.tampered.body")}</p>
          <details>
            <summary>{t("verify.details")}</summary>
            <ul>
              {outcome.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </details>
        </div>
      );
    case "wrong_contract":
      return (
        <div className="alert alert-error verify-result" role="alert">
          <strong>{t("verify.contract.title")}</strong>
          <p>{t("verify.contract.body", { named: outcome.named, trusted: trusted.contract })}</p>
        </div>
      );
    case "wrong_chain":
      return (
        <div className="alert alert-error verify-result" role="alert">
          <strong>{t("verify.chain.title")}</strong>
          <p>{t("verify.chain.body", { named: outcome.named, actual: outcome.actual })}</p>
        </div>
      );
    case "not_anchored":
      return (
        <div className="alert alert-error verify-result" role="alert">
          <strong>{t("verify.unanchored.title")}</strong>
          <p>{t("verify.unanchored.body", { contract: trusted.contract })}</p>
        </div>
      );
  }
}
