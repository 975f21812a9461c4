// The customer portal's pages. The screens live beside this file.
import type { Route } from "../lib/routes";

export const portalRoutes: Route[] = [];
