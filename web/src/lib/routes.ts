// A page of the app: its path pattern ("/portal/units/:unit") and what draws it.
import type { VNode } from "preact";

export interface Route {
  pattern: string;
  view: (params: Record<string, string>) => VNode;
}
