// Adding documents: the type and care date first, then files from the picker or dropped on the
// zone. Each file is encrypted in this browser (the crypto worker) to the patient's own key and
// to the hospitals whose active grant covers it, then uploaded; one at a time, each with its
// progress and a Cancel that leaves nothing on the server. A JSON file that is a FHIR Bundle is
// checked first against its HI type's profile; one that fails is stored only if the patient
// chooses to keep it as a plain document.
import { useEffect, useRef, useState, type DragEvent } from "react";
import { Link } from "react-router";
import { formatBytes, useT } from "../../i18n";
import { Cancelled, HI_TYPES, sealAndUpload, type HiType, type IntoRecord, type UploadProgress } from "../../lib/documents";
import type { Issue } from "../../lib/fhir";
import { useUnlocked } from "../../state/hooks";
import { Alert, Field, Progress, Select, errorText } from "../../ui";

interface Item {
  key: number;
  file: File;
  hiType: string;
  careDate: string;
  state: "checking" | "invalid" | "waiting" | "working" | "done" | "failed" | "cancelled";
  /** The FHIR checks' findings: empty when the file is a valid record, absent when not FHIR. */
  issues?: Issue[];
  progress?: UploadProgress;
  error?: string;
  docId?: string;
  sharedWith?: number;
  refused?: number;
  abort: AbortController;
}

/** Today in the browser's own time zone, as YYYY-MM-DD. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

let nextKey = 1;

/**
 * The patient's own upload, or (`into`) a hospital's into a linked patient's record, with the
 * hospital's own lead text and where a finished document opens.
 */
