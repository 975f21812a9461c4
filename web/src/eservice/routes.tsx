// eService's pages (the guide's screens, in its order). The screens live beside this file.
import type { Route } from "../lib/routes";
import { LoginScreen } from "./login";
import { PasswordScreen } from "./password";
import { ProfileScreen } from "./profile";
import { RegisterScreen } from "./register";
import { ReportScreen } from "./report";
import { SecurityScreen } from "./security";
import { TopScreen } from "./top";
import "./eservice.css";

export const eserviceRoutes: Route[] = [
  { pattern: "/eservice/login", view: () => <LoginScreen /> },
  { pattern: "/eservice/register", view: () => <RegisterScreen /> },
  { pattern: "/eservice/password", view: () => <PasswordScreen /> },
  { pattern: "/eservice/security-question", view: () => <SecurityScreen /> },
  { pattern: "/eservice", view: () => <TopScreen /> },
  { pattern: "/eservice/profile", view: () => <ProfileScreen /> },
  { pattern: "/eservice/reports/:unit/:visit", view: (p) => <ReportScreen unit={p.unit} visit={p.visit} /> },
];
