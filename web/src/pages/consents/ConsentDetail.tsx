// One consent: its facts in plain words, the decision the patient can take now (approve with
// narrowing, refuse, take access back, sign again), and where each signed decision is on its way
// to the blockchain, with the transaction.
import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { api, call } from "../../api/client";
import { useT } from "../../i18n";
import { pendingCount, staleCount, type ConsentView, type Decided } from "../../lib/consentActions";
import { Page } from "../../Layout";
import { useUnlocked } from "../../state/hooks";
import { Alert, ErrorAlert } from "../../ui";
import {
  ConsentFacts,
  RelayState,
  StatusBadge,
  chainBusy,
  hospitalName,
  useHospitals,
  usePolling,
} from "./consentParts";
import { ApproveForm, DenyButton, ResignButton, RevokePanel, SharePanel } from "./Decide";

export function ConsentDetail() {
  const t = useT();
  const { id = "" } = useParams();
  const keys = useUnlocked();
  const hospitals = useHospitals();
  const [c, setC] = useState<ConsentView | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Said with the hospital's name as it is when shown (the names may arrive after the decision).
  const [notice, setNotice] = useState<((hospital: string) => string) | null>(null);
  // For a revoked consent: documents that still carry the hospital's key (an interrupted revoke).
  const [keyLeft, setKeyLeft] = useState(0);
  // For a granted one: documents in scope that do not carry it yet (an interrupted approval).
  const [pending, setPending] = useState(0);
  const [skipped, setSkipped] = useState(0);

  const load = useCallback(() => {
    call(() => api.GET("/v1/consents/{id}", { params: { path: { id } } }))
      .then((v) => {
        setC(v);
        setError(null);
      })
      .catch(setError);
  }, [id]);
  useEffect(load, [load]);
  usePolling(load, !!c && chainBusy(c));
  const revoked = c?.status === "REVOKED";
  useEffect(() => {
    if (!revoked) return;
    staleCount(id).then(setKeyLeft, () => setKeyLeft(0));
  }, [id, revoked]);
  const granted = c?.status === "GRANTED";
  useEffect(() => {
    if (!granted) return;
    pendingCount(id).then(setPending, () => setPending(0));
  }, [id, granted]);

  const name = c ? hospitalName(t, hospitals, c.hospital_id) : "";
  const decided = (message: (hospital: string) => string) => (d: Decided) => {
    setC(d.consent);
    setKeyLeft(0);
    setPending(d.skipped.length);
    setSkipped(d.skipped.length);
    setNotice(() => message);
  };
  const done = (message: (hospital: string) => string) => (v: ConsentView) =>
    decided(message)({ consent: v, skipped: [] });
  const failed = c && [c.chain.grant, c.chain.revoke].some((r) => r?.state === "failed");

  return (
    <Page title={c ? name : t("consents.title")} actions={<Link to="/consents">{t("action.back")}</Link>}>
      <ErrorAlert error={error} />
      {notice && <Alert kind="ok">{notice(name)}</Alert>}
      {skipped > 0 && <Alert kind="warn">{t("share.skipped", { count: skipped })}</Alert>}
      {c && (
        <>
          <section className="card" aria-label={t("consent.fact.status")}>
            <p>
              <StatusBadge status={c.status} />
            </p>
            <ConsentFacts c={c} hospital={name} full />
          </section>

          {c.status === "REQUESTED" &&
            (keys ? (
              <>
                <ApproveForm c={c} hospital={name} keys={keys} onDone={decided((hospital) => t("approve.done", { hospital }))} />
                <div className="actions">
                  <DenyButton c={c} hospital={name} onDone={done(() => t("deny.done"))} />
                </div>
              </>
            ) : (
              <Alert kind="info">{t("consent.needsKeys")}</Alert>
            ))}

          {keys && granted && pending > 0 && skipped === 0 && (
            <SharePanel c={c} pending={pending} keys={keys} onDone={decided((hospital) => t("share.done", { hospital }))} />
          )}

          {keys && (granted || (revoked && keyLeft > 0)) && (
            <RevokePanel c={c} hospital={name} keys={keys} onDone={decided((hospital) => t("revoke.done", { hospital }))} />
          )}

          <section className="card" aria-labelledby="chain-title">
            <h2 id="chain-title">{t("chain.title")}</h2>
            <p className="muted">{t("chain.explain")}</p>
            {!c.chain.grant && !c.chain.revoke && <p>{t("chain.none")}</p>}
            {c.chain.grant && <RelayState label={t("chain.grant")} relay={c.chain.grant} />}
            {c.chain.grant?.state === "failed" && c.status === "GRANTED" && <Alert kind="warn">{t("chain.grantFailed")}</Alert>}
            {c.chain.revoke && <RelayState label={t("chain.revoke")} relay={c.chain.revoke} />}
            {c.chain.revoke?.state === "failed" && <Alert kind="warn">{t("chain.revokeFailed")}</Alert>}
            {failed && keys && <ResignButton c={c} keys={keys} onDone={done(() => t("chain.resigned"))} />}
          </section>
        </>
      )}
    </Page>
  );
}
