/**
 * Renders a route's page component to a complete HTML document, collecting
 * the islands it contains.
 * @module
 */
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import type { PageProps, RouteModule } from "./define.ts";
import { collectIslands } from "./islands.ts";

/** The HTML document for `props`, doctype included. */
export function renderPage<D>(
  module: Pick<RouteModule<D>, "default">,
  props: PageProps<D>,
): string {
  const component = module.default;
  if (!component) throw new TypeError("Cannot render a module without a page");
  return "<!DOCTYPE html>" +
    collectIslands(() => renderToString(h(component, props)));
}
