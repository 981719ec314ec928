// Downloads an export archive (docs/export.md) to a sink, resuming with `Range` after a broken
// connection: the archive's bytes are fixed when the export is made, so the rest of it is
// simply asked for again from the last byte received.

/** Where the bytes go: memory (a Blob) or a file the patient chose. */
export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
}

export interface DownloadOptions {
  /** The export's `download` path and its `size` (from `POST /v1/patients/me/exports`). */
  path: string;
  size: number;
  /** Its id: the entity tag resumed downloads must match. */
  id: string;
  /** The `authorization` header value, asked for before every request. */
  auth: () => Promise<string>;
  onProgress?: (received: number) => void;
  /** How many broken connections to resume from before giving up. */
  retries?: number;
  fetchImpl?: typeof fetch;
}

/** An answer that is not the archive: the API's error code and message. */
export class DownloadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Streams the whole archive into `sink`; returns the number of bytes written. */
export async function downloadExport(o: DownloadOptions, sink: Sink): Promise<number> {
  const fetchImpl = o.fetchImpl ?? fetch;
  let received = 0;
  let failures = 0;
  for (;;) {
    const headers: Record<string, string> = { authorization: await o.auth() };
    if (received > 0) {
      headers.range = `bytes=${received}-`;
      headers["if-range"] = `"${o.id}"`;
    }
    let broke: unknown = null;
    try {
      const r = await fetchImpl(o.path, { headers, credentials: "same-origin" });
      const expected = received > 0 ? 206 : 200;
      if (r.status !== expected) {
        const body = (await r.json().catch(() => ({}))) as { code?: string; message?: string };
        throw new DownloadError(r.status, body.code ?? `http_${r.status}`, body.message ?? r.statusText);
      }
      if (!r.body) throw new DownloadError(0, "network", "the response has no body");
      const reader = r.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await sink.write(value);
        received += value.byteLength;
        o.onProgress?.(received);
      }
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      broke = e;
    }
    if (received >= o.size) return received;
    // A broken connection, or a body that ended early (the server hit a bad object): ask for the rest.
    failures += 1;
    if (failures > (o.retries ?? 3)) {
      const why = broke instanceof Error ? broke.message : "the download ended early";
      throw new DownloadError(0, "network", `${why} (after ${received} of ${o.size} bytes)`);
    }
  }
}

/** A sink that keeps the bytes in memory, for a Blob. */
export function memorySink(): Sink & { blob(type: string): Blob } {
  const parts: Uint8Array[] = [];
  return {
    write: async (chunk) => {
      parts.push(chunk);
    },
    blob: (type) => new Blob(parts as BlobPart[], { type }),
  };
}
