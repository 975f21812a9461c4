// The customer portal's way in: the access request (the guide's form) and the sign-in. The
// screens live beside this file; once signed in, the portal's own pages (../portal/) take over.
import type { Route } from "../lib/routes";

export const accessRoutes: Route[] = [];
