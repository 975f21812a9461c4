// The customer portal's way in: the access request (the guide's form) and the sign-in. The
// screens live beside this file; once signed in, the portal's own pages (../portal/) take over.
import type { Route } from "../lib/routes";
import { PortalLoginScreen } from "./login";
import { RequestScreen } from "./request";
import "../eservice/eservice.css";
import "./access.css";

export const accessRoutes: Route[] = [
  { pattern: "/portal/login", view: () => <PortalLoginScreen /> },
  { pattern: "/portal/request", view: () => <RequestScreen /> },
];
