(globalThis as any).location = { origin: "http://localhost" }; (globalThis as any).localStorage = { getItem: () => null, setItem() {} };
import { it } from "vitest";
import { writeFileSync, readFileSync } from "node:fs";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { MemoryRouter } from "react-router";
import { sample } from "../scripts/fhir-gen.mjs";
import { extract } from "../src/lib/fhir";
import { collect } from "../src/lib/records";
const { RecordsView } = await import("../src/pages/records/Records");
it("renders", () => {
  const read = sample().filter((d) => !d.name.startsWith("malformed")).map((d, i) => ({ id: `d${i}`, hiType: d.hiType, careDate: d.careDate, x: extract(d.bundle as never) }));
  const data = collect(read);
  if (process.env.REST) { data.labs = data.labs.slice(0, 1); data.vitals = data.vitals.slice(0, 1); }
  const html = renderToStaticMarkup(createElement(MemoryRouter, null, createElement(RecordsView, { data })));
  const css = readFileSync("src/app.css", "utf8");
  writeFileSync("/tmp/records-render.html", `<!doctype html><html><head><meta charset="utf-8"><style>${css} details{}</style></head><body><main id="main">${html.replace(/<details>/g, "<details open>")}</main></body></html>`);
});
