// "New registration" from the login page: the guide's eService accounts are registered by the
// company (2–5 business days, two mails), so this page says how, and leads a customer who has
// signed in to eService to the customer portal's access request.
import { Layout } from "../components/layout";
import { translator, useLang } from "../lib/i18n";
import { eserviceWords } from "./messages";
import { useFocusHeading } from "./forms";

const t = translator(eserviceWords);

export function RegisterScreen() {
  useLang();
  useFocusHeading("register");
  return (
    <Layout service={t("service")} title={t("register_title")}>
      <div class="card prose">
        <p>{t("register_text1")}</p>
        <p>{t("register_text2")}</p>
        <p>{t("register_never")}</p>
        <p>{t("register_text3")}</p>
        <p>
          <a href="/portal/request">{t("register_portal_link")}</a>
        </p>
        <p>
          <a href="/eservice/login">{t("back_to_login")}</a>
        </p>
      </div>
    </Layout>
  );
}
