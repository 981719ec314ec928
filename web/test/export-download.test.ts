import { describe, expect, it } from "vitest";
import { DownloadError, downloadExport, memorySink } from "../src/lib/exportDownload";

const archive = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);

/** A server that answers ranges of `archive` and breaks each response after `breakAfter` bytes. */
function flakyServer(breakAfter: number, seen: string[]) {
  return (async (_path: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    seen.push(headers.range ?? "");
    const from = headers.range ? Number(/bytes=(\d+)-/.exec(headers.range)?.[1]) : 0;
    const rest = archive.subarray(from);
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (!sent) {
          sent = true;
          c.enqueue(rest.slice(0, Math.min(breakAfter, rest.length)));
        } else if (rest.length <= breakAfter) c.close();
        else c.error(new TypeError("network error"));
      },
    });
    return new Response(body, { status: headers.range ? 206 : 200 });
  }) as typeof fetch;
}

describe("downloadExport", () => {
  it("resumes from the last byte after each broken connection", async () => {
    const seen: string[] = [];
    const sink = memorySink();
    const progress: number[] = [];
    const n = await downloadExport(
      { path: "/x", size: archive.length, id: "e1", auth: async () => "Bearer t", fetchImpl: flakyServer(4_000, seen), onProgress: (r) => progress.push(r) },
      sink,
    );
    expect(n).toBe(archive.length);
    expect(seen).toEqual(["", "bytes=4000-", "bytes=8000-"]);
    expect(new Uint8Array(await sink.blob("application/x-tar").arrayBuffer())).toEqual(archive);
    expect(progress.at(-1)).toBe(archive.length);
  });

  it("gives up after the retries, saying how far it got", async () => {
    const seen: string[] = [];
    const attempt = downloadExport(
      { path: "/x", size: archive.length, id: "e1", auth: async () => "", fetchImpl: flakyServer(1_000, seen), retries: 2 },
      memorySink(),
    );
    await expect(attempt).rejects.toThrow(/after 3000 of 10000 bytes/);
    expect(seen).toHaveLength(3);
  });

  it("stops at once on the API's refusal (an export that is gone)", async () => {
    const gone = (async () =>
      new Response(JSON.stringify({ code: "export_not_found", message: "no such export" }), { status: 404 })) as typeof fetch;
    const attempt = downloadExport({ path: "/x", size: 10, id: "e1", auth: async () => "", fetchImpl: gone }, memorySink());
    await expect(attempt).rejects.toBeInstanceOf(DownloadError);
    await expect(attempt).rejects.toMatchObject({ code: "export_not_found", status: 404 });
  });
});
