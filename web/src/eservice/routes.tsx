// eService's pages (the guide's screens, in its order). The screens live beside this file.
import type { Route } from "../lib/routes";

export const eserviceRoutes: Route[] = [];
