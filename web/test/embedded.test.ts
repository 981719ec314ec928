// Files inside a FHIR document: shown by what their bytes are, inline data only.
import { describe, expect, it } from "vitest";
import { embeddedFiles } from "../src/lib/fhir/embedded";

const b64 = (bytes: number[] | string) => btoa(typeof bytes === "string" ? bytes : String.fromCharCode(...bytes));
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
const bundle = (...resources: unknown[]) => ({ resourceType: "Bundle", type: "document", entry: resources.map((resource) => ({ resource })) });

describe("files inside a FHIR document", () => {
  it("finds a DocumentReference's PDF and a Binary image, by their bytes", async () => {
    const files = await embeddedFiles(
      bundle(
        { resourceType: "Composition" },
        { resourceType: "DocumentReference", content: [{ attachment: { contentType: "application/pdf", title: "Scan", data: b64("%PDF-1.4 hello") } }] },
        { resourceType: "Binary", contentType: "image/png", data: b64(PNG) },
      ),
    );
    expect(files.map((f) => [f.title, f.kind.kind, f.declared])).toEqual([
      ["Scan", "pdf", "application/pdf"],
      [undefined, "image", "image/png"],
    ]);
  });

  it("leaves out URLs, broken base64, unknown bytes and what is not a bundle", async () => {
    const files = await embeddedFiles(
      bundle(
        { resourceType: "DocumentReference", content: [{ attachment: { contentType: "application/pdf", url: "https://elsewhere.example/x.pdf" } }] },
        { resourceType: "Binary", contentType: "image/png", data: "not base64!" },
        { resourceType: "Binary", contentType: "image/png", data: b64([0, 1, 2, 3, 0, 5]) },
      ),
    );
    expect(files).toEqual([]);
    expect(await embeddedFiles({ resourceType: "Patient" })).toEqual([]);
    expect(await embeddedFiles("text")).toEqual([]);
  });

  it("a file declared as an image but holding a PDF is shown as the PDF it is", async () => {
    const [f] = await embeddedFiles(bundle({ resourceType: "Binary", contentType: "image/png", data: b64("%PDF-1.7 x") }));
    expect(f?.kind.kind).toBe("pdf");
  });
});
