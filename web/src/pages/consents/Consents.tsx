// Placeholder: built next.
import { useT } from "../../i18n";
import { Page } from "../../Layout";

export function Consents() {
  const t = useT();
  return <Page title={t("consents.title")}>{null}</Page>;
}
