/**
 * Entry of the browser bundle: hydrates each `[data-island]` root with its
 * component and JSON props, and asks before forms marked `data-confirm`
 * are sent. Loaded as `/static/islands/main.js`; no inline script anywhere.
 * @module
 */
import { type ComponentType, h, hydrate } from "preact";
import { ISLANDS } from "./islands.ts";

function hydrateIslands(): void {
  const json = document.getElementById("__islands")?.textContent ?? "[]";
  const props = JSON.parse(json) as Record<string, unknown>[];
  const components = ISLANDS as unknown as Record<
    string,
    ComponentType<Record<string, unknown>>
  >;
  for (const root of document.querySelectorAll<HTMLElement>("[data-island]")) {
    const component = components[root.dataset.island ?? ""];
    if (!component) continue;
    hydrate(h(component, props[Number(root.dataset.props)] ?? {}), root);
  }
}

function confirmForms(): void {
  document.addEventListener("submit", (event) => {
    const form = event.target as HTMLFormElement;
    const question = form.dataset.confirm;
    if (question && !globalThis.confirm(question)) event.preventDefault();
  });
}

hydrateIslands();
confirmForms();
