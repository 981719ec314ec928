// The consents inbox: requests waiting for the patient (with a quick refusal), the hospitals
// that can read documents now, and past requests — each with its chain state.
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { api, call } from "../../api/client";
import { useT } from "../../i18n";
import type { ConsentView } from "../../lib/consentActions";
import { Page } from "../../Layout";
import { AbhaNotice } from "../Abha";
import { Alert, ErrorAlert } from "../../ui";
import { ChainSummary, ConsentFacts, StatusBadge, chainBusy, hospitalName, useHospitals, usePolling } from "./consentParts";
import { DenyButton } from "./Decide";
import { LinksSection } from "./Links";

export function Consents() {
  const t = useT();
  const hospitals = useHospitals();
  const [list, setList] = useState<ConsentView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(() => {
    call(() => api.GET("/v1/consents"))
      .then((l) => {
        setList(l);
        setError(null);
      })
      .catch(setError);
  }, []);
  useEffect(load, [load]);
  usePolling(load, !!list?.some(chainBusy));

  const requests = list?.filter((c) => c.status === "REQUESTED") ?? [];
  const active = list?.filter((c) => c.status === "GRANTED") ?? [];
  const past = list?.filter((c) => c.status !== "REQUESTED" && c.status !== "GRANTED") ?? [];
  const name = (c: ConsentView) => hospitalName(t, hospitals, c.hospital_id);

  return (
    <Page title={t("consents.title")}>
      <p className="lead">{t("consents.intro")}</p>
      <AbhaNotice />
      <ErrorAlert error={error} />
      {notice && <Alert kind="ok">{notice}</Alert>}
      {!list && !error && <p>{t("consents.loading")}</p>}
      {list && (
        <>
          <Section title={t("consents.requests")} empty={t("consents.requests.none")} items={requests}>
            {(c) => (
              <>
                <ConsentFacts c={c} hospital={name(c)} />
                <div className="actions">
                  <Link className="button primary" to={`/consents/${c.id}`}>
                    {t("consents.review", { hospital: name(c) })}
                  </Link>
                  <DenyButton
                    c={c}
                    hospital={name(c)}
                    onDone={() => {
                      setNotice(t("deny.done"));
                      load();
                    }}
                  />
                </div>
              </>
            )}
          </Section>
          <LinksSection />
          <Section title={t("consents.active")} empty={t("consents.active.none")} items={active}>
            {(c) => (
              <>
                <ConsentFacts c={c} hospital={name(c)} />
                <ChainSummary c={c} />
                <Link to={`/consents/${c.id}`}>{t("consents.details", { hospital: name(c) })}</Link>
              </>
            )}
          </Section>
          <Section title={t("consents.history")} empty={t("consents.history.none")} items={past}>
            {(c) => (
              <>
                <p className="consent-line">
                  <strong>{name(c)}</strong> <StatusBadge status={c.status} />
                </p>
                <ChainSummary c={c} />
                <Link to={`/consents/${c.id}`}>{t("consents.details", { hospital: name(c) })}</Link>
              </>
            )}
          </Section>
        </>
      )}
    </Page>
  );
}

function Section({
  title,
  empty,
  items,
  children,
}: {
  title: string;
  empty: string;
  items: ConsentView[];
  children: (c: ConsentView) => ReactNode;
}) {
  return (
    <section aria-label={title} className="consent-section">
      <h2>{title}</h2>
      {items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="list">
          {items.map((c) => (
            <li key={c.id} className="consent-item" data-status={c.status}>
              {children(c)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
