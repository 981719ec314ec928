// Platform health at a glance: the anchoring backlog and lag, failed consent relays and failing
// webhooks now (each with a word for its state, not colour alone), then the last 24 hours as
// small charts with the same numbers as a table. Read from GET /v1/admin/health, refreshed
// every minute while the page is open.
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { api, call, type Schemas } from "../api/client";
import { formatDate, useLang } from "../i18n";
import { Page } from "../Layout";
import { Alert } from "../ui";
import { HourChart } from "./HourChart";
import { formatDuration, useOT, useOperatorError, type OKey } from "./strings";

type PlatformHealth = Schemas["PlatformHealth"];

const REFRESH_MS = 60_000;
/** A lag above this (an item waiting longer) needs the operator's attention. */
const LAG_ATTENTION_SECS = 15 * 60;

export function Health() {
  const ot = useOT();
  const { lang } = useLang();
  const describe = useOperatorError();
  const [health, setHealth] = useState<PlatformHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    setBusy(true);
    try {
      setHealth(await call(() => api.GET("/v1/admin/health")));
      setError(null);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }, [describe]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const hourLabel = (iso: string) =>
    new Intl.DateTimeFormat(lang === "hi" ? "hi-IN" : "en-IN", { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
  const count = (v: number) => new Intl.NumberFormat(lang === "hi" ? "hi-IN" : "en-IN").format(v);
  const duration = (v: number) => formatDuration(ot, Math.round(v));

  return (
    <Page
      title={ot("op.health.title")}
      actions={
        <button type="button" onClick={() => void load()} disabled={busy}>
          {ot("op.health.refresh")}
        </button>
      }
    >
      <p>{ot("op.health.intro")}</p>
      {error && <Alert>{error}</Alert>}
      {!health && !error && <p>{ot("op.health.loading")}</p>}
      {health && (
        <>
          <p className="muted" aria-live="polite">
            {ot("op.health.readAt", { time: formatDate(lang, health.generated_at, true) })}
          </p>
          <ul className="plain health-tiles">
            <Tile
              title={ot("op.health.backlog")}
              value={count(health.anchoring.backlog)}
              ok={health.anchoring.backlog === 0 || (health.anchoring.oldest_unanchored_secs ?? 0) < LAG_ATTENTION_SECS}
              detail={ot("op.health.backlog.detail", { count: count(health.anchoring.unanchored) })}
            />
            <Tile
              title={ot("op.health.lag")}
              value={
                health.anchoring.oldest_unanchored_secs === null || health.anchoring.oldest_unanchored_secs === undefined
                  ? ot("op.health.lag.none")
                  : duration(health.anchoring.oldest_unanchored_secs)
              }
              ok={(health.anchoring.oldest_unanchored_secs ?? 0) < LAG_ATTENTION_SECS}
              detail={ot("op.health.lag.detail")}
              words
            />
            <Tile
              words
              title={ot("op.health.lastAnchor")}
              value={health.anchoring.last_confirmed_at ? formatDate(lang, health.anchoring.last_confirmed_at, true) : ot("op.health.lastAnchor.none")}
              detail={
                health.anchoring.last_confirmed_block != null
                  ? ot("op.health.lastAnchor.detail", { block: health.anchoring.last_confirmed_block })
                  : ""
              }
            />
            <Tile
              title={ot("op.health.relay")}
              value={count(health.relay.failed_24h)}
              ok={health.relay.failed_24h === 0}
              detail={ot("op.health.relay.detail", {
                open: count(health.relay.open),
                setAside: count(health.relay.set_aside),
                total: count(health.relay.failed_total),
              })}
            />
            <Tile
              title={ot("op.health.webhooks")}
              value={count(health.webhooks.failing_hospitals)}
              ok={health.webhooks.failing_hospitals === 0}
              detail={ot("op.health.webhooks.detail", {
                failed: count(health.webhooks.failed_24h),
                pending: count(health.webhooks.pending),
              })}
            />
          </ul>
          <h2>{ot("op.health.charts")}</h2>
          <div className="chart-grid-layout">
            <Chart health={health} title="op.health.chart.backlog" kind="line" pick={(h) => h.backlog} format={count} hourLabel={hourLabel} />
            <Chart
              health={health}
              title="op.health.chart.lag"
              kind="bars"
              pick={(h) => h.max_lag_secs ?? null}
              format={duration}
              hourLabel={hourLabel}
            />
            <Chart health={health} title="op.health.chart.relay" kind="bars" pick={(h) => h.relay_failed} format={count} hourLabel={hourLabel} />
            <Chart
              health={health}
              title="op.health.chart.webhooks"
              kind="bars"
              pick={(h) => h.webhook_failed_attempts}
              format={count}
              hourLabel={hourLabel}
            />
          </div>
          <details className="card">
            <summary>{ot("op.health.table")}</summary>
            {/* Scrolls sideways on a phone; focusable so the keyboard can scroll it too. */}
            <div className="table-scroll" tabIndex={0} role="region" aria-label={ot("op.health.table")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{ot("op.health.table.hour")}</th>
                    <th scope="col">{ot("op.health.table.anchored")}</th>
                    <th scope="col">{ot("op.health.table.backlog")}</th>
                    <th scope="col">{ot("op.health.table.lag")}</th>
                    <th scope="col">{ot("op.health.table.relay")}</th>
                    <th scope="col">{ot("op.health.table.webhooks")}</th>
                  </tr>
                </thead>
                <tbody>
                  {health.hours.map((h) => (
                    <tr key={h.start}>
                      <th scope="row">{hourLabel(h.start)}</th>
                      <td>{count(h.anchored)}</td>
                      <td>{count(h.backlog)}</td>
                      <td>{h.max_lag_secs == null ? "–" : duration(h.max_lag_secs)}</td>
                      <td>{count(h.relay_failed)}</td>
                      <td>{count(h.webhook_failed_attempts)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </Page>
  );
}

/** A number now, with its state in words when it has one. */
function Tile({ title, value, ok, detail, words }: { title: string; value: string; ok?: boolean; detail: ReactNode; words?: boolean }) {
  const ot = useOT();
  return (
    <li className="card health-tile">
      <h2 className="tile-title">{title}</h2>
      <p className={words ? "tile-value words" : "tile-value"}>
        <span>{value}</span>
        {ok !== undefined && (
          <span className={`badge ${ok ? "badge-ok" : "badge-err"}`}>{ok ? ot("op.health.ok") : ot("op.health.attention")}</span>
        )}
      </p>
      {detail && <p className="muted">{detail}</p>}
    </li>
  );
}

type Hour = PlatformHealth["hours"][number];

function Chart({
  health,
  title,
  kind,
  pick,
  format,
  hourLabel,
}: {
  health: PlatformHealth;
  title: OKey;
  kind: "line" | "bars";
  pick: (h: Hour) => number | null;
  format: (v: number) => string;
  hourLabel: (iso: string) => string;
}) {
  const ot = useOT();
  const values = health.hours.map(pick);
  const known = values.filter((v): v is number => v !== null);
  const summary = ot("op.health.chart.summary", {
    title: ot(title),
    min: format(known.length ? Math.min(...known) : 0),
    max: format(known.length ? Math.max(...known) : 0),
    now: format(values[values.length - 1] ?? 0),
  });
  return (
    <figure className="card chart-card">
      <figcaption>{ot(title)}</figcaption>
      <HourChart starts={health.hours.map((h) => h.start)} values={values} kind={kind} label={summary} format={format} hourLabel={hourLabel} />
    </figure>
  );
}
