// "Add an entry yourself": a lab value, a vital sign, a medicine or an allergy the patient
// enters, checked here (plausible values, no future dates), written as a small FHIR document
// with the patient as author (lib/fhir/selfReport) and sealed and uploaded like any document —
// to the patient's key and to the hospitals whose grant covers wellness records, as an upload is.
import { useState, type FormEvent } from "react";
import { api, call } from "../../api/client";
import { useT } from "../../i18n";
import { sealAndUpload } from "../../lib/documents";
import { entryProblems, SELF_REPORT_HI_TYPE, SELF_TESTS, selfReportBundle, type EntryProblem, type SelfEntry } from "../../lib/fhir/selfReport";
import { useUnlocked } from "../../state/hooks";
import { Alert, Field, Select, errorText } from "../../ui";
import { today } from "../documents/Upload";

type Kind = "lab" | "vital" | "medication" | "allergy";

export function AddEntry({ onSaved }: { onSaved: () => void }) {
  const t = useT();
  const unlocked = useUnlocked();
  const [kind, setKind] = useState<Kind>("lab");
  const [code, setCode] = useState("");
  const [value, setValue] = useState("");
  const [name, setName] = useState("");
  const [dosage, setDosage] = useState("");
  const [current, setCurrent] = useState(true);
  const [criticality, setCriticality] = useState<"" | "low" | "high">("");
  const [date, setDate] = useState(today);
  const [problems, setProblems] = useState<EntryProblem[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  // Folded until asked for: the records stay at the top of the page, on a phone too.
  const [open, setOpen] = useState(false);

  const tests = SELF_TESTS.filter((s) => s.vital === (kind === "vital"));
  const test = tests.find((s) => s.code === code);

  function entry(): SelfEntry {
    switch (kind) {
      case "lab":
      case "vital":
        return { kind: "measurement", code, value: value.trim() === "" ? Number.NaN : Number(value.replace(",", ".")), date };
      case "medication":
        return { kind: "medication", name, dosage, current, date };
      case "allergy":
        return { kind: "allergy", substance: name, criticality, date };
    }
  }

  function problemText(field: EntryProblem["field"]): string | null {
    const p = problems.find((x) => x.field === field);
    if (!p) return null;
    if (p.problem === "range" && test) return t("records.self.problem.range", { min: test.min, max: test.max, unit: test.unitText });
    return t(`records.self.problem.${p.problem}`);
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    setError(null);
    const it = entry();
    const found = entryProblems(it, today());
    setProblems(found);
    if (found.length > 0 || !unlocked) return;
    setBusy(true);
    try {
      const me = await call(() => api.GET("/v1/patients/me"));
      const text = selfReportBundle(it, me.name);
      const file = new File([text], "self-reported.fhir.json", { type: "application/fhir+json" });
      await sealAndUpload({
        file,
        hiType: SELF_REPORT_HI_TYPE,
        careDate: date,
        ownKey: unlocked.x25519Public,
        signers: unlocked.signers,
        onProgress: () => {},
        signal: new AbortController().signal,
      });
      setSaved(true);
      setValue("");
      setName("");
      setDosage("");
      setCriticality("");
      onSaved();
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  const choose = (k: Kind) => {
    setKind(k);
    setCode("");
    setProblems([]);
    setSaved(false);
  };

  return (
    <section className="card" aria-labelledby="self-title">
      <h2 id="self-title">{t("records.self.title")}</h2>
      <p className="muted">{t("records.self.lead")}</p>
      {!open && (
        <button type="button" aria-expanded={false} onClick={() => setOpen(true)}>
          {t("records.self.open")}
        </button>
      )}
      {open && (
        <form onSubmit={(e) => void save(e)} noValidate>
          <Select label={t("records.self.kind")} value={kind} onChange={(e) => choose(e.target.value as Kind)}>
            <option value="lab">{t("records.self.kind.lab")}</option>
            <option value="vital">{t("records.self.kind.vital")}</option>
            <option value="medication">{t("records.self.kind.medication")}</option>
            <option value="allergy">{t("records.self.kind.allergy")}</option>
          </Select>
          {(kind === "lab" || kind === "vital") && (
            <>
              <Select label={t("records.self.test")} value={code} onChange={(e) => setCode(e.target.value)}>
                <option value="">{t("records.self.test.choose")}</option>
                {tests.map((s) => (
                  <option key={s.code} value={s.code}>
                    {s.name}
                  </option>
                ))}
              </Select>
              {problemText("test") && <p className="field-error">{problemText("test")}</p>}
              <Field
                label={t("records.self.value", { unit: test?.unitText ?? "…" })}
                inputMode="decimal"
                autoComplete="off"
                value={value}
                onChange={(e) => setValue(e.target.value)}
                error={problemText("value")}
              />
            </>
          )}
          {kind === "medication" && (
            <>
              <Field label={t("records.self.med.name")} value={name} onChange={(e) => setName(e.target.value)} error={problemText("name")} />
              <Field label={t("records.self.med.dosage")} value={dosage} onChange={(e) => setDosage(e.target.value)} error={problemText("dosage")} />
              <label className="check">
                <input type="checkbox" checked={current} onChange={(e) => setCurrent(e.target.checked)} /> {t("records.self.med.current")}
              </label>
            </>
          )}
          {kind === "allergy" && (
            <>
              <Field
                label={t("records.self.allergy.substance")}
                value={name}
                onChange={(e) => setName(e.target.value)}
                error={problemText("substance")}
              />
              <Select
                label={t("records.self.allergy.criticality")}
                value={criticality}
                onChange={(e) => setCriticality(e.target.value as "" | "low" | "high")}
              >
                <option value="">{t("records.self.allergy.unknown")}</option>
                <option value="low">{t("records.self.allergy.low")}</option>
                <option value="high">{t("records.self.allergy.high")}</option>
              </Select>
            </>
          )}
          <Field
            label={t(kind === "medication" ? "records.self.med.date" : kind === "allergy" ? "records.self.allergy.date" : "records.self.date")}
            type="date"
            max={today()}
            value={date}
            onChange={(e) => setDate(e.target.value)}
            error={problemText("date")}
          />
          {error && <Alert>{error}</Alert>}
          {saved && <Alert kind="ok">{t("records.self.saved")}</Alert>}
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !unlocked}>
              {busy ? t("records.self.saving") : t("records.self.save")}
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              {t("action.close")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
