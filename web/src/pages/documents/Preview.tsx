// The document decrypted in this browser: shown in the page when it is a PDF, an image or text,
// and saved as a file. The decrypted copy lives in a blob: URL of this page only and is released
// when the page closes.
import { useEffect, useState } from "react";
import { useT } from "../../i18n";
import { Cancelled, ChecksumError, downloadAndOpen, type DocumentView } from "../../lib/documents";
import { fileName, sniff, type Kind } from "../../lib/files";
import { embeddedFiles, type EmbeddedFile } from "../../lib/fhir/embedded";
import { downloadFile } from "../../state/keys";
import { useUnlocked } from "../../state/hooks";
import { Alert, Progress, errorText } from "../../ui";

/** Larger documents are decrypted when asked, not on opening the page (phones, data plans). */
const AUTO_PREVIEW_BYTES = 20 << 20;

type State =
  | { kind: "idle" }
  | { kind: "working"; done: number; total: number }
  | { kind: "ready"; blob: Blob; url: string; type: Kind; text?: string }
  | { kind: "failed"; error: unknown };

/** `contentPath`: where the envelope is read (a caregiver reads through their grant). */
export function Preview({ doc, contentPath }: { doc: DocumentView; contentPath?: string }) {
  const t = useT();
  const unlocked = useUnlocked();
  const [state, setState] = useState<State>({ kind: "idle" });
  const [abort, setAbort] = useState<AbortController | null>(null);

  async function decrypt(): Promise<Blob | null> {
    if (!unlocked) return null;
    const ctl = new AbortController();
    setAbort(ctl);
    setState({ kind: "working", done: 0, total: doc.envelope_size });
    try {
      const onProgress = (done: number, total: number) => setState({ kind: "working", done, total });
      const plain = await downloadAndOpen(doc, unlocked.key, onProgress, ctl.signal, contentPath);
      const type = await sniff(plain);
      const blob = new Blob([plain], { type: type.mime });
      const text = type.kind === "text" && blob.size <= 2 << 20 ? await blob.text() : undefined;
      setState({ kind: "ready", blob, url: URL.createObjectURL(blob), type, text });
      return blob;
    } catch (e) {
      setState(ctl.signal.aborted || e instanceof Cancelled ? { kind: "idle" } : { kind: "failed", error: e });
      return null;
    } finally {
      setAbort(null);
    }
  }

  // Decrypt small documents straight away (once per document, not on every metadata poll).
  useEffect(() => {
    if (doc.plaintext_size <= AUTO_PREVIEW_BYTES && !doc.deleted_at) void decrypt();
  }, [doc.id]);

  // Release the decrypted copy when leaving.
  const url = state.kind === "ready" ? state.url : null;
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);

  async function save() {
    if (state.kind === "ready") {
      downloadFile(fileName(doc, state.type.ext), state.blob);
      return;
    }
    const blob = await decrypt();
    if (blob) downloadFile(fileName(doc, (await sniff(blob)).ext), blob);
  }

  const failure =
    state.kind === "failed" ? (state.error instanceof ChecksumError ? t("documents.preview.checksum") : errorText(t, state.error)) : null;

  return (
    <section className="card" aria-labelledby="preview-title">
      <h2 id="preview-title">{t("documents.preview.title")}</h2>
      {state.kind === "idle" && <p className="muted">{t("documents.preview.large")}</p>}
      {state.kind === "working" && (
        <>
          <p aria-live="polite">{t("documents.preview.decrypting")}</p>
          <Progress value={state.done} max={state.total} label={t("documents.preview.decrypting")} />
          <button type="button" onClick={() => abort?.abort()}>
            {t("action.cancel")}
          </button>
        </>
      )}
      {failure && <Alert>{failure}</Alert>}
      {state.kind === "ready" && <Shown state={state} title={t("documents.preview.frame")} />}
      <div className="actions">
        <button type="button" className="primary" onClick={save} disabled={state.kind === "working"}>
          {t("documents.preview.download")}
        </button>
        {state.kind === "idle" && (
          <button type="button" onClick={() => void decrypt()}>
            {t("documents.preview.show")}
          </button>
        )}
      </div>
    </section>
  );
}

function Shown({ state, title }: { state: Extract<State, { kind: "ready" }>; title: string }) {
  const t = useT();
  switch (state.type.kind) {
    case "pdf":
      return <iframe className="preview-frame" src={state.url} title={title} />;
    case "image":
      return <img className="preview-image" src={state.url} alt={title} />;
    case "text":
      return state.text !== undefined ? (
        <>
          <FilesInside text={state.text} />
          <pre className="preview-text" tabIndex={0} aria-label={title}>
            {state.text}
          </pre>
        </>
      ) : (
        <p className="muted">{t("documents.preview.none")}</p>
      );
    default:
      return <p className="muted">{t("documents.preview.none")}</p>;
  }
}

/**
 * The PDFs, images and text a FHIR document carries inline (a DocumentReference's attachments,
 * Binary resources), each shown as the preview shows a document, and saved on its own.
 */
function FilesInside({ text }: { text: string }) {
  const t = useT();
  const [files, setFiles] = useState<(EmbeddedFile & { url: string })[]>([]);
  useEffect(() => {
    let live = true;
    let made: string[] = [];
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    void embeddedFiles(parsed).then((found) => {
      if (!live) return;
      const withUrls = found.map((f) => ({ ...f, url: URL.createObjectURL(new Blob([f.bytes], { type: f.kind.mime })) }));
      made = withUrls.map((f) => f.url);
      setFiles(withUrls);
    });
    return () => {
      live = false;
      made.forEach((u) => URL.revokeObjectURL(u));
    };
  }, [text]);
  if (files.length === 0) return null;
  return (
    <section aria-labelledby="files-inside-title" className="files-inside">
      <h3 id="files-inside-title">{t("documents.preview.inside")}</h3>
      {files.map((f, i) => {
        const name = f.title ?? t("documents.preview.inside.item", { n: i + 1 });
        return (
          <figure key={f.url}>
            {f.kind.kind === "pdf" && <iframe className="preview-frame" src={f.url} title={name} />}
            {f.kind.kind === "image" && <img className="preview-image" src={f.url} alt={name} />}
            {f.kind.kind === "text" && <iframe className="preview-frame" src={f.url} title={name} />}
            <figcaption>
              {name}{" "}
              <button type="button" onClick={() => downloadFile(`${name.replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "")}.${f.kind.ext}`, new Blob([f.bytes], { type: f.kind.mime }))}>
                {t("documents.preview.inside.save")}
              </button>
            </figcaption>
          </figure>
        );
      })}
    </section>
  );
}