export function Upload({
  onUploaded,
  into,
  lead,
  docPath = (id) => `/documents/${id}`,
}: {
  onUploaded: () => void;
  into?: IntoRecord;
  lead?: string;
  docPath?: (id: string) => string;
}) {
  const t = useT();
  const unlocked = useUnlocked();
  const [hiType, setHiType] = useState("");
  const [careDate, setCareDate] = useState(today);
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const [missing, setMissing] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const running = useRef(false);

  const update = (key: number, change: Partial<Item>) =>
    setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));

  function add(files: FileList | File[]) {
    if (!hiType || !careDate) {
      setMissing(true);
      return;
    }
    setMissing(false);
    const added = Array.from(files).map<Item>((file) => ({
      key: nextKey++,
      file,
      hiType,
      careDate,
      state: "checking",
      abort: new AbortController(),
    }));
    setItems((list) => [...list, ...added]);
    for (const item of added) {
      // Only a row still being checked moves on (the patient may have cancelled it meanwhile).
      const settle = (change: Partial<Item>) =>
        setItems((list) => list.map((i) => (i.key === item.key && i.state === "checking" ? { ...i, ...change } : i)));
      // The checker loads when first needed: the sign-in page stays light.
      import("../../lib/fhir/check")
        .then(({ fileIssues }) => fileIssues(item.file, item.hiType as HiType))
        .then((issues) => settle(issues && issues.length > 0 ? { state: "invalid", issues } : { state: "waiting", issues: issues ?? undefined }))
        .catch(() => settle({ state: "waiting" })); // unreadable here: sealing will say so
    }
  }

  // One upload at a time: the next waiting file starts when the previous one ends.
  useEffect(() => {
    if (running.current || !unlocked) return;
    const item = items.find((i) => i.state === "waiting");
    if (!item) return;
    running.current = true;
    update(item.key, { state: "working" });
    sealAndUpload({
      file: item.file,
      hiType: item.hiType,
      careDate: item.careDate,
      ownKey: unlocked.x25519Public,
      signers: unlocked.signers,
      into,
      signal: item.abort.signal,
      onProgress: (progress) => update(item.key, { progress }),
    })
      .then(({ doc, sharedWith, refused }) => {
        update(item.key, { state: "done", docId: doc.id, sharedWith, refused });
        onUploaded();
      })
      .catch((e: unknown) => {
        if (e instanceof Cancelled || item.abort.signal.aborted) update(item.key, { state: "cancelled" });
        else update(item.key, { state: "failed", error: errorText(t, e) });
      })
      .finally(() => {
        running.current = false;
        setItems((list) => [...list]); // look for the next waiting file
      });
  }, [items, unlocked, onUploaded, into, t]);

  function cancel(item: Item) {
    item.abort.abort();
    if (item.state !== "working") update(item.key, { state: "cancelled" });
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length > 0) add(e.dataTransfer.files);
  }

  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">{t("documents.upload.title")}</h2>
      <p className="muted">{lead ?? t("documents.upload.lead")}</p>
      <div className="upload-choices">
        <Select label={t("documents.field.type")} value={hiType} onChange={(e) => setHiType(e.target.value)} required>
          <option value="">{t("documents.field.type.choose")}</option>
          {HI_TYPES.map((h) => (
            <option key={h} value={h}>
              {t(`hi.${h}`)}
            </option>
          ))}
        </Select>
        <Field
          label={t("documents.field.care_date")}
          type="date"
          max={today()}
          required
          value={careDate}
          onChange={(e) => setCareDate(e.target.value)}
        />
      </div>
      {missing && <Alert>{t("documents.upload.choose_first")}</Alert>}
      <div
        className={`dropzone${dragging ? " dragging" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <button type="button" className="primary" onClick={() => input.current?.click()}>
          {t("documents.upload.choose")}
        </button>
        <span className="muted">{t("documents.upload.drop")}</span>
        <input
          ref={input}
          type="file"
          multiple
          className="visually-hidden"
          tabIndex={-1}
          aria-label={t("documents.upload.files")}
          onChange={(e) => {
            if (e.target.files) add(e.target.files);
            e.target.value = "";
          }}
        />
      </div>
      {items.length > 0 && (
        <ul className="list uploads" aria-label={t("documents.upload.queue")}>
          {items.map((i) => (
            <UploadRow
              key={i.key}
              item={i}
              docPath={docPath}
              onCancel={() => cancel(i)}
              onStorePlain={() => update(i.key, { state: "waiting" })}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function UploadRow({
  item,
  docPath,
  onCancel,
  onStorePlain,
}: {
  item: Item;
  docPath: (id: string) => string;
  onCancel: () => void;
  onStorePlain: () => void;
}) {
  const t = useT();
  const p = item.progress;
  const name = item.file.name;
  return (
    <li>
      <div className="row-head">
        <strong className="file-name">{name}</strong>
        <span className="muted">
          {t(`hi.${item.hiType}` as "hi.OPConsultation")} · {formatBytes(item.file.size)}
        </span>
      </div>
      {item.state === "checking" && <p className="muted">{t("records.check.checking")}</p>}
      {item.state === "invalid" && item.issues && <FhirProblems item={item} onStorePlain={onStorePlain} onSkip={onCancel} />}
      {item.issues?.length === 0 && <p className="ok">{t("records.check.ok", { type: t(`hi.${item.hiType}` as "hi.OPConsultation") })}</p>}
      {item.state === "waiting" && <p className="muted">{t("documents.upload.waiting")}</p>}
      {item.state === "working" && p && (
        <Progress
          value={p.done}
          max={p.total}
          label={t(p.phase === "sealing" ? "documents.upload.sealing" : "documents.upload.uploading", { name })}
        />
      )}
      {item.state === "working" && (
        <p className="muted" aria-live="polite">
          {t(p?.phase === "uploading" ? "documents.upload.uploading" : "documents.upload.sealing", { name })}
        </p>
      )}
      {item.state === "done" && item.docId && (
        <p className="ok">
          {t("documents.upload.done")}{" "}
          {item.sharedWith ? t("documents.upload.shared", { n: item.sharedWith }) + " " : ""}
          <Link to={docPath(item.docId)}>{t("documents.upload.open")}</Link>
        </p>
      )}
      {item.state === "done" && item.refused ? <Alert>{t("documents.upload.refused", { n: item.refused })}</Alert> : null}
      {item.state === "cancelled" && <p className="muted">{t("documents.upload.cancelled")}</p>}
      {item.state === "failed" && <Alert>{item.error}</Alert>}
      {(item.state === "checking" || item.state === "waiting" || item.state === "working") && (
        <button type="button" onClick={onCancel} aria-label={t("documents.upload.cancel", { name })}>
          {t("action.cancel")}
        </button>
      )}
    </li>
  );
}

/** How many problems a row lists before "and N more" (a broken export can have hundreds). */
const SHOWN_ISSUES = 8;

/** The checks' findings, each naming its element, and the patient's two ways on. */
function FhirProblems({ item, onStorePlain, onSkip }: { item: Item; onStorePlain: () => void; onSkip: () => void }) {
  const t = useT();
  const issues = item.issues ?? [];
  return (
    <div className="alert alert-warn" role="alert">
      <p>{t("records.check.failed", { name: item.file.name, type: t(`hi.${item.hiType}` as "hi.OPConsultation") })}</p>
      <ul className="fhir-issues">
        {issues.slice(0, SHOWN_ISSUES).map((i, n) => (
          <li key={n}>
            <code>{i.path}</code>: {t(`records.problem.${i.problem}`)}
            {i.detail ? ` (${i.detail})` : ""}
          </li>
        ))}
        {issues.length > SHOWN_ISSUES && <li>{t("records.check.more", { n: issues.length - SHOWN_ISSUES })}</li>}
      </ul>
      <p>{t("records.check.explain")}</p>
      <div className="actions">
        <button type="button" onClick={onStorePlain}>
          {t("records.check.store_plain")}
        </button>
        <button type="button" onClick={onSkip}>
          {t("records.check.skip")}
        </button>
      </div>
    </div>
  );
}
