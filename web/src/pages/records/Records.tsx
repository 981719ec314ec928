// The records page: the patient's FHIR documents decrypted on this device and read as health
// records — lab results by test with a trend each, medicines, immunizations, allergies,
// conditions and one timeline of care across hospitals. Nothing read here leaves the page;
// documents that are not FHIR bundles, fail the checks or are large are left out.
import { memo, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { api, call } from "../../api/client";
import { useLang, useT, type Key } from "../../i18n";
import { formatDay } from "../../lib/dates";
import { Cancelled, downloadAndOpen, type DocumentView } from "../../lib/documents";
import { collect, recordOf, type ReadDocument, type Records as RecordsData, type Series } from "../../lib/records";
import { Page } from "../../Layout";
import { useSession, useUnlocked } from "../../state/hooks";
import { cryptoClient } from "../../state/keys";
import { recordIndex, type Goal, type RecordIndex, type Reminder, type Settings } from "../../lib/recordIndex";
import { notificationsAllowed, scheduler, type Scheduler } from "../../lib/reminders";
import { onUnlockedChange } from "../../state/keys";
import { Alert, ErrorAlert, Field, Progress, Select } from "../../ui";
import { AddEntry } from "./AddEntry";
import { TrendChart } from "./TrendChart";

/** Documents above this are not decrypted here (a FHIR bundle of a visit is tens of KB). */
export const MAX_RECORD_BYTES = 2 << 20;

// Medicine reminders run while the portal is open and the keys unlocked (lib/reminders.ts).
let reminders: Scheduler | null = null;
let reminderText = (medicine: string) => medicine;
onUnlockedChange((u) => {
  if (!u) reminders?.stop();
});
function keepReminders(list: Reminder[], text: (medicine: string) => string): void {
  reminderText = text;
  reminders ??= scheduler((r) => {
    if (typeof Notification !== "undefined" && Notification.permission === "granted") new Notification(reminderText(r.medicine));
  });
  reminders.set(list);
}

const NO_SETTINGS: Settings = { goals: [], reminders: [] };

type Reading =
  | { kind: "listing" }
  | { kind: "reading"; done: number; total: number }
  | { kind: "stopped"; done: number; total: number }
  | { kind: "done" }
  | { kind: "failed"; error: unknown };

/**
 * Lists the documents and reads them through the local encrypted index (lib/recordIndex.ts):
 * what it holds shows at once, and only documents not yet indexed are decrypted, one by one;
 * cancellable. Locked, the page shows nothing read.
 */
function useRecords() {
  const unlocked = useUnlocked();
  const session = useSession();
  const [reading, setReading] = useState<Reading>({ kind: "listing" });
  const [read, setRead] = useState<ReadDocument[]>([]);
  const [skipped, setSkipped] = useState(0);
  const [fromIndex, setFromIndex] = useState(0);
  const [settings, setSettings] = useState<Settings>(NO_SETTINGS);
  const indexRef = useRef<RecordIndex | null>(null);
  const abort = useRef<AbortController | null>(null);
  const t = useT();
  const subject = session?.subjectId;

  const start = useCallback(async () => {
    abort.current?.abort();
    setRead([]);
    setSkipped(0);
    setFromIndex(0);
    setSettings(NO_SETTINGS);
    indexRef.current = null;
    if (!unlocked || !subject) return;
    const ctl = new AbortController();
    abort.current = ctl;
    setReading({ kind: "listing" });
    // A run replaced by a newer one (or left behind by leaving the page) stops without a word.
    const stale = () => abort.current !== ctl;
    let docs: DocumentView[];
    let index: RecordIndex;
    try {
      [docs, index] = await Promise.all([
        call(() => api.GET("/v1/documents")),
        recordIndex(subject, unlocked.key, (h, scope) => cryptoClient().indexKey(h, scope)),
      ]);
    } catch (e) {
      if (!stale()) setReading({ kind: "failed", error: e });
      return;
    }
    if (stale()) return;
    indexRef.current = index;
    void index.settings().then((s) => {
      if (stale()) return;
      setSettings(s);
      keepReminders(s.reminders, (m) => t("records.reminder.notification", { medicine: m }));
    });
    let fresh: ReadDocument[] = [];
    let freshSkipped = 0;
    let drawn = 0;
    try {
      const result = await index.sync(docs, {
        maxBytes: MAX_RECORD_BYTES,
        read: (doc, signal) => readRecord(doc, unlocked.key, signal ?? ctl.signal),
        signal: ctl.signal,
        onIndexed: (records, n) => {
          if (stale()) return;
          setRead(records);
          setFromIndex(records.length);
          setSkipped(n);
        },
        onRead: (record, done, total) => {
          if (stale()) return;
          // Drawn a few times a second, not per document: redrawing every chart for each of
          // hundreds of documents would cost more than reading them.
          if (record) fresh.push(record);
          else freshSkipped++;
          const now = performance.now();
          if (now - drawn < 400 && done < total) return;
          drawn = now;
          const [records, n] = [fresh, freshSkipped];
          fresh = [];
          freshSkipped = 0;
          setRead((list) => [...list, ...records]);
          setSkipped((s) => s + n);
          setReading({ kind: "reading", done, total });
        },
      });
      if (stale()) return;
      // The listing's order, as the index returns it (unchanged when nothing new was read).
      if (result.decrypted > 0) setRead(result.records);
      setSkipped(result.skipped);
      setReading(result.stopped ? { kind: "stopped", done: result.decrypted, total: result.pending } : { kind: "done" });
    } catch (e) {
      if (!stale()) setReading(ctl.signal.aborted || e instanceof Cancelled ? { kind: "stopped", done: 0, total: docs.length } : { kind: "failed", error: e });
    }
  }, [unlocked, subject, t]);

  useEffect(() => {
    void start();
    return () => {
      abort.current?.abort();
      abort.current = null;
    };
  }, [start]);

  const save = useCallback(
    async (next: Settings) => {
      const index = indexRef.current;
      if (!index) return;
      await index.saveSettings(next);
      setSettings(next);
      keepReminders(next.reminders, (m) => t("records.reminder.notification", { medicine: m }));
    },
    [t],
  );

  return { reading, read, skipped, fromIndex, settings, save, start, cancel: () => abort.current?.abort() };
}

/** The document as a record, or null when it is not a FHIR document bundle that passes the checks. */
export async function readRecord(doc: DocumentView, key: string, signal: AbortSignal): Promise<ReadDocument | null> {
  const plain = await downloadAndOpen(doc, key, () => {}, signal);
  return recordOf(await plain.text(), doc);
}

export function Records() {
  const t = useT();
  const { reading, read, skipped, fromIndex, settings, save, start, cancel } = useRecords();
  const data = useMemo(() => collect(read), [read]);
  const busy = reading.kind === "listing" || reading.kind === "reading";
  return (
    <Page title={t("records.title")}>
      <p className="muted">{t("records.lead")}</p>
      <AddEntry onSaved={() => void start()} />
      {reading.kind === "listing" && <p>{t("app.loading")}</p>}
      {fromIndex > 0 && (
        <p className="muted" data-testid="records-indexed">
          {t("records.indexed", { n: fromIndex })}
        </p>
      )}
      {reading.kind === "reading" && (
        <div className="card" aria-live="polite">
          <p>{t("records.reading", { done: reading.done, total: reading.total })}</p>
          <Progress value={reading.done} max={reading.total} label={t("records.reading.label")} />
          <div className="actions">
            <button type="button" onClick={cancel}>
              {t("action.cancel")}
            </button>
          </div>
        </div>
      )}
      {reading.kind === "stopped" && (
        <Alert kind="info">
          {t("records.stopped", { done: reading.done, total: reading.total })}{" "}
          <button type="button" onClick={() => void start()}>
            {t("records.read_again")}
          </button>
        </Alert>
      )}
      {reading.kind === "failed" && <ErrorAlert error={reading.error} />}
      {!busy && read.length === 0 && reading.kind !== "failed" && <p className="muted">{t("records.empty")}</p>}
      {skipped > 0 && !busy && <p className="muted">{t("records.skipped", { n: skipped })}</p>}
      <div aria-busy={busy} data-records-state={reading.kind}>
        {read.length > 0 && <RecordsView data={data} settings={settings} onSave={save} />}
      </div>
    </Page>
  );
}

export const RecordsView = memo(function RecordsView({
  data,
  settings,
  onSave,
  docPath = (id) => `/documents/${id}`,
}: {
  data: RecordsData;
  settings?: Settings;
  onSave?: (s: Settings) => Promise<void>;
  /** Where a timeline entry's document opens (the hospital portal's own document page there). */
  docPath?: (id: string) => string;
}) {
  const t = useT();
  const goals = settings?.goals ?? [];
  const onGoal = onSave
    ? (code: string, goal: Goal | null) => onSave({ ...(settings ?? NO_SETTINGS), goals: [...goals.filter((g) => g.code !== code), ...(goal ? [goal] : [])] })
    : undefined;
  return (
    <>
      <nav className="card records-toc" aria-label={t("records.sections")}>
        <a href="#labs">{t("records.labs.title")}</a>
        <a href="#medications">{t("records.meds.title")}</a>
        <a href="#immunizations">{t("records.imm.title")}</a>
        <a href="#allergies">{t("records.allergies.title")}</a>
        <a href="#conditions">{t("records.conditions.title")}</a>
        <a href="#timeline">{t("records.timeline.title")}</a>
      </nav>
      <Section id="labs" title={t("records.labs.title")} empty={data.labs.length === 0 && data.vitals.length === 0}>
        <div className="test-grid">
          {data.labs.map((s) => (
            <TestCard key={`${s.code}|${s.unit}`} series={s} goal={goals.find((g) => g.code === s.code)} onGoal={onGoal} />
          ))}
        </div>
        {data.vitals.length > 0 && <h3>{t("records.vitals.title")}</h3>}
        <div className="test-grid">
          {data.vitals.map((s) => (
            <TestCard key={`${s.code}|${s.unit}`} series={s} goal={goals.find((g) => g.code === s.code)} onGoal={onGoal} />
          ))}
        </div>
      </Section>
      <Medications data={data} settings={settings} onSave={onSave} />
      <Immunizations data={data} />
      <Allergies data={data} />
      <Conditions data={data} />
      <Timeline data={data} docPath={docPath} />
    </>
  );
});

function Section({ id, title, empty, children }: { id: string; title: string; empty: boolean; children: ReactNode }) {
  const t = useT();
  return (
    <section aria-labelledby={`${id}-title`} id={id} className="records-section">
      <h2 id={`${id}-title`}>{title}</h2>
      {empty ? <p className="muted">{t("records.none")}</p> : children}
    </section>
  );
}

const flagKey = { high: "records.flag.high", low: "records.flag.low", abnormal: "records.flag.abnormal" } as const satisfies Record<string, Key>;

function rangeText(t: ReturnType<typeof useT>, s: { low?: number; high?: number; unit: string }): string | null {
  if (s.low !== undefined && s.high !== undefined) return t("records.range", { low: s.low, high: s.high, unit: s.unit });
  if (s.high !== undefined) return t("records.range.below", { high: s.high, unit: s.unit });
  if (s.low !== undefined) return t("records.range.above", { low: s.low, unit: s.unit });
  return null;
}

/** One test: latest value, the trend, the reference range in words, and every value in a table. */
function TestCard({ series, goal, onGoal }: { series: Series; goal?: Goal; onGoal?: (code: string, goal: Goal | null) => Promise<void> }) {
  const { t, lang } = useLang();
  // The table of every value is drawn only when opened: hundreds of rows per test otherwise.
  const [showValues, setShowValues] = useState(false);
  const latest = series.points[series.points.length - 1]!;
  const range = rangeText(t, series);
  const id = `test-${series.code.replace(/[^A-Za-z0-9]/g, "-")}`;
  const flagged = series.points.filter((p) => p.flag).length;
  const label = t("records.chart.label", {
    name: series.name,
    n: series.points.length,
    value: `${latest.value} ${series.unit}`,
    date: formatDay(lang, latest.date),
  });
  return (
    <article className="card test-card" aria-labelledby={`${id}-name`} data-testid={`test-${series.code}`}>
      <div className="row-head">
        <h3 id={`${id}-name`} className="test-name">
          {series.name}
        </h3>
        <span className="muted">LOINC {series.code.startsWith("text:") ? "—" : series.code}</span>
      </div>
      <p className="test-latest">
        <strong>
          {latest.value} {series.unit}
        </strong>{" "}
        <span className="muted">{formatDay(lang, latest.date)}</span>{" "}
        {latest.flag && <span className="badge badge-err">{t(flagKey[latest.flag])}</span>}
      </p>
      {series.points.length > 1 && <TrendChart series={series} label={label} goal={goal} />}
      {goal && (
        <p data-testid={`goal-${series.code}`}>
          {t(goal.direction === "below" ? "records.goal.text.below" : "records.goal.text.above", { target: goal.target, unit: series.unit })}{" "}
          {meets(goal, latest.value) ? t("records.goal.met") : t("records.goal.not_met")}
        </p>
      )}
      {onGoal && <GoalForm series={series} goal={goal} onGoal={onGoal} />}
      <p className="muted">
        {range ? t("records.chart.band", { range }) + " " : ""}
        {t(range || flagged ? "records.chart.count" : "records.chart.count_only", { n: series.points.length, flagged })}
      </p>
      <details onToggle={(e) => setShowValues(e.currentTarget.open)}>
        <summary>{t("records.values", { n: series.points.length })}</summary>
        {showValues && (
        <table>
          <caption className="visually-hidden">{series.name}</caption>
          <thead>
            <tr>
              <th scope="col">{t("records.col.date")}</th>
              <th scope="col">{t("records.col.value")}</th>
              <th scope="col">{t("records.col.flag")}</th>
            </tr>
          </thead>
          <tbody>
            {[...series.points].reverse().map((p, i) => (
              <tr key={i}>
                <td>
                  <Link to={`/documents/${p.docId}`}>{formatDay(lang, p.date)}</Link>
                </td>
                <td>
                  {p.value} {series.unit}
                  {p.raw !== `${p.value} ${series.unit}` && <span className="muted"> ({p.raw})</span>}
                </td>
                <td>{p.flag ? <strong className="flag">{t(flagKey[p.flag])}</strong> : t("records.flag.none")}</td>
              </tr>
            ))}
          </tbody>
        </table>
        )}
      </details>
    </article>
  );
}

const meets = (g: Goal, v: number) => (g.direction === "below" ? v < g.target : v > g.target);

/** Set, change or remove a goal for one test (kept encrypted in this device's index). */
function GoalForm({ series, goal, onGoal }: { series: Series; goal?: Goal; onGoal: (code: string, goal: Goal | null) => Promise<void> }) {
  const t = useT();
  const [direction, setDirection] = useState<Goal["direction"]>(goal?.direction ?? (series.high !== undefined ? "below" : "above"));
  const [target, setTarget] = useState(goal ? String(goal.target) : "");
  const [error, setError] = useState<unknown>(null);
  const value = Number(target);
  const valid = target.trim() !== "" && Number.isFinite(value);
  return (
    <details>
      <summary>{t(goal ? "records.goal.change" : "records.goal.set")}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!valid) return;
          setError(null);
          onGoal(series.code, { code: series.code, target: value, direction }).catch(setError);
        }}
      >
        <Select label={t("records.goal.direction")} value={direction} onChange={(e) => setDirection(e.target.value === "above" ? "above" : "below")}>
          <option value="below">{t("records.goal.below")}</option>
          <option value="above">{t("records.goal.above")}</option>
        </Select>
        <Field label={t("records.goal.value", { unit: series.unit })} inputMode="decimal" value={target} onChange={(e) => setTarget(e.target.value)} />
        <p className="muted">{t("records.goal.local")}</p>
        <ErrorAlert error={error} />
        <div className="actions">
          <button type="submit" disabled={!valid}>
            {t("records.goal.save")}
          </button>
          {goal && (
            <button type="button" className="quiet" onClick={() => onGoal(series.code, null).catch(setError)}>
              {t("records.goal.remove")}
            </button>
          )}
        </div>
      </form>
    </details>
  );
}

