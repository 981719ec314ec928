import { Link } from "react-router";
import { useT } from "../i18n";
import { Page } from "../Layout";

export function NotFound() {
  const t = useT();
  return (
    <Page title={t("notfound.title")}>
      <p>{t("notfound.body")}</p>
      <p>
        <Link to="/documents">{t("notfound.home")}</Link>
      </p>
    </Page>
  );
}
