// The customer portal's pages (after /portal/login, which ../access/ owns). The screens live
// beside this file; their styles in portal.css.
import type { Route } from "../lib/routes";
import { AlertPage, AlertsPage } from "./alerts";
import { EarthquakePage } from "./earthquake";
import { Overview } from "./overview";
import { UnitPage } from "./unit";
import "./portal.css";

export const portalRoutes: Route[] = [
  { pattern: "/portal", view: () => <Overview /> },
  { pattern: "/portal/units/:unit", view: (p) => <UnitPage unit={p.unit} key={p.unit} /> },
  { pattern: "/portal/alerts", view: () => <AlertsPage /> },
  { pattern: "/portal/alerts/:id", view: (p) => <AlertPage id={p.id} key={p.id} /> },
  { pattern: "/portal/earthquake", view: () => <EarthquakePage /> },
];