/** Daily reminders for one current medicine, through the browser's notifications. */
function MedicineReminders({ medicine, settings, onSave }: { medicine: string; settings: Settings; onSave: (s: Settings) => Promise<void> }) {
  const t = useT();
  const [time, setTime] = useState("08:00");
  const [problem, setProblem] = useState<string | null>(null);
  const mine = settings.reminders.filter((r) => r.medicine === medicine);
  return (
    <details>
      <summary>{t("records.reminder.summary", { n: mine.length })}</summary>
      {mine.length > 0 && (
        <ul className="list" aria-label={t("records.reminder.list", { medicine })}>
          {mine.map((r) => (
            <li key={r.time}>
              {t("records.reminder.at", { time: r.time })}{" "}
              <button
                type="button"
                className="quiet"
                onClick={() => void onSave({ ...settings, reminders: settings.reminders.filter((x) => x !== r) })}
              >
                {t("records.reminder.remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setProblem(null);
          if (!(await notificationsAllowed())) return setProblem(t("records.reminder.blocked"));
          if (mine.some((r) => r.time === time)) return;
          await onSave({ ...settings, reminders: [...settings.reminders, { medicine, time }] });
        }}
      >
        <Field label={t("records.reminder.time")} type="time" value={time} onChange={(e) => setTime(e.target.value)} required />
        <p className="muted">{t("records.reminder.explain")}</p>
        {problem && <Alert kind="warn">{problem}</Alert>}
        <div className="actions">
          <button type="submit">{t("records.reminder.add")}</button>
        </div>
      </form>
    </details>
  );
}

function Medications({ data, settings, onSave }: { data: RecordsData; settings?: Settings; onSave?: (s: Settings) => Promise<void> }) {
  const { t, lang } = useLang();
  const row = (current: boolean) => (m: RecordsData["currentMedications"][number], i: number) => (
    <li key={i}>
      <strong>{m.name}</strong>
      {m.dosage && <p>{m.dosage}</p>}
      <p className="muted">
        {m.date
          ? t(m.kind === "request" ? "records.meds.prescribed" : "records.recorded", { date: formatDay(lang, m.date.slice(0, 10)) }) + " · "
          : ""}
        {statusText(t, m.status)}
      </p>
      {current && settings && onSave && <MedicineReminders medicine={m.name} settings={settings} onSave={onSave} />}
    </li>
  );
  return (
    <Section id="medications" title={t("records.meds.title")} empty={data.currentMedications.length + data.pastMedications.length === 0}>
      <h3>{t("records.meds.current")}</h3>
      {data.currentMedications.length === 0 ? (
        <p className="muted">{t("records.none")}</p>
      ) : (
        <ul className="list" aria-label={t("records.meds.current")}>
          {data.currentMedications.map(row(true))}
        </ul>
      )}
      {data.pastMedications.length > 0 && (
        <details>
          <summary>{t("records.meds.past", { n: data.pastMedications.length })}</summary>
          <ul className="list" aria-label={t("records.meds.past", { n: data.pastMedications.length })}>
            {data.pastMedications.map(row(false))}
          </ul>
        </details>
      )}
    </Section>
  );
}

const STATUS: Record<string, Key> = {
  active: "records.status.active",
  completed: "records.status.completed",
  stopped: "records.status.stopped",
  "on-hold": "records.status.on_hold",
  cancelled: "records.status.stopped",
  resolved: "records.status.resolved",
  inactive: "records.status.inactive",
};

function statusText(t: ReturnType<typeof useT>, status: string | undefined): string {
  const key = status ? STATUS[status] : undefined;
  return key ? t(key) : status ?? "";
}

function Immunizations({ data }: { data: RecordsData }) {
  const { t, lang } = useLang();
  return (
    <Section id="immunizations" title={t("records.imm.title")} empty={data.immunizations.length === 0}>
      <ul className="list">
        {data.immunizations.map((v, i) => (
          <li key={i}>
            <strong>{v.vaccine}</strong>
            <p className="muted">
              {v.date ? formatDay(lang, v.date.slice(0, 10)) : ""}
              {v.lot ? ` · ${t("records.imm.lot", { lot: v.lot })}` : ""}
            </p>
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Allergies({ data }: { data: RecordsData }) {
  const { t, lang } = useLang();
  return (
    <Section id="allergies" title={t("records.allergies.title")} empty={data.allergies.length === 0}>
      <ul className="list">
        {data.allergies.map((a, i) => (
          <li key={i}>
            <strong>{a.substance}</strong>{" "}
            {a.criticality === "high" && <span className="badge badge-err">{t("records.allergies.high")}</span>}
            {a.date && <p className="muted">{t("records.recorded", { date: formatDay(lang, a.date.slice(0, 10)) })}</p>}
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Conditions({ data }: { data: RecordsData }) {
  const { t, lang } = useLang();
  return (
    <Section id="conditions" title={t("records.conditions.title")} empty={data.conditions.length === 0}>
      <ul className="list">
        {data.conditions.map((c, i) => (
          <li key={i}>
            <strong>{c.name}</strong>
            <p className="muted">
              {statusText(t, c.status)}
              {c.date ? ` · ${t("records.recorded", { date: formatDay(lang, c.date.slice(0, 10)) })}` : ""}
            </p>
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Timeline({ data, docPath }: { data: RecordsData; docPath: (id: string) => string }) {
  const { t, lang } = useLang();
  return (
    <Section id="timeline" title={t("records.timeline.title")} empty={data.timeline.length === 0}>
      <ol className="list timeline" aria-label={t("records.timeline.title")}>
        {data.timeline.map((e) => (
          <li key={e.docId}>
            <div className="row-head">
              <Link to={docPath(e.docId)}>{e.title ?? t(`hi.${e.hiType}` as Key)}</Link>
              <time dateTime={e.date} className="muted">
                {formatDay(lang, e.date)}
              </time>
            </div>
            <p className="muted">
              {t(`hi.${e.hiType}` as Key)}
              {e.hospital ? ` · ${e.hospital}` : ""}
            </p>
          </li>
        ))}
      </ol>
    </Section>
  );
}
