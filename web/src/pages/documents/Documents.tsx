// Placeholder: built next.
import { useT } from "../../i18n";
import { Page } from "../../Layout";

export function Documents() {
  const t = useT();
  return <Page title={t("documents.title")}>{null}</Page>;
}
