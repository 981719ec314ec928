// Placeholder: built next.
import { useT } from "../../i18n";
import { Page } from "../../Layout";

export function DocumentDetail() {
  const t = useT();
  return <Page title={t("documents.title")}>{null}</Page>;
}
