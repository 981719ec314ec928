// A patient's health records as the hospital may see them: the patient's own records views (lab
// trends, medicines, immunizations, allergies, conditions, the timeline) over the FHIR documents
// this hospital can open — its own uploads and those a grant in force opened to it — decrypted
// in this browser with the hospital's key. Read only when asked: every document read is an
// entry in the patient's access history, so opening the patient's page reads nothing.
import { useEffect, useMemo, useRef, useState } from "react";
import type { DocumentView } from "../lib/documents";
import { collect, type ReadDocument } from "../lib/records";
import { MAX_RECORD_BYTES, RecordsView, readRecord } from "../pages/records/Records";
import { useUnlocked } from "../state/hooks";
import { Alert, Progress } from "../ui";
import { useHT, useHospitalError } from "./strings";

const hospitalDocPath = (id: string) => `/hospital/documents/${id}`;

type State = { kind: "idle" } | { kind: "reading"; done: number; total: number } | { kind: "done" } | { kind: "failed"; error: string };

export function HospitalRecords({ docs }: { docs: DocumentView[] }) {
  const ht = useHT();
  const describe = useHospitalError();
  const unlocked = useUnlocked();
  const [state, setState] = useState<State>({ kind: "idle" });
  const [read, setRead] = useState<ReadDocument[]>([]);
  const [skipped, setSkipped] = useState(0);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  const readable = docs.filter((d) => d.my_stanza && !d.deleted_at && d.plaintext_size <= MAX_RECORD_BYTES);
  const data = useMemo(() => collect(read), [read]);

  async function start() {
    if (!unlocked) return;
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    const out: ReadDocument[] = [];
    let notRecords = 0;
    setState({ kind: "reading", done: 0, total: readable.length });
    try {
      for (const [i, d] of readable.entries()) {
        const r = await readRecord(d, unlocked.key, ctl.signal);
        if (r) out.push(r);
        else notRecords++;
        setState({ kind: "reading", done: i + 1, total: readable.length });
      }
      setRead(out);
      setSkipped(notRecords);
      setState({ kind: "done" });
    } catch (e) {
      if (!ctl.signal.aborted) setState({ kind: "failed", error: describe(e) });
    }
  }

  return (
    <section className="card" aria-labelledby="h-records-title">
      <h2 id="h-records-title">{ht("h.pat.records.title")}</h2>
      <p className="muted">{ht("h.pat.records.lead")}</p>
      {state.kind !== "reading" && (
        <button type="button" onClick={() => void start()} disabled={readable.length === 0}>
          {state.kind === "done" ? ht("h.pat.records.again") : ht("h.pat.records.read", { n: readable.length })}
        </button>
      )}
      {state.kind === "reading" && (
        <div aria-live="polite">
          <p>{ht("h.pat.records.reading", { done: state.done, total: state.total })}</p>
          <Progress value={state.done} max={state.total} label={ht("h.pat.records.title")} />
        </div>
      )}
      {state.kind === "failed" && <Alert>{state.error}</Alert>}
      {state.kind === "done" && read.length === 0 && <p>{ht("h.pat.records.none")}</p>}
      {state.kind === "done" && skipped > 0 && <p className="muted">{ht("h.pat.records.skipped", { n: skipped })}</p>}
      {read.length > 0 && <RecordsView data={data} docPath={hospitalDocPath} />}
    </section>
  );
}
