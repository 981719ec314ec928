// Webhook settings and the delivery log (docs/webhooks.md): the endpoint Pramana POSTs consent
// events to, set or removed here; setting it returns a new signing secret, shown once. Below,
// each event with its delivery state and every attempt's outcome, newest first, a page at a time.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { ApiError, api, call, type Schemas } from "../api/client";
import { Page } from "../Layout";
import { formatDate, useLang } from "../i18n";
import { Alert, Field } from "../ui";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { useHT, useHospitalError, type HT } from "./strings";

type Endpoint = Schemas["WebhookView"];
type Delivery = Schemas["DeliveryView"];
type Attempt = Schemas["AttemptView"];

const PAGE = 20;
const STATE_BADGE: Record<string, string> = { delivered: "ok", pending: "warn", failed: "err", cancelled: "err" };

export function Webhooks() {
  const ht = useHT();
  return (
    <Page title={ht("h.hook.title")}>
      <p className="muted">{ht("h.hook.intro")}</p>
      <EndpointSettings />
      <DeliveryLog />
    </Page>
  );
}

function EndpointSettings() {
  const ht = useHT();
  const { lang } = useLang();
  const describe = useHospitalError();
  // undefined: loading; null: none set.
  const [endpoint, setEndpoint] = useState<Endpoint | null | undefined>(undefined);
  const [url, setUrl] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [removed, setRemoved] = useState(false);

  useEffect(() => {
    let live = true;
    call(() => api.GET("/v1/hospitals/me/webhook"))
      .then((e) => {
        if (!live) return;
        setEndpoint(e);
        setUrl(e.url);
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setEndpoint(null);
        else setError(describe(e));
      });
    return () => {
      live = false;
    };
  }, [describe]);

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setRemoved(false);
    setBusy(true);
    try {
      const created = await call(() => api.PUT("/v1/hospitals/me/webhook", { body: { url: url.trim() } }));
      setEndpoint({ url: created.url, created_at: created.created_at, updated_at: created.updated_at });
      setSecret(created.secret);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setError(null);
    setBusy(true);
    try {
      await call(() => api.DELETE("/v1/hospitals/me/webhook"));
      setEndpoint(null);
      setUrl("");
      setRemoved(true);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  if (secret) {
    return (
      <OneTimeSecret
        title={ht("h.hook.secret.title")}
        label={ht("h.hook.secret.label")}
        secret={secret}
        warning={ht("h.hook.secret.warning")}
        onDone={() => setSecret(null)}
      />
    );
  }
  return (
    <section className="card" aria-labelledby="endpoint-title">
      <h2 id="endpoint-title">{ht("h.hook.endpoint")}</h2>
      {removed && <Alert kind="ok">{ht("h.hook.removed")}</Alert>}
      {error && <Alert>{error}</Alert>}
      {endpoint === null && <p>{ht("h.hook.none")}</p>}
      {endpoint && <p>{ht("h.hook.current", { url: endpoint.url, when: formatDate(lang, endpoint.updated_at, true) })}</p>}
      <form onSubmit={(e) => void save(e)} noValidate>
        <Field
          label={ht("h.hook.url")}
          hint={ht("h.hook.url.hint")}
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          required
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !url.trim()}>
            {ht("h.hook.save")}
          </button>
          {endpoint && (
            <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
              {ht("h.hook.remove")}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function DeliveryLog() {
  const ht = useHT();
  const { lang, t } = useLang();
  const describe = useHospitalError();
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (before?: string) => {
      try {
        const page = await call(() =>
          api.GET("/v1/hospitals/me/webhook/deliveries", { params: { query: { limit: PAGE, ...(before ? { before } : {}) } } }),
        );
        setRows((old) => (before ? [...(old ?? []), ...page] : page));
        setMore(page.length === PAGE);
        setError(null);
      } catch (e) {
        setError(describe(e));
      }
    },
    [describe],
  );
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="card" aria-labelledby="log-title">
      <h2 id="log-title">{ht("h.hook.log.title")}</h2>
      {error && <Alert>{error}</Alert>}
      {rows === null && !error && <p>{t("app.loading")}</p>}
      {rows?.length === 0 && <p>{ht("h.hook.log.none")}</p>}
      {rows && rows.length > 0 && (
        <ul className="list" aria-label={ht("h.hook.log.title")}>
          {rows.map((d) => (
            <li key={d.event_id}>
              <div className="row-head">
                <strong className="mono">{d.event_type}</strong>
                <span className={`badge badge-${STATE_BADGE[d.state] ?? "warn"}`}>{stateLabel(ht, d.state)}</span>
              </div>
              <p className="muted">
                {formatDate(lang, d.created_at, true)} · {ht("h.hook.log.consent", { id: d.consent_id.slice(0, 8) })}
                {d.state === "pending" && d.next_attempt_at ? ` · ${ht("h.hook.log.next", { when: formatDate(lang, d.next_attempt_at, true) })}` : ""}
              </p>
              {d.attempt_log.length > 0 && (
                <details>
                  <summary>
                    {ht("h.hook.log.attempts")}: {d.attempts}
                  </summary>
                  <ol>
                    {d.attempt_log.map((a) => (
                      <li key={a.attempt}>
                        {ht("h.hook.attempt", { n: a.attempt, when: formatDate(lang, a.started_at, true), outcome: outcomeLabel(ht, a) })}
                      </li>
                    ))}
                  </ol>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
      {more && rows && (
        <button type="button" onClick={() => void load(rows.at(-1)?.event_id)}>
          {ht("h.hook.log.more")}
        </button>
      )}
    </section>
  );
}

function stateLabel(ht: HT, s: string): string {
  return s in STATE_BADGE ? ht(`h.hook.state.${s}` as Parameters<HT>[0]) : s;
}

const OUTCOMES = ["delivered", "http_error", "timeout", "connect_failed", "refused_address", "no_endpoint"];

function outcomeLabel(ht: HT, a: Attempt): string {
  if (!a.outcome) return ht("h.hook.outcome.unfinished");
  if (!OUTCOMES.includes(a.outcome)) return a.outcome;
  return ht(`h.hook.outcome.${a.outcome}` as Parameters<HT>[0], { code: a.status_code ?? "" });
}
