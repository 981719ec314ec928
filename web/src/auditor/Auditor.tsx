// The auditor console (/auditor): sign-in with the auditor's username and password, then every
// consent's history read from the chain through its RPC endpoint (lib/audit, a port of
// `pramana audit`), compared with the platform's signed consents (`GET /v1/audit/consents`), the
// discrepancies in a table that fills in as they are found, filtered and exported as CSV.
// Loaded only when opened (App.tsx). Only the `auditor` role gets past the sign-in; the API
// checks the role again.
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, Navigate, Route, Routes } from "react-router";
import { api, call } from "../api/client";
import { formatDate, useLang } from "../i18n";
import { Page } from "../Layout";
import type { ChainProblem, ChainStatus, ConsentHistory, Finding, PlatformConsent } from "../lib/audit";
import {
  discrepanciesCsv,
  DISCREPANCY_KINDS,
  historiesCsv,
  matchesFilter,
  matchesHistory,
  pageOf,
  type Discrepancy,
  type DiscrepancyKind,
} from "../lib/auditTable";
import type { LogEntry, LogReport, TreeHead } from "../lib/auditLog";
import { loadPinned, parseRpcUrl, type Pinned, type TrustSource } from "../lib/trust";
import { useSession } from "../state/hooks";
import { Alert, errorText, Field, Progress, Select } from "../ui";
import { RoleSignIn, type RoleSignInWords } from "../ui/RoleSignIn";
import { useAT, type AT } from "./strings";

/** How many chain histories one page of the table lists. */
const HISTORY_ROWS = 200;

export function Auditor() {
  const session = useSession();
  if (session?.role !== "auditor") return <AuditorLogin otherSession={session !== null} />;
  return (
    <Routes>
      <Route index element={<Console />} />
      <Route path="*" element={<Navigate to="/auditor" replace />} />
    </Routes>
  );
}

function AuditorLogin({ otherSession }: { otherSession: boolean }) {
  const at = useAT();
  const { t } = useLang();
  const words: RoleSignInWords = {
    title: at("au.login.title"),
    intro: at("au.login.intro"),
    login: at("au.login.username"),
    secret: at("au.login.password"),
    submit: at("au.login.submit"),
    busy: at("au.login.busy"),
    wrongRole: at("au.login.notAuditor"),
    otherSession: at("au.login.otherSession"),
    signOut: at("au.login.signOut"),
    patientLink: at("au.login.patientLink"),
    secondFactor: {
      intro: t("login.2fa.intro"),
      code: t("login.2fa.code"),
      hint: t("login.2fa.hint"),
      submit: t("login.2fa.submit"),
      back: t("login.2fa.back"),
      passkeyIntro: t("login.2fa.passkey.intro"),
      passkey: t("login.2fa.passkey"),
      or: t("login.2fa.or"),
    },
  };
  return (
    <RoleSignIn
      role="auditor"
      words={words}
      otherSession={otherSession}
      describe={(e) => errorText(t, e)}
      normalise={(username, password) => [username.trim(), password]}
      loginCapitalize="none"
    />
  );
}

/** One run's results, replaced as a whole: a failed run leaves the previous one as it was. */
interface Result {
  histories: ConsentHistory[];
  platformCount: number | null;
  rows: Discrepancy[];
  inFlight: number;
  foreign: number;
  done: boolean;
}

function problemText(at: AT, p: ChainProblem): string {
  switch (p.kind) {
    case "rpc_unreachable":
      return at("au.error.rpc_unreachable", { url: p.url });
    case "rpc_wrong_chain":
      return at("au.error.rpc_wrong_chain", { expected: p.expected, actual: p.actual });
    case "no_contract":
      return at("au.error.no_contract", { contract: p.contract });
    case "rpc_failed":
      return at("au.error.rpc_failed", { message: p.message });
  }
}

