/**
 * Islands without Fresh, server side. A Preact `options.vnode` hook replaces
 * each registered island component with
 * `<div data-island="Name" data-props="i" style="display:contents">` around
 * the component, and collects its props; {@link IslandScripts} then writes
 * the props as one JSON script and loads the one hydration bundle.
 * @module
 */
import { type ComponentType, Fragment, h, options, type VNode } from "preact";

// deno-lint-ignore no-explicit-any
type AnyComponent = ComponentType<any>;

const registry = new Map<unknown, string>();
/** Marks the inner component vnode so the hook does not wrap it again. */
const BYPASS = "__islandInner";
/** Props of the page being rendered; null outside {@link collectIslands}. */
let collected: unknown[] | null = null;

/** URL of the hydration bundle that dev.ts builds. */
export const ISLAND_BUNDLE = "/static/islands/main.js";

/** Makes these components islands (name as in browser/islands.ts). */
export function registerIslands(islands: Record<string, AnyComponent>): void {
  for (const [name, component] of Object.entries(islands)) {
    registry.set(component, name);
  }
}

const previousHook = options.vnode;
options.vnode = (vnode: VNode) => {
  const name = collected ? registry.get(vnode.type) : undefined;
  if (name !== undefined && collected) {
    const props = vnode.props as Record<string, unknown>;
    if (props[BYPASS]) {
      delete props[BYPASS];
    } else {
      const { children: _children, ...json } = props;
      const index = collected.push(json) - 1;
      const inner = h(vnode.type as AnyComponent, { ...json, [BYPASS]: true });
      vnode.type = "div";
      (vnode as VNode<Record<string, unknown>>).props = {
        "data-island": name,
        "data-props": String(index),
        style: "display:contents",
        children: inner,
      };
    }
  }
  previousHook?.(vnode);
};

/**
 * Runs a synchronous render while collecting island props. Rendering is
 * synchronous, so one module-level collector is safe.
 */
export function collectIslands<T>(render: () => T): T {
  const outer = collected;
  collected = [];
  try {
    return render();
  } finally {
    collected = outer;
  }
}

/** JSON that is safe inside a `<script>` element: no `</script`, no `<!--`. */
export function escapeScript(json: string): string {
  return json.replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(
    /\u2029/g,
    "\\u2029",
  );
}

/** Put last in `<body>`: the island props and the bundle that hydrates them. */
export function IslandScripts(): VNode {
  const json = escapeScript(JSON.stringify(collected ?? []));
  return h(
    Fragment,
    null,
    h("script", {
      type: "application/json",
      id: "__islands",
      dangerouslySetInnerHTML: { __html: json },
    }),
    h("script", { type: "module", src: ISLAND_BUNDLE }),
  );
}
