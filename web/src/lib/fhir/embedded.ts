// Files carried inside a FHIR document: a DocumentReference's attachments and Binary resources
// with their bytes inline (`data`, base64), as the HealthDocumentRecord and DiagnosticReport
// profiles carry scanned reports and images. Only what the preview can show safely is returned:
// PDFs, images and text, recognised by their bytes (lib/files `sniff`), never by the declared
// type alone. An attachment by URL only is left out: the portal fetches nothing from elsewhere.
import { sniff, type Kind } from "../files";

export interface EmbeddedFile {
  title?: string;
  /** The type the document declares. */
  declared: string;
  bytes: Uint8Array<ArrayBuffer>;
  kind: Kind;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function fromBase64(s: string): Uint8Array<ArrayBuffer> | null {
  const clean = s.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The inline files of a parsed FHIR Bundle that can be shown; none for anything else. */
export async function embeddedFiles(bundle: unknown): Promise<EmbeddedFile[]> {
  if (!isObj(bundle) || bundle.resourceType !== "Bundle" || !Array.isArray(bundle.entry)) return [];
  const found: { title?: string; declared: string; data: unknown }[] = [];
  for (const e of bundle.entry) {
    const r = isObj(e) ? e.resource : undefined;
    if (!isObj(r)) continue;
    if (r.resourceType === "DocumentReference" && Array.isArray(r.content)) {
      for (const c of r.content) {
        const a = isObj(c) ? c.attachment : undefined;
        if (isObj(a)) found.push({ title: typeof a.title === "string" ? a.title : undefined, declared: String(a.contentType ?? ""), data: a.data });
      }
    } else if (r.resourceType === "Binary") {
      found.push({ declared: String(r.contentType ?? ""), data: r.data });
    }
  }
  const out: EmbeddedFile[] = [];
  for (const f of found) {
    const bytes = typeof f.data === "string" ? fromBase64(f.data) : null;
    if (!bytes || bytes.length === 0) continue;
    const kind = await sniff(new Blob([bytes]));
    if (kind.kind === "other") continue;
    out.push({ title: f.title, declared: f.declared, bytes, kind });
  }
  return out;
}