/** Every page of the platform's signed consents. */
async function platformConsents(): Promise<PlatformConsent[]> {
  const out: PlatformConsent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await call(() => api.GET("/v1/audit/consents", { params: { query: { after, limit: 1000 } } }));
    out.push(...page.consents);
    if (!page.next_after) return out;
    after = page.next_after;
  }
}

/** Every sequenced entry of the access log, by position. */
async function logEntries(): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let start = 0;
  for (;;) {
    const page = await call(() => api.GET("/v1/audit/log", { params: { query: { start, limit: 1000 } } }));
    out.push(...page.entries);
    if (page.next_start == null) return out;
    start = page.next_start;
  }
}

/** Every tree head, by size. */
async function treeHeads(): Promise<TreeHead[]> {
  const out: TreeHead[] = [];
  let after = 0;
  for (;;) {
    const page = await call(() => api.GET("/v1/audit/heads", { params: { query: { after, limit: 1000 } } }));
    out.push(...(page.heads as TreeHead[]));
    if (page.next_after == null) return out;
    after = page.next_after;
  }
}

function Console() {
  const at = useAT();
  const { t, lang } = useLang();
  const [pinned, setPinned] = useState<{ pinned: Pinned; source: TrustSource } | null | undefined>(undefined);
  const [rpcUrl, setRpcUrl] = useState("");
  const [rpcInvalid, setRpcInvalid] = useState(false);
  const [fromBlock, setFromBlock] = useState("0");
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<{ label: string; value: number; max: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [platformError, setPlatformError] = useState<string | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [kind, setKind] = useState<DiscrepancyKind | "all">("all");
  const [text, setText] = useState("");
  const firstRow = useRef(false);
  const [logBusy, setLogBusy] = useState(false);
  const [logError, setLogError] = useState<string | null>(null);
  const [logReport, setLogReport] = useState<LogReport | null>(null);

  useEffect(() => {
    document.title = `${at("au.title")} · Pramana`;
  }, [at]);
  useEffect(() => {
    let live = true;
    void loadPinned().then((p) => {
      if (!live) return;
      setPinned(p);
      if (p?.pinned.rpcUrl) setRpcUrl(p.pinned.rpcUrl);
    });
    return () => {
      live = false;
    };
  }, []);

  async function run(e: FormEvent) {
    e.preventDefault();
    if (!pinned) return;
    const url = parseRpcUrl(rpcUrl);
    setRpcInvalid(url === null);
    if (url === null) return;
    setBusy(true);
    setError(null);
    setPlatformError(null);
    const previous = result;
    try {
      const lib = await import("../lib/audit").catch(() => null);
      if (!lib) {
        setError(t("error.network"));
        return;
      }
      const trusted = { chainId: pinned.pinned.chainId, contract: pinned.pinned.contract, rpcUrl: url };
      const contract = trusted.contract;
      try {
        performance.mark("audit-start");
        const client = await lib.connectChain(trusted);
        // The platform's records are fetched while the chain's events are read.
        const fromPlatform = platformConsents().then(
          (v) => ({ ok: true as const, v }),
          (err: unknown) => ({ ok: false as const, err }),
        );
        const start = BigInt(/^\d+$/.test(fromBlock.trim()) ? fromBlock.trim() : "0");
        const histories = await lib.readHistories(client, contract, start, (block, head) =>
          setProgress({ label: at("au.progress.blocks"), value: Number(block), max: Math.max(1, Number(head)) }),
        );
        const platform = await fromPlatform;
        if (!platform.ok) {
          await lib.fillStatuses(client, contract, histories);
          setResult({ histories, platformCount: null, rows: [], inFlight: 0, foreign: 0, done: true });
          setPlatformError(at("au.error.platform", { message: errorText(t, platform.err) }));
          return;
        }
        let current: Result = { histories, platformCount: platform.v.length, rows: [], inFlight: 0, foreign: 0, done: false };
        setResult(current);
        firstRow.current = false;
        const now = Math.floor(Date.now() / 1000);
        await lib.reconcile(client, contract, platform.v, histories, now, (found: Finding[], checked, total) => {
          const rows = found.flatMap((f) => (f.type === "discrepancy" ? [f.discrepancy] : []));
          if (rows.length > 0 && !firstRow.current) {
            firstRow.current = true;
            performance.mark("audit-first-row");
          }
          current = {
            ...current,
            rows: rows.length > 0 ? [...current.rows, ...rows] : current.rows,
            inFlight: current.inFlight + found.filter((f) => f.type === "in_flight").length,
            foreign: current.foreign + found.filter((f) => f.type === "foreign").length,
          };
          setResult(current);
          setProgress({ label: at("au.progress.checked"), value: checked, max: Math.max(1, total) });
        });
        setResult({ ...current, histories: [...histories], done: true });
        performance.mark("audit-done");
      } catch (err) {
        setResult(previous);
        setError(err instanceof lib.ChainError ? problemText(at, err.problem) : errorText(t, err));
      }
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  async function checkLog() {
    if (!pinned) return;
    const url = parseRpcUrl(rpcUrl);
    setRpcInvalid(url === null);
    if (url === null) return;
    setLogBusy(true);
    setLogError(null);
    try {
      const [chain, lib] = await Promise.all([import("../lib/audit"), import("../lib/auditLog")]).catch(() => [null, null] as const);
      if (!chain || !lib) {
        setLogError(t("error.network"));
        return;
      }
      const contract = pinned.pinned.contract;
      try {
        const client = await chain.connectChain({ chainId: pinned.pinned.chainId, contract, rpcUrl: url });
        const [entries, heads] = await Promise.all([logEntries(), treeHeads()]);
        const report = await lib.verifyLog({
          entries,
          heads,
          anchoredAt: lib.chainAnchoredAt(client, contract),
          consistency: async (first, second) =>
            (await call(() => api.GET("/v1/audit/consistency", { params: { query: { first, second } } }))).proof,
          inclusion: async (position, treeSize) =>
            (await call(() => api.GET("/v1/audit/log/{position}/proof", { params: { path: { position }, query: { tree_size: treeSize } } })).catch(() => null))
              ?.proof ?? null,
        });
        setLogReport(report);
      } catch (err) {
        setLogError(err instanceof chain.ChainError ? problemText(at, err.problem) : errorText(t, err));
      }
    } finally {
      setLogBusy(false);
    }
  }

  const shown = useMemo(
    () => (result ? result.rows.filter((r) => matchesFilter(r, kind, text)) : []),
    [result, kind, text],
  );

  function exportCsv() {
    saveCsv("pramana-discrepancies.csv", discrepanciesCsv(shown));
  }

  const kindName = (k: DiscrepancyKind) => at(`au.kind.${k}`);

  return (
    <Page title={at("au.title")}>
      <p>{at("au.intro")}</p>
      <section className="card" aria-labelledby="au-chain">
        <h2 id="au-chain">{at("au.chain.title")}</h2>
        {pinned === undefined ? (
          <p>{at("au.chain.loading")}</p>
        ) : pinned === null ? (
          <Alert kind="warn">{at("au.chain.none")}</Alert>
        ) : (
          <form onSubmit={run} aria-label={at("au.chain.title")}>
            <dl className="facts">
              <dt>{at("au.chain.chainId")}</dt>
              <dd>{pinned.pinned.chainId}</dd>
              <dt>{at("au.chain.contract")}</dt>
              <dd>
                <code className="mono">{pinned.pinned.contract}</code> ({at(pinned.source === "file" ? "au.chain.source.file" : "au.chain.source.api")})
              </dd>
            </dl>
            <Field
              label={at("au.chain.rpc")}
              hint={at("au.chain.rpc.hint")}
              error={rpcInvalid ? at("au.chain.rpc.invalid") : null}
              type="url"
              inputMode="url"
              spellCheck={false}
              autoCapitalize="none"
              required
              value={rpcUrl}
              onChange={(e) => setRpcUrl(e.target.value)}
            />
            <Field
              label={at("au.fromBlock")}
              inputMode="numeric"
              pattern="[0-9]*"
              value={fromBlock}
              onChange={(e) => setFromBlock(e.target.value)}
            />
            <button type="submit" className="primary" disabled={busy}>
              {busy ? at("au.running") : at("au.run")}
            </button>
          </form>
        )}
        {progress && <Progress value={progress.value} max={progress.max} label={progress.label} />}
        {error && <Alert>{error}</Alert>}
        {platformError && <Alert kind="warn">{platformError}</Alert>}
      </section>

      {result && result.platformCount !== null && (
        <section className="card" aria-labelledby="au-table">
          <h2 id="au-table">{at("au.table.title")}</h2>
          <p role="status">
            {at("au.summary", {
              chain: result.histories.length,
              platform: result.platformCount,
              inFlight: result.inFlight,
              count: result.rows.length,
            })}
          </p>
          {result.done && result.rows.length === 0 && <Alert kind="ok">{at("au.summary.none")}</Alert>}
          {result.foreign > 0 && <p className="muted">{at("au.foreign", { count: result.foreign })}</p>}
          <div className="filters">
            <Select label={at("au.filter.kind")} value={kind} onChange={(e) => setKind(e.target.value as DiscrepancyKind | "all")}>
              <option value="all">{at("au.filter.all")}</option>
              {DISCREPANCY_KINDS.map((k) => (
                <option key={k} value={k}>
                  {kindName(k)}
                </option>
              ))}
            </Select>
            <Field
              label={at("au.filter.text")}
              hint={at("au.filter.text.hint")}
              type="search"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          </div>
          <p>
            {at("au.filter.shown", { shown: shown.length, count: result.rows.length })}{" "}
            <button type="button" onClick={exportCsv} disabled={shown.length === 0}>
              {at("au.export")}
            </button>
          </p>
          {shown.length > 0 && (
            <div className="table-scroll" tabIndex={0} role="region" aria-label={at("au.table.title")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{at("au.col.kind")}</th>
                    <th scope="col">{at("au.col.consent")}</th>
                    <th scope="col">{at("au.col.platform")}</th>
                    <th scope="col">{at("au.col.detail")}</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r, i) => (
                    <tr key={`${r.consent_id}-${r.kind}-${i}`} data-kind={r.kind}>
                      <td>{kindName(r.kind)}</td>
                      <td>
                        <code className="mono">{r.consent_id}</code>
                      </td>
                      <td>{r.platform_id ? <code className="mono">{r.platform_id}</code> : "—"}</td>
                      <td>{r.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}

      {result && result.done && <HistoryTable histories={result.histories} />}

      <section className="card" aria-labelledby="au-log">
        <h2 id="au-log">{at("au.log.title")}</h2>
        <p>{at("au.log.intro")}</p>
        <button type="button" onClick={() => void checkLog()} disabled={logBusy || !pinned}>
          {logBusy ? at("au.log.checking") : at("au.log.check")}
        </button>
        {logError && <Alert>{logError}</Alert>}
        {logReport && (
          <div>
            <p>
              {at("au.log.summary", {
                entries: logReport.entries,
                heads: logReport.heads,
                anchored: logReport.anchoredHeads,
                size: logReport.verifiedSize,
              })}
            </p>
            {logReport.firstMisfit === null && logReport.problems.length === 0 ? (
              <Alert kind="ok">{at("au.log.verified")}</Alert>
            ) : (
              <Alert>
                {logReport.firstMisfit && (
                  <span>
                    {at("au.log.misfit", {
                      position: logReport.firstMisfit.position,
                      seq: logReport.firstMisfit.seq ?? "—",
                      reason: logReport.firstMisfit.reason,
                    })}{" "}
                  </span>
                )}
                {logReport.problems.length > 0 && (
                  <span>{at("au.log.problems", { problems: logReport.problems.join("; ") })}</span>
                )}
              </Alert>
            )}
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="au-proofs">
        <h2 id="au-proofs">{at("au.proofs.title")}</h2>
        <p>{at("au.proofs.body")}</p>
        <p>
          <Link to="/verify">{at("au.proofs.link")}</Link>
        </p>
      </section>
    </Page>
  );
}

function saveCsv(name: string, csv: string) {
  const href = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

const HISTORY_STATUSES: ChainStatus[] = ["active", "not_yet_valid", "expired", "revoked", "unknown"];

/** Every consent history read from the chain: filtered, a page of {@link HISTORY_ROWS} at a time, exportable. */
function HistoryTable({ histories }: { histories: ConsentHistory[] }) {
  const at = useAT();
  const { lang } = useLang();
  const [status, setStatus] = useState<ChainStatus | "all">("all");
  const [text, setText] = useState("");
  const [page, setPage] = useState(0);
  const matching = useMemo(() => histories.filter((h) => matchesHistory(h, status, text)), [histories, status, text]);
  const view = pageOf(matching, page, HISTORY_ROWS);
  const title = at("au.history.title", { count: histories.length });
  return (
    <section className="card" aria-labelledby="au-history">
      <h2 id="au-history">{title}</h2>
      {histories.length > 0 && (
        <>
          <div className="filters">
            <Select
              label={at("au.history.filter.status")}
              value={status}
              onChange={(e) => {
                setStatus(e.target.value as ChainStatus | "all");
                setPage(0);
              }}
            >
              <option value="all">{at("au.history.filter.all")}</option>
              {HISTORY_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {at(`au.status.${s}`)}
                </option>
              ))}
            </Select>
            <Field
              label={at("au.history.filter.text")}
              hint={at("au.history.filter.text.hint")}
              type="search"
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                setPage(0);
              }}
            />
          </div>
          <p>
            {at("au.history.range", { first: view.first, last: view.last, count: matching.length })}{" "}
            <button type="button" onClick={() => saveCsv("pramana-consent-histories.csv", historiesCsv(matching))} disabled={matching.length === 0}>
              {at("au.history.export")}
            </button>
          </p>
        </>
      )}
      {view.rows.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label={title}>
          <table>
            <thead>
              <tr>
                <th scope="col">{at("au.history.col.consent")}</th>
                <th scope="col">{at("au.history.col.status")}</th>
                <th scope="col">{at("au.history.col.patient")}</th>
                <th scope="col">{at("au.history.col.grantee")}</th>
                <th scope="col">{at("au.history.col.valid")}</th>
                <th scope="col">{at("au.history.col.granted")}</th>
                <th scope="col">{at("au.history.col.revoked")}</th>
              </tr>
            </thead>
            <tbody>
              {view.rows.map((c) => (
                <tr key={`${c.patient}-${c.consentId}`} data-consent={c.consentId} data-status={c.status}>
                  <td>
                    <code className="mono">{c.consentId}</code>
                  </td>
                  <td>{at(`au.status.${c.status}`)}</td>
                  <td>
                    <code className="mono">{c.patient}</code>
                  </td>
                  <td>
                    <code className="mono">{c.grantee}</code>
                  </td>
                  <td>
                    {formatDate(lang, new Date(c.validFrom * 1000))} – {formatDate(lang, new Date(c.validUntil * 1000))}
                  </td>
                  <td>{c.granted.blockNumber}</td>
                  <td>{c.revoked ? c.revoked.blockNumber : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {view.pages > 1 && (
        <nav className="actions" aria-label={at("au.history.pages")}>
          <button type="button" onClick={() => setPage(view.page - 1)} disabled={view.page === 0}>
            {at("au.history.prev")}
          </button>
          <span aria-live="polite">{at("au.history.page", { page: view.page + 1, pages: view.pages })}</span>
          <button type="button" onClick={() => setPage(view.page + 1)} disabled={view.page + 1 >= view.pages}>
            {at("au.history.next")}
          </button>
        </nav>
      )}
    </section>
  );
}
